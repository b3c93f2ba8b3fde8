"""Bring Label Studio annotations back as our marks (pull from a server, or import an export file).

Pull and file import share `apply_rows`: every annotation is converted and checked first, then all
of them are written in one transaction; by default one invalid annotation refuses the whole batch
and nothing is written (`skip_invalid` writes the valid ones instead).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models.functions import Lower
from django.utils import timezone

from annotate.models import Annotation, Origin, Reviewer, Sentence, Source
from annotate.services import MarkInput, save_annotation
from suggestions.registry import load_source_index

from .client import LabelStudioError, remote_project, translated_errors
from .config import DATA_SENTENCE, missing_controls
from .convert import ConversionError, ParsedMark, parse_result, parse_timestamp, username_for
from .models import LabelStudioProject

EXTERNAL_ORIGIN = "label_studio"
# At most this many problems are spelled out in a message; the rest are counted.
SHOWN_PROBLEMS = 5


@dataclass(frozen=True)
class Annotator:
    """Who made an annotation: an e-mail, or a placeholder name for an id without one."""

    email: str = ""
    placeholder: str = ""

    @property
    def key(self) -> str:
        return self.email.lower() if self.email else f"placeholder:{self.placeholder}"

    def __str__(self) -> str:
        return self.email or self.placeholder


@dataclass
class _Item:
    task_id: object
    annotation_id: str
    sentence: Sentence
    annotator: Annotator
    mark: ParsedMark
    updated: datetime | None
    source_ref: object = None  # a Source id, or ("new", lower name)


@dataclass
class PullReport:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    skipped: int = 0  # skipped or empty annotations
    superseded: int = 0  # older annotations of the same person on the same task
    conflicts: list[str] = field(default_factory=list)
    invalid: list[str] = field(default_factory=list)
    users_created: list[str] = field(default_factory=list)
    sources_created: list[str] = field(default_factory=list)
    tasks_seen: int = 0

    def summary(self) -> str:
        parts = [f"{self.created} marks created, {self.updated} updated, {self.unchanged} unchanged"]
        if self.skipped:
            parts.append(f"{self.skipped} skipped or empty annotations ignored")
        if self.superseded:
            parts.append(f"{self.superseded} older duplicate annotations ignored")
        if self.users_created:
            parts.append(f"{len(self.users_created)} external reviewers added ({', '.join(self.users_created)})")
        if self.sources_created:
            parts.append(f"{len(self.sources_created)} sources added ({', '.join(self.sources_created)})")
        if self.conflicts:
            parts.append(f"{len(self.conflicts)} kept because ours is newer: {_listing(self.conflicts)}")
        if self.invalid:
            parts.append(f"{len(self.invalid)} invalid, not written: {_listing(self.invalid)}")
        return "; ".join(parts)


class InvalidAnnotations(LabelStudioError):
    """The batch had invalid annotations and nothing was written."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__(f"{len(problems)} invalid annotation(s), nothing written: {_listing(problems)}")


def _listing(problems: list[str]) -> str:
    shown = " | ".join(problems[:SHOWN_PROBLEMS])
    rest = len(problems) - SHOWN_PROBLEMS
    return shown + (f" | and {rest} more" if rest > 0 else "")


def apply_rows(
    rows: Iterable[dict],
    *,
    annotator_for: Callable[[object], Annotator | str],
    task_map: dict[int, int] | None = None,
    article_ids: Iterable[int] | None = None,
    skip_invalid: bool = False,
) -> PullReport:
    """Write the annotations of Label Studio task rows ({id, data, annotations}) as our marks.

    Each task is matched to a sentence through `task_map` (remote task id -> sentence id) or its
    `data.sentence_id`, and its `data.sentence` must equal our sentence text (offsets count into it).
    `annotator_for(completed_by)` returns an Annotator, or a string saying why there is none.
    Everything is checked first; then, in one transaction, missing reviewers (external, origin
    label_studio) and sources are created and marks saved through save_annotation (history kept,
    provenance: origin label_studio, the annotation id, its updated_at). An annotation already
    pulled at the same updated_at is left alone, so a second run changes nothing. With invalid
    annotations InvalidAnnotations is raised and nothing is written, unless `skip_invalid`.
    """
    rows = [row for row in rows if isinstance(row, dict)]
    task_map = task_map or {}
    report = PullReport(tasks_seen=len(rows))
    wanted_articles = set(article_ids) if article_ids is not None else None

    def sentence_id_of(row: dict):
        data = row.get("data") if isinstance(row.get("data"), dict) else {}
        return task_map.get(row.get("id")) or data.get("sentence_id")

    ids = {sid for row in rows if isinstance(sid := sentence_id_of(row), int)}
    sentences = Sentence.objects.in_bulk(ids)
    registry = load_source_index()
    new_sources: dict[str, tuple[str, str]] = {}  # lower name -> (name, kind)
    chosen: dict[tuple[int, str], _Item] = {}
    for row in rows:
        task_id = row.get("id")
        where = f"task {task_id}" if task_id is not None else "a task"
        annotations = [a for a in row.get("annotations") or [] if isinstance(a, dict)]
        if not annotations:
            continue
        data = row.get("data") if isinstance(row.get("data"), dict) else {}
        sentence_id = sentence_id_of(row)
        sentence = sentences.get(sentence_id) if isinstance(sentence_id, int) else None
        if sentence is None:
            report.invalid.append(f"{where}: no Sourcemark sentence {sentence_id!r} (data.sentence_id)")
            continue
        if wanted_articles is not None and sentence.article_id not in wanted_articles:
            continue
        if data.get(DATA_SENTENCE) != sentence.text:
            report.invalid.append(
                f"{where}: its text differs from sentence {sentence.pk}'s, so its offsets cannot be trusted"
            )
            continue
        for entry in annotations:
            label = f"{where} annotation {entry.get('id', '?')}"
            if entry.get("was_cancelled") or not entry.get("result"):
                report.skipped += 1
                continue
            who = annotator_for(entry.get("completed_by"))
            if not isinstance(who, Annotator):
                report.invalid.append(f"{label}: {who}")
                continue
            try:
                mark = parse_result(entry["result"], sentence.text)
                updated = parse_timestamp(entry.get("updated_at") or entry.get("created_at"))
            except ConversionError as exc:
                report.invalid.append(f"{label} by {who}: {exc}")
                continue
            source_ref = None
            if mark.source_span is not None:
                source_ref = registry.match(mark.source_text)
                if source_ref is None:
                    if not mark.source_kind:
                        report.invalid.append(
                            f"{label} by {who}: SOURCE {mark.source_text!r} is not in the "
                            "source registry and has no source kind to create it with"
                        )
                        continue
                    key = mark.source_text.strip().lower()
                    new_sources[key] = (mark.source_text.strip(), mark.source_kind)
                    source_ref = ("new", key)
                    registry.add(source_ref, mark.source_text.strip())
            item = _Item(task_id, str(entry.get("id", "")), sentence, who, mark, updated, source_ref)
            slot = (sentence.pk, who.key)
            previous = chosen.get(slot)
            if previous is not None:
                report.superseded += 1
                if (previous.updated or timezone.now()) >= (updated or timezone.now()):
                    continue
            chosen[slot] = item
    if report.invalid and not skip_invalid:
        raise InvalidAnnotations(report.invalid)
    with transaction.atomic():
        users = _users_for({item.annotator for item in chosen.values()}, report)
        sources = _create_sources(new_sources, {item.source_ref for item in chosen.values()}, report)
        sources.update(
            Source.objects.in_bulk({item.source_ref for item in chosen.values() if isinstance(item.source_ref, int)})
        )
        existing = {
            (a.sentence_id, a.reviewer_id): a
            for a in Annotation.objects.filter(
                sentence_id__in={s for s, _ in chosen}, reviewer__in=list(users.values())
            )
        }
        for item in chosen.values():
            _write(item, users[item.annotator.key], sources, existing, report)
    return report


def _write(item: _Item, user, sources: dict, existing: dict, report: PullReport) -> None:
    current = existing.get((item.sentence.pk, user.pk))
    same_annotation = (
        current is not None and current.origin == Origin.LABEL_STUDIO and current.external_id == item.annotation_id
    )
    if same_annotation and current.external_updated and item.updated and current.external_updated >= item.updated:
        report.unchanged += 1
        return
    if current is not None and not same_annotation and item.updated and current.updated > item.updated:
        report.conflicts.append(f"sentence {item.sentence.pk} by {item.annotator}")
        return
    source = sources.get(item.source_ref) if item.source_ref is not None else None
    mark = MarkInput(
        label=item.mark.label,
        source=source,
        source_span=item.mark.source_span,
        cue_span=item.mark.cue_span,
        note=item.mark.note,
    )
    if current is not None and _same(current, mark):
        Annotation.objects.filter(pk=current.pk).update(
            origin=Origin.LABEL_STUDIO, external_id=item.annotation_id, external_updated=item.updated
        )
        report.unchanged += 1
        return
    try:
        _, created = save_annotation(
            reviewer=user,
            sentence=item.sentence,
            mark=mark,
            origin=Origin.LABEL_STUDIO,
            external_id=item.annotation_id,
            external_updated=item.updated,
        )
    except ValidationError as exc:  # checked before, so only a race gets here: refuse the whole batch
        raise LabelStudioError(f"task {item.task_id} annotation {item.annotation_id}: {exc.messages}") from None
    if created:
        report.created += 1
    else:
        report.updated += 1


def _same(annotation: Annotation, mark: MarkInput) -> bool:
    return (
        annotation.label == mark.label
        and annotation.source_id == (mark.source.pk if mark.source else None)
        and annotation.source_span == mark.source_span
        and annotation.cue_span == mark.cue_span
        and annotation.note == mark.note
    )


def _users_for(annotators: set[Annotator], report: PullReport) -> dict[str, object]:
    """Annotator key -> our user: matched by e-mail (case-insensitive), else a new external reviewer."""
    User = get_user_model()
    found: dict[str, object] = {}
    emails = {a.email.lower() for a in annotators if a.email}
    if emails:
        for user in User.objects.annotate(email_lower=Lower("email")).filter(email_lower__in=emails).order_by("pk"):
            found.setdefault(user.email_lower, user)
    for annotator in sorted(annotators, key=lambda a: a.key):
        if annotator.key in found:
            continue
        if annotator.email:
            base = annotator.email.split("@", 1)[0]
            taken = set(User.objects.filter(username__istartswith=base[:20]).values_list("username", flat=True))
            user = User.objects.create_user(username_for(annotator.email, taken), annotator.email)
        else:
            user = User.objects.filter(username=annotator.placeholder).first()
            if user is None:
                user = User.objects.create_user(annotator.placeholder, "")
            else:
                found[annotator.key] = user
                continue
        user.set_unusable_password()
        user.save(update_fields=["password"])
        Reviewer.objects.create(user=user, is_external=True, origin=EXTERNAL_ORIGIN)
        report.users_created.append(user.get_username())
        found[annotator.key] = user
    return found


def _create_sources(new_sources: dict[str, tuple[str, str]], used: set, report: PullReport) -> dict:
    created = {}
    for key, (name, kind) in new_sources.items():
        if ("new", key) not in used:
            continue
        source = Source.objects.filter(name__iexact=name).first()
        if source is None:
            source = Source(name=name, kind=kind)
            source.full_clean()
            source.save()
            report.sources_created.append(name)
        created[("new", key)] = source
    return created


def _annotation_rows(client, url: str, remote_id: int) -> list[dict]:
    with translated_errors(url):
        tasks = client.tasks.list(project=remote_id, fields="all", page_size=100)
        return [
            {"id": task.id, "data": task.data, "annotations": [_plain(a) for a in task.annotations]}
            for task in tasks
            if task.annotations  # the free server ignores only_annotated
        ]


def _plain(entry) -> dict:
    """Task-list annotations are dicts in SDK 2.1; accept its pydantic models too."""
    return entry if isinstance(entry, dict) else entry.model_dump(mode="json")


def pull(
    client,
    url: str,
    *,
    project_id: int | None = None,
    article_ids: Iterable[int] | None = None,
    skip_invalid: bool = False,
) -> tuple[LabelStudioProject | None, PullReport]:
    """Fetch the project's annotations and write them as our marks (see apply_rows).

    Without `project_id`, the one project linked for this server is used. Label Studio users are
    matched to our reviewers by e-mail; unknown ones become external reviewers.
    """
    if project_id is None:
        links = list(LabelStudioProject.objects.filter(url=url))
        if not links:
            raise LabelStudioError(f"no Label Studio project at {url} is linked yet: push first, or pass --project ID")
        if len(links) > 1:
            ids = ", ".join(str(link.remote_id) for link in links)
            raise LabelStudioError(f"several projects at {url} are linked ({ids}): pass --project ID")
        project_id = links[0].remote_id
    link = LabelStudioProject.objects.filter(url=url, remote_id=project_id).first()
    remote = remote_project(client, url, project_id)
    if remote is None:
        raise LabelStudioError(f"Label Studio at {url} has no project #{project_id}")
    problems = missing_controls(remote.label_config or "")
    if problems:
        raise LabelStudioError(
            f"project #{project_id} at {url} does not have the Sourcemark labeling config: {'; '.join(problems)}"
        )
    rows = _annotation_rows(client, url, project_id)
    with translated_errors(url):
        emails = {user.id: user.email for user in client.users.list()}

    def annotator_for(completed_by) -> Annotator | str:
        if isinstance(completed_by, dict):
            completed_by = completed_by.get("id")
        email = emails.get(completed_by)
        return Annotator(email=email) if email else f"Label Studio user {completed_by!r} has no e-mail"

    task_map = dict(link.tasks.values_list("remote_id", "sentence_id")) if link else {}
    report = apply_rows(
        rows, annotator_for=annotator_for, task_map=task_map, article_ids=article_ids, skip_invalid=skip_invalid
    )
    if link is not None:
        link.last_pull = timezone.now()
        link.save(update_fields=["last_pull"])
    return link, report


def file_annotator(user_map: dict[str, str] | None) -> Callable[[object], Annotator | str]:
    """How import-file names annotators: an object's `email`; an int id through `user_map`
    (id -> e-mail) when one is given, else the placeholder external reviewer `ls-user-<id>`."""

    def annotator_for(completed_by) -> Annotator | str:
        if isinstance(completed_by, dict):
            if completed_by.get("email"):
                return Annotator(email=str(completed_by["email"]))
            completed_by = completed_by.get("id")
        if isinstance(completed_by, bool) or not isinstance(completed_by, int | str) or completed_by == "":
            return f"no annotator (completed_by {completed_by!r})"
        if isinstance(completed_by, str) and "@" in completed_by:
            return Annotator(email=completed_by)
        if user_map is not None:
            email = user_map.get(str(completed_by))
            return Annotator(email=email) if email else f"Label Studio user {completed_by} is not in the user map"
        return Annotator(placeholder=f"ls-user-{completed_by}")

    return annotator_for
