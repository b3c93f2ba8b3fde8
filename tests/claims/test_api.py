"""GET /api/v1/claims/ and the rewrite links on /api/v1/articles/<id>/."""

import pytest
from rest_framework.test import APIClient

from claims import services
from claims.models import ClaimGroup

from .conftest import OTHER, REUTERS, REWRITE

pytestmark = pytest.mark.django_db


@pytest.fixture
def corpus(ingest):
    original = ingest(REUTERS, "reuters.com", "2024-12-01")
    rewrite = ingest(REWRITE, "levantdigest.example", "2024-12-02")
    ingest(OTHER, "bbc.co.uk", "2024-12-03")
    services.match_corpus()
    return original, rewrite


def test_claims_list_with_members_and_filters(corpus, django_assert_max_num_queries):
    api = APIClient()
    with django_assert_max_num_queries(4):
        body = api.get("/api/v1/claims/").json()
    assert body["count"] == ClaimGroup.objects.count() >= 4
    claim = body["results"][0]
    assert set(claim) == {
        "id",
        "status",
        "first_published",
        "outlet_count",
        "member_count",
        "url",
        "members",
        "updated",
    }
    assert [m["outlet"] for m in claim["members"]] == ["reuters.com", "levantdigest.example"]
    assert api.get("/api/v1/claims/", {"outlet": "bbc.co.uk"}).json()["count"] == 0
    for given in ("reuters.com", "www.Reuters.com", "https://www.reuters.com/world/"):  # as ingest stores it
        assert api.get("/api/v1/claims/", {"outlet": given}).json()["count"] == body["count"]
    assert api.get("/api/v1/claims/", {"status": "unsourced"}).json()["count"] == body["count"]
    assert api.get("/api/v1/claims/", {"published_after": "2024-12-02"}).json()["count"] == 0
    assert api.get("/api/v1/claims/", {"status": "nonsense"}).status_code == 400
    assert api.get("/api/v1/claims/", {"published_before": "2024-13-45"}).status_code == 400
    assert api.get(f"/api/v1/claims/{claim['id']}/").json()["id"] == claim["id"]


def test_claims_api_follows_public_scores(corpus, settings):
    settings.PUBLIC_SCORES = False
    assert APIClient().get("/api/v1/claims/").status_code in (401, 403)


def test_article_detail_carries_its_rewrite_links(corpus, lead):
    original, rewrite = corpus
    api = APIClient()
    api.force_authenticate(lead)
    links = api.get(f"/api/v1/articles/{rewrite.pk}/").json()["rewrite_links"]
    assert [(link["kind"], link["original_domain"], link["original_article"]["id"]) for link in links] == [
        ("detected", "reuters.com", original.pk)
    ]
    assert links[0]["similarity"] == 1.0
    assert links[0]["status"] == "pending"
    assert api.get(f"/api/v1/articles/{original.pk}/").json()["rewrite_links"] == []
