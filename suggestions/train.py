"""Training label models: the shipped default from gold files, and a team's own from its gold labels
plus the default's data, switched to only when it does at least as well on the team's folds."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from annotate.codebook import Label
from suggestions.evaluate import _trainable, evaluate
from suggestions.fit import PREFILL_PRECISION, C, fit_label_model
from suggestions.gold import GoldSentence, by_article, gold_sentences, read_gold_dirs
from suggestions.metrics import score_suggestions
from suggestions.model import DEFAULT_MODEL_PATH, LEARNED_KIND, LabelModel, default_model

DATA_DIR = Path(__file__).resolve().parent / "data"
# The default model's training data, shipped with the app (Wikinews, CC BY 2.5; see data/README.md).
DEFAULT_DATA_DIRS = (
    DATA_DIR / "wikinews-dev" / "gold",
    DATA_DIR / "wikinews-heldout" / "gold",
    DATA_DIR / "wikinews-heldout2" / "gold",
    DATA_DIR / "wikinews-heldout3" / "gold",
    DATA_DIR / "wikinews-heldout4" / "gold",
    DATA_DIR / "wikinews-heldout5" / "gold",
    DATA_DIR / "wikinews-heldout6" / "gold",
    DATA_DIR / "wikinews-heldout7" / "gold",
)
DEFAULT_VERSION = "wikinews-2"


def default_data_without(gold: Sequence[GoldSentence]) -> list[GoldSentence]:
    """The default model's training sentences, less the articles of `gold` (by file name): what each
    fold adds when `evaluate --with-default-data` scores the default's recipe on those articles."""
    articles = {g.article_id for g in gold}
    return [g for g in read_gold_dirs(DEFAULT_DATA_DIRS) if g.article_id not in articles]


def sklearn_version() -> str:
    import sklearn

    return sklearn.__version__


def _counts(gold: Sequence[GoldSentence]) -> dict[str, int]:
    return {label: sum(g.label == label for g in gold) for label in Label.values}


def train_default_model(
    gold_dirs: Sequence[Path | str],
    *,
    version: str = DEFAULT_VERSION,
    output: Path | None = DEFAULT_MODEL_PATH,
    progress: Callable[[str], None] | None = None,
) -> tuple[LabelModel, dict]:
    """Fit a model on gold files (dev-set format), calibrate it leave-one-article-out, write it as
    JSON to `output` (None: do not write) and return it with its held-out figures. Deterministic:
    the same files give the same JSON."""
    gold = read_gold_dirs(gold_dirs)
    articles = by_article(gold)
    model, scored = fit_label_model(articles, version=version, folds=None, progress=progress)
    figures = score_suggestions(scored, model.prefill_threshold)
    model = replace(
        model,
        metadata={
            "trained_with": f"scikit-learn {sklearn_version()}, LogisticRegression(C={C}, class_weight='balanced')",
            "training_data": [Path(folder).resolve().parent.name for folder in gold_dirs],
            "training_articles": sorted({str(a[0].article_id) for a in articles}),
            "label_counts": _counts(gold),
            "sentences": len(gold),
            "held_out": "leave-one-article-out",
            "prefill_precision": PREFILL_PRECISION,
            "figures": _summary(figures),
            "licence": "training texts: Wikinews contributors, CC BY 2.5",
        },
    )
    if output is not None:
        Path(output).write_text(model.dumps(), encoding="utf-8")
    return model, figures


def _summary(figures: dict) -> dict:
    """The held-out figures worth keeping inside a model file."""
    return {
        "per_label_f1": {label: values["f1"] for label, values in figures["labels"].items() if values["support"]},
        "macro_f1": figures["macro_f1"],
        "accuracy": figures["accuracy"],
        "source_overlap_f1": figures["spans"]["overlap"]["f1"],
        "cue_overlap_f1": figures["cues"]["overlap"]["f1"],
        "ece": figures["calibration"]["ece"],
        "brier": figures["calibration"]["brier"],
        "prefill": figures["prefill"],
    }


def should_switch(retrained: dict, baseline: dict) -> bool:
    """Switch to the retrained model when its held-out macro-F1 on the team's folds is at least the
    current default's on the same sentences (or when there is no default to compare with)."""
    if "macro_f1" not in baseline:
        return True
    return retrained["macro_f1"] >= baseline["macro_f1"]


@dataclass
class TrainResult:
    """The stored model (None when nothing was stored), whether it is now active, and what happened."""

    model: Any
    message: str
    training_size: int
    active: bool = False


def min_training_size() -> int:
    from django.conf import settings

    return int(getattr(settings, "SUGGEST_MIN_TRAINING", 200))


def train_model(*, folds: int = 5, progress: Callable[[str], None] | None = None) -> TrainResult:
    """Retrain on the team's gold labels plus the default model's data, and switch to it only if it
    does at least as well as the current default on the team's own folds.

    Below SUGGEST_MIN_TRAINING gold sentences (default 200), or with a single label, nothing is
    trained. Otherwise `evaluate` scores the default model and the retrained recipe on the team's
    folds (each fold's model trained on the other folds plus the default data); the model fitted on
    everything is calibrated on those folds and stored with the figures; it becomes active when its
    held-out macro-F1 is at least the default's, else it is stored inactive and the default stays.
    """
    from django.db import transaction
    from django.utils import timezone

    from suggestions.models import SuggestionModel

    gold = gold_sentences()
    minimum = min_training_size()
    current = default_model()
    keep = current.version if current is not None else "the rules"
    if len(gold) < minimum or not _trainable(gold):
        why = (
            f"only {len(gold)} gold-labelled sentence(s); at least {minimum} are needed (SUGGEST_MIN_TRAINING)"
            if len(gold) < minimum
            else "the gold labels hold a single label"
        )
        return TrainResult(None, f"{why}: no model trained, suggestions use {keep}", len(gold))
    extra = read_gold_dirs(DEFAULT_DATA_DIRS)
    if progress:
        progress("evaluating on the team's folds")
    report = evaluate(gold, folds=folds, extra=extra, default=current)
    now = timezone.now()
    version = f"lr-{now:%Y%m%d%H%M%S}-{len(gold)}"
    model, scored = fit_label_model(
        by_article(gold), version=version, folds=folds, extra=by_article(extra), progress=progress
    )
    retrained = report["models"].get("retrained", {})
    baseline = report["models"].get("default", {})
    if "skipped" in retrained:
        return TrainResult(None, f"not trained: {retrained['skipped']}; suggestions use {keep}", len(gold))
    better = should_switch(retrained, baseline)
    model = replace(
        model,
        metadata={
            "trained_with": f"scikit-learn {sklearn_version()}, LogisticRegression(C={C}, class_weight='balanced')",
            "team_sentences": len(gold),
            "default_data_sentences": len(extra),
            "label_counts": _counts(gold),
            "trained_at": now.isoformat(),
        },
    )
    metrics = {
        "evaluation": report,
        "articles": len(by_article(gold)),
        "label_counts": _counts(gold),
        "sklearn_version": sklearn_version(),
        "trained_at": now.isoformat(),
        "switched": better,
    }
    with transaction.atomic():
        suffix = 1
        while SuggestionModel.objects.filter(version=model.version).exists():
            suffix += 1
            model = replace(model, version=f"{version}-{suffix}")
        if better:
            SuggestionModel.objects.filter(is_active=True).update(is_active=False)
        stored = SuggestionModel.objects.create(
            version=model.version,
            kind=LEARNED_KIND,
            training_size=len(gold),
            metrics=metrics,
            parameters=model.to_dict(),
            is_active=better,
        )
    team = f"held-out macro-F1 {retrained['macro_f1']:.3f}"
    if "macro_f1" in baseline:
        team += f" vs {baseline['version']} {baseline['macro_f1']:.3f}"
    if better:
        message = f"trained {model.version} on {len(gold)} gold-labelled sentences ({team}); it is now active"
    else:
        message = f"trained {model.version} ({team}): worse than the current default, stored inactive; kept {keep}"
    return TrainResult(stored, message, len(gold), active=better)
