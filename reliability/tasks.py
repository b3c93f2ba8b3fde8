"""Background recompute of scores (django-tasks) and its debounce.

Marks change one keystroke at a time; a full recompute per change would be wasteful. Each
change calls `request_recompute()` after its transaction commits; it enqueues one recompute to
run `SCORES_RECOMPUTE_DELAY` seconds later unless one is already waiting, so a burst of edits
costs one recompute. Worker: `python manage.py db_worker`.
"""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.core.cache import cache
from django.utils import timezone
from django_tasks import task

DEBOUNCE_KEY = "reliability:recompute-requested"


@task()
def recompute_scores_task(full: bool = False) -> int:
    """Bring the stored scores up to date (an unpublished run): refresh the newest unpublished
    run with the articles that changed, or recompute every outlet (`services.update_outlet_scores`);
    with `full` (a lead's **Recompute now**), a new run from scratch, which also applies what a
    refresh does not see (retirements, registry kinds, reviewable flags). Returns the run id."""
    from reliability.services import recompute_outlet_scores, update_outlet_scores

    return (recompute_outlet_scores() if full else update_outlet_scores()).pk


@task()
def prune_records_task() -> int:
    """Prune old unpublished runs' records (`services.prune_run_records`), queued by a full
    recompute once its run is committed; returns the number of runs pruned. Once the prune has
    committed, the emptied record partitions are dropped and the pruned tables vacuumed
    (`queries.tidy_records`: PostgreSQL, when not called inside a transaction, as the worker
    calls it)."""
    from reliability.queries import tidy_records
    from reliability.services import prune_run_records

    pruned = prune_run_records()
    tidy_records()
    return pruned


def _waiting_in_database() -> bool:
    from django_tasks.base import TaskResultStatus
    from django_tasks_db.models import DBTaskResult

    return DBTaskResult.objects.filter(
        task_path=recompute_scores_task.module_path, status=TaskResultStatus.READY
    ).exists()


def request_recompute() -> bool:
    """Enqueue a delayed recompute unless one is already waiting; returns True if it enqueued.

    Reads `SCORES_AUTO_RECOMPUTE` (default True) and `SCORES_RECOMPUTE_DELAY` (seconds, default
    60) at call time. A cache key that lives for the delay folds repeated requests without a
    query; past it, with the database backend, "waiting" also means a READY task row (shared by
    every process). At most one recompute per delay window.
    """
    if not getattr(settings, "SCORES_AUTO_RECOMPUTE", True):
        return False
    delay = int(getattr(settings, "SCORES_RECOMPUTE_DELAY", 60))
    # The cache answers first (no query): a mark save within the delay of a request this process
    # (or, with a shared cache, any process) made costs no SQL. The database is asked only then.
    if not cache.add(DEBOUNCE_KEY, True, timeout=delay):
        return False
    backend = recompute_scores_task.get_backend()
    uses_database = type(backend).__module__.startswith("django_tasks_db")
    if uses_database and _waiting_in_database():
        return False
    if backend.supports_defer and delay > 0:
        recompute_scores_task.using(run_after=timezone.now() + timedelta(seconds=delay)).enqueue()
    else:
        recompute_scores_task.enqueue()
    return True


def mark_scores_stale(sender, **kwargs) -> None:
    """Signal receiver (cache invalidation: the stored scores are now stale): schedule a
    recompute once the change is committed."""
    from django.db import transaction

    transaction.on_commit(request_recompute)
