"""Admin for Label Studio projects and tasks, and the push/pull actions on articles (queued tasks)."""

from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db.models import Count
from django_tasks.base import TaskResultStatus

from annotate.admin import ArticleAdmin
from annotate.services import StaleVersion

from .models import LabelStudioConflict, LabelStudioIdentity, LabelStudioProject, LabelStudioTask
from .services import confirm_identity, settle_conflict, unconfirm_identity
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


@admin.action(
    description="Confirm: write these accounts' annotations as the reviewer shown (new external reviewer if empty)"
)
def confirm_identities(modeladmin, request, queryset):
    for identity in queryset:
        confirm_identity(identity, by=request.user)
    modeladmin.message_user(request, f"Confirmed {queryset.count()} identities; the next pull writes their marks.")


@admin.action(description="Unconfirm: stop writing these accounts' annotations")
def unconfirm_identities(modeladmin, request, queryset):
    for identity in queryset:
        unconfirm_identity(identity, by=request.user)
    modeladmin.message_user(request, f"Unconfirmed {queryset.count()} identities.")


class ConfirmedFilter(admin.SimpleListFilter):
    title = "confirmed"
    parameter_name = "confirmed"

    def lookups(self, request, model_admin):
        return [("no", "Waiting for a lead"), ("yes", "Confirmed")]

    def queryset(self, request, queryset):
        if self.value() in ("yes", "no"):
            return queryset.filter(confirmed_at__isnull=self.value() == "no")
        return queryset


@admin.register(LabelStudioIdentity)
class LabelStudioIdentityAdmin(admin.ModelAdmin):
    """Label Studio accounts and the reviewer each one's annotations are written as. A pull proposes
    the user with the account's e-mail; nothing is written until a lead confirms (the action, or
    choosing the reviewer here and saving)."""

    list_display = ["email", "remote_user_id", "url", "user", "is_confirmed", "confirmed_by", "confirmed_at"]
    list_filter = [ConfirmedFilter, "url"]
    search_fields = ["email", "user__username", "user__email"]
    list_select_related = ["user", "confirmed_by"]
    fields = ["url", "remote_user_id", "email", "user", "confirmed_by", "confirmed_at", "first_seen"]
    readonly_fields = ["url", "remote_user_id", "email", "confirmed_by", "confirmed_at", "first_seen"]
    autocomplete_fields = ["user"]
    actions = [confirm_identities, unconfirm_identities]

    @admin.display(boolean=True, description="confirmed", ordering="confirmed_at")
    def is_confirmed(self, obj):
        return obj.confirmed

    def has_add_permission(self, request):
        return False  # a pull records every account it meets

    def save_model(self, request, obj, form, change):
        # Choosing the reviewer here is the lead's confirmation of it.
        confirm_identity(obj, by=request.user, user=form.cleaned_data.get("user"))


@admin.action(description="Settle: keep our marks")
def keep_ours(modeladmin, request, queryset):
    _settle(modeladmin, request, queryset, take_theirs=False)


@admin.action(description="Settle: take the Label Studio values (as your correction)")
def take_theirs(modeladmin, request, queryset):
    _settle(modeladmin, request, queryset, take_theirs=True)


def _settle(modeladmin, request, queryset, *, take_theirs: bool) -> None:
    settled, refused = 0, []
    for conflict in queryset.filter(settled_at__isnull=True).select_related("reviewer"):
        try:
            settle_conflict(conflict, by=request.user, take_theirs=take_theirs)
            settled += 1
        except (StaleVersion, ValidationError) as exc:
            refused.append(f"sentence {conflict.sentence_id}: {exc}")
    modeladmin.message_user(request, f"Settled {settled} conflict(s).", messages.SUCCESS)
    if refused:
        modeladmin.message_user(
            request, "Not settled (our mark changed again; pull again): " + "; ".join(refused), messages.WARNING
        )


class OpenFilter(admin.SimpleListFilter):
    title = "state"
    parameter_name = "state"

    def lookups(self, request, model_admin):
        return [("open", "Open"), ("settled", "Settled")]

    def queryset(self, request, queryset):
        if self.value() in ("open", "settled"):
            return queryset.filter(settled_at__isnull=self.value() == "open")
        return queryset


@admin.register(LabelStudioConflict)
class LabelStudioConflictAdmin(admin.ModelAdmin):
    """Pulled annotations that were not written over our marks; a lead keeps ours or takes theirs."""

    list_display = [
        "sentence",
        "reviewer",
        "reason",
        "local_version",
        "pulled_label",
        "remote_updated",
        "created",
        "resolution",
    ]
    list_filter = [OpenFilter, "reason", "resolution", "reviewer"]
    search_fields = ["sentence__text", "reviewer__username"]
    list_select_related = ["sentence", "reviewer"]
    readonly_fields = [
        "url",
        "sentence",
        "reviewer",
        "reason",
        "local_version",
        "remote_annotation_id",
        "remote_updated",
        "remote_value",
        "created",
        "settled_by",
        "settled_at",
        "resolution",
    ]
    actions = [keep_ours, take_theirs]

    @admin.display(description="pulled label")
    def pulled_label(self, obj):
        return obj.remote_value.get("label")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
