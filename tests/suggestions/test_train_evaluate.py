"""Training (the shipped default from gold files; a team's own model), gold data, evaluation."""

import json
import logging
import random
import re
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from annotate.models import Adjudication, Annotation
from suggestions import model as suggestion_model
from suggestions.fit import fold_of_articles
from suggestions.gold import GoldFileError, gold_sentences, read_gold_dirs
from suggestions.model import DEFAULT_MODEL_PATH, LabelModel, active_suggester, default_model
from suggestions.models import SuggestionModel
from suggestions.predict import suggestions_for_sentences
from suggestions.tasks import train_suggestion_model_task
from suggestions.train import DEFAULT_DATA_DIRS, should_switch

from .conftest import make_gold_corpus

DEFAULT_VERSION = default_model().version


def run(*args: str) -> str:
    out = StringIO()
    call_command("suggest", *args, stdout=out, stderr=StringIO())
    return out.getvalue()


def test_train_below_minimum_keeps_the_default_and_says_so(reviewer, settings):
    settings.SUGGEST_MIN_TRAINING = 200
    make_gold_corpus([reviewer], articles=3, sentences=10)
    output = run("train")
    assert "only 30 gold-labelled sentence(s); at least 200 are needed (SUGGEST_MIN_TRAINING)" in output
    assert f"suggestions use {DEFAULT_VERSION}" in output
    assert not SuggestionModel.objects.exists()
    assert active_suggester().version == DEFAULT_VERSION


def test_train_retrains_with_the_default_data_compares_and_switches(reviewer, settings, django_assert_num_queries):
    settings.SUGGEST_MIN_TRAINING = 60
    articles = make_gold_corpus([reviewer], articles=8, sentences=12)
    output = run("train", "--folds", "3")
    stored = SuggestionModel.objects.get(is_active=True)
    assert stored.version.startswith("lr-")
    assert stored.version.endswith("-96")
    assert stored.training_size == 96
    assert stored.kind == "learned"
    evaluation = stored.metrics["evaluation"]
    assert {"rules", "default", "retrained"} <= set(evaluation["models"])
    assert evaluation["models"]["retrained"]["extra_training_sentences"] == len(read_gold_dirs(DEFAULT_DATA_DIRS))
    assert evaluation["models"]["retrained"]["macro_f1"] >= evaluation["models"]["default"]["macro_f1"]
    assert stored.metrics["switched"] is True
    assert f"trained {stored.version} on 96 gold-labelled sentences" in output
    assert f"vs {DEFAULT_VERSION}" in output
    assert "it is now active" in output
    parameters = LabelModel.from_dict(stored.parameters)  # plain JSON, never pickled bytes
    assert parameters.version == stored.version
    assert json.loads(json.dumps(stored.parameters)) == stored.parameters
    sentences = list(articles[0].sentences.all())
    suggestions = suggestions_for_sentences(sentences)  # the first call reads the parameters
    assert {s["model_version"] for s in suggestions.values()} == {stored.version}
    correct = sum(suggestions[s.pk]["label"] == s.annotations.get().label for s in sentences)
    assert correct >= len(sentences) - 1
    with django_assert_num_queries(2):
        suggestions_for_sentences(sentences)
    run("train", "--folds", "3")  # a second training replaces the active model
    assert SuggestionModel.objects.filter(is_active=True).count() == 1
    assert SuggestionModel.objects.count() == 2


@pytest.mark.parametrize(
    ("retrained", "baseline", "switch"),
    [
        ({"macro_f1": 0.81}, {"macro_f1": 0.80}, True),
        ({"macro_f1": 0.80}, {"macro_f1": 0.80}, True),
        ({"macro_f1": 0.79}, {"macro_f1": 0.80}, False),
        ({"macro_f1": 0.10}, {"skipped": "no default model"}, True),
    ],
)
def test_switching_needs_a_retrained_model_at_least_as_good_as_the_default(retrained, baseline, switch):
    assert should_switch(retrained, baseline) is switch


def test_a_worse_retrained_model_is_stored_inactive_and_the_default_stays(reviewer, settings, monkeypatch):
    settings.SUGGEST_MIN_TRAINING = 60
    make_gold_corpus([reviewer], articles=6, sentences=12)
    monkeypatch.setattr("suggestions.train.should_switch", lambda retrained, baseline: False)
    output = run("train", "--folds", "3")
    stored = SuggestionModel.objects.get()
    assert stored.is_active is False
    assert stored.metrics["switched"] is False
    assert f"worse than the current default, stored inactive; kept {DEFAULT_VERSION}" in output
    assert active_suggester().version == DEFAULT_VERSION


def test_training_as_a_background_task(reviewer, settings):
    settings.SUGGEST_MIN_TRAINING = 20
    make_gold_corpus([reviewer], articles=3, sentences=10)
    result = train_suggestion_model_task.enqueue(folds=2)
    assert "trained lr-" in result.return_value
    assert SuggestionModel.objects.filter(training_size=30).exists()


@pytest.mark.parametrize(
    "parameters",
    [None, {"format": "something-else"}, {"format": "sourcemark-label-model/1", "version": "x", "classes": ["a"]}],
)
def test_an_unusable_stored_model_falls_back_to_the_default(db, caplog, parameters):
    SuggestionModel.objects.create(version="lr-bad", kind="learned", parameters=parameters, is_active=True)
    with caplog.at_level(logging.WARNING, logger="suggestions.model"):
        assert active_suggester().version == DEFAULT_VERSION
    assert "suggestion model lr-bad is not usable" in caplog.text


def test_without_a_default_model_file_the_rules_suggest(db, monkeypatch, tmp_path, caplog):
    monkeypatch.setattr(suggestion_model, "DEFAULT_MODEL_PATH", tmp_path / "missing.json")
    suggestion_model.default_model.cache_clear()
    try:
        with caplog.at_level(logging.WARNING, logger="suggestions.model"):
            assert active_suggester().version == suggestion_model.RULES_VERSION
        assert "missing.json is not usable" in caplog.text
    finally:
        suggestion_model.default_model.cache_clear()


def test_no_pickle_anywhere_in_the_suggestions_app():
    package = Path(suggestion_model.__file__).parent
    sources = [path for path in package.rglob("*.py") if "migrations" not in path.parts]
    assert sources
    modules = r"(?:c?pickle|joblib|dill|shelve)"
    loading = re.compile(rf"\bimport {modules}\b|\b{modules}\.\w+\(|\bfrom {modules} import")
    for path in sources:
        assert not loading.search(path.read_text(encoding="utf-8")), path
    assert "payload" not in {field.name for field in SuggestionModel._meta.get_fields()}


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
    assert all(g.published == article.published for g in gold.values())


def test_folds_never_split_an_article_and_none_means_one_article_each():
    rng = random.Random(3)
    article_ids = [rng.randint(1, 23) for _ in range(500)]
    folds = fold_of_articles(article_ids, 5)
    assert set(folds) == set(article_ids)
    assert set(folds.values()) == {0, 1, 2, 3, 4}
    assert set(fold_of_articles([7, 7, 8], 5).values()) == {0, 1}  # capped at the number of articles
    leave_one_out = fold_of_articles([7, 7, 8, 9], None)
    assert sorted(leave_one_out.values()) == [0, 1, 2]


def test_evaluate_prints_rules_default_and_retrained_figures(reviewer):
    make_gold_corpus([reviewer], articles=6, sentences=10)
    Annotation.objects.filter(pk__in=Annotation.objects.values("pk")[:4]).update(
        from_suggestion=True, suggestion_version="rules-1"
    )
    output = run("evaluate", "--folds", "3")
    assert "60 in 6 article(s); 3-fold cross-validation by article" in output
    assert "rules (rules-3): accuracy" in output
    assert f"default ({DEFAULT_VERSION}): accuracy" in output
    assert "retrained (cross-validated): accuracy" in output
    for piece in ("  claim ", "  attribution ", "  overlap ", "  exact ", "  token overlap ", "calibration: Brier"):
        assert piece in output
    assert "at 95 % precision: confidence >= " in output
    assert "confusion (rows: gold, columns: suggested)" in output
    assert "Accepted unchanged from a suggestion: 4 of 60 marks (6.7%); by version: rules-1 4" in output
    report = json.loads(run("evaluate", "--folds", "3", "--format", "json"))
    assert report["folds"] == 3
    assert report["sentences"] == 60
    rules = report["models"]["rules"]
    assert set(rules["labels"]) == {"claim", "attribution", "analysis", "other"}
    assert sum(map(sum, rules["confusion"]["matrix"])) == 60
    assert report["acceptance"]["rate"] == pytest.approx(4 / 60, abs=1e-4)
    assert report["models"]["retrained"]["accuracy"] > 0.8
    assert 0 <= report["models"]["retrained"]["calibration"]["brier"] <= 2


def test_evaluate_without_gold_labels_is_a_clear_error(db):
    with pytest.raises(CommandError, match="no gold-labelled sentences yet"):
        run("evaluate")


def test_evaluate_with_one_article_skips_the_retrained_model(reviewer):
    make_gold_corpus([reviewer], articles=1, sentences=8)
    assert "retrained: not evaluated (cross-validation needs at least two articles)" in run("evaluate")


def test_evaluate_on_the_default_training_files_skips_the_default_as_in_sample(db):
    output = run("evaluate", "--gold-dir", str(DEFAULT_DATA_DIRS[1]))
    assert "leave-one-article-out cross-validation" in output
    assert (
        f"default ({DEFAULT_VERSION}): not evaluated ({DEFAULT_VERSION} was trained on 10 of these articles)" in output
    )


def _gold_folder(tmp_path: Path, sentences: list[dict], text: str = "Officials said it rained.") -> Path:
    (tmp_path / "articles").mkdir()
    (tmp_path / "gold").mkdir()
    (tmp_path / "articles" / "a.json").write_text(json.dumps({"text": text, "published": "2020-01-01"}))
    (tmp_path / "gold" / "a.gold.json").write_text(json.dumps({"article": "a.json", "sentences": sentences}))
    return tmp_path / "gold"


@pytest.mark.parametrize(
    ("sentences", "message"),
    [
        ([{"start": 0, "end": 5, "text": "Other", "label": "claim"}], "does not match the article text"),
        ([{"start": 0, "end": 25, "text": "Officials said it rained.", "label": "rumour"}], "unknown label 'rumour'"),
        ([{"start": 0, "end": 25, "text": "Officials said it rained."}], "'label'"),
        (
            [
                {
                    "start": 0,
                    "end": 25,
                    "text": "Officials said it rained.",
                    "label": "attribution",
                    "source_span": [0, 99],
                }
            ],
            "outside its sentence",
        ),
    ],
)
def test_bad_gold_files_are_clear_errors(tmp_path, sentences, message):
    folder = _gold_folder(tmp_path, sentences)
    with pytest.raises(GoldFileError, match=message):
        read_gold_dirs([folder])
    with pytest.raises(CommandError, match="a.gold.json"):
        call_command("suggest", "train", "--gold-dir", str(folder), "--output", str(tmp_path / "m.json"))
    assert not (tmp_path / "m.json").exists()  # nothing written half-way


def test_a_folder_without_gold_files_is_a_clear_error(tmp_path):
    with pytest.raises(CommandError, match="no \\*.gold.json files"):
        call_command("suggest", "evaluate", "--gold-dir", str(tmp_path))


@pytest.mark.slow
def test_train_from_the_shipped_data_reproduces_the_shipped_default_model(tmp_path):
    output = tmp_path / "model.json"
    args = ["train", *[f"--gold-dir={folder}" for folder in DEFAULT_DATA_DIRS], "--output", str(output)]
    text = run(*args)
    assert f"trained {DEFAULT_VERSION} on 1358 sentences of 88 articles" in text
    assert output.read_bytes() == DEFAULT_MODEL_PATH.read_bytes()


def test_gold_sentences_leave_in_progress_marks_out(reviewer, make_user):
    from annotate.models import Assignment

    (article,) = make_gold_corpus([reviewer], articles=1, sentences=4)
    assert len(gold_sentences()) == 4
    newcomer = make_user("reviewer3")
    (other,) = make_gold_corpus([newcomer], articles=1, sentences=3, seed=2)
    Assignment.objects.filter(article=other).update(submitted_at=None)
    assert {g.article_id for g in gold_sentences()} == {article.pk}


def test_the_default_recipe_leaves_out_the_articles_it_scores():
    from suggestions.train import default_data_without

    heldout = read_gold_dirs([DEFAULT_DATA_DIRS[1]])
    everything = read_gold_dirs(DEFAULT_DATA_DIRS)
    rest = default_data_without(heldout)
    assert {g.article_id for g in rest}.isdisjoint({g.article_id for g in heldout})
    assert len(rest) == len(everything) - len(heldout)
