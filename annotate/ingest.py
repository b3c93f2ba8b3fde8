"""Article ingestion: read plain text, folders and JSONL, validate, split into sentences, store.

Two passes over the inputs, so that nothing is written unless every input is valid, and memory stays
bounded whatever the size of a corpus:

1. **Check** (`check_inputs`): every record is read (a plain-text file is one article, a JSONL line
   is one) and its fields validated by the same rules on SQLite and PostgreSQL: UTF-8, no NUL
   character, no unpaired surrogate, lengths within the columns', an outlet, a visible text. Every
   bad record is reported with its file and line.
2. **Store** (`store_articles`): the records are read again, split into sentences and stored in
   batches of at most `INGEST_BATCH_ARTICLES` articles, each batch one short transaction of bulk
   inserts (COPY on PostgreSQL), so a write lock is never held for long. An article whose text
   (ignoring differences in whitespace) or URL is already stored is skipped: running an ingest again
   changes nothing.

`INGEST_MAX_BYTES` bounds each article, not each file: a JSONL corpus of any size streams through.
The `ingest` command, the API (one article or a batch) and the demo all come through here.
"""

import datetime
import hashlib
import io
import json
import os
import re
import shutil
import sys
import tempfile
import unicodedata
import zlib
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO, TypedDict, cast
from urllib.parse import urlsplit

from django.conf import settings
from django.db import DatabaseError, IntegrityError, connection, transaction
from django.db.models import Field, Q

from . import safejson
from .bulk import insert_rows
from .domains import normalize_domain
from .models import Article, Outlet, Sentence, Topic
from .sentences import TRAILER, SentenceSpan, split_sentences
from .signals import articles_ingested

JSONL_FIELDS = frozenset({"title", "url", "outlet", "published", "text", "topic"})
TEXT_SUFFIXES = frozenset({".txt", ".text", ".md"})
JSONL_SUFFIXES = frozenset({".jsonl", ".ndjson"})
OVERRIDES = ("outlet", "url", "title", "published", "topic")
# Column limits, read from the models so the rule lives in one place.
# (CharFields: their max_length is set)
TITLE_MAX = cast(int, Article._meta.get_field("title").max_length)
URL_MAX = cast(int, Article._meta.get_field("url").max_length)
TOPIC_MAX = cast(int, Topic._meta.get_field("name").max_length)
DEFAULT_TITLE_MAX = 200
# Characters that show nothing: a text of only these (and whitespace) is empty.
_INVISIBLE = re.compile(r"[\s\u00ad\u180e\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u206f\ufeff]*")
_WHITESPACE = re.compile(r"\s+")
_JSON_ARRAY = re.compile(rb"\A(?:\xef\xbb\xbf)?\s*\[\s*\{")
_ZERO_WIDTH = re.compile(r"[\u00ad\u180e\u200b-\u200f\u2060-\u2064\ufeff]")
_LOCK_KEY = zlib.crc32(b"sourcemark.ingest")  # PostgreSQL advisory lock: one ingest batch at a time


class Where(TypedDict):
    """Where an input record is: IngestError's keyword arguments."""

    origin: str
    line: int | None


class IngestError(ValueError):
    """Input that cannot be ingested; the message names the file and, where known, the line."""

    def __init__(self, message: str, *, origin: str = "", line: int | None = None):
        self.origin, self.line, self.reason = origin, line, message
        where = origin + (f", line {line}" if line else "")
        super().__init__(f"{where}: {message}" if where else message)


class InputErrors(IngestError):
    """Several records failed validation; `errors` holds one message per bad record (or input)."""

    def __init__(self, errors: list[str], total: int | None = None):
        self.errors, self.total = errors, total if total is not None else len(errors)
        super().__init__(f"{self.total} input(s) failed validation")


class StoreError(Exception):
    """The database refused a batch: the batches before it are stored, this one is not."""

    def __init__(self, message: str, item: "ArticleInput"):
        self.item, self.reason = item, message
        where = item.origin + (f", line {item.line}" if item.line else "")
        super().__init__(f"{where}: could not store: {message}")


def normalized_text(text: str) -> str:
    """The text as the duplicate check sees it: NFC, no zero-width characters, whitespace runs
    collapsed to one space, trimmed."""
    return _WHITESPACE.sub(" ", _ZERO_WIDTH.sub("", unicodedata.normalize("NFC", text))).strip()


def text_hashes(text: str) -> dict[str, str]:
    """`content_hash` (SHA-256 of the exact text) and `normalized_hash` (of `normalized_text`)."""
    return {
        "content_hash": hashlib.sha256(text.encode()).hexdigest(),
        "normalized_hash": hashlib.sha256(normalized_text(text).encode()).hexdigest(),
    }


@dataclass
class ArticleInput:
    """One article as read and validated, before it is stored. Its sentences are split on first use."""

    title: str
    text: str
    outlet: str
    url: str = ""
    published: datetime.date | None = None
    topic: str = ""
    origin: str = ""
    line: int | None = None
    size: int = 0  # bytes read for it (progress)
    _sentences: list[SentenceSpan] | None = field(default=None, repr=False)

    @property
    def sentences(self) -> list[SentenceSpan]:
        if self._sentences is None:
            self._sentences = split_sentences(self.text)
        return self._sentences

    @property
    def content_hash(self) -> str:
        return hashlib.sha256(self.text.encode()).hexdigest()

    def as_dict(self) -> dict:
        return {
            "outlet": self.outlet,
            "title": self.title,
            "url": self.url,
            "published": self.published.isoformat() if self.published else None,
            "text": self.text,
            "sentences": [
                {"position": s.position, "start": s.start, "end": s.end, "text": s.text, "reviewable": s.reviewable}
                for s in self.sentences
            ],
        }


@dataclass
class IngestResult:
    article: Article
    created: bool
    message: str
    origin: str = ""
    line: int | None = None
    sentences: int = 0


# --- reading --------------------------------------------------------------------------------------


class Input:
    """One input (a file, stdin, or bytes from a request) that can be read more than once."""

    def __init__(self, name: str, *, path: Path | None = None, data: bytes | None = None, jsonl: bool | None = None):
        self.name, self.path, self.data, self.jsonl = name, path, data, jsonl
        self._spool: BinaryIO | None = None

    @classmethod
    def from_stdin(cls) -> "Input":
        # stdin can be read only once: spool it to a temporary file (bounded memory), read that twice
        source = cls("stdin")
        source._spool = tempfile.TemporaryFile()  # noqa: SIM115 (lives as long as the Input)
        shutil.copyfileobj(sys.stdin.buffer, source._spool)
        source._spool.flush()
        return source

    def open(self) -> BinaryIO:
        if self.path is not None:
            return self.path.open("rb")
        if self._spool is not None:
            handle = os.fdopen(os.dup(self._spool.fileno()), "rb")
            handle.seek(0)
            return handle
        return io.BytesIO(self.data or b"")

    @property
    def size(self) -> int:
        if self.path is not None:
            return self.path.stat().st_size
        if self._spool is not None:
            return os.fstat(self._spool.fileno()).st_size
        return len(self.data or b"")

    def is_jsonl(self) -> bool:
        if self.jsonl is not None:
            return self.jsonl
        suffix = Path(self.name).suffix.lower()
        if suffix in JSONL_SUFFIXES:
            return True
        if suffix in TEXT_SUFFIXES:
            return False
        with self.open() as handle:
            while chunk := handle.read(65536):
                if stripped := chunk.lstrip():
                    return stripped[:1] == b"{" or stripped[:4] == b"\xef\xbb\xbf{"
        return False


def expand_paths(paths: Iterable[str]) -> Iterator[Input]:
    """Files as given; folders expand to their text and JSONL files in name order; `-` is stdin."""
    for name in paths:
        if name == "-":
            yield Input.from_stdin()
            continue
        path = Path(name)
        if path.is_dir():
            children = sorted(
                p
                for p in path.rglob("*")
                if p.is_file() and not p.name.startswith(".") and p.suffix.lower() in TEXT_SUFFIXES | JSONL_SUFFIXES
            )
            if not children:
                raise IngestError("folder has no .txt or .jsonl files", origin=name)
            yield from (Input(str(child), path=child) for child in children)
        elif path.is_file():
            yield Input(name, path=path)
        else:
            raise IngestError("no such file or folder", origin=name)


def _decode(raw: bytes, origin: str, line: int | None = None) -> str:
    limit = settings.INGEST_MAX_BYTES
    what = "line" if line else "file"
    if len(raw) > limit:
        raise IngestError(f"{what} is {len(raw):,} bytes, over the {limit:,}-byte limit", origin=origin, line=line)
    if b"\x00" in raw:
        raise IngestError("binary data (NUL bytes), expected UTF-8 text", origin=origin, line=line)
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        at = line or raw[: exc.start].count(b"\n") + 1
        column = f"byte {exc.start}" if not line else f"byte {exc.start} of the line"
        raise IngestError(f"not valid UTF-8 ({column})", origin=origin, line=at) from None
    return text.removeprefix("\ufeff")


def _lines(handle: BinaryIO, limit: int) -> Iterator[tuple[int, bytes | None, int]]:
    """(number, line without its newline, bytes read) for each line; the line is None when it is
    longer than `limit` bytes (it is then read through in pieces, never held whole) and the size
    is its length."""
    number = 0
    while raw := handle.readline(limit + 2):
        number += 1
        size = len(raw)
        content = raw[:-1] if raw.endswith(b"\n") else raw
        if len(content) <= limit:
            yield number, content, size
            continue
        while not raw.endswith(b"\n") and (raw := handle.readline(1 << 20)):
            size += len(raw)
        yield number, None, size - raw.endswith(b"\n")  # its length without the newline


def _parse_date(value, origin: str, line: int | None) -> datetime.date | None:
    if value in (None, ""):
        return None
    try:
        return datetime.date.fromisoformat(str(value)[:10])
    except ValueError:
        shown = str(value)[:100]
        raise IngestError(f"published: {shown!r} is not an ISO date (YYYY-MM-DD)", origin=origin, line=line) from None


def _default_title(text: str) -> str:
    first_line = text.strip().split("\n", 1)[0].strip()[:10_000]
    sentences = split_sentences(first_line)
    title = sentences[0].text if sentences else first_line
    return title if len(title) <= DEFAULT_TITLE_MAX else title[: DEFAULT_TITLE_MAX - 1].rstrip() + "…"


def is_blank(text: str) -> bool:
    """Nothing visible: only whitespace and zero-width or direction characters."""
    return _INVISIBLE.fullmatch(text) is not None


def check_characters(name: str, value: str) -> str | None:
    """What PostgreSQL cannot store (SQLite would): a NUL, an unpaired surrogate."""
    if "\x00" in value:
        return f"{name}: contains a NUL character (\\u0000)"
    try:
        value.encode("utf-8")
    except UnicodeEncodeError as exc:
        return f"{name}: contains an unpaired surrogate (\\u{ord(value[exc.start]):04x}) at character {exc.start}"
    return None


def _validate(item: ArticleInput) -> ArticleInput:
    """Check and normalise the fields shared by every kind of input (nothing is split yet)."""
    where: Where = {"origin": item.origin, "line": item.line}
    for name in ("text", "title", "url", "outlet", "topic"):
        if problem := check_characters(name, getattr(item, name)):
            raise IngestError(problem, **where)
    item.text = item.text.replace("\r\n", "\n").replace("\r", "\n").strip()
    if is_blank(item.text):
        raise IngestError("empty text", **where)
    if not item.outlet.strip():
        raise IngestError("no outlet: add an 'Original Source: <domain>' line or pass --outlet or --url", **where)
    try:
        item.outlet = normalize_domain(item.outlet)
    except ValueError as exc:
        raise IngestError(f"outlet: {exc}", **where) from None
    item.url = item.url.strip()
    if item.url:
        if len(item.url) > URL_MAX:
            raise IngestError(f"url: {len(item.url):,} characters, over the {URL_MAX:,}-character limit", **where)
        try:
            parts = urlsplit(item.url)
            scheme, host = parts.scheme, parts.hostname  # "https:///x" has no host
        except ValueError:
            scheme, host = "", None
        if scheme not in ("http", "https") or not host:
            raise IngestError(f"url: {item.url[:200]!r} is not an http(s) URL", **where)
    item.topic = item.topic.strip()
    if len(item.topic) > TOPIC_MAX:
        raise IngestError(f"topic: {len(item.topic):,} characters, over the {TOPIC_MAX}-character limit", **where)
    item.title = " ".join(item.title.split())
    if is_blank(item.title):
        item.title = _default_title(item.text)
    if len(item.title) > TITLE_MAX:
        raise IngestError(f"title: {len(item.title):,} characters, over the {TITLE_MAX}-character limit", **where)
    return item


def parse_plain_text(
    raw: bytes,
    *,
    origin: str,
    outlet: str = "",
    url: str = "",
    title: str = "",
    published: str = "",
    topic: str = "",
    line: int | None = None,
) -> ArticleInput:
    """A text like the sample: an optional `Title:` first line, and an optional trailing
    `Original Source: <domain or URL>` line that names the outlet (kept in the text as a
    non-reviewable sentence). Explicit arguments override what the text says; without an outlet
    or a trailer, the host of `url` names the outlet."""
    text = _decode(raw, origin, line).replace("\r\n", "\n").replace("\r", "\n").strip()
    found_title = ""
    first, _, rest = text.partition("\n")
    if first.lower().startswith("title:"):
        found_title, text = first[6:].strip(), rest.strip()
    trailer_outlet = ""
    last = text.rsplit("\n", 1)[-1]
    if match := TRAILER.match(last):
        trailer_outlet = match["value"]
    item = ArticleInput(
        title=title or found_title,
        text=text,
        outlet=outlet or trailer_outlet or url,
        url=url,
        published=_parse_date(published, origin, line),
        topic=topic,
        origin=origin,
        line=line,
        size=len(raw),
    )
    return _validate(item)


def _parse_record(raw: bytes, *, origin: str, line: int, outlet: str = "", topic: str = "") -> ArticleInput:
    """One JSONL line: an object with the fields `title, url, outlet, published, text` (and `topic`)."""
    where: Where = {"origin": origin, "line": line}
    try:
        record = safejson.loads(_decode(raw, origin, line))
    except json.JSONDecodeError as exc:
        raise IngestError(f"malformed JSON: {exc.msg} (column {exc.colno})", **where) from None
    except RecursionError:
        raise IngestError("malformed JSON: nested too deeply", **where) from None
    return _from_record(record, origin=origin, line=line, outlet=outlet, topic=topic, size=len(raw))


def _from_record(record, *, origin: str, line: int | None, outlet: str = "", topic: str = "", size: int = 0):
    where: Where = {"origin": origin, "line": line}
    if not isinstance(record, dict):
        raise IngestError("each line must be a JSON object", **where)
    if unknown := sorted(set(record) - JSONL_FIELDS):
        shown = ", ".join(name[:50] for name in unknown[:10])
        raise IngestError(f"unknown field(s) {shown}; expected {', '.join(sorted(JSONL_FIELDS))}", **where)
    for key, value in record.items():
        if value is not None and not isinstance(value, str):
            raise IngestError(f"{key}: expected a string", **where)
    url = record.get("url") or ""
    item = ArticleInput(
        title=record.get("title") or "",
        text=record.get("text") or "",
        outlet=record.get("outlet") or outlet or url,
        url=url,
        published=_parse_date(record.get("published"), origin, line),
        topic=record.get("topic") or topic,
        origin=origin,
        line=line,
        size=size,
    )
    return _validate(item)


def parse_record(record, *, origin: str = "request", line: int | None = None) -> ArticleInput:
    """One article given as a JSON object (the API's batch): the same fields and rules as a JSONL line."""
    return _from_record(record, origin=origin, line=line)


def read_records(source: Input, **overrides) -> Iterator[ArticleInput | IngestError]:
    """Every article of one input, validated but not split, in order; a bad record comes as the
    IngestError describing it (the reading goes on)."""
    if source.is_jsonl():
        outlet, topic = overrides.get("outlet", ""), overrides.get("topic", "")
        any_record = False
        with source.open() as handle:
            for number, raw, size in _lines(handle, settings.INGEST_MAX_BYTES):
                if raw is None:
                    limit = settings.INGEST_MAX_BYTES
                    yield IngestError(
                        f"line is {size:,} bytes, over the {limit:,}-byte limit", origin=source.name, line=number
                    )
                    continue
                if number == 1:
                    raw = raw.removeprefix(b"\xef\xbb\xbf")
                if not raw.strip():
                    continue
                any_record = True
                try:
                    yield _parse_record(raw, origin=source.name, line=number, outlet=outlet, topic=topic)
                except IngestError as exc:
                    yield exc
        if not any_record:
            yield IngestError("no articles in this JSONL input", origin=source.name)
        return
    limit = settings.INGEST_MAX_BYTES
    if (size := source.size) > limit:
        yield IngestError(f"file is {size:,} bytes, over the {limit:,}-byte limit", origin=source.name)
        return
    with source.open() as handle:
        raw = handle.read()
    if _JSON_ARRAY.match(raw):  # json.dump(records): no article, but one of JSON source text
        yield IngestError(
            "a JSON array: ingest reads JSON Lines, one object per line (convert it: jq -c '.[]' FILE)",
            origin=source.name,
        )
        return
    try:
        yield parse_plain_text(raw, origin=source.name, **{k: v for k, v in overrides.items() if v})
    except IngestError as exc:
        yield exc


def parse_input(name: str, raw: bytes, **overrides) -> list[ArticleInput]:
    """The articles of one input given as bytes; raises the first IngestError."""
    items = []
    for item in read_records(Input(name, data=raw), **overrides):
        if isinstance(item, IngestError):
            raise item
        items.append(item)
    return items


def parse_jsonl(raw: bytes, *, origin: str, outlet: str = "", topic: str = "") -> list[ArticleInput]:
    """JSON Lines with the fields `title, url, outlet, published, text` (and optional `topic`)."""
    items = []
    for item in read_records(Input(origin, data=raw, jsonl=True), outlet=outlet, topic=topic):
        if isinstance(item, IngestError):
            raise item
        items.append(item)
    return items


@dataclass
class CheckReport:
    """What the check pass found: articles per input, total bytes, the errors (at most `shown`)."""

    inputs: list[Input]
    articles: dict[str, int] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)
    error_count: int = 0
    bytes: int = 0

    @property
    def total(self) -> int:
        return sum(self.articles.values())


def open_inputs(paths: Iterable[str], **overrides) -> list[Input]:
    """The inputs named by `paths` (files, folders, `-` for stdin); IngestError for unusable ones."""
    inputs = list(expand_paths(paths))
    if len(inputs) > 1 and (overrides.get("url") or overrides.get("title")):
        raise IngestError("--url and --title apply to a single plain-text input")
    return inputs


def check_inputs(
    inputs: list[Input], *, progress: Callable[[int], object] | None = None, shown: int = 50, **overrides
) -> CheckReport:
    """Validate every record of every input (nothing split, nothing written); the report's `errors`
    say what is wrong where (the first `shown` of them)."""
    report = CheckReport(inputs)
    for source in inputs:
        count = 0
        for item in read_records(source, **overrides):
            if isinstance(item, IngestError):
                report.error_count += 1
                if len(report.errors) < shown:
                    report.errors.append(str(item))
                continue
            count += 1
            report.bytes += item.size
            if progress:
                progress(item.size)
        report.articles[source.name] = count
    return report


def read_inputs(paths: Iterable[str], *, progress: bool = False, **overrides) -> list[list[ArticleInput]]:
    """Parse and split every input named by `paths` (files, folders, `-` for stdin) into memory: one
    list of articles per input. Any bad record raises InputErrors naming each one."""
    report = check_inputs(open_inputs(paths, **overrides), **overrides)
    if report.error_count:
        raise InputErrors(report.errors, report.error_count)
    groups = []
    for source in report.inputs:
        items = [item for item in read_records(source, **overrides) if isinstance(item, ArticleInput)]
        for item in items:
            item.sentences  # noqa: B018 (split now)
        groups.append(items)
    return groups


def iter_articles(inputs: Iterable[Input], **overrides) -> Iterator[ArticleInput]:
    """The articles of checked inputs, streamed; a record that turned bad since the check raises."""
    for source in inputs:
        for item in read_records(source, **overrides):
            if isinstance(item, IngestError):
                raise item
            yield item


# --- storing --------------------------------------------------------------------------------------


def _batches(items: Iterable[ArticleInput], size: int) -> Iterator[list[ArticleInput]]:
    batch, characters = [], 0
    for item in items:
        batch.append(item)
        characters += len(item.text)
        if len(batch) >= size or characters >= 20 * settings.INGEST_MAX_BYTES:
            yield batch
            batch, characters = [], 0
    if batch:
        yield batch


def store_articles(items: Iterable[ArticleInput], *, batch_size: int | None = None) -> Iterator[IngestResult]:
    """Split and store articles, `batch_size` (INGEST_BATCH_ARTICLES) to a transaction; one result
    per article, in order. A database failure raises StoreError: the batches before it are stored."""
    for batch in _batches(items, batch_size or settings.INGEST_BATCH_ARTICLES):
        yield from _store_batch(batch)


def ingest_articles(items: list[ArticleInput]) -> list[IngestResult]:
    """Store a group of parsed articles in one transaction (all or nothing).

    An article whose text (ignoring whitespace differences) or URL is already stored is skipped;
    so is a repeat within the group."""
    if not items:
        return []
    try:
        return _store_batch(items)
    except StoreError as exc:
        raise IngestError(f"could not store: {exc.reason}", origin=items[0].origin) from None


def ingest_text(raw: bytes, *, name: str = "request", **overrides) -> list[IngestResult]:
    """Parse and store one input (plain text or JSONL bytes) in one transaction."""
    return ingest_articles(parse_input(name, raw, **overrides))


def find_existing(item: ArticleInput) -> Article | None:
    """The stored article with the same text (whitespace aside) or URL, if any."""
    hashes = text_hashes(item.text)
    query = Q(normalized_hash=hashes["normalized_hash"]) | Q(content_hash=hashes["content_hash"])
    if item.url:
        query |= Q(url=item.url)
    return Article.objects.filter(query).order_by("pk").first()


def _ids(model, key: str, values: set[str]) -> dict[str, int]:
    """Primary keys of the rows whose `key` is in `values`, creating the missing ones."""
    if not values:
        return {}
    found = dict(model.objects.filter(**{f"{key}__in": values}).order_by().values_list(key, "pk"))
    if missing := values - found.keys():
        model.objects.bulk_create([model(**{key: value}) for value in sorted(missing)], ignore_conflicts=True)
        found.update(model.objects.filter(**{f"{key}__in": missing}).order_by().values_list(key, "pk"))
    return found


def _insert_sentences(rows: list[tuple]) -> None:
    """Bulk insert (article_id, position, start, end, text, reviewable) rows (`bulk.insert_rows`)."""
    if not rows:
        return
    meta = Sentence._meta
    columns = [
        cast(Field, meta.get_field(name)).column
        for name in ("article", "position", "start", "end", "text", "reviewable")
    ]
    insert_rows(meta.db_table, columns, rows)


def _store_batch(batch: list[ArticleInput]) -> list[IngestResult]:
    for item in batch:
        item.sentences  # noqa: B018 (split before the transaction: the write lock stays short)
    hashes = [text_hashes(item.text) for item in batch]
    try:
        with transaction.atomic():
            if connection.vendor == "postgresql":  # SQLite: transactions are IMMEDIATE already
                with connection.cursor() as cursor:
                    cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_LOCK_KEY])
            results = _write_batch(batch, hashes)
            created = [result.article.pk for result in results if result.created and result.article is not None]
            if created:  # model signals miss bulk inserts: claims and others hear of new articles here
                transaction.on_commit(lambda: articles_ingested.send(sender=Article, article_ids=created))
            return results
    except (IntegrityError, DatabaseError) as exc:
        raise StoreError(str(exc).strip().splitlines()[0][:500], batch[0]) from exc


def _write_batch(batch: list[ArticleInput], hashes: list[dict[str, str]]) -> list[IngestResult]:
    normalized = {h["normalized_hash"] for h in hashes}
    exact = {h["content_hash"] for h in hashes}
    urls = {item.url for item in batch if item.url}
    known: dict[tuple[str, str], int] = {}
    rows = Article.objects.filter(
        Q(normalized_hash__in=normalized) | Q(content_hash__in=exact) | Q(url__in=urls)
    ).values_list("pk", "normalized_hash", "content_hash", "url")
    for pk, normalized_hash, content_hash, url in rows.order_by("-pk"):
        known.update({("n", normalized_hash): pk, ("c", content_hash): pk})
        if url:
            known[("u", url)] = pk

    outlets = _ids(Outlet, "domain", {item.outlet for item in batch})
    topics = _ids(Topic, "name", {item.topic for item in batch if item.topic})
    new: list[tuple[ArticleInput, Article]] = []
    repeat_of: dict[int, ArticleInput | int] = {}  # batch index -> stored pk or the earlier new item
    seen: dict[tuple[str, str], ArticleInput] = {}
    for index, (item, hash_pair) in enumerate(zip(batch, hashes, strict=True)):
        keys = [("n", hash_pair["normalized_hash"]), ("c", hash_pair["content_hash"])]
        if item.url:
            keys.append(("u", item.url))
        if stored := next((known[key] for key in keys if key in known), None):
            repeat_of[index] = stored
            continue
        if earlier := next((seen[key] for key in keys if key in seen), None):
            repeat_of[index] = earlier
            continue
        seen.update(dict.fromkeys(keys, item))
        article = Article(
            outlet_id=outlets[item.outlet],
            topic_id=topics[item.topic] if item.topic else None,
            title=item.title,
            url=item.url,
            published=item.published,
            text=item.text,
            **hash_pair,
        )
        new.append((item, article))
    Article.objects.bulk_create([article for _, article in new])
    _insert_sentences(
        [
            (article.pk, s.position, s.start, s.end, s.text, s.reviewable)
            for item, article in new
            for s in item.sentences
        ]
    )
    stored_as = {id(item): article for item, article in new}
    results = []
    for index, item in enumerate(batch):
        if index in repeat_of:
            target = repeat_of[index]
            pk = target if isinstance(target, int) else stored_as[id(target)].pk
            message = f"already ingested as article {pk}: nothing changed"
            results.append(IngestResult(Article(pk=pk), False, message, item.origin, item.line))
        else:
            article, count = stored_as[id(item)], len(item.sentences)
            message = f"added article {article.pk} ({count} sentences)"
            results.append(IngestResult(article, True, message, item.origin, item.line, count))
    return results
