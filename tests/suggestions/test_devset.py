"""Accuracy on real articles: the Wikinews dev set (../shared/devset), leave one article out.

The figures are the ones docs/suggestions.md reports; the bars sit a little below them so that a
regression fails here. Missing ../shared/devset fails under CI=true (tests.conftest.shared_file).
"""

import pytest

from suggestions.evaluate import evaluate
from suggestions.gold import read_gold_dirs
from suggestions.train import DATA_DIR, default_data_without
from tests.conftest import shared_file


@pytest.fixture(scope="module")
def devset_report() -> dict:
    """Each dev article scored by a model trained on the other 13 and the default model's other
    training articles: the shipped recipe (`suggest evaluate --gold-dir … --with-default-data`)."""
    gold = read_gold_dirs([shared_file("devset/gold")])
    return evaluate(gold, folds=None, extra=default_data_without(gold), default=False)


def test_devset_is_complete(devset_report):
    assert devset_report["articles"] == 14
    assert devset_report["sentences"] == 262
    assert devset_report["leave_one_out"] is True


def test_the_shipped_recipe_on_unseen_dev_articles_clears_the_bars(devset_report):
    scores = devset_report["models"]["retrained"]
    labels = scores["labels"]
    assert labels["attribution"]["f1"] >= 0.95  # measured 0.984
    assert labels["claim"]["f1"] >= 0.68  # measured 0.750
    assert labels["analysis"]["f1"] >= 0.74  # measured 0.803
    assert scores["macro_f1"] >= 0.79  # measured 0.845 (labels present: claim, attribution, analysis)
    assert scores["spans"]["overlap"]["f1"] >= 0.92  # source spans, measured 0.951 (0.984 with the 4 fixed spans)
    assert scores["cues"]["overlap"]["f1"] >= 0.94  # cue spans, measured 0.975
    assert scores["calibration"]["ece"] <= 0.07  # measured 0.031
    assert scores["calibration"]["brier"] <= 0.21  # measured 0.164


def test_a_95_percent_threshold_exists_on_the_corrected_dev_gold():
    """The shared gold has 4 source spans on the letters "he" inside "the" (suggestions/data/README.md):
    sure suggestions on those sentences count as wrong, so the threshold is measured on the copy
    with those 4 spans corrected."""
    gold = read_gold_dirs([DATA_DIR / "wikinews-dev" / "gold"])
    scores = evaluate(gold, folds=None, extra=default_data_without(gold), default=False)["models"]["retrained"]
    at_95 = scores["at_95"]
    assert at_95["threshold"] is not None
    assert at_95["precision"] >= 0.95
    assert at_95["coverage"] >= 0.65  # measured 0.79
    assert scores["spans"]["overlap"]["f1"] >= 0.95  # measured 0.984


def test_rules_alone_find_the_attributions(devset_report):
    rules = devset_report["models"]["rules"]
    assert rules["labels"]["attribution"]["f1"] >= 0.95  # measured 0.984
    assert rules["spans"]["overlap"]["f1"] >= 0.92


def test_the_shipped_model_on_articles_it_never_saw():
    """wikinews-heldout8: 12 articles labelled after the last change to rules, features and training
    data, measured once (docs/suggestions.md); never trained or tuned on. The bars sit a little below
    the measured figures, and above the bars of issue 15."""
    report = evaluate(read_gold_dirs([DATA_DIR / "wikinews-heldout8" / "gold"]), folds=None)
    scores = report["models"]["default"]
    assert "skipped" not in scores
    labels = scores["labels"]
    assert labels["attribution"]["f1"] >= 0.92  # measured 0.950
    assert labels["claim"]["f1"] >= 0.72  # measured 0.755
    assert labels["analysis"]["f1"] >= 0.72  # measured 0.756
    assert scores["macro_f1"] >= 0.80  # measured 0.837 (4 labels present: 5 picture captions are other)
    assert scores["spans"]["overlap"]["f1"] >= 0.87  # measured 0.906
    assert scores["cues"]["overlap"]["f1"] >= 0.89  # measured 0.921
    assert scores["prefill"]["precision"] >= 0.88  # measured 0.907 at confidence >= 0.872 (58 % of sentences)
