"""Exports of a fixed corpus (tests/datasets/corpus.py) are the same bytes as the files in golden/,
on SQLite and on PostgreSQL.

The golden files were written by the export path before it was rewritten for speed (the Python
record builder of commit 934e72b), so they pin today's format byte for byte: key order, escaping,
number and timestamp formatting, mark order, splits, the card's counts and agreement. They change
only when the format is meant to change: then regenerate them with
`SOURCEMARK_WRITE_GOLDEN=1 .venv/bin/python -m pytest tests/datasets/test_export_bytes.py` and
review the diff.
"""

import json
import os
from pathlib import Path

import pytest

from datasets.options import ExportOptions
from datasets.services import write_export

from .corpus import build_corpus

GOLDEN = Path(__file__).parent / "golden"
WRITE = os.environ.get("SOURCEMARK_WRITE_GOLDEN") == "1"
DATA_FILES = ("sentences.jsonl", "sentences.csv", "labelstudio.json", "spans.conll")

CASES = {
    "default": {"format": "all"},
    "unsettled": {"format": "all", "include_unsettled": True},
    "reviewers": {"reviewers": ["alice", "Bob"], "include_unsettled": True},
    "sides": {"format": "csv", "sides": ["opposition", "government"]},
    "agreement": {"min_agreement": 0.6, "include_other": False},
    "label-sources": {"label_sources": ["majority", "adjudicated"], "seed": "other seed", "ratios": "0.5,0.25,0.25"},
    "outlet-dates-topic": {"outlets": ["news.example.com"], "date_from": "2024-12-01", "topics": ["Conflict"]},
    "articles": {"format": "all", "article_ids": [9102, 9104], "include_unsettled": True},
    "no-match": {"format": "all", "outlets": ["nowhere.example"]},
}


@pytest.fixture
def corpus(db):
    return build_corpus()


def _card(path: Path) -> dict:
    """The card without what differs between two runs (its time, and README.md that shows it)."""
    card = json.loads((path / "dataset.json").read_text(encoding="utf-8"))
    del card["created"]
    card["files"].pop("README.md")
    return card


@pytest.mark.parametrize("case", sorted(CASES))
def test_export_is_byte_identical_to_the_golden_files(corpus, tmp_path, case):
    options = ExportOptions(**CASES[case])
    result = write_export(options, tmp_path / "export")
    expected = GOLDEN / case
    names = [name for name in DATA_FILES if (result.path / name).exists()]
    assert names, "the export wrote no data file"
    if WRITE:
        expected.mkdir(parents=True, exist_ok=True)
        for name in names:
            (expected / name).write_bytes((result.path / name).read_bytes())
        (expected / "card.json").write_text(json.dumps(_card(result.path), indent=1, ensure_ascii=False) + "\n")
    assert sorted(names) == sorted(p.name for p in expected.iterdir() if p.name != "card.json")
    for name in names:
        assert (result.path / name).read_bytes() == (expected / name).read_bytes(), f"{case}/{name}"
    assert _card(result.path) == json.loads((expected / "card.json").read_text(encoding="utf-8"))


def test_the_corpus_exercises_every_gold_label_kind(corpus, tmp_path):
    """A guard on the corpus itself: the golden files cover what they claim to cover."""
    result = write_export(ExportOptions(include_unsettled=True), tmp_path / "export")
    lines = (result.path / "sentences.jsonl").read_text(encoding="utf-8").split("\n")[:-1]  # not splitlines: U+2028
    records = [json.loads(line) for line in lines]
    assert {r["label_source"] for r in records} == {"unanimous", "majority", "adjudicated", "disputed", "unmarked"}
    assert {r["agreement"] for r in records} >= {1.0, 0.5, 0.6667, 0.5714, None}
    reviewers = [m["reviewer"] for r in records for m in r["annotations"]]
    assert reviewers.index("Bob") < reviewers.index("alice")  # code point order, not a collation's
    created = [m["created"] for r in records for m in r["annotations"]]
    assert any("." in value for value in created)
    assert any("." not in value for value in created)
    assert any("\\u0007" in line and "\u2028" in line and "🙂" in line for line in lines)
    assert any(r["source"] is None and r["label"] == "attribution" for r in records)  # disputed gold source


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("case", ["default", "unsettled"])
def test_reading_ahead_in_a_thread_gives_the_same_bytes(tmp_path, monkeypatch, case):
    """Outside a transaction the export reads the next batch on a second connection while it
    writes the current one (records._read_ahead), on PostgreSQL with its queries sent ahead in a
    pipeline (records._pipelined); one batch per article exercises the hand-overs."""
    from django.db import connection

    from datasets import records

    build_corpus()
    assert not connection.in_atomic_block
    used = []
    real, pipelined = records._read_ahead, records._pipelined
    monkeypatch.setattr(records, "_read_ahead", lambda items: used.append("ahead") or real(items))
    monkeypatch.setattr(records, "_pipelined", lambda *args: used.append("pipelined") or pipelined(*args))
    monkeypatch.setattr(records, "BATCH_SIZE", 1)
    result = write_export(ExportOptions(**CASES[case]), tmp_path / "export")
    assert used == ["ahead", "pipelined"] if connection.vendor == "postgresql" else ["ahead"]
    for name in DATA_FILES:
        if (GOLDEN / case / name).exists():
            assert (result.path / name).read_bytes() == (GOLDEN / case / name).read_bytes(), name
