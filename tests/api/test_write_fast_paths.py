"""The mark write's fast paths (issue 17, label save) give exactly what the slow ones gave:
fields built once (AnnotationSerializer.data_of, AnnotationWriteSerializer.validated) and the
locking read compiled once per shape (annotate/compiled.py)."""

import pytest
from django.db import connection, transaction
from rest_framework.exceptions import ValidationError

from annotate import compiled
from annotate.models import Annotation, Assignment
from annotate.serializers import AnnotationSerializer, AnnotationWriteSerializer
from annotate.services import MarkInput, _new_mark_lock, save_annotation

pytestmark = pytest.mark.django_db


def test_data_of_is_the_serializers_data(assigned_article, reviewer, reviewer2, source):
    sentences = list(assigned_article.sentences.order_by("position")[:3])
    save_annotation(reviewer=reviewer, sentence=sentences[0], mark=MarkInput(label="claim", note="n"))
    save_annotation(
        reviewer=reviewer,
        sentence=sentences[1],
        mark=MarkInput(label="attribution", source=source, source_span=(0, 3), cue_span=(4, 6)),
    )
    save_annotation(reviewer=reviewer2, sentence=sentences[2], mark=MarkInput(label="analysis"))
    Assignment.objects.filter(reviewer=reviewer2).update(submitted_at="2024-12-01T10:00:00Z")
    for annotation in Annotation.objects.with_counting().select_related("reviewer"):
        assert AnnotationSerializer.data_of(annotation) == AnnotationSerializer(annotation).data
    assert {a["provisional"] for a in map(AnnotationSerializer.data_of, Annotation.objects.with_counting())} == {
        True,
        False,
    }


VALID = [
    {"sentence": 5, "label": "claim"},
    {"sentence": 5, "label": "attribution", "source": 3, "source_span": [0, 4], "cue_span": None, "note": " x "},
    {"sentence": 5, "label": "other", "from_suggestion": True, "suggestion_version": "rules-1", "version": 2},
    {"label": "claim"},  # (valid only as a partial change)
]
INVALID = [
    {"sentence": 5, "label": "opinion"},
    {"sentence": 5, "label": "claim", "colour": "red"},
    {"sentence": 0, "label": "claim"},
    {"sentence": 5, "label": "claim", "source_span": [3]},
    {"sentence": "five", "label": "claim", "note": "x" * 100_000},
    {"label": "claim"},
    [],
    None,
    "claim",
]


@pytest.mark.parametrize("partial", [False, True])
@pytest.mark.parametrize("data", VALID + INVALID)
def test_validated_is_is_valid(data, partial):
    serializer = AnnotationWriteSerializer(data=data, partial=partial)
    if serializer.is_valid():
        assert AnnotationWriteSerializer.validated(data, partial=partial) == serializer.validated_data
        return
    with pytest.raises(ValidationError) as raised:
        AnnotationWriteSerializer.validated(data, partial=partial)
    assert raised.value.detail == serializer.errors


@pytest.mark.parametrize("has_source", [False, True])
@pytest.mark.parametrize("known_role", [None, False, True])
def test_the_compiled_locking_read_is_djangos_query_with_the_values(
    assigned_article, reviewer, source, has_source, known_role
):
    sentence = assigned_article.sentences.order_by("position")[1]
    values = (reviewer.pk, sentence.pk, source.pk, reviewer.pk)
    with transaction.atomic():
        found = compiled.fetch_one(
            ("test", has_source, known_role), lambda *v: _new_mark_lock(has_source, known_role, *v), *values
        )
        expected = _new_mark_lock(has_source, known_role, *values).first()
    assert found is not None
    assert expected is not None
    as_python = [bool(v) if isinstance(e, bool) else v for v, e in zip(found, expected, strict=True)]
    assert as_python == list(expected)
    with transaction.atomic():  # another sentence, same shape: the values are parameters
        other = assigned_article.sentences.order_by("position")[2]
        again = compiled.fetch_one(
            ("test", has_source, known_role),
            lambda *v: _new_mark_lock(has_source, known_role, *v),
            reviewer.pk,
            other.pk,
            source.pk,
            reviewer.pk,
        )
    assert again is not None
    assert again[8] == other.text


def test_a_value_folded_into_the_sql_is_refused(db):
    def folded(sentence_id):  # the value ends up in the SQL text, not in the parameters
        return Annotation.objects.extra(where=[f"sentence_id = {int(sentence_id)}"]).values_list("pk")

    with pytest.raises(compiled.ShapeError):
        compiled.fetch_one(("folded",), folded, 5)
    assert (connection.alias, ("folded",)) not in compiled._compiled
