"""Pure conversions between Label Studio JSON and our marks (no ORM, no network).

Offsets: Label Studio's `start`/`end` on a <Text> object count Unicode code points, which are
Python string indices, so no conversion is needed; every region's `text` is still checked
against `sentence_text[start:end]` and a mismatch is rejected.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import cast

from django.utils.dateparse import parse_datetime

from annotate.codebook import Label, SourceKind
from annotate.models import NOTE_MAX_LENGTH, Source
from labelstudio.schema import annotation_result

from .config import (
    CUE_SPAN_LABEL,
    LABEL_FROM_NAME,
    NOTE_FROM_NAME,
    SOURCE_KIND_FROM_NAME,
    SOURCE_SPAN_LABEL,
    SPAN_LABELS,
    SPANS_FROM_NAME,
    TO_NAME,
)

SOURCE_NAME_MAX_LENGTH = cast(int, Source._meta.get_field("name").max_length)  # a CharField's


class ConversionError(ValueError):
    """An annotation that cannot become a mark; the message lists every problem found."""


@dataclass(frozen=True)
class ParsedMark:
    """One Label Studio annotation as our mark; spans are offsets into the sentence text."""

    label: str
    source_span: tuple[int, int] | None = None
    source_text: str = ""
    source_kind: str | None = None
    cue_span: tuple[int, int] | None = None
    note: str = ""


def suggestion_result(suggestion: dict, text: str, prefix: str) -> list[dict]:
    """A prediction `result` for one suggestion of suggestions.suggest (label -> Choices, spans -> Labels)."""
    source_kind = suggestion.get("source_kind")
    record = {
        "label": suggestion["label"],
        "source_span": suggestion.get("source_span"),
        "source": {"kind": source_kind} if source_kind else None,
        "cue_span": suggestion.get("cue_span"),
    }
    return annotation_result(record, text, prefix)


def prediction_for(suggestion: dict, text: str, prefix: str) -> dict:
    """A Label Studio prediction (model version, score, result) for one suggestion."""
    return {
        "model_version": suggestion["model_version"],
        "score": float(suggestion.get("confidence") or 0.0),
        "result": suggestion_result(suggestion, text, prefix),
    }


def _span(value: dict, text: str, tag: str, problems: list[str]) -> tuple[int, int] | None:
    start, end, region_text = value.get("start"), value.get("end"), value.get("text")
    if not isinstance(start, int) or not isinstance(end, int) or isinstance(start, bool) or isinstance(end, bool):
        problems.append(f"{tag} span has no integer start/end ({start!r}, {end!r})")
        return None
    if not 0 <= start < end <= len(text):
        problems.append(f"{tag} span [{start}, {end}] is outside the sentence (length {len(text)})")
        return None
    if region_text != text[start:end]:
        problems.append(
            f"{tag} span [{start}, {end}] reads {text[start:end]!r} in the sentence but "
            f"Label Studio says {region_text!r}"
        )
        return None
    return start, end


def _whole(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def check_task(row) -> str | None:
    """What is wrong with the shape of a task row ({id, data, annotations}), or None."""
    if not isinstance(row, dict):
        return f"a task is an object, not {type(row).__name__}"
    if row.get("id") is not None and not (_whole(row["id"]) and row["id"] >= 0):
        return f"task id {_short(row['id'])} is not a whole number"
    if row.get("data") is not None and not isinstance(row["data"], dict):
        return f"task {row.get('id')}: data is {type(row['data']).__name__}, not an object"
    if row.get("annotations") is not None and not isinstance(row["annotations"], list):
        return f"task {row.get('id')}: annotations is {type(row['annotations']).__name__}, not a list"
    return None


def check_annotation(entry) -> str | None:
    """What is wrong with the shape of one annotation of a task, or None (its `result` is
    checked by parse_result, its timestamps by parse_timestamp)."""
    if not isinstance(entry, dict):
        return f"an annotation is an object, not {type(entry).__name__}"
    if entry.get("id") is not None and not (_whole(entry["id"]) or isinstance(entry["id"], str)):
        return f"annotation id {_short(entry['id'])} is not a number or a string"
    if isinstance(entry.get("id"), str) and len(entry["id"]) > 100:
        return "annotation id is longer than 100 characters"
    if entry.get("result") is not None and not isinstance(entry["result"], list):
        return f"result is {type(entry['result']).__name__}, not a list"
    if entry.get("was_cancelled") is not None and not isinstance(entry["was_cancelled"], bool):
        return f"was_cancelled {_short(entry['was_cancelled'])} is not true or false"
    return None


def _short(value, limit: int = 60) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _strings(value, what: str, problems: list[str]) -> list[str]:
    """A list of strings from the payload, or a problem (a string is not taken letter by letter)."""
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(part, str) for part in value):
        problems.append(f"{what} {_short(value)} is not a list of strings")
        return []
    return value


def parse_result(result: list, text: str) -> ParsedMark:
    """Turn an annotation `result` on the sentence `text` into a ParsedMark, checked against the codebook.

    Raises ConversionError naming every problem: no label or several, a value outside the codebook,
    a span whose offsets do not read its text, more than one SOURCE or CUE span, a source kind on
    no SOURCE span, an attribution without a SOURCE span (the database requires its source).
    Items of controls that are not ours (other from_name or to_name) are ignored.
    """
    if not isinstance(result, list):
        raise ConversionError("result is not a list")
    problems: list[str] = []
    labels: list[str] = []
    regions: dict[str, list[tuple[str | None, tuple[int, int]]]] = {tag: [] for tag in SPAN_LABELS}
    kinds: list[tuple[str | None, tuple[int | None, int | None], list]] = []
    notes: list[str] = []
    for item in result:
        if not isinstance(item, dict) or item.get("to_name", TO_NAME) != TO_NAME:
            continue
        value = item.get("value")
        if not isinstance(value, dict):
            value = {}
        name = item.get("from_name")
        if name == LABEL_FROM_NAME:
            labels.extend(_strings(value.get("choices"), "label choices", problems))
        elif name == SPANS_FROM_NAME:
            tags = _strings(value.get("labels"), "span labels", problems)
            if len(tags) != 1 or tags[0] not in SPAN_LABELS:
                problems.append(f"span labels {tags!r}: each span needs exactly one of {', '.join(SPAN_LABELS)}")
                continue
            span = _span(value, text, tags[0], problems)
            if span is not None:
                regions[tags[0]].append((item.get("id"), span))
        elif name == SOURCE_KIND_FROM_NAME:
            choices = _strings(value.get("choices"), "source kind choices", problems)
            kinds.append((item.get("id"), (value.get("start"), value.get("end")), choices))
        elif name == NOTE_FROM_NAME:
            notes.extend(_strings(value.get("text"), "note text", problems))
    label = None
    if not labels:
        problems.append("no label chosen")
    elif len(labels) > 1:
        problems.append(f"several labels {labels!r}: choose one")
    elif labels[0] not in Label.values:
        problems.append(f"label {labels[0]!r} is not in the codebook ({', '.join(Label.values)})")
    else:
        label = labels[0]
    for tag, found in regions.items():
        if len(found) > 1:
            problems.append(f"{len(found)} {tag} spans: a mark has at most one")
    source = regions[SOURCE_SPAN_LABEL][0] if len(regions[SOURCE_SPAN_LABEL]) == 1 else None
    cue = regions[CUE_SPAN_LABEL][0][1] if len(regions[CUE_SPAN_LABEL]) == 1 else None
    source_kind = None
    for region_id, (start, end), choices in kinds:
        on_source = source is not None and (region_id == source[0] or (start, end) == source[1])
        if not on_source:
            problems.append(f"source kind {choices!r} is not on a SOURCE span")
        elif len(choices) != 1 or choices[0] not in SourceKind.values:
            problems.append(f"source kind {choices!r} is not one of the codebook's ({', '.join(SourceKind.values)})")
        else:
            source_kind = choices[0]
    if label == Label.ATTRIBUTION and not regions[SOURCE_SPAN_LABEL]:
        problems.append("an attribution needs a SOURCE span (every attribution is stored with its source)")
    note = "\n".join(notes).strip()
    if len(note) > NOTE_MAX_LENGTH:
        problems.append(f"the note has {len(note):,} characters, over the {NOTE_MAX_LENGTH:,}-character limit")
    if source is not None and len(text[source[1][0] : source[1][1]].strip()) > SOURCE_NAME_MAX_LENGTH:
        problems.append(f"the SOURCE span is longer than a source name may be ({SOURCE_NAME_MAX_LENGTH} characters)")
    if problems:
        raise ConversionError("; ".join(problems))
    assert label is not None  # (no problems: one codebook label)
    return ParsedMark(
        label=label,
        source_span=source[1] if source else None,
        source_text=text[source[1][0] : source[1][1]] if source else "",
        source_kind=source_kind,
        cue_span=cue,
        note=note,
    )


def parse_timestamp(value) -> datetime | None:
    """Label Studio's ISO timestamps ("…Z") or SDK datetimes as aware datetimes; None when absent."""
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        return value
    if not isinstance(value, str):
        raise ConversionError(f"timestamp {_short(value)} is not a string")
    try:
        parsed = parse_datetime(value.replace("Z", "+00:00"))
    except ValueError:  # well formed but not a date, e.g. 2026-13-45
        parsed = None
    if parsed is None:
        raise ConversionError(f"unreadable timestamp {_short(value)}")
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed


_USERNAME_BAD = re.compile(r"[^\w.@+-]+")


def username_for(email: str, taken: set[str], max_length: int = 150) -> str:
    """A unique Django username from an e-mail's local part ("ana.lima@x.org" -> "ana.lima", "ana.lima-2")."""
    base = _USERNAME_BAD.sub("-", email.split("@", 1)[0]).strip("-.") or "ls-user"
    base = base[: max_length - 4]
    taken_lower = {name.lower() for name in taken}
    candidate, number = base, 1
    while candidate.lower() in taken_lower:
        number += 1
        candidate = f"{base}-{number}"
    return candidate
