"""Load a JSONL export back into a database (the round trip of `export --format jsonl`).

Articles and sentences keep their ids (so a re-export is byte-identical): the target database
must not hold those ids already, which in practice means an empty database. Outlets, topics,
sides, sources and users are matched by name and created when missing; imported users get an
unusable password and a Reviewer row marked external with origin "import". Marks are stored with
origin "import", their original creation time and one `create` revision each. The whole file is
one transaction: a bad line writes nothing and the error names the line.
"""

from __future__ import annotations

import datetime
import json
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.management.color import no_style
from django.db import connection, transaction

from annotate import safejson
from annotate.ingest import check_characters, text_hashes
from annotate.models import (
    Adjudication,
    Annotation,
    Article,
    Origin,
    Outlet,
    Sentence,
    Side,
    Source,
    Topic,
)
from annotate.services import create_external_reviewer, import_marks

REQUIRED = (
    "sentence_id",
    "article_id",
    "outlet",
    "url",
    "published",
    "position",
    "text",
    "start",
    "end",
    "annotations",
)


class DatasetImportError(ValueError):
    def __init__(self, message: str, line: int | None = None):
        super().__init__(f"line {line}: {message}" if line else message)


@dataclass
class ImportResult:
    articles: int = 0
    sentences: int = 0
    annotations: int = 0
    adjudications: int = 0
    users_created: list[str] = field(default_factory=list)
    sources_created: int = 0


class _Registry:
    """Find-or-create of the named things, cached for the import."""

    def __init__(self, result: ImportResult):
        self.result = result
        self.users: dict[str, object] = {}
        self.sources: dict[str, Source] = {}
        self.outlets: dict[str, Outlet] = {}
        self.topics: dict[str, Topic] = {}

    def user(self, username: str, line: int):
        if username not in self.users:
            user = get_user_model().objects.filter(username=username).first()
            if user is None:
                try:
                    user = create_external_reviewer(username=username, origin=Origin.IMPORT)
                except ValidationError as exc:
                    raise DatasetImportError(f"reviewer {username!r}: {' '.join(exc.messages)}", line) from None
                self.result.users_created.append(username)
            self.users[username] = user
        return self.users[username]

    def topic(self, name: str | None) -> Topic | None:
        if not name:
            return None
        if name not in self.topics:
            self.topics[name] = Topic.objects.get_or_create(name=name)[0]
        return self.topics[name]

    def outlet(self, domain: str, name: str) -> Outlet:
        if domain not in self.outlets:
            self.outlets[domain] = Outlet.objects.get_or_create(domain=domain, defaults={"name": name})[0]
        return self.outlets[domain]

    def source(self, value: dict | None, line: int) -> Source | None:
        if value is None:
            return None
        key = value["name"].lower()
        if key not in self.sources:
            source = Source.objects.filter(name__iexact=value["name"]).first()
            if source is None:
                side = None
                if value.get("side"):
                    if not value.get("side_topic"):
                        raise DatasetImportError(f"source {value['name']!r} has a side but no side_topic", line)
                    side = Side.objects.get_or_create(topic=self.topic(value["side_topic"]), name=value["side"])[0]
                source = Source(name=value["name"], kind=value["kind"], side=side)
                try:
                    source.full_clean()
                except ValidationError as exc:
                    raise DatasetImportError(f"source {value['name']!r}: {exc.messages}", line)
                source.save()
                self.result.sources_created += 1
            self.sources[key] = source
        return self.sources[key]


def _date(value, line: int):
    try:
        return datetime.date.fromisoformat(value) if value else None
    except (TypeError, ValueError):
        raise DatasetImportError(f"published {value!r} is not a date", line)


def _datetime(value, line: int):
    try:
        return datetime.datetime.fromisoformat(value)
    except (TypeError, ValueError):
        raise DatasetImportError(f"created {value!r} is not a date-time", line)


def import_records(lines: Iterable[str | bytes]) -> ImportResult:
    """Import JSONL export lines; DatasetImportError (nothing written) on the first bad line."""
    result = ImportResult()
    with transaction.atomic():
        registry = _Registry(result)
        articles: dict[int, Article] = {}
        for number, raw in enumerate(lines, start=1):
            if not raw.strip():
                continue
            try:
                record = safejson.loads(raw)
            except json.JSONDecodeError as exc:
                raise DatasetImportError(f"not JSON ({exc.msg})", number)
            if not isinstance(record, dict) or (missing := [k for k in REQUIRED if k not in record]):
                raise DatasetImportError(f"not an export record (missing {', '.join(missing) or 'fields'})", number)
            if problem := _unstorable(record):
                raise DatasetImportError(problem, number)
            article = articles.get(record["article_id"]) or _article(record, registry, number)
            if article.pk not in articles:
                articles[article.pk] = article
                result.articles += 1
            sentence = _sentence(record, article, number)
            result.sentences += 1
            result.annotations += _annotations(record, sentence, registry, number)
            if record.get("adjudication"):
                _adjudication(record["adjudication"], sentence, registry, number)
                result.adjudications += 1
        _reset_sequences()
    return result


def _unstorable(value, name: str = "record") -> str | None:
    """A NUL or an unpaired surrogate anywhere in the record: PostgreSQL refuses them (SQLite would
    store them), so both databases refuse the line (the rule ingest applies)."""
    if isinstance(value, str):
        return check_characters(name, value)
    items = value.items() if isinstance(value, dict) else enumerate(value) if isinstance(value, list) else ()
    for key, item in items:
        if problem := _unstorable(item, f"{name}.{key}" if isinstance(key, str) else f"{name}[{key}]"):
            return problem
    return None


def _article(record: dict, registry: _Registry, line: int) -> Article:
    info = record.get("article")
    if not info:
        raise DatasetImportError(
            f"article {record['article_id']} has no `article` object (it must be on its first line)", line
        )
    if Article.objects.filter(pk=record["article_id"]).exists():
        raise DatasetImportError(
            f"article id {record['article_id']} is already in the database; import_dataset loads into an empty one",
            line,
        )
    text = info["text"]
    article = Article(
        pk=record["article_id"],
        outlet=registry.outlet(record["outlet"], info.get("outlet_name") or ""),
        topic=registry.topic(info.get("topic")),
        title=info["title"],
        url=record["url"] or "",
        published=_date(record["published"], line),
        text=text,
        **text_hashes(text),
    )
    try:
        article.full_clean()
    except ValidationError as exc:
        raise DatasetImportError(f"article {record['article_id']}: {exc.messages}", line)
    article.save(force_insert=True)
    return article


def _sentence(record: dict, article: Article, line: int) -> Sentence:
    start, end, text = record["start"], record["end"], record["text"]
    if article.text[start:end] != text:
        raise DatasetImportError(f"sentence {record['sentence_id']}: text is not article.text[{start}:{end}]", line)
    if Sentence.objects.filter(pk=record["sentence_id"]).exists():
        raise DatasetImportError(f"sentence id {record['sentence_id']} is already in the database", line)
    return Sentence.objects.create(
        pk=record["sentence_id"],
        article=article,
        position=record["position"],
        start=start,
        end=end,
        text=text,
        reviewable=True,
    )


def _annotations(record: dict, sentence: Sentence, registry: _Registry, line: int) -> int:
    marks = []
    for mark in record["annotations"]:
        source_span = tuple(mark["source_span"]) if mark.get("source_span") else None
        cue_span = tuple(mark["cue_span"]) if mark.get("cue_span") else None
        annotation = Annotation(
            sentence=sentence,
            reviewer=registry.user(mark["reviewer"], line),
            label=mark["label"],
            source=registry.source(mark.get("source"), line),
            source_start=source_span[0] if source_span else None,
            source_end=source_span[1] if source_span else None,
            cue_start=cue_span[0] if cue_span else None,
            cue_end=cue_span[1] if cue_span else None,
            origin=Origin.IMPORT,
        )
        marks.append((annotation, _datetime(mark["created"], line)))
    try:
        # The one write path for marks: checked against the codebook, version 1, a `create` revision each.
        return len(import_marks(marks))
    except ValidationError as exc:
        raise DatasetImportError(f"mark: {exc.message_dict}", line) from None


def _adjudication(value: dict, sentence: Sentence, registry: _Registry, line: int) -> None:
    adjudication = Adjudication(
        sentence=sentence,
        label=value["label"],
        source=registry.source(value.get("source"), line),
        lead=registry.user(value["lead"], line),
        note=value.get("note") or "",
    )
    try:
        adjudication.full_clean(validate_unique=False)
    except ValidationError as exc:
        raise DatasetImportError(f"adjudication: {exc.messages}", line)
    adjudication.save()


def _reset_sequences() -> None:
    """Explicit ids leave PostgreSQL's sequences behind; move them past the imported ids."""
    statements = connection.ops.sequence_reset_sql(no_style(), [Article, Sentence])
    if statements:
        with connection.cursor() as cursor:
            for statement in statements:
                cursor.execute(statement)
