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
