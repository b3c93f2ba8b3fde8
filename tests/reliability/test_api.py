"""Scores API (filters, visibility) and the adjudication API."""

import pytest
from rest_framework.test import APIClient

from annotate.codebook import Label, SourceKind
from annotate.models import Adjudication
from reliability.scoring import METHOD_VERSION
from reliability.services import recompute_outlet_scores


@pytest.fixture
def api():
    return APIClient()


def test_anonymous_reads_published_snapshots_only(api, published_and_draft):
    published, _ = published_and_draft
    response = api.get("/api/v1/scores/")
    assert response.status_code == 200
    assert {row["run"] for row in response.json()["results"]} == {published.pk}


def test_anonymous_denied_when_scores_are_private(api, settings, published_and_draft):
    settings.PUBLIC_SCORES = False
    assert api.get("/api/v1/scores/").status_code in (401, 403)


def test_lead_filters_by_outlet_run_version_and_latest(api, lead, published_and_draft):
    published, draft = published_and_draft
    api.force_authenticate(lead)
    assert api.get("/api/v1/scores/").json()["count"] == 4
    rows = api.get("/api/v1/scores/", {"outlet": "scored.example"}).json()["results"]
    assert len(rows) == 2
    assert all(row["outlet"] == "scored.example" for row in rows)
    assert api.get("/api/v1/scores/", {"run": published.pk}).json()["count"] == 2
    assert api.get("/api/v1/scores/", {"method_version": METHOD_VERSION}).json()["count"] == 4
    assert api.get("/api/v1/scores/", {"method_version": "1"}).json()["count"] == 0
    assert api.get("/api/v1/scores/", {"method_version": "0"}).json()["count"] == 0
    latest = api.get("/api/v1/scores/", {"latest": "true"}).json()["results"]
    assert {row["run"] for row in latest} == {draft.pk}
    row = api.get("/api/v1/scores/", {"outlet": "scored.example", "latest": "true"}).json()["results"][0]
    assert row["score"] == pytest.approx(65.0)
    assert row["figures"]["indicators"]["named_share"]["x"] == 15


def test_scores_list_query_count_is_constant(api, lead, build, django_assert_max_num_queries):
    api.force_authenticate(lead)
    for i in range(2):
        build.outlet(f"o{i}.example")
    recompute_outlet_scores()
    with django_assert_max_num_queries(6) as small:
        api.get("/api/v1/scores/")
    for i in range(2, 9):
        build.outlet(f"o{i}.example")
    recompute_outlet_scores()
    with django_assert_max_num_queries(len(small.captured_queries)):
        api.get("/api/v1/scores/")


def test_adjudication_queue_api_lists_disputes_with_marks(api, lead, reviewer, build):
    outlet = build.outlet("q.example")
    article = build.article(outlet, 2)
    first, second = article.sentences.order_by("position")
    build.marks(first, [Label.CLAIM, Label.ANALYSIS])
    build.marks(second, [Label.CLAIM, Label.CLAIM])
    api.force_authenticate(reviewer)
    assert api.get("/api/v1/adjudications/queue/").status_code == 403
    api.force_authenticate(lead)
    (row,) = api.get("/api/v1/adjudications/queue/").json()["results"]
    assert row["id"] == first.pk
    assert row["dispute"] == "label"
    assert sorted(m["label"] for m in row["marks"]) == ["analysis", "claim"]


def test_adjudication_api_create_then_redecide_keeps_history(api, lead, build):
    outlet = build.outlet("q.example")
    article = build.article(outlet, 1)
    sentence = article.sentences.get()
    source = build.source("Agency", SourceKind.ORGANISATION)
    build.marks(sentence, [Label.CLAIM, Label.ATTRIBUTION], [None, source])
    api.force_authenticate(lead)
    created = api.post("/api/v1/adjudications/", {"sentence": sentence.pk, "label": "claim"}, format="json")
    assert created.status_code == 201
    assert created.json()["lead"] == "lead"
    bad = api.post("/api/v1/adjudications/", {"sentence": sentence.pk, "label": "attribution"}, format="json")
    assert bad.status_code == 400
    assert "source" in bad.json()
    assert Adjudication.objects.get().label == Label.CLAIM
    again = api.patch(
        f"/api/v1/adjudications/{created.json()['id']}/", {"label": "attribution", "source": source.pk}, format="json"
    )
    assert again.status_code == 200
    assert again.json()["label"] == "attribution"
    assert "previous: claim by lead" in Adjudication.objects.get().note
    assert api.get("/api/v1/adjudications/").json()["count"] == 1


def test_adjudication_api_refuses_an_unknown_field_and_writes_nothing(api, lead, build):
    """A misspelt field ("labl", "source_id") is a 400 naming it, as every other write of the API,
    not ignored: a decision without the intended source or label must not be stored."""
    outlet = build.outlet("q.example")
    sentence = build.article(outlet, 1).sentences.get()
    build.marks(sentence, [Label.CLAIM, Label.ANALYSIS])
    api.force_authenticate(lead)
    answer = api.post(
        "/api/v1/adjudications/", {"sentence": sentence.pk, "label": "claim", "source_id": 1}, format="json"
    )
    assert answer.status_code == 400
    assert "unknown field" in answer.json()["source_id"][0]
    assert not Adjudication.objects.exists()
