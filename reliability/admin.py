"""Admin for stored score runs and snapshots: read-only records of what was published. Nothing in
a published run can be deleted (docs/scoring.md section 1)."""

from django.contrib import admin

from annotate.admin import ReadOnlyInline

from .models import ScoreRun, ScoreSnapshot


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class ScoreSnapshotInline(ReadOnlyInline):
    model = ScoreSnapshot
    fields = [
        "outlet",
        "score",
        "score_low",
        "score_high",
        "insufficient_evidence",
        "article_count",
        "sentence_count",
        "alpha",
    ]


class KeepPublishedMixin(admin.ModelAdmin):
    """No bulk delete (it would reach published runs); one object only while its run is unpublished."""

    def get_actions(self, request):
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)
        return actions

    def has_delete_permission(self, request, obj=None):
        run = getattr(obj, "run", obj)
        if run is not None and run.published:
            return False
        return super().has_delete_permission(request, obj)


@admin.register(ScoreRun)
class ScoreRunAdmin(KeepPublishedMixin, ReadOnlyAdmin):
    """Runs come from a recompute only (an empty run added here would be the leads' latest run and
    publishable); `revision` is what a publish checks, so nothing here edits a run."""

    list_display = [
        "__str__",
        "method_version",
        "computed_at",
        "overall_alpha",
        "sentence_count",
        "record_kept",
        "published",
        "published_at",
        "published_by",
    ]
    list_filter = ["method_version", "published"]
    readonly_fields = [
        "method_version",
        "method_settings",
        "computed_at",
        "duration_seconds",
        "overall_alpha",
        "figures",
        "triggered_by",
        "sentence_count",
        "record_kept",
        "published",
        "published_at",
        "published_by",
    ]
    inlines = [ScoreSnapshotInline]


@admin.register(ScoreSnapshot)
class ScoreSnapshotAdmin(KeepPublishedMixin, ReadOnlyAdmin):
    list_display = [
        "outlet",
        "method_version",
        "computed_at",
        "score",
        "score_low",
        "score_high",
        "insufficient_evidence",
        "article_count",
        "sentence_count",
        "alpha",
    ]
    list_filter = ["method_version", "insufficient_evidence", "outlet"]
    list_select_related = ["outlet", "run"]
    search_fields = ["outlet__domain"]
