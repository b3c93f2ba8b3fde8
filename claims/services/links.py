"""Declared credits and detected rewrites: article -> the article or outlet it restates, and the
leads' confirmation or rejection of each link."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

from django.db import transaction
from django.db.models import Count
from django.utils import timezone

from annotate.models import Article, Outlet, Sentence

from .. import credits as credit_rules
from .. import grouping
from ..models import ArticleLink, IndexedSentence, SentencePair
from .groups import _require_lead


def detect_links(article_ids: Iterable[int]) -> int:
    """Write declared credits and detected rewrites for `article_ids` from their text and the
    stored pairs. A lead's confirmation or rejection is kept; a pending link that no longer holds
    is removed. Returns the number of links written or updated. A constant number of queries."""
    article_ids = sorted(set(article_ids))
    if not article_ids:
        return 0
    articles = {a.pk: a for a in Article.objects.filter(pk__in=article_ids).select_related("outlet")}
    outlets = {o.pk: o for o in Outlet.objects.all()}
    by_domain = {o.domain: o for o in outlets.values()}
    names = {key: o.domain for o in outlets.values() for key in (o.domain.lower(), o.name.lower()) if key}
    counts = dict(
        IndexedSentence.objects.filter(article_id__in=article_ids, matchable=True)
        .values_list("article_id")
        .annotate(n=Count("pk"))
    )
    matches = _article_matches(article_ids)
    detected = {c.article: c for c in grouping.detect_rewrites(_earlier_only(matches), counts)}
    original_outlets = dict(
        Article.objects.filter(pk__in={c.original for c in detected.values()}).values_list("pk", "outlet_id")
    )
    now = timezone.now()
    wanted: dict[tuple[int, str, str], ArticleLink] = {}
    for article_id, article in articles.items():
        best = _best_original_by_domain(matches.get(article_id, []), counts.get(article_id, 0), outlets)
        for credit in credit_rules.find_credits(article.text, own_domain=article.outlet.domain, outlets=names):
            original, share = best.get(credit.domain, (None, None))
            wanted[article_id, ArticleLink.Kind.DECLARED, credit.domain] = ArticleLink(
                article=article, kind=ArticleLink.Kind.DECLARED, original_domain=credit.domain,
                original_outlet=by_domain.get(credit.domain), original_article_id=original, similarity=share,
                evidence=credit.line[:500], updated=now,
            )  # fmt: skip
        if candidate := detected.get(article_id):
            outlet = outlets[original_outlets[candidate.original]]
            wanted[article_id, ArticleLink.Kind.DETECTED, outlet.domain] = ArticleLink(
                article=article, kind=ArticleLink.Kind.DETECTED, original_domain=outlet.domain,
                original_outlet=outlet, original_article_id=candidate.original, similarity=round(candidate.share, 4),
                evidence=f"{candidate.matched} of {candidate.sentences} sentences match article {candidate.original}",
                updated=now,
            )  # fmt: skip
    ArticleLink.objects.bulk_create(
        list(wanted.values()), update_conflicts=True, unique_fields=["article", "kind", "original_domain"],
        update_fields=["original_article", "original_outlet", "similarity", "evidence", "updated"],
    )  # fmt: skip
    stale = [
        pk
        for pk, article_id, kind, domain in ArticleLink.objects.filter(
            article_id__in=article_ids, status=ArticleLink.Status.PENDING
        ).values_list("pk", "article_id", "kind", "original_domain")
        if (article_id, kind, domain) not in wanted
    ]
    ArticleLink.objects.filter(pk__in=stale).delete()
    return len(wanted)


def _article_matches(article_ids: list[int]) -> dict[int, list[tuple[int, int, object, int]]]:
    """Per article: (its sentence id, other article id, other article's (published, id), other
    outlet id) for every stored pair touching it."""
    # By sentence ids (both pair columns are indexed), not through a join on the articles.
    sentence_ids = list(IndexedSentence.objects.filter(article_id__in=article_ids).values_list("pk", flat=True))
    pairs = list(SentencePair.objects.touching(sentence_ids).values_list("first_id", "second_id"))
    facts = {
        pk: (article, published, outlet)
        for pk, article, published, outlet in Sentence.objects.filter(
            pk__in={pk for pair in pairs for pk in pair}
        ).values_list("pk", "article_id", "article__published", "article__outlet_id")
    }
    result: dict[int, list] = defaultdict(list)
    wanted = set(article_ids)
    for s1, s2 in pairs:
        (a1, p1, o1), (a2, p2, o2) = facts[s1], facts[s2]
        if a1 in wanted:
            result[a1].append((s1, a2, (p2, a2), o2, (p1, a1)))
        if a2 in wanted:
            result[a2].append((s2, a1, (p1, a1), o1, (p2, a2)))
    return result


def _earlier(other: tuple, mine: tuple) -> bool:
    """Published earlier; same or unknown date: stored earlier (lower id)."""
    (other_date, other_id), (my_date, my_id) = other, mine
    if other_date is not None and my_date is not None and other_date != my_date:
        return other_date < my_date
    return other_id < my_id


def _earlier_only(matches: dict[int, list]) -> list[tuple[int, int, int]]:
    return [
        (article, sentence, other)
        for article, rows in matches.items()
        for sentence, other, other_key, _outlet, my_key in rows
        if _earlier(other_key, my_key)
    ]


def _best_original_by_domain(rows: list, sentences: int, outlets: dict[int, Outlet]) -> dict[str, tuple[int, float]]:
    """For a declared credit: per outlet domain, its earlier article sharing the most sentences with
    this one (at least two), with the share of this article's `sentences` that match it."""
    by_article: dict[int, set[int]] = defaultdict(set)
    outlet_of: dict[int, int] = {}
    for sentence, other, other_key, outlet, my_key in rows:
        if _earlier(other_key, my_key):
            by_article[other].add(sentence)
            outlet_of[other] = outlet
    best: dict[str, tuple[int, int]] = {}
    for other, matched in sorted(by_article.items()):
        domain = outlets[outlet_of[other]].domain
        if len(matched) >= 2 and (domain not in best or len(matched) > best[domain][1]):
            best[domain] = (other, len(matched))
    return {domain: (other, round(n / max(sentences, 1), 4)) for domain, (other, n) in best.items()}


@transaction.atomic
def review_link(*, link: ArticleLink, confirm: bool, lead) -> ArticleLink:
    """A lead confirms or rejects a declared or detected link; a recomputation keeps the decision."""
    _require_lead(lead)
    link.status = ArticleLink.Status.CONFIRMED if confirm else ArticleLink.Status.REJECTED
    link.decided_by, link.decided_at = lead, timezone.now()
    link.save(update_fields=["status", "decided_by", "decided_at", "updated"])
    return link
