"""Admin for export jobs, and the actions that queue a dataset export of selected articles or outlets."""

from django.contrib import admin, messages
from django.urls import reverse
from django.utils.html import format_html

from annotate.admin import ArticleAdmin, OutletAdmin

from .models import ExportJob
from .options import ExportOptions
from .tasks import queue_export


def _queue(modeladmin, request, options: ExportOptions) -> None:
    job = queue_export(options, user=request.user)
    modeladmin.message_user(
        request,
        format_html(
            'Export {} queued ({}): download it from <a href="{}">the exports page</a> when it is done.',
            job.pk,
            job.status,
            reverse("exports:list"),
        ),
        messages.SUCCESS,
    )


@admin.action(description="Export selected articles as a labelled dataset (all formats, zip)")
def export_articles(modeladmin, request, queryset):
    _queue(modeladmin, request, ExportOptions(format="all", article_ids=list(queryset.values_list("pk", flat=True))))


@admin.action(description="Export selected outlets as a labelled dataset (all formats, zip)")
def export_outlets(modeladmin, request, queryset):
    _queue(modeladmin, request, ExportOptions(format="all", outlets=list(queryset.values_list("domain", flat=True))))


# The corpus admin knows nothing of exports: this app adds its actions to it.
ArticleAdmin.actions = [*ArticleAdmin.actions, export_articles]
OutletAdmin.actions = [*OutletAdmin.actions, export_outlets]


@admin.register(ExportJob)
class ExportJobAdmin(admin.ModelAdmin):
    list_display = ["__str__", "format", "status", "progress", "total", "created_by", "created", "finished"]
    list_filter = ["status", "format"]
    list_select_related = ["created_by"]
    readonly_fields = [
        "format",
        "options",
        "status",
        "progress",
        "total",
        "path",
        "card",
        "error",
        "created_by",
        "created",
        "started",
        "finished",
    ]

    def has_add_permission(self, request):
        return False  # exports are made with the admin actions, the /exports/ page, the API or `export`
