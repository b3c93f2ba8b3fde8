"""gunicorn settings file that scripts/serve loads (`--config python:config.gunicorn_conf`); the
command line there sets everything else.

Tail latency (issue 17): a worker loads Django at start, but the URLconf, and with it every view,
serializer and most of DRF, only on its first request. The garbage collector then walks those
hundreds of thousands of long-lived objects again and again: in the middle of a request, a
collection of the older generations paused it for 5-15 ms (a full one for up to 100-290 ms) on this
busy 2-core machine. `post_worker_init` imports everything the first request would, collects once,
and freezes what is alive (`gc.freeze()`): the collector skips those objects from then on, and
only the request's own garbage is collected. What is frozen is never freed, which is the intent:
it lives as long as the worker anyway.
"""

import gc


def warm_up_and_freeze() -> int:
    """Import every view (the URLconf), then freeze the objects alive; returns how many."""
    from django.urls import get_resolver

    get_resolver().url_patterns  # noqa: B018  (imports config.urls and each app's views and API)
    gc.collect()
    gc.freeze()
    return gc.get_freeze_count()


def post_worker_init(worker) -> None:
    worker.log.info("froze %d objects after loading the app", warm_up_and_freeze())
