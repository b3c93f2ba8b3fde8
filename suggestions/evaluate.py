"""How good the suggestions are on gold-labelled articles: the rules, the shipped default model and a
model retrained with these articles, each scored on articles it was not trained on, plus how often
reviewers accept a suggestion unchanged."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from annotate.codebook import Label
from suggestions.fit import Article, C, article_rows, calibrated, held_out, scored_sentence
from suggestions.gold import GoldSentence, by_article
from suggestions.metrics import score_suggestions
from suggestions.model import RULES, LabelModel, Suggester, default_model
from suggestions.predict import label_article


def _trainable(gold: Sequence[GoldSentence]) -> bool:
    return len({g.label for g in gold}) >= 2


def score_model(articles: Sequence[Article], suggester: Suggester) -> dict:
    """A fixed model (or the rules) scored on every sentence; its own pre-fill threshold applied."""
    scored = []
    for article in articles:
        labelled = label_article([g.text for g in article], published=article[0].published, suggester=suggester)
        probabilities = (
            suggester.model.probabilities(article_rows(article)).tolist() if suggester.model is not None else None
        )
        for i, (g, (label, confidence, attribution)) in enumerate(zip(article, labelled, strict=True)):
            model = suggester.model
            vector = tuple(zip(model.classes, probabilities[i], strict=True)) if probabilities and model else ()
            scored.append(scored_sentence(g, label, confidence, attribution, vector))
    threshold = suggester.model.prefill_threshold if suggester.model is not None else None
    return {"version": suggester.version, **score_suggestions(scored, threshold)}


def evaluate(
    gold: Sequence[GoldSentence],
    *,
    folds: int | None = 5,
    extra: Sequence[GoldSentence] = (),
    default: LabelModel | None | bool = True,
    c: float = C,
) -> dict:
    """Rules, default model and a retrained model scored over the same sentences.

    The rules and the default model need no training here: they are scored on every sentence (the
    default is skipped, with a reason, when it was trained on some of these articles). The retrained
    model is fitted on the other folds plus `extra` (the default's training data, for a team's own
    labels) and scored on each held-out fold; one temperature is fitted on the pooled held-out
    scores, and the pre-fill threshold is the one those held-out suggestions support. `folds` None
    means leave-one-article-out. The retrained part is skipped, with a reason, when there are
    fewer than two articles or one fold's training part holds a single label.
    """
    articles = by_article(gold)
    extra_articles = by_article(extra)
    n_articles = len(articles)
    n_folds = (n_articles if folds is None else min(folds, n_articles)) if n_articles >= 2 else 0
    report: dict[str, Any] = {
        "sentences": len(gold),
        "articles": n_articles,
        "folds": n_folds,
        "leave_one_out": n_folds == n_articles and n_articles >= 2,
        "label_counts": {label: sum(g.label == label for g in gold) for label in Label.values},
        "models": {"rules": score_model(articles, RULES)},
    }
    model = default_model() if default is True else default or None
    if model is not None:
        trained_on = set(model.metadata.get("training_articles", []))
        overlap = trained_on & {str(article[0].article_id) for article in articles}
        report["models"]["default"] = (
            {"skipped": f"{model.version} was trained on {len(overlap)} of these articles", "version": model.version}
            if overlap
            else score_model(articles, Suggester(model.version, model))
        )
    if n_articles < 2:
        report["models"]["retrained"] = {"skipped": "cross-validation needs at least two articles"}
        return report
    result = held_out(articles, folds=folds, extra=extra_articles, c=c)
    if result is None:
        report["models"]["retrained"] = {"skipped": "a fold's training part has a single label"}
        return report
    # the temperature and threshold are what matter here: any fold's model carries them
    tuned, scored = calibrated(result.fold_models[0], result, articles)
    report["models"]["retrained"] = {
        "version": "cross-validated",
        "temperature": tuned.temperature,
        "extra_training_sentences": len(extra),
        **score_suggestions(scored, tuned.prefill_threshold),
    }
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
