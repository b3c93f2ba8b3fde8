"""The CSV export in one pass: its reviewer columns come from one query before the first row
(`records.reviewers_read`), and the file must be the same bytes as when the columns were taken
from the written records themselves (the spooled writer before it, rebuilt here as `_reference`).
When the query's set and the records' set differ (a filter applied in Python dropped every
sentence of a reviewer, or marks changed while the export read), the writer rewrites the file once.
"""

import csv
import io
import json

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from annotate.models import Annotation, Sentence, Source
from datasets import writers
from datasets.options import ExportOptions
from datasets.records import reviewers_read
from datasets.services import write_export

from .corpus import build_corpus
from .test_export_bytes import CASES

# Options applied to records in Python: they may drop every sentence of a reviewer.
IN_PYTHON = {"sides", "min_agreement", "label_sources", "include_other"}
MORE_CASES = {
    **CASES,
    "one-outlet": {"outlets": ["ünï.example.org"]},  # alice, Bob, carol, dave, Zoë marked only elsewhere
    "one-topic": {"topics": ["Économie"], "include_unsettled": True},
    "one-reviewer": {"reviewers": ["carol"]},
    "reviewer-elsewhere": {"reviewers": ["carol", "zed"], "outlets": ["ünï.example.org"], "include_unsettled": True},
    "claim-groups": {"claim_groups": True, "include_unsettled": True},
    "adjudicated-only": {"label_sources": ["adjudicated"]},
    "only-other": {"min_agreement": 1, "sides": []},
}


@pytest.fixture
def corpus(db):
    return build_corpus()


def _records(path) -> list[dict]:
    lines = (path / "sentences.jsonl").read_text(encoding="utf-8").split("\n")[:-1]  # not splitlines: U+2028
    return [json.loads(line) for line in lines]


def _reference(records: list[dict]) -> bytes:
    """sentences.csv as the writer wrote it before this change, from the records: all rows held
    until the end, the reviewer columns taken from them."""
    reviewers = sorted({mark["reviewer"] for record in records for mark in record["annotations"]})
    claim_groups = any("claim_group" in record for record in records)
    out = io.StringIO(newline="")
    writer = csv.writer(out, lineterminator="\n")
    fixed_columns = [*writers.CSV_COLUMNS, "claim_group"] if claim_groups else writers.CSV_COLUMNS
    writer.writerow(fixed_columns + [f"{kind}:{r}" for r in reviewers for kind in ("label", "source")])
    for record in records:
        source = record["source"] or {}
        fixed = [record[name] for name in writers.CSV_COLUMNS[:11]] + [
            source.get("name"),
            source.get("kind"),
            source.get("side"),
            record["agreement"],
            record["split"],
            len(record["annotations"]),
        ]
        if "claim_group" in record:
            fixed.append(record["claim_group"])
        marks = {m["reviewer"]: [m["label"], (m["source"] or {}).get("name")] for m in record["annotations"]}
        extra = []
        for reviewer in reviewers:
            extra.extend(marks.get(reviewer, (None, None)))
        writer.writerow(["" if value is None else value for value in fixed + extra])
    return out.getvalue().encode("utf-8")


def _export(tmp_path, monkeypatch, values: dict, name="export"):
    """Export `values` as JSONL and CSV in one pass; (the CSV's bytes, the records, whether the
    CSV writer rewrote its file)."""
    rewrites = []
    real = writers.CsvWriter._rewrite
    monkeypatch.setattr(writers.CsvWriter, "_rewrite", lambda self, *a: rewrites.append(a) or real(self, *a))
    options = ExportOptions(**{**values, "format": "all"})
    path = write_export(options, tmp_path / name).path
    return (path / "sentences.csv").read_bytes(), _records(path), bool(rewrites)


@pytest.mark.parametrize("case", sorted(MORE_CASES))
def test_the_columns_known_up_front_give_the_bytes_of_the_records_columns(corpus, tmp_path, monkeypatch, case):
    values = MORE_CASES[case]
    data, records, rewritten = _export(tmp_path, monkeypatch, values)
    assert data == _reference(records)
    written = {mark["reviewer"] for record in records for mark in record["annotations"]}
    read = reviewers_read(ExportOptions(**values))
    assert read >= written
    if not IN_PYTHON & set(values):
        # Nothing dropped in Python but unsettled sentences (no reviewer of the corpus marked only
        # those): the set read up front is the records' own and the file is written once.
        assert read == written, case
        assert not rewritten, case
    assert rewritten == (read != written), case


def test_the_golden_cases_that_filter_in_python_exercise_the_rewrite(corpus, tmp_path, monkeypatch):
    """A guard on the cases above: both paths are taken."""
    paths = {case: _export(tmp_path, monkeypatch, MORE_CASES[case], name=case)[2] for case in MORE_CASES}
    assert paths["default"] is False
    assert paths["one-outlet"] is False
    assert any(paths.values()), paths


def test_a_reviewer_whose_marks_are_all_in_progress_has_no_column(corpus, tmp_path, monkeypatch):
    """Marks whose reviewer has not submitted the article count nowhere (docs/scoring.md section 1)."""
    from django.contrib.auth import get_user_model

    ivan = get_user_model().objects.create(username="ivan")
    sentence = corpus["sentences"][(9101, 0)]
    Annotation.objects.create(sentence=sentence, reviewer=ivan, label="claim", origin="web")
    data, records, rewritten = _export(tmp_path, monkeypatch, {"include_unsettled": True})
    assert "ivan" not in reviewers_read(ExportOptions())
    assert b"ivan" not in data.split(b"\n")[0]
    assert data == _reference(records)
    assert not rewritten


def test_an_export_without_rows_is_the_header_alone_and_reads_no_reviewers(corpus, tmp_path, monkeypatch):
    calls = []
    monkeypatch.setattr(writers, "reviewers_read", lambda options: calls.append(options) or set())
    data, records, rewritten = _export(tmp_path, monkeypatch, {"outlets": ["nowhere.example"]})
    assert records == []
    assert not rewritten
    assert calls == []
    assert data == (",".join(writers.CSV_COLUMNS) + "\n").encode()


@pytest.mark.parametrize(
    "change",
    [
        pytest.param(lambda found: found - {"carol"}, id="a reviewer marked after the query"),
        pytest.param(lambda found: found | {"ghost", "aaron"}, id="reviewers' marks deleted after the query"),
        pytest.param(lambda found: (found - {"Bob", "zed"}) | {"Mallory"}, id="both"),
        pytest.param(lambda found: set(), id="every reviewer marked after the query"),
    ],
)
def test_a_reviewer_set_that_changed_during_the_export_still_gives_the_records_bytes(
    corpus, tmp_path, monkeypatch, change
):
    """The reads are not one transaction: the set read up front may miss a reviewer whose marks
    the rows then show, or name one whose marks are gone. The file is rewritten with the records'
    columns: same bytes, including cells with a carriage return, quotes, commas and newlines
    (a carriage return alone is not quoted by csv.writer, so csv.reader could not read it back)."""
    Sentence.objects.filter(pk=corpus["sentences"][(9101, 0)].pk).update(text='Rebels\rentered, "the" city\r\non\nSat')
    Source.objects.filter(name="Ministry of Defence").update(name='Ministry\rof "Defence", MoD')
    monkeypatch.setattr(writers, "BUFFER", 7)  # blocks that cut cells, quotes and rows (_raw_rows)
    real = writers.reviewers_read
    monkeypatch.setattr(writers, "reviewers_read", lambda options: change(real(options)))
    data, records, rewritten = _export(tmp_path, monkeypatch, {"include_unsettled": True})
    assert rewritten
    assert b"Rebels\rentered" in data
    assert b'Ministry\rof ""Defence""' in data
    assert data == _reference(records)


def test_raw_rows_reads_back_the_cells_as_written():
    values = ["", "a", 'say "x"', "a,b", "line\nbreak", "cr\ronly", "crlf\r\n", '"', '""', ",", "\n", " lead", "🙂"]
    rows = [values, list(reversed(values)), ["", ""], ["x"]]
    out = io.StringIO(newline="")
    csv.writer(out, lineterminator="\n").writerows(rows)
    text = out.getvalue()
    for size in (1, 2, 3, 5, 64, 1 << 20):
        handle = io.StringIO(text, newline="")
        original = writers.BUFFER
        try:
            writers.BUFFER = size
            read = list(writers._raw_rows(handle))
        finally:
            writers.BUFFER = original
        assert "".join(",".join(cells) + "\n" for cells in read) == text
        assert [len(cells) for cells in read] == [len(row) for row in rows]
        assert [writers._quote(value) for value in values] == read[0]


def test_quote_writes_every_character_as_csv_writer_does():
    """`writers._quote` (the CSV rows are built without csv.writer) against csv.writer itself,
    for every code point alone, inside a text and doubled, and for numbers as str and repr."""
    for code in range(0x110000):
        if 0xD800 <= code <= 0xDFFF:
            continue
        char = chr(code)
        values = [char, f"a{char}b", char * 2]
        out = io.StringIO(newline="")
        csv.writer(out, lineterminator="\n").writerow([*values, None])
        assert out.getvalue() == ",".join(writers._quote(value) for value in [*values, None]) + "\n", hex(code)
    numbers = [0, 7, 12345678901, 1.0, 0.5, 0.6667, 0.5714, 0.1 + 0.2, 1e-05]
    out = io.StringIO(newline="")
    csv.writer(out, lineterminator="\n").writerow(numbers)
    assert out.getvalue() == ",".join(repr(n) if isinstance(n, float) else str(n) for n in numbers) + "\n"


@pytest.mark.parametrize(("values", "more"), [({"include_unsettled": True}, 1), ({"outlets": ["ünï.example.org"]}, 2)])
def test_the_csv_export_costs_one_query_more_than_jsonl_two_with_article_filters(corpus, tmp_path, values, more):
    counts = {}
    for fmt in ("jsonl", "csv"):
        with CaptureQueriesContext(connection) as queries:
            write_export(ExportOptions(format=fmt, **values), tmp_path / fmt)
        counts[fmt] = len(queries)
    assert counts["csv"] == counts["jsonl"] + more


@pytest.mark.parametrize("case", sorted(MORE_CASES))
def test_reviewers_read_through_the_filters_or_the_kept_articles_ids_agree(corpus, monkeypatch, case):
    """Up to MAX_PROBED_ARTICLES kept articles the probe takes their ids, above it the filters."""
    from datasets import records

    options = ExportOptions(**MORE_CASES[case])
    by_ids = reviewers_read(options)
    monkeypatch.setattr(records, "MAX_PROBED_ARTICLES", 1)
    assert reviewers_read(options) == by_ids
