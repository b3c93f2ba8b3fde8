"""Admin actions that queue a dataset export of the selected articles or outlets."""

from django.contrib import admin, messages
from django.urls import reverse
from django.utils.html import format_html

from .filters import ExportOptions
from .tasks import queue_export


def _queue(modeladmin, request, options: ExportOptions) -> None:
    job = queue_export(options, user=request.user)
    modeladmin.message_user(
        request,
        format_html('Export {} queued ({}): download it from <a href="{}">the exports page</a> when it is done.',
                    job.pk, job.status, reverse("exports:list")),
        messages.SUCCESS,
    )


@admin.action(description="Export selected articles as a labelled dataset (all formats, zip)")
def export_articles(modeladmin, request, queryset):
    _queue(modeladmin, request, ExportOptions(format="all", article_ids=list(queryset.values_list("pk", flat=True))))


@admin.action(description="Export selected outlets as a labelled dataset (all formats, zip)")
def export_outlets(modeladmin, request, queryset):
    _queue(modeladmin, request, ExportOptions(format="all", outlets=list(queryset.values_list("domain", flat=True))))
