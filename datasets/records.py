"""Export records: one dict per exported sentence, built from the database in a few queries.

First one grouped query plans the export: the articles the SQL-side filters keep (without
`include_unsettled`, only those with a counted mark or an adjudication), in id order, with their
reviewable sentence counts. Then, per batch of whole articles (about BATCH_SIZE sentences), three
queries over the batch's article ids, each in (article id, position) order, merged here in one pass:

- the articles' reviewable sentences, each with its adjudication (a LEFT JOIN);
- the marks that count (`counted_marks`: THE place that says which marks an export uses) of
  those sentences, with the reviewer's username and the timestamp already as text;
- the articles (outlet, topic, title, text).

The registry of sources (small) is read once. The querysets are built with the ORM and run as their
compiled SQL, so Django's per-row converters are skipped. Each query uses an index range and
sorts one batch; nothing stays open between batches (no long transaction, no held cursor), so a
job's progress written between batches is seen at once. Gold labels and gold sources come from
`annotate.gold` (one rule), cached per pattern of marks; the split is computed once per article.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Callable, Iterator
from functools import lru_cache
from operator import itemgetter
from queue import Full, Queue
from typing import Any, NamedTuple

from django.contrib.auth import get_user_model
from django.db import connection, connections
from django.db.models import BooleanField, CharField, Count, Exists, F, Func, OuterRef, Q, QuerySet, Subquery
from django.utils.dateparse import parse_date, parse_datetime

from annotate.codebook import Label
from annotate.compiled import prepared_cursor
from annotate.gold import resolve_gold_label, resolve_gold_source
from annotate.models import Adjudication, Annotation, Article, Sentence, Source
from claims.queries import groups_of_sentences

from .options import ExportOptions
from .splits import split_for

BATCH_SIZE = 10_000  # sentences per batch of whole articles (three queries each)
MAX_ARTICLES = 2_000  # articles per batch: the ids are query parameters
MAX_BOUND_PARAMETERS = 65_535  # PostgreSQL's limit for one statement bound on the server
MAX_PROBED_ARTICLES = 20_000  # kept articles `reviewers_read` passes as a list (SQLite takes 32,766 parameters)
_END = (math.inf, math.inf)  # after the last mark of a batch: the merge never runs past it
_USERNAME = itemgetter(2)  # of a mark row


class Row(NamedTuple):
    """An exported record with what other formats need besides it (the article's title and text)
    and what the card's tally counts (the labels of the record's marks, in its order)."""

    record: dict
    article_title: str
    article_text: str
    first_of_article: bool
    labels: tuple[str, ...]


# --- What is selected -------------------------------------------------------------------------


def _article_filters(options: ExportOptions, prefix: str = "") -> Q:
    """The SQL-side filters on articles (on a related model's rows with `prefix`, e.g. "sentence__article__")."""
    conditions: dict = {}
    if options.outlets:
        conditions["outlet__domain__in"] = options.outlets
    if options.article_ids:
        conditions["pk__in"] = options.article_ids
    if options.topics:
        conditions["topic__name__in"] = options.topics
    if options.date_from:
        conditions["published__gte"] = options.date_from
    if options.date_to:
        conditions["published__lte"] = options.date_to
    return Q(**{prefix + name: value for name, value in conditions.items()})


def counted_marks(options: ExportOptions) -> QuerySet:
    """The marks an export counts: in gold labels, agreement, the `annotations` of each record and
    the card. Counting marks only (`AnnotationQuerySet.counting`, docs/scoring.md section 1:
    in-progress work is in no dataset); with `reviewers`, only theirs (adjudications still win)."""
    marks = Annotation.objects.counting()
    if options.reviewers:
        marks = marks.filter(reviewer__username__in=options.reviewers)
    return marks


class _Probe(Exists):
    """EXISTS run once per outer row through its indexes. PostgreSQL would otherwise turn an EXISTS
    under OR into one hashed pass over the whole subquery (every counted mark of the database,
    3x the time at 100,000 sentences); an OFFSET keeps the subquery as it is (the subquery
    already ends in LIMIT 1, so this is valid SQL on SQLite too)."""

    template = "EXISTS(%(subquery)s OFFSET 0)"


def reviewers_read(options: ExportOptions) -> set[str]:
    """The usernames of the reviewers with a counted mark (`counted_marks`) on a reviewable
    sentence of an article the filters keep: the reviewers whose marks the export reads, so every
    reviewer its records can show (the CSV's columns, wanted before its first row). More than
    those when the filters applied to records here in Python (gold label, label source, side,
    agreement) drop every sentence of a reviewer, or when marks change while the export reads
    (its reads are not one transaction); fewer only in that second case.

    Each user is probed on their own, never a pass over every mark, and only users with a mark
    (one look-up in the marks' (reviewer, created) index). Without article filters a user's marks
    are walked in that index until the first counted one on a reviewable sentence (in practice
    the first). With article filters the kept articles' ids are read first (one query) and the
    probe takes them as a list, so that the database sees how few they are and walks either their
    sentences or the user's marks, whichever is less: through the filters' joins PostgreSQL
    misjudged a topic of 1 to 200 articles and walked every mark of the users without one there
    (90-220 ms at 200,000 marks, against 4-22 ms with the ids). Above MAX_PROBED_ARTICLES kept
    articles the probe takes the filters instead (a long list of parameters; so large a
    selection holds most users' marks)."""
    users = get_user_model().objects.all()
    if options.reviewers:
        users = users.filter(username__in=options.reviewers)
    selected = counted_marks(options).filter(reviewer=OuterRef("pk"), sentence__reviewable=True)
    if _article_filters(options):
        kept = Article.objects.filter(_article_filters(options)).values_list("pk", flat=True)
        ids = list(kept[: MAX_PROBED_ARTICLES + 1])
        if not ids:
            return set()
        if len(ids) <= MAX_PROBED_ARTICLES:
            selected = selected.filter(_Among("sentence__article_id", ids))
        else:
            selected = selected.filter(_article_filters(options, prefix="sentence__article__"))
        any_mark = Annotation.objects.filter(reviewer=OuterRef("pk")).order_by("created").values("pk")[:1]
        users = users.annotate(any_mark=Subquery(any_mark)).filter(any_mark__isnull=False).filter(_Probe(selected))
    else:
        # Ordered, so that PostgreSQL walks the user's marks in the index (a plain EXISTS with
        # LIMIT 1 was planned as a scan of the whole table per user, all of it for a user without marks).
        first = selected.order_by("created").values("pk")[:1]
        users = users.annotate(first=Subquery(first)).filter(first__isnull=False)
    return set(users.values_list("username", flat=True))


def _plan(options: ExportOptions) -> QuerySet:
    """(article id, reviewable sentences) of every article the filters keep, in id order; without
    `include_unsettled`, only articles with a counted mark or an adjudication. One query over the
    articles, each tested and counted through the (article, position) index (correlated, so the
    database never holds every mark at once); whether each sentence is settled is seen in its
    batch (an unsettled one is dropped there unless `include_unsettled`). Articles without a
    reviewable sentence come with None and are skipped."""
    articles = Article.objects.filter(_article_filters(options))
    if not options.include_unsettled:
        on_article = {"sentence__article": OuterRef("pk"), "sentence__reviewable": True}
        marked = counted_marks(options).filter(**on_article)
        adjudicated = Adjudication.objects.filter(**on_article)
        articles = articles.filter(Q(_Probe(marked)) | Q(_Probe(adjudicated)))
    reviewable = (
        Sentence.objects.filter(article=OuterRef("pk"), reviewable=True)
        .order_by()
        .values("article")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return articles.annotate(reviewable=Subquery(reviewable)).order_by("pk").values_list("pk", "reviewable")


class IsoTimestamp(Func):
    """A timestamp as the text `datetime.isoformat()` gives for it in UTC: microseconds only when
    not zero, "+00:00" at the end. PostgreSQL formats it; SQLite returns the stored text (an
    expression, so the driver does not parse it) and `_stored_timestamp_text` finishes it."""

    output_field = CharField()

    def as_sql(self, compiler, connection, function=None, template=None, arg_joiner=None, **extra_context):
        sql, params = compiler.compile(self.source_expressions[0])
        return f"(({sql}) || '')", params

    def as_postgresql(self, compiler, connection, **extra_context):
        sql, params = compiler.compile(self.source_expressions[0])
        utc = f"(({sql}) AT TIME ZONE 'UTC')"
        return (
            f"to_char({utc}, CASE WHEN date_trunc('second', {utc}) = {utc} "
            'THEN \'YYYY-MM-DD"T"HH24:MI:SS"+00:00"\' ELSE \'YYYY-MM-DD"T"HH24:MI:SS.US"+00:00"\' END)',
            [*params, *params, *params],
        )


class _Among(Func):
    """`column IN (ids)` as a condition, with the ids as ONE parameter on PostgreSQL (`= ANY(…)`,
    an array): a batch's 400 or so article ids otherwise cost the ORM a conversion each and
    psycopg a placeholder each to rewrite, per query, on the read-ahead thread (the critical path
    of an export, sharing the GIL with the records being built), and the SQL text of a batch
    changed with its number of articles. The array goes as its text (`{1,2,3}`): psycopg's dumper
    of a list checks the type of every item, 3 ms a query. Elsewhere a plain IN list."""

    output_field = BooleanField()
    conditional = True

    def __init__(self, column: str, ids: list[int]):
        super().__init__(F(column))
        self.ids = ids

    def as_sql(self, compiler, connection, function=None, template=None, arg_joiner=None, **extra_context):
        sql, params = compiler.compile(self.source_expressions[0])
        return f"{sql} IN ({', '.join(['%s'] * len(self.ids))})", [*params, *self.ids]

    def as_postgresql(self, compiler, connection, **extra_context):
        sql, params = compiler.compile(self.source_expressions[0])
        return f"{sql} = ANY(%s::bigint[])", [*params, "{" + ",".join(map(str, self.ids)) + "}"]


def _sentence_rows(article_ids: list[int]) -> QuerySet:
    """The reviewable sentences of these articles (the plan applied the other filters) with their
    adjudication, in export order."""
    return (
        Sentence.objects.filter(_Among("article_id", article_ids), reviewable=True)
        .order_by("article_id", "position")
        .values_list(
            "pk",
            "article_id",
            "position",
            "start",
            "end",
            "text",
            "adjudication__label",
            "adjudication__source_id",
            "adjudication__lead__username",
            "adjudication__note",
        )
    )


def _mark_rows(options: ExportOptions, article_ids: list[int], sentence_ids: tuple[int, int]) -> QuerySet:
    """The counted marks of those sentences, in the same order (by sentence; `iter_rows` orders
    each sentence's marks by username). `sentence_ids` (the batch's lowest and highest sentence
    id) adds nothing to the selection but lets the database read a range of the marks' sentence
    index instead of every mark. The created text is an annotation, so it comes last in the
    compiled SELECT and last here."""
    return (
        counted_marks(options)
        .filter(_Among("sentence__article_id", article_ids), sentence__reviewable=True)
        .filter(sentence_id__gte=sentence_ids[0], sentence_id__lte=sentence_ids[1])
        .order_by("sentence__article_id", "sentence__position")
        .annotate(created_text=IsoTimestamp("created"))
        .values_list(
            "sentence__article_id",
            "sentence__position",
            "reviewer__username",
            "label",
            "source_id",
            "source_start",
            "source_end",
            "cue_start",
            "cue_end",
            "created_text",
        )
    )


def _article_rows(article_ids: list[int]) -> QuerySet:
    return (
        Article.objects.filter(_Among("pk", article_ids))
        .order_by("pk")
        .values_list("pk", "outlet__domain", "outlet__name", "url", "published", "title", "topic__name", "text")
    )


# --- Reading ----------------------------------------------------------------------------------


def _fetch(queryset: QuerySet) -> list[tuple]:
    """The rows of `queryset`'s compiled SQL as the database driver returns them (no Django
    converters: a mark's timestamp comes as text, see IsoTimestamp)."""
    sql, params = queryset.query.get_compiler(using=queryset.db).as_sql()
    # Parameters bound on the server and results in the binary format (on PostgreSQL): Django's
    # own cursor writes every id of a batch into the SQL text on the client, and parsing text
    # results took more of the read-ahead thread than using the rows. The server takes at most
    # 65,535 parameters (a plan of many explicit `article_ids` has more): those bind on the client.
    few = len(params) <= MAX_BOUND_PARAMETERS
    with prepared_cursor(connection, binary=True) if few else connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def _reads(options: ExportOptions, size: int, *, own_connection: bool = False) -> Iterator:
    """The number of sentences the export reads, then (sentences, their marks, their articles by
    id) per batch of whole articles holding about `size` sentences (an article larger than that is
    a batch of its own), in export order: the plan, then three queries per batch.

    `own_connection`: this runs on a connection of its own (the read-ahead thread's, closed at its
    end), whose session settings it may change and which it may put in pipeline mode."""
    if own_connection and connection.vendor == "postgresql":
        # - jit: the plan's estimated cost passes jit_above_cost from about 100,000 sentences, and
        #   PostgreSQL compiled it to machine code, 40-80 ms for a query that runs in 60 ms (more
        #   with the optimizing JIT further up), before the first batch.
        # - plan_cache_mode: a batch's queries have the same text from batch to batch, so psycopg
        #   prepares them after 5 runs, and PostgreSQL then used a generic plan for the marks (it
        #   estimates a handful of rows for an array of ids: a nested loop probing the reviewer's
        #   assignment and user once per mark, 1.5 times the time of a plan made for the ids).
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT set_config('jit', 'off', false), set_config('plan_cache_mode', 'force_custom_plan', false)"
            )
    plan = [(article_id, sentences) for article_id, sentences in _fetch(_plan(options)) if sentences]
    yield sum(sentences for _, sentences in plan)
    batches = _batches(plan, size)
    if own_connection and connection.vendor == "postgresql":
        yield from _pipelined(options, batches)
        return
    for batch in batches:
        rows = _fetch(_sentence_rows(batch))
        ids = [row[0] for row in rows]
        marks = _fetch(_mark_rows(options, batch, (min(ids), max(ids)))) if ids else []
        yield rows, marks, {row[0]: row for row in _fetch(_article_rows(batch))}


def _batches(plan: list[tuple[int, int]], size: int) -> Iterator[list[int]]:
    """The plan's article ids in batches of whole articles holding about `size` sentences."""
    batch: list[int] = []
    held = 0
    for index, (article_id, sentences) in enumerate(plan):
        batch.append(article_id)
        held += sentences
        if held >= size or len(batch) >= MAX_ARTICLES or index == len(plan) - 1:
            yield batch
            batch, held = [], 0


def _pipelined(options: ExportOptions, batches: Iterator[list[int]]) -> Iterator:
    """`_reads`' loop on PostgreSQL, its queries sent ahead in a pipeline (psycopg's pipeline mode)
    so that the database computes the next query while this thread parses rows: a batch's marks
    query goes as soon as its sentences are read (it takes their range of ids), and the next
    batch's sentences and articles with it, before the batch's rows are parsed and handed over.
    Read one after the other, the database idled while Python parsed, and Python waited while the
    database worked (this thread is the export's critical path). `pipeline.sync()` waits for every
    result sent so far and ends the implicit transaction they ran in: none outlives a batch."""

    def send(queryset: QuerySet):
        sql, params = queryset.query.get_compiler(using=queryset.db).as_sql()
        cursor = prepared_cursor(connection, binary=True)
        cursor.execute(sql, params)  # (in the pipeline: sent, not waited for)
        return cursor

    def rows_of(cursor) -> list[tuple]:
        with cursor:
            return cursor.fetchall()

    def send_marks(batch: list[int], rows: list[tuple]):
        ids = [row[0] for row in rows]
        return send(_mark_rows(options, batch, (min(ids), max(ids)))) if ids else None

    batch = next(batches, None)
    if batch is None:
        return
    connection.ensure_connection()
    with connection.connection.pipeline() as pipeline:
        sentences, articles = send(_sentence_rows(batch)), send(_article_rows(batch))
        pipeline.sync()
        rows = rows_of(sentences)
        marks = send_marks(batch, rows)
        while batch is not None:
            following = next(batches, None)
            if following is not None:
                sentences, following_articles = send(_sentence_rows(following)), send(_article_rows(following))
            pipeline.sync()  # this batch's marks (and the next batch's sentences and articles) are in
            mark_rows = rows_of(marks) if marks is not None else []
            article_rows = rows_of(articles)
            current = rows
            if following is not None:
                rows = rows_of(sentences)
                marks = send_marks(following, rows)  # computed while this batch is parsed and handed over
                articles = following_articles
            yield current, mark_rows, {row[0]: row for row in article_rows}
            batch = following


def _read_ahead(items: Iterator) -> Iterator:
    """`items`, produced one step ahead in a thread of their own, so that the database works on
    the next batch while this thread builds and writes the current one. The thread has its own
    database connection (closed at its end); an exception there is raised here; leaving early
    stops it."""
    queue: Queue = Queue(maxsize=1)
    stop = threading.Event()

    def put(entry) -> None:
        while not stop.is_set():
            try:
                queue.put(entry, timeout=0.1)
                return
            except Full:
                continue

    def work() -> None:
        try:
            for item in items:
                put((True, item))
                if stop.is_set():
                    return
            put((False, None))
        except BaseException as exc:  # handed to the consumer, which raises it
            put((False, exc))
        finally:
            close = getattr(items, "close", None)
            if close is not None:
                close()  # (a generator left early ends its work, e.g. a pipeline, on this thread)
            connections.close_all()  # this thread's connections only

    thread = threading.Thread(target=work, name="export-reads", daemon=True)
    thread.start()
    try:
        while True:
            more, item = queue.get()
            if more:
                yield item
            elif item is None:
                return
            else:
                raise item
    finally:
        stop.set()
        thread.join()


def _stored_timestamp_text(value: str) -> str:
    """A timestamp stored as text (SQLite) as `isoformat()` text in UTC (see IsoTimestamp)."""
    # Django stores a UTC datetime on SQLite as "YYYY-MM-DD HH:MM:SS[.ffffff]" (maybe with "+00:00").
    plain = value[:-6] if value.endswith("+00:00") else value
    if plain[10:11] == " " and (len(plain) == 19 or (len(plain) == 26 and plain[19] == "." and plain[20:] != "000000")):
        return f"{plain[:10]}T{plain[11:]}+00:00"
    # Anything else: what Django's own converter makes of it.
    ops: Any = connection.ops  # SQLite's operations (the only backend that stores text) have the converter
    converted = ops.convert_datetimefield_value(parse_datetime(value), None, connection)
    return converted.isoformat()


def _date_text(value) -> str | None:
    if value is None:
        return None
    if isinstance(value, str):
        value = parse_date(value)
    return value.isoformat()


def _sources() -> dict[int | None, dict | None]:
    """The registry as export dicts by id (None -> None, no source), read once; each source's dict
    is shared by its records."""
    rows = Source.objects.values_list("pk", "name", "kind", "side__name", "side__topic__name")
    known: dict[int | None, dict | None] = {
        pk: {"name": name, "kind": kind, "side": side, "side_topic": topic} for pk, name, kind, side, topic in rows
    }
    known[None] = None
    return known


@lru_cache(maxsize=4096)
def _label_facts(labels: tuple[str, ...], adjudicated: str | None) -> tuple[str | None, str, float | None]:
    """(gold label, how it was reached, agreement) of a sentence whose marks have `labels`."""
    gold = resolve_gold_label(labels, adjudicated)
    agreement = None
    if gold.label is not None and labels:
        agreement = round(sum(label == gold.label for label in labels) / len(labels), 4)
    return gold.label, gold.label_source, agreement


@lru_cache(maxsize=4096)
def _gold_source(source_ids: tuple[int | None, ...], adjudicated: int | None) -> int | None:
    return resolve_gold_source(source_ids, adjudicated).source_id


# --- The records ------------------------------------------------------------------------------


def iter_rows(
    options: ExportOptions,
    *,
    batch_size: int | None = None,
    on_total: Callable[[int], object] | None = None,
    on_chunk: Callable[[int], object] | None = None,
) -> Iterator[Row]:
    """Yield the rows `options` keep, in (article id, position) order.

    `on_total(n)` receives the number of sentences the export reads (an upper bound of the rows),
    once, before the first row; `on_chunk(n)` the number read so far, after each batch.
    """
    sources = _sources()
    seed, ratios = options.seed, options.ratios
    keeps_label, sides, min_agreement = options.keeps_label, options.sides, options.min_agreement
    timestamp = str if connection.vendor == "postgresql" else _stored_timestamp_text
    article_id = last_article = None
    article: dict[str, Any] = {}  # the current article's fields, set with its first sentence
    read = 0
    if connection.in_atomic_block:
        # Inside a transaction (a caller's atomic block) a second connection would not see its
        # uncommitted rows: read here.
        reads = _reads(options, batch_size or BATCH_SIZE)
    else:
        # Outside one a second connection sees the same data: read ahead there.
        reads = _read_ahead(_reads(options, batch_size or BATCH_SIZE, own_connection=True))
    total = next(reads)
    if on_total:
        on_total(total)
    for sentences, marks, articles in reads:
        # One query per batch, here (not in the read-ahead thread): sentence id -> claim group id.
        claim_groups = groups_of_sentences([row[0] for row in sentences]) if options.claim_groups else None
        marks.append(_END)
        m = 0
        mark = marks[0]
        for pk, sentence_article, position, start, end, text, adj_label, adj_source, adj_lead, adj_note in sentences:
            if sentence_article != article_id:
                article_id = sentence_article
                values = articles[article_id]
                article = {
                    "outlet": values[1],
                    "outlet_name": values[2],
                    "url": values[3],
                    "published": _date_text(values[4]),
                    "title": values[5],
                    "topic": values[6],
                    "text": values[7],
                    "split": split_for(article_id, seed=seed, ratios=ratios),
                }
            # Marks come in the same order. One whose sentence is not here (marked between the two
            # queries) is passed over: the export shows the sentences as they were read.
            while mark[0] < sentence_article or (mark[0] == sentence_article and mark[1] < position):
                m += 1
                mark = marks[m]
            own = []
            while mark[0] == sentence_article and mark[1] == position:
                own.append(mark)
                m += 1
                mark = marks[m]
            if len(own) > 1:
                own.sort(key=_USERNAME)  # code point order, not the database's collation
            labels = tuple([mark[3] for mark in own])
            label, label_source, agreement = _label_facts(labels, adj_label)
            if not keeps_label(label, label_source):
                continue
            gold_source = None
            if label == Label.ATTRIBUTION:
                attributed = tuple([mark[4] for mark in own if mark[3] == Label.ATTRIBUTION])
                gold_source = sources[_gold_source(attributed, adj_source)]
            if sides and (gold_source is None or gold_source["side"] not in sides):
                continue
            if min_agreement is not None and (agreement is None or agreement < min_agreement):
                continue
            first = article_id != last_article
            last_article = article_id
            record = {
                "sentence_id": pk,
                "article_id": article_id,
                "outlet": article["outlet"],
                "url": article["url"],
                "published": article["published"],
                "position": position,
                "text": text,
                "start": start,
                "end": end,
                "label": label,
                "label_source": label_source,
                "source": gold_source,
                "annotations": [
                    {
                        "reviewer": mark[2],
                        "label": mark[3],
                        "source": sources[mark[4]],
                        "source_span": None if mark[5] is None else [mark[5], mark[6]],
                        "cue_span": None if mark[7] is None else [mark[7], mark[8]],
                        "created": timestamp(mark[9]),
                    }
                    for mark in own
                ],
                "agreement": agreement,
                "split": article["split"],
                "adjudication": None
                if adj_label is None
                else {"label": adj_label, "source": sources[adj_source], "lead": adj_lead, "note": adj_note},
                "article": None
                if not first
                else {
                    "title": article["title"],
                    "outlet_name": article["outlet_name"],
                    "topic": article["topic"],
                    "text": article["text"],
                },
            }
            if claim_groups is not None:
                record["claim_group"] = claim_groups.get(pk)
            yield Row(record, article["title"], article["text"], first, labels)
        read += len(sentences)
        if on_chunk:
            on_chunk(read)
