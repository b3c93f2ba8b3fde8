"""Admin for stored score runs and snapshots: read-only records of what was published."""

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


@admin.register(ScoreRun)
class ScoreRunAdmin(admin.ModelAdmin):
    list_display = ["__str__", "method_version", "computed_at", "overall_alpha", "published", "published_at"]
    list_filter = ["method_version", "published"]
    readonly_fields = [
        "method_version",
        "method_settings",
        "computed_at",
        "duration_seconds",
        "overall_alpha",
        "figures",
        "triggered_by",
        "published_at",
    ]
    inlines = [ScoreSnapshotInline]


@admin.register(ScoreSnapshot)
class ScoreSnapshotAdmin(ReadOnlyAdmin):
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
    list_select_related = ["outlet"]
    search_fields = ["outlet__domain"]
