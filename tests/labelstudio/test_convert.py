"""Label Studio config generation and conversions, without a server; `import-file` on the database."""

from __future__ import annotations

import json
import socket
from datetime import UTC, datetime

import httpx
import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from label_studio_sdk.core.api_error import ApiError
from label_studio_sdk.label_interface import LabelInterface

from annotate.codebook import Label, SourceKind
from annotate.models import Annotation, AnnotationRevision, Origin, Reviewer, Source
from annotate.services import MarkInput, save_annotation
from labelstudio import schema as fmt
from labelstudio.client import LabelStudioError, error_line, server_settings
from labelstudio.config import config_hash, label_config, missing_controls, validate_locally
from labelstudio.convert import (
    ConversionError,
    parse_result,
    parse_timestamp,
    prediction_for,
    suggestion_result,
    username_for,
)
from labelstudio.models import LabelStudioConflict
from labelstudio.pull import Annotator, file_annotator
from labelstudio.push import task_for_sentence

TEXT = "🐱 Reports indicate that 12 died, said the ministry."


def _choice(*labels: str, name: str = "label") -> dict:
    return {
        "id": "doc",
        "from_name": name,
        "to_name": "sentence",
        "type": "choices",
        "value": {"choices": list(labels)},
    }


def _span(region_id: str, part: str, tag: str, text: str = TEXT, **override) -> dict:
    start = text.index(part)
    value = {"start": start, "end": start + len(part), "text": part, "labels": [tag], **override}
    return {"id": region_id, "from_name": "spans", "to_name": "sentence", "type": "labels", "value": value}


def _kind(region_id: str, part: str, *kinds: str, text: str = TEXT) -> dict:
    start = text.index(part)
    return {
        "id": region_id,
        "from_name": "source_kind",
        "to_name": "sentence",
        "type": "choices",
        "value": {"start": start, "end": start + len(part), "text": part, "choices": list(kinds)},
    }


# --- Config -------------------------------------------------------------------------------------
def test_config_lists_every_codebook_value_under_the_export_names():
    interface = LabelInterface(label_config())
    controls = {control.name: control for control in interface.controls}
    assert set(controls[fmt.LABEL_FROM_NAME].labels) == set(Label.values)
    assert set(controls[fmt.SPANS_FROM_NAME].labels) == {fmt.SOURCE_SPAN_LABEL, fmt.CUE_SPAN_LABEL}
    assert set(controls[fmt.SOURCE_KIND_FROM_NAME].labels) == set(SourceKind.values)
    assert all(control.to_name == [fmt.TO_NAME] for control in controls.values())
    xml = label_config()
    for key in (fmt.DATA_SENTENCE, fmt.DATA_CONTEXT, fmt.DATA_TITLE):
        assert f'"${key}"' in xml
    assert 'perRegion="true"' in xml
    validate_locally(xml)
    assert missing_controls(xml) == []


def test_config_hash_ignores_whitespace_only():
    xml = label_config()
    assert config_hash(xml) == config_hash(xml.replace("\n  ", "\n    "))
    assert config_hash(xml) != config_hash(xml.replace('value="claim"', 'value="claims"'))


def test_broken_or_foreign_configs_are_named():
    with pytest.raises(ValueError, match="invalid labeling config"):
        validate_locally(label_config().replace('toName="sentence" perRegion', 'toName="nope" perRegion'))
    assert missing_controls('<View><Text name="t" value="$t"/></View>') == [
        "no control named 'label'",
        "no control named 'spans'",
        "no control named 'source_kind'",
    ]
    fewer = label_config().replace('<Choice value="other"', '<Choice value="misc"')
    assert missing_controls(fewer) == ["'label' lacks other"]
    assert missing_controls("<View")[0].startswith("unreadable config")


def test_the_dataset_exports_annotation_result_is_valid_for_the_config():
    result = fmt.annotation_result(
        {"label": "attribution", "source_span": [2, 18], "source": {"kind": "anonymous"}, "cue_span": [33, 37]},
        TEXT,
        "s1-0",
    )
    assert LabelInterface(label_config()).validate_annotation({"result": result})
    mark = parse_result(result, TEXT)
    assert (mark.label, mark.source_span, mark.source_kind, mark.cue_span) == (
        "attribution",
        (2, 18),
        "anonymous",
        (33, 37),
    )


# --- Suggestions as predictions ------------------------------------------------------------------
def test_suggestion_becomes_a_prediction_with_its_model_version():
    suggestion = {
        "label": "attribution",
        "confidence": 0.7,
        "source_span": [2, 18],
        "cue_span": [33, 37],
        "source_kind": "anonymous",
        "model_version": "rules-1",
    }
    prediction = prediction_for(suggestion, TEXT, "s7")
    assert (prediction["model_version"], prediction["score"]) == ("rules-1", 0.7)
    assert LabelInterface(label_config()).validate_annotation({"result": prediction["result"]})
    mark = parse_result(prediction["result"], TEXT)
    assert (mark.source_text, TEXT[slice(*mark.cue_span)]) == ("Reports indicate", "said")
    plain = suggestion_result({"label": "claim", "model_version": "rules-1"}, TEXT, "s8")
    assert [item["from_name"] for item in plain] == ["label"]


def test_task_data_has_ids_context_and_config_keys(sample_article):
    sentence = sample_article.sentences.get(position=3)
    task = task_for_sentence(sentence, None)
    data = task["data"]
    assert data[fmt.DATA_SENTENCE] == sentence.text
    assert sentence.text in data[fmt.DATA_CONTEXT]
    assert data[fmt.DATA_TITLE] == sample_article.title
    assert (data["sentence_id"], data["article_id"], data["position"]) == (sentence.pk, sample_article.pk, 3)
    assert "predictions" not in task


# --- Results -> marks ----------------------------------------------------------------------------
def test_attribution_with_emoji_before_the_span_keeps_code_point_offsets():
    result = [
        _choice("attribution"),
        _span("r1", "Reports indicate", "SOURCE"),
        _kind("r1", "Reports indicate", "anonymous"),
        _span("r2", "said", "CUE"),
        {"id": "n", "from_name": "note", "to_name": "sentence", "type": "textarea", "value": {"text": ["hm"]}},
    ]
    mark = parse_result(result, TEXT)
    assert mark.source_span == (2, 18)  # 3 in UTF-16: the emoji is one code point
    assert mark.source_text == "Reports indicate"
    assert (mark.source_kind, mark.cue_span, mark.note) == ("anonymous", (33, 37), "hm")


def test_source_kind_links_by_offsets_when_ids_differ():
    result = [_choice("claim"), _span("r1", "the ministry", "SOURCE"), _kind("other-id", "the ministry", "government")]
    assert parse_result(result, TEXT).source_kind == "government"


def test_foreign_controls_are_ignored():
    result = [
        _choice("analysis"),
        {"from_name": "sentiment", "to_name": "sentence", "type": "choices", "value": {"choices": ["happy"]}},
        {"from_name": "label", "to_name": "context", "type": "choices", "value": {"choices": ["nope"]}},
    ]
    assert parse_result(result, TEXT).label == "analysis"


@pytest.mark.parametrize(
    ("result", "problem"),
    [
        ([], "no label chosen"),
        ([_choice("opinion")], "label 'opinion' is not in the codebook (claim, attribution, analysis, other)"),
        ([_choice("claim", "analysis")], "several labels"),
        ([_choice("attribution"), _span("r2", "said", "CUE")], "an attribution needs a SOURCE span"),
        ([_choice("claim"), _span("r1", "said", "CUE", text="said")], "reads"),
        (
            [_choice("claim"), _span("r1", "said", "CUE", start=33, end=36)],
            "reads 'sai' in the sentence but Label Studio says 'said'",
        ),
        ([_choice("claim"), _span("r1", "said", "CUE", end=999)], "outside the sentence"),
        ([_choice("claim"), _span("r1", "said", "CUE", start="33")], "no integer start/end"),
        ([_choice("claim"), _span("r1", "said", "QUOTE")], "each span needs exactly one of SOURCE, CUE"),
        (
            [_choice("claim"), _span("r1", "Reports", "SOURCE"), _span("r2", "the ministry", "SOURCE")],
            "2 SOURCE spans: a mark has at most one",
        ),
        ([_choice("claim"), _span("r2", "said", "CUE"), _kind("r2", "said", "person")], "is not on a SOURCE span"),
        (
            [_choice("claim"), _span("r1", "Reports", "SOURCE"), _kind("r1", "Reports", "rumour")],
            "is not one of the codebook's",
        ),
        ("not a list", "result is not a list"),
    ],
)
def test_invalid_results_name_the_problem(result, problem):
    with pytest.raises(ConversionError) as info:
        parse_result(result, TEXT)
    assert problem in str(info.value)


def test_every_problem_is_listed():
    with pytest.raises(ConversionError) as info:
        parse_result([_choice("opinion"), _span("r1", "said", "QUOTE")], TEXT)
    assert str(info.value).count(";") == 1


def test_timestamps_and_usernames():
    assert parse_timestamp("2025-01-02T03:04:05.123456Z") == datetime(2025, 1, 2, 3, 4, 5, 123456, tzinfo=UTC)
    assert parse_timestamp(None) is None
    with pytest.raises(ConversionError):
        parse_timestamp("yesterday")
    assert username_for("ana.lima@x.org", set()) == "ana.lima"
    assert username_for("Ana.Lima@y.org", {"ana.lima", "ana.lima-2"}) == "Ana.Lima-3"
    assert username_for("we ird!@x.org", set()) == "we-ird"
    assert username_for("@x.org", set()) == "ls-user"


def test_file_annotators():
    named = file_annotator(None)
    assert named({"id": 3, "email": "a@b.org"}) == Annotator(email="a@b.org")
    assert named(7) == Annotator(placeholder="ls-user-7")
    assert named("c@d.org") == Annotator(email="c@d.org")
    assert "no annotator" in named(None)
    mapped = file_annotator({"7": "e@f.org"})
    assert mapped(7) == Annotator(email="e@f.org")
    assert mapped(8) == "Label Studio user 8 is not in the user map"


# --- Errors --------------------------------------------------------------------------------------
def test_sdk_and_network_errors_become_one_line():
    url = "http://ls.example"
    assert error_line(ApiError(status_code=401, body={"detail": "Invalid token."}), url) == (
        "Label Studio at http://ls.example rejected the API token: Invalid token."
    )
    assert "not found" in error_line(ApiError(status_code=404, body="<html>…</html>"), url)
    assert error_line(ApiError(status_code=400, body={"validation_errors": {"label_config": ["bad"]}}), url) == (
        "Label Studio at http://ls.example refused the request: {'label_config': ['bad']}"
    )
    assert error_line(httpx.ConnectError("[Errno 111] Connection refused"), url) == (
        "cannot reach Label Studio at http://ls.example: [Errno 111] Connection refused"
    )
    assert error_line(httpx.ReadTimeout("slow"), url) == "Label Studio at http://ls.example did not answer in time"
    assert error_line(ValueError("x"), url) is None


def test_server_settings_come_from_arguments_or_settings(settings):
    settings.LABEL_STUDIO_URL = "http://ls.example/"
    settings.LABEL_STUDIO_API_KEY = "abc"
    assert server_settings() == ("http://ls.example", "abc")
    assert server_settings("https://other", "t") == ("https://other", "t")
    settings.LABEL_STUDIO_API_KEY = ""
    with pytest.raises(LabelStudioError, match="pass --token or set LABEL_STUDIO_API_KEY"):
        server_settings()
    with pytest.raises(LabelStudioError, match="must start with http"):
        server_settings("ls.example", "t")


def test_push_without_settings_is_a_one_line_error(db, settings):
    settings.LABEL_STUDIO_URL = ""
    with pytest.raises(CommandError, match="^no Label Studio URL: pass --url or set LABEL_STUDIO_URL$"):
        call_command("labelstudio", "push")


def test_closed_port_is_a_one_line_error(db):
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        url = f"http://127.0.0.1:{sock.getsockname()[1]}"
        with pytest.raises(CommandError) as info:
            call_command("labelstudio", "pull", "--url", url, "--token", "abc")
    assert str(info.value).startswith(f"cannot reach Label Studio at {url}")
    assert "\n" not in str(info.value)


# --- import-file (no server) ---------------------------------------------------------------------
def _row(sentence, *annotations, task_id=1) -> dict:
    return {
        "id": task_id,
        "data": {"sentence": sentence.text, "sentence_id": sentence.pk},
        "annotations": list(annotations),
    }


def _annotation(result, completed_by, annotation_id=10, updated="2025-03-01T10:00:00.000000Z", **extra) -> dict:
    return {
        "id": annotation_id,
        "completed_by": completed_by,
        "result": result,
        "updated_at": updated,
        "created_at": updated,
        "was_cancelled": False,
        **extra,
    }


def _import(tmp_path, rows, *args) -> str:
    path = tmp_path / "export.json"
    path.write_text(json.dumps(rows))
    out = type(
        "Out",
        (),
        {"text": "", "write": lambda self, s: setattr(self, "text", self.text + s), "flush": lambda self: None},
    )()
    call_command("labelstudio", "import-file", str(path), *args, stdout=out)
    return out.text


@pytest.fixture
def helmets(sample_article):
    return sample_article.sentences.get(text__contains="The White Helmets")


def test_import_file_with_emails_creates_external_reviewers_and_sources(tmp_path, helmets, sample_article):
    text = helmets.text
    claim = sample_article.sentences.get(position=0)
    rows = [
        _row(
            helmets,
            _annotation(
                [
                    _choice("attribution"),
                    _span("s", "The White Helmets", "SOURCE", text=text),
                    _kind("s", "The White Helmets", "organisation", text=text),
                    _span("c", "affirmed", "CUE", text=text),
                ],
                {"id": 4, "email": "Ana@Newsroom.test"},
            ),
        ),
        _row(
            claim,
            _annotation([_choice("claim")], {"id": 4, "email": "ana@newsroom.test"}, annotation_id=11),
            _annotation([], 5, annotation_id=12, was_cancelled=True),
            task_id=2,
        ),
    ]
    output = _import(tmp_path, rows)
    assert "2 marks created, 0 updated, 0 unchanged" in output
    assert "1 skipped or empty" in output
    assert "1 external reviewers added (" in output
    assert "1 sources added (The White Helmets)" in output
    user = get_user_model().objects.get(email__iexact="ana@newsroom.test")
    assert user.username.lower() == "ana"
    assert Reviewer.objects.get(user=user).origin == "label_studio"
    mark = Annotation.objects.get(sentence=helmets)
    assert text[mark.source_start : mark.source_end] == "The White Helmets"
    assert (mark.source.kind, mark.origin, mark.external_id) == ("organisation", Origin.LABEL_STUDIO, "10")
    assert mark.external_updated == datetime(2025, 3, 1, 10, tzinfo=UTC)
    assert "0 marks created, 0 updated, 2 unchanged" in _import(tmp_path, rows)
    assert AnnotationRevision.objects.count() == 2

    rows[0]["annotations"][0]["updated_at"] = "2025-03-02T10:00:00Z"
    rows[0]["annotations"][0]["result"][0]["value"]["choices"] = ["claim"]
    assert "0 marks created, 1 updated, 1 unchanged" in _import(tmp_path, rows)
    mark.refresh_from_db()
    assert (mark.label, mark.version) == ("claim", 2)
    assert list(mark.revisions.values_list("label", flat=True).order_by("version")) == ["attribution", "claim"]


def test_import_file_matches_existing_users_by_email_and_registry_by_alias(tmp_path, helmets, reviewer):
    source = Source.objects.create(name="Syria Civil Defence", kind="organisation")
    source.aliases.create(name="White Helmets")
    text = helmets.text
    rows = [
        _row(
            helmets,
            _annotation(
                [_choice("attribution"), _span("s", "The White Helmets", "SOURCE", text=text)],
                {"email": reviewer.email.upper()},
            ),
        )
    ]
    assert "1 marks created" in _import(tmp_path, rows)
    mark = Annotation.objects.get()
    assert (mark.reviewer, mark.source) == (reviewer, source)
    assert Source.objects.count() == 1


def test_import_file_placeholders_and_user_map(tmp_path, helmets):
    rows = [_row(helmets, _annotation([_choice("analysis")], 7))]
    assert "ls-user-7" in _import(tmp_path, rows)
    user_map = tmp_path / "users.json"
    user_map.write_text(json.dumps({"8": "x@y.org"}))
    with pytest.raises(CommandError, match="Label Studio user 7 is not in the user map"):
        _import(tmp_path, rows, "--user-map", str(user_map))


@pytest.mark.parametrize("updated", ["2001-01-01T00:00:00Z", "2999-12-31T00:00:00Z"])
def test_a_local_mark_is_never_overwritten_a_conflict_is_recorded(tmp_path, helmets, reviewer, updated):
    """Issue 11 finding 8: not even by an annotation claiming a far-future updated_at."""
    save_annotation(reviewer=reviewer, sentence=helmets, mark=MarkInput(label="analysis"))
    rows = [_row(helmets, _annotation([_choice("claim")], {"email": reviewer.email}, updated=updated))]
    output = _import(tmp_path, rows)
    assert "1 conflicts with our marks kept for a lead to settle" in output
    assert "Our mark was made here and differs" in output
    mark = Annotation.objects.get()
    assert (mark.label, mark.version) == ("analysis", 1)
    conflict = LabelStudioConflict.objects.get()
    assert (conflict.sentence, conflict.reviewer, conflict.local_version) == (helmets, reviewer, 1)
    assert conflict.remote_value["label"] == "claim"
    assert "1 conflicts" in _import(tmp_path, rows)  # again: the same open conflict, not a second one
    assert LabelStudioConflict.objects.count() == 1


def test_newest_duplicate_of_one_person_wins(tmp_path, helmets):
    rows = [
        _row(
            helmets,
            _annotation([_choice("claim")], 7, annotation_id=1, updated="2025-01-02T00:00:00Z"),
            _annotation([_choice("analysis")], 7, annotation_id=2, updated="2025-01-01T00:00:00Z"),
        )
    ]
    output = _import(tmp_path, rows)
    assert "1 older duplicate annotations ignored" in output
    assert Annotation.objects.get().label == "claim"


def test_import_file_refuses_a_bad_batch_and_writes_nothing(tmp_path, helmets, sample_article):
    other = sample_article.sentences.get(position=0)
    unknown_source = [_choice("claim"), _span("s", "The White Helmets", "SOURCE", text=helmets.text)]
    rows = [
        _row(helmets, _annotation(unknown_source, 7)),
        _row(other, _annotation([_choice("claim")], 7), task_id=2),
        {
            "id": 3,
            "data": {"sentence": "changed text", "sentence_id": other.pk},
            "annotations": [_annotation([_choice("claim")], 7)],
        },
        {
            "id": 4,
            "data": {"sentence": "x", "sentence_id": 999999},
            "annotations": [_annotation([_choice("claim")], 7)],
        },
    ]
    with pytest.raises(CommandError) as info:
        _import(tmp_path, rows)
    message = str(info.value)
    assert message.startswith("3 invalid annotation(s), nothing written: ")
    assert "is not in the source registry and has no source kind" in message
    assert "task 3: its text differs from sentence" in message
    assert "task 4: no Sourcemark sentence 999999" in message
    assert not Annotation.objects.exists()
    assert not get_user_model().objects.filter(username="ls-user-7").exists()
    output = _import(tmp_path, rows, "--skip-invalid")
    assert "1 marks created" in output
    assert "3 invalid, not written" in output


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        ("{not json", "is not a JSON export"),
        ('{"a": 1}', "a Label Studio JSON export is a list of tasks"),
    ],
)
def test_import_file_rejects_what_is_not_an_export(db, tmp_path, content, problem):
    path = tmp_path / "export.json"
    path.write_text(content)
    with pytest.raises(CommandError, match=problem):
        call_command("labelstudio", "import-file", str(path))
    with pytest.raises(CommandError, match="cannot read the export"):
        call_command("labelstudio", "import-file", str(tmp_path / "missing.json"))
