"""Suggested marks: a label, a confidence and attribution spans for each sentence.

The rule-based finder (annotate/attribution.py) always supplies the spans; the label comes from the
active learned model (a scikit-learn pipeline stored in SuggestionModel.payload) when one exists and
was made with this scikit-learn version, else from the rules. Suggestions are never stored as marks.
"""

from __future__ import annotations

import logging
import pickle
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from annotate.attribution import Attribution, find_attribution, normalize_source_name, rule_features, suggest_label
from annotate.codebook import Label

logger = logging.getLogger(__name__)

RULES_VERSION = "rules-1"
LEARNED_KIND = "learned"
PAYLOAD_FORMAT = 1


# --- Source registry --------------------------------------------------------------------------
@dataclass
class SourceIndex:
    """The source registry, normalized once, for matching many found names.

    Same rule as attribution.match_source: an exact name or alias match wins, else the longest
    registry name or alias contained in the found name as whole words (earliest entry on ties).
    """

    exact: dict[str, int] = field(default_factory=dict)
    order: dict[str, int] = field(default_factory=dict)
    kinds: dict[int, str] = field(default_factory=dict)
    longest_words: int = 0

    @classmethod
    def from_rows(cls, rows: Iterable[tuple[int, str, str, str | None]]) -> SourceIndex:
        """Rows of (source id, name, kind, alias or None), in registry order."""
        index = cls()
        for rank, (source_id, name, kind, alias) in enumerate(rows):
            index.kinds[source_id] = kind
            for candidate in (name, alias):
                normalized = normalize_source_name(candidate) if candidate else ""
                if normalized and normalized not in index.exact:
                    index.exact[normalized] = source_id
                    index.order[normalized] = rank
                    index.longest_words = max(index.longest_words, normalized.count(" ") + 1)
        return index

    def match(self, name: str | None) -> int | None:
        wanted = normalize_source_name(name) if name else ""
        if not wanted:
            return None
        if wanted in self.exact:
            return self.exact[wanted]
        words = wanted.split(" ")
        best: tuple[int, int] | None = None  # (-length, registry rank)
        best_id = None
        for size in range(min(len(words), self.longest_words), 0, -1):
            for first in range(len(words) - size + 1):
                phrase = " ".join(words[first : first + size])
                if phrase in self.exact:
                    key = (-len(phrase), self.order[phrase])
                    if best is None or key < best:
                        best, best_id = key, self.exact[phrase]
        return best_id


def load_source_index() -> SourceIndex:
    """The whole registry (names and aliases) in one query."""
    from annotate.models import Source

    rows = Source.objects.order_by("pk", "aliases__pk").values_list("pk", "name", "kind", "aliases__name")
    return SourceIndex.from_rows(rows)


# --- Learned model ------------------------------------------------------------------------------
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
    """TF-IDF word 1-2-grams + char 2-5-grams + rule features -> logistic regression (probabilities)."""
    from sklearn.feature_extraction import DictVectorizer
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import FeatureUnion, Pipeline
    from sklearn.preprocessing import MaxAbsScaler

    features = FeatureUnion([
        ("words", TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True, min_df=1, lowercase=True)),
        ("chars", TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), sublinear_tf=True, min_df=2, max_features=50000)),
        ("rules", Pipeline([("extract", RuleFeatures()), ("vectorize", DictVectorizer()), ("scale", MaxAbsScaler())])),
    ])
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
            f"made with scikit-learn {outer.get('sklearn_version')}, this process has {sklearn_version()}; retrain with "
            "`python manage.py suggest train`"
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
    from annotate.models import SuggestionModel

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


# --- Suggestions --------------------------------------------------------------------------------
def _span(span: tuple[int, int] | None) -> list[int] | None:
    return None if span is None else [span[0], span[1]]


def suggest_texts(
    texts: Sequence[str], *, suggester: Suggester = RULES, index: SourceIndex | None = None
) -> list[dict]:
    """One suggestion per text (spans are offsets into that text). Pure apart from what is passed in.

    Keys: label, confidence, source_span, cue_span, source_name, source_kind, source_id, model_version.
    Spans and the source are given only when the label is `attribution`.
    """
    rules = [suggest_label(text) for text in texts]
    if suggester.pipeline is not None and texts:
        probabilities = suggester.pipeline.predict_proba(list(texts))
        classes = list(suggester.pipeline.classes_)
        labels = []
        for row in probabilities:
            best = int(row.argmax())
            labels.append((classes[best], round(float(row[best]), 3)))
    else:
        labels = [(label, confidence) for label, confidence, _ in rules]
    results = []
    for text, (label, confidence), (_, _, attribution) in zip(texts, labels, rules, strict=True):
        if label == Label.ATTRIBUTION and attribution is None and suggester.pipeline is not None:
            attribution = find_attribution(text)
        results.append(_suggestion(label, confidence, attribution, suggester.version, index))
    return results


def _suggestion(
    label: str, confidence: float, attribution: Attribution | None, version: str, index: SourceIndex | None
) -> dict:
    suggestion = {
        "label": label,
        "confidence": confidence,
        "source_span": None,
        "cue_span": None,
        "source_name": None,
        "source_kind": None,
        "source_id": None,
        "model_version": version,
    }
    if label == Label.ATTRIBUTION and attribution is not None:
        source_id = index.match(attribution.source_name) if index is not None else None
        suggestion.update(
            source_span=_span(attribution.source_span),
            cue_span=_span(attribution.cue_span),
            source_name=attribution.source_name,
            source_kind=index.kinds[source_id] if source_id is not None else attribution.source_kind,
            source_id=source_id,
        )
    return suggestion


def suggestions_for_sentences(sentences: Iterable[Any]) -> dict[int, dict]:
    """Sentence id -> suggestion (see suggest_texts; spans are offsets into the sentence text).

    Non-reviewable sentences get none. Queries: 2 (active model, registry), 3 the first time a
    process meets a model version; none when there are no reviewable sentences.
    """
    wanted = [sentence for sentence in sentences if getattr(sentence, "reviewable", True)]
    if not wanted:
        return {}
    suggester = active_suggester()
    index = load_source_index()
    results = suggest_texts([sentence.text for sentence in wanted], suggester=suggester, index=index)
    return {sentence.pk: result for sentence, result in zip(wanted, results, strict=True)}
