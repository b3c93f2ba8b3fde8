"""One writer per format; each appends rows to its file as they come and fsyncs on close.

Writers write inside the export's temporary folder; `services.write_export` renames the folder
into place only when every writer finished, so no half-written file ever has the final name.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

import orjson

from labelstudio.schema import task_for

from .options import ExportOptions
from .records import Row, reviewers_read

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
# A cell as csv.writer writes it (QUOTE_MINIMAL, "\n" line terminator) and the character after it:
# quoted, with quotes doubled, or unquoted (no comma, quote or newline).
_CELL = re.compile(r'("[^"]*(?:""[^"]*)*"|[^,"\n]*)([,\n])')


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
    # Writers that write through `_write` hash what they write as they write it, so the card's
    # checksum needs no second read of the file.
    hashed = False

    def __init__(self, folder: Path, options: ExportOptions):
        self.options = options
        self.path = folder / FILENAMES[self.name]
        self.file: IO[Any]  # bytes when `binary`, else text
        if self.binary:
            self.file = open(self.path, "wb", buffering=BUFFER)  # noqa: SIM115 (closed in close/abort)
        else:
            self.file = open(self.path, "w", encoding="utf-8", newline="", buffering=BUFFER)  # noqa: SIM115
        self.rows = 0
        self.digest = hashlib.sha256() if self.hashed else None

    def write(self, row: Row) -> None:
        raise NotImplementedError

    def _write(self, block: bytes) -> None:
        """Write `block` to the file and hash it (`hashed` writers: whole blocks, one call each)."""
        assert self.digest is not None, "only hashed writers write through _write"
        self.file.write(block)
        self.digest.update(block)

    def sha256(self) -> str | None:
        """The file's SHA-256 when the writer hashed what it wrote (else the card reads the file)."""
        return None if self.digest is None else self.digest.hexdigest()

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
    hashed = True

    def __init__(self, folder: Path, options: ExportOptions):
        super().__init__(folder, options)
        self.pending = bytearray()

    def write(self, row: Row) -> None:
        self.pending += encode(row.record, line=True)
        self.rows += 1
        if len(self.pending) >= BUFFER:
            self._flush()

    def _flush(self) -> None:
        self._write(self.pending)
        del self.pending[:]

    def finish(self) -> None:
        self._flush()


class CsvWriter(Writer):
    """One row per sentence; reviewers' labels and sources in `label:<username>`/`source:<username>`
    columns, sorted by username: the reviewers of the exported records, `claim_group` after the
    fixed columns when the records have it. The bytes are csv.writer's (QUOTE_MINIMAL, "\n" line
    terminator, None as an empty cell), made here by `_quote` (see there) and str/repr, about three
    times faster per row than through csv.writer; written and hashed in blocks as JsonlWriter does.

    One pass: at the first row the columns are taken from `records.reviewers_read` (one query, two
    with article filters: the reviewers whose marks the export reads) and every row is written at
    once. Those are the records' reviewers unless a filter applied to records in Python (gold label, label source,
    side, agreement) dropped every sentence of one of them, or marks changed while the export
    read (a reviewer whose marks were all deleted, or a new one). The writer notes which columns
    its rows used, and the marks of reviewers without a column (spooled to a temporary file, only
    those rows); when the two differ, `finish` rewrites the file once with the right columns
    (`_rewrite`), so the bytes are always those the records give. Memory stays bounded."""

    name = "csv"
    binary = True
    hashed = True
    ROWS_PER_BLOCK = 4096

    def __init__(self, folder: Path, options: ExportOptions):
        super().__init__(folder, options)
        self.pending: list[str] = []  # lines not yet written, without their newline
        self.fixed_columns = CSV_COLUMNS
        self.claim_groups = False
        self.columns: dict[str, int] = {}  # username -> index of its label cell in `blank`
        self.blank: list[str] = []  # the cells after n_annotations of a row without marks
        self.used: list[bool] = []  # per index of `blank`: whether a written row had a mark there
        self.article_id = None
        self.article_cells = ""  # article_id, outlet, url and published of the current article
        self.strays: IO[bytes] | None = None  # (row number, reviewer, cells) of marks by reviewers without a column
        self.stray_reviewers: set[str] = set()

    def _start(self, record: dict) -> None:
        """Column the rows by the reviewers the export reads, and write the header."""
        reviewers = sorted(reviewers_read(self.options))
        if "claim_group" in record:
            self.claim_groups = True
            self.fixed_columns = [*CSV_COLUMNS, "claim_group"]
        first = 1 if self.claim_groups else 0
        self.columns = {reviewer: first + 2 * i for i, reviewer in enumerate(reviewers)}
        self.blank = [""] * (first + 2 * len(reviewers))
        self.used = [False] * len(self.blank)
        self.pending.append(_line(_header(self.fixed_columns, reviewers)))

    def write(self, row: Row) -> None:
        record = row.record
        if not self.rows:
            self._start(record)
        if record["article_id"] != self.article_id:
            self.article_id = record["article_id"]
            self.article_cells = ",".join(
                (str(self.article_id), _quote(record["outlet"]), _quote(record["url"]), _quote(record["published"]))
            )
        source = record["source"]
        marks = record["annotations"]
        agreement = record["agreement"]
        last = self.blank.copy()
        if self.claim_groups:
            claim_group = record["claim_group"]
            last[0] = "" if claim_group is None else str(claim_group)
        columns, used = self.columns, self.used
        for mark in marks:
            index = columns.get(mark["reviewer"])
            if index is None:
                self._stray(mark)
                continue
            last[index] = _quote(mark["label"])
            if mark["source"] is not None:
                last[index + 1] = _quote(mark["source"]["name"])
            used[index] = True
        self.pending.append(
            ",".join(
                (
                    str(record["sentence_id"]),
                    self.article_cells,
                    str(record["position"]),
                    str(record["start"]),
                    str(record["end"]),
                    _quote(record["text"]),
                    _quote(record["label"]),
                    _quote(record["label_source"]),
                    ",," if source is None else _line((source["name"], source["kind"], source["side"])),
                    "" if agreement is None else repr(agreement),
                    _quote(record["split"]),
                    str(len(marks)),
                    *last,
                )
            )
        )
        self.rows += 1
        if len(self.pending) >= self.ROWS_PER_BLOCK:
            self._flush()

    def _flush(self) -> None:
        if self.pending:
            self._write(("\n".join(self.pending) + "\n").encode("utf-8"))
            self.pending.clear()

    def _stray(self, mark: dict) -> None:
        """Keep the cells of a mark by a reviewer without a column (one who marked while the
        export read) for `_rewrite`, with its row number."""
        if self.strays is None:
            self.strays = tempfile.TemporaryFile("w+b", dir=self.path.parent)  # noqa: SIM115 (closed in finish/abort)
        self.stray_reviewers.add(mark["reviewer"])
        source = mark["source"]
        cells = [mark["label"], None if source is None else source["name"]]
        self.strays.write(orjson.dumps([self.rows, mark["reviewer"], cells], option=orjson.OPT_APPEND_NEWLINE))

    def finish(self) -> None:
        if not self.rows:
            self.pending.append(_line(CSV_COLUMNS))  # no record, no reviewer
        self._flush()
        if not self.rows:
            return
        written = list(self.columns)  # (sorted)
        used = {reviewer for reviewer, index in self.columns.items() if self.used[index]}
        if self.strays is None and len(used) == len(written):
            return
        self._rewrite(written, sorted(used | self.stray_reviewers))

    def _rewrite(self, written: list[str], reviewers: list[str]) -> None:
        """Write the file again with columns for `reviewers` (the records' own) instead of
        `written`: each row's fixed cells and the cells of the reviewers it keeps copied as they
        were written (their text, quotes included: a cell's quoting depends on its value only),
        the strays' cells added, the unused columns (empty in every row) left out. Rows are split
        into cells by `_CELL`, not csv.reader, which would end a row at a carriage return in an
        unquoted cell (csv.writer quotes only at its line terminator, a newline)."""
        self.file.close()
        strays = self._strays()
        pending = next(strays, None)
        fixed = len(self.fixed_columns)
        kept = {reviewer: fixed + 2 * i for i, reviewer in enumerate(written)}
        width = fixed + 2 * len(written)
        rewritten = self.path.with_name(self.path.name + ".rewrite")
        self.file = open(rewritten, "wb", buffering=BUFFER)  # noqa: SIM115 (closed in close/abort)
        self.digest = hashlib.sha256()
        self.pending.append(_line(_header(self.fixed_columns, reviewers)))
        with open(self.path, encoding="utf-8", newline="") as old:
            rows = _raw_rows(old)
            next(rows)  # the header written first
            for number, cells in enumerate(rows):
                if len(cells) != width:
                    raise ValueError(f"{self.path.name}: row {number + 1} has {len(cells)} cells, not {width}")
                extra: dict[str, list] = {}
                while pending is not None and pending[0] == number:
                    extra[pending[1]] = pending[2]
                    pending = next(strays, None)
                out = cells[:fixed]
                for reviewer in reviewers:
                    index = kept.get(reviewer)
                    if index is not None:
                        out += cells[index : index + 2]
                    else:
                        out += [_quote(value) for value in extra.get(reviewer, (None, None))]
                self.pending.append(",".join(out))
                if len(self.pending) >= self.ROWS_PER_BLOCK:
                    self._flush()
        self._flush()
        os.replace(rewritten, self.path)
        if self.strays is not None:
            self.strays.close()

    def _strays(self) -> Iterator[list]:
        if self.strays is None:
            return iter(())
        self.strays.seek(0)
        return (orjson.loads(line) for line in self.strays)

    def abort(self) -> None:
        super().abort()
        if self.strays is not None:
            self.strays.close()


def _quote(value: str | None) -> str:
    """A text cell as csv.writer writes it (QUOTE_MINIMAL, `,` and `"`, line terminator "\n"):
    quoted, quotes doubled, when it holds a comma, a quote or a newline (not a carriage return
    alone); None as nothing. tests/datasets/test_csv.py checks every code point against csv.writer."""
    if value is None:
        return ""
    if "," in value or '"' in value or "\n" in value:
        return '"' + value.replace('"', '""') + '"'
    return value


def _line(cells) -> str:
    """Text cells (or None) as one CSV line, without its newline."""
    return ",".join([_quote(cell) for cell in cells])


def _header(fixed: list[str], reviewers: list[str]) -> list[str]:
    return fixed + [f"{kind}:{reviewer}" for reviewer in reviewers for kind in ("label", "source")]


def _raw_rows(handle: IO[str]) -> Iterator[list[str]]:
    """The rows of a file csv.writer wrote (see `_CELL`), each as its cells' text as written."""
    buffer, position = "", 0
    cells: list[str] = []
    end = False
    while True:
        # (Never a cell cut at the buffer's end: a match takes the character after its cell.)
        match = _CELL.match(buffer, position)
        if match is None:
            if end:
                if position < len(buffer) or cells:
                    raise ValueError("the CSV file ends inside a row")
                return
            block = handle.read(BUFFER)
            end = not block
            buffer, position = buffer[position:] + block, 0
            continue
        cells.append(match[1])
        position = match.end()
        if match[2] == "\n":
            yield cells
            cells = []


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
