"""POST /api/v1/articles/ and /api/v1/articles/batch/: the ingest rules through the API (issues 12.3, 17.1)."""

import json

import pytest

from annotate.models import Article, Outlet, Sentence

from .conftest import client_for

pytestmark = pytest.mark.django_db
TEXT = "Officials said the bridge reopened on Monday. Traffic is expected to rise.\n\nOriginal Source: example.com"


def post(client, path, body):
    """JSON with \\u escapes, as a client would send a lone surrogate or a NUL."""
    return client.post(path, json.dumps(body), content_type="application/json")


def record(i: int, **extra) -> dict:
    return {
        "title": f"Article {i}",
        "url": f"https://news.example.com/{i}",
        "outlet": "news.example.com",
        "published": "2024-05-01",
        "text": f"Story number {i} happened on Monday. Officials said it was calm. Traffic rose by 3.5 per cent.",
        **extra,
    }


@pytest.mark.parametrize(
    ("body", "field", "message"),
    [
        ({"text": "A lone \ud800 surrogate.\nOriginal Source: a.com"}, "text", "urrogate"),
        ({"text": TEXT, "title": "x\udc00y"}, "title", "urrogate"),
        ({"text": '{"text": "in JSON \\ud800 form", "outlet": "a.com"}'}, "text", "unpaired surrogate (\\ud800)"),
        ({"text": TEXT, "outlet": ("a" * 60 + ".") * 5 + "com"}, "outlet", "over the 253-character limit"),
        ({"text": "\u200b\u200d\ufeff"}, "text", "empty text"),
        ({"text": '{"text": "in JSON \\u0000 form", "outlet": "a.com"}'}, "text", "NUL"),
    ],
)
def test_what_postgresql_cannot_store_is_a_400_on_every_database(lead_client, body, field, message):
    response = post(lead_client, "/api/v1/articles/", body)
    assert response.status_code == 400, response.content
    assert message in str(response.json()[field])
    assert Article.objects.count() == Outlet.objects.count() == 0


def test_a_batch_is_stored_at_once_and_again_changes_nothing(lead_client):
    articles = [record(i) for i in range(5)]
    response = lead_client.post("/api/v1/articles/batch/", {"articles": articles}, format="json")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert (body["added"], body["skipped"]) == (5, 0)
    assert body["sentences"] == Sentence.objects.count() == 15
    stored = {a.pk: a for a in Article.objects.all()}
    for item in body["results"]:
        article = stored[item["id"]]
        assert article.title == f"Article {item['index']}"
        assert item["created"] is True
        assert item["sentences"] == article.sentences.count() == 3

    again = lead_client.post("/api/v1/articles/batch/", {"articles": articles}, format="json")
    assert again.status_code == 200
    assert (again.json()["added"], again.json()["skipped"]) == (0, 5)
    assert [item["id"] for item in again.json()["results"]] == [item["id"] for item in body["results"]]
    assert Article.objects.count() == 5


def test_a_batch_with_one_bad_article_names_it_and_stores_nothing(lead_client):
    articles = [record(0), record(1, url="ftp://x.com/1"), record(2, text="\u0000"), record(3, colour="red")]
    response = lead_client.post("/api/v1/articles/batch/", {"articles": articles}, format="json")
    assert response.status_code == 400
    errors = response.json()["articles"]
    assert "colour" in str(errors)
    assert Article.objects.count() == 0
    response = lead_client.post("/api/v1/articles/batch/", {"articles": articles[:2]}, format="json")
    assert response.status_code == 400
    assert response.json() == {"articles": {"1": {"url": "url: 'ftp://x.com/1' is not an http(s) URL"}}}
    response = post(lead_client, "/api/v1/articles/batch/", {"articles": [record(0), record(1, title="a\udfffb")]})
    assert response.status_code == 400
    assert "urrogate" in str(response.json()["articles"])
    assert Article.objects.count() == 0


@pytest.mark.parametrize("body", [{}, {"articles": []}, {"articles": "x"}, {"articles": [1]}, {"other": 1}])
def test_a_malformed_batch_is_a_400(lead_client, body):
    assert lead_client.post("/api/v1/articles/batch/", body, format="json").status_code == 400


def test_only_leads_ingest_batches(reviewer):
    response = client_for(reviewer).post("/api/v1/articles/batch/", {"articles": [record(0)]}, format="json")
    assert response.status_code == 403
    assert client_for().post("/api/v1/articles/batch/", {"articles": [record(0)]}, format="json").status_code in (
        401,
        403,
    )
    assert Article.objects.count() == 0


def test_a_batch_costs_the_same_queries_for_2_or_200_articles(lead_client, django_assert_max_num_queries):
    with django_assert_max_num_queries(14):
        assert lead_client.post("/api/v1/articles/batch/", {"articles": [record(i) for i in range(2)]}, format="json")
    articles = [record(i) for i in range(2, 202)]
    with django_assert_max_num_queries(14):
        response = lead_client.post("/api/v1/articles/batch/", {"articles": articles}, format="json")
    assert response.json()["added"] == 200


def test_a_lone_surrogate_in_the_text_gets_drfs_message(lead_client):
    """LongTextField checks surrogates with one regular expression; the error is DRF's own."""
    response = post(lead_client, "/api/v1/articles/", {"text": "Fine text \udc01 here.\nOriginal Source: a.com"})
    assert response.status_code == 400
    assert response.json()["text"] == ["Surrogate characters are not allowed: U+DC01."]
    response = post(lead_client, "/api/v1/articles/batch/", {"articles": [record(1, text="x \ud800 y")]})
    assert response.status_code == 400
    assert "Surrogate characters are not allowed: U+D800." in str(response.json())


@pytest.mark.parametrize("extra", [{}, {"topic": "Transport", "published": ""}])
def test_the_per_article_answer_is_the_serializers_output_of_the_stored_article(lead_client, extra, settings):
    """The view builds its answer from what it wrote (serializers.ingest_result_body) instead of
    reading the article back and running IngestResultSerializer: the same JSON, created or not."""
    from annotate.serializers import IngestResultSerializer

    settings.CLAIMS_AUTO_MATCH = False
    for expected_status, created in ((201, True), (200, False)):
        response = post(lead_client, "/api/v1/articles/", record(7, **extra))
        assert response.status_code == expected_status, response.content
        body = response.json()
        article = Article.objects.select_related("outlet", "topic").prefetch_related("sentences").get(pk=body["id"])
        article.created, article.message = created, body["message"]
        expected = json.loads(json.dumps(IngestResultSerializer(article).data))
        assert body == expected
        assert list(body) == list(expected)
        assert body["created"] is created
        assert len(body["sentences"]) == 3


def test_a_per_article_post_costs_the_same_queries_for_3_or_300_sentences(lead_client, settings):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    settings.CLAIMS_AUTO_MATCH = False  # the match is the task's work, not the request's
    assert post(lead_client, "/api/v1/articles/", record(0)).status_code == 201  # the outlet exists now
    counts = []
    for i, sentences in ((1, 3), (2, 300)):
        text = " ".join(f"Sentence {n} of story {i} says the bridge reopened." for n in range(sentences))
        with CaptureQueriesContext(connection) as queries:
            response = post(lead_client, "/api/v1/articles/", record(i, text=text))
        assert response.status_code == 201
        assert len(response.json()["sentences"]) == sentences
        counts.append(len(queries))
    # SAVEPOINT and RELEASE (the test's transaction), known articles, outlet, article insert,
    # sentences read back, links check; PostgreSQL: advisory lock (the sentences' COPY is not
    # counted); SQLite: the sentences' executemany.
    assert counts == [8, 8], counts


@pytest.mark.parametrize(
    "extra",
    [{"text": 5}, {"title": 123}, {"url": 7}, {"outlet": True}, {"published": 20240501}, {"topic": 1.5}],
)
def test_a_number_or_boolean_is_no_string_in_either_endpoint(lead_client, extra):
    # Like a JSONL line of `manage.py ingest` ("text: expected a string"): DRF's CharField would
    # store 5 as the article text "5".
    (field,) = extra
    response = post(lead_client, "/api/v1/articles/", {"text": TEXT, **extra})
    assert response.status_code == 400, response.content
    assert field in response.json()
    response = post(lead_client, "/api/v1/articles/batch/", {"articles": [record(0, **extra)]})
    assert response.status_code == 400, response.content
    assert list(response.json()["articles"]["0"]) == [field]
    assert Article.objects.count() == Outlet.objects.count() == 0


def test_null_fields_are_absent_ones_in_both_endpoints(lead_client):
    # A JSONL line and a batch article take null for a missing field (as pandas writes it): so does one article.
    nulls = {"title": None, "url": None, "published": None, "topic": None}
    response = post(lead_client, "/api/v1/articles/", {"text": TEXT, "outlet": None, **nulls})
    assert response.status_code == 201, response.content
    assert response.json()["outlet"] == "example.com"
    assert (response.json()["url"], response.json()["published"], response.json()["topic"]) == ("", None, None)
    response = post(lead_client, "/api/v1/articles/batch/", {"articles": [record(1, **nulls)]})
    assert response.status_code == 201, response.content
    assert Article.objects.count() == 2


def test_the_request_fields_override_a_json_record_as_they_override_a_plain_text(lead_client):
    # ArticleIngestSerializer: "the other fields override what the text says"; beside a JSON record
    # the url, title and published date were dropped without a word.
    text = json.dumps({"text": "Story one happened. It was calm.", "outlet": "a.example", "title": "Old"})
    extra = {"url": "https://b.example/story", "title": "New", "published": "2024-05-01", "topic": "Weather"}
    response = post(lead_client, "/api/v1/articles/", {"text": text, "outlet": "b.example", **extra})
    assert response.status_code == 201, response.content
    body = response.json()
    assert [body[name] for name in ("outlet", *extra)] == ["b.example", *extra.values()]
    response = post(lead_client, "/api/v1/articles/", {"text": json.dumps({"text": "Two.", "outlet": "a.example"})})
    assert (response.status_code, response.json()["outlet"], response.json()["url"]) == (201, "a.example", "")
    response = post(
        lead_client, "/api/v1/articles/", {"text": "\ufeff " + json.dumps({"text": "Three."}), "outlet": "b.example"}
    )
    assert (response.status_code, response.json()["outlet"]) == (201, "b.example")
