"""Articles (ingest), sentences, sources and assignments."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from annotate.models import Article, Assignment, Source, SourceAlias
from annotate.services import MarkInput, save_annotation

from .conftest import client_for

pytestmark = pytest.mark.django_db
TEXT = "Officials said the bridge reopened on Monday. Traffic is expected to rise.\n\nOriginal Source: example.com"


def test_lead_ingests_an_article_and_gets_its_sentences(lead_client):
    response = lead_client.post("/api/v1/articles/", {"text": TEXT, "published": "2024-05-01"}, format="json")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["created"] is True
    assert body["outlet"] == "example.com"
    assert [s["text"] for s in body["sentences"]][:2] == [
        "Officials said the bridge reopened on Monday.",
        "Traffic is expected to rise.",
    ]
    assert all(body["text"][s["start"] : s["end"]] == s["text"] for s in body["sentences"])
    again = lead_client.post("/api/v1/articles/", {"text": TEXT}, format="json")
    assert again.status_code == 200
    assert again.json()["created"] is False
    assert Article.objects.count() == 1


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"text": "No outlet anywhere."}, "outlet"),
        ({"text": TEXT, "published": "May 1st"}, "published"),
        ({"text": TEXT, "url": "ftp://example.com/x"}, "url"),
        ({"text": "   "}, "text"),
        ({"text": '{"title": "x", "text": "y", "outlet": "a.com", "extra": 1}'}, "text"),
        ({"text": TEXT, "colour": "red"}, "colour"),
        ({}, "text"),
    ],
)
def test_bad_ingest_is_400_naming_the_field_and_writes_nothing(lead_client, body, field):
    response = lead_client.post("/api/v1/articles/", body, format="json")
    assert response.status_code == 400, response.json()
    assert field in response.json()
    assert Article.objects.count() == 0


def test_reviewer_sees_only_assigned_articles_and_cannot_ingest(reviewer_client, assigned_article, make_user):
    assert reviewer_client.get("/api/v1/articles/").json()["count"] == 1
    outsider = client_for(make_user("outsider"))
    assert outsider.get("/api/v1/articles/").json()["count"] == 0
    assert outsider.get(f"/api/v1/articles/{assigned_article.pk}/sentences/").status_code == 404
    assert reviewer_client.post("/api/v1/articles/", {"text": TEXT}, format="json").status_code == 403


def test_sentences_in_document_order(reviewer_client, assigned_article):
    url = reverse("api:article-sentences", args=[assigned_article.pk])
    body = reviewer_client.get(url + "?page_size=100").json()
    assert body["count"] == 20
    assert [s["position"] for s in body["results"]] == list(range(20))
    assert set(body["results"][0]) == {"id", "position", "start", "end", "text", "reviewable"}
    assert body["results"][19]["reviewable"] is False
    assert reviewer_client.get(url + "?reviewable=false").json()["count"] == 1


def test_source_search_by_name_or_alias_prefix(reviewer_client, source):
    SourceAlias.objects.create(source=source, name="Syria Civil Defence")
    Source.objects.create(name="Reuters", kind="media")
    names = lambda q: [s["name"] for s in reviewer_client.get(f"/api/v1/sources/?search={q}").json()["results"]]  # noqa: E731
    assert names("the wh") == ["The White Helmets"]
    assert names("syria") == ["The White Helmets"]
    assert names("reu") == ["Reuters"]
    assert reviewer_client.get("/api/v1/sources/?search=syria").json()["results"][0]["aliases"] == [
        "Syria Civil Defence"
    ]


def test_source_search_finds_a_word_inside_a_name_or_alias_after_the_prefix_matches(reviewer_client, source):
    """A reviewer types the word the sentence uses ("Jolani said"): the registry's "Abu Mohammed
    al-Jolani" must come up, or the type-ahead shows nothing and a duplicate source gets created.
    Whole-name prefix matches come first."""
    Source.objects.create(name="Abu Mohammed al-Jolani", kind="person")
    Source.objects.create(name="Reuters", kind="media")
    Source.objects.create(name="A Reuters witness", kind="anonymous")
    SourceAlias.objects.create(source=source, name="Syria Civil Defence")
    names = lambda q: [s["name"] for s in reviewer_client.get(f"/api/v1/sources/?search={q}").json()["results"]]  # noqa: E731
    assert names("jolani") == ["Abu Mohammed al-Jolani"]
    assert names("helmets") == ["The White Helmets"]
    assert names("civil def") == ["The White Helmets"]
    assert names("reu") == ["Reuters", "A Reuters witness"]
    assert names("olani") == []  # the start of a word, not any piece of it
    assert names("witness&ordering=-name") == ["A Reuters witness"]


def test_any_reviewer_adds_a_source_but_only_leads_change_it(reviewer_client, lead_client, reviewer):
    response = reviewer_client.post(
        "/api/v1/sources/",
        {"name": "UN OCHA", "kind": "organisation", "side": None, "aliases": ["OCHA", "ocha", " "]},
        format="json",
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["aliases"] == ["OCHA"]
    assert body["side_name"] is None
    assert Source.objects.get(pk=body["id"]).created_by == reviewer
    duplicate = reviewer_client.post("/api/v1/sources/", {"name": "un ocha", "kind": "organisation"}, format="json")
    assert duplicate.status_code == 400
    assert "name" in duplicate.json()
    url = f"/api/v1/sources/{body['id']}/"
    assert reviewer_client.patch(url, {"name": "OCHA"}, format="json").status_code == 403
    assert reviewer_client.delete(url).status_code == 403
    response = lead_client.patch(url, {"aliases": ["United Nations OCHA"]}, format="json")
    assert response.status_code == 200
    assert response.json()["aliases"] == ["United Nations OCHA"]
    assert lead_client.delete(url).status_code == 204


def test_source_in_use_cannot_be_deleted(lead_client, assigned_article, reviewer, source):
    sentence = assigned_article.sentences.get(position=7)
    save_annotation(reviewer=reviewer, sentence=sentence, mark=MarkInput(label="attribution", source=source))
    response = lead_client.delete(f"/api/v1/sources/{source.pk}/")
    assert response.status_code == 409
    assert "in use" in response.json()["detail"]


def test_submit_needs_every_reviewable_sentence_marked(reviewer_client, reviewer, assigned_article):
    assignment = Assignment.objects.get(reviewer=reviewer)
    url = reverse("api:assignment-submit", args=[assignment.pk])
    response = reviewer_client.post(url)
    assert response.status_code == 400
    assert response.json() == {"article": "19 sentence(s) are not marked yet"}
    for sentence in assigned_article.sentences.filter(reviewable=True):
        save_annotation(reviewer=reviewer, sentence=sentence, mark=MarkInput(label="claim"))
    response = reviewer_client.post(url)
    assert response.status_code == 200
    assert response.json()["submitted_at"]


def test_leads_assign_and_duplicates_name_the_reviewer(lead_client, reviewer_client, sample_article, reviewer):
    body = {"article": sample_article.pk, "reviewer": "reviewer1"}
    response = lead_client.post("/api/v1/assignments/", body, format="json")
    assert response.status_code == 201
    assert response.json()["assigned_by"] == "lead"
    duplicate = lead_client.post("/api/v1/assignments/", body, format="json")
    assert duplicate.status_code == 400
    assert "reviewer" in duplicate.json()
    assert reviewer_client.post("/api/v1/assignments/", body, format="json").status_code == 403
    assert reviewer_client.get("/api/v1/assignments/?submitted=false").json()["count"] == 1


@pytest.mark.parametrize("given", ["WWW.Example.ORG", "https://www.example.org/world/", "example.org."])
def test_an_outlet_added_by_hand_is_stored_as_ingest_stores_its_domain(lead_client, given):
    # DESIGN: an outlet is a normalised domain; otherwise an article from example.org makes a second outlet.
    response = lead_client.post("/api/v1/outlets/", {"domain": given, "name": "Example"}, format="json")
    assert response.status_code == 201, response.json()
    assert response.json()["domain"] == "example.org"
    ingested = lead_client.post("/api/v1/articles/", {"text": "It rained.", "outlet": "example.org"}, format="json")
    assert ingested.json()["outlet_id"] == response.json()["id"]


def test_an_outlet_domain_that_is_no_domain_or_taken_is_a_400(lead_client):
    response = lead_client.post("/api/v1/outlets/", {"domain": "Sky News"}, format="json")
    assert response.status_code == 400
    assert "not a domain" in str(response.json()["domain"])
    assert lead_client.post("/api/v1/outlets/", {"domain": "example.org"}, format="json").status_code == 201
    response = lead_client.post("/api/v1/outlets/", {"domain": "www.Example.org"}, format="json")
    assert response.status_code == 400
    assert "domain" in response.json()


def test_pages_of_an_ordering_with_ties_neither_repeat_nor_skip_an_article(lead_client):
    # Articles of one day tie on `published`: ORDER BY published alone lets PostgreSQL return the
    # ties in any order from one LIMIT/OFFSET query to the next. The primary key ends every ordering.
    body = {
        "articles": [
            {"text": f"Event {i} happened.", "outlet": "example.com", "published": "2024-05-01"} for i in range(12)
        ]
    }
    assert lead_client.post("/api/v1/articles/batch/", body, format="json").status_code == 201
    seen = []
    for ordering in ("published", "-published"):
        for page in (1, 2, 3):
            with CaptureQueriesContext(connection) as queries:
                response = lead_client.get(f"/api/v1/articles/?ordering={ordering}&page_size=5&page={page}")
            seen += [article["id"] for article in response.json()["results"]]
            listed = [q["sql"] for q in queries.captured_queries if "LIMIT" in q["sql"]][-1]
            assert listed.rstrip().split("ORDER BY")[1].split("LIMIT")[0].rstrip().endswith(('"id" ASC', '"id" DESC'))
    ids = list(Article.objects.values_list("pk", flat=True))
    assert sorted(seen) == sorted(ids + ids)


@pytest.mark.parametrize("given", ["example.com", "EXAMPLE.com", "www.example.com", "https://www.example.com/world/"])
def test_articles_filter_by_a_domain_as_ingest_stores_it(lead_client, given):
    lead_client.post("/api/v1/articles/", {"text": "It rained.", "outlet": "https://www.Example.com/x"}, format="json")
    lead_client.post("/api/v1/articles/", {"text": "It snowed.", "outlet": "other.example"}, format="json")
    body = lead_client.get("/api/v1/articles/", {"outlet_domain": given}).json()
    assert [article["outlet"] for article in body["results"]] == ["example.com"]
    assert lead_client.get("/api/v1/articles/", {"outlet_domain": "Example"}).json()["count"] == 0
