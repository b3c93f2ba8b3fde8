"""Labelled-dataset export jobs."""

from django.conf import settings
from django.db import models


class ExportJob(models.Model):
    """A labelled-dataset export: what was asked, its progress, and where the result is."""

    class Status(models.TextChoices):
        QUEUED = "queued"
        RUNNING = "running"
        DONE = "done"
        FAILED = "failed"

    format = models.CharField(max_length=20)
    options = models.JSONField(default=dict, blank=True, help_text="filters, splits, seed")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED, db_index=True)
    progress = models.PositiveBigIntegerField(default=0)
    total = models.PositiveBigIntegerField(null=True, blank=True)
    path = models.CharField(max_length=1000, blank=True, help_text="the finished folder or zip")
    card = models.JSONField(default=dict, blank=True, help_text="the dataset card (dataset.json)")
    error = models.TextField(blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="exports"
    )
    created = models.DateTimeField(auto_now_add=True)
    started = models.DateTimeField(null=True, blank=True)
    finished = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created"]

    def __str__(self):
        return f"export {self.pk} ({self.format}, {self.status})"
