"""How good the suggestions are: gold-labelled sentences, cross-validation by article, per-label and
span scores, coverage by confidence, and how often reviewers accept a suggestion unchanged."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from annotate.codebook import Label
from suggestions.model import Suggester, build_pipeline
from suggestions.predict import suggest_texts


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
