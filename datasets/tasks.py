"""Exports as background work: an ExportJob row tracks a run of `write_export` on the task queue
(django-tasks; `manage.py db_worker` runs the database backend's queue on any machine).

A job ends `done` or `failed` with its reason, whatever happens to the worker: a worker that dies
mid-export (killed, out of memory, machine lost) stops sending heartbeats, and a live worker runs
the task again (the job starts over) or, after TASK_MAX_ATTEMPTS, fails it with the reason
(config/worker.py; `job_task_finished` copies that outcome onto the job). Temporary files a killed
export left in EXPORT_ROOT are removed by the next export and at every worker start.
"""

from __future__ import annotations

import logging
from pathlib import Path

from django.conf import settings
from django.db import DatabaseError
from django.db.models import F
from django.utils import timezone
from django_tasks import task
from django_tasks.base import TaskResultStatus

from .models import ExportJob
from .options import ExportOptions
from .services import ExportError, remove_stale_partials, write_export

logger = logging.getLogger(__name__)


def job_path(job: ExportJob) -> Path:
    """Where a job's zip goes: EXPORT_ROOT/export-<id>.zip (read at call time)."""
    return Path(settings.EXPORT_ROOT) / f"export-{job.pk}.zip"


def queue_export(options: ExportOptions, *, user=None) -> ExportJob:
    """Record an export job for `options` and put it on the queue; returns the job (status queued)."""
    job = ExportJob.objects.create(format=options.format, options=options.to_dict(), created_by=user)
    run_export_job.enqueue(job.pk)
    job.refresh_from_db()
    return job


def _record_progress(jobs, read: int) -> None:
    """Progress is only shown to the lead: a write that fails (a lock held past DB_LOCK_TIMEOUT)
    is skipped, never the export's end."""
    try:
        jobs.update(progress=read)
    except DatabaseError as exc:
        logger.info("export progress not recorded (%s); carrying on", exc)


@task()
def run_export_job(job_id: int) -> str:
    """Run a queued export job, writing progress to its row once per chunk; returns the final status.

    A job still `running` when its task starts was being run by a worker that died (the queue runs
    one task on one worker at a time and only hands a running task to another worker when the first
    stopped sending heartbeats): it starts over."""
    jobs = ExportJob.objects.filter(pk=job_id)
    taken = jobs.filter(status__in=[ExportJob.Status.QUEUED, ExportJob.Status.RUNNING]).update(
        status=ExportJob.Status.RUNNING, started=timezone.now(), progress=0, error=""
    )
    if not taken:
        return jobs.values_list("status", flat=True).first() or "missing"  # finished or gone
    job = jobs.get()
    try:
        result = write_export(
            ExportOptions.from_dict(job.options),
            job_path(job),
            force=True,
            as_zip=True,
            on_total=lambda total: jobs.update(total=total),
            on_progress=lambda read: _record_progress(jobs, read),
        )
    except ExportError as exc:  # a full disk, an unwritable folder: the message says it all
        jobs.update(status=ExportJob.Status.FAILED, error=str(exc), finished=timezone.now())
        return ExportJob.Status.FAILED
    except Exception as exc:  # any failure is the job's outcome, shown to the lead
        jobs.update(status=ExportJob.Status.FAILED, error=f"{type(exc).__name__}: {exc}", finished=timezone.now())
        return ExportJob.Status.FAILED
    jobs.update(
        status=ExportJob.Status.DONE,
        path=str(result.path),
        card=result.card,
        progress=F("total"),
        finished=timezone.now(),
    )
    return ExportJob.Status.DONE


def job_task_finished(sender, task_result, **kwargs) -> None:
    """task_finished receiver: when an export's task ended failed outside run_export_job's own
    handling (its worker died too often, or was stopped mid-task), the job says so and why."""
    if task_result.status != TaskResultStatus.FAILED or task_result.task.module_path != run_export_job.module_path:
        return
    errors = getattr(task_result, "errors", None) or []
    last = errors[-1].traceback.strip().splitlines()[-1] if errors and errors[-1].traceback.strip() else ""
    reason = last or "the task failed"
    ExportJob.objects.filter(
        pk=task_result.args[0], status__in=[ExportJob.Status.QUEUED, ExportJob.Status.RUNNING]
    ).update(status=ExportJob.Status.FAILED, error=reason, finished=timezone.now())


def remove_export_debris() -> list[Path]:
    """Remove what killed exports left in EXPORT_ROOT (the task worker calls this at start)."""
    return remove_stale_partials(settings.EXPORT_ROOT)
