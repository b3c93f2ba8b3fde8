"""Admin: inspect and fix claim groups, decisions, pairs and links (the pages are the leads' tool)."""

from django.contrib import admin

from .models import ArticleLink, ClaimDecision, ClaimGroup, ClaimMember, SentencePair


class MemberInline(admin.TabularInline):
    model = ClaimMember
    raw_id_fields = ["sentence"]
    extra = 0


@admin.register(ClaimGroup)
class ClaimGroupAdmin(admin.ModelAdmin):
    list_display = ["id", "status", "first_published", "outlet_count", "member_count", "updated"]
    list_filter = ["status"]
    readonly_fields = ["status", "first_published", "outlet_count", "member_count", "created", "updated"]
    inlines = [MemberInline]


@admin.register(ClaimDecision)
class ClaimDecisionAdmin(admin.ModelAdmin):
    list_display = ["id", "kind", "first", "second", "lead", "decided_at", "note"]
    list_filter = ["kind"]
    list_select_related = ["lead"]
    raw_id_fields = ["first", "second"]
    readonly_fields = ["decided_at"]


@admin.register(SentencePair)
class SentencePairAdmin(admin.ModelAdmin):
    list_display = ["id", "first", "second", "score", "reason", "created"]
    raw_id_fields = ["first", "second"]
    search_fields = ["reason"]


@admin.register(ArticleLink)
class ArticleLinkAdmin(admin.ModelAdmin):
    list_display = [
        "id",
        "article",
        "kind",
        "original_domain",
        "original_article",
        "similarity",
        "status",
        "decided_by",
    ]
    list_filter = ["kind", "status"]
    list_select_related = ["article", "original_article", "decided_by"]
    raw_id_fields = ["article", "original_article", "original_outlet"]
    search_fields = ["original_domain", "article__title"]
    readonly_fields = ["created", "updated", "decided_at"]
