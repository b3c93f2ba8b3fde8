"""The front page: corpus counts, the latest readable scores, and each role's next step."""

import pytest
from django.urls import reverse

from annotate.codebook import Label
from annotate.models import Sentence
from annotate.services import assign_articles
from reliability.services import recompute_outlet_scores

from .conftest import scored_outlet

pytestmark = pytest.mark.django_db


def test_anonymous_sees_counts_and_published_scores_only(client, build):
    scored_outlet(build, "scored.example")
    run = recompute_outlet_scores()
    response = client.get(reverse("home"))
    assert response.status_code == 200
    assert "No scores published yet" in response.content.decode()
    run.published = True
    run.save()
    page = client.get(reverse("home")).content.decode()
    assert "scored.example" in page
    sentences = Sentence.objects.filter(reviewable=True).count()
    assert f"{sentences} reviewable sentences" in page
    assert "Your next step" not in page


def test_reviewer_is_pointed_at_their_queue(client, sample_article, reviewer):
    assign_articles(articles=[sample_article], reviewers=[reviewer], overlap=1)
    client.force_login(reviewer)
    page = client.get(reverse("home")).content.decode()
    assert "Continue where you stopped" in page
    assert "1 article open" in page
    assert "Adjudication" not in page


def test_lead_sees_disputes_and_unassigned_articles(client, build, lead, django_assert_max_num_queries):
    outlet = build.outlet("disputed.example")
    article = build.article(outlet, 2)
    first, second = article.sentences.order_by("position")
    build.marks(first, [Label.CLAIM, Label.ANALYSIS], [None, None])
    build.marks(second, [Label.CLAIM, Label.CLAIM], [None, None])
    build.article(outlet, 3)  # nobody is assigned to this one
    client.force_login(lead)
    with django_assert_max_num_queries(15):
        page = client.get(reverse("home")).content.decode()
    assert "1 disputed sentence waiting" in page
    assert "1 article not assigned yet" in page
