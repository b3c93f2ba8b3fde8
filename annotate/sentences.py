"""Sentence splitting with exact character offsets.

Paragraphs (line breaks) always end a sentence. Inside a paragraph the boundaries are pysbd's
(abbreviations such as U.S., Dr., Gen., a.m., decimals, quotes), found in three steps so that the
time stays linear in the text and pysbd only sees the parts where cheap rules are unsure:

1. **Certain boundaries.** `word. Next`: a stop after a word of two or more letters that is none of
   pysbd's abbreviations, outside any quotes, brackets or parentheses, followed by spaces and a
   capital letter. pysbd splits there, and nothing it decides on one side depends on the other
   side, so the paragraph is cut there. Paragraphs with features pysbd treats as a whole (list
   markers, parentheses between quotes, numbered references, its own placeholder characters) are
   not cut.
2. **Plain pieces.** A piece between certain boundaries with no other stop in it (decimals such as
   3.5 aside) is one sentence, as pysbd would find.
3. **pysbd** splits every other piece, in windows of at most `WINDOW` characters: pysbd's time per
   character grows with the length of its input (a 200 KB paragraph took minutes), so a longer
   piece is cut first at its last likely boundary (a stop and a space), else at a space.

Steps 1 and 2 give exactly pysbd's sentences on every text tested against it (the tests, the
development set, generated text); step 3 differs from pysbd only inside pieces longer than
`WINDOW` with no certain boundary, where pysbd itself would take quadratic time.
`split_sentences_pysbd` is the reference (pysbd on whole paragraphs) for tests and benchmarks.

Offsets are located in the original text, so `text[start:end] == sentence` holds by construction.
"""

import re
import threading
from bisect import bisect_right
from collections.abc import Callable
from dataclasses import dataclass

import pysbd
from pysbd.lang.common import Common
from pysbd.lang.english import English
from pysbd.lists_item_replacer import ListItemReplacer
from pysbd.processor import Processor

WINDOW = 2000  # pysbd's cost per character is flat up to about this length and grows beyond it

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

_GENERAL_ABBREVIATIONS = frozenset(English.Abbreviation.ABBREVIATIONS)
_PREPOSITIVE = _GENERAL_ABBREVIATIONS & frozenset(English.Abbreviation.PREPOSITIVE_ABBREVIATIONS)
_NUMBER_ABBREVIATIONS = _GENERAL_ABBREVIATIONS & frozenset(English.Abbreviation.NUMBER_ABBREVIATIONS) - _PREPOSITIVE
_ABBREVIATIONS = frozenset(
    abbr.lower()
    for abbr in (
        *English.Abbreviation.ABBREVIATIONS,
        *English.Abbreviation.PREPOSITIVE_ABBREVIATIONS,
        *English.Abbreviation.NUMBER_ABBREVIATIONS,
    )
)
# A stop followed by spaces and anything but another stop: where pysbd may end a sentence.
_STOP_SPACE = re.compile(r"[.?!](?= +([^\s.?!]))")
_CLOSERS = frozenset("\"”’')]")
# A quotation closed after its stop, one space and a capital: pysbd ends the sentence after the quote.
_QUOTE_END = re.compile(r"[.?!][\"”](?=\s[A-Z])")
# Stops other than decimal points, and pysbd's split of a quotation closed after a stop or a dash.
_STOP = re.compile(r"[.!?]")
_MULTI_PERIOD = re.compile(r"[a-zA-Z](?:\.[a-zA-Z])+\.")  # U.S., a.m., e.g. (pysbd: all periods hidden)
_WORD_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_")
_SPLIT_QUOTE = re.compile(Common.QUOTATION_AT_END_OF_SENTENCE_REGEX)
# pysbd's own placeholder characters, CJK stops and brackets, line separators other than \n,
# backslashes (quote escapes) and braces (an abbreviation quirk): leave such paragraphs to pysbd whole.
_EXOTIC = re.compile(r"[\\{\r\x0b\x0c\x1c-\x1e\x85\u2028\u2029。．！？（）「」∯∮ȸȹ☉☈☇☄♨☝☏ƪ♟♝ᓰᓱᓳᓴᓷᓸ✂⌬⎋♬♭]")
# A single quote after a space opens a quotation only if the whole paragraph says so (pysbd).
_SPACE_QUOTE = re.compile(r"\s'")
_NUMBERED_REFERENCE = re.compile(Common.NUMBERED_REFERENCE_REGEX)
_REFERENCE_HINT = re.compile(r"\.(?=[\[\d])")  # where a numbered reference can start
_PARENS_QUOTES_START = re.compile(r"[\"”]\s\(")
_PARENS_QUOTES_END = re.compile(r"\)\s[\"“]")
# pysbd's list markers (ListItemReplacer), found with patterns that do not start with a lookbehind
# (Python's re would try it at every position): the same matches, tested against pysbd's own
_ALPHA_LIST_PERIODS = re.compile(r"\s[a-z]\.")
_LETTER_PERIOD = re.compile(r"[a-z]\.")
_LATIN, _ROMAN = ListItemReplacer.LATIN_NUMERALS, ListItemReplacer.ROMAN_NUMERALS
_NUMBERED_LIST_PERIODS = re.compile(r"\d{1,2}(?=\.[\s)])")
_NUMBERED_LIST_PARENS = re.compile(ListItemReplacer.NUMBERED_LIST_PARENS_REGEX)
_DOUBLE_PUNCTUATION = re.compile(English.DoublePunctuationRules.DoublePunctuation)
_ROMAN_PARENS = re.compile(ListItemReplacer.ROMAN_NUMERALS_IN_PARENTHESES)
# Quotes, brackets and parentheses pysbd reads as one unit: (opening, closing, single-quote rules).
_PAIRS = (
    ("‘", "’", True),
    ('"', '"', False),
    ("[", "]", False),
    ("(", ")", False),
    ("«", "»", False),
    ("“", "”", False),
)
_OPENING = frozenset("('\"“‘")  # pysbd may read a sentence opening with these as a unit
_LIKELY_BOUNDARY = re.compile(r"[.!?][\"'”’)\]]*\s+")
_SPACE = re.compile(r"\s+")
_NOT_SPACE = re.compile(r"\S")
_ASCII_LETTERS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ")


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


class _PartProcessor(Processor):
    """pysbd's processor for part of a paragraph that has a stop elsewhere: pysbd leaves a text
    with no stop whole, but inside such a paragraph it splits that part like any other."""

    def check_for_punctuation(self, txt):
        return self.process_text(txt)


def _pysbd_pieces(text: str, part: bool = False) -> list[str]:
    # The processor alone gives the sentence strings; Segmenter.segment() would also locate
    # them with one uncached regex per sentence, which _locate does with str.find.
    try:
        if part:
            return _PartProcessor(text, _segmenter().language_module).process()
        return _segmenter().processor(text).process()
    except Exception:  # pysbd can fail on odd input; the text is then one sentence.
        return [text]


def _locate(paragraph: str, start: int, end: int, pieces: list[str], out: list[tuple[int, int]]) -> None:
    """Append the offsets of `pieces` (sentences of paragraph[start:end], in order) to `out`."""
    cursor = start
    for piece in pieces:
        piece = piece.strip()
        if not piece:
            continue
        found = paragraph.find(piece, cursor, end)
        if found < 0:  # the splitter altered the text: keep the rest as one sentence
            rest = paragraph[cursor:end]
            piece = rest.strip()
            if piece:
                found = cursor + len(rest) - len(rest.lstrip())
                out.append((found, found + len(piece)))
            return
        out.append((found, found + len(piece)))
        cursor = found + len(piece)
    _add_stripped(paragraph, cursor, end, out)  # anything the splitter dropped still belongs to a sentence


def _add_stripped(paragraph: str, start: int, end: int, out: list[tuple[int, int]]) -> None:
    piece = paragraph[start:end]
    stripped = piece.strip()
    if stripped:
        first = start + len(piece) - len(piece.lstrip())
        out.append((first, first + len(stripped)))


def _windows(paragraph: str, start: int, end: int) -> list[tuple[int, int]]:
    """Cut paragraph[start:end] into windows of at most WINDOW characters, each ending at the last
    likely boundary (else the last space) of its second half."""
    windows = []
    while end - start > WINDOW:
        low, high = start + WINDOW // 2, start + WINDOW
        cut = None
        for match in _LIKELY_BOUNDARY.finditer(paragraph, low, high):
            cut = match.end()
        if cut is None:
            for match in _SPACE.finditer(paragraph, low, high):
                cut = match.end()
        cut = cut or high
        windows.append((start, cut))
        start = cut
    windows.append((start, end))
    return windows


def _split_unsure(paragraph: str, start: int, end: int, out: list[tuple[int, int]], part: bool) -> None:
    windows = _windows(paragraph, start, end)
    part = part or len(windows) > 1 and _STOP.search(paragraph) is not None
    for low, high in windows:
        _locate(paragraph, low, high, _pysbd_pieces(paragraph[low:high], part), out)


def _whole_paragraph_only(paragraph: str) -> bool:
    """Features pysbd reads across the whole paragraph: such a paragraph is not cut."""
    if _EXOTIC.search(paragraph) or _DOUBLE_PUNCTUATION.match(paragraph):
        return True
    if paragraph.startswith("'") or _SPACE_QUOTE.search(paragraph) or has_numbered_reference(paragraph):
        return True
    if (opening := _PARENS_QUOTES_START.search(paragraph)) and _PARENS_QUOTES_END.search(paragraph, opening.end()):
        return True
    for items in alphabetical_list_items(paragraph):
        if _alphabetical_list(items, _LATIN) or _alphabetical_list(items, _ROMAN):
            return True
    return _consecutive(numbered_list_items(paragraph)) or _consecutive(
        [int(m.group()) for m in _NUMBERED_LIST_PARENS.finditer(paragraph)]
    )


def has_numbered_reference(paragraph: str) -> bool:
    """pysbd's NUMBERED_REFERENCE_REGEX matches somewhere (`word.[1] Next`, `word.12 Next`)."""
    return any(_NUMBERED_REFERENCE.match(paragraph, hint.start()) for hint in _REFERENCE_HINT.finditer(paragraph))


def alphabetical_list_items(paragraph: str) -> tuple[list[str], list[str]]:
    """The `a.` and the `x)` / `(iv)` markers pysbd's ALPHABETICAL_LIST regexes find, in order (the
    latter only up to 5 letters: no longer one is a list letter)."""
    periods = [paragraph[0]] if _LETTER_PERIOD.match(paragraph) else []
    periods += [match.group()[1] for match in _ALPHA_LIST_PERIODS.finditer(paragraph)]
    parens = []
    close = paragraph.find(")")
    while close >= 0:  # a run of lowercase letters after the start, a space or `(`
        begin = close
        while begin > 0 and close - begin <= 5 and "a" <= paragraph[begin - 1] <= "z":
            begin -= 1
        if 0 < close - begin <= 5 and (begin == 0 or paragraph[begin - 1].isspace() or paragraph[begin - 1] == "("):
            parens.append(paragraph[begin:close])
        close = paragraph.find(")", close + 1)
    return periods, parens


def _alphabetical_list(items: list[str], alphabet: list[str]) -> bool:
    """pysbd's iterate_alphabet_array may mark a list: two items are neighbour letters. (pysbd only
    compares each item with the next and the previous, but the first item's previous one is the
    last item, so a piece of the paragraph can pair any two: any two neighbours count.)"""
    places = {alphabet.index(item) for item in items if item in alphabet}
    return any(place + 1 in places for place in places)


def numbered_list_items(paragraph: str) -> list[int]:
    """The numbers pysbd's NUMBERED_LIST_REGEX_1 finds: 1-2 digits before `. ` or `.)` after a
    space, the start, or a dash or bullet there (`s-` before `.)`: pysbd's own quirk)."""
    items = []
    for match in _NUMBERED_LIST_PERIODS.finditer(paragraph):
        begin = match.start()
        before = paragraph[begin - 1] if begin else ""
        if before.isdecimal():  # inside a longer number
            continue
        two = paragraph[begin - 2] if begin >= 2 else ""  # "" is the start
        if not before or before.isspace():
            ok = True
        elif before == "-" and paragraph[match.end() + 1] == ")":
            ok = two in ("", "s")  # pysbd writes (?<=s\-) there, not (?<=\s\-)
        elif before in "-⁃":
            ok = two == "" or two.isspace()
        else:
            ok = False
        if ok:
            items.append(int(match.group()))
    return items


def _consecutive(numbers: list[int]) -> bool:
    """pysbd marks a numbered list when two neighbouring items follow each other."""
    return any(b == a + 1 or {a, b} == {0, 9} for a, b in zip(numbers, numbers[1:], strict=False))


class _Spans:
    """Half-open spans, merged and sorted, with a membership test for positions."""

    def __init__(self, spans: list[tuple[int, int]]):
        self.starts: list[int] = []
        self.ends: list[int] = []
        for begin, finish in sorted(spans):
            if self.ends and begin <= self.ends[-1]:
                self.ends[-1] = max(self.ends[-1], finish)
            else:
                self.starts.append(begin)
                self.ends.append(finish)

    def __contains__(self, position: int) -> bool:
        index = bisect_right(self.starts, position) - 1
        return index >= 0 and position < self.ends[index]


def _protected(paragraph: str) -> tuple[_Spans, _Spans, set[int]]:
    """What pysbd reads as one unit (quotes, brackets, parentheses, `--` asides).

    Returns every span, generously (an opening with no closing protects the rest of the paragraph;
    nested parentheses from the outer opening), the spans pysbd protects for certain, and the
    positions of the quotes that close one of those. Every span pysbd protects is inside a generous
    one, so no cut falls inside it."""
    length = len(paragraph)
    generous, exact, closing_quotes = [], [], set()
    # pysbd hides `(iv)` before a capital after it has protected the parentheses but before it
    # reads a sentence opening with "(" up to the next ")"
    roman_closers = {match.end() - 1 for match in _ROMAN_PARENS.finditer(paragraph)} if "(" in paragraph else set()
    for opening, closing, single in _PAIRS:
        index = 0
        while (begin := paragraph.find(opening, index)) >= 0:
            if single and begin and not paragraph[begin - 1].isspace():
                index = begin + 1
                continue
            close = paragraph.find(closing, begin + len(opening))
            while single and close >= 0 and close + 1 < length and paragraph[close + 1] in _ASCII_LETTERS:
                close = paragraph.find(closing, close + 1)
            if close < 0:
                generous.append((begin, length))
                break
            if close == begin + 1 and not single:  # pysbd's pattern needs something between: no pair here
                index = begin + 1
                continue
            reach = close
            while opening == "(" and reach in roman_closers:  # a sentence opening "(" ends at a later ")"
                reach = paragraph.find(")", reach + 1)
            generous.append((begin, length if reach < 0 else reach + 1))
            if opening in ('"', "“"):
                exact.append((begin, close + 1))
                closing_quotes.add(close)
            elif opening in "[«" or (opening == "(" and paragraph.find("(", begin + 1, close) < 0):
                exact.append((begin, close + 1))
            index = close + len(closing)
    index = 0
    while (begin := paragraph.find("--", index)) >= 0:  # `-- aside --`: no dash between (pysbd's pattern)
        dash = paragraph.find("-", begin + 2)
        if dash >= 0 and paragraph.startswith("--", dash):
            generous.append((begin, dash + 2))
            exact.append((begin, dash + 2))
            index = dash + 2
        else:
            index = begin + 1
    return _Spans(generous), _Spans(exact), closing_quotes


def _cuts(paragraph: str) -> tuple[list[int], _Spans, _Spans] | None:
    """Where pysbd certainly ends a sentence (step 1), as positions just after each end, and the
    spans in which pysbd certainly ignores stops; None when no stop certainly stays a stop (pysbd
    then leaves the whole paragraph as one sentence unless it decides otherwise)."""
    generous, exact, closing_quotes = _protected(paragraph)
    cuts = []
    for match in _STOP_SPACE.finditer(paragraph):
        stop = match.start()
        begin = paragraph.rfind(" ", 0, stop) + 1
        word = paragraph[begin:stop]
        if not word or any(c.isspace() for c in word) or stop in generous:
            continue
        if word[-1] not in _CLOSERS:  # a word: not an abbreviation, nor a list number opening the paragraph
            if len(word) < 2 or not word.isalnum() or word.lower() in _ABBREVIATIONS:
                continue
            if begin == 0 and len(word) <= 2 and word.isdigit():
                continue
        if paragraph[stop] == "!" and (word.endswith(("Yahoo", "Yum")) or match.group(1).islower()):
            continue
        cuts.append(stop + 1)
    if not cuts and not _final_stop(paragraph):
        return None
    for match in _QUOTE_END.finditer(paragraph):
        quote = match.end() - 1
        if quote in closing_quotes and match.end() not in generous:
            cuts.append(match.end())
    return sorted(cuts), generous, exact


def _final_stop(paragraph: str) -> bool:
    """The paragraph ends with a stop pysbd leaves a stop: right at the end (no space after it), after
    a word of letters or digits or a closing quote or bracket (not `P.M.`, not an ellipsis, not Yahoo!)."""
    if len(paragraph) < 2 or paragraph[-1] not in ".?!":
        return False
    word = paragraph[paragraph.rfind(" ") + 1 : -1]
    if not word or any(c.isspace() for c in word) or paragraph.endswith(("Yahoo!", "Yum!")):
        return False
    return word[-1] in _CLOSERS or word.isalnum()


def _is_plain(paragraph: str, start: int, end: int, exact: _Spans) -> bool:
    """paragraph[start:end] (starting with no space) is one sentence to pysbd: no stop inside can end
    a sentence, and it holds no quotation pysbd would split after."""
    last = end - 1
    while paragraph[last].isspace():
        last -= 1
    if paragraph[last] == "!" and paragraph.endswith(("Yahoo!", "Yum!"), start, last + 1):
        return False
    if _SPLIT_QUOTE.search(paragraph, start, end):
        return False
    return all(_never_ends(paragraph, match.start(), exact) for match in _STOP.finditer(paragraph, start, last))


def _never_ends(paragraph: str, stop: int, exact: _Spans) -> bool:
    """pysbd hides this stop before it looks for sentence ends (and never brings it back there)."""
    if stop in exact:  # inside quotes, brackets, parentheses
        return True
    if paragraph[stop] != ".":
        return False
    before = paragraph[stop - 1] if stop else ""
    after = paragraph[stop + 1] if stop + 1 < len(paragraph) else ""
    if after.isdecimal() or (before.isdecimal() and after and not after.isspace()):
        return True  # 3.5, 2019.10 (Numbers rules)
    if before in _WORD_CHARS and after in _WORD_CHARS and (stop < 2 or paragraph[stop - 2] != "."):
        return True  # example.com (WithMultiplePeriodsAndEmailRule; in www.x.com the x is taken by w.x)
    if not after.isspace() and after not in ".:-?,":
        return False
    begin = stop
    while begin and not paragraph[begin - 1].isspace():
        begin -= 1
    word = paragraph[begin:stop]
    following = paragraph[stop + 2 : stop + 3]  # after exactly one space
    if len(word) == 1 and "A" <= word <= "Z" and word != "I":  # an initial: J. Smith
        return after.isspace() or (begin > 0 and after == "," and following.isspace())
    if _MULTI_PERIOD.fullmatch(paragraph, begin, stop + 1):  # U.S. officials (lower case next)
        rest = paragraph[stop + 1 : stop + 40].lstrip()
        return after.isspace() and rest[:1].islower() and rest[:1].isascii()
    if not word.isalpha():
        return False
    lower = word.lower()
    if lower in _PREPOSITIVE:  # Dr. Smith
        return after.isspace()
    if lower in _NUMBER_ABBREVIATIONS:  # No. 5
        return after.isspace() and (following.isdecimal() or paragraph[stop + 1 :].lstrip()[:1] == "(")
    if lower in _GENERAL_ABBREVIATIONS:  # Inc. said, etc., and
        if after in ".:-?,":
            return True
        return after.isspace() and ("a" <= following <= "z" or following.isdecimal() or following == "(")
    return False


def _roman_before(paragraph: str, first: int, close: int) -> bool:
    """pysbd hides `(iv)`-style numerals before a capital, so their `)` closes nothing."""
    match = _ROMAN_PARENS.match(paragraph, paragraph.rfind("(", first, close))
    return match is not None and match.end() == close + 1


def _split_piece(
    paragraph: str, start: int, end: int, generous: _Spans, exact: _Spans, out: list[tuple[int, int]]
) -> None:
    """Split paragraph[start:end], which begins where pysbd begins a sentence (step 2, else 3)."""
    while found := _NOT_SPACE.search(paragraph, start, end):
        first = found.start()
        if paragraph[first] == "(":  # pysbd reads "(…)" before a capital as a sentence of its own
            close = paragraph.find(")", first + 1, end)
            if (
                close - first > 2
                and close + 2 < len(paragraph)
                and paragraph[close + 1].isspace()
                and "A" <= paragraph[close + 2] <= "Z"
                and close + 1 not in generous
                and not _roman_before(paragraph, first, close)
                and not _SPLIT_QUOTE.search(paragraph, first, close + 1)
            ):
                out.append((first, close + 1))
                start = close + 1
                continue
        if paragraph[first] in _OPENING or not _is_plain(paragraph, first, end, exact):
            _split_unsure(paragraph, start, end, out, part=True)
        else:
            _add_stripped(paragraph, first, end, out)
        return


def _paragraph_spans(paragraph: str, out: list[tuple[int, int]]) -> None:
    found = None if _whole_paragraph_only(paragraph) else _cuts(paragraph)
    if found is None:
        _split_unsure(paragraph, 0, len(paragraph), out, part=False)
        return
    cuts, generous, exact = found
    start = 0
    for end in [*cuts, len(paragraph)]:
        if end > start:
            _split_piece(paragraph, start, end, generous, exact, out)
            start = end


def _paragraph_spans_pysbd(paragraph: str, out: list[tuple[int, int]]) -> None:
    _locate(paragraph, 0, len(paragraph), _pysbd_pieces(paragraph), out)


def _split(text: str, split_paragraph: Callable[[str, list], None]) -> list[SentenceSpan]:
    spans: list[SentenceSpan] = []
    for line in _LINE.finditer(text):
        paragraph, offset = line.group(), line.start()
        if not paragraph.strip():
            continue
        reviewable = not BOILERPLATE.match(paragraph)
        found: list[tuple[int, int]] = []
        if reviewable:
            split_paragraph(paragraph, found)
        else:
            _add_stripped(paragraph, 0, len(paragraph), found)
        for start, end in found:
            spans.append(
                SentenceSpan(len(spans), offset + start, offset + end, text[offset + start : offset + end], reviewable)
            )
    return spans


def split_sentences(text: str) -> list[SentenceSpan]:
    """Split `text` into sentences in document order, never overlapping, in time linear in its length.

    Each sentence is whitespace-trimmed and `text[s.start:s.end] == s.text`. Boilerplate
    lines (an "Original Source:" trailer, credits) come back with `reviewable=False`.
    """
    return _split(text, _paragraph_spans)


def split_sentences_pysbd(text: str) -> list[SentenceSpan]:
    """The reference split: pysbd on each whole paragraph, as before the fast path. Its time grows
    faster than the paragraph's length: for tests and benchmarks only."""
    return _split(text, _paragraph_spans_pysbd)
