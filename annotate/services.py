"""Writes that span models or need a transaction: saving marks with history, assigning
articles, submitting an assignment."""

import itertools
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from .codebook import Label
from .models import Annotation, AnnotationRevision, Assignment, Origin, Sentence, Source

_REVISION_FIELDS = ("label", "source", "source_start", "source_end", "cue_start", "cue_end", "note", "origin")


class StaleVersion(Exception):
    """The caller edited an older version of the annotation than the stored one."""

    def __init__(self, current: Annotation):
        self.current = current
        super().__init__(f"annotation {current.pk} is at version {current.version}")


@dataclass(frozen=True)
class MarkInput:
    """A reviewer's mark as the caller sends it; spans are offsets into the sentence text."""

    label: str
    source: Source | None = None
    source_span: tuple[int, int] | None = None
    cue_span: tuple[int, int] | None = None
    note: str = ""
    from_suggestion: bool = False
    suggestion_version: str = ""


def validate_mark(sentence: Sentence, mark: MarkInput) -> None:
    """Raise ValidationError (keyed by field) for a mark the codebook does not allow."""
    errors = {}
    if mark.label not in Label.values:
        errors["label"] = f"{mark.label!r} is not a codebook label ({', '.join(Label.values)})"
    if mark.label == Label.ATTRIBUTION and mark.source is None:
        errors["source"] = "an attribution needs a source"
    length = len(sentence.text)
    for name, span in (("source_span", mark.source_span), ("cue_span", mark.cue_span)):
        if span is None:
            continue
        start, end = span
        if not (0 <= start < end <= length):
            errors[name] = f"[{start}, {end}] must satisfy 0 <= start < end <= {length} (the sentence length)"
    if errors:
        raise ValidationError(errors)


def _record(annotation: Annotation, action: str, by) -> None:
    AnnotationRevision.objects.create(
        annotation=annotation if action != AnnotationRevision.Action.DELETE else None,
        sentence_id=annotation.sentence_id,
        reviewer_id=annotation.reviewer_id,
        action=action,
        version=annotation.version,
        changed_by=by,
        **{name: getattr(annotation, name) for name in _REVISION_FIELDS},
    )


def _check_fields(annotation: Annotation) -> None:
    # validate_mark has checked the codebook rules; field checks need no query. The foreign
    # keys, the one-mark-per-reviewer rule and the check constraints are the database's to
    # enforce (full_clean would ask it with ~14 extra queries on every keystroke's save).
    annotation.clean_fields(exclude=["sentence", "reviewer", "source"])


def _apply(annotation: Annotation, mark: MarkInput) -> None:
    annotation.label = mark.label
    annotation.source = mark.source
    annotation.source_start, annotation.source_end = mark.source_span or (None, None)
    annotation.cue_start, annotation.cue_end = mark.cue_span or (None, None)
    annotation.note = mark.note
    annotation.from_suggestion = mark.from_suggestion
    annotation.suggestion_version = mark.suggestion_version


def _same(annotation: Annotation, mark: MarkInput) -> bool:
    return (
        annotation.label == mark.label
        and annotation.source_id == (mark.source.pk if mark.source else None)
        and annotation.source_span == mark.source_span
        and annotation.cue_span == mark.cue_span
        and annotation.note == mark.note
        and annotation.from_suggestion == mark.from_suggestion
        and annotation.suggestion_version == mark.suggestion_version
    )


@transaction.atomic
def save_annotation(
    *,
    reviewer,
    sentence: Sentence,
    mark: MarkInput,
    expected_version: int | None = None,
    origin: str = Origin.WEB,
    external_id: str = "",
    external_updated=None,
    changed_by=None,
) -> tuple[Annotation, bool]:
    """Create or change `reviewer`'s mark of `sentence`, keeping every previous value.

    `expected_version` is the version the caller last saw: when the stored one differs the
    write is refused with StaleVersion (no silent overwrite). None skips the check (first
    write, or imports that carry their own provenance). An unchanged mark writes nothing.
    Returns (annotation, created).
    """
    validate_mark(sentence, mark)
    annotation = Annotation.objects.select_for_update().filter(sentence=sentence, reviewer=reviewer).first()
    if annotation is None:
        if expected_version not in (None, 0):
            raise ValidationError({"version": "this annotation does not exist (it may have been deleted)"})
        annotation = Annotation(
            sentence=sentence,
            reviewer=reviewer,
            origin=origin,
            external_id=external_id,
            external_updated=external_updated,
        )
        _apply(annotation, mark)
        _check_fields(annotation)
        annotation.save()
        _record(annotation, AnnotationRevision.Action.CREATE, changed_by or reviewer)
        return annotation, True
    if expected_version is not None and expected_version != annotation.version:
        raise StaleVersion(annotation)
    if _same(annotation, mark) and annotation.external_updated == (external_updated or annotation.external_updated):
        return annotation, False
    _apply(annotation, mark)
    annotation.origin = origin
    annotation.external_id = external_id or annotation.external_id
    annotation.external_updated = external_updated or annotation.external_updated
    annotation.version += 1
    _check_fields(annotation)
    annotation.save()
    _record(annotation, AnnotationRevision.Action.UPDATE, changed_by or reviewer)
    return annotation, False


@transaction.atomic
def delete_annotation(*, annotation: Annotation, expected_version: int | None = None, changed_by=None) -> None:
    """Delete a mark; its history (with a final `delete` revision) stays."""
    annotation = Annotation.objects.select_for_update().get(pk=annotation.pk)
    if expected_version is not None and expected_version != annotation.version:
        raise StaleVersion(annotation)
    annotation.version += 1
    _record(annotation, AnnotationRevision.Action.DELETE, changed_by or annotation.reviewer)
    annotation.delete()


@transaction.atomic
def assign_articles(*, articles, reviewers, overlap: int = 2, assigned_by=None) -> list[Assignment]:
    """Give each article to `overlap` reviewers, balancing the load round-robin.

    Existing assignments count toward the overlap and are kept; returns the new ones.
    """
    reviewers = list(reviewers)
    if overlap < 1:
        raise ValidationError({"overlap": "must be at least 1"})
    if len(reviewers) < overlap:
        raise ValidationError({"overlap": f"needs at least {overlap} reviewers, got {len(reviewers)}"})
    existing = {}
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
    return assignment.article.sentences.filter(reviewable=True).exclude(annotations__reviewer=assignment.reviewer)


@transaction.atomic
def submit_assignment(*, assignment: Assignment) -> Assignment:
    """Mark a reviewer's work on an article as done; every reviewable sentence must be marked."""
    missing = unmarked_sentences(assignment).count()
    if missing:
        raise ValidationError({"article": f"{missing} sentence(s) are not marked yet"})
    if assignment.submitted_at is None:
        assignment.submitted_at = timezone.now()
        assignment.save(update_fields=["submitted_at"])
    return assignment
