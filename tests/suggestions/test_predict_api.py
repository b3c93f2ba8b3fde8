"""`suggest predict` (suggestions for any input, stored nowhere) and the suggestion API."""

import json
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from rest_framework.test import APIClient

from annotate.ingest import parse_plain_text
from annotate.models import Annotation, Article, Assignment, Sentence
from suggestions.model import default_model
from tests.conftest import SAMPLE_ARTICLE


def predict(*args: str) -> list[dict]:
    out = StringIO()
    call_command("suggest", "predict", *args, stdout=out)
    return [json.loads(line) for line in out.getvalue().splitlines()]


def test_predict_on_the_sample_gives_offsets_into_the_article_text(db, sample_bytes):
    records = predict(str(SAMPLE_ARTICLE))
    text = parse_plain_text(sample_bytes, origin="x").text
    assert len(records) == 20
    assert [r["position"] for r in records] == list(range(20))
    attributions = 0
    for record in records:
        assert text[record["start"] : record["end"]] == record["text"]
        if record["source_span"]:
            start, end = record["source_span"]
            assert record["start"] <= start < end <= record["end"]
        if record["cue_span"]:
            start, end = record["cue_span"]
            assert record["start"] <= start < end <= record["end"]
        attributions += record["label"] == "attribution"
    helmets = next(r for r in records if r["text"].startswith("The White Helmets"))
    assert helmets["label"] == "attribution"
    assert helmets["source_name"] == "The White Helmets"
    cue_start, cue_end = helmets["cue_span"]
    assert text[cue_start:cue_end] == "affirmed"
    assert records[-1]["reviewable"] is False
    assert records[-1]["label"] is None
    assert {r["model_version"] for r in records[:-1]} == {default_model().version}
    assert all(isinstance(r["prefill"], bool) for r in records[:-1])
    assert attributions >= 4
    assert not Article.objects.exists()
    assert not Sentence.objects.exists()


def test_predict_reads_jsonl_from_stdin(db, monkeypatch):
    import io
    import sys

    line = json.dumps({"title": "T", "outlet": "example.org", "text": "Officials said ten people died. It rained."})
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(line.encode())))
    records = predict("-")
    assert [r["article"] for r in records] == ["T", "T"]
    assert records[0]["label"] == "attribution"
    assert records[0]["file"] == "stdin"


def test_predict_bad_inputs_are_clear_errors_and_store_nothing(db, tmp_path):
    with pytest.raises(CommandError, match="no such file or folder"):
        predict(str(tmp_path / "missing.txt"))
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"title": "x", "text": "A said b.", "outlet": "example.org"}\n{not json\n')
    err = StringIO()
    with pytest.raises(CommandError, match="1 input\\(s\\) failed validation; nothing was predicted"):
        call_command("suggest", "predict", str(bad), stdout=StringIO(), stderr=err)
    assert "bad.jsonl, line 2: malformed JSON" in err.getvalue()
    no_outlet = tmp_path / "plain.txt"
    no_outlet.write_text("Somebody said something.")
    with pytest.raises(CommandError):
        predict(str(no_outlet))
    assert predict(str(no_outlet), "--outlet", "example.org")[0]["label"] == "attribution"
    assert not Article.objects.exists()


def test_folds_below_two_are_refused(db):
    with pytest.raises(CommandError, match="--folds must be at least 2"):
        call_command("suggest", "evaluate", "--folds", "1")


@pytest.fixture
def api(reviewer, sample_article):
    """A reviewer's client; the sample article is assigned to them."""
    Assignment.objects.create(article=sample_article, reviewer=reviewer)
    client = APIClient()
    client.force_authenticate(reviewer)
    return client


def test_api_answers_only_for_articles_the_user_may_read(reviewer, reviewer2, lead, sample_article):
    """Issue 12 item 13: any signed-in reviewer got the suggestion of any sentence id."""
    Assignment.objects.create(article=sample_article, reviewer=reviewer)
    sentence = sample_article.sentences.get(text__startswith="The White Helmets")
    url = f"/api/v1/sentences/{sentence.pk}/suggestion/"
    statuses = {}
    for user in (reviewer, reviewer2, lead):
        client = APIClient()
        client.force_authenticate(user)
        statuses[user.username] = client.get(url).status_code
    assert statuses == {"reviewer1": 200, "reviewer2": 404, "lead": 200}


def test_api_returns_the_suggestion_of_a_sentence(api, sample_article):
    sentence = sample_article.sentences.get(text__startswith="The White Helmets")
    response = api.get(f"/api/v1/sentences/{sentence.pk}/suggestion/")
    assert response.status_code == 200
    body = response.json()
    assert body["sentence"] == sentence.pk
    assert body["label"] == "attribution"
    start, end = body["source_span"]
    assert sentence.text[start:end] == "The White Helmets"
    assert body["model_version"] == default_model().version
    assert isinstance(body["prefill"], bool)
    assert not Annotation.objects.exists()  # a suggestion is never a mark


def test_api_404_for_unknown_and_non_reviewable_sentences(api, sample_article):
    assert api.get("/api/v1/sentences/999999/suggestion/").status_code == 404
    trailer = sample_article.sentences.get(reviewable=False)
    response = api.get(f"/api/v1/sentences/{trailer.pk}/suggestion/")
    assert response.status_code == 404
    assert "not reviewable" in response.json()["detail"]


def test_api_needs_a_signed_in_user(sample_article):
    sentence = sample_article.sentences.first()
    assert APIClient().get(f"/api/v1/sentences/{sentence.pk}/suggestion/").status_code in (401, 403)


def test_api_suggests_in_the_article_context_in_constant_queries(api, sample_article, django_assert_num_queries):
    from suggestions.predict import suggestions_for_sentences

    sentence = sample_article.sentences.get(position=7)
    # the leads-group check (who may read the article), the sentence and its article, the article's
    # sentences, model, registry
    with django_assert_num_queries(5):
        body = api.get(f"/api/v1/sentences/{sentence.pk}/suggestion/").json()
    page = suggestions_for_sentences(list(sample_article.sentences.all()))[sentence.pk]
    assert {key: body[key] for key in page} == page  # the same suggestion as the annotation page shows
