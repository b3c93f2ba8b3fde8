"""A JSONL export re-imports into an empty database and exports again byte for byte."""

import json

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command

from annotate.models import (
    Adjudication,
    Annotation,
    AnnotationRevision,
    Article,
    Outlet,
    Reviewer,
    Sentence,
    Side,
    Source,
    Topic,
)
from datasets.importer import DatasetImportError, import_records
from datasets.options import ExportOptions
from datasets.services import write_export

DATA_FILES = ("sentences.jsonl", "sentences.csv", "labelstudio.json", "spans.conll")


def _empty_database():
    for model in (Adjudication, AnnotationRevision, Annotation, Sentence, Article, Source, Side, Topic, Outlet):
        model.objects.all().delete()
    get_user_model().objects.all().delete()


@pytest.mark.parametrize("include_unsettled", [False, True])
def test_export_import_export_is_byte_identical(annotated, tmp_path, include_unsettled):
    options = ExportOptions(format="all", include_unsettled=include_unsettled)
    first = write_export(options, tmp_path / "first")
    _empty_database()

    call_command("import_dataset", str(first.path / "sentences.jsonl"))

    assert Annotation.objects.filter(origin="import").count() == first.card["counts"]["annotations"]
    assert Reviewer.objects.filter(is_external=True, origin="import").count() == 3  # two reviewers and the lead
    assert Adjudication.objects.get().note == "own voice"
    article = Article.objects.get(outlet__domain="news.sky.com")
    assert all(article.text[s.start : s.end] == s.text for s in article.sentences.all())
    second = write_export(options, tmp_path / "second")
    for name in DATA_FILES:
        assert (second.path / name).read_bytes() == (first.path / name).read_bytes(), name
    assert second.card["counts"] == first.card["counts"]
    assert second.card["agreement"] == first.card["agreement"]


def test_imported_database_accepts_new_articles_after_explicit_ids(annotated, tmp_path):
    first = write_export(ExportOptions(), tmp_path / "first")
    _empty_database()
    import_records((first.path / "sentences.jsonl").open(encoding="utf-8"))
    top = Article.objects.order_by("-pk").first()
    new = Article.objects.create(outlet=top.outlet, title="new", text="New text.", content_hash="x" * 64)
    assert new.pk > top.pk


def test_import_into_a_database_holding_the_ids_writes_nothing(annotated, tmp_path):
    first = write_export(ExportOptions(), tmp_path / "first")
    before = Annotation.objects.count()
    with pytest.raises(CommandError, match="already in the database; .*nothing was imported"):
        call_command("import_dataset", str(first.path))
    assert Annotation.objects.count() == before


def test_bad_line_names_the_line_and_writes_nothing(annotated, tmp_path):
    first = write_export(ExportOptions(), tmp_path / "first")
    lines = (first.path / "sentences.jsonl").read_text(encoding="utf-8").splitlines()
    _empty_database()
    broken = json.loads(lines[2])
    broken["text"] = "not the sentence"
    with pytest.raises(DatasetImportError, match="line 3: sentence .* is not article.text"):
        import_records([lines[0], lines[1], json.dumps(broken)])
    assert Article.objects.count() == 0
    assert Annotation.objects.count() == 0
    with pytest.raises(DatasetImportError, match="line 1: not JSON"):
        import_records(["{oops"])
    with pytest.raises(DatasetImportError, match="no `article` object"):
        import_records([lines[1]])


@pytest.mark.parametrize("include_unsettled", [False, True])
def test_the_byte_test_corpus_round_trips_byte_for_byte(db, tmp_path, include_unsettled):
    """The corpus of test_export_bytes (escapes, U+2028, code-point username order, timestamps
    without microseconds, adjudications without marks) survives export -> import -> export."""
    from .corpus import build_corpus

    build_corpus()
    options = ExportOptions(format="all", include_unsettled=include_unsettled)
    first = write_export(options, tmp_path / "first")
    _empty_database()
    call_command("import_dataset", str(first.path / "sentences.jsonl"))
    second = write_export(options, tmp_path / "second")
    for name in DATA_FILES:
        assert (second.path / name).read_bytes() == (first.path / name).read_bytes(), name
    assert second.card["counts"] == first.card["counts"]


@pytest.mark.parametrize(("escape", "what"), [("\\u0000", "NUL"), ("\\ud800", "unpaired surrogate")])
def test_a_line_postgresql_could_not_store_is_refused_on_every_database(annotated, tmp_path, escape, what):
    first = write_export(ExportOptions(), tmp_path / "first")
    lines = (first.path / "sentences.jsonl").read_text(encoding="utf-8").splitlines()
    _empty_database()
    record = json.loads(lines[0])
    record["article"]["title"] = "x"
    broken = json.dumps(record).replace('"title": "x"', f'"title": "x{escape}"')
    with pytest.raises(DatasetImportError, match=f"line 1: record.article.title: contains an? {what}"):
        import_records([broken, lines[1]])
    assert Article.objects.count() == 0
