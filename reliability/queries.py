"""Aggregations in the database that feed the score math (docs/scoring.md).

Only counting marks take part (`Annotation.objects.counting()`: marks of submitted assignments and
marks imported from Label Studio or a dataset). A score run first writes its record: the gold label
of every sentence, decided once in one INSERT ... SELECT (`record_run_sentences`; a full recompute
decides the same rows into a temporary table first, `decide_run_sentences`, and writes the record
from it); every roll-up of the run (counts per article, agreement patterns, label status) and its
evidence and source pages then read those rows, so the figures and the sentences behind them
always agree. The live gold
label in SQL (`sentences_with_gold`) serves the adjudication queue, which must follow every new
decision at once. Reviewer-pair and span agreement stream the counting marks.

Each public function runs one query (or a constant few) and returns plain data or a queryset.
"""

from __future__ import annotations

import math
import threading
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any, TypedDict, cast

import numpy as np
from django.db import connection
from django.db.models import (
    CharField,
    Count,
    Exists,
    F,
    IntegerField,
    Max,
    Min,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
)
from django.db.models.expressions import Case, RawSQL, When
from django.db.models.functions import Coalesce
from django.db.models.lookups import Exact, GreaterThan

from annotate.codebook import NAMED_KINDS, Label, SourceKind
from annotate.gold import ADJUDICATED, DISPUTED, MAJORITY, UNANIMOUS, UNMARKED
from annotate.models import (
    Adjudication,
    Annotation,
    AnnotationRevision,
    Article,
    AssignmentEvent,
    Outlet,
    Sentence,
    SentenceQuerySet,
    Source,
    sentence_number,
)
from claims.grouping import CORROBORATED, first_reporters, group_status
from claims.models import ArticleLink, ClaimGroup, ClaimMember
from reliability.models import PATTERN_FIELDS, RunClaim, RunOutletParts, RunSentence, ScoreRun, ScoreSnapshot
from reliability.scoring import ArticleCounts, SpanMark

LABELS: tuple[str, ...] = tuple(Label.values)
COUNTED_LABELS = (Label.CLAIM, Label.ATTRIBUTION, Label.ANALYSIS)
ALPHA_CHUNK = 5000


def scored_sentences() -> QuerySet:
    """Reviewable sentences of articles in service: a retired article or outlet keeps its marks but
    leaves new score runs (annotate `ArticleQuerySet.in_service`)."""
    return Sentence.objects.filter(reviewable=True, article__retired=False, article__outlet__retired=False)


def counting_marks() -> QuerySet:
    """Marks that count (docs/scoring.md section 1) on `scored_sentences`, unordered: what new
    score runs read."""
    return (
        Annotation.objects.counting()
        .filter(sentence__reviewable=True, sentence__article__retired=False, sentence__article__outlet__retired=False)
        .order_by()
    )


# --- Live gold labels in SQL (the adjudication queue) -------------------------------------------


def _marks_of_outer_sentence() -> QuerySet:
    return Annotation.objects.counting().filter(sentence=OuterRef("pk")).order_by().values("sentence")


def _majority_label() -> Subquery:
    """Per sentence: the label on more than half of its counting marks (unanimous included), else NULL."""
    total = Count("pk")
    case = Case(
        *[When(GreaterThan(Count("pk", filter=Q(label=label)) * 2, total), then=Value(label)) for label in LABELS],
        default=Value(None),
        output_field=CharField(),
    )
    return Subquery(_marks_of_outer_sentence().annotate(majority=case).values("majority"), output_field=CharField())


def _agreement_kind() -> Subquery:
    """Per sentence: "unanimous", "majority" or "disputed" from its counting marks; NULL without any."""
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
    attribution_marks = Annotation.objects.counting().filter(sentence=OuterRef("pk"), label=Label.ATTRIBUTION)
    attribution_marks = attribution_marks.order_by()
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
    """Sentences annotated with their live `gold_label` (adjudicated, else the majority label of
    the counting marks, else NULL: disputed or unmarked) and `gold_source` (for gold attributions
    only: the adjudicated source, else the majority source among attribution marks, else NULL).

    Both are SQL expressions (a LEFT JOIN to the adjudication and correlated per-sentence
    subqueries with conditional counts), so callers can filter, group and count on them. Score
    runs do not use this: they decide every label once (`record_run_sentences`).
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
    unmarked, and `mark_count` (counting marks), as in `annotate.gold.resolve_gold_label`."""
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


def disputed_sentences() -> SentenceQuerySet:
    """Sentences waiting for a lead: no adjudication, and either no majority label among two or
    more counting marks, or a gold attribution whose source has no majority. Oldest article first.
    In-progress marks dispute nothing: they do not count yet."""
    queryset = sentences_with_label_source(Sentence.objects.filter(adjudication__isnull=True))
    disputed = queryset.filter(
        Q(label_source=DISPUTED) | Q(gold_label=Label.ATTRIBUTION, gold_source__isnull=True)
    ).order_by("article_id", "position")
    return cast(SentenceQuerySet, disputed)  # (annotating keeps the queryset's class)


# --- The run's record: every sentence's gold label, decided once -------------------------------


def _compiled(queryset: QuerySet) -> tuple[str, tuple]:
    sql, params = queryset.query.get_compiler(using=queryset.db).as_sql()
    return sql, tuple(params)


# Packs (number of marks, source id) into one integer whose MAX is the most chosen source: a
# portable arg-max (PostgreSQL and SQLite) inside a plain GROUP BY. Source ids stay below 2**40.
_SOURCE_PACK = 2**40


# A full recompute keeps its decided rows (the record's, `_decided_sql` with pairs) in this temporary
# table: its roll-ups, claims record and reviewer pairs read it, and the record is written from it
# (`decide_run_sentences`, `write_decided_record`).
DECIDED_TABLE = "reliability_recompute_sentences"


def record_run_sentences(run_id: int, article_ids: Iterable[int] | None = None) -> int:
    """Write the record of run `run_id`: one `RunSentence` per sentence of `scored_sentences` that
    has a counting mark or an adjudication, with its gold label, how it was reached, its gold
    source and that source's kind, and its counting marks per label. Returns the number of rows.
    With `article_ids`, only the sentences of those articles (a refresh, `services.refresh_run`).

    One INSERT ... SELECT, so nothing passes through Python whatever the corpus size. The counting
    marks are read once and grouped by sentence (one GROUP BY: its article and outlet, marks per
    label, and the lowest and highest source among its attribution marks). The majority source
    follows from those two when they are equal (every attribution mark chose it) or when there are
    at most two attribution marks (two different sources: no majority); only a sentence with three
    or more attribution marks naming different sources asks its marks again, in a correlated
    subquery, for the most chosen source and its count, packed into one integer (`_SOURCE_PACK`).
    It is the majority source when chosen by more than half of the attribution marks (a strict
    majority is unique, so ties never matter). Sentences with an adjudication but no counting mark
    join by a UNION ALL. Gold label and label_source follow `annotate.gold.resolve_gold_label`
    (adjudicated, unanimous, strict majority, else disputed with a NULL label); the gold source
    follows `resolve_gold_source` (NULL when disputed). On PostgreSQL the whole record goes into a
    new partition of its own (`_partition_statements`); a refresh's rows go into the run's existing
    one, in primary-key order (outlet, sentence), as on SQLite.
    """
    decided_sql, decided_params = _decided_sql(article_ids)
    if article_ids is not None or connection.vendor != "postgresql":
        # A refresh adds rows to the run's partition (made by its full recompute); SQLite has one table.
        target = RunSentence._meta.db_table
        statements = [(_insert_record_sql(f"({decided_sql})", target), (run_id, *decided_params))]
    else:
        statements = _partition_statements(run_id, f"({decided_sql})", decided_params)
    with connection.cursor() as cursor:
        return _execute_record_write(cursor, statements)


def _execute_record_write(cursor, statements: list[tuple[str, tuple]]) -> int:
    """Run the statements that write a record (`cursor`: Django's or psycopg's own); returns the
    number of rows its INSERT wrote."""
    written = 0
    for sql, params in statements:
        cursor.execute(sql, params)
        if sql.lstrip().startswith("INSERT"):
            written = cursor.rowcount
    return written


def record_partition(run_id: int) -> str:
    """The table that holds run `run_id`'s record on PostgreSQL, where `RunSentence` is partitioned
    by run (migration 0008): one partition per run, made and filled by its full recompute
    (`_partition_statements`), emptied by a prune (`empty_records`) and dropped once that has
    committed (`tidy_records`)."""
    return f"{RunSentence._meta.db_table}_{int(run_id)}"


def _partition_statements(run_id: int, decided: str, params: Iterable[Any]) -> list[tuple[str, tuple]]:
    """The statements that write run `run_id`'s record on PostgreSQL from the decided rows
    `decided` (a parenthesized query or a table; `params` its parameters): a new table with the
    record's columns and constraints, filled in the decided rows' own order, then attached as the
    run's partition, which builds its indexes once (several times cheaper than inserting each row
    into an index), then analyzed (fresh rows have no statistics: without them the planner takes the
    record for empty and joins it row by row).

    The table has no index while it fills; its `CHECK (run_id = …)` spares the attach a scan. The
    attach takes a SHARE UPDATE EXCLUSIVE lock on the record until the transaction ends: readers
    and writers of other runs go on (only another attach, detach or vacuum of the record waits; a
    concurrent detach by `tidy_records` waits for this transaction, and it for nothing of the
    detach's). A table of that name left by a run deleted earlier (a test database flushed with its
    sequences reset) is dropped first: a run id is new, so nothing of this run can be in it."""
    parent, partition = RunSentence._meta.db_table, connection.ops.quote_name(record_partition(run_id))
    run = int(run_id)
    return [
        (f"DROP TABLE IF EXISTS {partition}", ()),
        (
            f"CREATE TABLE {partition} (LIKE {parent} INCLUDING DEFAULTS INCLUDING CONSTRAINTS, "
            f"CHECK (run_id = {run}))",
            (),
        ),
        (_insert_record_sql(decided, partition, ordered=False), (run, *params)),
        (f"ALTER TABLE {parent} ATTACH PARTITION {partition} FOR VALUES IN ({run})", ()),
        (f"ANALYZE {partition}", ()),
    ]


def decide_run_sentences() -> dict[tuple[int, int, int], Counter]:
    """Decide every sentence's record row into the temporary table `DECIDED_TABLE` and return
    `reviewer_pair_patterns()`, the counting marks read once for both.

    One CREATE TEMPORARY TABLE ... AS of `_decided_sql` (the counting marks grouped per sentence
    and the gold label decided, as `record_run_sentences` does), each row with its number of
    counting marks and its lowest and highest reviewer and their labels, packed (reviewer id *
    number of labels + label's place in `LABELS`). The reviewer pairs of every sentence with two
    counting marks are counted from that table (a GROUP BY of those packed values, no join of the
    marks with themselves); only sentences with three or more counting marks join their marks
    with themselves, as `reviewer_pair_patterns` does. The table lives until `write_decided_record`
    drops it (or the transaction's rollback: PostgreSQL and SQLite roll back DDL; outside a
    transaction the next call drops it first)."""
    table = connection.ops.quote_name(DECIDED_TABLE)
    decided_sql, decided_params = _decided_sql(None, pairs=True)
    base = len(LABELS)
    with connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE IF EXISTS {table}")
        cursor.execute(f"CREATE TEMPORARY TABLE {table} AS {decided_sql}", decided_params)
        # One pass: the pairs of the sentences with two marks, and whether any has more (those
        # rows' groups are only a flag).
        cursor.execute(
            f"SELECT outlet_id, pair_low / {base}, pair_high / {base}, pair_low % {base}, pair_high % {base}, "
            f"total > 2, COUNT(*) FROM {table} WHERE total > 2 OR (total = 2 AND pair_low / {base} < "
            f"pair_high / {base}) GROUP BY outlet_id, pair_low, pair_high, total > 2"
        )
        pairs: dict[tuple[int, int, int], Counter] = defaultdict(Counter)
        crowded_sentences = False
        for outlet_id, reviewer_a, reviewer_b, label_a, label_b, crowded, sentences in cursor.fetchall():
            if crowded:
                crowded_sentences = True
                continue
            pattern = [0] * base
            pattern[label_a] += 1
            pattern[label_b] += 1
            pairs[outlet_id, reviewer_a, reviewer_b][tuple(pattern)] += sentences
    if crowded_sentences:
        crowded = RawSQL(f"SELECT sentence_id FROM {table} WHERE total > 2", ())  # noqa: S611
        for key, counter in _pair_patterns(counting_marks().filter(sentence_id__in=crowded)).items():
            pairs[key].update(counter)
    return dict(pairs)


def write_decided_record(run_id: int) -> Callable[[], int]:
    """Write the record of run `run_id` from `DECIDED_TABLE` (`decide_run_sentences`), then drop
    the table. Returns a function that waits for the write and returns the number of rows.

    On PostgreSQL the write (the run's partition made, filled, attached and analyzed:
    `_partition_statements`; the DROP) runs in a thread on this transaction's own connection, so
    that the database writes while Python composes the figures (psycopg serialises the
    connection's statements and releases the GIL while it waits; a query from this thread
    meanwhile waits for the write). Call the returned function before anything reads the record
    or the transaction ends. On SQLite the write is done before returning."""
    table = connection.ops.quote_name(DECIDED_TABLE)
    drop = (f"DROP TABLE {table}", ())
    if connection.vendor != "postgresql":
        with connection.cursor() as cursor:
            written = _execute_record_write(
                cursor, [(_insert_record_sql(table, RunSentence._meta.db_table), (run_id,)), drop]
            )
        return lambda: written
    statements = [*_partition_statements(run_id, table, ()), drop]
    raw = connection.connection  # the psycopg connection of this transaction
    outcome: dict[str, Any] = {}

    def write() -> None:
        try:
            with raw.cursor() as cursor:
                outcome["written"] = _execute_record_write(cursor, statements)
        except BaseException as error:  # noqa: BLE001 (raised again by `wait`)
            outcome["error"] = error

    thread = threading.Thread(target=write, name="record-write")
    thread.start()

    def wait() -> int:
        thread.join()
        if "error" in outcome:
            with connection.wrap_database_errors:  # as Django's own cursors raise them
                raise outcome["error"]
        return outcome["written"]

    return wait


def empty_records(run_ids: Iterable[int]) -> None:
    """Delete the records of runs `run_ids` (a prune, in its transaction). On PostgreSQL each run's
    partition is emptied by a TRUNCATE, at once whatever its size (a DELETE of 600,000 rows took
    a second and left them for vacuum to reclaim), then dropped by `tidy_records` once committed;
    on SQLite a DELETE."""
    run_ids = set(run_ids)
    if connection.vendor != "postgresql":
        RunSentence.objects.filter(run_id__in=run_ids).delete()
        return
    partitions = [name for run_id, name in sorted(record_partitions().items()) if run_id in run_ids]
    if partitions:
        with connection.cursor() as cursor:
            cursor.execute(f"TRUNCATE {', '.join(connection.ops.quote_name(name) for name in partitions)}")


def record_partitions() -> dict[int, str]:
    """The record's partitions on PostgreSQL, by run id (`record_partition`); {} on SQLite."""
    return {run_id: name for run_id, (name, _) in _partitions().items()}


def _partitions() -> dict[int, tuple[str, bool]]:
    """Per run id, the record's partition on PostgreSQL and whether a detach of it is pending."""
    if connection.vendor != "postgresql":
        return {}
    prefix = f"{RunSentence._meta.db_table}_"
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT c.relname, i.inhdetachpending FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
            "WHERE i.inhparent = %s::regclass",
            [RunSentence._meta.db_table],
        )
        rows = cursor.fetchall()
    return {
        int(name.removeprefix(prefix)): (name, pending) for name, pending in rows if name.removeprefix(prefix).isdigit()
    }


def tidy_records() -> int:
    """After a prune has committed (PostgreSQL, outside any transaction): detach and drop the
    record partitions of runs whose record was pruned or that no longer exist (a deleted run's
    rows go with it, its empty partition stays until now), then, if any was dropped,
    `VACUUM (ANALYZE)` the claims record and the outlet parts, which a prune deletes from. Returns
    the number of partitions dropped; 0 and nothing done on SQLite or inside a transaction block
    (where PostgreSQL refuses a concurrent detach and VACUUM; the worker runs tasks outside one).

    Each partition is detached CONCURRENTLY (readers and writers of the record go on meanwhile; it
    waits for the transactions that may still read it), then dropped. A detach interrupted
    half-way is finished (FINALIZE) and its table dropped."""
    if connection.vendor != "postgresql" or connection.in_atomic_block:
        return 0
    partitions = _partitions()
    kept = set(ScoreRun.objects.filter(pk__in=list(partitions), record_kept=True).values_list("pk", flat=True))
    parent, quote = RunSentence._meta.db_table, connection.ops.quote_name
    dropped = 0
    with connection.cursor() as cursor:
        for run_id, (name, pending) in sorted(partitions.items()):
            if run_id in kept and not pending:
                continue
            cursor.execute(
                f"ALTER TABLE {parent} DETACH PARTITION {quote(name)} {'FINALIZE' if pending else 'CONCURRENTLY'}"
            )
            cursor.execute(f"DROP TABLE {quote(name)}")
            dropped += 1
        if dropped:
            for model in (RunClaim, RunOutletParts):
                cursor.execute(f"VACUUM (ANALYZE) {quote(model._meta.db_table)}")
    return dropped


def _per_sentence(marks: QuerySet, *, pairs: bool = False) -> QuerySet:
    """The counting marks `marks` grouped by sentence: its article and outlet, its marks in all and
    per label, the lowest and highest source among its attribution marks, and with `pairs` the
    lowest and highest (reviewer id, label) packed into one integer each."""
    attribution = Q(label=Label.ATTRIBUTION)
    packed: dict[str, Min | Max] = {}
    if pairs:
        code = Case(*[When(label=label, then=Value(i)) for i, label in enumerate(LABELS)], output_field=IntegerField())
        reviewer_label = F("reviewer_id") * len(LABELS) + code
        packed = {"pair_low": Min(reviewer_label), "pair_high": Max(reviewer_label)}
    return marks.values("sentence_id").annotate(
        article=Max("sentence__article_id"),
        outlet=Max("sentence__article__outlet_id"),
        total=Count("pk"),
        **{PATTERN_FIELDS[label]: Count("pk", filter=Q(label=label)) for label in LABELS},
        source_low=Min("source_id", filter=attribution),
        source_high=Max("source_id", filter=attribution),
        **packed,
    )


# The record's columns, as `_decided_sql` gives them (after the run).
_RECORD_COLUMNS = (
    "sentence_id", "article_id", "outlet_id", "label", "label_source", "source_id", "source_kind",
    *(PATTERN_FIELDS[label] for label in LABELS),
)  # fmt: skip


def _insert_record_sql(decided: str, target: str, *, ordered: bool = True) -> str:
    """INSERT into `target` (the record, or a run's partition of it) of the decided rows `decided`
    (a parenthesized query or a table), in primary-key order (outlet, sentence) when `ordered`:
    appending to an index is several times cheaper than inserting at random places in it. A new
    partition, whose indexes are built after it is filled, takes them unordered (sorting 600,000
    rows cost ~0.9 s; the index build sorts them anyway). Its one parameter is the run."""
    columns = ", ".join(connection.ops.quote_name(column) for column in _RECORD_COLUMNS)
    order = f" ORDER BY d.{connection.ops.quote_name('outlet_id')}, d.sentence_id" if ordered else ""
    return f"""
        INSERT INTO {target} ({connection.ops.quote_name("run_id")}, {columns})
        SELECT %s, {", ".join(f"d.{connection.ops.quote_name(column)}" for column in _RECORD_COLUMNS)}
        FROM {decided} d{order}
    """


def _decided_sql(article_ids: Iterable[int] | None, *, pairs: bool = False) -> tuple[str, tuple]:
    """The record's rows (`_RECORD_COLUMNS`) of every article or of `article_ids`, decided from the
    counting marks grouped per sentence (`_per_sentence`) and the adjudications, unordered. With
    `pairs`, each row also has its number of counting marks (`total`) and its lowest and highest
    (reviewer, label), packed (`_per_sentence`; NULL for a sentence with an adjudication only)."""
    quote = connection.ops.quote_name
    marks, adjudications = counting_marks(), Adjudication.objects.order_by()
    if article_ids is not None:
        article_ids = list(article_ids)
        marks = marks.filter(sentence__article_id__in=article_ids)
        adjudications = adjudications.filter(sentence__article_id__in=article_ids)
    columns = {label: quote(PATTERN_FIELDS[label]) for label in LABELS}
    attribution = Q(label=Label.ATTRIBUTION)
    per_sentence_sql, per_sentence_params = _compiled(_per_sentence(marks, pairs=pairs))
    # The most chosen attribution source of sentence c and its count, packed (`_SOURCE_PACK`).
    chosen = (
        Annotation.objects.counting()
        .filter(attribution, sentence_id=RawSQL("c.sentence_id", ()))
        .order_by()
        .values("source_id")
        .annotate(packed=Count("pk") * _SOURCE_PACK + F("source_id"))
        .order_by("-packed")
        .values("packed")[:1]
    )
    chosen_sql, chosen_params = _compiled(chosen)
    top_source = (
        f"CASE WHEN c.{columns[Label.ATTRIBUTION]} = 0 THEN NULL "
        f"WHEN c.source_low = c.source_high THEN c.{columns[Label.ATTRIBUTION]} * {_SOURCE_PACK} + c.source_low "
        f"WHEN c.{columns[Label.ATTRIBUTION]} <= 2 THEN NULL ELSE ({chosen_sql}) END"
    )
    adjudicated_only = (
        adjudications.filter(sentence__in=scored_sentences())
        .filter(~Exists(Annotation.objects.counting().filter(sentence=OuterRef("sentence_id"))))
        .values("sentence_id", article=F("sentence__article_id"), outlet=F("sentence__article__outlet_id"))
    )
    adjudicated_sql, adjudicated_params = _compiled(adjudicated_only)
    zeros = ", ".join(f"0 AS {columns[label]}" for label in LABELS)
    packed, no_pairs, pair_columns = "", "", ""
    if pairs:
        packed, no_pairs = ", c.pair_low, c.pair_high", ", NULL AS pair_low, NULL AS pair_high"
        pair_columns = ", x.total, x.pair_low, x.pair_high"
    counted = f"""
        SELECT c.sentence_id, c.article, c.outlet, c.total, {", ".join(f"c.{columns[label]}" for label in LABELS)},
               {top_source} AS top_source{packed}
        FROM ({per_sentence_sql}) c
        UNION ALL
        SELECT o.sentence_id, o.article, o.outlet, 0 AS total, {zeros}, NULL AS top_source{no_pairs}
        FROM ({adjudicated_sql}) o
    """
    majority_whens = " ".join(f"WHEN 2 * x.{columns[label]} > x.total THEN %s" for label in LABELS)
    unanimous = " OR ".join(f"x.{columns[label]} = x.total" for label in LABELS)
    majority = " OR ".join(f"2 * x.{columns[label]} > x.total" for label in LABELS)
    majority_source = (
        f"CASE WHEN 2 * (x.top_source / {_SOURCE_PACK}) > x.{columns[Label.ATTRIBUTION]} "
        f"THEN x.top_source - (x.top_source / {_SOURCE_PACK}) * {_SOURCE_PACK} END"
    )
    decided = f"""
        SELECT x.sentence_id, x.article AS article_id, x.outlet AS outlet_id,
               CASE WHEN j.id IS NOT NULL THEN j.label {majority_whens} END AS label,
               CASE WHEN j.id IS NOT NULL THEN %s WHEN {unanimous} THEN %s WHEN {majority} THEN %s ELSE %s END
                   AS label_source,
               j.source_id AS adjudicated_source, {majority_source} AS majority_source,
               {", ".join(f"x.{columns[label]}" for label in LABELS)}{pair_columns}
        FROM ({counted}) x
        LEFT JOIN {Adjudication._meta.db_table} j ON j.sentence_id = x.sentence_id
    """
    decided_params = (
        *LABELS,
        ADJUDICATED,
        UNANIMOUS,
        MAJORITY,
        DISPUTED,
        *chosen_params,
        *per_sentence_params,
        *adjudicated_params,
    )
    gold_source = "CASE WHEN d.label = %s THEN COALESCE(d.adjudicated_source, d.majority_source) END"
    sql = f"""
        SELECT d.sentence_id, d.article_id, d.outlet_id, d.label, d.label_source, {gold_source} AS source_id,
               COALESCE(k.kind, '') AS source_kind, {", ".join(f"d.{columns[label]}" for label in LABELS)}
               {", d.total, d.pair_low, d.pair_high" if pairs else ""}
        FROM ({decided}) d
        LEFT JOIN {Source._meta.db_table} k ON k.id = {gold_source}
    """
    return sql, (Label.ATTRIBUTION, *decided_params, Label.ATTRIBUTION)


def changed_articles(since) -> set[int]:
    """Articles whose marks (a revision), assignments (a submit or reopen) or adjudication changed
    at or after `since`: what a refresh of a run computed then recomputes. One query."""
    revised = AnnotationRevision.objects.filter(changed_at__gte=since).values_list("sentence__article_id")
    events = AssignmentEvent.objects.filter(at__gte=since).values_list("assignment__article_id")
    decided = Adjudication.objects.filter(decided_at__gte=since).values_list("sentence__article_id")
    return {article_id for (article_id,) in revised.order_by().union(events.order_by(), decided.order_by())}


def prepare_recompute() -> None:
    """Settings for the current transaction's few large aggregations (PostgreSQL; nothing on
    SQLite): no JIT compilation (it costs more than it saves on these one-off statements: a
    second per query measured) and room for their hash tables and sorts in memory."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL jit = off")
            cursor.execute("SET LOCAL work_mem = '256MB'")


def run_sentences(run_id: int) -> QuerySet:
    """The record of one run (unordered)."""
    return RunSentence.objects.filter(run_id=run_id).order_by()


# --- Roll-ups of a run, read from its record ---------------------------------------------------


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
    sources: Mapping[int, int] = field(default_factory=dict)


def source_facts(source_ids: Iterable[int] | None = None) -> dict[int, SourceFacts]:
    """Registry id -> kind, side ("Topic: side") and name, in one query."""
    queryset = Source.objects.all() if source_ids is None else Source.objects.filter(pk__in=list(source_ids))
    rows = queryset.values_list("pk", "kind", "name", "side__topic__name", "side__name")
    return {
        pk: SourceFacts(kind=kind, side=f"{topic}: {side}" if side else None, name=name)
        for pk, kind, name, topic, side in rows
    }


def _fetch(sql: str, params: Iterable) -> Iterator[tuple]:
    """Rows of a raw query in chunks of `ALPHA_CHUNK` (no per-value conversion)."""
    with connection.cursor() as cursor:
        cursor.execute(sql, list(params))
        while rows := cursor.fetchmany(ALPHA_CHUNK):
            yield from rows


def article_rollups(
    run_id: int, outlet_ids: Iterable[int] | None = None, facts: dict[int, SourceFacts] | None = None
) -> list[ArticleRollup]:
    """Gold counts per article (C, A, N, A_named, A_anon, A_media, per side) of run `run_id`, of
    the outlets `outlet_ids` (None: all): one `ArticleRollup` per article of `article_totals`, its
    sides from the registry (`article_rollup`). Two queries (one when `facts` are given): the
    sources and `article_totals`."""
    facts = source_facts() if facts is None else facts
    return [article_rollup(*totals, facts) for totals in article_totals(run_id, outlet_ids)]


ArticleTotals = tuple[int, int, date | None, dict[str, int], dict[int, int]]
# How a recorded sentence's label was reached (`RunSentence.label_source`), in the order label
# status counts list them.
RECORDED_STATUSES = (ADJUDICATED, UNANIMOUS, MAJORITY, DISPUTED)


@dataclass
class RecordTotals:
    """What one pass over a run's record gives (`record_totals`): gold counts per article
    (`article_totals`) and per outlet its recorded sentences by how their label was reached."""

    articles: list[ArticleTotals]
    statuses: dict[int, dict[str, int]]


def article_totals(run_id: int, outlet_ids: Iterable[int] | None = None) -> list[ArticleTotals]:
    """Gold counts per article of run `run_id`, of the outlets `outlet_ids` (None: all): (article id,
    outlet id, published, its counts of C, A, N, A_named, A_anon, A_media (only those above zero), its
    attributions per gold source in id order), one per article with at least one counted sentence,
    in article id order. Kinds come from the record (the kind when the run was made). An attribution
    whose gold source is disputed counts in A but in no kind. `other` and unsettled sentences are
    left out. `record_totals(...).articles`."""
    return record_totals(run_id, outlet_ids).articles


def record_totals(run_id: int, outlet_ids: Iterable[int] | None = None, *, decided: bool = False) -> RecordTotals:
    """`article_totals` and, per outlet, the recorded sentences by `label_source` (those above zero,
    in `RECORDED_STATUSES` order) of run `run_id`, of the outlets `outlet_ids` (None: all): the
    rows of `record_totals_rows` summed up (`totals_of_rows`)."""
    return totals_of_rows(record_totals_rows(run_id, outlet_ids, decided=decided))


# The counts `record_totals` reads per article: the gold counts (`_TOTALS_NAMES`), the recorded
# sentences per `RECORDED_STATUSES`, and its counted sentences (none: the article has no totals).
_TOTALS_NAMES = ("claims", "attributions", "analysis", "a_named", "a_anon", "a_media")


def record_totals_rows(run_id: int, outlet_ids: Iterable[int] | None = None, *, decided: bool = False) -> list[tuple]:
    """The rows `record_totals` sums up, of run `run_id`, of the outlets `outlet_ids` (None: all).
    One query: two GROUP BYs of the record (UNION ALL), per article every label, kind and label
    source counted in the database (article id, outlet id, published, NULL, the counts), and per
    article and gold source its attributions (article id, NULL, NULL, source id, attributions,
    NULLs). As many rows as articles and their sources, not sentences. With `decided`, the rows
    read are those of `DECIDED_TABLE` (the run's record to be), not the record (`_recorded`).
    """
    label, kind = "r.label", "r.source_kind"
    attributed = f"{label} = %s AND r.source_id IS NOT NULL"
    counted: dict[str, tuple[str, list[str]]] = {
        "claims": (f"{label} = %s", [Label.CLAIM]),
        "attributions": (f"{label} = %s", [Label.ATTRIBUTION]),
        "analysis": (f"{label} = %s", [Label.ANALYSIS]),
        "a_named": (f"{attributed} AND {kind} IN ({', '.join(['%s'] * len(NAMED_KINDS))})",
                    [Label.ATTRIBUTION, *NAMED_KINDS]),
        "a_anon": (f"{attributed} AND {kind} = %s", [Label.ATTRIBUTION, SourceKind.ANONYMOUS]),
        "a_media": (f"{attributed} AND {kind} = %s", [Label.ATTRIBUTION, SourceKind.MEDIA]),
    }  # fmt: skip
    assert tuple(counted) == _TOTALS_NAMES
    for status in RECORDED_STATUSES:
        counted[status] = ("r.label_source = %s", [status])
    # The article's counted sentences (claims, attributions, analysis): none, and it has no totals.
    counted["counted"] = (f"{label} IN (%s, %s, %s)", list(COUNTED_LABELS))
    sums = ", ".join(f"SUM(CASE WHEN {condition} THEN 1 ELSE 0 END)" for condition, _ in counted.values())
    record, of_run, run_params = _recorded(run_id, decided, outlet_ids)
    articles = Article._meta.db_table
    # Per article its counts; then per article and gold source its attributions (NULL counts).
    no_counts = ", ".join(["NULL"] * (len(counted) - 1))
    sql = f"""
        SELECT r.article_id, MAX(r.outlet_id), MAX(a.published), NULL, {sums}
        FROM {record} r INNER JOIN {articles} a ON a.id = r.article_id
        WHERE {of_run}
        GROUP BY r.article_id
        UNION ALL
        SELECT r.article_id, NULL, NULL, r.source_id, COUNT(*), {no_counts}
        FROM {record} r
        WHERE {of_run} AND {label} = %s AND r.source_id IS NOT NULL
        GROUP BY r.article_id, r.source_id
    """
    params = [*(value for _, values in counted.values() for value in values), *run_params]
    params += [*run_params, Label.ATTRIBUTION]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def totals_of_rows(rows: list[tuple]) -> RecordTotals:
    """`record_totals` of its rows (`record_totals_rows`)."""
    names = _TOTALS_NAMES
    totals: dict[int, tuple] = {}
    sources: dict[int, dict[int, int]] = defaultdict(dict)
    statuses: dict[int, list[int]] = {}
    first_status, last_status = 4 + len(names), 4 + len(names) + len(RECORDED_STATUSES)
    for row in rows:  # by index: most rows are an article's attributions of one gold source
        if row[3] is not None:
            sources[row[0]][row[3]] = row[4]
            continue
        article_id, outlet_id, published = row[0], row[1], row[2]
        by_status = statuses.get(outlet_id)
        if by_status is None:
            statuses[outlet_id] = list(row[first_status:last_status])
        else:
            statuses[outlet_id] = [a + b for a, b in zip(by_status, row[first_status:last_status], strict=True)]
        if not row[-1]:
            continue
        if isinstance(published, str):  # SQLite returns dates as text
            published = date.fromisoformat(published)
        counts = {name: number for name, number in zip(names, row[4:first_status], strict=True) if number}
        totals[article_id] = (article_id, outlet_id, published, counts)
    return RecordTotals(
        articles=[
            (*totals[article_id], dict(sorted(sources.get(article_id, {}).items()))) for article_id in sorted(totals)
        ],
        statuses={
            outlet_id: {status: n for status, n in zip(RECORDED_STATUSES, by_status, strict=True) if n}
            for outlet_id, by_status in statuses.items()
        },
    )


def _recorded(run_id: int, decided: bool, outlet_ids: Iterable[int] | None = None) -> tuple[str, str, list]:
    """The rows of run `run_id`'s record for a roll-up as `r`: its table, the condition on `r` that
    keeps the run's rows (of the outlets `outlet_ids`; None: all) and its parameters; with
    `decided`, `DECIDED_TABLE` (every row)."""
    table, condition, params = RunSentence._meta.db_table, "r.run_id = %s", [run_id]
    if decided:
        table, condition, params = connection.ops.quote_name(DECIDED_TABLE), "1 = 1", []
    if outlet_ids is not None:
        outlet_ids = list(outlet_ids)
        condition += f" AND r.outlet_id IN ({', '.join(['%s'] * len(outlet_ids))})"
        params += outlet_ids
    return table, condition, params


def article_rollup(
    article_id: int,
    outlet_id: int,
    published: date | None,
    counts: dict[str, int],
    sources: dict[int, int],
    facts: dict[int, SourceFacts],
) -> ArticleRollup:
    """One article's `ArticleRollup` from its label and kind counts and its attributions per gold
    source; the sides come from the registry (`facts`). Sources and sides in id and name order,
    so that ties (most-cited sources) and sums come out the same however the rows arrived."""
    ordered: Counter[int] = Counter()
    sides: dict[str, int] = {}
    for source_id, count in sorted(sources.items()):
        ordered[source_id] = count
        source = facts.get(source_id)
        if source is not None and source.side:
            sides[source.side] = sides.get(source.side, 0) + count
    return ArticleRollup(
        article_id=article_id,
        outlet_id=outlet_id,
        published=published,
        counts=ArticleCounts(article_id=article_id, sides=dict(sorted(sides.items())), **counts),
        sources=ordered,
    )


def _of_outlets(queryset: QuerySet, outlet_ids: Iterable[int] | None, field: str = "outlet_id") -> QuerySet:
    """`queryset` restricted to the outlets `outlet_ids` (None: unrestricted)."""
    return queryset if outlet_ids is None else queryset.filter(**{f"{field}__in": list(outlet_ids)})


# --- Claims across outlets in a run (method version 2) -----------------------------------------


def record_run_claims(run_id: int, *, decided: bool = False) -> int:
    """Write the run's claims record (`RunClaim`): every claim or attribution of the run's record
    that belongs to a claim group (claims app) carried by two or more outlets by this run's gold
    labels, with the group's status (from the gold sources of its attributions in this run,
    `claims.grouping.group_status`) and whether its outlet published the group first. Returns the
    rows written. One read of the record (with `decided`, of `DECIDED_TABLE`, as `record_totals`)
    joined to the current memberships, one bulk insert."""
    record, of_run, params = _recorded(run_id, decided)
    sql = f"""
        SELECT r.sentence_id, r.article_id, r.outlet_id, a.published, r.label, r.source_id, r.source_kind, m.group_id
        FROM {record} r
        INNER JOIN {ClaimMember._meta.db_table} m ON m.sentence_id = r.sentence_id
        INNER JOIN {Article._meta.db_table} a ON a.id = r.article_id
        WHERE {of_run} AND r.label IN (%s, %s)
    """
    by_group: dict[int, list[tuple]] = defaultdict(list)
    for row in _fetch(sql, [*params, Label.CLAIM, Label.ATTRIBUTION]):
        by_group[row[7]].append(row)
    records = []
    for group_id, members in by_group.items():
        if len({member[2] for member in members}) < 2:
            continue
        status = group_status(
            [(member[5], member[6]) for member in members if member[4] == Label.ATTRIBUTION and member[5] is not None]
        )
        first = first_reporters([(member[2], member[3]) for member in members])
        records += [
            RunClaim(run_id=run_id, sentence_id=member[0], article_id=member[1], outlet_id=member[2],
                     group_id=group_id, status=status, first=member[2] in first)
            for member in members
        ]  # fmt: skip
    RunClaim.objects.bulk_create(records, batch_size=5000)
    return len(records)


class ClaimCounts(TypedDict, total=False):
    """The claims fields of `ArticleCounts` (method version 2), as `claim_counts` gives them."""

    carried: int
    carried_first: int
    carried_weak: int
    corroborated: int


def claim_counts(run_id: int) -> dict[int, ClaimCounts]:
    """Article id -> the claims fields of `ArticleCounts` from the run's claims record: carried
    (claim groups its claims and attributions are in), carried_first, carried_weak (single-source
    or unsourced groups) and corroborated (its sentences in corroborated groups). One query."""
    groups: dict[int, dict[str, set]] = defaultdict(lambda: {"carried": set(), "first": set(), "weak": set()})
    corroborated: Counter[int] = Counter()
    for article_id, group_id, status, first in (
        RunClaim.objects.filter(run_id=run_id).values_list("article_id", "group_id", "status", "first").iterator()
    ):
        found = groups[article_id]
        found["carried"].add(group_id)
        if first:
            found["first"].add(group_id)
        if status == CORROBORATED:
            corroborated[article_id] += 1
        else:
            found["weak"].add(group_id)
    return {
        article_id: {
            "carried": len(found["carried"]),
            "carried_first": len(found["first"]),
            "carried_weak": len(found["weak"]),
            "corroborated": corroborated[article_id],
        }
        for article_id, found in groups.items()
    }


def restating_articles(article_ids: Iterable[int] | None = None) -> dict[int, list[str]]:
    """Article id -> the outlet domains it restates (declared credits and detected rewrites a lead
    has not rejected), for the articles that restate any, of `article_ids` (None: every article).
    One query."""
    restates: dict[int, list[str]] = defaultdict(list)
    links = ArticleLink.objects.standing()
    if article_ids is not None:
        links = links.filter(article_id__in=list(article_ids))
    for article_id, domain in (
        links.order_by("article_id", "original_domain").values_list("article_id", "original_domain").distinct()
    ):
        restates[article_id].append(domain)
    return dict(restates)


def claim_evidence(run_id: int, outlet_id: int, indicator: str, part: str) -> list[dict]:
    """The claim groups behind the outlet's first-to-report or single-source-or-unsourced share in
    run `run_id` (n: every group its articles carried, x: those it published first, or those
    single-source or unsourced): one row per (article, group), their number being the figure, with
    the first of the article's sentences in the group. Raises KeyError for an unknown indicator or
    part."""
    keep = {
        ("first_share", "n"): lambda row: True,
        ("first_share", "x"): lambda row: row.first,
        ("weak_claim_share", "n"): lambda row: True,
        ("weak_claim_share", "x"): lambda row: row.status != CORROBORATED,
    }[indicator, part]
    seen: set[tuple[int, int]] = set()
    result = []
    for row in (
        RunClaim.objects.filter(run_id=run_id, outlet_id=outlet_id)
        .select_related("sentence", "article")
        .order_by("article__published", "article_id", "group_id", "sentence__position")
    ):
        if (row.article_id, row.group_id) in seen or not keep(row):
            continue
        seen.add((row.article_id, row.group_id))
        result.append({"group_id": row.group_id, "status": row.status, "first": row.first,
                       "status_display": ClaimGroup.Status(row.status).label,
                       "article": row.article, "sentence": row.sentence})  # fmt: skip
    return result


CLAIM_EVIDENCE_INDICATORS = ("first_share", "weak_claim_share")
ARTICLE_EVIDENCE_INDICATORS = ("original_share",)


def sides_per_outlet() -> dict[int, int]:
    """Outlet id -> number of sides defined for the topics of its articles (k of side balance)."""
    rows = Article.objects.order_by().values("outlet_id").annotate(k=Count("topic__sides", distinct=True))
    return {row["outlet_id"]: row["k"] for row in rows}


def reviewable_counts(outlet_ids: Iterable[int] | None = None) -> dict[int, int]:
    """Outlet id -> its reviewable sentences (`scored_sentences`), of the outlets `outlet_ids`
    (None: all). One GROUP BY query."""
    reviewable = _of_outlets(scored_sentences().order_by(), outlet_ids, "article__outlet_id")
    return dict(reviewable.values("article__outlet_id").annotate(n=Count("pk")).values_list("article__outlet_id", "n"))


def statuses_with_unmarked(
    recorded: dict[int, dict[str, int]], reviewable: dict[int, int]
) -> dict[int, dict[str, int]]:
    """Outlet id -> reviewable sentences by how their label was reached in a run: `recorded`, the
    run's record counted per outlet (unanimous, majority, adjudicated, disputed:
    `record_totals(...).statuses`), and unmarked: the outlet's other reviewable sentences
    (`reviewable`, from `reviewable_counts`)."""
    result: dict[int, dict[str, int]] = defaultdict(dict)
    for outlet_id, statuses in recorded.items():
        result[outlet_id].update(statuses)
    for outlet_id, n in reviewable.items():
        unmarked = n - sum(recorded.get(outlet_id, {}).values())
        if unmarked:
            result[outlet_id][UNMARKED] = unmarked
    return dict(result)


@dataclass
class AgreementPatterns:
    """Label-count patterns (marks per label, in `LABELS` order) -> number of sentences; alpha
    depends only on these, so memory is bounded by the number of distinct patterns."""

    overall: Counter[tuple[int, ...]] = field(default_factory=Counter)
    by_outlet: dict[int, Counter[tuple[int, ...]]] = field(default_factory=lambda: defaultdict(Counter))
    # Per article (when asked for): one row (article id, marks per label..., sentences) per article
    # and pattern, as read, for `scoring.krippendorff_alpha_per_group`; None without any.
    by_article: np.ndarray | None = None


def agreement_patterns(
    run_id: int, *, per_article: bool = False, outlet_ids: Iterable[int] | None = None, decided: bool = False
) -> AgreementPatterns:
    """Agreement patterns of run `run_id` (sentences with >= 2 counting marks), counted per
    outlet (and listed per article when `per_article`): the rows of `agreement_pattern_rows`
    summed up (`patterns_of_rows`)."""
    rows = agreement_pattern_rows(run_id, per_article=per_article, outlet_ids=outlet_ids, decided=decided)
    return patterns_of_rows(rows, per_article=per_article)


def agreement_pattern_rows(
    run_id: int, *, per_article: bool = False, outlet_ids: Iterable[int] | None = None, decided: bool = False
) -> list[tuple]:
    """The rows `agreement_patterns` sums up: (outlet id, [article id,] marks per label...,
    sentences), by one GROUP BY over the record (with `decided`, over `DECIDED_TABLE`, as
    `record_totals`)."""
    pattern = [f"r.{connection.ops.quote_name(PATTERN_FIELDS[label])}" for label in LABELS]
    keys = ["r.outlet_id", "r.article_id"] if per_article else ["r.outlet_id"]
    record, of_run, params = _recorded(run_id, decided, outlet_ids)
    group_by = ", ".join([*keys, *pattern])
    sql = f"""
        SELECT {group_by}, COUNT(*) FROM {record} r
        WHERE {of_run} AND {" + ".join(pattern)} >= 2 GROUP BY {group_by}
    """
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def patterns_of_rows(rows: list[tuple], *, per_article: bool = False) -> AgreementPatterns:
    """`agreement_patterns` of its rows (`agreement_pattern_rows`), summed per outlet and pattern in
    numpy (Counters in pattern order)."""
    patterns = AgreementPatterns()
    table = np.array(rows, dtype=np.int64)
    if not len(table):
        return patterns
    keys = 2 if per_article else 1
    # Per outlet and pattern: the sum of its rows' sentences (exact: far below 2**53), each
    # (outlet, pattern) numbered in mixed radix (its columns are non-negative and small).
    grouped = table[:, [0, *range(keys, keys + len(LABELS))]]
    radix = grouped.max(axis=0) + 1
    if math.prod(radix.tolist()) < 2**62:
        places = np.cumprod([1, *radix[:0:-1].tolist()])[::-1]
        _, first, inverse = np.unique(grouped @ places, return_index=True, return_inverse=True)
        unique = grouped[first]
    else:  # pragma: no cover (ids or mark counts beyond any corpus)
        unique, inverse = np.unique(grouped, axis=0, return_inverse=True)
    sentences = np.bincount(inverse.ravel(), weights=table[:, -1], minlength=len(unique)).astype(np.int64)
    for (outlet_id, *counts), n in zip(unique.tolist(), sentences.tolist(), strict=True):
        patterns.overall[tuple(counts)] += n
        patterns.by_outlet[outlet_id][tuple(counts)] += n
    if per_article:
        patterns.by_article = table[:, 1:]
    return patterns


# --- Agreement between reviewers, from the counting marks ---------------------------------------


def reviewer_pair_patterns(outlet_ids: Iterable[int] | None = None) -> dict[tuple[int, int, int], Counter]:
    """(outlet id, reviewer a id, reviewer b id) -> label-count patterns of the sentences both
    marked (a < b), counting marks only, for alpha per reviewer pair.

    One query: the counting marks (a CTE, decided once) joined with themselves on the sentence
    and grouped by outlet, both reviewers and both labels, so the database returns at most
    outlets x pairs x 16 rows, whatever the number of marks.
    """
    return _pair_patterns(_of_outlets(counting_marks(), outlet_ids, "sentence__article__outlet_id"))


def _pair_patterns(marks: QuerySet) -> dict[tuple[int, int, int], Counter]:
    """`reviewer_pair_patterns` of the counting marks `marks`."""
    quote = connection.ops.quote_name
    marks_sql, params = _compiled(
        marks.values("sentence_id", "reviewer_id", "label", outlet_id=F("sentence__article__outlet_id"))
    )
    sql = f"""
        WITH m AS ({marks_sql})
        SELECT a.{quote("outlet_id")}, a.reviewer_id, b.reviewer_id, a.label, b.label, COUNT(*)
        FROM m a INNER JOIN m b ON b.sentence_id = a.sentence_id AND a.reviewer_id < b.reviewer_id
        GROUP BY a.{quote("outlet_id")}, a.reviewer_id, b.reviewer_id, a.label, b.label
    """
    index = {label: i for i, label in enumerate(LABELS)}
    pairs: dict[tuple[int, int, int], Counter] = defaultdict(Counter)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        for outlet_id, reviewer_a, reviewer_b, label_a, label_b, sentences in cursor.fetchall():
            pattern = [0] * len(LABELS)
            pattern[index[label_a]] += 1
            pattern[index[label_b]] += 1
            pairs[outlet_id, reviewer_a, reviewer_b][tuple(pattern)] += sentences
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
    """Yield, per reviewable sentence with >= 2 counting marks of which at least one has a source
    or cue span, every counting mark's (reviewer id, source span, cue span) and the sentence text.

    Marks without a span are included (an empty side of the comparison: the other reviewer's span
    is unmatched). One query, streamed with `.iterator(chunk_size=ALPHA_CHUNK)` and ordered by
    sentence, so one sentence's marks are in memory at a time. Sentences in ascending id order.
    """
    marks = counting_marks()
    if outlet_ids is not None:
        marks = marks.filter(sentence__article__outlet_id__in=list(outlet_ids))
    # Sentences with a spanned counting mark (few, next to all marks); those with a single mark
    # are dropped below, while streaming, rather than by grouping every mark in the database.
    spanned = marks.filter(Q(source_start__isnull=False) | Q(cue_start__isnull=False)).values("sentence_id")
    rows = (
        marks.filter(sentence_id__in=spanned)
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
            if unit is not None and len(unit.marks) >= 2:
                yield unit
            unit = SpanUnit(sentence_id=sentence_id, article_id=article_id, outlet_id=outlet_id, text=text)
        unit.marks.append(
            SpanMark(
                reviewer=reviewer_id,
                source=None if s0 is None else (s0, s1),
                cue=None if c0 is None else (c0, c1),
            )
        )
    if unit is not None and len(unit.marks) >= 2:
        yield unit


# --- Evidence behind a number, from the run's record -------------------------------------------

_EVIDENCE: dict[str, tuple[Q, Q]] = {
    # indicator -> (sentences in n, sentences in x), over the record's label and source_kind.
    "sourcing_rate": (Q(label__in=[Label.CLAIM, Label.ATTRIBUTION]), Q(label=Label.ATTRIBUTION)),
    "named_share": (Q(label=Label.ATTRIBUTION), Q(label=Label.ATTRIBUTION, source_kind__in=NAMED_KINDS)),
    "anonymous_share": (Q(label=Label.ATTRIBUTION), Q(label=Label.ATTRIBUTION, source_kind=SourceKind.ANONYMOUS)),
    "second_hand_share": (Q(label=Label.ATTRIBUTION), Q(label=Label.ATTRIBUTION, source_kind=SourceKind.MEDIA)),
    "analysis_share": (Q(label__in=COUNTED_LABELS), Q(label=Label.ANALYSIS)),
    # Method version 2: reporting sentences in corroborated claims (the run's claims record).
    "corroboration_rate": (
        Q(label__in=[Label.CLAIM, Label.ATTRIBUTION]),
        Q(
            Exists(
                RunClaim.objects.filter(
                    run_id=OuterRef("run_id"), sentence_id=OuterRef("sentence_id"), status=CORROBORATED
                )
            )
        ),
    ),
}
EVIDENCE_INDICATORS = tuple(_EVIDENCE)


def evidence_sentences(run_id: int, outlet_id: int, indicator: str, part: str = "x") -> QuerySet:
    """The outlet's sentences counted in the numerator ("x") or denominator ("n") of `indicator`
    in run `run_id`: its record's rows with the sentence, article and gold source, in article
    order. Their number is the run's figure. Raises KeyError for an unknown indicator or part."""
    in_n, in_x = _EVIDENCE[indicator]
    condition = {"n": in_n, "x": in_x}[part]
    return (
        run_sentences(run_id)
        .filter(outlet_id=outlet_id)
        .filter(condition)
        .select_related("sentence", "article", "source")
        .order_by("article__published", "article_id", "sentence__position")
    )


def source_attributions(run_id: int, source_id: int) -> QuerySet:
    """Sentences whose gold source is `source_id` in run `run_id`, with sentence, article and
    outlet, newest article first."""
    return (
        run_sentences(run_id)
        .filter(source_id=source_id)
        .select_related("sentence", "article__outlet")
        .order_by("-article__published", "article_id", "sentence__position")
    )


def source_outlet_counts(run_id: int, source_id: int) -> list[dict]:
    """Per outlet: sentences whose gold source is `source_id` in run `run_id` (one GROUP BY);
    these are the outlets' "most-cited sources" figures."""
    return list(
        run_sentences(run_id)
        .filter(source_id=source_id)
        .values("outlet__domain")
        .annotate(sentences=Count("sentence"))
        .order_by("-sentences", "outlet__domain")
    )


# --- What changed between two runs (before publishing) -----------------------------------------


@dataclass
class RunChanges:
    """Sentences added to, removed from or changed (gold label or source) in a run's record
    compared with an earlier run's, a sample of the changed ones, and score deltas per outlet."""

    added: int
    removed: int
    changed: int
    examples: list[dict]
    outlets: list[dict]


def _comparable(queryset: QuerySet) -> QuerySet:
    return queryset.annotate(
        label_key=Coalesce("label", Value(""), output_field=CharField()),
        source_key=Coalesce("source_id", Value(0), output_field=IntegerField()),
    )


def run_changes(run_id: int, previous_id: int | None, *, examples: int = 50) -> RunChanges:
    """Compare run `run_id` with run `previous_id` (None: with nothing, every sentence is new).

    Counts come from three queries over the two records (anti-joins on the (run, sentence) key),
    the sample from one more (at most `examples` rows, each with its old and new label and the
    sentence's `number` as pages show it), the per-outlet deltas from the two runs' snapshots
    (the difference of the two scores rounded to one decimal, as shown).
    """
    current = _comparable(run_sentences(run_id))
    previous = _comparable(run_sentences(previous_id or 0))  # run 0 does not exist: nothing before
    same_sentence = previous.filter(outlet_id=OuterRef("outlet_id"), sentence_id=OuterRef("sentence_id"))
    differing = same_sentence.exclude(label_key=OuterRef("label_key"), source_key=OuterRef("source_key"))
    added = current.filter(~Exists(same_sentence))
    changed = current.filter(Exists(differing))
    removed = previous.filter(
        ~Exists(current.filter(outlet_id=OuterRef("outlet_id"), sentence_id=OuterRef("sentence_id")))
    )
    old_label = Subquery(same_sentence.values("label")[:1])
    old_source = Subquery(same_sentence.values("source__name")[:1])
    sample = (
        current.filter(Q(Exists(differing)) | ~Q(Exists(same_sentence)))
        .annotate(old_label=old_label, old_source=old_source, number=sentence_number("sentence__"))
        .select_related("sentence", "article__outlet", "source")
        .order_by("outlet_id", "article_id", "sentence__position")[:examples]
    )
    snapshots: dict[int, dict] = defaultdict(dict)
    rows = ScoreSnapshot.objects.filter(run_id__in=[run_id, previous_id or 0]).select_related("outlet")
    for snapshot in rows.order_by("outlet__domain"):
        snapshots[snapshot.outlet_id]["domain"] = snapshot.outlet.domain
        snapshots[snapshot.outlet_id]["new" if snapshot.run_id == run_id else "old"] = snapshot
    outlets = []
    for pair in snapshots.values():
        new, old = pair.get("new"), pair.get("old")
        new_score = None if new is None or new.insufficient_evidence else new.score
        old_score = None if old is None or old.insufficient_evidence else old.score
        outlets.append(
            {
                "domain": pair["domain"],
                "old": old_score,
                "new": new_score,
                # between the scores as the page shows them (one decimal): before + change = now
                "delta": None if new_score is None or old_score is None else round(new_score, 1) - round(old_score, 1),
                "old_sentences": old.sentence_count if old else None,
                "new_sentences": new.sentence_count if new else None,
            }
        )
    return RunChanges(
        added=added.count(),
        removed=removed.count(),
        changed=changed.count(),
        examples=list(sample),
        outlets=outlets,
    )


# --- Corpus ---------------------------------------------------------------------------------------


def corpus_counts() -> dict[str, int]:
    """Outlets, articles, reviewable sentences, counting marks and reviewers with counting marks."""
    marks = Annotation.objects.counting().order_by()
    return {
        "outlets": Outlet.objects.count(),
        "articles": Article.objects.count(),
        "sentences": Sentence.objects.filter(reviewable=True).count(),
        "marks": marks.count(),
        "reviewers": marks.values("reviewer").distinct().count(),
    }


def unassigned_articles() -> QuerySet:
    """Articles nobody has been assigned yet."""
    return Article.objects.filter(assignments__isnull=True)
