"""Issue 12 item 7: hostile Label Studio payloads. Every pulled field is checked: a bad one is one clear
line naming the task and the field, the batch writes nothing (or only the valid annotations with
--skip-invalid), never a traceback. Notes have the same size limit as in the API."""

from __future__ import annotations

import copy

import pytest
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.management import CommandError
from rest_framework.test import APIClient

from annotate.models import NOTE_MAX_LENGTH, Annotation, AnnotationRevision, Assignment
from annotate.services import MarkInput, save_annotation
from labelstudio.pull import apply_rows, file_annotator

from .test_convert import _annotation, _choice, _import, _row

pytestmark = pytest.mark.django_db


@pytest.fixture
def sentence(sample_article):
    return sample_article.sentences.get(position=0)


def _note(text) -> dict:
    return {"id": "n", "from_name": "note", "to_name": "sentence", "type": "textarea", "value": {"text": text}}


def _good(sentence, task_id=1, annotation_id=10) -> dict:
    return _row(sentence, _annotation([_choice("claim")], 7, annotation_id=annotation_id), task_id=task_id)


BAD_TASKS = {
    "a list as task id": (lambda row: row.update(id=[1, 2]), "task id [1, 2] is not a whole number"),
    "data as a list": (lambda row: row.update(data=["x"]), "data is list, not an object"),
    "annotations as an object": (lambda row: row.update(annotations={"a": 1}), "annotations is dict, not a list"),
    "a string as task": (None, "a task is an object, not str"),
}

BAD_ANNOTATIONS = {
    "labels as an object": (
        lambda a: a["result"].append(
            {
                "from_name": "spans",
                "to_name": "sentence",
                "type": "labels",
                "value": {"start": 0, "end": 3, "text": "x", "labels": {"CUE": True}},
            }
        ),
        "span labels {'CUE': True} is not a list of strings",
    ),
    "updated_at of 2026-13-45": (lambda a: a.update(updated_at="2026-13-45T00:00:00Z"), "unreadable timestamp"),
    "updated_at as a number": (lambda a: a.update(updated_at=1_700_000_000), "timestamp 1700000000 is not a string"),
    "choices as a string": (lambda a: a["result"][0]["value"].update(choices="claim"), "label choices 'claim'"),
    "note text as a string": (lambda a: a["result"].append(_note("free text")), "note text 'free text'"),
    "a 30 MB note": (
        lambda a: a["result"].append(_note(["x" * 30_000_000])),
        f"over the {NOTE_MAX_LENGTH:,}-character limit",
    ),
    "result as a string": (lambda a: a.update(result="claim"), "result is str, not a list"),
    "an object as annotation id": (lambda a: a.update(id={"x": 1}), "annotation id {'x': 1} is not a number"),
    "was_cancelled as a string": (lambda a: a.update(was_cancelled="yes"), "was_cancelled 'yes' is not true or false"),
    "completed_by as a list": (lambda a: a.update(completed_by=[7]), "no annotator (completed_by [7])"),
    "completed_by as a word": (lambda a: a.update(completed_by="someone"), "neither an e-mail nor an account id"),
}


@pytest.mark.parametrize("case", sorted(BAD_TASKS))
def test_a_bad_task_is_one_clear_line_and_nothing_is_written(tmp_path, sentence, case):
    change, expected = BAD_TASKS[case]
    bad = _good(sentence, task_id=2, annotation_id=11)
    if change is None:
        bad = "not a task"
    else:
        change(bad)
    rows = [_good(sentence), bad]
    with pytest.raises(CommandError) as info:
        _import(tmp_path, rows)
    message = str(info.value)
    assert "\n" not in message
    assert "1 invalid annotation(s), nothing written" in message
    assert expected in message
    assert not Annotation.objects.exists()
    assert "1 marks created" in _import(tmp_path, rows, "--skip-invalid")


@pytest.mark.parametrize("case", sorted(BAD_ANNOTATIONS))
def test_a_bad_annotation_field_is_one_clear_line_and_nothing_is_written(tmp_path, sample_article, case):
    change, expected = BAD_ANNOTATIONS[case]
    first, second = sample_article.sentences.order_by("position")[:2]
    bad = _good(second, task_id=2, annotation_id=11)
    change(bad["annotations"][0])
    rows = [_good(first), bad]
    users = get_user_model().objects.count()
    with pytest.raises(CommandError) as info:
        _import(tmp_path, rows)
    message = str(info.value)
    assert "\n" not in message
    assert len(message) < 2000  # a 30 MB note is named, not echoed
    assert "task 2 annotation" in message
    assert expected in message
    assert not Annotation.objects.exists()
    assert get_user_model().objects.count() == users
    output = _import(tmp_path, rows, "--skip-invalid")
    assert "1 marks created" in output
    assert list(Annotation.objects.values_list("sentence_id", flat=True)) == [first.pk]


def test_apply_rows_takes_any_json_without_a_traceback(sentence):
    """Whatever a JSON export holds, apply_rows answers with invalid lines, never an exception."""
    good = _good(sentence)
    shapes = [None, 3, "x", [], {}, {"id": None}, {"id": True}, {"id": -1}, {"id": 1, "data": None}]
    for value in (None, 3, "x", [None], [1, "a"], {"k": "v"}, {"start": "0"}):
        for key in ("result", "completed_by", "updated_at", "id", "was_cancelled"):
            annotation = copy.deepcopy(good["annotations"][0])
            annotation[key] = value
            shapes.append({**copy.deepcopy(good), "annotations": [annotation]})
        item = copy.deepcopy(good)
        item["annotations"][0]["result"][0]["value"] = {"choices": value}
        shapes.append(item)
    report = apply_rows(shapes, annotator_for=file_annotator(None), skip_invalid=True)
    assert report.invalid
    assert all("\n" not in line for line in report.invalid)


def test_the_note_limit_is_the_same_in_the_api_and_every_write(assigned_article, reviewer):
    sentence = assigned_article.sentences.get(position=0)
    client = APIClient()
    client.force_authenticate(reviewer)
    long_note = "n" * (NOTE_MAX_LENGTH + 1)
    response = client.post(
        "/api/v1/annotations/", {"sentence": sentence.pk, "label": "claim", "note": long_note}, format="json"
    )
    assert response.status_code == 400
    assert "note" in response.json()
    with pytest.raises(ValidationError) as info:
        save_annotation(reviewer=reviewer, sentence=sentence, mark=MarkInput(label="claim", note=long_note))
    assert "note" in info.value.message_dict
    assert not AnnotationRevision.objects.exists()
    assert Assignment.objects.filter(reviewer=reviewer).exists()


@pytest.fixture
def assigned_article(sample_article, reviewer):
    Assignment.objects.create(article=sample_article, reviewer=reviewer)
    return sample_article
