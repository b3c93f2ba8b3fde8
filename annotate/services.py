"""Writes that span models or need a transaction: marks with their history, assignments (assign,
submit, reopen), retiring articles and outlets, deactivating users, external reviewers, flagging
problems and resolving flags.

The one write path for marks. Every change to a mark (the annotation page and the API, the admin,
the Label Studio pull, the dataset import, the demo) goes through `save_annotation`,
`change_annotation`, `delete_annotation` or, for a batch of new marks, `import_marks`. Each one
checks the mark against the codebook, bumps the version, writes an `AnnotationRevision` and obeys
the rules below, so no path can skip one:

- a stale `expected_version` is refused (StaleVersion), never silently overwritten;
- a submitted assignment's marks are read-only for its reviewer (AssignmentLocked) until a lead
  reopens it (`reopen_assignment`, recorded as an AssignmentEvent); other leads may still correct;
- a reviewer marks only articles assigned to them, and changes only their own marks (NotAllowed);
- marks of a retired article (or of a retired outlet's article) do not change (ArticleRetired).

A write costs at most 5 SQL queries (tests/api/test_queries.py): the mark row locked FOR UPDATE
(with its sentence, article and outlet), the reviewer's assignment locked FOR UPDATE (which
serialises marks against submit and reopen), the INSERT or UPDATE, the revision INSERT, and the
leads-group lookup only when someone changes another reviewer's mark. On PostgreSQL a reviewer's
new mark is one statement (`_create_at_once`: the locking read, the INSERT and the revision INSERT
as one query with CTEs, its own transaction): one round trip instead of five.
"""

import contextlib
import copy
import dataclasses
import functools
import itertools
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connections, router, transaction
from django.db.models import Exists, F, Q, Value
from django.db.models.expressions import Combinable
from django.utils import timezone

from . import compiled
from .codebook import Label
from .models import (
    LEADS_GROUP,
    NOTE_MAX_LENGTH,
    Annotation,
    AnnotationRevision,
    Article,
    Assignment,
    AssignmentEvent,
    Flag,
    FlagReason,
    Origin,
    Outlet,
    Reviewer,
    Sentence,
    Source,
    is_lead,
    submitted_assignment,
)
from .signals import marks_changed

_REVISION_FIELDS = ("label", "source_id", "source_start", "source_end", "cue_start", "cue_end", "note", "origin")


class StaleVersion(Exception):
    """The caller edited an older version of the annotation than the stored one."""

    def __init__(self, current: Annotation):
        self.current = current
        super().__init__(f"annotation {current.pk} is at version {current.version}")


class AssignmentLocked(Exception):
    """The mark belongs to a submitted assignment: read-only for its reviewer until a lead reopens it."""

    def __init__(self, current: Annotation | None = None):
        self.current = current
        super().__init__(
            "Your assignment on this article is submitted, so its marks are locked. "
            "Ask a lead to reopen it if a mark must change."
        )


class ArticleRetired(Exception):
    """The article (or its outlet) is retired: its marks are kept as they are."""

    def __init__(self, current: Annotation | None = None):
        self.current = current
        super().__init__("This article is retired: its marks are kept as they are and cannot change.")


class NotAllowed(PermissionDenied):
    """Someone who is neither the mark's reviewer nor a lead tried to change it, or a reviewer
    tried to mark an article that is not assigned to them."""


@dataclass(frozen=True)
class MarkInput:
    """A reviewer's mark as the caller sends it; spans are offsets into the sentence text.
    `source` is a Source, or one standing for an id the write checks (`Source(pk=id)`)."""

    label: str
    source: Source | None = None
    source_span: tuple[int, int] | None = None
    cue_span: tuple[int, int] | None = None
    note: str = ""
    from_suggestion: bool = False
    suggestion_version: str = ""

    @classmethod
    def of(cls, annotation: Annotation) -> "MarkInput":
        """The stored mark's value (the base of a partial change)."""
        return cls(
            label=annotation.label,
            source=Source(pk=annotation.source_id) if annotation.source_id else None,
            source_span=annotation.source_span,
            cue_span=annotation.cue_span,
            note=annotation.note,
            from_suggestion=annotation.from_suggestion,
            suggestion_version=annotation.suggestion_version,
        )


def validate_mark(sentence: Sentence, mark: MarkInput) -> None:
    """Raise ValidationError (keyed by field) for a mark the codebook does not allow."""
    errors = _mark_errors(mark, len(sentence.text))
    if errors:
        raise ValidationError(errors)


def _mark_errors(mark: MarkInput, length: int | None) -> dict[str, str]:
    """validate_mark's errors for a sentence of `length` characters (None: the spans' ends are not
    checked against it)."""
    errors = {}
    if mark.label not in Label.values:
        errors["label"] = f"{mark.label!r} is not a codebook label ({', '.join(Label.values)})"
    if mark.label == Label.ATTRIBUTION and mark.source is None:
        errors["source"] = "an attribution needs a source"
    for name, span in (("source_span", mark.source_span), ("cue_span", mark.cue_span)):
        if span is None:
            continue
        start, end = span
        if not (0 <= start < end <= (end if length is None else length)):
            errors[name] = f"[{start}, {end}] must satisfy 0 <= start < end <= {length} (the sentence length)"
    if not isinstance(mark.note, str) or len(mark.note) > NOTE_MAX_LENGTH:
        errors["note"] = f"a note is at most {NOTE_MAX_LENGTH:,} characters (this one has {len(mark.note):,})"
    if len(mark.suggestion_version) > 50:
        errors["suggestion_version"] = "at most 50 characters"
    return errors


def _revision(annotation: Annotation, action: str, by_id: int | None) -> AnnotationRevision:
    return AnnotationRevision(
        annotation_id=annotation.pk,  # kept after the mark is deleted: the revisions never change
        sentence_id=annotation.sentence_id,
        reviewer_id=annotation.reviewer_id,
        action=action,
        version=annotation.version,
        changed_by_id=by_id,
        **{name: getattr(annotation, name) for name in _REVISION_FIELDS},
    )


def _record(annotation: Annotation, action: str, changed_by) -> None:
    by = changed_by.pk if changed_by is not None else annotation.reviewer_id
    _revision(annotation, action, by).save(force_insert=True)


def _apply(annotation: Annotation, mark: MarkInput) -> None:
    annotation.label = mark.label
    annotation.source_id = mark.source.pk if mark.source else None
    annotation.source_start, annotation.source_end = mark.source_span or (None, None)
    annotation.cue_start, annotation.cue_end = mark.cue_span or (None, None)
    annotation.note = mark.note
    annotation.from_suggestion = mark.from_suggestion
    annotation.suggestion_version = mark.suggestion_version


def same_mark(annotation: Annotation, mark: MarkInput, *, with_suggestion: bool = True) -> bool:
    """Whether the stored mark already has this value (nothing to write)."""
    return (
        annotation.label == mark.label
        and annotation.source_id == (mark.source.pk if mark.source else None)
        and annotation.source_span == mark.source_span
        and annotation.cue_span == mark.cue_span
        and annotation.note == mark.note
        and (
            not with_suggestion
            or (
                annotation.from_suggestion == mark.from_suggestion
                and annotation.suggestion_version == mark.suggestion_version
            )
        )
    )


def _source_exists(source: Source | None):
    return Exists(Source.objects.filter(pk=source.pk)) if source is not None else Value(True)


def _check_source(row, mark: MarkInput) -> None:
    if not row.source_exists and mark.source is not None:  # (no source always exists)
        raise ValidationError({"source": f"there is no source {mark.source.pk} in the registry"})


def _known_role(changed_by) -> bool | None:
    """is_lead(changed_by) when it is known without a query (no writer, a superuser, or asked
    before); None: the locking read answers it (`_actor_is_lead`)."""
    if changed_by is None or changed_by.is_superuser or hasattr(changed_by, "_is_lead"):
        return changed_by is not None and is_lead(changed_by)
    return None


def _lead_exists(user_id):
    return Exists(get_user_model().groups.through.objects.filter(user_id=user_id, group__name=LEADS_GROUP))


def _actor_is_lead(changed_by):
    """is_lead(changed_by) as an expression, so that the locking read answers it too."""
    known = _known_role(changed_by)
    return Value(known) if known is not None else _lead_exists(changed_by.pk)


def _remember_role(changed_by, row) -> None:
    if changed_by is not None and not changed_by.is_superuser:
        changed_by._is_lead = row.actor_is_lead  # is_lead() reads this cache


def _submitted(article_id: int, reviewer_id: int):
    return Assignment.objects.filter(article_id=article_id, reviewer_id=reviewer_id, submitted_at__isnull=False)


def _write_condition(annotation: Annotation, changed_by) -> Q | Combinable:
    """What must still hold when the UPDATE or DELETE runs (the database checks it in the same
    statement, so a submit committed meanwhile is seen): the reviewer's own assignment is not
    submitted, and a reviewer who is not a lead has an assignment on the article at all. A lead
    correcting someone else's mark is not bound by the lock."""
    article_id, reviewer_id = annotation.sentence.article_id, annotation.reviewer_id
    if changed_by is not None and changed_by.pk != reviewer_id:
        return Q()
    condition: Q | Combinable = ~Exists(_submitted(article_id, reviewer_id))
    if changed_by is not None and not is_lead(changed_by):
        condition &= Exists(Assignment.objects.filter(article_id=article_id, reviewer_id=reviewer_id))
    return condition


def _refusal(annotation: Annotation, changed_by) -> Exception:
    """Why a conditional write changed no row (see _write_condition); `annotation` is the stored mark."""
    if _submitted(annotation.sentence.article_id, annotation.reviewer_id).exists():
        return AssignmentLocked(annotation)
    return NotAllowed("You can mark only the articles assigned to you.")


def _check_writer(annotation: Annotation, changed_by) -> None:
    """Who may write and what: only the mark's reviewer or a lead; never a retired article's marks."""
    article = annotation.sentence.article
    if changed_by is not None and changed_by.pk != annotation.reviewer_id and not is_lead(changed_by):
        raise NotAllowed("You may change only your own annotations.")
    if article.retired or article.outlet.retired:
        raise ArticleRetired(annotation if annotation.pk else None)


def _lock_mark(changed_by, source: Source | None = None, **lookup) -> Annotation | None:
    """The mark locked FOR UPDATE (None: there is none), with its sentence, article, outlet and
    reviewer, whether `source` exists and whether the writer is a lead: one query."""
    row = (
        Annotation.objects.select_for_update(of=("self",))
        .select_related("sentence__article__outlet", "reviewer")
        .annotate(
            source_exists=_source_exists(source),
            actor_is_lead=_actor_is_lead(changed_by),
            reviewer_submitted=submitted_assignment(),
        )
        .filter(**lookup)
        .first()
    )
    if row is not None:
        _remember_role(changed_by, row)
    return row


# What the locking read of a new mark returns, in this order (`_new_mark_lock`, `_new_mark_row`).
_NEW_MARK_COLUMNS = (
    "submitted_at",
    "article_id",
    "article__retired",
    "article__outlet_id",
    "article__outlet__retired",
    "sentence_position",
    "sentence_start",
    "sentence_end",
    "sentence_text",
    "sentence_reviewable",
    "source_exists",
    "actor_is_lead",
)


def _new_mark_lock(has_source: bool, known_role: bool | None, reviewer_id, sentence_id, source_id, actor_id):
    """The locking read of a new mark as a QuerySet (see `_lock_for_new_mark`); its shape is
    (has_source, known_role), the rest are parameters, so `compiled.fetch_one` builds it once."""
    actor_is_lead = Value(known_role) if known_role is not None else _lead_exists(actor_id)
    return (
        Assignment.objects.select_for_update(of=("self",))
        .filter(reviewer_id=reviewer_id, article__sentences=sentence_id)
        .annotate(
            sentence_position=F("article__sentences__position"),
            sentence_start=F("article__sentences__start"),
            sentence_end=F("article__sentences__end"),
            sentence_text=F("article__sentences__text"),
            sentence_reviewable=F("article__sentences__reviewable"),
            source_exists=_source_exists(Source(pk=source_id) if has_source else None),
            actor_is_lead=actor_is_lead,
        )
        .values_list(*_NEW_MARK_COLUMNS)[:1]
    )


def _new_mark_row(found: tuple, sentence_id: int, using: str) -> tuple[Sentence, bool]:
    """(the sentence with its article and outlet, whether the reviewer has submitted the article)
    from a row of the locking read of a new mark (`_NEW_MARK_COLUMNS`)."""
    (submitted_at, article_id, article_retired, outlet_id, outlet_retired, *sentence_fields) = found
    position, start, end, text, reviewable, source_exists, actor_is_lead = sentence_fields
    article = Article.from_db(using, ["id", "outlet_id", "retired"], [article_id, outlet_id, bool(article_retired)])
    article.outlet = Outlet.from_db(using, ["id", "retired"], [outlet_id, bool(outlet_retired)])
    row = Sentence(pk=sentence_id, article=article, position=position, start=start, end=end, text=text)
    row.reviewable = bool(reviewable)
    row.source_exists, row.actor_is_lead = bool(source_exists), bool(actor_is_lead)
    return row, submitted_at is not None


def _lock_for_new_mark(*, sentence: Sentence | int, reviewer, mark: MarkInput, changed_by) -> tuple[Sentence, bool]:
    """(the sentence with its article and outlet, whether the reviewer has submitted the article)
    for a new mark.

    The reviewer's assignment row is locked FOR UPDATE in the same query, so that a submit or a
    reopen of it waits for this write (and this write sees theirs). One query when the reviewer is
    assigned; two otherwise. The query is built and compiled once per shape (annotate/compiled.py);
    the article and outlet come with the fields the write reads (id, outlet, retired), the others
    are loaded if something reads them."""
    sentence_id = sentence.pk if isinstance(sentence, Sentence) else sentence
    known_role = _known_role(changed_by)
    using = router.db_for_write(Assignment)
    found = compiled.fetch_one(
        ("new-mark", mark.source is not None, known_role),
        functools.partial(_new_mark_lock, mark.source is not None, known_role),
        reviewer.pk,
        sentence_id,
        mark.source.pk if mark.source is not None else 0,
        changed_by.pk if known_role is None else 0,
        using=using,
    )
    submitted = False
    if found is not None:
        row, submitted = _new_mark_row(found, sentence_id, using)
        if submitted and (changed_by is None or changed_by.pk == reviewer.pk):
            raise AssignmentLocked()
    else:
        checks = {"source_exists": _source_exists(mark.source), "actor_is_lead": _actor_is_lead(changed_by)}
        row = Sentence.objects.select_related("article__outlet").annotate(**checks).filter(pk=sentence_id).first()
        if row is None:
            raise ValidationError({"sentence": f"there is no sentence {sentence_id}"})
    _remember_role(changed_by, row)
    _check_source(row, mark)
    if changed_by is not None and changed_by.pk == reviewer.pk and found is None and not is_lead(changed_by):
        raise NotAllowed("You can mark only the articles assigned to you.")
    return row, submitted


def _create_at_once(
    *, reviewer, sentence: Sentence | int, mark: MarkInput, origin, external_id, external_updated, external_version
) -> Annotation | None:
    """A reviewer's new mark of their own in one statement on PostgreSQL, or None when it was not
    written here (another database, or anything but the plain case): then `_save_annotation` runs,
    and answers every refusal as it always has.

    The statement is the locking read of `_lock_for_new_mark` (the reviewer's assignment FOR
    UPDATE, with the sentence, article, outlet and source check) as a CTE, the INSERT of the mark
    from it only when the write would pass every check (assigned, assignment not submitted,
    article and outlet not retired, the source exists, the spans inside the sentence; the checks
    on the mark alone ran before, in Python), and the INSERT of its revision from the mark's new
    id. Outside a transaction it is a transaction of its own: one round trip instead of BEGIN,
    three statements and COMMIT. Inside one it runs in a savepoint, as `_save_annotation` does.
    PostgreSQL plans it once per connection (`compiled.prepared_cursor`)."""
    using = router.db_for_write(Annotation)
    connection = connections[using]
    if connection.vendor != "postgresql" or _mark_errors(mark, None):
        return None
    sentence_id = sentence.pk if isinstance(sentence, Sentence) else sentence
    annotation = _new_annotation(
        reviewer, origin, external_id, external_updated, external_version, sentence_id=sentence_id
    )
    _apply(annotation, mark)
    try:
        annotation.clean_fields(exclude=["sentence", "reviewer", "source"])
    except ValidationError:
        return None
    known_role = _known_role(reviewer)
    key = ("new-mark", mark.source is not None, known_role)
    build = functools.partial(_new_mark_lock, mark.source is not None, known_role)
    values = (reviewer.pk, sentence_id, mark.source.pk if mark.source is not None else 0, reviewer.pk)
    if known_role is not None:
        values = (*values[:3], 0)
    if not compiled.known(key, using):
        with transaction.atomic(using=using):  # Django compiles FOR UPDATE only in a transaction
            compiled.statement(key, build, *values, using=using)
    lock_sql, lock_params = compiled.statement(key, build, *values, using=using)
    spans_end = max((span[1] for span in (mark.source_span, mark.cue_span) if span is not None), default=0)
    revision = _revision(annotation, AnnotationRevision.Action.CREATE, reviewer.pk)
    params = [
        *lock_params,
        *(field.get_db_prep_save(field.pre_save(annotation, True), connection) for field in _inserted(Annotation)),
        spans_end,
        *(
            field.get_db_prep_save(field.pre_save(revision, True), connection)
            for field in _inserted(AnnotationRevision)
        ),
    ]
    atomic = transaction.atomic(using=using) if connection.in_atomic_block else contextlib.nullcontext()
    with atomic, compiled.prepared_cursor(connection) as cursor:
        cursor.execute(_at_once_sql(lock_sql, using), params)
        found = cursor.fetchone()
    if found is None or found[-1] is None:
        return None
    row, _ = _new_mark_row(found[:-1], sentence_id, using)
    _remember_role(reviewer, row)
    annotation.pk = found[-1]
    annotation.sentence = row
    annotation._state.adding, annotation._state.db = False, using
    annotation.reviewer_submitted = False  # (the statement wrote only to an assignment not submitted)
    marks_changed.send(sender=Annotation, sentence_ids=[sentence_id])
    return annotation


def _new_annotation(reviewer, origin, external_id, external_updated, external_version, **sentence) -> Annotation:
    """A new mark of `reviewer` (not saved), its sentence given as `sentence=` or `sentence_id=`."""
    return Annotation(
        **sentence,
        reviewer=reviewer,
        origin=origin,
        external_id=external_id,
        external_updated=external_updated,
        external_version=1 if external_version else None,
    )


def _inserted(model) -> list:
    """The columns `_create_at_once` writes: every one but the id (and a revision's mark id, last)."""
    return [
        field
        for field in model._meta.local_concrete_fields
        if not field.primary_key and not (model is AnnotationRevision and field.attname == "annotation_id")
    ]


@functools.cache
def _at_once_sql(lock_sql: str, using: str) -> str:
    """`_create_at_once`'s statement around the locking read `lock_sql` (its parameters first, then
    the mark's values, the spans' end, the revision's values)."""
    connection = connections[using]
    quote = connection.ops.quote_name
    columns = [f"c{index}" for index in range(len(_NEW_MARK_COLUMNS))]
    at = {name: f'"lock".{column}' for name, column in zip(_NEW_MARK_COLUMNS, columns, strict=True)}

    def typed(fields) -> str:  # text, not varchar(n): a cast would cut a long value, an INSERT refuses it
        return ", ".join(
            f"%s::{'text' if 'char' in field.db_type(connection) else field.db_type(connection)}" for field in fields
        )

    def names(fields) -> str:
        return ", ".join(quote(field.column) for field in fields)

    marks, revisions = _inserted(Annotation), _inserted(AnnotationRevision)
    revision_mark = quote(AnnotationRevision._meta.get_field("annotation").column)
    return (
        f'WITH "lock" ({", ".join(columns)}) AS MATERIALIZED ({lock_sql}), '
        f'"mark" AS (INSERT INTO {quote(Annotation._meta.db_table)} ({names(marks)}) '
        f'SELECT {typed(marks)} FROM "lock" '
        f"WHERE {at['submitted_at']} IS NULL AND NOT {at['article__retired']} "
        f"AND NOT {at['article__outlet__retired']} AND {at['source_exists']} "
        f"AND char_length({at['sentence_text']}) >= %s::integer "
        f"RETURNING {quote(Annotation._meta.pk.column)}), "
        f'"revision" AS (INSERT INTO {quote(AnnotationRevision._meta.db_table)} ({names(revisions)}, {revision_mark}) '
        f'SELECT {typed(revisions)}, "mark".{quote(Annotation._meta.pk.column)} FROM "mark") '
        f'SELECT "lock".*, "mark".{quote(Annotation._meta.pk.column)} FROM "lock" LEFT JOIN "mark" ON TRUE'
    )


_UPDATED_FIELDS = (
    "label",
    "source_id",
    "source_start",
    "source_end",
    "cue_start",
    "cue_end",
    "note",
    "from_suggestion",
    "suggestion_version",
    "origin",
    "external_id",
    "external_updated",
    "external_version",
    "version",
    "updated",
)


def save_annotation(
    *,
    reviewer,
    sentence: Sentence | int,
    mark: MarkInput,
    expected_version: int | None = None,
    origin: str = Origin.WEB,
    external_id: str = "",
    external_updated=None,
    external_version: bool = False,
    changed_by=None,
) -> tuple[Annotation, bool]:
    """Create or change `reviewer`'s mark of `sentence`, keeping every previous value.

    `expected_version` is the version the caller last saw: when the stored one differs the
    write is refused with StaleVersion (no silent overwrite). 0 means "create only": an existing
    mark raises IntegrityError (the caller answers with the current mark). None skips the check
    (commands that carry their own provenance). An unchanged mark writes nothing.
    `changed_by` is the person writing (None: a command run by an operator, bound by the lock
    like the reviewer); see the module docstring for the rules. `external_version` records the
    new version as the one the last Label Studio pull left. Returns (annotation, created).
    """
    extra = {"origin": origin, "external_id": external_id, "external_updated": external_updated}
    if expected_version == 0 and changed_by is not None and changed_by.pk == reviewer.pk:
        created = _create_at_once(
            reviewer=reviewer, sentence=sentence, mark=mark, external_version=external_version, **extra
        )
        if created is not None:
            return created, True
    return _save_annotation(
        reviewer=reviewer,
        sentence=sentence,
        mark=mark,
        expected_version=expected_version,
        external_version=external_version,
        changed_by=changed_by,
        **extra,
    )


@transaction.atomic
def _save_annotation(
    *,
    reviewer,
    sentence: Sentence | int,
    mark: MarkInput,
    expected_version: int | None,
    origin: str,
    external_id: str,
    external_updated,
    external_version: bool,
    changed_by,
) -> tuple[Annotation, bool]:
    if expected_version != 0:
        sentence_id = sentence.pk if isinstance(sentence, Sentence) else sentence
        current = _lock_mark(changed_by, mark.source, sentence_id=sentence_id, reviewer_id=reviewer.pk)
        if current is not None:
            if expected_version is not None and expected_version != current.version:
                raise StaleVersion(current)
            _check_source(current, mark)
            return _change(
                current,
                mark,
                origin=origin,
                changed_by=changed_by,
                external_id=external_id,
                external_updated=external_updated,
                external_version=external_version,
            ), False
        if expected_version is not None:
            raise ValidationError({"version": "this annotation does not exist (it may have been deleted)"})
    sentence, submitted = _lock_for_new_mark(sentence=sentence, reviewer=reviewer, mark=mark, changed_by=changed_by)
    annotation = _new_annotation(reviewer, origin, external_id, external_updated, external_version, sentence=sentence)
    _check_writer(annotation, changed_by)
    validate_mark(sentence, mark)
    _apply(annotation, mark)
    annotation.clean_fields(exclude=["sentence", "reviewer", "source"])
    annotation.save(force_insert=True)
    annotation.reviewer_submitted = submitted  # what `provisional` needs, known without a query
    _record(annotation, AnnotationRevision.Action.CREATE, changed_by)
    marks_changed.send(sender=Annotation, sentence_ids=[annotation.sentence_id])
    return annotation, True


def _change(
    annotation: Annotation,
    mark: MarkInput,
    *,
    origin,
    changed_by,
    external_id="",
    external_updated=None,
    external_version=False,
) -> Annotation:
    """Write a new value of a locked mark: one conditional UPDATE and its revision."""
    _check_writer(annotation, changed_by)
    validate_mark(annotation.sentence, mark)
    if same_mark(annotation, mark) and annotation.external_updated == (external_updated or annotation.external_updated):
        if not Annotation.objects.filter(_write_condition(annotation, changed_by), pk=annotation.pk).exists():
            raise _refusal(annotation, changed_by)
        return annotation
    stored = copy.copy(annotation)
    _apply(annotation, mark)
    annotation.origin = origin
    annotation.external_id = external_id or annotation.external_id
    annotation.external_updated = external_updated or annotation.external_updated
    annotation.version += 1
    if external_version:
        annotation.external_version = annotation.version
    annotation.updated = timezone.now()
    annotation.clean_fields(exclude=["sentence", "reviewer", "source"])
    changed = Annotation.objects.filter(_write_condition(annotation, changed_by), pk=annotation.pk).update(
        **{name: getattr(annotation, name) for name in _UPDATED_FIELDS}
    )
    if not changed:
        raise _refusal(stored, changed_by)
    _record(annotation, AnnotationRevision.Action.UPDATE, changed_by)
    marks_changed.send(sender=Annotation, sentence_ids=[annotation.sentence_id])
    return annotation


@transaction.atomic
def change_annotation(
    *,
    annotation_id: int,
    changes: dict,
    expected_version: int | None,
    changed_by,
    origin: str = Origin.WEB,
    sentence_id: int | None = None,
) -> Annotation:
    """Change some fields of a stored mark (`changes`: MarkInput field -> value; the others keep
    their stored value). `sentence_id`, when given, must be the mark's own (a mark never moves).
    Raises Annotation.DoesNotExist, StaleVersion, NotAllowed, AssignmentLocked, ArticleRetired or
    ValidationError; writes nothing then."""
    current = _lock_mark(changed_by, changes.get("source"), pk=annotation_id)
    if current is None:
        raise Annotation.DoesNotExist(f"no annotation {annotation_id}")
    if changed_by is not None and changed_by.pk != current.reviewer_id and not is_lead(changed_by):
        raise NotAllowed("You may change only your own annotations.")
    if sentence_id is not None and sentence_id != current.sentence_id:
        raise ValidationError({"sentence": "a mark cannot move to another sentence; delete it and add a new one"})
    if expected_version is not None and expected_version != current.version:
        raise StaleVersion(current)
    stored = MarkInput.of(current)
    mark = dataclasses.replace(stored, **changes)
    if "from_suggestion" not in changes and _suggested_parts(mark) != _suggested_parts(stored):
        # from_suggestion means accepted unchanged (the acceptance rate counts it): a change of what
        # was suggested that does not say otherwise makes the mark the reviewer's own.
        mark = dataclasses.replace(mark, from_suggestion=False, suggestion_version="")
    _check_source(current, mark)
    return _change(current, mark, origin=origin, changed_by=changed_by)


def _suggested_parts(mark: MarkInput) -> tuple:
    """What a suggestion proposes: the label, the source and the two spans (not the note)."""
    return (mark.label, mark.source.pk if mark.source else None, mark.source_span, mark.cue_span)


@transaction.atomic
def delete_annotation(*, annotation: Annotation | int, expected_version: int | None = None, changed_by=None) -> None:
    """Delete a mark; its history (with a final `delete` revision) stays."""
    annotation_id = annotation.pk if isinstance(annotation, Annotation) else annotation
    current = _lock_mark(changed_by, pk=annotation_id)
    if current is None:
        raise Annotation.DoesNotExist(f"no annotation {annotation_id}")
    _check_writer(current, changed_by)
    if expected_version is not None and expected_version != current.version:
        raise StaleVersion(current)
    deleted, _ = Annotation.objects.filter(_write_condition(current, changed_by), pk=current.pk).delete()
    if not deleted:
        raise _refusal(current, changed_by)
    current.version += 1
    _record(current, AnnotationRevision.Action.DELETE, changed_by)
    marks_changed.send(sender=Annotation, sentence_ids=[current.sentence_id])


@transaction.atomic
def import_marks(marks: Iterable[tuple[Annotation, datetime]], *, changed_by=None) -> list[Annotation]:
    """Store a batch of new marks (dataset import): unsaved Annotation rows with their original
    creation times, each checked against the codebook, at version 1 with one `create` revision.
    The target sentences' articles must be in service; no mark may exist yet (IntegrityError)."""
    rows, created_at = [], []
    for annotation, created in marks:
        validate_mark(
            annotation.sentence,
            MarkInput(
                label=annotation.label,
                source=annotation.source,
                source_span=annotation.source_span,
                cue_span=annotation.cue_span,
                note=annotation.note,
            ),
        )
        annotation.version = 1
        rows.append(annotation)
        created_at.append(created)
    saved = Annotation.objects.bulk_create(rows)
    for annotation, created in zip(saved, created_at, strict=True):
        annotation.created = created  # auto_now_add ignores a given value on insert
    Annotation.objects.bulk_update(saved, ["created"])
    marks_changed.send(sender=Annotation, sentence_ids=[annotation.sentence_id for annotation in saved])
    AnnotationRevision.objects.bulk_create(
        [
            _revision(
                annotation,
                AnnotationRevision.Action.CREATE,
                changed_by.pk if changed_by is not None else annotation.reviewer_id,
            )
            for annotation in saved
        ]
    )
    return saved


def link_external(*, annotation: Annotation, external_id: str, external_updated) -> None:
    """Record that a Label Studio annotation holds the same value as our mark (no change to the
    mark itself, so no new version): the next pull compares against this version."""
    Annotation.objects.filter(pk=annotation.pk).update(
        external_id=external_id, external_updated=external_updated, external_version=annotation.version
    )


@transaction.atomic
def assign_articles(*, articles, reviewers, overlap: int = 2, assigned_by=None) -> list[Assignment]:
    """Give each article to `overlap` reviewers, balancing the load round-robin.

    Existing assignments count toward the overlap and are kept; retired articles are skipped;
    returns the new ones.
    """
    reviewers = list(reviewers)
    if overlap < 1:
        raise ValidationError({"overlap": "must be at least 1"})
    if len(reviewers) < overlap:
        raise ValidationError({"overlap": f"needs at least {overlap} reviewers, got {len(reviewers)}"})
    articles = [article for article in articles if not article.retired]
    existing: dict[int, set[int]] = {}
    for article_id, reviewer_id in Assignment.objects.filter(article__in=articles).values_list("article", "reviewer"):
        existing.setdefault(article_id, set()).add(reviewer_id)
    load = {r.pk: Assignment.objects.filter(reviewer=r).count() for r in reviewers}
    created = []
    turn = itertools.count()
    for article in articles:
        have = existing.get(article.pk, set())
        need = overlap - len(have)
        candidates = sorted((r for r in reviewers if r.pk not in have), key=lambda r: (load[r.pk], next(turn)))
        for reviewer in candidates[: max(need, 0)]:
            created.append(Assignment(article=article, reviewer=reviewer, assigned_by=assigned_by))
            load[reviewer.pk] += 1
    return Assignment.objects.bulk_create(created)


def unmarked_sentences(assignment: Assignment):
    """The reviewable sentences the reviewer has neither marked nor flagged (none at all once
    they flagged the whole article)."""
    return assignment.article.sentences.left_for(assignment.reviewer)


@transaction.atomic
def submit_assignment(*, assignment: Assignment, by=None) -> Assignment:
    """Mark a reviewer's work on an article as done; every reviewable sentence must be marked or
    flagged (or the whole article flagged). From then on its marks are read-only for the reviewer
    (until a lead reopens it). `by`: who submits (default the reviewer); recorded as an
    AssignmentEvent."""
    assignment = Assignment.objects.select_for_update(of=("self",)).select_related("article").get(pk=assignment.pk)
    if assignment.submitted_at is not None:
        return assignment
    # Lock the reviewer's marks on the article too: a change of one of them that is under way
    # finishes first, and one that starts now sees the submit (services' conditional writes).
    list(
        Annotation.objects.select_for_update(of=("self",))
        .filter(reviewer_id=assignment.reviewer_id, sentence__article_id=assignment.article_id)
        .values_list("pk", flat=True)
    )
    missing = unmarked_sentences(assignment).count()
    if missing:
        raise ValidationError({"article": f"{missing} sentence(s) are not marked yet"})
    assignment.submitted_at = timezone.now()
    assignment.save(update_fields=["submitted_at"])
    AssignmentEvent.objects.create(
        assignment=assignment, action=AssignmentEvent.Action.SUBMIT, by_id=by.pk if by else assignment.reviewer_id
    )
    return assignment


@transaction.atomic
def reopen_assignment(*, assignment: Assignment, by, note: str = "") -> Assignment:
    """A lead gives a submitted assignment back to its reviewer, who may change its marks again
    (until they submit again). Recorded as an AssignmentEvent: who, when and why."""
    if not is_lead(by):
        raise NotAllowed("Only leads may reopen a submitted assignment.")
    if len(note) > 500:
        raise ValidationError({"note": "at most 500 characters"})
    assignment = Assignment.objects.select_for_update().get(pk=assignment.pk)
    if assignment.submitted_at is None:
        raise ValidationError({"assignment": "is not submitted, so there is nothing to reopen"})
    assignment.submitted_at = None
    assignment.save(update_fields=["submitted_at"])
    AssignmentEvent.objects.create(assignment=assignment, action=AssignmentEvent.Action.REOPEN, by=by, note=note)
    return assignment


def set_retired(queryset, *, retired: bool = True) -> int:
    """Retire (or bring back) articles or outlets: they keep every mark, revision and adjudication,
    but leave queues, new assignments, Label Studio pushes and new score runs, and their marks no
    longer change. Returns how many changed."""
    if queryset.model not in (Article, Outlet):
        raise TypeError("only articles and outlets are retired")
    return queryset.exclude(retired=retired).update(retired=retired)


def deactivate_users(queryset) -> int:
    """Users with marks are never deleted: they are deactivated (no sign-in, no API token), and
    everything they did stays. Saved one by one so that their API tokens are revoked (config.tokens).
    Returns how many were active."""
    users = list(queryset.filter(is_active=True))
    for user in users:
        user.is_active = False
        user.save(update_fields=["is_active"])
    return len(users)


def create_external_reviewer(*, username: str, email: str = "", origin: str):
    """A reviewer whose marks came from elsewhere (Label Studio, a dataset import, the demo's
    simulated annotators): an account without a usable password, marked external with its origin."""
    user = get_user_model()(username=username, email=email)
    user.set_unusable_password()
    user.full_clean(exclude=["password"])
    user.save()
    Reviewer.objects.create(user=user, is_external=True, origin=origin)
    return user


@transaction.atomic
def flag_problem(*, reviewer, article: Article, sentence: Sentence | None = None, reason: str, note: str = "") -> Flag:
    """Record that `reviewer` finds `sentence` (or, without one, the whole article) a problem.
    A second flag on the same target while the first is open changes the reason and note."""
    errors = {}
    if reason not in FlagReason.values:
        errors["reason"] = f"{reason!r} is not one of {', '.join(FlagReason.values)}"
    note = note.strip()
    if reason == FlagReason.OTHER and not note:
        errors["note"] = "say what the problem is"
    if sentence is not None and sentence.article_id != article.pk:
        errors["sentence"] = "this sentence belongs to another article"
    elif sentence is not None and not sentence.reviewable:
        errors["sentence"] = "this sentence is not reviewed (a trailer or credit): nothing to flag"
    if errors:
        raise ValidationError(errors)
    flag = Flag.objects.select_for_update().open().filter(reviewer=reviewer, article=article, sentence=sentence).first()
    if flag is None:
        flag = Flag(reviewer=reviewer, article=article, sentence=sentence)
    flag.reason, flag.note = reason, note
    flag.full_clean(exclude=["article", "sentence", "reviewer", "resolved_by"])
    flag.save()
    return flag


@transaction.atomic
def resolve_flag(*, flag: Flag, lead, resolution: str = "") -> Flag:
    """A lead closes a flag, saying what was done (fixed, removed, or nothing needed)."""
    flag = Flag.objects.select_for_update().get(pk=flag.pk)
    if flag.resolved_at is not None:
        raise ValidationError({"flag": f"already resolved on {flag.resolved_at:%Y-%m-%d %H:%M}"})
    flag.resolved_at = timezone.now()
    flag.resolved_by = lead
    flag.resolution = resolution.strip()
    flag.save(update_fields=["resolved_at", "resolved_by", "resolution"])
    return flag


@transaction.atomic
def withdraw_flag(*, flag: Flag) -> None:
    """The reviewer takes back an open flag (a resolved one is part of the record and stays)."""
    flag = Flag.objects.select_for_update().get(pk=flag.pk)
    if flag.resolved_at is not None:
        raise ValidationError({"flag": "a resolved flag cannot be withdrawn"})
    flag.delete()
