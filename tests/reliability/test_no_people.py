"""Issue 11, finding 4: public pages show no people (docs/scoring.md section 2).

Anonymous readers and reviewers see agreement per outlet and overall; agreement per named
reviewer pair (label and span agreement) is for leads only, in the pages and in the API.
"""

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from annotate.codebook import Label
from reliability.models import without_people
from reliability.services import publish_run, recompute_outlet_scores

from .conftest import scored_outlet

pytestmark = pytest.mark.django_db


@pytest.fixture
def published(build, lead):
    outlet = scored_outlet(build, "scored.example")
    first = outlet.articles.first().sentences.get(position=0)
    first.annotations.filter(reviewer=build.users[1]).update(label=Label.ANALYSIS)  # some disagreement
    return publish_run(run=recompute_outlet_scores(), by=lead), [user.username for user in build.users]


def pages() -> list[str]:
    return [reverse("reliability:outlet-list"), reverse("reliability:outlet-detail", args=["scored.example"])]


def test_anonymous_and_reviewers_see_no_reviewer_names(client, reviewer, published):
    run, names = published
    assert run.figures["reviewer_pairs"][0]["reviewers"] == names  # stored, for leads
    for user in (None, reviewer):
        if user is not None:
            client.force_login(user)
        for url in pages():
            html = client.get(url).content.decode()
            assert "Agreement" in html or "agreement" in html
            for name in names:
                assert name not in html, (user, url)
            assert "Reviewer pair" not in html


def test_leads_see_agreement_per_reviewer_pair(client, lead, published):
    _, names = published
    client.force_login(lead)
    html = client.get(reverse("reliability:outlet-detail", args=["scored.example"])).content.decode()
    assert "Reviewer pair" in html
    assert f"{names[0]} · {names[1]}" in html


def test_the_scores_api_names_no_reviewer_except_to_leads(reviewer, lead, published):
    _, names = published
    for user, sees in ((None, False), (reviewer, False), (lead, True)):
        client = APIClient()
        if user is not None:
            client.force_authenticate(user)
        response = client.get("/api/v1/scores/?latest=true")
        assert response.status_code == 200
        body = response.content.decode()
        assert all((name in body) is sees for name in names), user
        figures = response.json()["results"][0]["figures"]
        assert ("reviewer_pairs" in figures) is sees
        assert ("pairs" in figures["span_agreement"]) is sees
        assert figures["alpha"] is not None  # per-outlet agreement stays public


def test_without_people_keeps_every_other_figure():
    figures = {
        "alpha": 0.8,
        "reviewer_pairs": [{"reviewers": ["a", "b"], "alpha": 0.5}],
        "span_agreement": {"sentences": 3, "source_exact": {"f1": 1.0}, "pairs": [{"reviewers": ["a", "b"]}]},
    }
    assert without_people(figures) == {"alpha": 0.8, "span_agreement": {"sentences": 3, "source_exact": {"f1": 1.0}}}
    assert "reviewer_pairs" in figures  # the stored figures are not changed
