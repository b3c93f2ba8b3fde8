"""The JSON label model: round trip, parity with scikit-learn, validation, calibration and metrics."""

import json
import math
from dataclasses import replace

import numpy as np
import pytest

from suggestions.fit import fit_linear, fit_temperature
from suggestions.metrics import (
    Scored,
    brier_score,
    coverage_at,
    expected_calibration_error,
    label_scores,
    span_scores,
    threshold_for_precision,
    wilson_lower_bound,
)
from suggestions.model import MODEL_FORMAT, LabelModel, ModelFormatError, default_model, softmax

ROWS = [
    {"cue": 1.0, "year_past": 0.0},
    {"cue": 1.0, "weekday": 1.0},
    {"year_past": 1.0, "generic": 0.5},
    {"generic": 1.0},
    {"weekday": 1.0, "numbers": 0.66},
    {"weekday": 1.0},
] * 3  # labels need MIN_CLASS_SIZE examples each
LABELS = ["attribution", "attribution", "analysis", "analysis", "claim", "claim"] * 3


def test_a_fitted_model_round_trips_through_json_and_matches_scikit_learn():
    from sklearn.feature_extraction import DictVectorizer
    from sklearn.linear_model import LogisticRegression

    model = fit_linear(ROWS, LABELS, version="t", c=1.0)
    again = LabelModel.loads(model.dumps())
    assert again.to_dict() == model.to_dict()
    assert again.dumps() == model.dumps()  # stable text
    vectorizer = DictVectorizer(sort=True)
    expected = (
        LogisticRegression(C=1.0, max_iter=5000, class_weight="balanced")
        .fit(vectorizer.fit_transform(ROWS), LABELS)
        .predict_proba(vectorizer.transform(ROWS))
    )
    assert np.allclose(again.probabilities(ROWS), expected, atol=1e-5)
    assert np.allclose(again.probabilities(ROWS).sum(axis=1), 1.0)


def test_two_classes_become_two_logits_and_rare_labels_are_left_out():
    rows = ROWS[:4] * 3 + [{"numbers": 1.0}]
    model = fit_linear(rows, LABELS[:4] * 3 + ["other"], version="t")
    assert model.classes == ("analysis", "attribution")  # one `other` is too few to learn
    probabilities = LabelModel.loads(model.dumps()).probabilities(ROWS[:4])
    assert list(probabilities.argmax(axis=1)) == [1, 1, 0, 0]
    with pytest.raises(ValueError, match="single label"):
        fit_linear(ROWS[:2] * 3, LABELS[:2] * 3, version="t")


def test_unknown_features_are_ignored_and_temperature_flattens():
    model = fit_linear(ROWS, LABELS, version="t")
    assert np.allclose(model.probabilities([{"cue": 1.0, "never_seen": 5.0}]), model.probabilities([{"cue": 1.0}]))
    sharp = replace(model, temperature=0.5).probabilities(ROWS)
    flat = replace(model, temperature=4.0).probabilities(ROWS)
    assert (sharp.max(axis=1) > flat.max(axis=1)).all()


def test_the_default_model_file_is_plain_json_with_its_card_figures():
    text = (default_model().dumps()).strip()
    data = json.loads(text)
    assert data["format"] == MODEL_FORMAT
    assert {"claim", "attribution", "analysis"} <= set(data["classes"])
    assert all(len(weights) == len(data["classes"]) for weights in data["weights"].values())
    assert 0 < data["prefill_threshold"] <= 1
    assert data["metadata"]["licence"].startswith("training texts: Wikinews contributors, CC BY 2.5")
    assert data["metadata"]["figures"]["prefill"]["precision"] >= 0.95


def _valid() -> dict:
    return fit_linear(ROWS, LABELS, version="t").to_dict()


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda d: d.update(format="pickle"), "not a sourcemark-label-model/1 model"),
        (lambda d: d.update(classes=["claim"]), "two or more distinct classes"),
        (lambda d: d["weights"].update(cue=[1.0]), "one weight per class"),
        (lambda d: d["weights"].update(cue=[1.0, True, 2.0]), "lists of numbers"),
        (lambda d: d["weights"].update(cue=[1.0, math.inf, 2.0]), "finite"),
        (lambda d: d.update(intercepts=[0.0]), "one intercept per class"),
        (lambda d: d.update(temperature=0), "temperature must be a positive number"),
        (lambda d: d.update(prefill_threshold=1.5), "prefill_threshold"),
        (lambda d: d.pop("weights"), "malformed model"),
    ],
)
def test_malformed_models_are_refused_with_a_reason(change, message):
    data = _valid()
    change(data)
    with pytest.raises(ModelFormatError, match=message):
        LabelModel.from_dict(data)


def test_not_json_is_refused():
    with pytest.raises(ModelFormatError, match="not JSON"):
        LabelModel.loads("\x80\x04K.")  # a pickle is not a model


def test_fit_temperature_softens_overconfident_logits():
    rng = np.random.default_rng(0)
    gold = rng.integers(0, 3, 400)
    logits = rng.normal(size=(400, 3))
    logits[np.arange(400), gold] += 1.0  # right 60 % of the time or so ...
    overconfident = logits * 6  # ... but sure of itself
    temperature = fit_temperature(overconfident, ["a", "b", "c"], [["a", "b", "c"][g] for g in gold])
    assert temperature > 2
    assert fit_temperature(logits, ["a", "b", "c"], ["z"] * 400) == 1.0  # no known gold label: unchanged
    assert np.allclose(softmax(np.array([[0.0, 0.0]])), [[0.5, 0.5]])


def test_brier_score_by_hand():
    assert brier_score([], []) == 0.0
    assert brier_score([{"a": 1.0, "b": 0.0}], ["a"]) == 0.0
    assert brier_score([{"a": 0.0, "b": 1.0}], ["a"]) == 2.0
    assert brier_score([{"a": 0.7, "b": 0.3}, {"a": 0.5, "b": 0.5}], ["a", "b"]) == pytest.approx((0.18 + 0.5) / 2)
    assert brier_score([{"a": 0.6, "b": 0.4}], ["other"]) == pytest.approx(0.36 + 0.16 + 1.0)


def test_expected_calibration_error_by_hand():
    assert expected_calibration_error([], []) == 0.0
    # bin (0.9, 1.0]: confidence 0.95, right 1 of 2 -> |0.95 - 0.5| x 2/4; bin (0.5, 0.6]: 0.55 vs 1.0 -> 0.45 x 2/4
    assert expected_calibration_error([0.95, 0.95, 0.55, 0.55], [True, False, True, True]) == pytest.approx(0.45)
    assert expected_calibration_error([0.8, 0.8], [True, False]) == pytest.approx(0.3)


def test_threshold_for_precision_is_the_lowest_confidence_that_keeps_it():
    confidences = [0.99, 0.98, 0.97, 0.9, 0.9, 0.8, 0.7]
    right = [True, True, True, True, False, True, False]
    # prefixes: 0.99 1/1, 0.98 2/2, 0.97 3/3, 0.9 4/5 = 0.8, 0.8 5/6, 0.7 5/7
    assert threshold_for_precision(confidences, right, precision=1.0, min_count=2) == 0.97
    assert threshold_for_precision(confidences, right, precision=0.8, min_count=2) == 0.8
    assert threshold_for_precision(confidences, right, precision=1.0, min_count=4) is None
    assert threshold_for_precision([], [], precision=0.5, min_count=1) is None
    # with a margin (Wilson lower bound) the same precision needs more evidence: a higher threshold
    many = [0.99] * 60 + [0.9] * 40
    hits = [True] * 59 + [False] + [True] * 36 + [False] * 4  # 59/60 above 0.99, 95/100 overall
    assert threshold_for_precision(many, hits, precision=0.95, min_count=20) == 0.9
    assert threshold_for_precision(many, hits, precision=0.95, min_count=20, z=0.5) == 0.99
    assert wilson_lower_bound(95, 100, 0) == 0.95
    assert wilson_lower_bound(95, 100, 1.96) == pytest.approx(0.8882, abs=1e-4)
    assert wilson_lower_bound(0, 0, 1.0) == 0.0
    assert coverage_at(confidences, right, 0.9) == {
        "threshold": 0.9,
        "coverage": round(5 / 7, 4),
        "precision": 0.8,
        "count": 5,
    }
    assert coverage_at(confidences, right, None)["coverage"] == 0.0


def test_a_suggestion_is_right_when_its_label_and_spans_are():
    def scored(label, source=None, cue=None):
        return Scored("The army said so.", "attribution", ((0, 8),), ((9, 13),), label, 0.9, source, cue)

    assert scored("attribution", (4, 8), (9, 13)).right
    assert not scored("attribution", (14, 16), (9, 13)).right  # wrong source
    assert not scored("attribution", (4, 8), None).right  # no cue where the gold has one
    assert not scored("claim").right


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


def test_span_scores_exact_token_overlap_and_any_overlap():
    text = "The White Helmets said it."
    labels = ["attribution", "attribution", "claim", "attribution"]
    gold = [((0, 17),), ((4, 17),), (), ((0, 17),)]
    scores = span_scores([text] * 4, labels, gold, [[0, 17], [0, 17], [0, 3], None])
    assert scores["gold"] == 3
    assert scores["predicted"] == 3
    assert scores["exact"] == {"precision": 0.3333, "recall": 0.3333, "f1": 0.3333}
    # tokens: predicted 3 + 3 + 1 = 7, shared 3 + 2 = 5, gold 3 + 2 + 3 = 8
    assert scores["token_overlap"]["precision"] == round(5 / 7, 4)
    assert scores["token_overlap"]["recall"] == round(5 / 8, 4)
    # any overlap: 2 hits of 3 predicted (the claim's span is a false positive), 2 of 3 gold
    assert scores["overlap"] == {"precision": 0.6667, "recall": 0.6667, "f1": 0.6667}
