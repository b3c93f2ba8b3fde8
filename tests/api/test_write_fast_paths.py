"""The mark write's fast paths (issue 17, label save) give exactly what the slow ones gave:
fields built once (AnnotationSerializer.data_of, AnnotationWriteSerializer.validated) and the
locking read compiled once per shape (annotate/compiled.py)."""

import pytest
from django.db import IntegrityError, connection, transaction
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


# The new mark in one statement (PostgreSQL, `annotate.services._create_at_once`): what it writes is
# what the full path (`_save_annotation`) writes, and whatever it would refuse it leaves to the full
# path, which answers as it always has. On SQLite the full path runs (the tests then compare it
# with itself).
UNSTAMPED = {"id", "sentence_id", "annotation_id", "created", "updated", "changed_at"}


def _row(instance) -> dict:
    return {
        field.attname: getattr(instance, field.attname)
        for field in instance._meta.concrete_fields
        if field.attname not in UNSTAMPED
    }


def test_the_one_statement_create_writes_what_the_full_path_writes(assigned_article, reviewer, source):
    from django.test.utils import CaptureQueriesContext

    from annotate.models import AnnotationRevision, Origin
    from annotate.services import _save_annotation

    first, second = assigned_article.sentences.order_by("position")[:2]
    mark = MarkInput(
        label="attribution",
        source=source,
        source_span=(0, 3),
        cue_span=(4, 6),
        note="n",
        from_suggestion=True,
        suggestion_version="rules-1",
    )
    common = {"reviewer": reviewer, "mark": mark, "expected_version": 0, "origin": Origin.API}
    with CaptureQueriesContext(connection) as queries:
        fast, created = save_annotation(sentence=first.pk, changed_by=reviewer, **common)
    slow, _ = _save_annotation(
        sentence=second.pk, changed_by=reviewer, external_id="", external_updated=None, external_version=False, **common
    )
    statements = [q["sql"] for q in queries.captured_queries if not q["sql"].startswith(("SAVEPOINT", "RELEASE"))]
    if connection.vendor == "postgresql":
        assert len(statements) == 1
        assert statements[0].startswith("WITH")
    assert created
    assert fast.sentence_id == first.pk
    assert _row(fast) == _row(slow)
    assert _row(Annotation.objects.get(pk=fast.pk)) == _row(Annotation.objects.get(pk=slow.pk))
    assert Annotation.objects.get(pk=fast.pk).created == fast.created
    revisions = [AnnotationRevision.objects.get(annotation_id=a.pk) for a in (fast, slow)]
    assert _row(revisions[0]) == _row(revisions[1])
    assert revisions[0].sentence_id == first.pk
    answer, expected = AnnotationSerializer.data_of(fast), AnnotationSerializer.data_of(slow)
    for name in ("id", "sentence", "created", "updated"):
        answer.pop(name), expected.pop(name)
    assert answer == expected
    for made, stored in ((fast.sentence, first), (slow.sentence, second)):
        for attribute in ("pk", "article_id", "position", "start", "end", "text", "reviewable"):
            assert getattr(made, attribute) == getattr(stored, attribute)
        assert made.article.outlet_id == stored.article.outlet_id
        assert made.article.retired is made.article.outlet.retired is False


def _submit(article, reviewer, **_):
    Assignment.objects.filter(article=article, reviewer=reviewer).update(submitted_at="2024-12-01T10:00:00Z")


def _retire(article, **_):
    type(article).objects.filter(pk=article.pk).update(retired=True)


def _retire_outlet(article, **_):
    type(article.outlet).objects.filter(pk=article.outlet_id).update(retired=True)


def _unassign(article, reviewer, **_):
    Assignment.objects.filter(article=article, reviewer=reviewer).delete()


def _mark_it(article, reviewer, sentence, **_):
    save_annotation(reviewer=reviewer, sentence=sentence, mark=MarkInput(label="claim"))


REFUSALS = {
    "assignment submitted": (_submit, {}),
    "article retired": (_retire, {}),
    "outlet retired": (_retire_outlet, {}),
    "not assigned": (_unassign, {}),
    "already marked": (_mark_it, {}),
    "no such source": (None, {"label": "attribution", "source": "missing"}),
    "attribution without a source": (None, {"label": "attribution"}),
    "span past the sentence": (None, {"source_span": (0, 100_000)}),
    "empty span": (None, {"cue_span": (3, 3)}),
    "not a label": (None, {"label": "opinion"}),
    "no such sentence": (None, {"sentence": "missing"}),
}


def _outcome(call):
    try:
        with transaction.atomic():
            result = call()
    except IntegrityError as exc:
        return ("IntegrityError", type(exc.__cause__).__name__)
    except Exception as exc:  # noqa: BLE001  (the refusal itself is what is compared)
        detail = getattr(exc, "message_dict", None) or str(exc)
        return (type(exc).__name__, detail, getattr(getattr(exc, "current", None), "pk", None))
    return ("written", result[1])


@pytest.mark.parametrize("case", REFUSALS)
def test_what_the_one_statement_create_refuses_the_full_path_answers(assigned_article, reviewer, source, case):
    from annotate.models import AnnotationRevision, Origin, Source
    from annotate.services import _create_at_once, _save_annotation

    arrange, changes = REFUSALS[case]
    sentence = assigned_article.sentences.order_by("position")[1]
    if arrange is not None:
        arrange(article=assigned_article, reviewer=reviewer, sentence=sentence)
    fields = {"label": "claim", **changes}
    sentence_id = 10**12 if fields.pop("sentence", None) == "missing" else sentence.pk
    if fields.get("source") == "missing":
        fields["source"] = Source(pk=10**12)
    mark = MarkInput(**fields)
    before = (Annotation.objects.count(), AnnotationRevision.objects.count())
    extra = {"origin": Origin.API, "external_id": "", "external_updated": None, "external_version": False}

    if case == "already marked" and connection.vendor == "postgresql":  # the unique constraint refuses it
        with pytest.raises(IntegrityError), transaction.atomic():
            _create_at_once(reviewer=reviewer, sentence=sentence_id, mark=mark, **extra)
    else:
        with transaction.atomic():
            assert _create_at_once(reviewer=reviewer, sentence=sentence_id, mark=mark, **extra) is None
    assert (Annotation.objects.count(), AnnotationRevision.objects.count()) == before
    answer = _outcome(
        lambda: save_annotation(
            reviewer=reviewer, sentence=sentence_id, mark=mark, expected_version=0, changed_by=reviewer
        )
    )
    expected = _outcome(
        lambda: _save_annotation(
            reviewer=reviewer, sentence=sentence_id, mark=mark, expected_version=0, changed_by=reviewer, **extra
        )
    )
    assert answer == expected
    assert answer[0] != "written"
    assert (Annotation.objects.count(), AnnotationRevision.objects.count()) == before


def test_the_new_mark_statement_is_prepared_on_postgresql(assigned_article, reviewer, settings):
    if connection.vendor != "postgresql":
        pytest.skip("prepared statements: PostgreSQL only")
    from django.db.backends.postgresql.base import ServerBindingCursor
    from django.test.utils import CaptureQueriesContext

    sentences = list(assigned_article.sentences.order_by("position")[:8])
    with CaptureQueriesContext(connection) as queries:
        for sentence in sentences:
            save_annotation(
                reviewer=reviewer,
                sentence=sentence,
                mark=MarkInput(label="claim"),
                expected_version=0,
                changed_by=reviewer,
            )
    assert Annotation.objects.filter(reviewer=reviewer).count() == len(sentences)
    logged = [q["sql"] for q in queries.captured_queries if q["sql"].startswith("WITH")]
    assert len(logged) == len(sentences)
    assert all(f"= {sentence.pk}" in sql for sql, sentence in zip(logged, sentences, strict=True))  # with its values
    with connection.cursor() as cursor:
        cursor.execute("SELECT statement FROM pg_prepared_statements")
        assert any(row[0].startswith("WITH") for row in cursor.fetchall())
    with compiled.prepared_cursor(connection) as cursor:
        assert isinstance(cursor.cursor, ServerBindingCursor)
    settings.DB_PREPARED_STATEMENTS = False  # (behind a pooler in transaction mode)
    with compiled.prepared_cursor(connection) as cursor:
        assert not isinstance(cursor.cursor, ServerBindingCursor)
