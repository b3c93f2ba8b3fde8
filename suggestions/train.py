"""Train the learned label model on the gold labels and make it the active one."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from annotate.codebook import Label
from suggestions.evaluate import _trainable, evaluate, gold_sentences
from suggestions.model import LEARNED_KIND, RULES_VERSION, build_pipeline, dump_payload, sklearn_version


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

    from suggestions.models import SuggestionModel

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
