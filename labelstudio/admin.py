"""Admin for Label Studio projects and tasks, and the push/pull actions on articles (queued tasks)."""

from django.contrib import admin, messages
from django.db.models import Count
from django_tasks.base import TaskResultStatus

from annotate.admin import ArticleAdmin

from .models import LabelStudioProject, LabelStudioTask
from .tasks import configured, pull_articles, push_articles


def _queue(modeladmin, request, queryset, task, verb: str, noun: str) -> None:
    missing = configured()
    if missing:
        modeladmin.message_user(request, f"Cannot {verb} Label Studio: {missing}.", messages.ERROR)
        return
    article_ids = list(queryset.values_list("pk", flat=True))
    result = task.enqueue(article_ids)
    if result.status == TaskResultStatus.SUCCESSFUL:  # an immediate backend ran it already
        modeladmin.message_user(request, f"Label Studio: {result.return_value}", messages.SUCCESS)
    elif result.status == TaskResultStatus.FAILED:
        error = result.errors[-1].traceback.strip().splitlines()[-1].split(": ", 1)[-1] if result.errors else "failed"
        modeladmin.message_user(request, f"Label Studio {noun} failed: {error}", messages.ERROR)
    else:
        modeladmin.message_user(
            request,
            f"Queued: {verb} Label Studio for {len(article_ids)} article(s) (task {result.id}); "
            "a worker (manage.py db_worker) runs it.",
            messages.SUCCESS,
        )


@admin.action(description="Push selected articles to Label Studio")
def push_to_labelstudio(modeladmin, request, queryset):
    _queue(modeladmin, request, queryset, push_articles, "push to", "push")


@admin.action(description="Pull Label Studio annotations of selected articles")
def pull_from_labelstudio(modeladmin, request, queryset):
    _queue(modeladmin, request, queryset, pull_articles, "pull from", "pull")


# The corpus admin knows nothing of Label Studio: this app adds its actions to it.
ArticleAdmin.actions = [*ArticleAdmin.actions, push_to_labelstudio, pull_from_labelstudio]


@admin.register(LabelStudioProject)
class LabelStudioProjectAdmin(admin.ModelAdmin):
    list_display = ["title", "url", "remote_id", "task_count", "last_push", "last_pull"]
    search_fields = ["title", "url"]
    readonly_fields = ["label_config_hash", "created", "last_push", "last_pull"]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(tasks_count=Count("tasks"))

    @admin.display(description="tasks", ordering="tasks_count")
    def task_count(self, obj):
        return obj.tasks_count


@admin.register(LabelStudioTask)
class LabelStudioTaskAdmin(admin.ModelAdmin):
    list_display = ["remote_id", "project", "sentence", "created"]
    list_filter = ["project"]
    list_select_related = ["project", "sentence"]
    raw_id_fields = ["sentence"]
    search_fields = ["remote_id", "sentence__text"]
