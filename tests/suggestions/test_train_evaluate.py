"""Training, payload versions, gold data and evaluation of the suggestion model."""

import json
import logging
import pickle
import random
from io import StringIO

import pytest
from django.core.management import call_command

from annotate.models import Adjudication, Annotation
from suggestions import model as suggest_model
from suggestions.evaluate import GoldSentence, fold_assignment, gold_sentences, label_scores, span_scores
from suggestions.model import RULES_VERSION, active_suggester
from suggestions.models import SuggestionModel
from suggestions.predict import suggestions_for_sentences
from suggestions.tasks import train_suggestion_model_task

from .conftest import make_gold_corpus


def run(*args: str) -> str:
    out = StringIO()
    call_command("suggest", *args, stdout=out)
    return out.getvalue()


def test_train_below_minimum_keeps_the_rules_and_says_so(reviewer, settings):
    settings.SUGGEST_MIN_TRAINING = 200
    make_gold_corpus([reviewer], articles=3, sentences=10)
    output = run("train")
    assert "only 30 gold-labelled sentence(s); at least 200 are needed (SUGGEST_MIN_TRAINING)" in output
    assert "suggestions use the rules (rules-1)" in output
    assert not SuggestionModel.objects.exists()
    assert active_suggester().version == RULES_VERSION


def test_train_above_minimum_stores_an_active_model_used_by_suggestions(reviewer, settings, django_assert_num_queries):
    settings.SUGGEST_MIN_TRAINING = 60
    articles = make_gold_corpus([reviewer], articles=8, sentences=12)
    output = run("train", "--folds", "3")
    model = SuggestionModel.objects.get(is_active=True)
    assert model.version.startswith("lr-")
    assert model.version.endswith("-96")
    assert model.training_size == 96
    assert model.kind == "learned"
    assert model.metrics["sklearn_version"] == suggest_model.sklearn_version()
    assert model.metrics["evaluation"]["models"]["learned"]["labels"]["attribution"]["support"] > 0
    assert f"trained {model.version} on 96 gold-labelled sentences" in output
    sentences = list(articles[0].sentences.all())
    suggestions = suggestions_for_sentences(sentences)  # first call loads the payload
    assert {s["model_version"] for s in suggestions.values()} == {model.version}
    correct = sum(suggestions[s.pk]["label"] == s.annotations.get().label for s in sentences)
    assert correct >= len(sentences) - 1
    with django_assert_num_queries(2):
        suggestions_for_sentences(sentences)
    # a second training replaces the active model
    run("train", "--skip-evaluation")
    assert SuggestionModel.objects.filter(is_active=True).count() == 1
    assert SuggestionModel.objects.count() == 2


def test_training_as_a_background_task(reviewer, settings):
    settings.SUGGEST_MIN_TRAINING = 20
    make_gold_corpus([reviewer], articles=3, sentences=10)
    result = train_suggestion_model_task.enqueue(folds=2)
    assert "trained lr-" in result.return_value
    assert SuggestionModel.objects.filter(is_active=True, training_size=30).exists()


def test_payload_from_another_sklearn_version_falls_back_to_rules(sample_article, monkeypatch, caplog):
    pipeline = suggest_model.build_pipeline().fit(
        ["a said b.", "c happened.", "x said y.", "z happened."], ["attribution", "claim", "attribution", "claim"]
    )
    monkeypatch.setattr(suggest_model, "sklearn_version", lambda: "0.0.1")
    payload = suggest_model.dump_payload(pipeline)
    monkeypatch.undo()
    SuggestionModel.objects.create(version="lr-old", kind="learned", payload=payload, is_active=True)
    with caplog.at_level(logging.WARNING, logger="suggestions.suggest"):
        suggestions = suggestions_for_sentences(list(sample_article.sentences.all()))
    assert {s["model_version"] for s in suggestions.values()} == {RULES_VERSION}
    assert "made with scikit-learn 0.0.1" in caplog.text
    assert "falling back to the rules" in caplog.text


def test_damaged_payload_falls_back_to_rules(sample_article):
    SuggestionModel.objects.create(version="lr-bad", kind="learned", payload=pickle.dumps("junk"), is_active=True)
    assert active_suggester().version == RULES_VERSION


def test_gold_sentences_follow_the_gold_rules_in_three_queries(
    reviewer, reviewer2, lead, make_user, django_assert_num_queries
):
    third = make_user("reviewer3")
    (article,) = make_gold_corpus([reviewer, reviewer2, third], articles=1, sentences=6)
    first, second, third_sentence, *_ = article.sentences.all()
    # second: 2 of 3 say analysis -> majority analysis, spans only from the analysis marks
    Annotation.objects.filter(sentence=second).exclude(reviewer=third).update(
        label="analysis", source=None, source_start=None, source_end=None
    )
    # third: a 1-1-1 split is disputed, unless a lead adjudicated
    labels = iter(["claim", "analysis", "other"])
    for mark in Annotation.objects.filter(sentence=third_sentence):
        mark.label, mark.source, mark.source_start, mark.source_end = next(labels), None, None, None
        mark.save()
    with django_assert_num_queries(3):
        gold = {g.sentence_id: g for g in gold_sentences()}
    assert gold[second.pk].label == "analysis"
    assert gold[second.pk].spans == ()
    assert third_sentence.pk not in gold
    Adjudication.objects.create(sentence=third_sentence, label="other", lead=lead)
    assert {g.sentence_id: g for g in gold_sentences()}[third_sentence.pk].label == "other"
    assert len(gold) == 5


def test_fold_assignment_never_splits_an_article():
    rng = random.Random(3)
    article_ids = [rng.randint(1, 23) for _ in range(500)]
    folds = fold_assignment(article_ids, 5)
    fold_of_article: dict[int, int] = {}
    for article_id, fold in zip(article_ids, folds, strict=True):
        assert fold_of_article.setdefault(article_id, fold) == fold
    assert set(folds) == {0, 1, 2, 3, 4}
    assert set(fold_assignment([7, 7, 8], 5)) == {0, 1}  # capped at the number of articles


def test_evaluate_prints_per_label_and_span_metrics_for_rules_and_model(reviewer):
    make_gold_corpus([reviewer], articles=6, sentences=10)
    Annotation.objects.filter(pk__in=Annotation.objects.values("pk")[:4]).update(
        from_suggestion=True, suggestion_version="rules-1"
    )
    output = run("evaluate", "--folds", "3")
    assert "60 in 6 article(s); 3-fold cross-validation by article" in output
    assert "rules: accuracy" in output
    assert "learned: accuracy" in output
    for label in ("claim", "attribution", "analysis", "other", "exact", "token overlap"):
        assert f"  {label} " in output
    assert "confusion (rows: gold, columns: suggested)" in output
    assert "Accepted unchanged from a suggestion: 4 of 60 marks (6.7%); by version: rules-1 4" in output
    report = json.loads(run("evaluate", "--folds", "3", "--format", "json"))
    assert report["folds"] == 3
    assert report["sentences"] == 60
    rules = report["models"]["rules"]
    assert set(rules["labels"]) == {"claim", "attribution", "analysis", "other"}
    assert sum(map(sum, rules["confusion"]["matrix"])) == 60
    assert report["acceptance"]["rate"] == pytest.approx(4 / 60, abs=1e-4)
    assert report["models"]["learned"]["accuracy"] > 0.8


def test_evaluate_without_gold_labels_is_a_clear_error(db):
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="no gold-labelled sentences yet"):
        run("evaluate")


def test_evaluate_with_one_article_skips_the_learned_model(reviewer):
    make_gold_corpus([reviewer], articles=1, sentences=8)
    assert "learned: not evaluated (cross-validation needs at least two articles)" in run("evaluate")


def test_label_scores_by_hand():
    gold = ["claim", "claim", "attribution", "analysis"]
    predicted = [("claim", 0.9), ("attribution", 0.6), ("attribution", 0.95), ("claim", 0.4)]
    scores = label_scores(gold, predicted)
    assert scores["labels"]["claim"] == {"precision": 0.5, "recall": 0.5, "f1": 0.5, "support": 2}
    assert scores["labels"]["attribution"] == {"precision": 0.5, "recall": 1.0, "f1": 0.6667, "support": 1}
    assert scores["labels"]["analysis"]["recall"] == 0.0
    assert scores["accuracy"] == 0.5
    assert scores["macro_f1"] == pytest.approx((0.5 + 0.6667 + 0) / 3, abs=1e-4)
    assert scores["confusion"]["matrix"][0] == [1, 1, 0, 0]
    assert scores["coverage"][0] == {"threshold": 0.5, "coverage": 0.75, "accuracy": 0.6667}
    assert scores["coverage"][2] == {"threshold": 0.9, "coverage": 0.5, "accuracy": 1.0}


def test_span_scores_exact_and_token_overlap():
    text = "The White Helmets said it."
    gold = [
        GoldSentence(1, 1, text, "attribution", ((0, 17),)),
        GoldSentence(2, 1, text, "attribution", ((4, 17),)),
        GoldSentence(3, 1, text, "claim", ()),
        GoldSentence(4, 1, text, "attribution", ((0, 17),)),
    ]
    scores = span_scores(gold, [[0, 17], [0, 17], [0, 3], None])
    assert scores["gold"] == 3
    assert scores["predicted"] == 3
    assert scores["exact"] == {"precision": 0.3333, "recall": 0.3333, "f1": 0.3333}
    # tokens: predicted 3 + 3 + 1 = 7, shared 3 + 2 = 5, gold 3 + 2 + 3 = 8
    assert scores["token_overlap"]["precision"] == round(5 / 7, 4)
    assert scores["token_overlap"]["recall"] == round(5 / 8, 4)
