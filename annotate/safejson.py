"""JSON from outside with a nesting limit: every request body (DRF's default parser) and every JSON
line a command or import reads. A body such as 50,000 nested `[` is a clear client error, never a
RecursionError (a 500) or a deep recursion in the code that walks the value afterwards.

The limit is settings.JSON_MAX_DEPTH (default 64; Sourcemark's own payloads nest at most 6 deep).
"""

from __future__ import annotations

import json
from collections.abc import Iterable

from django.conf import settings
from rest_framework import parsers
from rest_framework.exceptions import ParseError

DEFAULT_MAX_DEPTH = 64


def max_depth() -> int:
    return int(getattr(settings, "JSON_MAX_DEPTH", DEFAULT_MAX_DEPTH))


class JSONTooDeep(json.JSONDecodeError):
    """A JSON value nested deeper than the limit (a JSONDecodeError, so callers that report
    malformed JSON report this too, with its own message)."""

    def __init__(self, limit: int, doc: str = ""):
        super().__init__(f"nested deeper than {limit} levels", doc if isinstance(doc, str) else "", 0)
        self.limit = limit


def depth(value) -> int:
    """How deep lists and objects nest in a parsed value ([] is 1, [[]] is 2, a scalar 0); iterative."""
    deepest, stack = 0, [(value, 1)]
    while stack:
        item, level = stack.pop()
        if isinstance(item, dict):
            children: Iterable = item.values()
        elif isinstance(item, list):
            children = item
        else:
            continue
        deepest = max(deepest, level)
        stack.extend((child, level + 1) for child in children if isinstance(child, dict | list))
    return deepest


def check_depth(value, limit: int | None = None):
    """`value` unchanged, or JSONTooDeep when it nests deeper than `limit` (default: the setting)."""
    limit = max_depth() if limit is None else limit
    if depth(value) > limit:
        raise JSONTooDeep(limit)
    return value


def loads(text: str | bytes, *, limit: int | None = None):
    """json.loads with the nesting limit: JSONTooDeep (a JSONDecodeError) when the text nests too
    deep, whether Python's own parser gives up first (RecursionError) or the value is checked after."""
    limit = max_depth() if limit is None else limit
    try:
        value = json.loads(text)
    except RecursionError:
        raise JSONTooDeep(limit) from None
    return check_depth(value, limit)


class JSONParser(parsers.JSONParser):
    """DRF's JSON parser with the nesting limit (the API's default parser): 400 with a clear message."""

    def parse(self, stream, media_type=None, parser_context=None):
        try:
            value = super().parse(stream, media_type, parser_context)
        except RecursionError:
            value = None
            too_deep = True
        else:
            too_deep = depth(value) > max_depth()
        if too_deep:
            raise ParseError(f"JSON parse error - nested deeper than {max_depth()} levels.")
        return value
