"""Aggregations in the database that feed the score math: gold labels per sentence (SQL CASE
over per-sentence mark counts), gold counts per article, agreement and span units streamed per outlet.

Each public function runs one `values().annotate()` query (or one streamed query) and returns
plain data for `reliability/scoring.py`; no per-sentence Python loop except the bounded agreement streams.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date

from django.db.models import (
    CharField,
    Count,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
)
from django.db.models.expressions import Case, When
from django.db.models.functions import Coalesce
from django.db.models.lookups import Exact, GreaterThan

from annotate.codebook import NAMED_KINDS, Label, SourceKind
from annotate.gold import ADJUDICATED, DISPUTED, MAJORITY, UNANIMOUS, UNMARKED
from annotate.models import Annotation, Article, Outlet, Sentence, Source
from reliability.scoring import ArticleCounts, SpanMark

LABELS: tuple[str, ...] = tuple(Label.values)
COUNTED_LABELS = (Label.CLAIM, Label.ATTRIBUTION, Label.ANALYSIS)
ALPHA_CHUNK = 5000


# --- Gold labels in SQL ------------------------------------------------------------------------


def _scored_sentences() -> QuerySet:
    """Reviewable sentences of articles in service: a retired article or outlet keeps its marks but
    leaves new score runs (annotate `ArticleQuerySet.in_service`)."""
    return Sentence.objects.filter(reviewable=True, article__retired=False, article__outlet__retired=False)


def _scored_marks() -> QuerySet:
    """Marks of `_scored_sentences`."""
    return Annotation.objects.filter(
        sentence__reviewable=True, sentence__article__retired=False, sentence__article__outlet__retired=False
    )


def _marks_of_outer_sentence() -> QuerySet:
    return Annotation.objects.filter(sentence=OuterRef("pk")).order_by().values("sentence")


def _majority_label() -> Subquery:
    """Per sentence: the label on more than half of its marks (unanimous included), else NULL."""
    total = Count("pk")
    case = Case(
        *[When(GreaterThan(Count("pk", filter=Q(label=label)) * 2, total), then=Value(label)) for label in LABELS],
        default=Value(None),
        output_field=CharField(),
    )
    return Subquery(_marks_of_outer_sentence().annotate(majority=case).values("majority"), output_field=CharField())


def _agreement_kind() -> Subquery:
    """Per sentence: "unanimous", "majority" or "disputed" from its marks; NULL without marks."""
    total = Count("pk")
    whens = [When(Exact(Count("pk", filter=Q(label=label)), total), then=Value(UNANIMOUS)) for label in LABELS]
    whens += [
        When(GreaterThan(Count("pk", filter=Q(label=label)) * 2, total), then=Value(MAJORITY)) for label in LABELS
    ]
    case = Case(*whens, default=Value(DISPUTED), output_field=CharField())
    return Subquery(_marks_of_outer_sentence().annotate(kind=case).values("kind"), output_field=CharField())


def _majority_source() -> Case:
    """Per sentence: the source chosen by more than half of the reviewers who marked it an
    attribution (an attribution always has a source: a database constraint), else NULL.

    Three flat correlated subqueries (the most chosen source, its count, the attribution marks)
    and a CASE, because a nested outer reference inside HAVING is not portable to SQLite.
    """
    attribution_marks = Annotation.objects.filter(sentence=OuterRef("pk"), label=Label.ATTRIBUTION).order_by()
    attribution_total = Subquery(
        attribution_marks.values("sentence").annotate(total=Count("pk")).values("total"), output_field=IntegerField()
    )
    by_source = attribution_marks.values("source").annotate(chosen=Count("pk")).order_by("-chosen", "source")
    top_source = Subquery(by_source.values("source")[:1], output_field=IntegerField())
    top_count = Subquery(by_source.values("chosen")[:1], output_field=IntegerField())
    return Case(
        When(GreaterThan(top_count * 2, attribution_total), then=top_source),
        default=Value(None),
        output_field=IntegerField(),
    )


def sentences_with_gold(queryset: QuerySet | None = None) -> QuerySet:
    """Sentences annotated with `gold_label` (adjudicated, else the majority label of the marks,
    else NULL: disputed or unmarked) and `gold_source` (for gold attributions only: the
    adjudicated source, else the majority source among attribution marks, else NULL).

    Both are SQL expressions (a LEFT JOIN to the adjudication and correlated per-sentence
    subqueries with conditional counts), so callers can filter, group and count on them.
    """
    queryset = Sentence.objects.all() if queryset is None else queryset
    gold_label = Coalesce("adjudication__label", _majority_label(), output_field=CharField())
    gold_source = Case(
        When(Exact(gold_label, Value(Label.ATTRIBUTION)), then=Coalesce("adjudication__source", _majority_source())),
        default=Value(None),
        output_field=IntegerField(),
    )
    return queryset.annotate(gold_label=gold_label, gold_source=gold_source)


def sentences_with_label_source(queryset: QuerySet | None = None) -> QuerySet:
    """`sentences_with_gold` plus `label_source`: adjudicated | unanimous | majority | disputed |
    unmarked, and `mark_count`, as in `annotate.gold.resolve_gold_label`."""
    queryset = sentences_with_gold(queryset)
    mark_count = Coalesce(
        Subquery(_marks_of_outer_sentence().annotate(total=Count("pk")).values("total"), output_field=IntegerField()),
        Value(0),
    )
    label_source = Case(
        When(adjudication__isnull=False, then=Value(ADJUDICATED)),
        default=Coalesce(_agreement_kind(), Value(UNMARKED)),
        output_field=CharField(),
    )
    return queryset.annotate(mark_count=mark_count, label_source=label_source)


def disputed_sentences() -> QuerySet:
    """Sentences waiting for a lead: no adjudication, and either no majority label among two or
    more marks, or a gold attribution whose source has no majority. Oldest article first."""
    queryset = sentences_with_label_source(Sentence.objects.filter(adjudication__isnull=True))
    return queryset.filter(
        Q(label_source=DISPUTED) | Q(gold_label=Label.ATTRIBUTION, gold_source__isnull=True)
    ).order_by("article_id", "position")


# --- Gold counts per article -------------------------------------------------------------------


@dataclass(frozen=True)
class SourceFacts:
    kind: str
    side: str | None
    name: str


@dataclass
class ArticleRollup:
    """Gold counts of one article with the facts the pages need beside `ArticleCounts`."""

    article_id: int
    outlet_id: int
    published: date | None
    counts: ArticleCounts
    sources: Counter[int] = field(default_factory=Counter)


def source_facts(source_ids: Iterable[int] | None = None) -> dict[int, SourceFacts]:
    """Registry id -> kind, side ("Topic: side") and name, in one query."""
    queryset = Source.objects.all() if source_ids is None else Source.objects.filter(pk__in=list(source_ids))
    rows = queryset.values_list("pk", "kind", "name", "side__topic__name", "side__name")
    return {
        pk: SourceFacts(kind=kind, side=f"{topic}: {side}" if side else None, name=name)
        for pk, kind, name, topic, side in rows
    }


def gold_rows(outlet_ids: Iterable[int] | None = None) -> QuerySet:
    """One row per (article, gold label, gold source) with the number of sentences: the single
    GROUP BY query behind every per-article count. Reviewable sentences of articles in service
    only; `other` and unsettled sentences are left out."""
    sentences = _scored_sentences()
    if outlet_ids is not None:
        sentences = sentences.filter(article__outlet_id__in=list(outlet_ids))
    return (
        sentences_with_gold(sentences)
        .filter(gold_label__in=COUNTED_LABELS)
        .order_by()
        .values("article_id", "article__outlet_id", "article__published", "gold_label", "gold_source")
        .annotate(sentences=Count("pk"))
    )


def article_rollups(outlet_ids: Iterable[int] | None = None) -> list[ArticleRollup]:
    """Gold counts per article (C, A, N, A_named, A_anon, A_media, per side) from `gold_rows`.

    Input: outlets to include (None: all). Output: one `ArticleRollup` per article that has at
    least one counted sentence, sorted by article id. An attribution whose gold source is
    disputed counts in A but in no kind and no side. Two queries: the sources and the streamed
    GROUP BY (memory grows with articles, not with sentences or marks).
    """
    # The registry is small next to the marks: load it whole, then stream the grouped rows.
    facts = source_facts()
    totals: dict[int, dict] = {}
    for row in gold_rows(outlet_ids).iterator(chunk_size=ALPHA_CHUNK):
        article = totals.setdefault(
            row["article_id"],
            {
                "outlet": row["article__outlet_id"],
                "published": row["article__published"],
                "counts": Counter(),
                "sides": Counter(),
                "sources": Counter(),
            },
        )
        count, label = row["sentences"], row["gold_label"]
        counts = article["counts"]
        counts[{Label.CLAIM: "claims", Label.ATTRIBUTION: "attributions", Label.ANALYSIS: "analysis"}[label]] += count
        source = facts.get(row["gold_source"]) if label == Label.ATTRIBUTION else None
        if source is None:
            continue
        article["sources"][row["gold_source"]] += count
        if source.kind in NAMED_KINDS:
            counts["a_named"] += count
        elif source.kind == SourceKind.ANONYMOUS:
            counts["a_anon"] += count
        elif source.kind == SourceKind.MEDIA:
            counts["a_media"] += count
        if source.side:
            article["sides"][source.side] += count
    return [
        ArticleRollup(
            article_id=article_id,
            outlet_id=article["outlet"],
            published=article["published"],
            counts=ArticleCounts(article_id=article_id, sides=dict(article["sides"]), **article["counts"]),
            sources=article["sources"],
        )
        for article_id, article in sorted(totals.items())
    ]


def sides_per_outlet() -> dict[int, int]:
    """Outlet id -> number of sides defined for the topics of its articles (k of side balance)."""
    rows = Article.objects.order_by().values("outlet_id").annotate(k=Count("topic__sides", distinct=True))
    return {row["outlet_id"]: row["k"] for row in rows}


def sentence_status_counts(outlet_ids: Iterable[int] | None = None) -> dict[int, dict[str, int]]:
    """Outlet id -> reviewable sentences by how their label was reached (unanimous, majority,
    adjudicated, disputed, unmarked), in one GROUP BY query."""
    sentences = _scored_sentences()
    if outlet_ids is not None:
        sentences = sentences.filter(article__outlet_id__in=list(outlet_ids))
    rows = (
        sentences_with_label_source(sentences)
        .order_by()
        .values("article__outlet_id", "label_source")
        .annotate(sentences=Count("pk"))
    )
    result: dict[int, dict[str, int]] = defaultdict(dict)
    for row in rows:
        result[row["article__outlet_id"]][row["label_source"]] = row["sentences"]
    return dict(result)


# --- Agreement units ---------------------------------------------------------------------------


@dataclass
class AgreementPatterns:
    """Label-count patterns (marks per label, in `LABELS` order) -> number of sentences; alpha
    depends only on these, so memory is bounded by the number of distinct patterns."""

    overall: Counter[tuple[int, ...]] = field(default_factory=Counter)
    by_outlet: dict[int, Counter[tuple[int, ...]]] = field(default_factory=lambda: defaultdict(Counter))
    by_article: dict[int, Counter[tuple[int, ...]]] = field(default_factory=lambda: defaultdict(Counter))


def agreement_patterns(outlet_ids: Iterable[int] | None = None, *, per_article: bool = False) -> AgreementPatterns:
    """Stream per-sentence mark counts per label (sentences with >= 2 marks) with
    `.iterator(chunk_size=ALPHA_CHUNK)` and fold them into pattern counters per outlet (and per
    article when `per_article`). Reviewable sentences only; memory stays bounded."""
    marks = _scored_marks()
    if outlet_ids is not None:
        marks = marks.filter(sentence__article__outlet_id__in=list(outlet_ids))
    rows = (
        marks.order_by()
        .values("sentence_id", "sentence__article_id", "sentence__article__outlet_id")
        .annotate(total=Count("pk"), **{label: Count("pk", filter=Q(label=label)) for label in LABELS})
        .filter(total__gte=2)
        .values_list("sentence__article_id", "sentence__article__outlet_id", *LABELS)
    )
    patterns = AgreementPatterns()
    for article_id, outlet_id, *counts in rows.iterator(chunk_size=ALPHA_CHUNK):
        key = tuple(counts)
        patterns.overall[key] += 1
        patterns.by_outlet[outlet_id][key] += 1
        if per_article:
            patterns.by_article[article_id][key] += 1
    return patterns


def reviewer_pair_patterns(outlet_ids: Iterable[int] | None = None) -> dict[tuple[int, int, int], Counter]:
    """(outlet id, reviewer a id, reviewer b id) -> label-count patterns of the sentences both
    marked (a < b), for alpha per reviewer pair.

    Streams marks ordered by sentence with `.iterator()`: one sentence's marks in memory at a
    time, plus counters bounded by outlets x pairs x 16 patterns.
    """
    marks = _scored_marks()
    if outlet_ids is not None:
        marks = marks.filter(sentence__article__outlet_id__in=list(outlet_ids))
    rows = marks.order_by("sentence_id", "reviewer_id").values_list(
        "sentence_id", "sentence__article__outlet_id", "reviewer_id", "label"
    )
    index = {label: i for i, label in enumerate(LABELS)}
    pairs: dict[tuple[int, int, int], Counter] = defaultdict(Counter)
    current: int | None = None
    outlet: int | None = None
    sentence_marks: list[tuple[int, str]] = []

    def flush() -> None:
        for i, (reviewer_a, label_a) in enumerate(sentence_marks):
            for reviewer_b, label_b in sentence_marks[i + 1 :]:
                pattern = [0] * len(LABELS)
                pattern[index[label_a]] += 1
                pattern[index[label_b]] += 1
                pairs[outlet, reviewer_a, reviewer_b][tuple(pattern)] += 1  # type: ignore[index]

    for sentence_id, outlet_id, reviewer_id, label in rows.iterator(chunk_size=ALPHA_CHUNK):
        if sentence_id != current:
            flush()
            current, outlet, sentence_marks = sentence_id, outlet_id, []
        sentence_marks.append((reviewer_id, label))
    flush()
    return dict(pairs)


@dataclass
class SpanUnit:
    """One sentence's text and its marks' spans (one `SpanMark` per reviewer), for span agreement."""

    sentence_id: int
    article_id: int
    outlet_id: int
    text: str
    marks: list[SpanMark] = field(default_factory=list)


def span_units(outlet_ids: Iterable[int] | None = None) -> Iterator[SpanUnit]:
    """Yield, per reviewable sentence with >= 2 marks of which at least one has a source or cue
    span, every mark's (reviewer id, source span, cue span) and the sentence text.

    Marks without a span are included (an empty side of the comparison: the other reviewer's span
    is unmatched). One query, streamed with `.iterator(chunk_size=ALPHA_CHUNK)` and ordered by
    sentence, so one sentence's marks are in memory at a time. Sentences in ascending id order.
    """
    marks = _scored_marks()
    if outlet_ids is not None:
        marks = marks.filter(sentence__article__outlet_id__in=list(outlet_ids))
    with_span = Q(source_start__isnull=False) | Q(cue_start__isnull=False)
    candidates = (
        marks.order_by()
        .values("sentence_id")
        .annotate(total=Count("pk"), spanned=Count("pk", filter=with_span))
        .filter(total__gte=2, spanned__gte=1)
        .values("sentence_id")
    )
    rows = (
        Annotation.objects.filter(sentence_id__in=candidates)
        .order_by("sentence_id", "reviewer_id")
        .values_list(
            "sentence_id",
            "sentence__article_id",
            "sentence__article__outlet_id",
            "sentence__text",
            "reviewer_id",
            "source_start",
            "source_end",
            "cue_start",
            "cue_end",
        )
    )
    unit: SpanUnit | None = None
    for sentence_id, article_id, outlet_id, text, reviewer_id, s0, s1, c0, c1 in rows.iterator(chunk_size=ALPHA_CHUNK):
        if unit is None or unit.sentence_id != sentence_id:
            if unit is not None:
                yield unit
            unit = SpanUnit(sentence_id=sentence_id, article_id=article_id, outlet_id=outlet_id, text=text)
        unit.marks.append(
            SpanMark(
                reviewer=reviewer_id,
                source=None if s0 is None else (s0, s1),
                cue=None if c0 is None else (c0, c1),
            )
        )
    if unit is not None:
        yield unit


# --- Evidence behind a number -----------------------------------------------------------------

_EVIDENCE: dict[str, tuple[Q, Q]] = {
    # indicator -> (sentences in n, sentences in x), over the annotations gold_label / gold_kind.
    "sourcing_rate": (Q(gold_label__in=[Label.CLAIM, Label.ATTRIBUTION]), Q(gold_label=Label.ATTRIBUTION)),
    "named_share": (Q(gold_label=Label.ATTRIBUTION), Q(gold_label=Label.ATTRIBUTION, gold_kind__in=NAMED_KINDS)),
    "anonymous_share": (
        Q(gold_label=Label.ATTRIBUTION),
        Q(gold_label=Label.ATTRIBUTION, gold_kind=SourceKind.ANONYMOUS),
    ),
    "second_hand_share": (Q(gold_label=Label.ATTRIBUTION), Q(gold_label=Label.ATTRIBUTION, gold_kind=SourceKind.MEDIA)),
    "analysis_share": (Q(gold_label__in=COUNTED_LABELS), Q(gold_label=Label.ANALYSIS)),
}
EVIDENCE_INDICATORS = tuple(_EVIDENCE)


def evidence_sentences(outlet_id: int, indicator: str, part: str = "x") -> QuerySet:
    """The outlet's sentences counted in the numerator ("x") or denominator ("n") of `indicator`,
    by current gold labels, with `gold_label`, `gold_source`, `gold_kind` and the article.
    Raises KeyError for an unknown indicator or part."""
    in_n, in_x = _EVIDENCE[indicator]
    condition = {"n": in_n, "x": in_x}[part]
    sentences = sentences_with_gold(Sentence.objects.filter(article__outlet_id=outlet_id, reviewable=True))
    gold_kind = Subquery(Source.objects.filter(pk=OuterRef("gold_source")).values("kind")[:1])
    gold_source_name = Subquery(Source.objects.filter(pk=OuterRef("gold_source")).values("name")[:1])
    return (
        sentences.annotate(gold_kind=gold_kind, gold_source_name=gold_source_name)
        .filter(condition)
        .select_related("article")
        .order_by("article__published", "article_id", "position")
    )


def source_attributions(source_id: int) -> QuerySet:
    """Sentences that any reviewer (or the lead's adjudication) attributed to `source_id`, with
    their current gold label and gold source, newest article first."""
    sentences = Sentence.objects.filter(
        Q(annotations__label=Label.ATTRIBUTION, annotations__source_id=source_id) | Q(adjudication__source_id=source_id)
    ).distinct()
    return (
        sentences_with_gold(Sentence.objects.filter(pk__in=sentences.values("pk")))
        .select_related("article__outlet", "adjudication")
        .order_by("-article__published", "article_id", "position")
    )


def source_outlet_counts(source_id: int) -> list[dict]:
    """Per outlet: sentences whose gold source is `source_id` (one GROUP BY query)."""
    candidates = source_attributions(source_id).values("pk")
    return list(
        sentences_with_gold(Sentence.objects.filter(pk__in=candidates))
        .filter(gold_source=source_id)
        .order_by()
        .values("article__outlet__domain")
        .annotate(sentences=Count("pk"))
        .order_by("-sentences", "article__outlet__domain")
    )


def corpus_counts() -> dict[str, int]:
    """Outlets, articles, reviewable sentences, marks and reviewers with marks: five counts."""
    return {
        "outlets": Outlet.objects.count(),
        "articles": Article.objects.count(),
        "sentences": Sentence.objects.filter(reviewable=True).count(),
        "marks": Annotation.objects.count(),
        "reviewers": Annotation.objects.values("reviewer").distinct().count(),
    }


def unassigned_articles() -> QuerySet:
    """Articles nobody has been assigned yet."""
    return Article.objects.filter(assignments__isnull=True)
