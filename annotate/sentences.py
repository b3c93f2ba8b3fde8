"""Sentence splitting with exact character offsets.

Paragraphs (line breaks) always end a sentence; inside a paragraph pysbd finds the boundaries
(abbreviations such as U.S., Dr., Gen., a.m., decimals and quotes). Offsets are then located in
the original text, so `text[start:end] == sentence` holds by construction.
"""

import re
import threading
from dataclasses import dataclass

import pysbd

_local = threading.local()
_LINE = re.compile(r"[^\n]+")
# Lines that are not part of the report: trailers, credits and similar boilerplate.
BOILERPLATE = re.compile(
    r"^\s*(original source\s*:|source\s*:\s*\S+\.\w+\s*$|reporting by\b|additional reporting\b|"
    r"editing by\b|photo\s*:|image\s*:|copyright\b|©|all rights reserved|read more\b|"
    r"follow us\b|sign up\b|subscribe\b)",
    re.IGNORECASE,
)
TRAILER = re.compile(r"^\s*Original Source\s*:\s*(?P<value>\S+)\s*$", re.IGNORECASE)


@dataclass(frozen=True)
class SentenceSpan:
    position: int
    start: int
    end: int
    text: str
    reviewable: bool


def _segmenter() -> pysbd.Segmenter:
    # pysbd keeps per-call state on the segmenter, so each thread gets its own.
    if not hasattr(_local, "segmenter"):
        _local.segmenter = pysbd.Segmenter(language="en", clean=False)
    return _local.segmenter


def _split_paragraph(paragraph: str) -> list[str]:
    # The processor alone gives the sentence strings; Segmenter.segment() would also locate
    # them with one uncached regex per sentence (half the time), which split_sentences does
    # itself with str.find.
    try:
        return _segmenter().processor(paragraph).process()
    except Exception:  # pysbd can fail on odd input; a paragraph is then one sentence.
        return [paragraph]


def split_sentences(text: str) -> list[SentenceSpan]:
    """Split `text` into sentences in document order, never overlapping.

    Each sentence is whitespace-trimmed and `text[s.start:s.end] == s.text`. Boilerplate
    lines (an "Original Source:" trailer, credits) come back with `reviewable=False`.
    """
    spans: list[SentenceSpan] = []
    for line in _LINE.finditer(text):
        paragraph, offset = line.group(), line.start()
        if not paragraph.strip():
            continue
        reviewable = not BOILERPLATE.match(paragraph)
        pieces = _split_paragraph(paragraph) if reviewable else [paragraph]
        cursor = 0
        for piece in pieces:
            piece = piece.strip()
            if not piece:
                continue
            found = paragraph.find(piece, cursor)
            if found < 0:  # the splitter altered the text: keep the rest as one sentence
                rest = paragraph[cursor:]
                found, piece = cursor + len(rest) - len(rest.lstrip()), rest.strip()
                if not piece:
                    break
            start, end = offset + found, offset + found + len(piece)
            spans.append(SentenceSpan(len(spans), start, end, text[start:end], reviewable))
            cursor = found + len(piece)
        tail = paragraph[cursor:].strip()
        if tail:  # anything the splitter dropped still belongs to a sentence
            found = paragraph.find(tail, cursor)
            start, end = offset + found, offset + found + len(tail)
            spans.append(SentenceSpan(len(spans), start, end, text[start:end], reviewable))
    return spans
