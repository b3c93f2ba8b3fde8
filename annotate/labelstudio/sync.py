"""Push sentences to a Label Studio project and bring its annotations back as our marks.

Push: one task per reviewable sentence (with its article context and our suggestion as a
prediction); LabelStudioTask remembers which sentence each task is, so a second push adds only
what is new. Pull and file import share `apply_rows`: every annotation is converted and checked
first, then all of them are written in one transaction; by default one invalid annotation
refuses the whole batch and nothing is written (`skip_invalid` writes the valid ones instead).
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models.functions import Lower
from django.utils import timezone

from annotate.attribution import match_source
from annotate.exports.labelstudio_format import context_window
from annotate.models import (
    Annotation,
    LabelStudioProject,
    LabelStudioTask,
    Origin,
    Reviewer,
    Sentence,
    Source,
)
from annotate.services import MarkInput, save_annotation

from .client import LabelStudioError, translated_errors
from .config import (
    DATA_CONTEXT,
    DATA_SENTENCE,
    DATA_TITLE,
    config_hash,
    config_values,
    label_config,
    missing_controls,
    validate_locally,
)
from .convert import ConversionError, ParsedMark, parse_result, parse_timestamp, prediction_for, username_for

DEFAULT_PROJECT_TITLE = "Sourcemark"
BATCH_SIZE = 500
EXTERNAL_ORIGIN = "label_studio"
# At most this many problems are spelled out in a message; the rest are counted.
SHOWN_PROBLEMS = 5


# --- Push ---------------------------------------------------------------------------------------
@dataclass
class PushReport:
    project_id: int
    title: str
    created: int = 0
    skipped: int = 0
    predictions: int = 0
    project_created: bool = False
    config_updated: bool = False
    notes: list[str] = field(default_factory=list)

    def summary(self) -> str:
        what = "created" if self.project_created else "updated"
        line = (f"project #{self.project_id} {self.title!r} {what}: created {self.created} tasks "
                f"({self.predictions} with predictions), skipped {self.skipped} already there")
        if self.config_updated:
            line += "; labeling config updated from the codebook"
        return "; ".join([line, *self.notes])


def reviewable_sentences(*, outlet: str | None = None, article_ids: Iterable[int] | None = None):
    """The reviewable sentences to push, in article and reading order."""
    sentences = Sentence.objects.filter(reviewable=True).select_related("article__outlet")
    if outlet:
        sentences = sentences.filter(article__outlet__domain=outlet)
    if article_ids is not None:
        sentences = sentences.filter(article_id__in=list(article_ids))
    return sentences.order_by("article_id", "position")


def task_for_sentence(sentence: Sentence, suggestion: dict | None) -> dict:
    """One Label Studio task: the sentence, its article context and ids; our suggestion as a prediction."""
    article = sentence.article
    task = {
        "data": {
            DATA_SENTENCE: sentence.text,
            DATA_CONTEXT: context_window(article.text, sentence.start, sentence.end),
            DATA_TITLE: article.title,
            "sentence_id": sentence.pk,
            "article_id": article.pk,
            "outlet": article.outlet.domain,
            "url": article.url,
            "position": sentence.position,
        }
    }
    if suggestion is not None:
        task["predictions"] = [prediction_for(suggestion, sentence.text, f"s{sentence.pk}")]
    return task


def _remote_project(client, url: str, remote_id: int):
    """The remote project, or None when the server has no such project."""
    from label_studio_sdk.core.api_error import ApiError

    with translated_errors(url):
        try:
            return client.projects.get(id=remote_id)
        except ApiError as exc:
            if exc.status_code == 404:
                return None
            raise


def _sync_config(client, url: str, link: LabelStudioProject, remote, xml: str, force: bool) -> bool:
    """Make the remote config ours. Returns True when it was updated. Refuses a config that someone
    changed in Label Studio (unless `force`) and any update that would drop a value in use."""
    remote_xml = remote.label_config or ""
    if config_hash(remote_xml) == config_hash(xml):
        return False
    ours_before = link.label_config_hash and config_hash(remote_xml) == link.label_config_hash
    if not (ours_before or force):
        raise LabelStudioError(
            f"the labeling config of project #{link.remote_id} at {url} differs from the codebook's "
            "(edited in Label Studio, or not made by Sourcemark): pass --force-config to replace it"
        )
    try:
        theirs = config_values(remote_xml)
    except Exception:
        theirs = {}
    ours = config_values(xml)
    dropped = sorted(f"{name}:{value}" for name, values in theirs.items() if name in ours
                     for value in values - ours[name])
    if dropped:
        raise LabelStudioError(
            f"the codebook's config would drop {', '.join(dropped)} from project #{link.remote_id}; "
            "Label Studio keeps annotations that use them, so the config is left alone"
        )
    with translated_errors(url):
        client.projects.update(id=link.remote_id, label_config=xml)
    return True


def _project_for_push(client, url: str, *, title: str, project_id: int | None, force_config: bool,
                      report_notes: list[str]) -> tuple[LabelStudioProject, bool, bool]:
    xml = label_config()
    try:
        validate_locally(xml)
    except ValueError as exc:
        raise LabelStudioError(str(exc)) from None
    if project_id is not None:
        remote = _remote_project(client, url, project_id)
        if remote is None:
            raise LabelStudioError(f"Label Studio at {url} has no project #{project_id}")
        link, _ = LabelStudioProject.objects.get_or_create(url=url, remote_id=project_id,
                                                           defaults={"title": remote.title or title})
        updated = _sync_config(client, url, link, remote, xml, force_config)
        return link, False, updated
    link = LabelStudioProject.objects.filter(url=url, title=title).order_by("-pk").first()
    if link is not None:
        remote = _remote_project(client, url, link.remote_id)
        if remote is not None:
            return link, False, _sync_config(client, url, link, remote, xml, force_config)
        report_notes.append(f"project #{link.remote_id} was deleted in Label Studio, so a new one was made")
        link.delete()
    with translated_errors(url):
        remote = client.projects.create(
            title=title, label_config=xml,
            description="Sentences from Sourcemark: label each one and mark its SOURCE and CUE spans.",
        )
    link = LabelStudioProject.objects.create(url=url, remote_id=remote.id, title=title,
                                             label_config_hash=config_hash(xml))
    return link, True, False


def push(client, url: str, *, title: str = DEFAULT_PROJECT_TITLE, project_id: int | None = None,
         outlet: str | None = None, article_ids: Iterable[int] | None = None, limit: int | None = None,
         force_config: bool = False, batch_size: int = BATCH_SIZE,
         progress: Callable[[int], None] | None = None) -> PushReport:
    """Create or update the project and import the selected sentences that it does not have yet.

    Each batch is imported in one request (Label Studio stores it atomically) and its task ids are
    recorded in one transaction, so a failure leaves the server and our mapping agreeing; running
    the push again continues where it stopped. Returns counts of created and skipped tasks.
    """
    from annotate.suggest import suggestions_for_sentences

    notes: list[str] = []
    link, project_created, config_updated = _project_for_push(
        client, url, title=title, project_id=project_id, force_config=force_config, report_notes=notes)
    report = PushReport(project_id=link.remote_id, title=link.title, project_created=project_created,
                        config_updated=config_updated, notes=notes)
    mapped = set(LabelStudioTask.objects.filter(project=link).values_list("sentence_id", flat=True))
    selected = list(reviewable_sentences(outlet=outlet, article_ids=article_ids))
    new = [sentence for sentence in selected if sentence.pk not in mapped]
    report.skipped = len(selected) - len(new)
    if limit is not None:
        new = new[:limit]
    for begin in range(0, len(new), batch_size):
        batch = new[begin : begin + batch_size]
        suggestions = suggestions_for_sentences(batch)
        tasks = [task_for_sentence(sentence, suggestions.get(sentence.pk)) for sentence in batch]
        with translated_errors(url):
            response = client.projects.import_tasks(id=link.remote_id, request=tasks, return_task_ids=True)
        task_ids = list(response.task_ids or [])
        if len(task_ids) != len(batch):
            raise LabelStudioError(
                f"Label Studio at {url} returned {len(task_ids)} task ids for {len(batch)} imported tasks")
        try:
            with transaction.atomic():
                LabelStudioTask.objects.bulk_create(
                    LabelStudioTask(project=link, sentence=sentence, remote_id=task_id)
                    for sentence, task_id in zip(batch, task_ids, strict=True)
                )
        except Exception:
            _delete_remote_tasks(client, task_ids)  # keep the server in step with our mapping
            raise
        report.created += len(batch)
        report.predictions += sum(1 for task in tasks if task.get("predictions"))
        if progress:
            progress(len(batch))
    link.last_push = timezone.now()
    link.label_config_hash = config_hash(label_config())
    link.save(update_fields=["last_push", "label_config_hash"])
    return report


def _delete_remote_tasks(client, task_ids: list[int]) -> None:
    for task_id in task_ids:
        with contextlib.suppress(Exception):  # best effort while another error is on its way up
            client.tasks.delete(id=task_id)


# --- Pull and file import -----------------------------------------------------------------------
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


def _registry() -> list[tuple[object, str, list[str]]]:
    entries: dict[int, tuple[object, str, list[str]]] = {}
    for pk, name, alias in Source.objects.order_by("pk", "aliases__pk").values_list("pk", "name", "aliases__name"):
        entry = entries.setdefault(pk, (pk, name, []))
        if alias:
            entry[2].append(alias)
    return list(entries.values())


def apply_rows(rows: Iterable[dict], *, annotator_for: Callable[[object], Annotator | str],
               task_map: dict[int, int] | None = None, article_ids: Iterable[int] | None = None,
               skip_invalid: bool = False) -> PullReport:
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
    registry = _registry()
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
            report.invalid.append(f"{where}: its text differs from sentence {sentence.pk}'s, so its offsets "
                                  "cannot be trusted")
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
                source_ref = match_source(mark.source_text, registry)
                if source_ref is None:
                    if not mark.source_kind:
                        report.invalid.append(f"{label} by {who}: SOURCE {mark.source_text!r} is not in the "
                                              "source registry and has no source kind to create it with")
                        continue
                    key = mark.source_text.strip().lower()
                    new_sources[key] = (mark.source_text.strip(), mark.source_kind)
                    source_ref = ("new", key)
                    registry.append((source_ref, mark.source_text.strip(), []))
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
        sources.update(Source.objects.in_bulk({item.source_ref for item in chosen.values()
                                               if isinstance(item.source_ref, int)}))
        existing = {
            (a.sentence_id, a.reviewer_id): a
            for a in Annotation.objects.filter(sentence_id__in={s for s, _ in chosen},
                                               reviewer__in=list(users.values()))
        }
        for item in chosen.values():
            _write(item, users[item.annotator.key], sources, existing, report)
    return report


def _write(item: _Item, user, sources: dict, existing: dict, report: PullReport) -> None:
    current = existing.get((item.sentence.pk, user.pk))
    same_annotation = (current is not None and current.origin == Origin.LABEL_STUDIO
                       and current.external_id == item.annotation_id)
    if same_annotation and current.external_updated and item.updated and current.external_updated >= item.updated:
        report.unchanged += 1
        return
    if current is not None and not same_annotation and item.updated and current.updated > item.updated:
        report.conflicts.append(f"sentence {item.sentence.pk} by {item.annotator}")
        return
    source = sources.get(item.source_ref) if item.source_ref is not None else None
    mark = MarkInput(label=item.mark.label, source=source, source_span=item.mark.source_span,
                     cue_span=item.mark.cue_span, note=item.mark.note)
    if current is not None and _same(current, mark):
        Annotation.objects.filter(pk=current.pk).update(
            origin=Origin.LABEL_STUDIO, external_id=item.annotation_id, external_updated=item.updated)
        report.unchanged += 1
        return
    try:
        _, created = save_annotation(reviewer=user, sentence=item.sentence, mark=mark, origin=Origin.LABEL_STUDIO,
                                     external_id=item.annotation_id, external_updated=item.updated)
    except ValidationError as exc:  # checked before, so only a race gets here: refuse the whole batch
        raise LabelStudioError(f"task {item.task_id} annotation {item.annotation_id}: {exc.messages}") from None
    if created:
        report.created += 1
    else:
        report.updated += 1


def _same(annotation: Annotation, mark: MarkInput) -> bool:
    return (annotation.label == mark.label and annotation.source_id == (mark.source.pk if mark.source else None)
            and annotation.source_span == mark.source_span and annotation.cue_span == mark.cue_span
            and annotation.note == mark.note)


def _users_for(annotators: set[Annotator], report: PullReport) -> dict[str, object]:
    """Annotator key -> our user: matched by e-mail (case-insensitive), else a new external reviewer."""
    User = get_user_model()
    found: dict[str, object] = {}
    emails = {a.email.lower() for a in annotators if a.email}
    if emails:
        for user in (User.objects.annotate(email_lower=Lower("email")).filter(email_lower__in=emails)
                     .order_by("pk")):
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
            for task in tasks if task.annotations  # the free server ignores only_annotated
        ]


def _plain(entry) -> dict:
    """Task-list annotations are dicts in SDK 2.1; accept its pydantic models too."""
    return entry if isinstance(entry, dict) else entry.model_dump(mode="json")


def pull(client, url: str, *, project_id: int | None = None, article_ids: Iterable[int] | None = None,
         skip_invalid: bool = False) -> tuple[LabelStudioProject | None, PullReport]:
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
    remote = _remote_project(client, url, project_id)
    if remote is None:
        raise LabelStudioError(f"Label Studio at {url} has no project #{project_id}")
    problems = missing_controls(remote.label_config or "")
    if problems:
        raise LabelStudioError(
            f"project #{project_id} at {url} does not have the Sourcemark labeling config: {'; '.join(problems)}")
    rows = _annotation_rows(client, url, project_id)
    with translated_errors(url):
        emails = {user.id: user.email for user in client.users.list()}

    def annotator_for(completed_by) -> Annotator | str:
        if isinstance(completed_by, dict):
            completed_by = completed_by.get("id")
        email = emails.get(completed_by)
        return Annotator(email=email) if email else f"Label Studio user {completed_by!r} has no e-mail"

    task_map = dict(link.tasks.values_list("remote_id", "sentence_id")) if link else {}
    report = apply_rows(rows, annotator_for=annotator_for, task_map=task_map, article_ids=article_ids,
                        skip_invalid=skip_invalid)
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
