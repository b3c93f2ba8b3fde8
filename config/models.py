"""Site-wide records: the task workers' heartbeats (config/worker.py)."""

from django.db import models


class TaskWorker(models.Model):
    """A running `db_worker` process: it refreshes `heartbeat` every TASK_HEARTBEAT_SECONDS. A task
    whose worker's heartbeat is older than TASK_LEASE_SECONDS (or gone) is reclaimed: run again, or
    failed with the reason after TASK_MAX_ATTEMPTS attempts."""

    worker_id = models.CharField(max_length=64, primary_key=True)
    hostname = models.CharField(max_length=255, blank=True)
    pid = models.PositiveIntegerField(null=True, blank=True)
    started = models.DateTimeField()
    heartbeat = models.DateTimeField(db_index=True)

    class Meta:
        ordering = ["-heartbeat"]

    def __str__(self):
        return f"worker {self.worker_id} ({self.hostname} pid {self.pid})"
