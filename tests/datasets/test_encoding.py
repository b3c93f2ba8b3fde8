"""`writers.encode` (orjson) writes exactly what `writers.dumps` (the standard library) writes for
every value an export record or Label Studio task can hold, so swapping encoders changed no byte."""

import json

import pytest

from datasets.writers import dumps, encode


def test_every_character_is_escaped_as_the_standard_library_does():
    characters = [chr(code) for code in range(0x110000) if not 0xD800 <= code <= 0xDFFF]  # no lone surrogates in text
    for start in range(0, len(characters), 4096):
        text = "".join(characters[start : start + 4096])
        assert encode(text) == dumps(text).encode(), f"characters from U+{ord(text[0]):04X}"


def test_every_agreement_value_is_written_as_repr_writes_it():
    """Agreement is a share rounded to 4 places: 0.0 to 1.0."""
    values = {round(k / n, 4) for n in range(1, 300) for k in range(n + 1)} | {i / 10_000 for i in range(10_001)}
    for value in sorted(values):
        assert encode(value) == dumps(value).encode(), value


@pytest.mark.parametrize(
    "value",
    [
        {"a": None, "b": True, "c": False, "d": -3, "e": 2**63 - 1, "f": [1, [2, {"g": "h"}]], "é": '\u2028"\\'},
        [],
        {},
        "",
    ],
)
def test_structures_and_key_order_match(value):
    assert encode(value) == dumps(value).encode()
    assert encode(value, line=True) == dumps(value).encode() + b"\n"
    assert json.loads(encode(value)) == value
