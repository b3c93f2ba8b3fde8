"""Writes of the reliability app: recompute every outlet's score into a stored run (its record
first, then every figure from that record), publish a run, and settle a disputed sentence
(adjudication, with the previous value kept)."""

from __future__ import annotations

import dataclasses
import time
from collections import Counter, defaultdict
from collections.abc import Hashable
from typing import Any

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from annotate.codebook import Label
from annotate.models import Adjudication, Outlet, Sentence, Source, is_lead
from reliability import queries
from reliability.models import RunClaim, RunSentence, ScoreRun, ScoreSnapshot
from reliability.scoring import (
    COUNT_FIELDS,
    METHOD_VERSION,
    ArticleCounts,
    MethodSettings,
    SpanAgreement,
    compare_sentence_spans,
    global_rates,
    indicator_counts,
    interpret_alpha,
    krippendorff_alpha_from_patterns,
    reliability_score,
    score_outlet,
    smoothed_rate,
)

TOP_SOURCES = 10
# Records of unpublished runs are kept for the newest runs only (a lead reviews and publishes one of
# these); older unpublished runs keep their figures but lose their per-sentence record.
KEEP_UNPUBLISHED_RECORDS = 3


def _monthly(rollups: list[queries.ArticleRollup], p0: dict[str, float | None], method: MethodSettings) -> list[dict]:
    """Per publication month: articles, sentences and the smoothed score of that month's pooled
    counts (None for a month with fewer than `min_articles` articles)."""
    months: dict[str, list[ArticleCounts]] = defaultdict(list)
    for rollup in rollups:
        if rollup.published is not None:
            months[rollup.published.strftime("%Y-%m")].append(rollup.counts)
    trend = []
    for month in sorted(months):
        pooled = ArticleCounts.pooled(months[month])
        values = {}
        for name, (x, n) in indicator_counts(pooled).items():
            prior = 0.0 if method.prior_strength == 0 else p0.get(name)
            values[name] = None if prior is None else smoothed_rate(x, n, prior, method.prior_strength)
        trend.append(
            {
                "month": month,
                "articles": len(months[month]),
                "sentences": pooled.reporting + pooled.analysis,
                # Same rule as the outlet: fewer articles than the minimum shows no score.
                "score": reliability_score(values, method.weights)
                if len(months[month]) >= method.min_articles
                else None,
            }
        )
    return trend


def _article_rows(
    rollups: list[queries.ArticleRollup], patterns: queries.AgreementPatterns, restates: dict[int, list[str]]
) -> list[dict]:
    rows = []
    for rollup in rollups:
        alpha = krippendorff_alpha_from_patterns(patterns.by_article.get(rollup.article_id, {}))
        row = {name: getattr(rollup.counts, name) for name in COUNT_FIELDS}
        rows.append(
            {
                "id": rollup.article_id,
                "published": rollup.published.isoformat() if rollup.published else None,
                "alpha": alpha,
                "restates": restates.get(rollup.article_id, []),
                **row,
            }
        )
    return rows


def _with_claims(rollups: list[queries.ArticleRollup], run_id: int) -> dict[int, list[str]]:
    """Add the claims fields (method version 2) to each rollup's counts: the article itself, whether
    it restates another outlet (a standing credit or rewrite link, now), and its claims from the
    run's claims record. Returns article id -> the domains it restates (frozen in the figures)."""
    counts = queries.claim_counts(run_id)
    restates = queries.restating_articles(rollup.article_id for rollup in rollups)
    for rollup in rollups:
        rollup.counts = dataclasses.replace(
            rollup.counts,
            articles=1,
            original=int(rollup.article_id not in restates),
            **counts.get(rollup.article_id, {}),
        )
    return restates


def _pair_rows(pairs: dict[tuple[int, int], Counter], names: dict[Hashable, str]) -> list[dict]:
    rows = []
    for (reviewer_a, reviewer_b), pattern in sorted(pairs.items()):
        alpha = krippendorff_alpha_from_patterns(pattern)
        rows.append(
            {
                "reviewers": [names.get(reviewer_a, "?"), names.get(reviewer_b, "?")],
                "sentences": sum(pattern.values()),
                "alpha": alpha,
                "interpretation": interpret_alpha(alpha),
            }
        )
    return rows


def _span_agreement() -> tuple[SpanAgreement, dict[int, SpanAgreement]]:
    """Span agreement overall and per outlet from the streamed span units (one query)."""
    overall = SpanAgreement()
    by_outlet: dict[int, SpanAgreement] = defaultdict(SpanAgreement)
    for unit in queries.span_units():
        compared = compare_sentence_spans(unit.text, unit.marks)
        overall.add(compared)
        by_outlet[unit.outlet_id].add(compared)
    return overall, by_outlet


def compute_scores(run_id: int, method: MethodSettings | None = None) -> dict[str, Any]:
    """Every outlet's figures from the record of run `run_id` (`queries.record_run_sentences`)
    and, for reviewer-pair and span agreement, the counting marks; writes nothing.

    Output: {"global_rates", "overall_alpha", "reviewer_pairs", "span_agreement", "outlets": {outlet id:
    figures}} where figures is `OutletScore.to_dict()` plus agreement (alpha and span agreement,
    `SpanAgreement.to_dict()` with reviewer usernames), label status counts, monthly trend,
    most-cited sources and per-article counts. A constant number of queries (no per-outlet or
    per-sentence query); outlets without settled sentences get `insufficient_evidence`.
    """
    method = method or MethodSettings()
    rollups = queries.article_rollups(run_id)
    restates = _with_claims(rollups, run_id)
    p0 = global_rates([rollup.counts for rollup in rollups])
    sides_defined = queries.sides_per_outlet()
    patterns = queries.agreement_patterns(run_id, per_article=True)
    statuses = queries.sentence_status_counts(run_id)
    pair_patterns = queries.reviewer_pair_patterns()
    span_overall, span_by_outlet = _span_agreement()
    by_outlet: dict[int, list[queries.ArticleRollup]] = defaultdict(list)
    for rollup in rollups:
        by_outlet[rollup.outlet_id].append(rollup)
    cited: dict[int, Counter] = defaultdict(Counter)
    for rollup in rollups:
        cited[rollup.outlet_id].update(rollup.sources)
    top_ids = {source for counter in cited.values() for source, _ in counter.most_common(TOP_SOURCES)}
    facts = queries.source_facts(top_ids)
    reviewer_ids: set[Hashable] = {reviewer for _, a, b in pair_patterns for reviewer in (a, b)}
    reviewer_ids |= {reviewer for pair in span_overall.pairs for reviewer in pair}
    names: dict[Hashable, str] = dict(
        get_user_model().objects.filter(pk__in=reviewer_ids).values_list("pk", "username")
    )
    overall_pairs: dict[tuple[int, int], Counter] = defaultdict(Counter)
    outlet_pairs: dict[int, dict[tuple[int, int], Counter]] = defaultdict(lambda: defaultdict(Counter))
    for (outlet_id, reviewer_a, reviewer_b), pattern in pair_patterns.items():
        overall_pairs[reviewer_a, reviewer_b].update(pattern)
        outlet_pairs[outlet_id][reviewer_a, reviewer_b].update(pattern)
    outlets: dict[int, dict[str, Any]] = {}
    for outlet_id in Outlet.objects.filter(retired=False).order_by("pk").values_list("pk", flat=True):
        articles = by_outlet.get(outlet_id, [])
        counts = [rollup.counts for rollup in articles]
        present = len({side for c in counts for side, n in c.sides.items() if n > 0})
        score = score_outlet(counts, p0, method, max(sides_defined.get(outlet_id, 0), present))
        alpha = krippendorff_alpha_from_patterns(patterns.by_outlet.get(outlet_id, {}))
        outlet_figures = score.to_dict()
        outlet_figures.update(
            {
                "alpha": alpha,
                "alpha_interpretation": interpret_alpha(alpha),
                "agreement_sentences": sum(patterns.by_outlet.get(outlet_id, {}).values()),
                "label_status": statuses.get(outlet_id, {}),
                "monthly": _monthly(articles, p0, method),
                "top_sources": [
                    {
                        "id": source,
                        "name": facts[source].name,
                        "kind": facts[source].kind,
                        "side": facts[source].side,
                        "attributions": n,
                    }
                    for source, n in cited[outlet_id].most_common(TOP_SOURCES)
                    if source in facts
                ],
                "articles": _article_rows(articles, patterns, restates),
                "reviewer_pairs": _pair_rows(outlet_pairs.get(outlet_id, {}), names),
                "span_agreement": span_by_outlet.get(outlet_id, SpanAgreement()).to_dict(names),
            }
        )
        outlets[outlet_id] = outlet_figures
    overall_alpha = krippendorff_alpha_from_patterns(patterns.overall)
    return {
        "global_rates": p0,
        "overall_alpha": overall_alpha,
        "overall_alpha_interpretation": interpret_alpha(overall_alpha),
        "reviewer_pairs": _pair_rows(overall_pairs, names),
        "span_agreement": span_overall.to_dict(names),
        "outlets": outlets,
    }


def prune_run_records(*, keep: int = KEEP_UNPUBLISHED_RECORDS) -> int:
    """Delete the per-sentence records of unpublished runs other than the newest `keep` runs
    (published records are kept for ever); those runs keep their figures but can no longer be
    published. Returns the number of runs pruned."""
    newest = list(ScoreRun.objects.values_list("pk", flat=True)[:keep])
    stale = list(
        ScoreRun.objects.filter(published=False, record_kept=True).exclude(pk__in=newest).values_list("pk", flat=True)
    )
    if stale:
        RunSentence.objects.filter(run_id__in=stale).delete()
        RunClaim.objects.filter(run_id__in=stale).delete()
        ScoreRun.objects.filter(pk__in=stale).update(record_kept=False)
    return len(stale)


@transaction.atomic
def recompute_outlet_scores(*, triggered_by=None, method: MethodSettings | None = None) -> ScoreRun:
    """Compute every outlet's score and store it: one `ScoreRun` (unpublished) with its record
    (the gold label of every sentence it used, `queries.record_run_sentences`), then one
    `ScoreSnapshot` per outlet computed from that record. Earlier runs stay (history and trends;
    old unpublished records are pruned, `prune_run_records`). Empty data is fine: every outlet
    is stored with `insufficient_evidence`."""
    method = method or MethodSettings()
    started = time.perf_counter()
    queries.prepare_recompute()
    run = ScoreRun.objects.create(
        method_version=METHOD_VERSION, method_settings=method.to_dict(), triggered_by=triggered_by
    )
    run.sentence_count = queries.record_run_sentences(run.pk)
    queries.record_run_claims(run.pk)
    computed = compute_scores(run.pk, method)
    run.overall_alpha = computed["overall_alpha"]
    run.figures = {key: value for key, value in computed.items() if key != "outlets"}
    snapshots = []
    for outlet_id, figures in computed["outlets"].items():
        interval = figures["score_interval"] or [None, None]
        snapshots.append(
            ScoreSnapshot(
                run=run,
                outlet_id=outlet_id,
                method_version=figures["method_version"],
                computed_at=run.computed_at,
                score=figures["score"],
                score_low=interval[0],
                score_high=interval[1],
                insufficient_evidence=figures["insufficient_evidence"],
                article_count=figures["article_count"],
                sentence_count=figures["sentence_count"],
                alpha=figures["alpha"],
                figures=figures,
            )
        )
    ScoreSnapshot.objects.bulk_create(snapshots, batch_size=500)
    prune_run_records()
    run.duration_seconds = time.perf_counter() - started
    run.save(update_fields=["sentence_count", "overall_alpha", "figures", "duration_seconds"])
    return run


def latest_published_run() -> ScoreRun | None:
    return ScoreRun.objects.filter(published=True).first()


def publishable_error(run: ScoreRun) -> str | None:
    """Why `run` cannot be published, or None: its record was pruned (too old to publish), or a
    newer run is already published (readers would not see it)."""
    if not run.record_kept:
        return f"Run {run.pk} is too old: its per-sentence record was pruned. Recompute and publish the new run."
    newer = ScoreRun.objects.filter(published=True).filter(
        Q(computed_at__gt=run.computed_at) | Q(computed_at=run.computed_at, pk__gt=run.pk)
    )
    if not run.published and newer.exists():
        return "A newer run is already published: readers would not see this one."
    return None


@transaction.atomic
def publish_run(*, run: ScoreRun, by) -> ScoreRun:
    """Make exactly `run` visible to anonymous readers (when PUBLIC_SCORES), with its record: its
    figures and evidence are then frozen (the run and its rows can no longer be deleted). Leads
    only; publishing a published run changes nothing. Raises ValidationError (nothing written)
    for a non-lead or a run `publishable_error` refuses."""
    if not is_lead(by):
        raise ValidationError("Only leads can publish scores.")
    run = ScoreRun.objects.select_for_update().get(pk=run.pk)
    if run.published:
        return run
    error = publishable_error(run)
    if error:
        raise ValidationError(error)
    run.published, run.published_at, run.published_by = True, timezone.now(), by
    run.save(update_fields=["published", "published_at", "published_by"])
    return run


def _describe(adjudication: Adjudication) -> str:
    source = f" ({adjudication.source})" if adjudication.source_id else ""
    return f"{adjudication.label}{source} by {adjudication.lead} at {adjudication.decided_at:%Y-%m-%d %H:%M:%S}"


@transaction.atomic
def adjudicate_sentence(
    *, sentence: Sentence, label: str, lead, source: Source | None = None, note: str = ""
) -> tuple[Adjudication, bool]:
    """Settle a sentence's gold label (and, for an attribution, its gold source).

    A lead may re-adjudicate: the previous value (label, source, who, when) is appended as a
    "previous:" line to the note, so the history stays on the row. Raises ValidationError (and
    writes nothing) for a non-lead, an unknown label, an attribution without a source or a source
    on a non-attribution. Returns (adjudication, created); an unchanged decision writes nothing.
    """
    errors = {}
    if not is_lead(lead):
        errors["lead"] = "only leads can adjudicate"
    if label not in Label.values:
        errors["label"] = f"{label!r} is not a codebook label ({', '.join(Label.values)})"
    if label == Label.ATTRIBUTION and source is None:
        errors["source"] = "an attribution needs a source"
    if label != Label.ATTRIBUTION and source is not None:
        errors["source"] = "only an attribution has a source"
    if errors:
        raise ValidationError(errors)
    existing = (
        Adjudication.objects.select_for_update(of=("self",))
        .select_related("lead", "source")
        .filter(sentence=sentence)
        .first()
    )
    if existing is None:
        adjudication = Adjudication(sentence=sentence, label=label, source=source, lead=lead, note=note)
        adjudication.full_clean()
        adjudication.save()
        return adjudication, True
    if existing.label == label and existing.source_id == (source.pk if source else None) and not note:
        return existing, False
    history = [line for line in existing.note.splitlines() if line.startswith("previous: ")]
    kept_note = note or "\n".join(line for line in existing.note.splitlines() if not line.startswith("previous: "))
    history.append(f"previous: {_describe(existing)}")
    existing.label, existing.source, existing.lead = label, source, lead
    existing.note = "\n".join([kept_note, *history] if kept_note else history)
    existing.full_clean()
    existing.save()
    return existing, False
