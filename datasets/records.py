"""Export records, streamed: one dict per sentence (the DESIGN.md record), read in chunks.

Sentences come through one server-side cursor (`.iterator(chunk_size=...)`) in (article,
position) order. For each chunk of sentences one query each fetches their marks, their
adjudications, the articles they belong to and any sources not seen yet, so the number of
queries grows with chunks, not sentences, and memory holds one chunk at a time (plus the
registry of sources, which is small).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from itertools import islice

from django.db.models import Exists, OuterRef, Q

from annotate.codebook import Label
from annotate.gold import resolve_gold_label, resolve_gold_source
from annotate.models import Adjudication, Annotation, Article, Sentence, Source

from .options import ExportOptions
from .splits import split_for

CHUNK_SIZE = 2000


@dataclass(frozen=True)
class Row:
    """An exported record with what other formats need besides it (the article's title and text)."""

    record: dict
    article_title: str
    article_text: str
    first_of_article: bool


def _iso(value) -> str | None:
    return value.isoformat() if value is not None else None


def candidate_sentences(options: ExportOptions):
    """Reviewable sentences the SQL-side filters keep, in export order (values rows)."""
    sentences = Sentence.objects.filter(reviewable=True)
    if options.outlets:
        sentences = sentences.filter(article__outlet__domain__in=options.outlets)
    if options.article_ids:
        sentences = sentences.filter(article_id__in=options.article_ids)
    if options.topics:
        sentences = sentences.filter(article__topic__name__in=options.topics)
    if options.date_from:
        sentences = sentences.filter(article__published__gte=options.date_from)
    if options.date_to:
        sentences = sentences.filter(article__published__lte=options.date_to)
    if not options.include_unsettled:
        # Without marks or an adjudication a sentence cannot have a gold label: skip it in SQL.
        marks = Annotation.objects.counting().filter(sentence=OuterRef("pk"))
        if options.reviewers:
            marks = marks.filter(reviewer__username__in=options.reviewers)
        sentences = sentences.filter(Q(Exists(marks)) | Q(Exists(Adjudication.objects.filter(sentence=OuterRef("pk")))))
    return sentences.order_by("article_id", "position")


class _Sources:
    """Registry entries as export dicts, loaded for the ids a chunk needs and kept."""

    def __init__(self) -> None:
        self.known: dict[int, dict] = {}

    def load(self, ids) -> None:
        missing = {pk for pk in ids if pk is not None and pk not in self.known}
        if not missing:
            return
        rows = Source.objects.filter(pk__in=missing).values_list(
            "pk", "name", "kind", "side__name", "side__topic__name"
        )
        for pk, name, kind, side, side_topic in rows:
            self.known[pk] = {"name": name, "kind": kind, "side": side, "side_topic": side_topic}

    def get(self, pk: int | None) -> dict | None:
        return None if pk is None else self.known[pk]


def _batches(iterable, size: int) -> Iterator[list]:
    iterator = iter(iterable)
    while batch := list(islice(iterator, size)):
        yield batch


def _span(start, end) -> list[int] | None:
    return None if start is None else [start, end]


def iter_rows(
    options: ExportOptions, *, chunk_size: int = CHUNK_SIZE, on_chunk: Callable[[int], None] | None = None
) -> Iterator[Row]:
    """Yield the rows `options` keep, in (article id, position) order.

    `on_chunk(n)` is called after each chunk with the number of candidate sentences read so far.
    """
    sources = _Sources()
    rows = candidate_sentences(options).values_list("pk", "article_id", "position", "start", "end", "text")
    articles: dict[int, dict] = {}
    last_article = None
    read = 0
    for chunk in _batches(rows.iterator(chunk_size=chunk_size), chunk_size):
        ids = [row[0] for row in chunk]
        marks: dict[int, list] = {}
        # Counting marks only (docs/scoring.md section 1): in-progress work is not part of a dataset.
        annotations = Annotation.objects.counting().filter(sentence_id__in=ids)
        if options.reviewers:
            annotations = annotations.filter(reviewer__username__in=options.reviewers)
        for mark in annotations.values_list(
            "sentence_id",
            "reviewer__username",
            "label",
            "source_id",
            "source_start",
            "source_end",
            "cue_start",
            "cue_end",
            "created",
        ):
            marks.setdefault(mark[0], []).append(mark)
        adjudications = {
            row[0]: row
            for row in Adjudication.objects.filter(sentence_id__in=ids).values_list(
                "sentence_id", "label", "source_id", "lead__username", "note"
            )
        }
        # Sorted by article, so only the previous chunk's last article can continue here.
        articles = {pk: info for pk, info in articles.items() if pk == chunk[0][1]}
        needed = {row[1] for row in chunk} - articles.keys()
        for pk, domain, outlet_name, url, published, title, topic, text in Article.objects.filter(
            pk__in=needed
        ).values_list("pk", "outlet__domain", "outlet__name", "url", "published", "title", "topic__name", "text"):
            articles[pk] = {
                "outlet": domain,
                "outlet_name": outlet_name,
                "url": url,
                "published": _iso(published),
                "title": title,
                "topic": topic,
                "text": text,
            }
        sources.load([m[3] for group in marks.values() for m in group] + [a[2] for a in adjudications.values()])

        for pk, article_id, position, start, end, text in chunk:
            article = articles[article_id]
            row = _build(
                options,
                sources,
                pk,
                article_id,
                position,
                start,
                end,
                text,
                article,
                sorted(marks.get(pk, ()), key=lambda m: m[1]),
                adjudications.get(pk),
                first=article_id != last_article,
            )
            if row is not None:
                last_article = article_id
                yield row
        read += len(chunk)
        if on_chunk:
            on_chunk(read)


def _build(options, sources, pk, article_id, position, start, end, text, article, marks, adjudication, *, first):
    gold = resolve_gold_label([m[2] for m in marks], adjudication[1] if adjudication else None)
    if not options.keeps_label(gold.label, gold.label_source):
        return None
    gold_source = None
    if gold.label == Label.ATTRIBUTION:
        resolved = resolve_gold_source(
            [m[3] for m in marks if m[2] == Label.ATTRIBUTION], adjudication[2] if adjudication else None
        )
        gold_source = sources.get(resolved.source_id)
    if options.sides and (gold_source is None or gold_source["side"] not in options.sides):
        return None
    agreement = None
    if gold.label is not None and marks:
        agreement = round(sum(m[2] == gold.label for m in marks) / len(marks), 4)
    if options.min_agreement is not None and (agreement is None or agreement < options.min_agreement):
        return None
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
        "label": gold.label,
        "label_source": gold.label_source,
        "source": gold_source,
        "annotations": [
            {
                "reviewer": m[1],
                "label": m[2],
                "source": sources.get(m[3]),
                "source_span": _span(m[4], m[5]),
                "cue_span": _span(m[6], m[7]),
                "created": _iso(m[8]),
            }
            for m in marks
        ],
        "agreement": agreement,
        "split": split_for(article_id, seed=options.seed, ratios=options.ratios),
        "adjudication": None
        if adjudication is None
        else {
            "label": adjudication[1],
            "source": sources.get(adjudication[2]),
            "lead": adjudication[3],
            "note": adjudication[4],
        },
        "article": None
        if not first
        else {
            "title": article["title"],
            "outlet_name": article["outlet_name"],
            "topic": article["topic"],
            "text": article["text"],
        },
    }
    return Row(record=record, article_title=article["title"], article_text=article["text"], first_of_article=first)


def count_candidates(options: ExportOptions) -> int:
    """Upper bound of the rows an export writes (SQL-side filters only): the progress total."""
    return candidate_sentences(options).count()
