"""Reads of the claims app for pages, the API and other apps: a group's outlets in publication
order with their sources, an article's links, an outlet's rewrite figures, the review queue."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date

from django.db.models import Count, Exists, OuterRef, Prefetch, Q, QuerySet
from django.urls import reverse

from annotate.codebook import Label
from annotate.models import Article, Outlet, Sentence, Source

from .gold import COUNTED_LABELS, with_gold
from .models import ArticleLink, ClaimGroup, ClaimMember, SentencePair


@dataclass
class OutletCarrying:
    """One outlet's part in a claim group: its member sentences (with gold label and source)."""

    outlet: Outlet
    first_published: date | None
    first: bool = False
    sentences: list[Sentence] = field(default_factory=list)
    sources: list[str] = field(default_factory=list)


def group_outlets(group: ClaimGroup) -> list[OutletCarrying]:
    """The outlets that carried `group`, in order of publication (who was first), each with its
    member sentences and the names of the gold sources it attributed the claim to. Members whose
    gold label is analysis or other are left out. Three queries."""
    sentences = list(
        with_gold(
            Sentence.objects.filter(
                claim_membership__group=group, article__retired=False, article__outlet__retired=False
            ).with_number()
        )
        .select_related("article__outlet")
        .order_by("article__published", "article_id", "position")
    )
    sentences = [s for s in sentences if s.gold_label is None or s.gold_label in COUNTED_LABELS]
    names = dict(
        Source.objects.filter(pk__in={s.gold_source for s in sentences if s.gold_source}).values_list("pk", "name")
    )
    by_outlet: dict[int, OutletCarrying] = {}
    for sentence in sentences:
        article = sentence.article
        carrying = by_outlet.get(article.outlet_id)
        if carrying is None:
            carrying = by_outlet[article.outlet_id] = OutletCarrying(article.outlet, article.published)
        elif article.published and (carrying.first_published is None or article.published < carrying.first_published):
            carrying.first_published = article.published
        sentence.source_name = names.get(sentence.gold_source) if sentence.gold_label == Label.ATTRIBUTION else None
        carrying.sentences.append(sentence)
        if sentence.source_name and sentence.source_name not in carrying.sources:
            carrying.sources.append(sentence.source_name)
    ordered = sorted(by_outlet.values(), key=lambda c: (c.first_published is None, c.first_published or date.max))
    if ordered and ordered[0].first_published is not None:
        for carrying in ordered:
            carrying.first = carrying.first_published == ordered[0].first_published
    return ordered


def groups(
    *, status: str = "", outlet: str = "", published_after: date | None = None, published_before: date | None = None
) -> QuerySet:
    """Claim groups carried by two or more outlets, newest first, filtered by status, outlet
    domain and first publication date range."""
    queryset = ClaimGroup.objects.filter(outlet_count__gte=2)
    if status:
        queryset = queryset.filter(status=status)
    if outlet:
        queryset = queryset.filter(Exists(ClaimMember.objects.filter(
            group=OuterRef("pk"), sentence__article__outlet__domain=outlet)))  # fmt: skip
    if published_after:
        queryset = queryset.filter(first_published__gte=published_after)
    if published_before:
        queryset = queryset.filter(first_published__lte=published_before)
    return queryset


def with_members(queryset: QuerySet) -> QuerySet:
    """Groups with their members' sentences, articles and outlets prefetched (two extra queries)."""
    members = ClaimMember.objects.select_related("sentence__article__outlet").order_by(
        "sentence__article__published", "sentence_id"
    )
    return queryset.prefetch_related(Prefetch("members", queryset=members))


def links_of_articles(article_ids) -> dict[int, list[ArticleLink]]:
    """Article id -> its links (declared and detected), originals prefetched; one query."""
    links = defaultdict(list)
    for link in (
        ArticleLink.objects.filter(article_id__in=list(article_ids))
        .select_related("original_article__outlet", "original_outlet", "decided_by")
        .order_by("kind", "original_domain")
    ):
        links[link.article_id].append(link)
    return dict(links)


def article_links_for(article: Article) -> list[dict]:
    """The annotate app's article page and API read this (settings.ARTICLE_LINKS_PROVIDER): plain
    dicts of the article's links to what it restates. Most articles have none: a bare existence
    check answers those (the joined query of links_of_articles cost 2 ms of CPU, about a fifth of
    a POST /api/v1/articles/, issue 17); an article with links costs that one query more."""
    if not ArticleLink.objects.filter(article_id=article.pk).exists():
        return []
    return [link_as_dict(link) for link in links_of_articles([article.pk]).get(article.pk, [])]


def link_as_dict(link: ArticleLink) -> dict:
    original = link.original_article
    return {
        "id": link.pk,
        "kind": link.kind,
        "kind_display": link.get_kind_display(),
        "status": link.status,
        "original_domain": link.original_domain,
        "original_article": (
            {"id": original.pk, "title": original.title, "url": original.url,
             "published": original.published.isoformat() if original.published else None}
            if original else None
        ),
        "similarity": link.similarity,
        "evidence": link.evidence,
        "decided_by": link.decided_by.username if link.decided_by else None,
        "decided_at": link.decided_at.isoformat() if link.decided_at else None,
        "page": reverse("claims:article", args=[link.article_id]),
    }  # fmt: skip


@dataclass(frozen=True)
class OutletRewrites:
    """An outlet's articles, how many restate another outlet (a standing link), and its links."""

    articles: int
    rewrites: int
    links: list[ArticleLink]
    rewritten_by_others: int

    @property
    def original(self) -> int:
        """Articles that restate no other outlet (original reporting as far as Sourcemark can tell)."""
        return self.articles - self.rewrites

    @property
    def original_share(self) -> float | None:
        return (self.articles - self.rewrites) / self.articles if self.articles else None


def outlet_rewrites(outlet: Outlet) -> OutletRewrites:
    """Rewrite figures of one outlet: its articles, those with a standing (not rejected) link, the
    links themselves and how many other outlets' articles restate its articles. Four queries."""
    articles = Article.objects.filter(outlet=outlet)
    standing = ArticleLink.objects.standing().filter(article=OuterRef("pk"))
    counts = articles.aggregate(total=Count("pk"), rewrites=Count("pk", filter=Q(Exists(standing))))
    links = list(
        ArticleLink.objects.filter(article__outlet=outlet)
        .select_related("article", "original_article__outlet", "decided_by")
        .order_by("-article__published", "article_id", "kind")
    )
    by_others = ArticleLink.objects.standing().filter(original_article__outlet=outlet).exclude(article__outlet=outlet)
    return OutletRewrites(counts["total"], counts["rewrites"], links, by_others.values("article").distinct().count())


def review_pairs() -> QuerySet:
    """Pairs waiting for a lead (between the review and the automatic threshold, undecided),
    highest score first, with both sentences' articles and outlets."""
    return (
        SentencePair.objects.for_review()
        .select_related("first__article__outlet", "second__article__outlet")
        .order_by("-score", "first_id", "second_id")
    )


def pending_links() -> QuerySet:
    return (
        ArticleLink.objects.filter(status=ArticleLink.Status.PENDING)
        .select_related("article__outlet", "original_article__outlet")
        .order_by("-created", "pk")
    )


def groups_of_sentences(sentence_ids) -> dict[int, int]:
    """Sentence id -> claim group id, for the sentences that belong to one (exports, pages)."""
    return dict(ClaimMember.objects.filter(sentence__in=list(sentence_ids)).values_list("sentence_id", "group_id"))
