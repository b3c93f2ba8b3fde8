import json
import os
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from annotate.sentences import split_sentences


def _assert_invariants(text, spans):
    previous_end = 0
    for position, span in enumerate(spans):
        assert span.position == position
        assert text[span.start : span.end] == span.text
        assert span.text == span.text.strip()
        assert span.text
        assert span.start >= previous_end, "sentences overlap or are out of order"
        previous_end = span.end


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "Dr. Smith met Gen. Jones at 9 a.m. in the U.S. on Monday. She left.",
            ["Dr. Smith met Gen. Jones at 9 a.m. in the U.S. on Monday.", "She left."],
        ),
        ("Inflation rose 3.5 per cent. Prices fell.", ["Inflation rose 3.5 per cent.", "Prices fell."]),
        ('"We will win," he said. They lost.', ['"We will win," he said.', "They lost."]),
        ("First paragraph without a stop\nSecond one.", ["First paragraph without a stop", "Second one."]),
        ("One.\n\n\nTwo.", ["One.", "Two."]),
        ("  padded  ", ["padded"]),
        ("", []),
        ("\n \n", []),
    ],
)
def test_split_sentences_boundaries(text, expected):
    spans = split_sentences(text)
    assert [s.text for s in spans] == expected
    _assert_invariants(text, spans)


def test_trailer_is_not_reviewable(sample_bytes):
    text = sample_bytes.decode()
    spans = split_sentences(text)
    assert spans[-1].text == "Original Source: news.sky.com"
    assert spans[-1].reviewable is False
    assert all(s.reviewable for s in spans[:-1])
    _assert_invariants(text, spans)


def test_duplicated_summary_sentences_get_their_own_offsets(sample_bytes):
    text = sample_bytes.decode()
    doubled = text + "\n" + text
    spans = split_sentences(doubled)
    assert len(spans) == 2 * len(split_sentences(text))
    _assert_invariants(doubled, spans)


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.characters(codec="utf-8", exclude_categories=["Cs"]), max_size=400))
def test_offsets_hold_for_any_text(text):
    _assert_invariants(text, split_sentences(text))


words = st.sampled_from(
    [
        "U.S.",
        "Dr.",
        "Gen.",
        "a.m.",
        "3.5",
        "said",
        "“quoted”",
        "Assad’s",
        "the",
        "war",
        "😀",
        "e.g.",
        "No.",
        "1.",
        "?",
        "!",
        "...",
        "\n",
        "\n\n",
        "  ",
        "Mr.",
        "St.",
    ]
)


@settings(max_examples=300, deadline=None)
@given(st.lists(words, max_size=60).map(" ".join))
def test_offsets_hold_for_tricky_tokens(text):
    _assert_invariants(text, split_sentences(text))


# --- linear time (issue 12.1): pysbd only ever sees bounded windows -------------------------------

SENTENCE = "The minister said the budget would rise by 3.5 per cent next year, officials confirmed. "


class PysbdGivenTooMuch(BaseException):  # not an Exception: the splitter's fallback must not swallow it
    pass


def _pysbd_inputs(monkeypatch) -> list[int]:
    """Record the length of every text pysbd's processor is given; fail at once on a long one
    (pysbd would take minutes on it)."""
    import pysbd.processor

    from annotate.sentences import WINDOW

    seen: list[int] = []
    original = pysbd.processor.Processor.process

    def process(self):
        seen.append(len(self.text))
        if len(self.text) > WINDOW:
            raise PysbdGivenTooMuch(f"pysbd given {len(self.text):,} characters at once")
        return original(self)

    monkeypatch.setattr(pysbd.processor.Processor, "process", process)
    return seen


LONG_PARAGRAPHS = {
    "plain sentences": SENTENCE * 2400,
    "abbreviations everywhere": "Dr. Smith met Gen. Jones at 9 a.m. in the U.S. on Monday. " * 3500,
    "one unclosed parenthesis": "(" + SENTENCE * 2400,
    "one long quotation": '"' + SENTENCE * 2400 + '"',
    "quoted sentences": 'He said: "We will win. They lost." Then he left. ' * 4100,
    "no spaces": "x" * 200_000,
    "no stops": "word " * 40_000,
}


@pytest.mark.parametrize("shape", LONG_PARAGRAPHS)
def test_a_200_kb_paragraph_reaches_pysbd_only_in_bounded_windows(monkeypatch, shape):
    text = LONG_PARAGRAPHS[shape]
    assert len(text) >= 200_000
    assert "\n" not in text
    seen = _pysbd_inputs(monkeypatch)
    spans = split_sentences(text)
    assert spans
    assert sum(seen) <= len(text)  # every character at most once: linear in the input
    assert spans[0].start == len(text) - len(text.lstrip())
    assert spans[-1].end == len(text.rstrip())
    _assert_invariants(text, spans)
    for before, after in zip(spans, spans[1:], strict=False):  # nothing lost between sentences
        assert not text[before.end : after.start].strip()


def test_plain_sentences_never_reach_pysbd(monkeypatch):
    seen = _pysbd_inputs(monkeypatch)
    spans = split_sentences(SENTENCE * 100)
    assert len(spans) == 100
    assert seen == []


# --- the fast path gives pysbd's sentences (issue 17.1: quality unchanged) ------------------------

from annotate.sentences import split_sentences_pysbd  # noqa: E402

TRICKY = [
    'He said "we won. They lost." He left.',
    'He said "we won. They lost". He left.',
    '(a "b." C) D e.',
    "A (b. c) d. E",
    "He left. (then came back.) Next one.",
    "He left. then came back.",
    "He left! then came. He left! Then came.",
    "Hi (ab) The end. (ab) The end. (i) The end. (iv) The end.",
    "( Jan. He (c) May.",
    "(The (iv) Inc. ( art. the",
    "It Word. “quoted” I",
    "(ab) U.S. It",
    '(see (see !" (The pp. Capital s-2.) Ltd. I ,” "Hi." Inc. 2019. Word. 3.5 , Yahoo!    end No.',
    "Prices rose in 2019. The bank said. 1. First item. 2. Second item.",
    "See Yahoo! The site. Or Yum! It is.",
    "Total: 45%. Then 12. Then 3. Done.",
    "Mr. Smith went to Washington. He met Sen. Jones. I met him. It was 5 p.m. The end.",
    "The “first sentence.” The second. ‘Single quotes. Here.’ Then.",
    "A -- an aside. With a stop -- ends. Next.",
    'An empty "" pair. Then "a quote. Inside" and more. End.',
    "Citation.[1] Next sentence. Another.12 Next.",
    "a. first b. second c. third. The list.",
    "(The ” s-2.) A. (i) P.M.",
    "1. First. 2. Second. -3.) s-4.) The end.",
    "“quoted” 11. www.x.com Co. It went to a.b.c.d. The end.",
    '-- s-2.)  dead. ?demarcation a.m.  -- "A." B  bombing  Gen.(\tIn on.\t" etc.!" the  -- office.',
    "Dr. Smith met No. 5 and Inc. said, etc., that U.S. officials and J. Smith, I. Jones. I. The end.",
]


@pytest.mark.parametrize("text", TRICKY)
def test_fast_split_equals_pysbd(text):
    fast, reference = split_sentences(text), split_sentences_pysbd(text)
    assert [(s.start, s.end) for s in fast] == [(s.start, s.end) for s in reference]


TOKENS = """U.S. Dr. Gen. a.m. p.m. 3.5 said “quoted” Assad’s the 😀 e.g. No. 1. 2. ? ! ... Mr. The He I " ' “ ”
‘ ’ ( ) [ ]
-- word. word! Word. x. a. b. i. (a) (ii) 1) 2) 2019. 12. inc. etc. is. May. p. . , : Yahoo! ." ?" .” ,” 's workers'
(see « » lowercase Then Smith. J. .) Ph.D. www.x.com Jan. 10. -1. [1] .12 Co. KG (iv) (ab) (The "Hi." Gen.(
Inc. Corp. U.K. x.y a.b.c St. Sen. art. 5 officials ( , : - """
pieces = st.sampled_from(TOKENS.split())
separators = st.sampled_from([" ", " ", " ", "  ", "", "\u00a0", "\t"])


@settings(max_examples=400, deadline=None)
@given(st.lists(st.tuples(pieces, separators), max_size=60).map(lambda xs: "".join(a + b for a, b in xs)))
def test_fast_split_equals_pysbd_on_tricky_text(text):
    fast, reference = split_sentences(text), split_sentences_pysbd(text)
    assert [(s.start, s.end) for s in fast] == [(s.start, s.end) for s in reference]


DEVSET = Path(__file__).resolve().parents[2].parent / "shared" / "devset"


def test_development_set_matches_its_gold_splits():
    """The 14 Wikinews articles of ../shared/devset: every sentence exactly as in gold/*.sentences.json."""
    articles = sorted((DEVSET / "articles").glob("*.json"))
    if not articles:
        if os.environ.get("CI") == "true":
            pytest.fail(f"development set not found at {DEVSET}")
        pytest.skip(f"development set not found at {DEVSET}")
    for path in articles:
        text = json.loads(path.read_text(encoding="utf-8"))["text"]
        gold = json.loads((DEVSET / "gold" / f"{path.stem}.sentences.json").read_text(encoding="utf-8"))
        assert [(s.start, s.end) for s in split_sentences(text)] == [
            (s["start"], s["end"]) for s in gold["sentences"]
        ], path.name


# --- the faster detectors of pysbd's paragraph-wide features give pysbd's own answers ----------

markers = st.text(alphabet="abivx 12309.)(-⁃s\t'[]", max_size=40)


@settings(max_examples=500, deadline=None)
@given(markers)
def test_list_and_reference_detectors_equal_pysbds_regexes(text):
    import re

    from pysbd.lang.common import Common
    from pysbd.lists_item_replacer import ListItemReplacer as L

    from annotate import sentences

    assert sentences.numbered_list_items(text) == [int(m.strip()) for m in re.findall(L.NUMBERED_LIST_REGEX_1, text)]
    periods, parens = sentences.alphabetical_list_items(text)
    assert periods == re.findall(L.ALPHABETICAL_LIST_WITH_PERIODS, text)
    assert parens == [m for m in re.findall(L.ALPHABETICAL_LIST_WITH_PARENS, text) if len(m) <= 5]
    lists = L(text)
    lists.format_alphabetical_lists()
    lists.format_roman_numeral_lists()
    marked = any(
        sentences._alphabetical_list(items, a)
        for items in (periods, parens)
        for a in (L.LATIN_NUMERALS, L.ROMAN_NUMERALS)
    )
    if lists.text != text:  # pysbd marked a list: the paragraph is never cut
        assert marked
    assert sentences.has_numbered_reference(text) == bool(re.search(Common.NUMBERED_REFERENCE_REGEX, text))
