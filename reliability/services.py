"""Writes of the reliability app: recompute every outlet's score into a stored run (its record
first, then every figure from that record), publish a run, and settle a disputed sentence
(adjudication, with the previous value kept)."""

from __future__ import annotations

import gc
import hashlib
import json
import operator
import time
import zlib
from collections import Counter, defaultdict
from collections.abc import Callable, Hashable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import partial
from typing import Any, cast

import numpy as np
import orjson
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import AutoField, Field, JSONField, Q
from django.db.models.fields.json import KeyTransform
from django.utils import timezone

from annotate.bulk import insert_rows
from annotate.codebook import Label
from annotate.models import Adjudication, Article, Outlet, Sentence, Source, is_lead
from reliability import queries
from reliability.models import RunClaim, RunOutletParts, RunSentence, ScoreRun, ScoreSnapshot
from reliability.scoring import (
    COUNT_FIELDS,
    METHOD_VERSION,
    SPAN_MEASURES,
    ArticleCounts,
    MethodSettings,
    PreparedOutlet,
    SpanAgreement,
    SpanTally,
    compare_sentence_spans,
    finish_outlets,
    global_rates,
    indicator_counts,
    interpret_alpha,
    krippendorff_alpha_from_patterns,
    krippendorff_alpha_per_group,
    prepare_outlet,
    reliability_score,
    smoothed_rate,
)

TOP_SOURCES = 10
# Records of unpublished runs are kept for the newest runs only (a lead reviews and publishes one of
# these); older unpublished runs keep their figures but lose their per-sentence record.
KEEP_UNPUBLISHED_RECORDS = 3


@contextmanager
def _collection_paused() -> Iterator[None]:
    """No automatic garbage collection inside: a recompute makes some million objects that all
    stay alive until it returns (rows, parts, figures), and the collector, run every few hundred
    allocations, traverses the older ones again and again (a third of a full recompute's Python
    time at 1.2 M marks). Collection resumes afterwards; what became garbage meanwhile is
    collected then."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def _month_pools(rollups: list[queries.ArticleRollup]) -> list[tuple[str, int, ArticleCounts]]:
    """Per publication month, in order: (month, articles, the articles' pooled counts)."""
    months: dict[str, list[ArticleCounts]] = defaultdict(list)
    month_of: dict[date, str] = {}  # articles share their days: each formatted once
    for rollup in rollups:
        if (published := rollup.published) is not None:
            if (month := month_of.get(published)) is None:
                month = month_of[published] = published.strftime("%Y-%m")
            months[month].append(rollup.counts)
    return [(month, len(months[month]), ArticleCounts.pooled(months[month])) for month in sorted(months)]


def _monthly(
    pools: list[tuple[str, int, ArticleCounts]], p0: dict[str, float | None], method: MethodSettings
) -> list[dict]:
    """Per publication month (`_month_pools`): articles, sentences and the smoothed score of that
    month's pooled counts (None for a month with fewer than `min_articles` articles)."""
    trend = []
    for month, articles, pooled in pools:
        score = None
        # Same rule as the outlet: fewer articles than the minimum shows no score.
        if articles >= method.min_articles:
            values = {}
            for name, (x, n) in indicator_counts(pooled).items():
                prior = 0.0 if method.prior_strength == 0 else p0.get(name)
                values[name] = None if prior is None else smoothed_rate(x, n, prior, method.prior_strength)
            score = reliability_score(values, method.weights)
        trend.append(
            {"month": month, "articles": articles, "sentences": pooled.reporting + pooled.analysis, "score": score}
        )
    return trend


def _article_rows(
    rollups: list[queries.ArticleRollup], article_alpha: dict[int, float | None], restates: dict[int, list[str]]
) -> list[dict]:
    rows = []
    for rollup in rollups:
        row = dict(zip(COUNT_FIELDS, rollup.counts.row(), strict=True))
        rows.append(
            {
                "id": rollup.article_id,
                "published": rollup.published.isoformat() if rollup.published else None,
                "alpha": article_alpha.get(rollup.article_id),
                "restates": restates.get(rollup.article_id, []),
                **row,
            }
        )
    return rows


def _final_rollups(outlet_id: int, outlet: OutletParts, context: _Context) -> list[queries.ArticleRollup]:
    """The outlet's articles' rollups with the claims fields (method version 2): the article
    itself, whether it restates another outlet (a standing credit or rewrite link, now), and its
    claims from the run's claims record (`queries.claim_counts`); sides from the registry. As
    `queries.article_rollup` makes them (sums of integers: the order of the sources is no matter)."""
    rollups = []
    claims, restates, side_of = context.claims, context.restates, context.side_of()
    for article in outlet.articles:
        article_id = article.article_id
        sides: dict[str, int] = {}
        for source_id, count in article.sources.items():
            if (side := side_of.get(source_id)) is not None:
                sides[side] = sides.get(side, 0) + count
        counts = ArticleCounts(
            article_id=article_id,
            sides=dict(sorted(sides.items())) if len(sides) > 1 else sides,
            **article.counts,
            articles=1,
            original=int(article_id not in restates),
            **claims.get(article_id, {}),
        )
        rollups.append(queries.ArticleRollup(article_id, outlet_id, article.published, counts, article.sources))
    return rollups


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


_COUNTED = ("claims", "attributions", "analysis", "a_named", "a_anon", "a_media")
_COUNTED_OF = operator.itemgetter(*_COUNTED)


@dataclass(slots=True)
class ArticleParts:
    """One article's gold counts (`_COUNTED`), attributions per gold source and alpha in a run."""

    article_id: int
    published: date | None
    counts: dict[str, int]
    sources: dict[int, int]
    alpha: float | None


@dataclass
class OutletParts:
    """One outlet's share of a run, before anything that depends on every outlet is applied
    (global rates, overall agreement, claims across outlets): its articles' gold counts with
    alpha, its agreement patterns, label status, reviewer-pair patterns and span agreement counts.
    A run stores them (`RunOutletParts`), so that a refresh recomputes only the outlets a change
    touches; `_compose` turns every outlet's parts into the figures, the same way for a full
    recompute and for a refresh."""

    articles: list[ArticleParts] = field(default_factory=list)
    patterns: Counter = field(default_factory=Counter)
    statuses: dict[str, int] = field(default_factory=dict)
    pairs: dict[tuple[int, int], Counter] = field(default_factory=lambda: defaultdict(Counter))
    spans: SpanAgreement = field(default_factory=SpanAgreement)

    def to_json(self) -> dict[str, Any]:
        return {
            "articles": [
                [
                    article.article_id,
                    article.published.isoformat() if article.published else None,
                    *_COUNTED_OF(article.counts),
                    list(article.sources.items()),
                    article.alpha,
                ]
                for article in self.articles
            ],
            "patterns": [[list(pattern), n] for pattern, n in self.patterns.items()],
            "statuses": self.statuses,
            "pairs": [
                [a, b, [[list(pattern), n] for pattern, n in counter.items()]] for (a, b), counter in self.pairs.items()
            ],
            "spans": [
                [a, b, self.spans.sentences[a, b], [[t.both, t.first_only, t.second_only] for t in tallies.values()]]
                for (a, b), tallies in self.spans.pairs.items()
            ],
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> OutletParts:
        parts = cls(statuses=data.get("statuses", {}))
        parts.articles = [
            ArticleParts(
                article_id,
                date.fromisoformat(published) if published else None,
                dict(zip(_COUNTED, counts, strict=True)),
                dict(sources),
                alpha,
            )
            for article_id, published, *counts, sources, alpha in data.get("articles", ())
        ]
        parts.patterns = Counter({tuple(pattern): n for pattern, n in data["patterns"]})
        for a, b, counter in data["pairs"]:
            parts.pairs[a, b] = Counter({tuple(pattern): n for pattern, n in counter})
        for a, b, sentences, tallies in data["spans"]:
            parts.spans.pairs[a, b] = {
                measure: SpanTally(*numbers) for measure, numbers in zip(SPAN_MEASURES, tallies, strict=True)
            }
            parts.spans.sentences[a, b] = sentences
        return parts


def gather_parts(
    run_id: int,
    outlet_ids: Iterable[int] | None = None,
    pairs: dict[tuple[int, int, int], Counter] | None = None,
    *,
    decided: bool = False,
) -> dict[int, OutletParts]:
    """Every outlet's parts (`OutletParts`) of run `run_id` from its record and the counting
    marks, or those of `outlet_ids` only (each of them present, empty when it has no data): the
    rows `read_parts` reads, built into parts (`build_parts`)."""
    return build_parts(read_parts(run_id, outlet_ids, pairs, decided=decided))


@dataclass
class PartsRows:
    """What `read_parts` reads for `build_parts`: plain rows, nothing computed from them yet."""

    outlet_ids: list[int] | None
    patterns: list[tuple]  # `queries.agreement_pattern_rows`, per article
    totals: list[tuple]  # `queries.record_totals_rows`
    reviewable: dict[int, int]  # `queries.reviewable_counts`
    # Per group of outlets read together (every outlet, or one outlet): its reviewer pairs and span units.
    pairs: list[dict[tuple[int, int, int], Counter]]
    spans: list[list[queries.SpanUnit]]

    def reviewer_ids(self) -> set[Hashable]:
        """Every reviewer of the reviewer pairs and span units (those `build_parts` can name)."""
        reviewers: set[Hashable] = {reviewer for group in self.pairs for _, *pair in group for reviewer in pair}
        return reviewers | {mark.reviewer for units in self.spans for unit in units for mark in unit.marks}


def read_parts(
    run_id: int,
    outlet_ids: Iterable[int] | None = None,
    pairs: dict[tuple[int, int, int], Counter] | None = None,
    *,
    decided: bool = False,
) -> PartsRows:
    """The rows `build_parts` makes every outlet's parts of (or those of `outlet_ids` only). A
    constant number of queries (plus two per outlet of `outlet_ids`), restricted to `outlet_ids`
    when given. `pairs`: every outlet's reviewer pairs when already counted
    (`queries.decide_run_sentences`), else they are read here. `decided`: the record is read from
    `queries.DECIDED_TABLE` (a full recompute, before its record is written)."""
    outlet_ids = None if outlet_ids is None else list(outlet_ids)
    rows = PartsRows(
        outlet_ids=outlet_ids,
        patterns=queries.agreement_pattern_rows(run_id, per_article=True, outlet_ids=outlet_ids, decided=decided),
        totals=queries.record_totals_rows(run_id, outlet_ids, decided=decided),
        reviewable=queries.reviewable_counts(outlet_ids),
        pairs=[],
        spans=[],
    )
    # The counting marks: for all outlets in one pass each; for a few, one query per outlet, which
    # PostgreSQL walks through the indexes (for several at once it estimates a scan of every mark).
    groups: list[list[int] | None] = [None] if outlet_ids is None else [[outlet_id] for outlet_id in outlet_ids]
    for outlets in groups:
        rows.pairs.append(queries.reviewer_pair_patterns(outlets) if pairs is None or outlets is not None else pairs)
        rows.spans.append(list(queries.span_units(outlets)))
    return rows


def build_parts(rows: PartsRows) -> dict[int, OutletParts]:
    """Every outlet's parts from the rows `read_parts` read; no query."""
    parts: dict[int, OutletParts] = defaultdict(OutletParts)
    for outlet_id in rows.outlet_ids or ():
        parts[outlet_id] = OutletParts()
    patterns = queries.patterns_of_rows(rows.patterns, per_article=True)
    # Every article's alpha at once (numpy; the same floats as one `krippendorff_alpha_from_patterns`
    # per article); an article without two marks on one sentence has none.
    alphas: dict[Hashable, float | None] = {}
    if patterns.by_article is not None:
        by_article = patterns.by_article
        alphas = krippendorff_alpha_per_group(by_article[:, 0], by_article[:, 1:-1], by_article[:, -1])
    totals = queries.totals_of_rows(rows.totals)
    for article_id, outlet_id, published, counts, sources in totals.articles:
        parts[outlet_id].articles.append(
            ArticleParts(
                article_id,
                published,
                {name: counts.get(name, 0) for name in _COUNTED},
                sources,
                alphas.get(article_id),
            )
        )
    for outlet_id, counter in patterns.by_outlet.items():
        parts[outlet_id].patterns = counter
    for outlet_id, statuses in queries.statuses_with_unmarked(totals.statuses, rows.reviewable).items():
        parts[outlet_id].statuses = statuses
    for counted, units in zip(rows.pairs, rows.spans, strict=True):
        for (outlet_id, reviewer_a, reviewer_b), pattern in counted.items():
            parts[outlet_id].pairs[reviewer_a, reviewer_b].update(pattern)
        for unit in units:
            parts[unit.outlet_id].spans.add(compare_sentence_spans(unit.text, unit.marks))
    return dict(parts)


# The figures of an outlet that the global rates move; a refresh rewrites only these for an outlet
# whose other figures it reuses (`OutletBase`).
_RATE_FIGURES = ("score", "score_interval", "indicators", "monthly")


@dataclass
class _Context:
    """What an outlet's figures depend on besides its parts and the global rates, read afresh for
    every compose (`_read_context`): the claims record, standing restatement links, the source
    registry, the sides defined per outlet, reviewers' names and the outlets in service."""

    claims: dict[int, queries.ClaimCounts]
    restates: dict[int, list[str]]
    facts: dict[int, queries.SourceFacts]
    sides_defined: dict[int, int]
    names: dict[Hashable, str]
    method: MethodSettings
    in_service: list[int]
    # Each source's registry facts as `key` digests them, and its side (those with one), made once.
    _fact_rows: dict[int, list] | None = None
    _side_of: dict[int, str] | None = None

    def side_of(self) -> dict[int, str]:
        """Source id -> its side ("Topic: side"), for the sources with one."""
        if self._side_of is None:
            self._side_of = {source: fact.side for source, fact in self.facts.items() if fact.side}
        return self._side_of

    def key(self, outlet_id: int, article_ids: list[int], source_ids: list[int], reviewer_ids: list) -> str:
        """Digest of everything here an outlet with these articles, sources and reviewers reads."""
        if self._fact_rows is None:
            self._fact_rows = {source: [source, fact.kind, fact.side, fact.name] for source, fact in self.facts.items()}
        fact_rows = self._fact_rows
        facts = [fact_rows.get(source) or [source] for source in source_ids]
        inputs = [
            METHOD_VERSION,
            self.method.to_dict(),
            self.sides_defined.get(outlet_id, 0),
            [[article, claims] for article in article_ids if (claims := self.claims.get(article))],
            [[article, domains] for article in article_ids if (domains := self.restates.get(article))],
            facts,
            [[reviewer, self.names.get(reviewer)] for reviewer in reviewer_ids],
        ]
        return hashlib.sha256(orjson.dumps(inputs, option=orjson.OPT_SORT_KEYS)).hexdigest()


@dataclass
class OutletBase:
    """One outlet's figures before the global rates are applied: its prepared score (pooled counts,
    the bootstrap's resampled totals: `PreparedOutlet`), each publication month's pooled counts,
    and every figure the global rates do not move (`figures`; None when read back from a run, whose
    snapshot holds them). `key` digests what it was made from besides the outlet's parts
    (`_Context.key` of `article_ids`, `source_ids`, `reviewer_ids`): a refresh reuses a stored base
    for an outlet it does not touch while the key is unchanged."""

    prepared: PreparedOutlet
    months: list[tuple[str, int, ArticleCounts]]
    key: str
    article_ids: list[int]
    source_ids: list[int]
    reviewer_ids: list
    figures: dict[str, Any] | None = None

    def to_json(self) -> dict[str, Any]:
        pooled = self.prepared.pooled
        return {
            "key": self.key,
            "article_ids": self.article_ids,
            "source_ids": self.source_ids,
            "reviewer_ids": self.reviewer_ids,
            "article_count": self.prepared.article_count,
            "k_sides": self.prepared.k_sides,
            "pooled": [list(pooled.row()), list(pooled.sides.items())],
            "months": [[month, articles, list(counts.row())] for month, articles, counts in self.months],
        }

    def bootstrap_bytes(self) -> bytes | None:
        """The resampled totals, zlib-compressed, as little-endian integers of the fewest bytes that
        hold them (one byte in front says how many: 2, 4 or 8)."""
        totals = self.prepared.totals
        if totals is None:
            return None
        size = next(size for size in (2, 4, 8) if size == 8 or int(totals.max(initial=0)) < 2 ** (8 * size - 1))
        return bytes([size]) + zlib.compress(totals.astype(f"<i{size}").tobytes(), 1)

    @classmethod
    def from_json(
        cls, data: dict[str, Any], bootstrap: bytes | memoryview | None, method: MethodSettings
    ) -> OutletBase:
        row, sides = data["pooled"]
        totals = None
        if bootstrap is not None:
            stored = bytes(bootstrap)
            values = np.frombuffer(zlib.decompress(stored[1:]), dtype=f"<i{stored[0]}").astype(np.int64)
            totals = values.reshape(method.n_resamples, len(COUNT_FIELDS))
        return cls(
            prepared=PreparedOutlet(
                article_count=data["article_count"],
                pooled=ArticleCounts(sides=dict(sides), **dict(zip(COUNT_FIELDS, row, strict=True))),
                k_sides=data["k_sides"],
                totals=totals,
                settings=method,
            ),
            months=[
                (month, articles, ArticleCounts(**dict(zip(COUNT_FIELDS, counts, strict=True))))
                for month, articles, counts in data["months"]
            ],
            key=data["key"],
            article_ids=data["article_ids"],
            source_ids=data["source_ids"],
            reviewer_ids=data["reviewer_ids"],
        )


def _outlet_base(outlet_id: int, outlet: OutletParts, context: _Context) -> OutletBase:
    """The outlet's `OutletBase` from its parts: its articles' final counts (`_final_rollups`), the
    prepared score, monthly pools and every figure the global rates do not move."""
    articles = _final_rollups(outlet_id, outlet, context)
    counts = [rollup.counts for rollup in articles]
    present = len({side for c in counts for side, n in c.sides.items() if n > 0})
    prepared = prepare_outlet(counts, context.method, max(context.sides_defined.get(outlet_id, 0), present))
    alpha = krippendorff_alpha_from_patterns(outlet.patterns)
    cited: dict[int, int] = {}
    for rollup in articles:
        for source, n in rollup.sources.items():
            cited[source] = cited.get(source, 0) + n
    # Most cited first; ties by registry id, whatever order the rows arrived in.
    most_cited = sorted(cited.items(), key=lambda item: (-item[1], item[0]))[:TOP_SOURCES]
    facts, names = context.facts, context.names
    figures = {
        "alpha": alpha,
        "alpha_interpretation": interpret_alpha(alpha),
        "agreement_sentences": sum(outlet.patterns.values()),
        "label_status": outlet.statuses,
        "monthly": None,  # the global rates move it (`_RATE_FIGURES`)
        "top_sources": [
            {
                "id": source,
                "name": facts[source].name,
                "kind": facts[source].kind,
                "side": facts[source].side,
                "attributions": n,
            }
            for source, n in most_cited
            if source in facts
        ],
        "articles": _article_rows(
            articles, {article.article_id: article.alpha for article in outlet.articles}, context.restates
        ),
        "reviewer_pairs": _pair_rows(outlet.pairs, names),
        "span_agreement": outlet.spans.to_dict(names),
    }
    article_ids = [article.article_id for article in outlet.articles]
    source_ids = sorted({source for article in outlet.articles for source in article.sources})
    reviewer_ids = sorted({reviewer for pair in [*outlet.pairs, *outlet.spans.pairs] for reviewer in pair}, key=str)
    return OutletBase(
        prepared=prepared,
        months=_month_pools(articles),
        key=context.key(outlet_id, article_ids, source_ids, reviewer_ids),
        article_ids=article_ids,
        source_ids=source_ids,
        reviewer_ids=reviewer_ids,
        figures=figures,
    )


@dataclass
class Composed:
    """The figures `_compose` gives: the run's (global rates, overall agreement) and each outlet's,
    the `OutletBase` it made for each outlet, and the outlets whose stored base it reused (for those,
    `outlets` holds only the figures the global rates move, `_RATE_FIGURES`)."""

    run: dict[str, Any]
    outlets: dict[int, dict[str, Any]]
    bases: dict[int, OutletBase]
    reused: set[int]


def _reviewers(parts: Iterable[OutletParts]) -> set[Hashable]:
    """Every reviewer of the outlets' reviewer pairs and span agreement (those the figures name)."""
    return {reviewer for outlet in parts for pair in [*outlet.pairs, *outlet.spans.pairs] for reviewer in pair}


def _read_context(
    run_id: int, facts: dict[int, queries.SourceFacts], method: MethodSettings, reviewer_ids: Iterable[Hashable]
) -> _Context:
    """What `_compose` reads besides the parts (`_Context`), the names of `reviewer_ids` among it.
    A constant number of queries."""
    sides_defined = queries.sides_per_outlet()
    names: dict[Hashable, str] = dict(
        get_user_model().objects.filter(pk__in=list(reviewer_ids)).values_list("pk", "username")
    )
    claims, restates = queries.claim_counts(run_id), queries.restating_articles()
    in_service = list(Outlet.objects.filter(retired=False).order_by("pk").values_list("pk", flat=True))
    return _Context(claims, restates, facts, sides_defined, names, method, in_service)


def _compose(
    parts: dict[int, OutletParts],
    context: _Context,
    stored: dict[int, tuple[dict[str, Any] | None, bytes | memoryview | None]] | None = None,
    load_parts: Callable[[list[int]], dict[int, OutletParts]] | None = None,
) -> Composed:
    """The figures of every outlet and of the run from every outlet's parts, with what depends on
    all of them (`context`, `_read_context`: the run's claims record (claims fields), the standing
    restatement links, reviewers' names): the global rates, overall and reviewer-pair agreement.
    No query, except `load_parts`.

    `stored`: outlet id -> its stored base and bootstrap totals (a refresh, for the outlets it does
    not touch; their `parts` need only the agreement patterns, reviewer pairs and span counts). A
    stored base whose key still matches is reused; the others are made again from the outlets'
    whole parts (`load_parts`, one query). Either way every figure is what a full compose gives."""
    stored = stored or {}
    method, names, in_service = context.method, context.names, context.in_service
    overall_patterns: Counter = Counter()
    overall_pairs: dict[tuple[int, int], Counter] = defaultdict(Counter)
    span_overall = SpanAgreement()
    for outlet in parts.values():
        overall_patterns.update(outlet.patterns)
        for pair, pattern in outlet.pairs.items():
            overall_pairs[pair].update(pattern)
        span_overall.merge(outlet.spans)
    bases: dict[int, OutletBase] = {}
    reused: dict[int, OutletBase] = {}
    for outlet_id, (data, bootstrap) in stored.items():
        if data is None:
            continue
        if context.key(outlet_id, data["article_ids"], data["source_ids"], data["reviewer_ids"]) == data["key"]:
            reused[outlet_id] = OutletBase.from_json(data, bootstrap, method)
    remake = sorted(set(stored) - set(reused))
    if remake:
        assert load_parts is not None, "stored bases need load_parts"
        parts = {**parts, **load_parts(remake)}
    for outlet_id in sorted({*parts, *in_service} - set(reused)):
        bases[outlet_id] = _outlet_base(outlet_id, parts.get(outlet_id) or OutletParts(), context)
    everything = {**bases, **reused}
    # The same integer sums as pooling every article: the global rates do not depend on the grouping.
    p0 = global_rates(ArticleCounts.pooled(base.prepared.pooled for base in everything.values()))
    finished = dict(zip(in_service, finish_outlets([everything[i].prepared for i in in_service], p0), strict=True))
    outlets: dict[int, dict[str, Any]] = {}
    for outlet_id in in_service:
        base = everything[outlet_id]
        figures = finished[outlet_id].to_dict()
        monthly = _monthly(base.months, p0, method)
        if base.figures is None:
            outlets[outlet_id] = {name: figures[name] for name in _RATE_FIGURES if name != "monthly"}
            outlets[outlet_id]["monthly"] = monthly
        else:
            outlets[outlet_id] = {**figures, **base.figures, "monthly": monthly}
    overall_alpha = krippendorff_alpha_from_patterns(overall_patterns)
    run = {
        "global_rates": p0,
        "overall_alpha": overall_alpha,
        "overall_alpha_interpretation": interpret_alpha(overall_alpha),
        "reviewer_pairs": _pair_rows(overall_pairs, names),
        "span_agreement": span_overall.to_dict(names),
    }
    return Composed(run=run, outlets=outlets, bases=bases, reused=set(reused) & set(in_service))


def compute_scores(run_id: int, method: MethodSettings | None = None) -> dict[str, Any]:
    """Every outlet's figures from the record of run `run_id` (`queries.record_run_sentences`)
    and, for reviewer-pair and span agreement, the counting marks; writes nothing.

    Output: {"global_rates", "overall_alpha", "reviewer_pairs", "span_agreement", "outlets": {outlet id:
    figures}} where figures is `OutletScore.to_dict()` plus agreement (alpha and span agreement,
    `SpanAgreement.to_dict()` with reviewer usernames), label status counts, monthly trend,
    most-cited sources and per-article counts. A constant number of queries (no per-outlet or
    per-sentence query); outlets without settled sentences get `insufficient_evidence`.
    """
    facts = queries.source_facts()
    parts = gather_parts(run_id)
    composed = _compose(parts, _read_context(run_id, facts, method or MethodSettings(), _reviewers(parts.values())))
    return {**composed.run, "outlets": composed.outlets}


@transaction.atomic
def prune_run_records(*, keep: int = KEEP_UNPUBLISHED_RECORDS) -> int:
    """Delete the per-sentence records of unpublished runs other than the newest `keep` runs
    (published records are kept for ever); those runs keep their figures but can no longer be
    published (`publishable_error` refuses them from the moment they drop out of the newest
    `keep`, pruned or not yet). Outlet parts are kept for the newest run only (the one a refresh
    may update). Returns the number of runs pruned.

    A full recompute does not prune in its own transaction: once its run is committed it queues
    `tasks.prune_records_task`, which runs this, then drops the emptied partitions of the record
    on PostgreSQL (`queries.empty_records`, `queries.tidy_records`). The stale runs are locked first
    (`SELECT ... FOR UPDATE` on PostgreSQL), so a run being published meanwhile is either
    published first (and then kept) or refused."""
    newest = list(ScoreRun.objects.values_list("pk", flat=True)[:keep])
    RunOutletParts.objects.exclude(run_id__in=newest[:1]).delete()
    stale = list(
        ScoreRun.objects.select_for_update()
        .filter(published=False, record_kept=True)
        .exclude(pk__in=newest)
        .values_list("pk", flat=True)
    )
    if stale:
        queries.empty_records(stale)
        RunClaim.objects.filter(run_id__in=stale).delete()
        ScoreRun.objects.filter(pk__in=stale).update(record_kept=False)
    return len(stale)


def _snapshot_fields(figures: dict[str, Any]) -> dict[str, Any]:
    interval = figures["score_interval"] or [None, None]
    values = (figures["method_version"], figures["score"], *interval, figures["insufficient_evidence"])
    values += (figures["article_count"], figures["sentence_count"], figures["alpha"], figures)
    return dict(zip(_SNAPSHOT_FIELDS, values, strict=True))


_SNAPSHOT_FIELDS = (
    "method_version",
    "score",
    "score_low",
    "score_high",
    "insufficient_evidence",
    "article_count",
    "sentence_count",
    "alpha",
    "figures",
)


@transaction.atomic
@_collection_paused()
def recompute_outlet_scores(*, triggered_by=None, method: MethodSettings | None = None) -> ScoreRun:
    """Compute every outlet's score and store it: one `ScoreRun` (unpublished) with its record
    (the gold label of every sentence it used, decided once by `queries.decide_run_sentences`,
    which also counts the reviewer pairs), then one `ScoreSnapshot` per outlet computed from the
    same rows, and each outlet's parts (for a later `refresh_run`). Earlier runs stay (history and
    trends; old unpublished records are pruned by a task queued once this run is committed,
    `prune_run_records`). Empty data is fine: every outlet is stored with `insufficient_evidence`."""
    method = method or MethodSettings()
    started = time.perf_counter()
    queries.prepare_recompute()
    run = ScoreRun.objects.create(
        method_version=METHOD_VERSION, method_settings=method.to_dict(), triggered_by=triggered_by
    )
    # Every sentence's record row is decided into a temporary table, which the claims record and
    # the parts read; the record itself is written from it while the figures are composed (on
    # PostgreSQL the database writes while Python computes: `queries.write_decided_record`).
    pairs = queries.decide_run_sentences()
    queries.record_run_claims(run.pk, decided=True)
    facts = queries.source_facts()
    rows = read_parts(run.pk, pairs=pairs, decided=True)
    context = _read_context(run.pk, facts, method, rows.reviewer_ids())
    # Every read is done: the record is written while Python builds the parts, the figures and
    # the rows to store.
    written = queries.write_decided_record(run.pk)
    try:
        parts = build_parts(rows)
        composed = _compose(parts, context)
        snapshots = _rows(
            ScoreSnapshot,
            [
                ScoreSnapshot(run=run, outlet_id=outlet_id, computed_at=run.computed_at, **_snapshot_fields(figures))
                for outlet_id, figures in composed.outlets.items()
            ],
        )
        stored = _rows(
            RunOutletParts,
            [_stored_parts(run, outlet_id, outlet, composed.bases[outlet_id]) for outlet_id, outlet in parts.items()],
        )
    finally:
        # The record is complete before anything else runs on the connection (also after an error,
        # so that the rollback never meets a write half done).
        run.sentence_count = written()
    run.overall_alpha = composed.run["overall_alpha"]
    run.figures = composed.run
    _insert(snapshots)
    _insert(stored)
    transaction.on_commit(_queue_prune)
    run.duration_seconds = time.perf_counter() - started
    run.save(update_fields=["sentence_count", "overall_alpha", "figures", "duration_seconds"])
    return run


# --- Refresh: after marks change, recompute only the outlets they touch -------------------------

# A refresh looks for changes this long before the run's computed_at: a write whose transaction was
# still open when the run read the marks carries an earlier time than the run but was not seen.
REFRESH_MARGIN = timedelta(minutes=5)
# Past this many changed articles, a full recompute costs less than recomputing them one outlet
# at a time.
REFRESH_MAX_ARTICLES = 2000


def refreshable_run(method: MethodSettings | None = None) -> ScoreRun | None:
    """The run a refresh may update: the newest run, if it is unpublished, still has its record and
    outlet parts, and was computed with this method version and these settings; else None."""
    method = method or MethodSettings()
    run = ScoreRun.objects.first()
    if run is None or run.published or not run.record_kept or run.method_version != METHOD_VERSION:
        return None
    if run.method_settings != json.loads(json.dumps(method.to_dict())) or not run.outlet_parts.exists():
        return None
    return run


@transaction.atomic
@_collection_paused()
def refresh_run(run: ScoreRun, article_ids: Iterable[int], method: MethodSettings | None = None) -> ScoreRun:
    """Bring unpublished run `run` up to date after the marks, assignments or adjudications of
    `article_ids` changed, recomputing only what they touch: those articles' record rows, the
    parts of their outlets (`gather_parts`), the run's claims record (claims cross outlets), then
    every figure from the parts (`_compose`: the global rates move every outlet's smoothed
    values). The figures are those a full recompute would give (tests/reliability/test_refresh.py);
    the run keeps its id, `revision` goes up by one (a publish names the revision it reviewed).
    Raises ValidationError for a published run (published figures are frozen)."""
    method = method or MethodSettings()
    started = timezone.now()
    run = ScoreRun.objects.select_for_update().get(pk=run.pk)
    if run.published:
        raise ValidationError(f"Run {run.pk} is published: its figures are frozen.")
    article_ids = sorted(set(article_ids))
    outlet_ids = sorted(set(Article.objects.filter(pk__in=article_ids).values_list("outlet_id", flat=True)))
    queries.prepare_recompute()
    removed, _ = RunSentence.objects.filter(run=run, outlet_id__in=outlet_ids, article_id__in=article_ids).delete()
    added = queries.record_run_sentences(run.pk, article_ids)
    RunClaim.objects.filter(run=run).delete()
    queries.record_run_claims(run.pk)
    facts = queries.source_facts()
    fresh = gather_parts(run.pk, outlet_ids)
    snapshots = {snapshot.outlet_id: snapshot for snapshot in run.snapshots.only("pk", "run_id", "outlet_id")}
    # The outlets the change does not touch: their agreement counts (for the run's overall figures)
    # and stored bases, not their articles (read only for an outlet whose base must be made again).
    untouched = RunOutletParts.objects.filter(run=run).exclude(outlet_id__in=outlet_ids)
    parts = dict(fresh)
    stored: dict[int, tuple[dict[str, Any] | None, bytes | memoryview | None]] = {}
    for outlet_id, patterns, pairs, spans, base, bootstrap in untouched.values_list(
        "outlet_id", *(KeyTransform(name, "parts") for name in ("patterns", "pairs", "spans")), "base", "bootstrap"
    ):
        parts[outlet_id] = OutletParts.from_json({"patterns": patterns, "pairs": pairs, "spans": spans})
        # An outlet without a snapshot has no figures to keep: its base is made again.
        stored[outlet_id] = (base if outlet_id in snapshots else None, bootstrap)
    whole: dict[int, dict[str, Any]] = {}

    def load_parts(remake: list[int]) -> dict[int, OutletParts]:
        whole.update(untouched.filter(outlet_id__in=remake).values_list("outlet_id", "parts"))
        return {outlet_id: OutletParts.from_json(data) for outlet_id, data in whole.items()}

    context = _read_context(run.pk, facts, method, _reviewers(parts.values()))
    composed = _compose(dict(sorted(parts.items())), context, stored, load_parts)
    changed, created, rates = [], [], []
    for outlet_id, figures in composed.outlets.items():
        snapshot = snapshots.get(outlet_id)
        if outlet_id in composed.reused:
            rates.append((cast(ScoreSnapshot, snapshot).pk, figures))
        elif snapshot is None:
            created.append(
                ScoreSnapshot(run=run, outlet_id=outlet_id, computed_at=started, **_snapshot_fields(figures))
            )
        else:
            for name, value in _snapshot_fields(figures).items():
                setattr(snapshot, name, value)
            changed.append(snapshot)
    _update_snapshots(changed)
    _update_snapshot_rates(rates)
    ScoreSnapshot.objects.bulk_create(created)
    run.snapshots.update(computed_at=started)
    RunOutletParts.objects.filter(run=run, outlet_id__in=outlet_ids).delete()
    RunOutletParts.objects.bulk_create(
        [_stored_parts(run, outlet_id, fresh[outlet_id], composed.bases[outlet_id]) for outlet_id in outlet_ids]
    )
    _update_bases(run, {outlet_id: composed.bases[outlet_id] for outlet_id in stored if outlet_id in composed.bases})
    run.sentence_count += added - removed
    run.overall_alpha = composed.run["overall_alpha"]
    run.figures = composed.run
    run.computed_at = started
    run.revision += 1
    run.save(update_fields=["sentence_count", "overall_alpha", "figures", "computed_at", "revision"])
    return run


def _stored_parts(run: ScoreRun, outlet_id: int, parts: OutletParts, base: OutletBase) -> RunOutletParts:
    return RunOutletParts(
        run=run, outlet_id=outlet_id, parts=parts.to_json(), base=base.to_json(), bootstrap=base.bootstrap_bytes()
    )


@dataclass
class _Rows:
    """Rows for `_insert`: unsaved instances of a model made into its columns' values (`_rows`)."""

    table: str
    columns: list[str]
    values: list[list[Any]]


def _rows(model: type[ScoreSnapshot] | type[RunOutletParts], rows: list) -> _Rows:
    """The values `_insert` sends for `rows` (unsaved instances of `model`), JSON fields already
    serialized: no query, so that a recompute makes them while its record is written."""
    fields = [field for field in model._meta.concrete_fields if not isinstance(field, AutoField)]
    prepare: list[Callable[[Any], Any]] = [partial(field.get_db_prep_save, connection=connection) for field in fields]
    if connection.vendor == "postgresql":
        from psycopg.types.json import Jsonb

        # The figures as JSON by orjson (several times faster than `json.dumps` for a run's few
        # hundred large snapshots and parts): jsonb stores the same values either way.
        for i, field in enumerate(fields):
            if isinstance(field, JSONField):
                prepare[i] = partial(_jsonb, Jsonb, prepare[i])
    values = [
        [convert(field.pre_save(row, add=True)) for field, convert in zip(fields, prepare, strict=True)] for row in rows
    ]
    return _Rows(model._meta.db_table, [field.column for field in fields], values)


def _insert(rows: _Rows) -> None:
    """Insert `rows` (`_rows`) by `bulk.insert_rows`. A run's snapshots and outlet parts are a few
    hundred rows of large JSON; `bulk_create` on PostgreSQL sends them as arrays quoted into the
    statement's text, which took longer than computing them (~1 s of escaping for 300 outlets at
    1.2 M marks); COPY sends each value as is."""
    insert_rows(rows.table, rows.columns, rows.values)


def _jsonb(jsonb: Callable[..., Any], prepare: Callable[[Any], Any], value: Any) -> Any:
    """A JSON field's value for COPY on PostgreSQL, serialized by orjson now (None as `prepare` has it)."""
    return prepare(value) if value is None else jsonb(_orjson_dumps(value), dumps=_serialized)


def _serialized(value: bytes) -> bytes:
    return value


def _orjson_dumps(value: Any) -> bytes:
    return orjson.dumps(value, option=orjson.OPT_NON_STR_KEYS | orjson.OPT_SERIALIZE_NUMPY)


def _update_bases(run: ScoreRun, bases: dict[int, OutletBase]) -> None:
    """Store the bases a refresh made again for outlets it did not touch (their inputs changed)."""
    fields = [RunOutletParts._meta.get_field(name) for name in ("base", "bootstrap")]
    rows = [
        [
            cast(Field, fields[0]).get_db_prep_save(base.to_json(), connection),
            cast(Field, fields[1]).get_db_prep_save(base.bootstrap_bytes(), connection),
            run.pk,
            outlet_id,
        ]
        for outlet_id, base in bases.items()
    ]
    if rows:
        with connection.cursor() as cursor:
            cursor.executemany(
                f"UPDATE {RunOutletParts._meta.db_table} SET base = %s, bootstrap = %s "
                "WHERE run_id = %s AND outlet_id = %s",
                rows,
            )


def _update_snapshot_rates(rows: list[tuple[int, dict[str, Any]]]) -> None:
    """Write the figures the global rates move (`_RATE_FIGURES`, and the score columns) into
    snapshots whose other figures stay; the database merges them into the stored figures, so the
    rest is neither read nor sent again. PostgreSQL: one UPDATE from arrays (jsonb `||`); SQLite:
    one executemany (`json_set`)."""
    if not rows:
        return
    table = ScoreSnapshot._meta.db_table
    columns: list[list[Any]] = [[], [], [], [], []]
    for pk, figures in rows:
        low, high = figures["score_interval"] or [None, None]
        for column, value in zip(columns, (pk, figures["score"], low, high, figures), strict=True):
            column.append(value)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # The patches as one JSON array (one parameter: quoting an array of JSON texts costs more
            # than the update), zipped with the columns by ROWS FROM.
            patches = json.dumps([{name: figures[name] for name in _RATE_FIGURES} for figures in columns[4]])
            cursor.execute(
                f"UPDATE {table} AS s SET score = v.score, score_low = v.low, score_high = v.high, "
                "figures = s.figures || v.patch "
                "FROM ROWS FROM (unnest(%s::bigint[]), unnest(%s::float8[]), unnest(%s::float8[]), "
                "unnest(%s::float8[]), jsonb_array_elements(%s::jsonb)) AS v(id, score, low, high, patch) "
                "WHERE s.id = v.id",
                [*columns[:4], patches],
            )
            return
        merge = "json_set(figures, " + ", ".join(f"'$.{name}', json(%s)" for name in _RATE_FIGURES) + ")"
        cursor.executemany(
            f"UPDATE {table} SET score = %s, score_low = %s, score_high = %s, figures = {merge} WHERE id = %s",
            [
                [score, low, high, *(json.dumps(figures[name]) for name in _RATE_FIGURES), pk]
                for pk, score, low, high, figures in zip(*columns, strict=True)
            ],
        )


def _update_snapshots(snapshots: list[ScoreSnapshot]) -> None:
    """Write the figures of `snapshots` back in one executemany: `bulk_update` builds a CASE per
    field and row and takes seconds for a few hundred outlets' figures."""
    fields = [field for name in _SNAPSHOT_FIELDS if isinstance(field := ScoreSnapshot._meta.get_field(name), Field)]
    quote = connection.ops.quote_name
    assignments = ", ".join(f"{quote(field.column)} = %s" for field in fields)
    rows = [
        [field.get_db_prep_save(getattr(snapshot, field.attname), connection) for field in fields] + [snapshot.pk]
        for snapshot in snapshots
    ]
    if rows:
        with connection.cursor() as cursor:
            cursor.executemany(f"UPDATE {ScoreSnapshot._meta.db_table} SET {assignments} WHERE id = %s", rows)


def update_outlet_scores() -> ScoreRun:
    """What the automatic recompute after marks change does (`reliability.tasks`): refresh the
    newest run (`refresh_run`) with the articles whose marks, assignments or adjudications changed
    since it was computed (`queries.changed_articles`), or, when no run may be refreshed
    (`refreshable_run`: none yet, published, other settings) or too much changed, a full
    `recompute_outlet_scores`. Returns the run."""
    run = refreshable_run()
    if run is None:
        return recompute_outlet_scores()
    article_ids = queries.changed_articles(run.computed_at - REFRESH_MARGIN)
    if len(article_ids) > REFRESH_MAX_ARTICLES:
        return recompute_outlet_scores()
    if not article_ids:
        return run
    return refresh_run(run, article_ids)


def latest_published_run() -> ScoreRun | None:
    return ScoreRun.objects.filter(published=True).first()


def _queue_prune() -> None:
    from reliability.tasks import prune_records_task

    prune_records_task.enqueue()


def publishable_error(run: ScoreRun) -> str | None:
    """Why `run` cannot be published, or None: its record was pruned or is due to be (an
    unpublished run no longer among the newest `KEEP_UNPUBLISHED_RECORDS`: too old to publish), or
    a newer run is already published (readers would not see it)."""
    newest = ScoreRun.objects.values_list("pk", flat=True)[:KEEP_UNPUBLISHED_RECORDS]
    if not run.record_kept or (not run.published and run.pk not in set(newest)):
        return f"Run {run.pk} is too old: its per-sentence record was pruned. Recompute and publish the new run."
    newer = ScoreRun.objects.filter(published=True).filter(
        Q(computed_at__gt=run.computed_at) | Q(computed_at=run.computed_at, pk__gt=run.pk)
    )
    if not run.published and newer.exists():
        return "A newer run is already published: readers would not see this one."
    return None


@transaction.atomic
def publish_run(*, run: ScoreRun, by, revision: int | None = None) -> ScoreRun:
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
    if revision is not None and revision != run.revision:
        raise ValidationError(
            f"Run {run.pk} was refreshed after marks changed since you reviewed it: review its changes again."
        )
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
    prefix = Adjudication.HISTORY_PREFIX
    history = [line for line in existing.note.splitlines() if line.startswith(prefix)]
    kept_note = note or Adjudication.without_history(existing.note)
    history.append(f"{prefix}{_describe(existing)}")
    existing.label, existing.source, existing.lead = label, source, lead
    existing.note = "\n".join([kept_note, *history] if kept_note else history)
    existing.full_clean()
    existing.save()
    return existing, False
