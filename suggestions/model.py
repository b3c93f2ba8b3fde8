"""The learned label model: its scikit-learn pipeline, how it is stored, and which one is active.

The rule-based finder (suggestions/attribution.py) always supplies the spans; the label comes from the
active learned model (a scikit-learn pipeline stored in SuggestionModel.payload) when one exists and
was made with this scikit-learn version, else from the rules.
"""

from __future__ import annotations

import logging
import pickle
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from suggestions.attribution import rule_features

logger = logging.getLogger(__name__)

RULES_VERSION = "rules-1"
LEARNED_KIND = "learned"
PAYLOAD_FORMAT = 1


class RuleFeatures:
    """A scikit-learn transformer: each text -> attribution.rule_features(text) (a dict)."""

    def fit(self, texts: Sequence[str], y: Any = None) -> RuleFeatures:
        return self

    def transform(self, texts: Sequence[str]) -> list[dict[str, float]]:
        return [rule_features(text) for text in texts]

    def get_params(self, deep: bool = True) -> dict:
        return {}

    def set_params(self, **params: Any) -> RuleFeatures:
        return self


def build_pipeline(seed: int = 0):
    """TF-IDF word 1-2-grams + char 3-5-grams + rule features -> logistic regression (probabilities)."""
    from sklearn.feature_extraction import DictVectorizer
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import FeatureUnion, Pipeline
    from sklearn.preprocessing import MaxAbsScaler

    features = FeatureUnion(
        [
            ("words", TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True, min_df=1, lowercase=True)),
            (
                "chars",
                TfidfVectorizer(
                    analyzer="char_wb", ngram_range=(3, 5), sublinear_tf=True, min_df=2, max_features=50000
                ),
            ),
            (
                "rules",
                Pipeline([("extract", RuleFeatures()), ("vectorize", DictVectorizer()), ("scale", MaxAbsScaler())]),
            ),
        ]
    )
    classifier = LogisticRegression(C=4.0, max_iter=2000, class_weight="balanced", random_state=seed)
    return Pipeline([("features", features), ("classify", classifier)])


def sklearn_version() -> str:
    import sklearn

    return sklearn.__version__


def dump_payload(pipeline) -> bytes:
    """Outer pickle of plain values (readable with any scikit-learn), inner pickle of the pipeline."""
    return pickle.dumps(
        {"format": PAYLOAD_FORMAT, "sklearn_version": sklearn_version(), "pipeline": pickle.dumps(pipeline)}
    )


class PayloadError(ValueError):
    """A stored model that this process cannot use (other scikit-learn version, damaged bytes)."""


def load_payload(payload: bytes):
    """The pipeline inside a payload; PayloadError when it was made with another scikit-learn.

    Payloads are written only by `suggest train` into our own database, so unpickling is trusted.
    """
    try:
        outer = pickle.loads(bytes(payload))
    except Exception as exc:
        raise PayloadError(f"unreadable payload: {exc}") from None
    if not isinstance(outer, dict) or outer.get("format") != PAYLOAD_FORMAT:
        raise PayloadError("unknown payload format")
    if outer.get("sklearn_version") != sklearn_version():
        raise PayloadError(
            f"made with scikit-learn {outer.get('sklearn_version')}, this process has {sklearn_version()}; "
            "retrain with `python manage.py suggest train`"
        )
    try:
        return pickle.loads(outer["pipeline"])
    except Exception as exc:
        raise PayloadError(f"unreadable pipeline: {exc}") from None


@dataclass(frozen=True)
class Suggester:
    """What produces suggestions: a version string and the learned pipeline (None: rules only)."""

    version: str
    pipeline: Any = None


RULES = Suggester(RULES_VERSION)
# Unpickled pipelines by SuggestionModel version; a failed load is cached as RULES too.
_loaded: dict[str, Suggester] = {}


def active_suggester() -> Suggester:
    """The active learned model if usable, else the rules. One query; a second (the payload) only the
    first time this process sees a model version."""
    from suggestions.models import SuggestionModel

    active = SuggestionModel.objects.filter(is_active=True).values_list("pk", "version", "kind").first()
    if active is None or active[2] != LEARNED_KIND:
        return RULES if active is None else Suggester(active[1])
    pk, version, _ = active
    if version not in _loaded:
        payload = SuggestionModel.objects.filter(pk=pk).values_list("payload", flat=True).first()
        try:
            if payload is None:
                raise PayloadError("no payload")
            suggester = Suggester(version, load_payload(payload))
        except PayloadError as exc:
            logger.warning("suggestion model %s is not usable (%s): falling back to the rules", version, exc)
            suggester = RULES
        _loaded.clear()
        _loaded[version] = suggester
    return _loaded[version]
