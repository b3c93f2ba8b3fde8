"""Admin panel for leads: inspect and fix data, with links between related objects.

Nothing here can lose a mark (issue 11): marks are edited through annotate.services (version and
revision kept; no add or delete here), revisions and assignment events are read-only, article text
is read-only once split, articles and outlets with marks are retired rather than deleted, users
with marks are deactivated rather than deleted, and submitted assignments are reopened, never
removed.
"""

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Count, Q
from django.http import HttpResponseNotAllowed, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.urls import path, reverse
from django.utils.html import format_html

from .domains import normalize_domain
from .models import (
    Adjudication,
    Annotation,
    AnnotationRevision,
    Article,
    Assignment,
    AssignmentEvent,
    Flag,
    Origin,
    Outlet,
    Reviewer,
    Sentence,
    Side,
    Source,
    SourceAlias,
    Topic,
)
from .services import (
    ArticleRetired,
    AssignmentLocked,
    NotAllowed,
    StaleVersion,
    change_annotation,
    deactivate_users,
    reopen_assignment,
    resolve_flag,
    set_retired,
)


def _link(model: str, pk, text, **query) -> str:
    if pk is None:
        return "—"
    if query:
        url = reverse(f"admin:annotate_{model}_changelist") + "?" + "&".join(f"{k}={v}" for k, v in query.items())
    else:
        url = reverse(f"admin:annotate_{model}_change", args=[pk])
    return format_html('<a href="{}">{}</a>', url, text)


class ReadOnlyInline(admin.TabularInline):
    """An inline that shows related rows without letting anyone add, change or delete them."""

    extra = 0
    can_delete = False

    def get_readonly_fields(self, request, obj=None):
        return self.fields

    def has_add_permission(self, request, obj=None):
        return False


class RetireMixin(admin.ModelAdmin):
    """Retire / bring back actions, and a delete that refuses rows with marks (retire them instead)."""

    def _still_needed(self, obj) -> str | None:
        raise NotImplementedError

    def delete_view(self, request, object_id, extra_context=None):
        obj = self.get_object(request, object_id)
        reason = self._still_needed(obj) if obj is not None else None
        if obj is not None and reason:
            self.message_user(request, f"{obj} is not deleted: {reason}. Retire it instead.", messages.ERROR)
            return HttpResponseRedirect(reverse(f"admin:annotate_{self.opts.model_name}_change", args=[obj.pk]))
        return super().delete_view(request, object_id, extra_context)

    def delete_queryset(self, request, queryset):
        kept = [obj for obj in queryset if self._still_needed(obj)]
        if kept:  # the confirmation page lists them as protected already; refuse the lot
            raise PermissionDenied(f"{len(kept)} of them have marks: retire them instead")
        super().delete_queryset(request, queryset)


@admin.action(description="Retire selected (keep every mark; leave queues and new score runs)")
def retire(modeladmin, request, queryset):
    count = set_retired(queryset, retired=True)
    modeladmin.message_user(request, f"Retired {count}; their marks and history are kept.", messages.SUCCESS)


@admin.action(description="Bring selected back into service")
def restore(modeladmin, request, queryset):
    count = set_retired(queryset, retired=False)
    modeladmin.message_user(request, f"Brought {count} back into service.", messages.SUCCESS)


class OutletAdminForm(forms.ModelForm):
    class Meta:
        model = Outlet
        fields = ["domain", "name"]

    def clean_domain(self) -> str:
        """The domain as ingest stores it (`https://www.News.Sky.com/x` -> `news.sky.com`), unique."""
        try:
            domain = normalize_domain(self.cleaned_data["domain"])
        except ValueError as exc:
            raise ValidationError(str(exc)) from None
        if Outlet.objects.filter(domain=domain).exclude(pk=self.instance.pk).exists():
            raise ValidationError(f"An outlet with this domain already exists: {domain}")
        return domain


@admin.register(Outlet)
class OutletAdmin(RetireMixin, admin.ModelAdmin):
    form = OutletAdminForm
    list_display = ["domain", "name", "article_list", "retired", "created"]
    list_filter = ["retired"]
    search_fields = ["domain", "name"]
    readonly_fields = ["retired", "created"]
    actions: list = [retire, restore]  # datasets/admin.py adds its export action

    def _still_needed(self, obj) -> str | None:
        count = obj.articles.count()
        return f"it has {count} article(s), which are never deleted" if count else None

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(article_count=Count("articles"))

    @admin.display(description="articles", ordering="article_count")
    def article_list(self, obj):
        return _link("article", obj.pk, f"{obj.article_count} articles", outlet__id__exact=obj.pk)


class SideInline(admin.TabularInline):
    model = Side
    extra = 1


@admin.register(Topic)
class TopicAdmin(admin.ModelAdmin):
    list_display = ["name"]
    search_fields = ["name"]
    inlines = [SideInline]


class SentenceInline(ReadOnlyInline):
    model = Sentence
    fields = ["position", "text", "start", "end", "reviewable", "marks"]
    show_change_link = True

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(mark_count=Count("annotations"))

    @admin.display(description="marks")
    def marks(self, obj):
        return _link("annotation", obj.pk, obj.mark_count, sentence__id__exact=obj.pk)


class AssignmentInline(admin.TabularInline):
    model = Assignment
    fields = ["reviewer", "created", "submitted_at"]
    readonly_fields = ["created"]
    extra = 0
    autocomplete_fields = ["reviewer"]


@admin.register(Article)
class ArticleAdmin(RetireMixin, admin.ModelAdmin):
    """Articles come from ingest (never added here). Once split, the text is read-only: its
    sentences index into it, so a changed text would misalign every sentence (a browser's form
    post even turns its line endings into CRLF). A correction is a new article: ingest the
    corrected text and retire this one."""

    list_display = ["title", "outlet_link", "published", "sentence_list", "mark_count", "retired", "created"]
    list_filter = ["retired", "outlet", "topic", "published"]
    search_fields = ["title", "url", "outlet__domain"]
    date_hierarchy = "published"
    list_select_related = ["outlet"]
    fields = ["title", "outlet", "topic", "url", "published", "retired", "content_hash", "created", "text"]
    readonly_fields = ["text", "content_hash", "retired", "created"]
    autocomplete_fields = ["outlet"]
    inlines = [AssignmentInline, SentenceInline]
    actions: list = [retire, restore]  # datasets/ and labelstudio/ add theirs (export, push, pull)

    def has_add_permission(self, request):
        return False  # ingest splits an article into sentences; the admin cannot

    def _still_needed(self, obj) -> str | None:
        if Article.objects.filter(pk=obj.pk).with_marks().exists():
            return "it has marks (or their history, or an adjudication), which are never deleted"
        return None

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .annotate(
                sentence_count=Count("sentences", distinct=True),
                annotation_count=Count("sentences__annotations", distinct=True),
            )
        )

    @admin.display(description="outlet", ordering="outlet__domain")
    def outlet_link(self, obj):
        return _link("outlet", obj.outlet_id, obj.outlet.domain)

    @admin.display(description="sentences", ordering="sentence_count")
    def sentence_list(self, obj):
        return _link("sentence", obj.pk, obj.sentence_count, article__id__exact=obj.pk)

    @admin.display(description="marks", ordering="annotation_count")
    def mark_count(self, obj):
        return _link("annotation", obj.pk, obj.annotation_count, sentence__article__id__exact=obj.pk)


@admin.register(Sentence)
class SentenceAdmin(admin.ModelAdmin):
    list_display = ["__str__", "article_link", "position", "reviewable", "mark_list"]
    list_filter = ["reviewable", "article__outlet"]
    search_fields = ["text", "article__title"]
    list_select_related = ["article"]
    readonly_fields = ["article", "position", "start", "end", "text"]

    def has_add_permission(self, request):
        return False  # sentences come from splitting an article, never one by one

    def has_delete_permission(self, request, obj=None):
        return False  # they go with their article, and never while marked

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(mark_count=Count("annotations"))

    @admin.display(description="article")
    def article_link(self, obj):
        return _link("article", obj.article_id, obj.article.title[:60])

    @admin.display(description="marks", ordering="mark_count")
    def mark_list(self, obj):
        return _link("annotation", obj.pk, obj.mark_count, sentence__id__exact=obj.pk)


class SourceAliasInline(admin.TabularInline):
    model = SourceAlias
    extra = 1


@admin.register(Source)
class SourceAdmin(admin.ModelAdmin):
    list_display = ["name", "kind", "side", "attribution_count", "created"]
    list_filter = ["kind", "side__topic", "side"]
    search_fields = ["name", "aliases__name"]
    list_select_related = ["side__topic"]
    inlines = [SourceAliasInline]

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .annotate(attributions=Count("annotations", filter=Q(annotations__label="attribution")))
        )

    @admin.display(description="attributions", ordering="attributions")
    def attribution_count(self, obj):
        return _link("annotation", obj.pk, obj.attributions, source__id__exact=obj.pk)


class RevisionInline(ReadOnlyInline):
    model = AnnotationRevision
    fields = [
        "changed_at",
        "action",
        "version",
        "label",
        "source",
        "source_start",
        "source_end",
        "cue_start",
        "cue_end",
        "note",
        "origin",
        "changed_by",
    ]


class ServiceWriteForm(forms.ModelForm):
    """An admin form whose clean() writes through a service (inside the admin's transaction, so a
    refusal comes back as a form error with nothing written); the admin's own validation of the
    instance and its save then have nothing left to do. It gets the request (`ServiceWriteAdmin`)."""

    def __init__(self, *args, request=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.request = request

    def _post_clean(self):
        pass  # clean() checked and wrote through the service

    def save(self, commit=True):
        return self.instance

    def save_m2m(self) -> None:
        pass  # written by the service, which has no many-to-many fields to set


class ServiceWriteAdmin(admin.ModelAdmin):
    """An admin whose form is a `ServiceWriteForm`: the form gets the request, the admin saves
    nothing itself."""

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change=change, **kwargs)

        class WithRequest(form):  # type: ignore[valid-type,misc]  # mypy can't follow a base chosen at run time
            def __init__(self, *args, **inner):
                super().__init__(*args, request=request, **inner)

        return WithRequest

    def save_model(self, request, obj, form, change):
        pass  # written by the form's clean() through a service


class AnnotationAdminForm(ServiceWriteForm):
    """A lead's correction of a mark, written through annotate.services.change_annotation like
    every other change: version bumped, revision written (origin "admin", changed by the lead),
    refused when the mark changed since the form was opened.

    The write happens in clean(), inside the admin's transaction, so that a refusal (a stale
    version, a span outside the sentence, a missing source) comes back as a form error and
    nothing is written; the admin's own save then has nothing left to do."""

    based_on_version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)

    class Meta:
        model = Annotation
        fields = ["label", "source", "source_start", "source_end", "cue_start", "cue_end", "note"]

    def __init__(self, *args, request=None, **kwargs):
        super().__init__(*args, request=request, **kwargs)
        if self.instance.pk and not self.is_bound:
            self.fields["based_on_version"].initial = self.instance.version

    def clean(self) -> dict[str, Any]:
        super().clean()
        cleaned = self.cleaned_data
        if self.errors:
            return cleaned
        span = {}
        for name in ("source", "cue"):
            start, end = cleaned.get(f"{name}_start"), cleaned.get(f"{name}_end")
            if (start is None) != (end is None):
                raise ValidationError(f"give both ends of the {name} span, or neither")
            span[name] = (start, end) if start is not None else None
        changes = {
            "label": cleaned["label"],
            "source": cleaned.get("source"),
            "source_span": span["source"],
            "cue_span": span["cue"],
            "note": cleaned.get("note") or "",
        }
        try:
            with transaction.atomic():
                self.instance = change_annotation(
                    annotation_id=self.instance.pk,
                    changes=changes,
                    expected_version=cleaned["based_on_version"],
                    changed_by=self.request.user,
                    origin=Origin.ADMIN,
                )
        except StaleVersion as exc:
            raise ValidationError(
                f"This mark changed since you opened it (now version {exc.current.version}): reload and redo."
            ) from None
        except (AssignmentLocked, ArticleRetired, NotAllowed) as exc:
            raise ValidationError(str(exc)) from None
        except ValidationError as exc:
            raise ValidationError(exc.messages) from None
        return cleaned


@admin.register(Annotation)
class AnnotationAdmin(ServiceWriteAdmin):
    list_display = ["sentence_link", "reviewer", "label", "source", "origin", "from_suggestion", "version", "updated"]
    list_filter = ["label", "origin", "from_suggestion", "reviewer", "sentence__article__outlet"]
    search_fields = ["sentence__text", "reviewer__username", "source__name", "note"]
    list_select_related = ["sentence", "reviewer", "source"]
    autocomplete_fields = ["source"]
    form = AnnotationAdminForm
    fields = [
        "sentence_link",
        "reviewer",
        "label",
        "source",
        "source_start",
        "source_end",
        "cue_start",
        "cue_end",
        "note",
        "based_on_version",
        "version",
        "origin",
        "from_suggestion",
        "created",
        "updated",
        "external_id",
        "external_updated",
    ]
    readonly_fields = [
        "sentence_link",
        "reviewer",
        "version",
        "origin",
        "from_suggestion",
        "created",
        "updated",
        "external_id",
        "external_updated",
    ]
    inlines = [RevisionInline]

    def has_add_permission(self, request):
        return False  # marks are made by reviewers (page, API, Label Studio, import)

    def has_delete_permission(self, request, obj=None):
        return False  # a reviewer deletes their own mark (history kept); leads adjudicate

    @admin.display(description="sentence")
    def sentence_link(self, obj):
        return _link("sentence", obj.sentence_id, str(obj.sentence)[:80])


@admin.register(AnnotationRevision)
class AnnotationRevisionAdmin(admin.ModelAdmin):
    """History is append-only: no add, change or delete, for leads and superusers alike."""

    list_display = ["sentence", "reviewer", "action", "version", "label", "source", "changed_by", "changed_at"]
    list_filter = ["action", "label", "origin"]
    search_fields = ["sentence__text", "reviewer__username"]
    list_select_related = ["sentence", "reviewer", "source", "changed_by"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class AssignmentEventInline(ReadOnlyInline):
    model = AssignmentEvent
    fields = ["action", "by", "at", "note"]
    verbose_name_plural = "history (submits and reopens)"

    def has_change_permission(self, request, obj=None):
        return False


@admin.action(description="Reopen selected submitted assignments (their reviewers may change their marks again)")
def reopen_assignments(modeladmin, request, queryset):
    reopened = 0
    for assignment in queryset.filter(submitted_at__isnull=False):
        reopen_assignment(assignment=assignment, by=request.user, note="reopened in the admin")
        reopened += 1
    modeladmin.message_user(request, f"Reopened {reopened} assignment(s).", messages.SUCCESS)


@admin.register(Assignment)
class AssignmentAdmin(admin.ModelAdmin):
    list_display = ["article", "reviewer", "assigned_by", "created", "submitted_at"]
    list_filter = ["reviewer", "submitted_at", "article__outlet"]
    search_fields = ["article__title", "reviewer__username"]
    list_select_related = ["article", "reviewer", "assigned_by"]
    autocomplete_fields = ["article", "reviewer"]
    readonly_fields = ["submitted_at"]
    inlines = [AssignmentEventInline]
    actions = [reopen_assignments]
    change_form_template = "admin/annotate/assignment/change_form.html"

    def get_readonly_fields(self, request, obj=None):
        # assigned_by records who assigned (as the assign page and command do): never typed in
        return (
            ["article", "reviewer", "assigned_by", "submitted_at"]
            if obj is not None
            else ["assigned_by", "submitted_at"]
        )

    def save_model(self, request, obj, form, change):
        if not change:
            obj.assigned_by = request.user
        super().save_model(request, obj, form, change)

    def has_delete_permission(self, request, obj=None):
        # A submitted (or once submitted) assignment and its history are kept: reopen it instead.
        return obj is None or not obj.events.exists()

    def get_urls(self):
        reopen = self.admin_site.admin_view(self.reopen_view)
        return [path("<int:pk>/reopen/", reopen, name="annotate_assignment_reopen"), *super().get_urls()]

    def reopen_view(self, request, pk):
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        assignment = get_object_or_404(Assignment, pk=pk)
        if not self.has_change_permission(request, assignment):
            raise PermissionDenied
        try:
            reopen_assignment(assignment=assignment, by=request.user, note=request.POST.get("note", "")[:500])
        except (ValidationError, NotAllowed) as exc:
            self.message_user(request, " ".join(getattr(exc, "messages", [str(exc)])), messages.ERROR)
        else:
            self.message_user(request, f"Reopened: {assignment.reviewer} may change their marks again.")
        return HttpResponseRedirect(reverse("admin:annotate_assignment_change", args=[pk]))


@admin.register(Reviewer)
class ReviewerAdmin(admin.ModelAdmin):
    list_display = ["user", "is_external", "origin"]
    list_filter = ["is_external", "origin"]
    search_fields = ["user__username", "user__email"]


User = get_user_model()


def user_history(user) -> dict[str, int]:
    """What a user did that is kept for good (non-zero counts only): reasons never to delete them."""
    counts = {
        "marks": Annotation.objects.filter(reviewer=user).count(),
        "mark revisions": AnnotationRevision.objects.filter(Q(reviewer=user) | Q(changed_by=user)).count(),
        "adjudications": Adjudication.objects.filter(lead=user).count(),
        "assignment events": AssignmentEvent.objects.filter(by=user).count(),
        "flags": Flag.objects.filter(Q(reviewer=user) | Q(resolved_by=user)).count(),
    }
    return {name: count for name, count in counts.items() if count}


@admin.action(description="Deactivate selected users (no sign-in, no API token; everything they did is kept)")
def deactivate(modeladmin, request, queryset):
    count = deactivate_users(queryset)
    modeladmin.message_user(request, f"Deactivated {count} user(s); their marks and history are kept.")


if admin.site.is_registered(User):
    admin.site.unregister(User)


@admin.register(User)
class KeepingUserAdmin(UserAdmin):
    """Users with marks are deactivated, never deleted."""

    list_display = [*UserAdmin.list_display, "is_active"]  # type: ignore[misc]  # stubs: a ClassVar, typed per instance
    actions = [deactivate]

    def get_actions(self, request):
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)  # deactivate instead; single deletes check first
        return actions

    def delete_view(self, request, object_id, extra_context=None):
        user = self.get_object(request, object_id)
        history = user_history(user) if user is not None else {}
        if user is not None and history:
            done = ", ".join(f"{count} {name}" for name, count in history.items())
            self.message_user(
                request,
                f"{user} is not deleted: they have {done}, which are kept for good. "
                "Deactivate them instead (uncheck Active, or the Deactivate action).",
                messages.ERROR,
            )
            return HttpResponseRedirect(reverse("admin:auth_user_change", args=[user.pk]))
        return super().delete_view(request, object_id, extra_context)


@admin.register(Flag)
class FlagAdmin(admin.ModelAdmin):
    """Reviewers' flags. Leads resolve them on /annotate/flags/ or with the action here; the
    reviewer's report itself is not edited."""

    list_display = ["__str__", "article_link", "reviewer", "reason", "note", "created", "resolved_at", "resolved_by"]
    list_filter = [("resolved_at", admin.EmptyFieldListFilter), "reason", "reviewer"]
    search_fields = ["article__title", "sentence__text", "note", "reviewer__username"]
    list_select_related = ["article", "reviewer", "resolved_by"]
    raw_id_fields = ["article", "sentence"]
    readonly_fields = ["article", "sentence", "reviewer", "reason", "note", "created", "resolved_at", "resolved_by"]
    fields = [*readonly_fields, "resolution"]
    actions = ["resolve"]

    def has_add_permission(self, request):
        return False

    @admin.display(description="article")
    def article_link(self, obj):
        return _link("article", obj.article_id, obj.article.title[:60])

    @admin.action(description="Resolve the selected open flags")
    def resolve(self, request, queryset):
        resolved = 0
        for flag in queryset.open():
            resolve_flag(flag=flag, lead=request.user, resolution="resolved in the admin")
            resolved += 1
        self.message_user(request, f"{resolved} flag(s) resolved.", messages.SUCCESS)
