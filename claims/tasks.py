"""Background work of the claims app (django-tasks): match newly ingested articles against the
index; refresh the groups of sentences whose gold labels changed."""

from __future__ import annotations

from django.conf import settings
from django.db import transaction
from django_tasks import task


@task()
def match_articles_task(article_ids: list[int]) -> str:
    """Match newly stored articles across outlets (claims.services.match_articles); deleted ones
    are skipped."""
    from annotate.models import Article

    from .services import match_articles

    articles = list(Article.objects.filter(pk__in=article_ids).order_by("pk"))
    if not articles:
        return "nothing to match"
    return match_articles(articles).summary()


def articles_ingested(sender, article_ids: list[int], **kwargs) -> None:
    """Receiver of annotate's `articles_ingested` (sent after the ingest committed): queue their
    match. CLAIMS_AUTO_MATCH=false turns it off (then `manage.py claims match` does the work)."""
    if getattr(settings, "CLAIMS_AUTO_MATCH", True) and article_ids:
        match_articles_task.enqueue(list(article_ids))


def sentences_changed(sender, sentence_ids, **kwargs) -> None:
    """Receiver of annotate's `marks_changed` (cache invalidation: a claim group's cached status
    depends on its members' gold labels): refresh their groups once the write commits."""
    ids = list(sentence_ids)

    def refresh() -> None:
        from .services import refresh_groups_of_sentences

        refresh_groups_of_sentences(ids)

    transaction.on_commit(refresh)


def adjudication_changed(sender, instance, raw: bool = False, **kwargs) -> None:
    """post_save/post_delete receiver for adjudications (a lead's decision is a gold label too)."""
    if not raw:
        sentences_changed(sender, [instance.sentence_id])


def assignment_changed(sender, instance, raw: bool = False, **kwargs) -> None:
    """post_save/post_delete receiver for assignments: submitting one makes its marks count."""
    if raw:
        return
    article_id = instance.article_id

    def refresh() -> None:
        from .services import refresh_groups_of_article

        refresh_groups_of_article(article_id)

    transaction.on_commit(refresh)
