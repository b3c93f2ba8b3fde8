"""Article ingestion: parse plain text, folders and JSONL into articles with sentences.

`parse_*` functions validate input and raise `IngestError` naming the file and line; nothing
is written until every input parsed. `ingest_articles` writes each input in its own
transaction. The `ingest` command, the API and the admin all come through here.
"""

import datetime
import hashlib
import json
import sys
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from django.conf import settings
from django.db import IntegrityError, transaction

from . import safejson
from .models import Article, Outlet, Sentence, Topic
from .sentences import TRAILER, SentenceSpan, split_sentences
from .signals import articles_ingested

JSONL_FIELDS = frozenset({"title", "url", "outlet", "published", "text", "topic"})
TEXT_SUFFIXES = frozenset({".txt", ".text", ".md"})
JSONL_SUFFIXES = frozenset({".jsonl", ".ndjson"})
TITLE_MAX = 500


class IngestError(ValueError):
    """Input that cannot be ingested; the message names the file and, where known, the line."""

    def __init__(self, message: str, *, origin: str = "", line: int | None = None):
        self.origin, self.line, self.reason = origin, line, message
        where = origin + (f", line {line}" if line else "")
        super().__init__(f"{where}: {message}" if where else message)


@dataclass
class ArticleInput:
    """One article as parsed, before it is stored."""

    title: str
    text: str
    outlet: str
    url: str = ""
    published: datetime.date | None = None
    topic: str = ""
    origin: str = ""
    line: int | None = None
    sentences: list[SentenceSpan] = field(default_factory=list)

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
    article: Article | None
    created: bool
    message: str
    origin: str = ""


def normalize_domain(value: str) -> str:
    """`https://www.News.Sky.com/x` → `news.sky.com`; a bare host is accepted too."""
    value = value.strip()
    if not value:
        raise ValueError("empty outlet")
    host = urlsplit(value if "//" in value else f"//{value}").hostname or ""
    host = host.strip(".").lower()
    if host.startswith("www."):
        host = host[4:]
    if not host or "." not in host or any(c.isspace() for c in host):
        raise ValueError(f"not a domain or URL: {value!r}")
    return host


def _decode(raw: bytes, origin: str) -> str:
    limit = settings.INGEST_MAX_BYTES
    if len(raw) > limit:
        raise IngestError(f"file is {len(raw):,} bytes, over the {limit:,}-byte limit", origin=origin)
    if b"\x00" in raw:
        raise IngestError("binary data (NUL bytes), expected UTF-8 text", origin=origin)
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise IngestError(f"not valid UTF-8 (byte {exc.start})", origin=origin, line=line) from None
    return text.removeprefix("\ufeff").replace("\r\n", "\n").replace("\r", "\n")


def _parse_date(value, origin: str, line: int | None) -> datetime.date | None:
    if value in (None, ""):
        return None
    try:
        return datetime.date.fromisoformat(str(value)[:10])
    except ValueError:
        raise IngestError(f"published: {value!r} is not an ISO date (YYYY-MM-DD)", origin=origin, line=line) from None


def _default_title(text: str) -> str:
    first_line = text.strip().split("\n", 1)[0].strip()
    sentences = split_sentences(first_line)
    title = sentences[0].text if sentences else first_line
    return title if len(title) <= 200 else title[:199].rstrip() + "…"


def _finish(item: ArticleInput) -> ArticleInput:
    """Validate the fields shared by every input kind, then split the text."""
    where = {"origin": item.origin, "line": item.line}
    if not item.text.strip():
        raise IngestError("empty text", **where)
    if not item.outlet:
        raise IngestError("no outlet: add an 'Original Source: <domain>' line or pass --outlet", **where)
    try:
        item.outlet = normalize_domain(item.outlet)
    except ValueError as exc:
        raise IngestError(f"outlet: {exc}", **where) from None
    if item.url and urlsplit(item.url).scheme not in ("http", "https"):
        raise IngestError(f"url: {item.url!r} is not an http(s) URL", **where)
    item.title = (item.title or _default_title(item.text))[:TITLE_MAX]
    item.sentences = split_sentences(item.text)
    return item


def parse_plain_text(
    raw: bytes, *, origin: str, outlet: str = "", url: str = "", title: str = "", published: str = "", topic: str = ""
) -> ArticleInput:
    """A text like the sample: an optional `Title:` first line, and an optional trailing
    `Original Source: <domain or URL>` line that names the outlet (kept in the text as a
    non-reviewable sentence). Explicit arguments override what the text says."""
    text = _decode(raw, origin).strip()
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
        outlet=outlet or trailer_outlet,
        url=url,
        published=_parse_date(published, origin, None),
        topic=topic,
        origin=origin,
    )
    return _finish(item)


def parse_jsonl(raw: bytes, *, origin: str, outlet: str = "", topic: str = "") -> list[ArticleInput]:
    """JSON Lines with the fields `title, url, outlet, published, text` (and optional `topic`)."""
    text = _decode(raw, origin)
    items = []
    for number, line in enumerate(text.split("\n"), start=1):
        if not line.strip():
            continue
        try:
            record = safejson.loads(line)
        except json.JSONDecodeError as exc:
            raise IngestError(f"malformed JSON: {exc.msg} (column {exc.colno})", origin=origin, line=number) from None
        if not isinstance(record, dict):
            raise IngestError("each line must be a JSON object", origin=origin, line=number)
        if unknown := sorted(set(record) - JSONL_FIELDS):
            raise IngestError(
                f"unknown field(s) {', '.join(unknown)}; expected {', '.join(sorted(JSONL_FIELDS))}",
                origin=origin,
                line=number,
            )
        for key, value in record.items():
            if value is not None and not isinstance(value, str):
                raise IngestError(f"{key}: expected a string", origin=origin, line=number)
        items.append(
            _finish(
                ArticleInput(
                    title=(record.get("title") or "").strip(),
                    text=(record.get("text") or "").strip(),
                    outlet=record.get("outlet") or outlet or record.get("url") or "",
                    url=(record.get("url") or "").strip(),
                    published=_parse_date(record.get("published"), origin, number),
                    topic=record.get("topic") or topic,
                    origin=origin,
                    line=number,
                )
            )
        )
    if not items:
        raise IngestError("no articles in this JSONL input", origin=origin)
    return items


def is_jsonl(name: str, raw: bytes) -> bool:
    suffix = Path(name).suffix.lower()
    if suffix in JSONL_SUFFIXES:
        return True
    return suffix not in TEXT_SUFFIXES and raw.lstrip()[:1] == b"{"


def expand_paths(paths: Iterable[str]) -> Iterator[Path | str]:
    """Files as given; folders expand to their text and JSONL files in name order; `-` is stdin."""
    for name in paths:
        if name == "-":
            yield "-"
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
            yield from children
        elif path.is_file():
            yield path
        else:
            raise IngestError("no such file or folder", origin=name)


def parse_input(name: str, raw: bytes, **overrides) -> list[ArticleInput]:
    if is_jsonl(name, raw):
        return parse_jsonl(raw, origin=name, outlet=overrides.get("outlet", ""), topic=overrides.get("topic", ""))
    return [parse_plain_text(raw, origin=name, **overrides)]


class InputErrors(IngestError):
    """Several inputs failed validation; `errors` holds one message per input."""

    def __init__(self, errors: list[str]):
        self.errors = errors
        super().__init__(f"{len(errors)} input(s) failed validation")


OVERRIDES = ("outlet", "url", "title", "published", "topic")


def read_inputs(paths: Iterable[str], *, progress: bool = False, **overrides) -> list[list[ArticleInput]]:
    """Parse every input named by `paths` (files, folders, `-` for stdin): one list of articles
    per input. Every input is validated; any failure raises InputErrors naming each bad input,
    so callers write nothing unless all of them parsed."""
    from tqdm import tqdm

    files = list(expand_paths(paths))
    if len(files) > 1 and (overrides.get("url") or overrides.get("title")):
        raise IngestError("--url and --title apply to a single plain-text input")
    groups, errors = [], []
    for path in tqdm(files, desc="parsing", unit="file", disable=not progress or len(files) < 2, file=sys.stderr):
        raw = sys.stdin.buffer.read() if path == "-" else path.read_bytes()
        try:
            groups.append(parse_input("stdin" if path == "-" else str(path), raw, **overrides))
        except IngestError as exc:
            errors.append(str(exc))
    if errors:
        raise InputErrors(errors)
    return groups


def find_existing(item: ArticleInput) -> Article | None:
    """The stored article with the same text or URL, if any."""
    query = Article.objects.filter(content_hash=item.content_hash)
    if item.url:
        query = query | Article.objects.filter(url=item.url)
    return query.first()


def _store(item: ArticleInput) -> IngestResult:
    if existing := find_existing(item):
        return IngestResult(existing, False, f"already ingested as article {existing.pk}: nothing changed", item.origin)
    outlet, _ = Outlet.objects.get_or_create(domain=item.outlet)
    topic = Topic.objects.get_or_create(name=item.topic)[0] if item.topic else None
    article = Article.objects.create(
        outlet=outlet,
        topic=topic,
        title=item.title,
        url=item.url,
        published=item.published,
        text=item.text,
        content_hash=item.content_hash,
    )
    Sentence.objects.bulk_create(
        Sentence(article=article, position=s.position, start=s.start, end=s.end, text=s.text, reviewable=s.reviewable)
        for s in item.sentences
    )
    return IngestResult(article, True, f"added article {article.pk} ({len(item.sentences)} sentences)", item.origin)


def ingest_articles(items: list[ArticleInput]) -> list[IngestResult]:
    """Store a group of parsed articles in one transaction (all or nothing).

    An article whose text or URL is already stored is skipped; so is a repeat within the group.
    """
    results = []
    try:
        with transaction.atomic():
            for item in items:
                results.append(_store(item))
    except IntegrityError as exc:  # a concurrent ingest of the same article won the race
        raise IngestError(f"could not store: {exc}", origin=items[0].origin if items else "") from None
    created = [result.article.pk for result in results if result.created and result.article is not None]
    if created:
        transaction.on_commit(lambda: articles_ingested.send(sender=Article, article_ids=created))
    return results


def ingest_text(raw: bytes, *, name: str = "request", **overrides) -> list[IngestResult]:
    """Parse and store one input (plain text or JSONL bytes) in one transaction."""
    return ingest_articles(parse_input(name, raw, **overrides))
