"""Stored score snapshots: one run of the method, and each outlet's figures in it."""

from django.conf import settings
from django.db import models

from annotate.models import Outlet, is_lead


class ScoreRunQuerySet(models.QuerySet):
    def readable_by(self, user):
        """Leads read every run; everyone else published runs (anonymous readers only when
        PUBLIC_SCORES is on, else none)."""
        if is_lead(user):
            return self
        if not user.is_authenticated and not settings.PUBLIC_SCORES:
            return self.none()
        return self.filter(published=True)


class ScoreRun(models.Model):
    """One recompute of every outlet's score with one method version and settings."""

    method_version = models.CharField(max_length=20)
    method_settings = models.JSONField(default=dict)
    computed_at = models.DateTimeField(auto_now_add=True, db_index=True)
    duration_seconds = models.FloatField(null=True, blank=True)
    overall_alpha = models.FloatField(null=True, blank=True)
    figures = models.JSONField(default=dict, blank=True, help_text="global rates, overall agreement")
    triggered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    published = models.BooleanField(default=False, help_text="visible to anonymous readers")
    published_at = models.DateTimeField(null=True, blank=True)

    objects = ScoreRunQuerySet.as_manager()

    class Meta:
        ordering = ["-computed_at", "-id"]

    def __str__(self):
        return f"run {self.pk} (v{self.method_version}, {self.computed_at:%Y-%m-%d %H:%M})"


class ScoreSnapshot(models.Model):
    """An outlet's figures in one run: history and trends survive recomputes."""

    run = models.ForeignKey(ScoreRun, on_delete=models.CASCADE, related_name="snapshots")
    outlet = models.ForeignKey(Outlet, on_delete=models.CASCADE, related_name="score_snapshots")
    method_version = models.CharField(max_length=20, db_index=True)
    computed_at = models.DateTimeField(db_index=True)
    score = models.FloatField(null=True, blank=True)
    score_low = models.FloatField(null=True, blank=True)
    score_high = models.FloatField(null=True, blank=True)
    insufficient_evidence = models.BooleanField(default=True)
    article_count = models.PositiveIntegerField(default=0)
    sentence_count = models.PositiveIntegerField(default=0)
    alpha = models.FloatField(null=True, blank=True)
    figures = models.JSONField(default=dict)

    class Meta:
        ordering = ["-computed_at", "outlet"]
        constraints = [models.UniqueConstraint(fields=["run", "outlet"], name="snapshot_unique_per_run")]
        indexes = [models.Index(fields=["outlet", "-computed_at"], name="snapshot_outlet_recent")]

    def __str__(self):
        return f"{self.outlet} v{self.method_version} {self.computed_at:%Y-%m-%d}: {self.score}"
