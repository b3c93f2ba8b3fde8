"""Gold labels and gold sources from reviewers' marks (docs/scoring.md section 1).

Pure functions over plain values, no ORM: the caller loads the marks and the adjudication.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Hashable, Sequence
from dataclasses import dataclass
from typing import TypeVar

ADJUDICATED = "adjudicated"
UNANIMOUS = "unanimous"
MAJORITY = "majority"
DISPUTED = "disputed"
UNMARKED = "unmarked"

Value = TypeVar("Value", bound=Hashable)


@dataclass(frozen=True)
class GoldLabel:
    """The label a sentence counts as, and how it was reached (`label_source`).

    label_source is "adjudicated", "unanimous" or "majority" (label set), "disputed" (label None:
    waits for adjudication and stays out of scores) or "unmarked" (label None: no marks yet).
    """

    label: str | None
    label_source: str

    @property
    def is_settled(self) -> bool:
        return self.label is not None


@dataclass(frozen=True)
class GoldSource:
    """The registry id of an attribution's source, and how it was reached (as `GoldLabel`)."""

    source_id: int | None
    source_source: str

    @property
    def is_settled(self) -> bool:
        return self.source_id is not None


def _agreement(values: Sequence[Value]) -> tuple[Value | None, str]:
    """(value, "unanimous" | "majority") when all or a strict majority (> half) agree, else
    (None, "disputed"); (None, "unmarked") for no values."""
    if not values:
        return None, UNMARKED
    value, count = Counter(values).most_common(1)[0]
    if count == len(values):
        return value, UNANIMOUS
    return (value, MAJORITY) if 2 * count > len(values) else (None, DISPUTED)


def resolve_gold_label(labels: Sequence[str], adjudicated: str | None = None) -> GoldLabel:
    """Gold label of one sentence.

    Input: one label per reviewer's mark; the lead's adjudicated label, if any (None or "": none).
    Output, first rule that applies: the adjudicated label ("adjudicated", even with no marks);
    no marks -> (None, "unmarked"); all marks equal -> "unanimous" (a single mark counts as
    unanimous); one label on more than half of the marks -> "majority"; else (None, "disputed"),
    e.g. a 1-1 tie of two reviewers.
    """
    if adjudicated:
        return GoldLabel(label=adjudicated, label_source=ADJUDICATED)
    label, how = _agreement(labels)
    return GoldLabel(label=label, label_source=how)


def resolve_gold_source(source_ids: Sequence[int | None], adjudicated_source: int | None = None) -> GoldSource:
    """Gold source of an attribution, compared by registry id.

    Input: the source id chosen by each reviewer who marked the sentence an attribution (None when
    that reviewer chose none); the lead's adjudicated source id, if any.
    Output: the adjudicated id ("adjudicated"); else the id chosen by all ("unanimous") or by more
    than half of those reviewers ("majority"; a reviewer without a source counts in the total);
    (None, "unmarked") when nobody chose a source (or the list is empty); else (None, "disputed").
    """
    if adjudicated_source is not None:
        return GoldSource(source_id=adjudicated_source, source_source=ADJUDICATED)
    if all(source_id is None for source_id in source_ids):
        return GoldSource(source_id=None, source_source=UNMARKED)
    source_id, how = _agreement(source_ids)
    if source_id is None:
        return GoldSource(source_id=None, source_source=DISPUTED)
    return GoldSource(source_id=source_id, source_source=how)
