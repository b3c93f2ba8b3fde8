"""Background work of the claims app (django-tasks): match newly ingested articles against the
index; refresh the claim groups' cached figures after gold labels change (debounced: a burst of
mark writes costs one refresh, and a mark write itself no query)."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.utils import timezone
from django_tasks import task


@task()
def match_articles_task(article_ids: list[int]) -> str:
    """Match newly stored articles across outlets (claims.services.match_articles); deleted ones
    are skipped. CLAIMS_MATCH_BATCH articles to a transaction: a large ingest's match never holds
    the database's write lock for long (SQLite has one for the whole file). Each batch is matched
    against everything indexed before it, as if the articles had been ingested batch by batch."""
    from annotate.models import Article

    from .services import MatchResult, match_articles

    ids = sorted(set(article_ids))
    size = max(1, int(getattr(settings, "CLAIMS_MATCH_BATCH", 20)))
    total, matched = MatchResult(), 0
    for start in range(0, len(ids), size):
        articles = list(Article.objects.filter(pk__in=ids[start : start + size]).order_by("pk"))
        if articles:
            total.add(match_articles(articles))
            matched += len(articles)
    return total.summary() if matched else "nothing to match"


def articles_ingested(sender, article_ids: list[int], **kwargs) -> None:
    """Receiver of annotate's `articles_ingested` (sent after the ingest committed): queue their
    match. CLAIMS_AUTO_MATCH=false turns it off (then `manage.py claims match` does the work)."""
    if getattr(settings, "CLAIMS_AUTO_MATCH", True) and article_ids:
        match_articles_task.enqueue(list(article_ids))


REFRESH_KEY = "claims:refresh-requested"


@task()
def refresh_claims_task() -> int:
    """Refresh every claim group's cached status, dates and counts from the current gold labels;
    returns the number of groups."""
    from .services import refresh_groups

    return refresh_groups(None)


def request_refresh() -> bool:
    """Enqueue a delayed refresh of the claim groups unless one was requested within the delay;
    returns True if it enqueued. Like the scores' recompute (reliability/tasks.py): the cache
    answers first, so a mark write costs no query here; with the database backend a READY task
    row also counts as waiting. Reads CLAIMS_AUTO_REFRESH (default True) and CLAIMS_REFRESH_DELAY
    (seconds, default 60) at call time."""
    if not getattr(settings, "CLAIMS_AUTO_REFRESH", True):
        return False
    delay = int(getattr(settings, "CLAIMS_REFRESH_DELAY", 60))
    if not cache.add(REFRESH_KEY, True, timeout=delay):
        return False
    backend = refresh_claims_task.get_backend()
    if type(backend).__module__.startswith("django_tasks_db"):
        from django_tasks.base import TaskResultStatus
        from django_tasks_db.models import DBTaskResult

        waiting = DBTaskResult.objects.filter(
            task_path=refresh_claims_task.module_path, status=TaskResultStatus.READY
        ).exists()
        if waiting:
            return False
    if backend.supports_defer and delay > 0:
        refresh_claims_task.using(run_after=timezone.now() + timedelta(seconds=delay)).enqueue()
    else:
        refresh_claims_task.enqueue()
    return True


def groups_stale(sender, **kwargs) -> None:
    """Receiver of annotate's `marks_changed` and of adjudication and assignment saves and deletes
    (cache invalidation: a group's cached status follows its members' gold labels, and submitting
    an assignment makes its marks count): schedule a refresh once the change is committed."""
    if not kwargs.get("raw", False):
        transaction.on_commit(request_refresh)
