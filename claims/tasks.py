"""Background work of the claims app (django-tasks): match a newly ingested article against the
index, refresh the groups of sentences whose gold labels changed."""

from __future__ import annotations

from django.conf import settings
from django.db import transaction
from django_tasks import task


@task()
def match_article_task(article_id: int) -> str:
    """Match one stored article across outlets (claims.services.match_articles); a deleted article
    is nothing to do."""
    from annotate.models import Article

    from .services import match_articles

    article = Article.objects.filter(pk=article_id).first()
    if article is None:
        return "article is gone"
    return match_articles([article]).summary()


def article_stored(sender, instance, created: bool, raw: bool = False, **kwargs) -> None:
    """post_save receiver for Article (the ingest commits the article and its sentences in one
    transaction): queue its match once that transaction commits. CLAIMS_AUTO_MATCH=false turns
    it off (then `manage.py claims match` does the work)."""
    if created and not raw and getattr(settings, "CLAIMS_AUTO_MATCH", True):
        transaction.on_commit(lambda: match_article_task.enqueue(instance.pk))


def marks_changed(sender, instance, raw: bool = False, **kwargs) -> None:
    """post_save/post_delete receiver for marks and adjudications (cache invalidation: a claim
    group's cached status depends on its members' gold labels)."""
    if raw:
        return
    sentence_id = instance.sentence_id

    def refresh() -> None:
        from .services import refresh_groups_of_sentences

        refresh_groups_of_sentences([sentence_id])

    transaction.on_commit(refresh)
