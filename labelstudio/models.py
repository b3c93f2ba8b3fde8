"""Our links to Label Studio: projects on a server and the task behind each pushed sentence."""

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
