"""Our links to Label Studio: projects on a server and the task behind each pushed sentence."""

from django.conf import settings
from django.db import models

from annotate.models import Sentence


class LabelStudioProject(models.Model):
    """Our link to a project on a Label Studio server."""

    url = models.URLField(max_length=500, help_text="the Label Studio server")
    remote_id = models.PositiveIntegerField(help_text="the project id on that server")
    title = models.CharField(max_length=300)
    label_config_hash = models.CharField(max_length=64, blank=True)
    created = models.DateTimeField(auto_now_add=True)
    last_push = models.DateTimeField(null=True, blank=True)
    last_pull = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["url", "remote_id"], name="ls_project_unique")]

    def __str__(self):
        return f"{self.title} ({self.url} #{self.remote_id})"


class LabelStudioTask(models.Model):
    """Our sentence ↔ their task, so that a second push adds only what is new."""

    project = models.ForeignKey(LabelStudioProject, on_delete=models.CASCADE, related_name="tasks")
    sentence = models.ForeignKey(Sentence, on_delete=models.CASCADE, related_name="labelstudio_tasks")
    remote_id = models.PositiveBigIntegerField()
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["project", "sentence"], name="ls_task_unique_sentence"),
            models.UniqueConstraint(fields=["project", "remote_id"], name="ls_task_unique_remote"),
        ]

    def __str__(self):
        return f"task {self.remote_id} ↔ sentence {self.sentence_id}"


class LabelStudioIdentity(models.Model):
    """Whose marks a Label Studio account's annotations become: proposed from its e-mail when a pull
    first meets it, written only once a lead has confirmed it. Keyed by the account's id on the
    server, so another account that takes the same e-mail is a new, unconfirmed identity."""

    url = models.URLField(max_length=500, help_text="the Label Studio server")
    remote_user_id = models.PositiveBigIntegerField(help_text="the account's id on that server")
    email = models.CharField(max_length=254, blank=True, help_text="the account's e-mail when last seen")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="labelstudio_identities",
        help_text="our reviewer; empty: a new external reviewer is created when a lead confirms",
    )
    confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    confirmed_at = models.DateTimeField(null=True, blank=True)
    first_seen = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name_plural = "Label Studio identities"
        ordering = ["url", "email", "remote_user_id"]
        constraints = [models.UniqueConstraint(fields=["url", "remote_user_id"], name="ls_identity_unique")]

    def __str__(self):
        return f"{self.email or 'no e-mail'} (#{self.remote_user_id} at {self.url})"

    @property
    def confirmed(self) -> bool:
        return self.confirmed_at is not None


class LabelStudioConflict(models.Model):
    """A pulled annotation that was not written over our mark: ours changed since the last pull (or
    was never pulled and differs), or the reviewer's assignment is submitted. A lead settles it:
    keep ours, or take theirs (written through annotate.services like any change)."""

    class Reason(models.TextChoices):
        CHANGED_HERE = "changed_here", "Our mark changed since the last pull"
        NEVER_PULLED = "never_pulled", "Our mark was made here and differs"
        SUBMITTED = "submitted", "The reviewer's assignment is submitted"

    class Resolution(models.TextChoices):
        KEPT_OURS = "kept_ours", "Kept ours"
        TOOK_THEIRS = "took_theirs", "Took theirs"

    url = models.URLField(max_length=500, help_text="the Label Studio server")
    sentence = models.ForeignKey(Sentence, on_delete=models.PROTECT, related_name="+")
    reviewer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    reason = models.CharField(max_length=20, choices=Reason.choices)
    local_version = models.PositiveIntegerField(null=True, blank=True, help_text="our mark's version then")
    remote_annotation_id = models.CharField(max_length=100)
    remote_updated = models.DateTimeField(null=True, blank=True)
    remote_value = models.JSONField(help_text="the pulled mark: label, source, spans, note")
    created = models.DateTimeField(auto_now_add=True)
    settled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    settled_at = models.DateTimeField(null=True, blank=True)
    resolution = models.CharField(max_length=20, choices=Resolution.choices, blank=True)

    class Meta:
        ordering = ["-created", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["sentence", "reviewer"],
                condition=models.Q(settled_at__isnull=True),
                name="ls_conflict_one_open",
            )
        ]

    def __str__(self):
        return f"sentence {self.sentence_id} by {self.reviewer}: {self.get_reason_display()}"
