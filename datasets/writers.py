"""One writer per format; each appends rows to its file as they come and fsyncs on close.

Writers write inside the export's temporary folder; `services.write_export` renames the folder
into place only when every writer finished, so no half-written file ever has the final name.
"""

from __future__ import annotations

import csv
import hashlib
import json
import os
import re
import tempfile
from pathlib import Path
from typing import IO, Any

import orjson

from labelstudio.schema import task_for

from .records import Row

FILENAMES = {
    "jsonl": "sentences.jsonl",
    "csv": "sentences.csv",
    "labelstudio": "labelstudio.json",
    "conll": "spans.conll",
}
CSV_COLUMNS = [
    "sentence_id",
    "article_id",
    "outlet",
    "url",
    "published",
    "position",
    "start",
    "end",
    "text",
    "label",
    "label_source",
    "source_name",
    "source_kind",
    "source_side",
    "agreement",
    "split",
    "n_annotations",
]
BUFFER = 1 << 20  # bytes written per system call
TOKEN = re.compile(r"\w+(?:['’-]\w+)*|[^\w\s]")


def dumps(value) -> str:
    """The one JSON encoding of the export: UTF-8 text, compact, keys in record order.

    Records and tasks go through `encode`, the same bytes faster (tests/datasets/test_encoding.py
    checks every character and every agreement value); the card, whose floats are free (ratios),
    through this."""
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def encode(value, *, line: bool = False) -> bytes:
    """`dumps(value)` as UTF-8 bytes (and a newline when `line`), by orjson: for records and tasks
    (strings, integers, null, booleans, and agreement floats rounded to 4 places in [0, 1], which
    orjson writes as `repr` does)."""
    return orjson.dumps(value, option=orjson.OPT_APPEND_NEWLINE if line else None)


class Writer:
    name = ""
    binary = False  # text writers get a UTF-8 text file; binary ones write `encode`d bytes

    def __init__(self, folder: Path):
        self.path = folder / FILENAMES[self.name]
        self.file: IO[Any]  # bytes when `binary`, else text
        if self.binary:
            self.file = open(self.path, "wb", buffering=BUFFER)  # noqa: SIM115 (closed in close/abort)
        else:
            self.file = open(self.path, "w", encoding="utf-8", newline="", buffering=BUFFER)  # noqa: SIM115
        self.rows = 0

    def write(self, row: Row) -> None:
        raise NotImplementedError

    def sha256(self) -> str | None:
        """The file's SHA-256 when the writer hashed what it wrote (else the card reads the file)."""
        return None

    def finish(self) -> None:
        """Write what must come after the last row (nothing by default)."""

    def close(self) -> None:
        self.finish()
        self.file.flush()
        os.fsync(self.file.fileno())
        self.file.close()

    def abort(self) -> None:
        if not self.file.closed:
            self.file.close()


class JsonlWriter(Writer):
    """Hashes what it writes as it writes it, so the card's checksum needs no second read of the
    file. Lines are gathered in one reused buffer, then written and hashed about BUFFER bytes at a
    time: one call each per block instead of per line (both release the GIL for a long input, and
    taking it back from the read-ahead thread costs up to a switch interval each time)."""

    name = "jsonl"
    binary = True

    def __init__(self, folder: Path):
        super().__init__(folder)
        self.digest = hashlib.sha256()
        self.pending = bytearray()

    def write(self, row: Row) -> None:
        self.pending += encode(row.record, line=True)
        self.rows += 1
        if len(self.pending) >= BUFFER:
            self._flush()

    def _flush(self) -> None:
        self.file.write(self.pending)
        self.digest.update(self.pending)
        del self.pending[:]

    def finish(self) -> None:
        self._flush()

    def sha256(self) -> str | None:
        return self.digest.hexdigest()


class CsvWriter(Writer):
    """One row per sentence; reviewers' labels and sources in `label:<username>`/`source:<username>`
    columns. The reviewer set is known only at the end, so rows are spooled to a temporary file
    beside the output and written under the header on close (memory stays bounded)."""

    name = "csv"

    def __init__(self, folder: Path):
        super().__init__(folder)
        self.spool = tempfile.TemporaryFile("w+b", dir=folder)  # noqa: SIM115
        self.reviewers: set[str] = set()
        self.claim_groups = False

    def write(self, row: Row) -> None:
        record = row.record
        source = record["source"] or {}
        fixed = [record[name] for name in CSV_COLUMNS[:11]] + [
            source.get("name"),
            source.get("kind"),
            source.get("side"),
            record["agreement"],
            record["split"],
            len(record["annotations"]),
        ]
        if "claim_group" in record:
            self.claim_groups = True
            fixed.append(record["claim_group"])
        marks = {m["reviewer"]: [m["label"], (m["source"] or {}).get("name")] for m in record["annotations"]}
        self.reviewers.update(marks)
        self.spool.write(orjson.dumps([fixed, marks], option=orjson.OPT_APPEND_NEWLINE))
        self.rows += 1

    def finish(self) -> None:
        reviewers = sorted(self.reviewers)
        writer = csv.writer(self.file, lineterminator="\n")
        fixed_columns = [*CSV_COLUMNS, "claim_group"] if self.claim_groups else CSV_COLUMNS
        writer.writerow(fixed_columns + [f"{kind}:{r}" for r in reviewers for kind in ("label", "source")])
        self.spool.seek(0)
        for line in self.spool:
            fixed, marks = orjson.loads(line)
            extra = []
            for reviewer in reviewers:
                extra.extend(marks.get(reviewer, (None, None)))
            writer.writerow(["" if value is None else value for value in fixed + extra])
        self.spool.close()

    def abort(self) -> None:
        super().abort()
        self.spool.close()


class LabelStudioWriter(Writer):
    """A JSON array of tasks, written element by element."""

    name = "labelstudio"
    binary = True

    def write(self, row: Row) -> None:
        self.file.write(b"[\n" if self.rows == 0 else b",\n")
        self.file.write(encode(task_for(row.record, row.article_title, row.article_text)))
        self.rows += 1

    def finish(self) -> None:
        self.file.write(b"\n]\n" if self.rows else b"[]\n")


def span_marks(record: dict) -> dict | None:
    """The mark whose spans make the BIO tags: the first reviewer (by username) whose label is the
    gold label, whose source is the gold source (when there is one), and who marked a span."""
    if record["label"] is None:
        return None
    for mark in record["annotations"]:
        if mark["label"] != record["label"]:
            continue
        if record["source"] is not None and mark["source"] != record["source"]:
            continue
        if mark["source_span"] or mark["cue_span"]:
            return mark
    return None


def bio_tags(text: str, source_span: list[int] | None, cue_span: list[int] | None) -> list[tuple[str, str]]:
    """(token, tag) pairs: B-/I-SOURCE and B-/I-CUE for tokens overlapping the spans, else O.
    Where the spans overlap, SOURCE wins."""
    pairs = []
    inside = None
    for match in TOKEN.finditer(text):
        start, end = match.span()
        tag = "O"
        for name, span in (("SOURCE", source_span), ("CUE", cue_span)):
            if span and start < span[1] and end > span[0]:
                tag = name
                break
        if tag == "O":
            inside = None
            pairs.append((match.group(), "O"))
        else:
            pairs.append((match.group(), ("I-" if inside == tag else "B-") + tag))
            inside = tag
    return pairs


class ConllWriter(Writer):
    """CoNLL-style token/tag lines, a blank line after each sentence, `# key = value` comments."""

    name = "conll"

    def write(self, row: Row) -> None:
        record = row.record
        mark = span_marks(record) or {"source_span": None, "cue_span": None}
        lines = [
            f"# sentence_id = {record['sentence_id']}",
            f"# label = {record['label']}",
            f"# split = {record['split']}",
        ]
        lines += [f"{token}\t{tag}" for token, tag in bio_tags(record["text"], mark["source_span"], mark["cue_span"])]
        self.file.write("\n".join(lines) + "\n\n")
        self.rows += 1


WRITERS = {cls.name: cls for cls in (JsonlWriter, CsvWriter, LabelStudioWriter, ConllWriter)}
