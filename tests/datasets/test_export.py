"""The export itself: records, formats, filters, splits, the card, bad input and atomic writes."""

import csv
import hashlib
import io
import json
import zipfile

import pytest
from django.core.management import CommandError, call_command

from annotate.models import Sentence
from datasets import services
from datasets.options import ExportOptions, ExportOptionsError
from datasets.records import iter_rows
from datasets.services import ExportError, write_export
from datasets.splits import split_for
from datasets.writers import bio_tags


def _records(path):
    return [json.loads(line) for line in (path / "sentences.jsonl").read_text(encoding="utf-8").splitlines()]


def test_jsonl_records_carry_gold_labels_marks_and_article_text(annotated, tmp_path):
    result = write_export(ExportOptions(format="jsonl"), tmp_path / "out")
    records = _records(result.path)
    sky = annotated["sky"]
    by_position = {r["position"]: r for r in records if r["article_id"] == sky.pk}
    # Positions 7, 11, 15 are disputed (1-1) and left out; 3 is adjudicated.
    assert 7 not in by_position
    assert 3 in by_position
    assert by_position[3]["label"] == "claim"
    assert by_position[3]["label_source"] == "adjudicated"
    assert by_position[3]["agreement"] == 0.5
    assert by_position[3]["adjudication"] == {"label": "claim", "source": None, "lead": "lead", "note": "own voice"}
    attribution = by_position[1]
    assert attribution["label"] == "attribution"
    assert attribution["label_source"] == "unanimous"
    assert attribution["source"] == {
        "name": "White Helmets",
        "kind": "organisation",
        "side": "opposition",
        "side_topic": "Syria war",
    }
    assert [m["reviewer"] for m in attribution["annotations"]] == ["reviewer1", "reviewer2"]
    assert attribution["annotations"][0]["source_span"] == [0, 5]
    assert attribution["agreement"] == 1.0
    first = by_position[0]
    assert first["article"]["text"] == sky.text
    assert sky.text[first["start"] : first["end"]] == first["text"]
    assert all(r["article"] is None for r in records[1:] if r["article_id"] == sky.pk)
    assert [r["label_source"] for r in records if r["article_id"] == annotated["reuters"].pk] == ["unanimous"] * 2
    assert list(records[0]) == [
        "sentence_id",
        "article_id",
        "outlet",
        "url",
        "published",
        "position",
        "text",
        "start",
        "end",
        "label",
        "label_source",
        "source",
        "annotations",
        "agreement",
        "split",
        "adjudication",
        "article",
    ]


def test_card_has_counts_agreement_and_file_hashes(annotated, tmp_path):
    result = write_export(ExportOptions(format="all"), tmp_path / "out")
    card = json.loads((result.path / "dataset.json").read_text())
    assert card["schema_version"] == "1"
    assert card["codebook_version"] == "1"
    assert card["counts"]["sentences"] == len(_records(result.path))
    assert sum(card["counts"]["by_split"].values()) == card["counts"]["sentences"]
    assert card["counts"]["by_label_source"] == {"adjudicated": 1, "unanimous": card["counts"]["sentences"] - 1}
    # Pairable sentences: the sky article's exported ones (reuters has one reviewer).
    agreement = card["agreement"]
    assert agreement["pairable_sentences"] == card["counts"]["sentences"] - 2
    assert agreement["krippendorff_alpha"] is not None
    assert agreement["krippendorff_alpha"] < 1
    for name in ("sentences.jsonl", "sentences.csv", "labelstudio.json", "spans.conll", "README.md"):
        assert card["files"][name]["sha256"] == hashlib.sha256((result.path / name).read_bytes()).hexdigest()
    readme = (result.path / "README.md").read_text()
    assert "Krippendorff" in readme
    assert "| train |" in readme


def test_alpha_matches_scoring_on_the_exported_marks(annotated, tmp_path):
    from reliability.scoring import krippendorff_alpha

    result = write_export(ExportOptions(), tmp_path / "out")
    units = [[m["label"] for m in r["annotations"]] for r in _records(result.path)]
    assert result.card["agreement"]["krippendorff_alpha"] == round(krippendorff_alpha(units), 4)


def test_unsettled_sentences_come_with_null_label_when_asked(annotated, tmp_path):
    result = write_export(ExportOptions(include_unsettled=True), tmp_path / "out")
    records = {(r["article_id"], r["position"]): r for r in _records(result.path)}
    disputed = records[(annotated["sky"].pk, 7)]
    assert disputed["label"] is None
    assert disputed["label_source"] == "disputed"
    assert disputed["agreement"] is None
    assert result.card["counts"]["by_label"]["null"] == 3


def test_filters_outlet_dates_other_agreement_and_label_source(annotated, tmp_path):
    def positions(**filters):
        path = tmp_path / str(len(list(tmp_path.iterdir())))
        return [(r["outlet"], r["label"]) for r in _records(write_export(ExportOptions(**filters), path).path)]

    assert {outlet for outlet, _ in positions(outlets=["reuters.com"])} == {"reuters.com"}
    assert {outlet for outlet, _ in positions(date_from="2024-12-01")} == {"reuters.com"}
    assert {outlet for outlet, _ in positions(date_to="2024-11-30")} == {"news.sky.com"}
    assert "other" not in {label for _, label in positions(include_other=False)}
    assert "other" in {label for _, label in positions()}
    assert positions(label_sources=["adjudicated"]) == [("news.sky.com", "claim")]
    assert len(positions(min_agreement=1.0)) == len(positions()) - 1
    assert {label for _, label in positions(sides=["opposition"])} == {"attribution"}
    assert {outlet for outlet, _ in positions(topics=["Syria war"])} == {"news.sky.com"}


def test_reviewer_filter_resolves_gold_from_their_marks_only(annotated, tmp_path):
    records = _records(write_export(ExportOptions(reviewers=["reviewer2"]), tmp_path / "out").path)
    assert {m["reviewer"] for r in records for m in r["annotations"]} == {"reviewer2"}
    # reviewer2 alone: the formerly disputed sentences are unanimous `analysis`.
    sky = {r["position"]: r for r in records if r["article_id"] == annotated["sky"].pk}
    assert sky[7]["label"] == "analysis"
    assert sky[7]["label_source"] == "unanimous"
    assert sky[3]["label"] == "claim"
    assert sky[3]["label_source"] == "adjudicated"


def test_splits_are_by_article_deterministic_and_follow_ratios():
    ratios = (0.8, 0.1, 0.1)
    splits = [split_for(pk, seed="s", ratios=ratios) for pk in range(1, 5001)]
    assert splits == [split_for(pk, seed="s", ratios=ratios) for pk in range(1, 5001)]
    share = splits.count("train") / len(splits)
    assert 0.77 < share < 0.83
    assert splits != [split_for(pk, seed="other", ratios=ratios) for pk in range(1, 5001)]
    assert {split_for(pk, seed="s", ratios=(0, 0, 1)) for pk in range(100)} == {"test"}


def test_an_article_never_spans_two_splits(annotated, tmp_path):
    records = _records(write_export(ExportOptions(ratios="0.5,0.25,0.25", seed="x"), tmp_path / "out").path)
    by_article = {}
    for record in records:
        by_article.setdefault(record["article_id"], set()).add(record["split"])
    assert all(len(splits) == 1 for splits in by_article.values())


def test_csv_has_one_row_per_sentence_with_reviewer_columns(annotated, tmp_path):
    path = write_export(ExportOptions(format="csv"), tmp_path / "out").path
    rows = list(csv.DictReader(io.StringIO((path / "sentences.csv").read_text(encoding="utf-8"))))
    assert rows
    assert "label:reviewer1" in rows[0]
    assert "source:reviewer2" in rows[0]
    attribution = next(r for r in rows if r["label"] == "attribution" and r["outlet"] == "news.sky.com")
    assert attribution["source_name"] == "White Helmets"
    assert attribution["source:reviewer1"] == "White Helmets"
    reuters = [r for r in rows if r["outlet"] == "reuters.com"]
    assert all(r["label:reviewer2"] == "" for r in reuters)


def test_labelstudio_tasks_use_the_shared_names(annotated, tmp_path):
    from labelstudio import schema as ls

    path = write_export(ExportOptions(format="labelstudio"), tmp_path / "out").path
    tasks = json.loads((path / "labelstudio.json").read_text(encoding="utf-8"))
    task = next(t for t in tasks if t["data"]["gold_label"] == "attribution" and t["data"]["outlet"] == "news.sky.com")
    assert task["data"][ls.DATA_SENTENCE] in task["data"][ls.DATA_CONTEXT]
    assert task["data"][ls.DATA_TITLE] == annotated["sky"].title
    result = task["annotations"][0]["result"]
    assert result[0] == {
        "id": result[0]["id"],
        "from_name": "label",
        "to_name": "sentence",
        "type": "choices",
        "value": {"choices": ["attribution"]},
    }
    source_region = next(r for r in result if r["type"] == "labels" and r["value"]["labels"] == ["SOURCE"])
    kind = next(r for r in result if r["from_name"] == "source_kind")
    assert kind["id"] == source_region["id"]
    assert kind["value"]["choices"] == ["organisation"]
    assert task["data"]["annotators"] == ["reviewer1", "reviewer2"]


def test_bio_tags_mark_source_and_cue_tokens():
    text = "The White Helmets affirmed the rising casualties."
    tags = bio_tags(text, [0, 17], [18, 26])
    assert tags[:5] == [
        ("The", "B-SOURCE"),
        ("White", "I-SOURCE"),
        ("Helmets", "I-SOURCE"),
        ("affirmed", "B-CUE"),
        ("the", "O"),
    ]
    assert tags[-1] == (".", "O")


def test_conll_file_has_a_block_per_sentence(annotated, tmp_path):
    path = write_export(ExportOptions(format="conll"), tmp_path / "out").path
    blocks = (path / "spans.conll").read_text(encoding="utf-8").strip().split("\n\n")
    assert len(blocks) == len(list(iter_rows(ExportOptions())))
    reuters = next(b for b in blocks if "Officials" in b)
    assert "Officials\tB-SOURCE" in reuters
    assert "said\tB-CUE" in reuters


def test_empty_export_is_valid_and_says_so(annotated, tmp_path):
    result = write_export(ExportOptions(format="all", outlets=["nowhere.example"]), tmp_path / "out")
    assert result.card["empty"]
    assert "No sentence matched" in result.card["message"]
    assert (result.path / "sentences.jsonl").read_text() == ""
    assert json.loads((result.path / "labelstudio.json").read_text()) == []


def test_unknown_format_and_bad_options_are_refused():
    with pytest.raises(ExportOptionsError, match="unknown format 'xml'"):
        ExportOptions(format="xml")
    with pytest.raises(ExportOptionsError, match="summing to 1"):
        ExportOptions(ratios="0.5,0.5,0.5")
    with pytest.raises(ExportOptionsError, match="after"):
        ExportOptions(date_from="2024-02-01", date_to="2024-01-01")
    with pytest.raises(ExportOptionsError, match="unknown option"):
        ExportOptions.from_dict({"colour": "red"})


def test_outlet_filter_takes_a_domain_as_ingest_does(annotated, tmp_path):
    # ingest stores `https://www.News.Sky.com/x` as news.sky.com: the export's filter finds it so
    # written too, instead of a silently empty dataset.
    for given in ["NEWS.SKY.COM", "www.news.sky.com", "https://www.news.sky.com/world"]:
        assert ExportOptions(outlets=[given]).outlets == sorted([given, "news.sky.com"])
    assert ExportOptions(outlets=["news.sky.com", "Sky News"]).outlets == ["Sky News", "news.sky.com"]
    export = write_export(ExportOptions(outlets=["WWW.News.Sky.com"]), tmp_path / "out")
    assert {record["outlet"] for record in _records(export.path)} == {"news.sky.com"}
    plain = write_export(ExportOptions(outlets=["news.sky.com"]), tmp_path / "plain")
    assert _records(export.path) == _records(plain.path)


def test_existing_output_is_refused_without_force(annotated, tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    (out / "keep.txt").write_text("mine")
    with pytest.raises(ExportError, match="already exists"):
        write_export(ExportOptions(), out)
    assert (out / "keep.txt").read_text() == "mine"
    write_export(ExportOptions(), out, force=True)
    assert not (out / "keep.txt").exists()
    assert (out / "sentences.jsonl").exists()


def test_failure_mid_write_leaves_no_partial_file(annotated, tmp_path, monkeypatch):
    real = services.iter_rows

    def failing(options, **kwargs):
        for index, row in enumerate(real(options, **kwargs)):
            if index == 3:
                raise OSError(28, "No space left on device")
            yield row

    monkeypatch.setattr(services, "iter_rows", failing)
    with pytest.raises(services.ExportError, match="No space left on device"):
        write_export(ExportOptions(format="all"), tmp_path / "out")
    with pytest.raises(services.ExportError, match="No space left on device"):
        write_export(ExportOptions(format="all"), tmp_path / "out", as_zip=True)
    assert list(tmp_path.iterdir()) == []


def test_failure_with_force_keeps_the_previous_export(annotated, tmp_path, monkeypatch):
    first = write_export(ExportOptions(), tmp_path / "out")
    before = (first.path / "sentences.jsonl").read_bytes()
    monkeypatch.setattr(services, "_sha256", lambda path: (_ for _ in ()).throw(RuntimeError("boom")))
    with pytest.raises(RuntimeError):
        write_export(ExportOptions(), tmp_path / "out", force=True)
    assert (first.path / "sentences.jsonl").read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["out"]


def test_zip_holds_data_files_and_card(annotated, tmp_path):
    result = write_export(ExportOptions(format="all"), tmp_path / "dataset", as_zip=True)
    assert result.path.name == "dataset.zip"
    with zipfile.ZipFile(result.path) as archive:
        assert sorted(archive.namelist()) == [
            "README.md",
            "dataset.json",
            "labelstudio.json",
            "sentences.csv",
            "sentences.jsonl",
            "spans.conll",
        ]


def test_an_export_reads_in_three_queries_per_batch_of_articles(annotated, django_assert_num_queries):
    """The registry and the plan once, then sentences, marks and articles per batch of whole
    articles; a batch per article (batch_size=1) changes nothing."""
    options = ExportOptions(include_unsettled=True)
    with django_assert_num_queries(2 + 3):
        rows = list(iter_rows(options))
    assert len({row.record["article_id"] for row in rows}) == 2
    with django_assert_num_queries(2 + 3 * 2):
        assert [row.record for row in iter_rows(options, batch_size=1)] == [row.record for row in rows]


def test_more_explicit_articles_than_a_statement_can_bind_still_export(annotated):
    """The plan of an admin action over many articles has more ids than PostgreSQL binds on the
    server (65,535): it binds them on the client instead, and the rows are the same."""
    every = list(iter_rows(ExportOptions(include_unsettled=True)))
    ids = {row.record["article_id"] for row in every}
    many = ExportOptions(include_unsettled=True, article_ids=[*ids, *range(10**9, 10**9 + 70_000)])
    assert [row.record for row in iter_rows(many)] == [row.record for row in every]


@pytest.mark.parametrize("include_unsettled", [False, True])
def test_progress_counts_up_to_the_total_announced_first(annotated, include_unsettled):
    options = ExportOptions(include_unsettled=include_unsettled)
    events = []
    rows = list(
        iter_rows(
            options,
            batch_size=1,
            on_total=lambda n: events.append(("total", n)),
            on_chunk=lambda n: events.append(("read", n)),
        )
    )
    assert [kind for kind, _ in events] == ["total", "read", "read"]  # one batch per article
    reviewable = Sentence.objects.filter(reviewable=True).count()
    assert events[0][1] == events[-1][1] == reviewable >= len(rows)
    assert events[1][1] < events[2][1]


def test_export_command_writes_and_reports(annotated, tmp_path, capsys):
    call_command("export", "--format", "all", "--out", str(tmp_path / "out"), "--outlet", "news.sky.com")
    assert "Exported" in capsys.readouterr().out
    with pytest.raises(CommandError, match="already exists"):
        call_command("export", "--out", str(tmp_path / "out"))
    with pytest.raises(CommandError, match="unknown format"):
        call_command("export", "--format", "parquet", "--out", str(tmp_path / "other"))
    call_command("export", "--out", str(tmp_path / "empty"), "--outlet", "nowhere.example")
    assert "No sentence matched" in capsys.readouterr().out


ORACLE = object()


@pytest.mark.parametrize(
    ("units", "expected"),
    [
        (
            [("claim", "claim"), ("analysis", "analysis"), ("attribution", "claim"), ("attribution", "attribution")],
            ORACLE,
        ),
        (
            [
                ("claim", "claim", "analysis"),
                ("other", "claim"),
                ("claim", "claim"),
                ("analysis", "other", "other", "claim"),
            ],
            ORACLE,
        ),
        ([("claim", "claim"), ("claim", "claim")], 1.0),
        ([("claim", "claim")], None),
        ([], None),
    ],
)
def test_alpha_from_label_patterns_matches_the_krippendorff_package(units, expected):
    """The card's alpha (streamed as label patterns) is the scoring implementation, checked against
    the `krippendorff` package where alpha is defined, and our edge cases elsewhere."""
    from collections import Counter

    import krippendorff
    import numpy as np

    from reliability.scoring import krippendorff_alpha_from_label_patterns

    got = krippendorff_alpha_from_label_patterns(Counter(tuple(sorted(unit)) for unit in units))
    if expected is ORACLE:
        labels = sorted({label for unit in units for label in unit})
        counts = np.array([[unit.count(label) for label in labels] for unit in units if len(unit) >= 2])
        assert got == pytest.approx(krippendorff.alpha(value_counts=counts, level_of_measurement="nominal"))
    else:
        assert got == expected


def test_in_progress_marks_are_not_exported(annotated, make_user, tmp_path):
    """docs/scoring.md section 1: a mark of an assignment not yet submitted is in no dataset and
    forms no gold label (here it would have made a 2:1 majority of a 1-1 dispute)."""
    from annotate.models import Annotation, Assignment

    newcomer = make_user("reviewer3")
    sky = annotated["sky"]
    Assignment.objects.create(article=sky, reviewer=newcomer)
    disputed = sky.sentences.get(position=7)
    Annotation.objects.create(sentence=disputed, reviewer=newcomer, label="analysis")
    records = _records(write_export(ExportOptions(format="jsonl"), tmp_path / "out").path)
    assert not [r for r in records if r["sentence_id"] == disputed.pk]  # still disputed: left out
    assert "reviewer3" not in (tmp_path / "out" / "sentences.jsonl").read_text(encoding="utf-8")


def test_read_ahead_hands_over_items_and_errors_and_stops_when_left():
    """records._read_ahead: items in order; an exception in the reading thread is raised in the
    consumer after the items before it; a consumer that leaves early stops the thread."""
    import itertools
    import threading

    from datasets.records import _read_ahead

    def failing():
        yield 1
        yield 2
        raise ValueError("the database went away")

    items = _read_ahead(failing())
    assert [next(items), next(items)] == [1, 2]
    with pytest.raises(ValueError, match="went away"):
        next(items)

    endless = _read_ahead(itertools.count())
    assert [next(endless) for _ in range(3)] == [0, 1, 2]
    endless.close()
    assert not [t for t in threading.enumerate() if t.name == "export-reads"]


def test_claim_group_ids_are_added_on_request_in_jsonl_csv_and_the_card(annotated, tmp_path, lead):
    from annotate.models import Sentence
    from claims.services import decide_pair

    sky_first = annotated["sky"].sentences.filter(reviewable=True).order_by("position").first()
    reuters_first = annotated["reuters"].sentences.order_by("position").first()
    decide_pair(first=sky_first, second=reuters_first, same=True, lead=lead)
    group = Sentence.objects.get(pk=sky_first.pk).claim_membership.group_id

    plain = _records(write_export(ExportOptions(format="jsonl"), tmp_path / "plain").path)
    assert all("claim_group" not in r for r in plain)
    result = write_export(ExportOptions(format="all", claim_groups=True), tmp_path / "groups")
    records = _records(result.path)
    by_id = {r["sentence_id"]: r["claim_group"] for r in records}
    assert by_id[sky_first.pk] == by_id[reuters_first.pk] == group
    assert sum(value is not None for value in by_id.values()) == 2
    with (result.path / "sentences.csv").open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert {row["sentence_id"]: row["claim_group"] for row in rows}[str(sky_first.pk)] == str(group)
    card = json.loads((result.path / "dataset.json").read_text(encoding="utf-8"))
    assert card["filters"]["claim_groups"] is True
    assert "`claim_group`" in (result.path / "README.md").read_text(encoding="utf-8")
