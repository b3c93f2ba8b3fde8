"""Bring Label Studio annotations back as our marks (pull from a server, or import an export file).

Pull and file import share `apply_rows`: every task and annotation is checked first (each field,
with one clear line per problem), then all of them are written in one transaction; by default one
invalid annotation refuses the whole batch and nothing is written (`skip_invalid` writes the valid
ones instead).

Trust rules (issue 11):
- Who: a pull writes an account's annotations only once a lead has confirmed which reviewer that
  account is (LabelStudioIdentity: proposed from the e-mail, confirmed in the admin). Unconfirmed
  accounts are reported and nothing of theirs is written. A file import names its annotators
  itself (e-mails, or the operator's `--user-map`), run by someone with shell access.
- What: a pulled annotation never overwrites a mark of ours that changed since the last pull, that
  was made here and differs, or whose assignment is submitted: a LabelStudioConflict is recorded
  for a lead to settle. Every mark is written through annotate.services (version, revision).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import cast

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models.functions import Lower
from django.utils import timezone

from annotate.models import Annotation, Assignment, Origin, Sentence, Source
from annotate.services import (
    AssignmentLocked,
    MarkInput,
    StaleVersion,
    create_external_reviewer,
    link_external,
    same_mark,
    save_annotation,
)
from suggestions.registry import load_source_index

from .client import LabelStudioError, remote_project, translated_errors
from .config import DATA_SENTENCE, missing_controls
from .convert import (
    ConversionError,
    ParsedMark,
    check_annotation,
    check_task,
    parse_result,
    parse_timestamp,
    username_for,
)
from .models import LabelStudioConflict, LabelStudioIdentity, LabelStudioProject
from .services import EXTERNAL_ORIGIN

# At most this many problems are spelled out in a message; the rest are counted.
SHOWN_PROBLEMS = 5


@dataclass(frozen=True)
class Annotator:
    """Who made an annotation: a server account (its id, and its e-mail when it has one), an
    e-mail, or a placeholder name for an id without one (file imports)."""

    email: str = ""
    placeholder: str = ""
    remote_id: int | None = None

    @property
    def key(self) -> str:
        if self.remote_id is not None:
            return f"account:{self.remote_id}"
        return self.email.lower() if self.email else f"placeholder:{self.placeholder}"

    def __str__(self) -> str:
        name = self.email or self.placeholder or "no e-mail"
        return f"{name} (#{self.remote_id})" if self.remote_id is not None else name


@dataclass
class _Item:
    task_id: object
    annotation_id: str
    sentence: Sentence
    annotator: Annotator
    mark: ParsedMark
    updated: datetime | None
    source_ref: int | tuple[str, str] | None = None  # a Source id, or ("new", lower name)


@dataclass
class PullReport:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    skipped: int = 0  # skipped or empty annotations
    superseded: int = 0  # older annotations of the same person on the same task
    conflicts: list[str] = field(default_factory=list)
    unconfirmed: dict[str, int] = field(default_factory=dict)  # account -> annotations not written
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
        if self.unconfirmed:
            accounts = [f"{name}: {count}" for name, count in sorted(self.unconfirmed.items())]
            parts.append(
                f"{sum(self.unconfirmed.values())} annotations of {len(accounts)} Label Studio account(s) not "
                f"written until a lead confirms who they are (admin: Label Studio identities): {_listing(accounts)}"
            )
        if self.conflicts:
            parts.append(
                f"{len(self.conflicts)} conflicts with our marks kept for a lead to settle "
                f"(admin: Label Studio conflicts): {_listing(self.conflicts)}"
            )
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


UserResolver = Callable[[set[Annotator], PullReport], dict[str, object]]


def apply_rows(
    rows: Iterable,
    *,
    annotator_for: Callable[[object], Annotator | str],
    resolve_users: UserResolver | None = None,
    url: str = "",
    task_map: dict[int, int] | None = None,
    article_ids: Iterable[int] | None = None,
    skip_invalid: bool = False,
) -> PullReport:
    """Write the annotations of Label Studio task rows ({id, data, annotations}) as our marks.

    Each task is matched to a sentence through `task_map` (remote task id -> sentence id) or its
    `data.sentence_id`, and its `data.sentence` must equal our sentence text (offsets count into it).
    `annotator_for(completed_by)` returns an Annotator, or a string saying why there is none;
    `resolve_users(annotators, report)` maps Annotator keys to our users (missing: not written;
    default: file_users). Everything is checked first; then, in one transaction, sources are
    created and marks saved through annotate.services (history kept; provenance: origin
    label_studio, the annotation id, its updated_at). An annotation already pulled at the same
    updated_at, or equal to our mark, is left alone, so a second run changes nothing; one that
    would overwrite a mark changed here is recorded as a LabelStudioConflict for `url` instead.
    With invalid annotations InvalidAnnotations is raised and nothing is written, unless `skip_invalid`.
    """
    rows = list(rows)
    task_map = task_map or {}
    resolve_users = resolve_users or file_users
    report = PullReport(tasks_seen=len(rows))
    wanted_articles = set(article_ids) if article_ids is not None else None

    checked = []
    for number, row in enumerate(rows, start=1):
        problem = check_task(row)
        if problem:
            report.invalid.append(f"task #{number} of the batch: {problem}")
            continue
        data = row.get("data") or {}
        checked.append((row, task_map.get(row.get("id")) or data.get("sentence_id")))
    sentences = Sentence.objects.in_bulk({sentence_id for _, sentence_id in checked if isinstance(sentence_id, int)})
    registry = load_source_index()
    new_sources: dict[str, tuple[str, str]] = {}  # lower name -> (name, kind)
    chosen: dict[tuple[int, str], _Item] = {}
    for row, sentence_id in checked:
        task_id = row.get("id")
        where = f"task {task_id}" if task_id is not None else "a task"
        annotations = row.get("annotations") or []
        if not annotations:
            continue
        sentence = sentences.get(sentence_id) if isinstance(sentence_id, int) else None
        if sentence is None:
            report.invalid.append(f"{where}: no Sourcemark sentence {sentence_id!r} (data.sentence_id)")
            continue
        if wanted_articles is not None and sentence.article_id not in wanted_articles:
            continue
        if (row.get("data") or {}).get(DATA_SENTENCE) != sentence.text:
            report.invalid.append(
                f"{where}: its text differs from sentence {sentence.pk}'s, so its offsets cannot be trusted"
            )
            continue
        for entry in annotations:
            label = f"{where} annotation {entry.get('id', '?')!r}"
            problem = check_annotation(entry)
            if problem:
                report.invalid.append(f"{label}: {problem}")
                continue
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
                # (the index holds Source ids, and the ("new", name) keys added below)
                source_ref = cast(int | tuple[str, str] | None, registry.match(mark.source_text))
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
        users = resolve_users({item.annotator for item in chosen.values()}, report)
        items = []
        for item in chosen.values():
            if item.annotator.key in users:
                items.append(item)
            else:
                report.unconfirmed[str(item.annotator)] = report.unconfirmed.get(str(item.annotator), 0) + 1
        writer = _Writer(url, users, new_sources, report, items)
        for item in items:
            writer.write(item)
    return report


class _Writer:
    """Writes the chosen items: what it needs about our marks is read once for the whole batch."""

    def __init__(self, url: str, users: dict, new_sources: dict, report: PullReport, items: list[_Item]):
        self.url, self.users, self.new_sources, self.report = url, users, new_sources, report
        user_ids = {user.pk for user in users.values()}
        sentence_ids = {item.sentence.pk for item in items}
        self.existing = {
            (a.sentence_id, a.reviewer_id): a
            for a in Annotation.objects.filter(sentence_id__in=sentence_ids, reviewer_id__in=user_ids)
        }
        self.submitted = set(
            Assignment.objects.filter(
                reviewer_id__in=user_ids,
                article_id__in={item.sentence.article_id for item in items},
                submitted_at__isnull=False,
            ).values_list("article_id", "reviewer_id")
        )
        self.open_conflicts = {
            (c.sentence_id, c.reviewer_id): c
            for c in LabelStudioConflict.objects.filter(
                sentence_id__in=sentence_ids, reviewer_id__in=user_ids, settled_at__isnull=True
            )
        }
        self.sources: dict[int | tuple[str, str], Source] = Source.objects.in_bulk(
            {item.source_ref for item in items if isinstance(item.source_ref, int)}
        )

    def write(self, item: _Item) -> None:
        user = self.users[item.annotator.key]
        current = self.existing.get((item.sentence.pk, user.pk))
        report = self.report
        already_pulled = (
            current is not None
            and current.external_id == item.annotation_id
            and current.external_updated is not None
            and item.updated is not None
            and current.external_updated >= item.updated
        )
        if already_pulled:
            report.unchanged += 1
            return
        source = self._source(item, create=False)
        mark = MarkInput(
            label=item.mark.label,
            source=source,
            source_span=item.mark.source_span,
            cue_span=item.mark.cue_span,
            note=item.mark.note,
        )
        unknown_source = source is not None and source.pk is None  # a source we do not have yet
        if current is not None and not unknown_source and same_mark(current, mark, with_suggestion=False):
            link_external(annotation=current, external_id=item.annotation_id, external_updated=item.updated)
            report.unchanged += 1
            return
        if (item.sentence.article_id, user.pk) in self.submitted:
            self._conflict(item, user, current, LabelStudioConflict.Reason.SUBMITTED)
            return
        if current is not None and current.external_version != current.version:
            reason = (
                LabelStudioConflict.Reason.NEVER_PULLED
                if current.external_version is None
                else LabelStudioConflict.Reason.CHANGED_HERE
            )
            self._conflict(item, user, current, reason)
            return
        mark = dataclasses.replace(mark, source=self._source(item, create=True))
        try:
            _, created = save_annotation(
                reviewer=user,
                sentence=item.sentence,
                mark=mark,
                expected_version=current.version if current is not None else None,
                origin=Origin.LABEL_STUDIO,
                external_id=item.annotation_id,
                external_updated=item.updated,
                external_version=True,
            )
        except (ValidationError, StaleVersion, AssignmentLocked) as exc:  # checked before: only a race gets here
            raise LabelStudioError(f"task {item.task_id} annotation {item.annotation_id}: {exc}") from None
        if created:
            report.created += 1
        else:
            report.updated += 1

    def _source(self, item: _Item, *, create: bool) -> Source | None:
        """The registry entry of the item's SOURCE span; a new one is created only when `create`
        (its mark is written), else a stand-in without id (compares unequal to every stored one)."""
        if item.source_ref is None:
            return None
        if isinstance(item.source_ref, int):
            return self.sources[item.source_ref]
        if item.source_ref in self.sources:
            return self.sources[item.source_ref]
        name, kind = self.new_sources[item.source_ref[1]]
        if not create:
            return Source.objects.filter(name__iexact=name).first() or Source(name=name, kind=kind)
        source = Source.objects.filter(name__iexact=name).first()
        if source is None:
            source = Source(name=name, kind=kind)
            source.full_clean()
            source.save()
            self.report.sources_created.append(name)
        self.sources[item.source_ref] = source
        return source

    def _conflict(self, item: _Item, user, current: Annotation | None, reason: str) -> None:
        source = self._source(item, create=False)
        value = {
            "label": item.mark.label,
            "source_id": source.pk if source is not None and source.pk else None,
            "source_name": item.mark.source_text.strip() if item.mark.source_span else None,
            "source_kind": item.mark.source_kind,
            "source_span": list(item.mark.source_span) if item.mark.source_span else None,
            "cue_span": list(item.mark.cue_span) if item.mark.cue_span else None,
            "note": item.mark.note,
        }
        fields = {
            "url": self.url,
            "reason": reason,
            "local_version": current.version if current is not None else None,
            "remote_annotation_id": item.annotation_id,
            "remote_updated": item.updated,
            "remote_value": value,
        }
        conflict = self.open_conflicts.get((item.sentence.pk, user.pk))
        if conflict is None:
            conflict = LabelStudioConflict.objects.create(sentence=item.sentence, reviewer=user, **fields)
            self.open_conflicts[(item.sentence.pk, user.pk)] = conflict
        elif (conflict.remote_annotation_id, conflict.remote_updated, conflict.remote_value) != (
            item.annotation_id,
            item.updated,
            value,
        ):
            LabelStudioConflict.objects.filter(pk=conflict.pk).update(**fields)
        self.report.conflicts.append(
            f"sentence {item.sentence.pk} by {item.annotator}: {conflict.get_reason_display()}"
        )


def file_users(annotators: set[Annotator], report: PullReport) -> dict[str, object]:
    """For file imports: annotator key -> our user, matched by e-mail (case-insensitive) or by
    placeholder name, else a new external reviewer (annotate.services.create_external_reviewer)."""
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
            username = username_for(annotator.email, taken)
        else:
            existing = User.objects.filter(username=annotator.placeholder).first()
            if existing is not None:
                found[annotator.key] = existing
                continue
            username = annotator.placeholder
        user = create_external_reviewer(username=username, email=annotator.email, origin=EXTERNAL_ORIGIN)
        report.users_created.append(user.get_username())
        found[annotator.key] = user
    return found


def confirmed_users(url: str) -> UserResolver:
    """For pulls from the server at `url`: account -> the reviewer a lead confirmed for it.

    An account seen for the first time gets an unconfirmed LabelStudioIdentity proposing the user
    with its e-mail (if exactly one); an account whose e-mail changed since it was confirmed is
    unconfirmed again. Neither is written until a lead confirms it."""

    def resolve(annotators: set[Annotator], report: PullReport) -> dict[str, object]:
        accounts = {a.remote_id: a for a in annotators if a.remote_id is not None}
        known = {
            identity.remote_user_id: identity
            for identity in LabelStudioIdentity.objects.filter(url=url, remote_user_id__in=list(accounts))
        }
        found: dict[str, object] = {}
        for remote_id, annotator in sorted(accounts.items()):
            identity = known.get(remote_id)
            if identity is None:
                LabelStudioIdentity.objects.create(
                    url=url, remote_user_id=remote_id, email=annotator.email, user=_proposal(annotator.email)
                )
            elif identity.email.lower() != annotator.email.lower():
                LabelStudioIdentity.objects.filter(pk=identity.pk).update(
                    email=annotator.email, confirmed_at=None, confirmed_by=None
                )
            elif identity.confirmed and identity.user_id is not None:
                found[annotator.key] = identity.user
        return found

    return resolve


def _proposal(email: str):
    if not email:
        return None
    matches = list(get_user_model().objects.filter(email__iexact=email)[:2])
    return matches[0] if len(matches) == 1 else None


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

    Without `project_id`, the one project linked for this server is used. Label Studio accounts
    map to our reviewers through identities a lead has confirmed (confirmed_users).
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
        emails = {user.id: user.email or "" for user in client.users.list()}

    def annotator_for(completed_by) -> Annotator | str:
        if isinstance(completed_by, dict):
            completed_by = completed_by.get("id")
        if isinstance(completed_by, bool) or not isinstance(completed_by, int) or completed_by < 0:
            return f"completed_by {completed_by!r} is not a Label Studio account id"
        if completed_by not in emails:
            return f"Label Studio account {completed_by} is not among the server's users"
        return Annotator(email=emails[completed_by], remote_id=completed_by)

    task_map = dict(link.tasks.values_list("remote_id", "sentence_id")) if link else {}
    report = apply_rows(
        rows,
        annotator_for=annotator_for,
        resolve_users=confirmed_users(url),
        url=url,
        task_map=task_map,
        article_ids=article_ids,
        skip_invalid=skip_invalid,
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
            if isinstance(completed_by.get("email"), str) and completed_by["email"]:
                return Annotator(email=completed_by["email"][:254])
            completed_by = completed_by.get("id")
        if isinstance(completed_by, bool) or not isinstance(completed_by, int | str) or completed_by == "":
            return f"no annotator (completed_by {completed_by!r})"
        if isinstance(completed_by, str) and "@" in completed_by:
            return Annotator(email=completed_by[:254])
        if isinstance(completed_by, str) and not completed_by.isdigit():
            return f"completed_by {completed_by[:60]!r} is neither an e-mail nor an account id"
        if user_map is not None:
            email = user_map.get(str(completed_by))
            return Annotator(email=email) if email else f"Label Studio user {completed_by} is not in the user map"
        return Annotator(placeholder=f"ls-user-{completed_by}")

    return annotator_for
