"""Suggested marks: a label, a confidence and attribution spans for each sentence.

The rule-based finder (annotate/attribution.py) always supplies the spans; the label comes from the
active learned model (a scikit-learn pipeline stored in SuggestionModel.payload) when one exists and
was made with this scikit-learn version, else from the rules. Suggestions are never stored as marks.
"""

from __future__ import annotations

import logging
import pickle
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from annotate.attribution import Attribution, find_attribution, normalize_source_name, rule_features, suggest_label
from annotate.codebook import Label

logger = logging.getLogger(__name__)

RULES_VERSION = "rules-1"
LEARNED_KIND = "learned"
PAYLOAD_FORMAT = 1
LEARNED_CHUNK = 1000


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


# (model version, text) -> (label, confidence, attribution): the annotation page asks again for
# the same sentences on every view; the registry match is redone each time (the registry changes).
_memo: dict[tuple[str, str], tuple[str, float, Attribution | None]] = {}
MEMO_SIZE = 50_000


def _label_texts(texts: Sequence[str], suggester: Suggester) -> list[tuple[str, float, Attribution | None]]:
    if suggester.pipeline is None:
        return [suggest_label(text) for text in texts]
    classes = list(suggester.pipeline.classes_)
    # chunks small enough that find_attribution's cache still holds what the features computed
    probabilities = [
        row
        for first in range(0, len(texts), LEARNED_CHUNK)
        for row in suggester.pipeline.predict_proba(list(texts[first : first + LEARNED_CHUNK]))
    ]
    labelled = []
    for text, row in zip(texts, probabilities, strict=True):
        best = int(row.argmax())
        label = classes[best]
        # the pipeline's rule features already ran find_attribution on this text (cached)
        attribution = find_attribution(text) if label == Label.ATTRIBUTION else None
        labelled.append((label, round(float(row[best]), 3), attribution))
    return labelled


def suggest_texts(
    texts: Sequence[str], *, suggester: Suggester = RULES, index: SourceIndex | None = None, memo: bool = False
) -> list[dict]:
    """One suggestion per text (spans are offsets into that text). Pure apart from what is passed in.

    Keys: label, confidence, source_span, cue_span, source_name, source_kind, source_id, model_version.
    Spans and the source are given only when the label is `attribution`. With `memo`, labels are
    remembered per (model version, text) in this process; only for stored, uniquely versioned models.
    """
    if memo and len(texts) <= MEMO_SIZE:
        missing = list(dict.fromkeys(text for text in texts if (suggester.version, text) not in _memo))
        if len(_memo) + len(missing) > MEMO_SIZE:
            _memo.clear()
            missing = list(dict.fromkeys(texts))
        for text, found in zip(missing, _label_texts(missing, suggester), strict=True):
            _memo[suggester.version, text] = found
        labelled = [_memo[suggester.version, text] for text in texts]
    else:
        labelled = _label_texts(texts, suggester) if texts else []
    return [
        _suggestion(label, confidence, attribution, suggester.version, index)
        for label, confidence, attribution in labelled
    ]


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
    results = suggest_texts([sentence.text for sentence in wanted], suggester=suggester, index=index, memo=True)
    return {sentence.pk: result for sentence, result in zip(wanted, results, strict=True)}


# --- Gold data ----------------------------------------------------------------------------------
@dataclass(frozen=True)
class GoldSentence:
    """A reviewable sentence with a settled gold label; `spans` are the source spans (offsets into
    the sentence) of the reviewers whose label equals the gold label."""

    sentence_id: int
    article_id: int
    text: str
    label: str
    spans: tuple[tuple[int, int], ...] = ()


def gold_sentences() -> list[GoldSentence]:
    """Every reviewable sentence whose gold label is settled (annotate.gold), in three queries:
    the marks, the adjudications and the sentences' text, never one query per sentence."""
    from django.db.models import Exists, OuterRef, Q

    from annotate.gold import resolve_gold_label
    from annotate.models import Adjudication, Annotation, Sentence

    marks: dict[int, list[tuple[str, int | None, int | None]]] = {}
    rows = Annotation.objects.filter(sentence__reviewable=True).values_list(
        "sentence_id", "label", "source_start", "source_end"
    )
    for sentence_id, label, start, end in rows.iterator(chunk_size=5000):
        marks.setdefault(sentence_id, []).append((label, start, end))
    adjudicated = dict(Adjudication.objects.values_list("sentence_id", "label"))
    sentences = (
        Sentence.objects.filter(reviewable=True)
        .filter(
            Q(Exists(Annotation.objects.filter(sentence=OuterRef("pk"))))
            | Q(Exists(Adjudication.objects.filter(sentence=OuterRef("pk"))))
        )
        .order_by("article_id", "position")
        .values_list("pk", "article_id", "text")
    )
    gold = []
    for sentence_id, article_id, text in sentences.iterator(chunk_size=5000):
        sentence_marks = marks.get(sentence_id, [])
        resolved = resolve_gold_label([label for label, _, _ in sentence_marks], adjudicated.get(sentence_id))
        if resolved.label is None:
            continue
        spans = sorted(
            {
                (start, end)
                for label, start, end in sentence_marks
                if label == resolved.label and start is not None and end is not None
            }
        )
        gold.append(GoldSentence(sentence_id, article_id, text, resolved.label, tuple(spans)))
    return gold


# --- Evaluation (pure over GoldSentence lists) --------------------------------------------------
def fold_assignment(article_ids: Sequence[int], folds: int) -> list[int]:
    """The cross-validation fold of each sentence, given its article: GroupKFold by article, so one
    article's sentences always share a fold. `folds` is capped at the number of articles."""
    from sklearn.model_selection import GroupKFold

    n_folds = min(folds, len(set(article_ids)))
    assignment = [0] * len(article_ids)
    if n_folds < 2:
        return assignment
    for fold, (_, test) in enumerate(GroupKFold(n_splits=n_folds).split(article_ids, groups=article_ids)):
        for position in test:
            assignment[position] = fold
    return assignment


_TOKEN_RE = re.compile(r"\w+")


def _tokens(text: str, span: tuple[int, int] | list[int]) -> set[int]:
    """Indexes of the word tokens of `text` that overlap a character span."""
    return {i for i, m in enumerate(_TOKEN_RE.finditer(text)) if m.start() < span[1] and m.end() > span[0]}


def _prf(hits: float, predicted: float, gold: float) -> dict[str, float]:
    precision = hits / predicted if predicted else 0.0
    recall = hits / gold if gold else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"precision": round(precision, 4), "recall": round(recall, 4), "f1": round(f1, 4)}


def span_scores(gold: Sequence[GoldSentence], predicted: Sequence[list[int] | None]) -> dict:
    """Source-span detection against the gold spans.

    Gold: sentences whose gold label is attribution and that have at least one gold span. Predicted:
    every suggested source span (only attribution suggestions carry one). Exact: a predicted span
    counts when it equals one of the sentence's gold spans; precision = hits / predicted spans,
    recall = hits / gold sentences. Token overlap: word tokens (\\w+) shared with the best-matching
    gold span, micro-averaged: precision = shared / predicted tokens, recall = shared / gold tokens.
    """
    exact_hits = n_predicted = n_gold = 0
    shared = predicted_tokens = gold_tokens = 0
    for sentence, span in zip(gold, predicted, strict=True):
        has_gold = sentence.label == Label.ATTRIBUTION and bool(sentence.spans)
        n_gold += has_gold
        n_predicted += span is not None
        gold_spans = sentence.spans if has_gold else ()
        predicted_set = _tokens(sentence.text, span) if span is not None else set()
        if span is not None and tuple(span) in gold_spans:
            exact_hits += 1
        if gold_spans:
            best = max((_tokens(sentence.text, g) for g in gold_spans), key=lambda t: len(t & predicted_set))
            shared += len(best & predicted_set)
            gold_tokens += len(best)
        predicted_tokens += len(predicted_set)
    return {
        "gold": n_gold,
        "predicted": n_predicted,
        "exact": _prf(exact_hits, n_predicted, n_gold),
        "token_overlap": _prf(shared, predicted_tokens, gold_tokens),
    }


COVERAGE_THRESHOLDS = (0.5, 0.7, 0.9)


def label_scores(gold_labels: Sequence[str], predictions: Sequence[tuple[str, float]]) -> dict:
    """Per-label precision/recall/F1/support, accuracy, macro F1, the confusion matrix (rows: gold,
    columns: suggested, in codebook order) and coverage: at each confidence threshold, the share
    of sentences whose suggestion reaches it and the accuracy on those."""
    labels = list(Label.values)
    index = {label: i for i, label in enumerate(labels)}
    matrix = [[0] * len(labels) for _ in labels]
    for gold_label, (label, _) in zip(gold_labels, predictions, strict=True):
        matrix[index[gold_label]][index[label]] += 1
    per_label = {}
    for label, i in index.items():
        hits = matrix[i][i]
        per_label[label] = {**_prf(hits, sum(row[i] for row in matrix), sum(matrix[i])), "support": sum(matrix[i])}
    total = len(gold_labels)
    correct = sum(matrix[i][i] for i in range(len(labels)))
    present = [label for label in labels if per_label[label]["support"]]
    coverage = []
    for threshold in COVERAGE_THRESHOLDS:
        chosen = [g == p for g, (p, c) in zip(gold_labels, predictions, strict=True) if c >= threshold]
        coverage.append(
            {
                "threshold": threshold,
                "coverage": round(len(chosen) / total, 4) if total else 0.0,
                "accuracy": round(sum(chosen) / len(chosen), 4) if chosen else 0.0,
            }
        )
    return {
        "labels": per_label,
        "accuracy": round(correct / total, 4) if total else 0.0,
        "macro_f1": round(sum(per_label[label]["f1"] for label in present) / len(present), 4) if present else 0.0,
        "confusion": {"labels": labels, "matrix": matrix},
        "coverage": coverage,
    }


def _scores(gold: Sequence[GoldSentence], suggestions: Sequence[dict]) -> dict:
    return {
        **label_scores([g.label for g in gold], [(s["label"], s["confidence"]) for s in suggestions]),
        "spans": span_scores(gold, [s["source_span"] for s in suggestions]),
    }


def _trainable(gold: Sequence[GoldSentence]) -> bool:
    return len({g.label for g in gold}) >= 2


def evaluate(gold: Sequence[GoldSentence], *, folds: int = 5, seed: int = 0) -> dict:
    """Rules and learned model scored over the same sentences by cross-validation over articles.

    The rules need no training: they are scored on every sentence. The learned model is trained on
    the other folds and scored on each held-out fold (out-of-fold predictions pooled). The learned
    part is skipped, with a reason, when there are fewer than two articles or one fold's training
    part holds a single label.
    """
    texts = [g.text for g in gold]
    article_ids = [g.article_id for g in gold]
    n_articles = len(set(article_ids))
    report: dict[str, Any] = {
        "sentences": len(gold),
        "articles": n_articles,
        "folds": min(folds, n_articles) if n_articles >= 2 else 0,
        "label_counts": {label: sum(g.label == label for g in gold) for label in Label.values},
        "models": {"rules": _scores(gold, suggest_texts(texts))},
    }
    if n_articles < 2:
        report["models"]["learned"] = {"skipped": "cross-validation needs at least two articles"}
        return report
    assignment = fold_assignment(article_ids, folds)
    learned: list[dict | None] = [None] * len(gold)
    for fold in range(report["folds"]):
        train = [g for g, f in zip(gold, assignment, strict=True) if f != fold]
        test = [i for i, f in enumerate(assignment) if f == fold]
        if not _trainable(train):
            report["models"]["learned"] = {"skipped": f"fold {fold}: the training part has a single label"}
            return report
        pipeline = build_pipeline(seed).fit([g.text for g in train], [g.label for g in train])
        held_out = suggest_texts([texts[i] for i in test], suggester=Suggester("cv", pipeline))
        for i, suggestion in zip(test, held_out, strict=True):
            learned[i] = suggestion
    report["models"]["learned"] = _scores(gold, learned)  # type: ignore[arg-type]
    return report


def acceptance_rate() -> dict:
    """Marks accepted unchanged from a suggestion (Annotation.from_suggestion), overall and per
    suggestion version. Two aggregate queries."""
    from django.db.models import Count, Q

    from annotate.models import Annotation

    totals = Annotation.objects.aggregate(marks=Count("pk"), accepted=Count("pk", filter=Q(from_suggestion=True)))
    by_version = {
        row["suggestion_version"] or "unknown": row["n"]
        for row in Annotation.objects.filter(from_suggestion=True)
        .values("suggestion_version")
        .annotate(n=Count("pk"))
        .order_by("suggestion_version")
    }
    marks, accepted = totals["marks"], totals["accepted"]
    return {
        "marks": marks,
        "accepted_unchanged": accepted,
        "rate": round(accepted / marks, 4) if marks else 0.0,
        "by_version": by_version,
    }


# --- Training -----------------------------------------------------------------------------------
@dataclass
class TrainResult:
    """The stored model (None when nothing was trained) and a message saying what happened."""

    model: Any
    message: str
    training_size: int


def min_training_size() -> int:
    from django.conf import settings

    return int(getattr(settings, "SUGGEST_MIN_TRAINING", 200))


def train_model(*, folds: int = 5, evaluate_first: bool = True, seed: int = 0) -> TrainResult:
    """Train the learned label model on every gold-labelled sentence, store it and make it active.

    Below SUGGEST_MIN_TRAINING gold sentences (default 200), or with a single label, nothing is
    trained and the rules stay in use. With `evaluate_first` the cross-validated figures of rules and
    model (see `evaluate`) are stored in SuggestionModel.metrics.
    """
    from django.db import transaction
    from django.utils import timezone

    from annotate.models import SuggestionModel

    gold = gold_sentences()
    minimum = min_training_size()
    if len(gold) < minimum or not _trainable(gold):
        why = (
            f"only {len(gold)} gold-labelled sentence(s); at least {minimum} are needed (SUGGEST_MIN_TRAINING)"
            if len(gold) < minimum
            else "the gold labels hold a single label"
        )
        return TrainResult(None, f"{why}: no model trained, suggestions use the rules ({RULES_VERSION})", len(gold))
    metrics: dict[str, Any] = {}
    if evaluate_first:
        metrics["evaluation"] = evaluate(gold, folds=folds, seed=seed)
    pipeline = build_pipeline(seed).fit([g.text for g in gold], [g.label for g in gold])
    now = timezone.now()
    version = f"lr-{now:%Y%m%d%H%M%S}-{len(gold)}"
    metrics.update(
        sklearn_version=sklearn_version(),
        trained_at=now.isoformat(),
        articles=len({g.article_id for g in gold}),
        label_counts={label: sum(g.label == label for g in gold) for label in Label.values},
    )
    with transaction.atomic():
        suffix = 1
        while SuggestionModel.objects.filter(version=version).exists():
            suffix += 1
            version = f"lr-{now:%Y%m%d%H%M%S}-{len(gold)}-{suffix}"
        SuggestionModel.objects.filter(is_active=True).update(is_active=False)
        model = SuggestionModel.objects.create(
            version=version,
            kind=LEARNED_KIND,
            training_size=len(gold),
            metrics=metrics,
            payload=dump_payload(pipeline),
            is_active=True,
        )
    return TrainResult(model, f"trained {version} on {len(gold)} gold-labelled sentences; it is now active", len(gold))
