"""Template context every page gets: the leads' navigation counts."""

from functools import cache as once

from django.core.cache import cache

from annotate.models import Flag, is_lead

# Counting the adjudication queue reads every marked sentence's gold label (~0.7 s at 60,000
# sentences on PostgreSQL): too slow for a badge on every lead page. The count is cached for up
# to this long in the default cache (each process's own memory): a saved mark or adjudication
# clears the copy of the process that saved it (config/apps.py), other processes' copies expire
# within the minute; the lead home and the queue itself always count afresh.
DISPUTED_KEY = "lead-nav:disputed"
DISPUTED_TTL = 60


def disputed_count(*, fresh: bool = False) -> int:
    """The number of sentences waiting in the adjudication queue (cached, see above)."""
    count = None if fresh else cache.get(DISPUTED_KEY)
    if count is None:
        # Imported here: config/apps.py imports this module at start-up, and the queries pull in
        # numpy and scipy (tests/config/test_startup.py keeps start-up free of them).
        from reliability import queries

        count = queries.disputed_sentences().count()
        cache.set(DISPUTED_KEY, count, DISPUTED_TTL)
    return count


def forget_disputed_count(**kwargs) -> None:
    """Signal receiver (cache invalidation): marks or an adjudication changed."""
    cache.delete(DISPUTED_KEY)


def lead_navigation(request):
    """For leads, `lead_nav.disputed` (sentences waiting in the adjudication queue) and
    `lead_nav.flags` (open flags): counted only when a template shows them, once per page."""
    if not hasattr(request, "user") or not is_lead(request.user):
        return {}
    return {"lead_nav": {"disputed": once(disputed_count), "flags": once(lambda: Flag.objects.open().count())}}
