"""Admin panel for leads: inspect and fix data, with links between related objects."""

from django.contrib import admin
from django.db.models import Count, Q
from django.urls import reverse
from django.utils.html import format_html

from .models import (
    Adjudication,
    Annotation,
    AnnotationRevision,
    Article,
    Assignment,
    Outlet,
    Reviewer,
    Sentence,
    Side,
    Source,
    SourceAlias,
    Topic,
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


@admin.register(Outlet)
class OutletAdmin(admin.ModelAdmin):
    list_display = ["domain", "name", "article_list", "created"]
    search_fields = ["domain", "name"]
    actions: list = []  # datasets/admin.py adds its export action

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
class ArticleAdmin(admin.ModelAdmin):
    list_display = ["title", "outlet_link", "published", "sentence_list", "mark_count", "created"]
    list_filter = ["outlet", "topic", "published"]
    search_fields = ["title", "url", "outlet__domain"]
    date_hierarchy = "published"
    list_select_related = ["outlet"]
    readonly_fields = ["content_hash", "created"]
    autocomplete_fields = ["outlet"]
    inlines = [AssignmentInline, SentenceInline]
    actions: list = []  # datasets/ and labelstudio/ add theirs (export, push, pull)

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


@admin.register(Annotation)
class AnnotationAdmin(admin.ModelAdmin):
    list_display = ["sentence_link", "reviewer", "label", "source", "origin", "from_suggestion", "version", "updated"]
    list_filter = ["label", "origin", "from_suggestion", "reviewer", "sentence__article__outlet"]
    search_fields = ["sentence__text", "reviewer__username", "source__name", "note"]
    list_select_related = ["sentence", "reviewer", "source"]
    raw_id_fields = ["sentence"]
    autocomplete_fields = ["source"]
    readonly_fields = ["version", "created", "updated", "external_id", "external_updated"]
    inlines = [RevisionInline]

    @admin.display(description="sentence")
    def sentence_link(self, obj):
        return _link("sentence", obj.sentence_id, str(obj.sentence)[:80])


@admin.register(AnnotationRevision)
class AnnotationRevisionAdmin(admin.ModelAdmin):
    list_display = ["sentence", "reviewer", "action", "version", "label", "source", "changed_by", "changed_at"]
    list_filter = ["action", "label", "origin"]
    search_fields = ["sentence__text", "reviewer__username"]
    list_select_related = ["sentence", "reviewer", "source", "changed_by"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(Assignment)
class AssignmentAdmin(admin.ModelAdmin):
    list_display = ["article", "reviewer", "assigned_by", "created", "submitted_at"]
    list_filter = ["reviewer", "submitted_at", "article__outlet"]
    search_fields = ["article__title", "reviewer__username"]
    list_select_related = ["article", "reviewer", "assigned_by"]
    autocomplete_fields = ["article", "reviewer"]


@admin.register(Adjudication)
class AdjudicationAdmin(admin.ModelAdmin):
    list_display = ["sentence", "label", "source", "lead", "decided_at"]
    list_filter = ["label", "lead"]
    search_fields = ["sentence__text"]
    list_select_related = ["sentence", "source", "lead"]
    raw_id_fields = ["sentence"]


@admin.register(Reviewer)
class ReviewerAdmin(admin.ModelAdmin):
    list_display = ["user", "is_external", "origin"]
    list_filter = ["is_external", "origin"]
    search_fields = ["user__username", "user__email"]
