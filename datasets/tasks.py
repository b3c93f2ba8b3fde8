"""Exports as background work: an ExportJob row tracks a run of `write_export` on the task queue
(django-tasks; `manage.py db_worker` runs the database backend's queue on any machine)."""

from __future__ import annotations

from pathlib import Path

from django.conf import settings
from django.db.models import F
from django.utils import timezone
from django_tasks import task

from .models import ExportJob
from .options import ExportOptions
from .services import write_export


def job_path(job: ExportJob) -> Path:
    """Where a job's zip goes: EXPORT_ROOT/export-<id>.zip (read at call time)."""
    return Path(settings.EXPORT_ROOT) / f"export-{job.pk}.zip"


def queue_export(options: ExportOptions, *, user=None) -> ExportJob:
    """Record an export job for `options` and put it on the queue; returns the job (status queued)."""
    job = ExportJob.objects.create(format=options.format, options=options.to_dict(), created_by=user)
    run_export_job.enqueue(job.pk)
    job.refresh_from_db()
    return job


@task()
def run_export_job(job_id: int) -> str:
    """Run a queued export job, writing progress to its row once per chunk; returns the final status."""
    jobs = ExportJob.objects.filter(pk=job_id)
    if not jobs.filter(status=ExportJob.Status.QUEUED).update(status=ExportJob.Status.RUNNING, started=timezone.now()):
        return jobs.values_list("status", flat=True).first() or "missing"  # already taken or gone
    job = jobs.get()
    try:
        result = write_export(
            ExportOptions.from_dict(job.options),
            job_path(job),
            force=True,
            as_zip=True,
            on_total=lambda total: jobs.update(total=total),
            on_progress=lambda read: jobs.update(progress=read),
        )
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
