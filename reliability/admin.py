"""Admin for stored score runs and snapshots: read-only records of what was published. Nothing in
a published run can be deleted (docs/scoring.md section 1). Adjudications are settled here through
the same service as the adjudication queue."""

from typing import Any

from django.contrib import admin
from django.core.exceptions import ValidationError
from django.db import transaction

from annotate.admin import ReadOnlyInline, ServiceWriteAdmin, ServiceWriteForm
from annotate.models import Adjudication

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


class AdjudicationAdminForm(ServiceWriteForm):
    """A lead's decision in the admin, written through `services.adjudicate_sentence` like one from
    the queue or the API: an attribution needs a source and nothing else has one, the lead is the
    user who saves, and a change keeps the previous value as a "previous:" line of the note (lines
    the service writes: edited or removed here, they come back as they were).

    As in annotate's AnnotationAdminForm, the write happens in clean(), inside the admin's
    transaction, so a refusal comes back as a form error with nothing written."""

    class Meta:
        model = Adjudication
        fields = ["sentence", "label", "source", "note"]

    def clean(self) -> dict[str, Any]:
        super().clean()
        cleaned = self.cleaned_data
        if self.errors:
            return cleaned
        note = Adjudication.without_history(cleaned.get("note") or "")
        kept = Adjudication.without_history(self.instance.note)
        # Imported here: services pull in numpy (queries), and admin modules load at every start-up.
        from .services import adjudicate_sentence

        try:
            with transaction.atomic():
                self.instance, _ = adjudicate_sentence(
                    sentence=self.instance.sentence if self.instance.pk else cleaned["sentence"],
                    label=cleaned["label"],
                    source=cleaned.get("source"),
                    lead=self.request.user,
                    note="" if note.strip() == kept.strip() else note,  # unchanged: keep it, add no history
                )
        except ValidationError as exc:
            raise ValidationError(exc.messages) from None
        return cleaned


@admin.register(Adjudication)
class AdjudicationAdmin(ServiceWriteAdmin):
    list_display = ["sentence", "label", "source", "lead", "decided_at"]
    list_filter = ["label", "lead"]
    search_fields = ["sentence__text"]
    list_select_related = ["sentence", "source", "lead"]
    raw_id_fields = ["sentence"]
    form = AdjudicationAdminForm
    fields = ["sentence", "label", "source", "note", "lead", "decided_at"]

    def get_readonly_fields(self, request, obj=None):
        return ["sentence", "lead", "decided_at"] if obj is not None else ["lead", "decided_at"]
