"""The figures of suggestions against gold labels: pure functions over plain values, no ORM.

Per-label precision/recall/F1 and confusion; source and cue spans (exact, token overlap, and the
dev-set scorer's any-overlap F1); calibration (Brier score, expected calibration error); and the
confidence threshold at which suggestions reach a precision, with the coverage it leaves.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass

from annotate.codebook import Label

Span = tuple[int, int] | list[int]


@dataclass(frozen=True)
class Scored:
    """One sentence's suggestion next to its gold mark (spans are offsets into the sentence)."""

    text: str
    gold_label: str
    gold_sources: tuple[tuple[int, int], ...]
    gold_cues: tuple[tuple[int, int], ...]
    label: str
    confidence: float
    source_span: Span | None = None
    cue_span: Span | None = None
    probabilities: tuple[tuple[str, float], ...] = ()  # (label, probability) of every class, when known

    @property
    def right(self) -> bool:
        """The whole suggestion is right: its label, and for an attribution the source and cue
        spans overlap the gold ones (where the gold has them)."""
        if self.label != self.gold_label:
            return False
        if self.label != Label.ATTRIBUTION:
            return True
        return (not self.gold_sources or _overlaps_any(self.source_span, self.gold_sources)) and (
            not self.gold_cues or _overlaps_any(self.cue_span, self.gold_cues)
        )


def _overlaps(a: Span | None, b: Span) -> bool:
    return a is not None and min(a[1], b[1]) > max(a[0], b[0])


def _overlaps_any(a: Span | None, spans: Sequence[Span]) -> bool:
    return any(_overlaps(a, b) for b in spans)


def prf(hits: float, predicted: float, gold: float) -> dict[str, float]:
    """Precision hits/predicted, recall hits/gold, their harmonic mean; 0 where undefined."""
    precision = hits / predicted if predicted else 0.0
    recall = hits / gold if gold else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"precision": round(precision, 4), "recall": round(recall, 4), "f1": round(f1, 4)}


COVERAGE_THRESHOLDS = (0.5, 0.7, 0.9)


def label_scores(gold_labels: Sequence[str], predictions: Sequence[tuple[str, float]]) -> dict:
    """Per-label precision/recall/F1/support, accuracy, macro F1 over the labels present in the gold,
    the confusion matrix (rows: gold, columns: suggested, in codebook order) and coverage: at each
    confidence threshold, the share of sentences whose suggestion reaches it and the accuracy on those."""
    labels = list(Label.values)
    index = {label: i for i, label in enumerate(labels)}
    matrix = [[0] * len(labels) for _ in labels]
    for gold_label, (label, _) in zip(gold_labels, predictions, strict=True):
        matrix[index[gold_label]][index[label]] += 1
    per_label = {}
    for label, i in index.items():
        hits = matrix[i][i]
        per_label[label] = {**prf(hits, sum(row[i] for row in matrix), sum(matrix[i])), "support": sum(matrix[i])}
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


_TOKEN_RE = re.compile(r"\w+")


def _tokens(text: str, span: Span) -> set[int]:
    """Indexes of the word tokens of `text` that overlap a character span."""
    return {i for i, m in enumerate(_TOKEN_RE.finditer(text)) if m.start() < span[1] and m.end() > span[0]}


def span_scores(
    texts: Sequence[str],
    gold_labels: Sequence[str],
    gold_spans: Sequence[Sequence[Span]],
    predicted: Sequence[Span | None],
) -> dict:
    """Span detection against the gold spans (source or cue).

    Gold: sentences whose gold label is attribution and that have at least one gold span. Predicted:
    every suggested span (only attribution suggestions carry one). Exact: a predicted span counts
    when it equals one of the sentence's gold spans; precision = hits / predicted spans, recall =
    hits / gold sentences. Token overlap: word tokens (\\w+) shared with the best-matching gold span,
    micro-averaged: precision = shared / predicted tokens, recall = shared / gold tokens. Overlap (the
    dev-set scorer's rule): a predicted span overlapping a gold span by a character is a hit, any
    other predicted span a false positive, any gold span without a hit a miss.
    """
    exact_hits = n_predicted = n_gold = overlap_hits = 0
    shared = predicted_tokens = gold_tokens = 0
    for text, label, spans, span in zip(texts, gold_labels, gold_spans, predicted, strict=True):
        has_gold = label == Label.ATTRIBUTION and bool(spans)
        n_gold += has_gold
        n_predicted += span is not None
        wanted = tuple((start, end) for start, end in spans) if has_gold else ()
        predicted_set = _tokens(text, span) if span is not None else set()
        if span is not None and tuple(span) in wanted:
            exact_hits += 1
        if span is not None and _overlaps_any(span, wanted):
            overlap_hits += 1
        if wanted:
            best = max((_tokens(text, g) for g in wanted), key=lambda t: len(t & predicted_set))
            shared += len(best & predicted_set)
            gold_tokens += len(best)
        predicted_tokens += len(predicted_set)
    return {
        "gold": n_gold,
        "predicted": n_predicted,
        "exact": prf(exact_hits, n_predicted, n_gold),
        "token_overlap": prf(shared, predicted_tokens, gold_tokens),
        "overlap": prf(overlap_hits, n_predicted, n_gold),
    }


def brier_score(probabilities: Sequence[dict[str, float]], gold_labels: Sequence[str]) -> float:
    """Mean over sentences of the squared distance between the probability vector and the one-hot
    gold label (0 perfect, 2 worst; a gold label outside the vector counts as probability 0); 0.0
    for no sentences."""
    if not probabilities:
        return 0.0
    total = 0.0
    for row, gold in zip(probabilities, gold_labels, strict=True):
        total += sum((p - (1.0 if label == gold else 0.0)) ** 2 for label, p in row.items())
        total += 0.0 if gold in row else 1.0
    return round(total / len(probabilities), 4)


def expected_calibration_error(confidences: Sequence[float], right: Sequence[bool], bins: int = 10) -> float:
    """Sum over equal-width confidence bins of (share of sentences in the bin) x |mean confidence -
    share right| (0 = perfectly calibrated); 0.0 for no sentences. Bin b holds (b/bins, (b+1)/bins]."""
    if not confidences:
        return 0.0
    counts = [0] * bins
    confidence_sums = [0.0] * bins
    right_sums = [0] * bins
    for confidence, ok in zip(confidences, right, strict=True):
        b = min(bins - 1, max(0, math.ceil(confidence * bins) - 1))
        counts[b] += 1
        confidence_sums[b] += confidence
        right_sums[b] += bool(ok)
    n = len(confidences)
    error = sum(
        counts[b] / n * abs(confidence_sums[b] / counts[b] - right_sums[b] / counts[b])
        for b in range(bins)
        if counts[b]
    )
    return round(error, 4)


def wilson_lower_bound(hits: int, count: int, z: float) -> float:
    """The lower end of the Wilson score interval for hits/count (z = 0: the share itself); 0 for none."""
    if count == 0:
        return 0.0
    share = hits / count
    if z == 0:
        return share
    centre = share + z * z / (2 * count)
    margin = z * math.sqrt(share * (1 - share) / count + z * z / (4 * count * count))
    return (centre - margin) / (1 + z * z / count)


def threshold_for_precision(
    confidences: Sequence[float],
    right: Sequence[bool],
    *,
    precision: float = 0.95,
    min_count: int = 20,
    z: float = 0.0,
) -> float | None:
    """The lowest confidence t such that the suggestions with confidence >= t number at least
    `min_count` and are right at least `precision` of the time; None when no t qualifies. With z > 0
    the Wilson lower bound of their share right must reach `precision` instead (z = 1.28: 90 % sure
    the precision is at least that, rather than measuring it once).

    Scanning from the most confident down, the precision of every prefix that ends at a new
    confidence value is checked; the last (lowest) qualifying value wins.
    """
    pairs = sorted(zip(confidences, right, strict=True), key=lambda pair: -pair[0])
    best = None
    hits = 0
    for i, (confidence, ok) in enumerate(pairs):
        hits += bool(ok)
        count = i + 1
        last_of_value = count == len(pairs) or pairs[count][0] < confidence
        if last_of_value and count >= min_count and wilson_lower_bound(hits, count, z) >= precision:
            best = confidence
    return best


def coverage_at(confidences: Sequence[float], right: Sequence[bool], threshold: float | None) -> dict:
    """The share of suggestions at or above `threshold` and the share of those that are right."""
    if threshold is None or not confidences:
        return {"threshold": threshold, "coverage": 0.0, "precision": 0.0, "count": 0}
    chosen = [ok for confidence, ok in zip(confidences, right, strict=True) if confidence >= threshold]
    return {
        "threshold": round(threshold, 4),
        "coverage": round(len(chosen) / len(confidences), 4),
        "precision": round(sum(chosen) / len(chosen), 4) if chosen else 0.0,
        "count": len(chosen),
    }


def score_suggestions(scored: Sequence[Scored], threshold: float | None = None) -> dict:
    """Everything `suggest evaluate` reports for one way of suggesting, over the same sentences."""
    labels = label_scores([s.gold_label for s in scored], [(s.label, s.confidence) for s in scored])
    texts = [s.text for s in scored]
    gold_labels = [s.gold_label for s in scored]
    confidences = [s.confidence for s in scored]
    right = [s.right for s in scored]
    found = threshold_for_precision(confidences, right)
    return {
        **labels,
        "spans": span_scores(texts, gold_labels, [s.gold_sources for s in scored], [s.source_span for s in scored]),
        "cues": span_scores(texts, gold_labels, [s.gold_cues for s in scored], [s.cue_span for s in scored]),
        "right": round(sum(right) / len(right), 4) if right else 0.0,
        "calibration": {
            "ece": expected_calibration_error(confidences, [s.label == s.gold_label for s in scored]),
            "brier": brier_score([dict(s.probabilities) for s in scored], gold_labels)
            if scored and all(s.probabilities for s in scored)
            else None,
        },
        "prefill": coverage_at(confidences, right, threshold),
        "at_95": coverage_at(confidences, right, found),
    }
