"""Push sentences to a Label Studio project: one task per reviewable sentence, with its article
context and our suggestion as a prediction. LabelStudioTask remembers which sentence each task is,
so a second push adds only what is new."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from django.utils import timezone

from annotate.models import Sentence

from .client import LabelStudioError, remote_project, translated_errors
from .config import DATA_CONTEXT, DATA_SENTENCE, DATA_TITLE, config_hash, config_values, label_config, validate_locally
from .convert import prediction_for
from .models import LabelStudioProject, LabelStudioTask
from .schema import context_window

DEFAULT_PROJECT_TITLE = "Sourcemark"
BATCH_SIZE = 500


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
        line = (
            f"project #{self.project_id} {self.title!r} {what}: created {self.created} tasks "
            f"({self.predictions} with predictions), skipped {self.skipped} already there"
        )
        if self.config_updated:
            line += "; labeling config updated from the codebook"
        return "; ".join([line, *self.notes])


def reviewable_sentences(*, outlet: str | None = None, article_ids: Iterable[int] | None = None):
    """The reviewable sentences of articles in service (not retired) to push, in article and reading order."""
    sentences = Sentence.objects.filter(
        reviewable=True, article__retired=False, article__outlet__retired=False
    ).select_related("article__outlet")
    if outlet:
        sentences = sentences.filter(article__outlet__domain=outlet)
    if article_ids is not None:
        sentences = sentences.filter(article_id__in=list(article_ids))
    return sentences.order_by("article_id", "position")


def task_for_sentence(sentence: Sentence, suggestion: dict | None) -> dict:
    """One Label Studio task: the sentence, its article context and ids; our suggestion as a prediction."""
    article = sentence.article
    task: dict[str, Any] = {
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
    dropped = sorted(
        f"{name}:{value}" for name, values in theirs.items() if name in ours for value in values - ours[name]
    )
    if dropped:
        raise LabelStudioError(
            f"the codebook's config would drop {', '.join(dropped)} from project #{link.remote_id}; "
            "Label Studio keeps annotations that use them, so the config is left alone"
        )
    with translated_errors(url):
        client.projects.update(id=link.remote_id, label_config=xml)
    return True


def _project_for_push(
    client, url: str, *, title: str, project_id: int | None, force_config: bool, report_notes: list[str]
) -> tuple[LabelStudioProject, bool, bool]:
    link: LabelStudioProject | None
    xml = label_config()
    try:
        validate_locally(xml)
    except ValueError as exc:
        raise LabelStudioError(str(exc)) from None
    if project_id is not None:
        remote = remote_project(client, url, project_id)
        if remote is None:
            raise LabelStudioError(f"Label Studio at {url} has no project #{project_id}")
        link, _ = LabelStudioProject.objects.get_or_create(
            url=url, remote_id=project_id, defaults={"title": remote.title or title}
        )
        updated = _sync_config(client, url, link, remote, xml, force_config)
        return link, False, updated
    link = LabelStudioProject.objects.filter(url=url, title=title).order_by("-pk").first()
    if link is not None:
        remote = remote_project(client, url, link.remote_id)
        if remote is not None:
            return link, False, _sync_config(client, url, link, remote, xml, force_config)
        report_notes.append(f"project #{link.remote_id} was deleted in Label Studio, so a new one was made")
        link.delete()
    with translated_errors(url):
        remote = client.projects.create(
            title=title,
            label_config=xml,
            description="Sentences from Sourcemark: label each one and mark its SOURCE and CUE spans.",
        )
    link = LabelStudioProject.objects.create(
        url=url, remote_id=remote.id, title=title, label_config_hash=config_hash(xml)
    )
    return link, True, False


def push(
    client,
    url: str,
    *,
    title: str = DEFAULT_PROJECT_TITLE,
    project_id: int | None = None,
    outlet: str | None = None,
    article_ids: Iterable[int] | None = None,
    limit: int | None = None,
    force_config: bool = False,
    batch_size: int = BATCH_SIZE,
    progress: Callable[[int], object] | None = None,
) -> PushReport:
    """Create or update the project and import the selected sentences that it does not have yet.

    Each batch is imported in one request (Label Studio stores it atomically) and its task ids are
    recorded in one transaction, so a failure leaves the server and our mapping agreeing; running
    the push again continues where it stopped. Returns counts of created and skipped tasks.
    """
    from suggestions.predict import suggestions_for_sentences

    notes: list[str] = []
    link, project_created, config_updated = _project_for_push(
        client, url, title=title, project_id=project_id, force_config=force_config, report_notes=notes
    )
    report = PushReport(
        project_id=link.remote_id,
        title=link.title,
        project_created=project_created,
        config_updated=config_updated,
        notes=notes,
    )
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
                f"Label Studio at {url} returned {len(task_ids)} task ids for {len(batch)} imported tasks"
            )
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
