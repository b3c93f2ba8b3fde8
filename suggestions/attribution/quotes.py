"""Quotation marks: whether a cue sits inside a quotation, and the shapes of a cue next to one
("…,” he said", "said: “…")."""

from __future__ import annotations

import re

# Right after a quotation: "“…”, wrote President Mnangagwa." / "“…,” he wrote."
AFTER_QUOTE_RE = re.compile(
    r"(?:[,.!?]?[”\"’]|[”\"’][,.!?])\s*(?:(?:he|she|they|it|[A-Z][\w’'.-]*(?:\s+[A-Z][\w’'.-]*){0,3})\s*)?$"
)


QUOTE_FOLLOW_RE = re.compile(r"\s*,?\s*[:“\"‘]")


QUOTE_BEFORE_RE = re.compile(
    r"(?:[,.!?]?[”\"]|[”\"][,.!?])\s*(?:he|she|they|it|[A-Z][\w’'.-]*(?:\s+[A-Z][\w’'.-]*){0,3})\s*$"
)


QUOTE_AFTER_RE = re.compile(r"\s*[,:]\s*[“\"]")


QUOTE_RE = re.compile(r"[“”\"«»]|(?<!\w)‘|’(?!\w)")


def inside_quote(text: str, position: int) -> bool:
    """Inside a quotation opened in this sentence. A closing mark met outside one means the
    sentence began inside a quotation (continued from the sentence before): it closes that one."""
    inside = False
    for mark in QUOTE_MARK_RE.finditer(text, 0, position):
        character, at = mark.group(), mark.start()
        if character == "“":
            inside = True
        elif character == "”":
            inside = False
        else:  # a straight quote opens after a space or a bracket and before a word
            before = text[at - 1] if at else " "
            after = text[at + 1] if at + 1 < len(text) else " "
            opening = (before.isspace() or before in "([{—–-:") and not after.isspace()
            inside = opening if not inside else False
    return inside


QUOTE_MARK_RE = re.compile(r"[“”\"]")


def next_to_quote(text: str, start: int, end: int) -> bool:
    return bool(QUOTE_BEFORE_RE.search(text, 0, start) or QUOTE_AFTER_RE.match(text, end))
