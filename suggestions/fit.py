"""Fitting label models (scikit-learn at training time only) and scoring them on held-out folds.

A label model is a class-balanced multinomial logistic regression over suggestions/features.py's
features, fitted on whole articles. Its confidence is calibrated by one temperature fitted on
out-of-fold scores (folds never split an article), and its pre-fill threshold is the lowest
confidence at which those held-out suggestions were right 95 % of the time.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from suggestions.features import article_features
from suggestions.gold import GoldSentence
from suggestions.metrics import Scored, threshold_for_precision
from suggestions.model import LabelModel, Suggester, softmax
from suggestions.predict import label_article

C = 0.1
PREFILL_PRECISION = 0.95
# The pre-fill threshold needs a margin: the Wilson lower bound (z = 1.28, "90 % sure") of the held-out
# share right must reach PREFILL_PRECISION, not the share itself. Unseen articles differ from the
# training ones: with z = 0.5, a fresh set of 12 articles was right 88.7 % of the time above the
# threshold (docs/suggestions.md). A model trained on few sentences may get no threshold: it never pre-fills.
PREFILL_Z = 1.28
MIN_PREFILL_COUNT = 20
TEMPERATURES = tuple(round(0.25 + 0.05 * i, 2) for i in range(76))  # 0.25 … 4.0
MISSING_CLASS_LOGIT = -30.0
# A label with fewer gold sentences is left to the rules: too few to learn. `other` (bylines, credits,
# captions) is a matter of form that the rules decide; the model learns it only from many examples.
MIN_CLASS_SIZE = 5
MIN_CLASS_SIZES = {"other": 20}


def learnable(label: str, count: int) -> bool:
    """Whether `count` gold sentences of `label` are enough for the model to learn it."""
    return count >= MIN_CLASS_SIZES.get(label, MIN_CLASS_SIZE)


Article = Sequence[GoldSentence]


def article_rows(article: Article) -> list[dict[str, float]]:
    return article_features([g.text for g in article], article[0].published if article else None)


def fit_linear(rows: Sequence[dict[str, float]], labels: Sequence[str], *, version: str, c: float = C) -> LabelModel:
    """An uncalibrated model (temperature 1, no pre-fill threshold) fitted on feature rows; labels with
    too few examples (learnable) are left out: the rules alone suggest them."""
    from sklearn.feature_extraction import DictVectorizer
    from sklearn.linear_model import LogisticRegression

    counts = Counter(labels)
    kept = [i for i, label in enumerate(labels) if learnable(label, counts[label])]
    rows, labels = [rows[i] for i in kept], [labels[i] for i in kept]
    if len(set(labels)) < 2:
        raise ValueError("training data with a single label")
    vectorizer = DictVectorizer(sort=True)
    matrix = vectorizer.fit_transform(rows)
    classifier = LogisticRegression(C=c, max_iter=5000, class_weight="balanced").fit(matrix, list(labels))
    classes = tuple(str(label) for label in classifier.classes_)
    coefficients = classifier.coef_
    intercepts = classifier.intercept_
    if len(classes) == 2:  # scikit-learn keeps one row for two classes: logits (0, w·x + b)
        coefficients = np.vstack([np.zeros_like(coefficients[0]), coefficients[0]])
        intercepts = np.array([0.0, intercepts[0]])
    return LabelModel(
        version=version,
        classes=classes,
        features=tuple(str(name) for name in vectorizer.get_feature_names_out()),
        coefficients=tuple(tuple(float(v) for v in row) for row in coefficients),
        intercepts=tuple(float(v) for v in intercepts),
    )


def fold_of_articles(article_ids: Sequence[Hashable], folds: int | None) -> dict[Hashable, int]:
    """Article -> fold. `folds` None (or at least the number of articles): one article per fold
    (leave-one-article-out); else articles dealt round-robin in first-seen order."""
    unique = list(dict.fromkeys(article_ids))
    n_folds = len(unique) if folds is None else max(1, min(folds, len(unique)))
    return {article: i % n_folds for i, article in enumerate(unique)}


@dataclass
class HeldOut:
    """Out-of-fold results: per sentence (in the order of the articles given) the held-out model's
    logits over `classes` and the gold sentence; `fold_models` the uncalibrated model of each fold."""

    classes: tuple[str, ...]
    logits: np.ndarray
    gold: list[GoldSentence]
    fold_models: list[LabelModel]
    fold_of_sentence: list[int]


def held_out(
    articles: Sequence[Article], *, folds: int | None, extra: Sequence[Article] = (), c: float = C
) -> HeldOut | None:
    """Fit one model per fold on the other folds (plus `extra`, e.g. the default training data) and
    score the fold's articles with it. None when a fold's training part holds a single label."""
    rows = [article_rows(article) for article in articles]
    extra_rows = [row for article in extra for row in article_rows(article)]
    extra_labels = [g.label for article in extra for g in article]
    assignment = fold_of_articles([article[0].article_id for article in articles], folds)
    n_folds = len(set(assignment.values()))
    classes = tuple(sorted({g.label for article in (*articles, *extra) for g in article}))
    fold_models: list[LabelModel] = []
    per_article: dict[int, np.ndarray] = {}
    for fold in range(n_folds):
        train = [i for i, article in enumerate(articles) if assignment[article[0].article_id] != fold]
        train_rows = [row for i in train for row in rows[i]] + extra_rows
        train_labels = [g.label for i in train for g in articles[i]] + extra_labels
        if sum(learnable(label, n) for label, n in Counter(train_labels).items()) < 2:
            return None
        model = fit_linear(train_rows, train_labels, version=f"fold-{fold}", c=c)
        fold_models.append(model)
        for i, article in enumerate(articles):
            if assignment[article[0].article_id] == fold:
                per_article[i] = _aligned(model, model.logits(rows[i]), classes)
    order = range(len(articles))
    return HeldOut(
        classes=classes,
        logits=np.vstack([per_article[i] for i in order]) if articles else np.zeros((0, len(classes))),
        gold=[g for article in articles for g in article],
        fold_models=fold_models,
        fold_of_sentence=[assignment[article[0].article_id] for article in articles for _ in article],
    )


def _aligned(model: LabelModel, logits: np.ndarray, classes: Sequence[str]) -> np.ndarray:
    """Logits over `classes` (a class the fold never saw gets a very low score)."""
    out = np.full((logits.shape[0], len(classes)), MISSING_CLASS_LOGIT)
    for j, label in enumerate(model.classes):
        out[:, classes.index(label)] = logits[:, j]
    return out


def fit_temperature(logits: np.ndarray, classes: Sequence[str], gold_labels: Sequence[str]) -> float:
    """The temperature (grid 0.25 … 4.0) minimising the mean negative log-likelihood of the gold
    labels under softmax(logits / T); 1.0 when no gold label is among the classes."""
    known = [(i, classes.index(label)) for i, label in enumerate(gold_labels) if label in classes]
    if not known:
        return 1.0
    rows = np.array([i for i, _ in known])
    gold = np.array([j for _, j in known])
    best, best_loss = 1.0, float("inf")
    for temperature in TEMPERATURES:
        probabilities = softmax(logits[rows] / temperature)
        loss = -float(np.mean(np.log(np.maximum(probabilities[np.arange(len(rows)), gold], 1e-12))))
        if loss < best_loss - 1e-12:
            best, best_loss = temperature, loss
    return best


def scored_held_out(result: HeldOut, articles: Sequence[Article], temperature: float) -> list[Scored]:
    """Each held-out sentence suggested as predict.py would (spans, boilerplate rule, calibrated
    confidence) by its fold's model at `temperature`."""
    scored: list[Scored] = []
    position = 0
    for article in articles:
        fold = result.fold_of_sentence[position]
        model = replace(result.fold_models[fold], temperature=temperature)
        labelled = label_article(
            [g.text for g in article], published=article[0].published, suggester=Suggester(model.version, model)
        )
        probabilities = model.probabilities(article_rows(article))
        for g, (label, confidence, attribution), row in zip(article, labelled, probabilities, strict=True):
            scored.append(
                scored_sentence(g, label, confidence, attribution, tuple(zip(model.classes, row.tolist(), strict=True)))
            )
        position += len(article)
    return scored


def scored_sentence(
    gold: GoldSentence, label: str, confidence: float, attribution: Any, probabilities: tuple = ()
) -> Scored:
    is_attribution = label == "attribution" and attribution is not None
    return Scored(
        text=gold.text,
        gold_label=gold.label,
        gold_sources=gold.spans,
        gold_cues=gold.cue_spans,
        label=label,
        confidence=confidence,
        source_span=attribution.source_span if is_attribution else None,
        cue_span=attribution.cue_span if is_attribution else None,
        probabilities=tuple((str(k), round(float(v), 4)) for k, v in probabilities),
    )


def calibrated(model: LabelModel, result: HeldOut, articles: Sequence[Article]) -> tuple[LabelModel, list[Scored]]:
    """`model` with the temperature and pre-fill threshold that the held-out folds support, and the
    held-out suggestions made at that temperature."""
    temperature = fit_temperature(result.logits, result.classes, [g.label for g in result.gold])
    scored = scored_held_out(result, articles, temperature)
    threshold = threshold_for_precision(
        [s.confidence for s in scored],
        [s.right for s in scored],
        precision=PREFILL_PRECISION,
        min_count=MIN_PREFILL_COUNT,
        z=PREFILL_Z,
    )
    return replace(model, temperature=temperature, prefill_threshold=threshold), scored


def fit_label_model(
    articles: Sequence[Article],
    *,
    version: str,
    folds: int | None = None,
    extra: Sequence[Article] = (),
    c: float = C,
    progress: Callable[[str], None] | None = None,
) -> tuple[LabelModel, list[Scored]]:
    """Fit on `articles` + `extra`, then calibrate on out-of-fold predictions over `articles` (each
    fold's model also sees `extra`). Returns the calibrated model and the held-out suggestions."""
    if progress:
        progress("fitting")
    rows = [row for article in (*articles, *extra) for row in article_rows(article)]
    labels = [g.label for article in (*articles, *extra) for g in article]
    model = fit_linear(rows, labels, version=version, c=c)
    if progress:
        progress("held-out folds")
    result = held_out(articles, folds=folds, extra=extra, c=c) if len(articles) >= 2 else None
    if result is None:
        return model, []
    return calibrated(model, result, articles)
