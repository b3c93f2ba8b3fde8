"""Gold-labelled sentences to train and score suggestions on: the team's settled labels in the
database, or gold files in the dev-set format (`<stem>.gold.json` beside `../articles/<file>`)."""

from __future__ import annotations

import json
from collections.abc import Hashable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from annotate.codebook import Label

Span = tuple[int, int]


@dataclass(frozen=True)
class GoldSentence:
    """A reviewable sentence with a settled gold label. `spans` and `cue_spans` are source and cue
    spans (offsets into the sentence) of the marks whose label equals the gold label; sentences of
    one article come together and in document order."""

    sentence_id: Hashable
    article_id: Hashable
    text: str
    label: str
    spans: tuple[Span, ...] = ()
    cue_spans: tuple[Span, ...] = ()
    published: date | None = None


class GoldFileError(ValueError):
    """A gold folder or file that cannot be read as the dev-set format."""


def by_article(gold: Iterable[GoldSentence]) -> list[list[GoldSentence]]:
    """The sentences grouped by article, articles in first-seen order, sentences kept in order."""
    groups: dict[Hashable, list[GoldSentence]] = {}
    for sentence in gold:
        groups.setdefault(sentence.article_id, []).append(sentence)
    return list(groups.values())


def gold_sentences() -> list[GoldSentence]:
    """Every reviewable sentence whose gold label is settled (annotate.gold) from counting marks
    only (docs/scoring.md section 1: in-progress marks count nowhere), in three queries: the marks,
    the adjudications and the sentences' text, never one query per sentence."""
    from django.db.models import Exists, OuterRef, Q

    from annotate.gold import resolve_gold_label
    from annotate.models import Adjudication, Annotation, Sentence

    marks: dict[int, list[tuple[str, Span | None, Span | None]]] = {}
    rows = (
        Annotation.objects.counting()
        .filter(sentence__reviewable=True)
        .values_list("sentence_id", "label", "source_start", "source_end", "cue_start", "cue_end")
    )
    for sentence_id, label, source_start, source_end, cue_start, cue_end in rows.iterator(chunk_size=5000):
        source = (source_start, source_end) if source_start is not None and source_end is not None else None
        cue = (cue_start, cue_end) if cue_start is not None and cue_end is not None else None
        marks.setdefault(sentence_id, []).append((label, source, cue))
    adjudicated = dict(Adjudication.objects.values_list("sentence_id", "label"))
    sentences = (
        Sentence.objects.filter(reviewable=True)
        .filter(
            Q(Exists(Annotation.objects.counting().filter(sentence=OuterRef("pk"))))
            | Q(Exists(Adjudication.objects.filter(sentence=OuterRef("pk"))))
        )
        .order_by("article_id", "position")
        .values_list("pk", "article_id", "text", "article__published")
    )
    gold = []
    for sentence_id, article_id, text, published in sentences.iterator(chunk_size=5000):
        sentence_marks = marks.get(sentence_id, [])
        resolved = resolve_gold_label([label for label, _, _ in sentence_marks], adjudicated.get(sentence_id))
        if resolved.label is None:
            continue
        agreeing = [(source, cue) for label, source, cue in sentence_marks if label == resolved.label]
        gold.append(
            GoldSentence(
                sentence_id,
                article_id,
                text,
                resolved.label,
                tuple(sorted({source for source, _ in agreeing if source})),
                tuple(sorted({cue for _, cue in agreeing if cue})),
                published,
            )
        )
    return gold


def read_gold_dirs(paths: Sequence[Path | str]) -> list[GoldSentence]:
    """The sentences of every `<stem>.gold.json` in the folders, articles read from `../articles/`.

    Gold file: {"article": "<file>.json", "sentences": [{start, end, text, label, source_span,
    cue_span}]}, spans as offsets into the article text (the dev set's format). Raises GoldFileError
    naming the file when a folder has no gold file, a file is malformed or a sentence does not match
    its article's text; nothing is returned half-read.
    """
    gold: list[GoldSentence] = []
    for folder in map(Path, paths):
        files = sorted(folder.glob("*.gold.json"))
        if not files:
            raise GoldFileError(f"{folder}: no *.gold.json files")
        for path in files:
            gold.extend(_read_gold_file(path))
    return gold


def _read_gold_file(path: Path) -> list[GoldSentence]:
    try:
        record = json.loads(path.read_text(encoding="utf-8"))
        article_path = path.parent.parent / "articles" / record["article"]
        article = json.loads(article_path.read_text(encoding="utf-8"))
        text = article["text"]
        published = date.fromisoformat(article["published"]) if article.get("published") else None
        sentences = []
        for row in record["sentences"]:
            start, end = int(row["start"]), int(row["end"])
            if text[start:end] != row["text"]:
                raise GoldFileError(f"{path}: sentence {row.get('i', start)} does not match the article text")
            if row["label"] not in Label.values:
                raise GoldFileError(f"{path}: unknown label {row['label']!r}")
            sentences.append(
                GoldSentence(
                    f"{path.name}#{start}",
                    path.name.removesuffix(".gold.json"),
                    row["text"],
                    row["label"],
                    _shifted(row.get("source_span"), start, end),
                    _shifted(row.get("cue_span"), start, end),
                    published,
                )
            )
    except GoldFileError:
        raise
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise GoldFileError(f"{path}: {exc}") from None
    return sentences


def _shifted(span: Sequence[int] | None, start: int, end: int) -> tuple[Span, ...]:
    """An article span as a sentence span (empty when absent or outside the sentence)."""
    if not span:
        return ()
    first, last = int(span[0]) - start, int(span[1]) - start
    if not 0 <= first < last <= end - start:
        raise ValueError(f"span {list(span)} is outside its sentence")
    return ((first, last),)
