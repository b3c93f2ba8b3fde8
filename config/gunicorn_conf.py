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

The workers are gunicorn's sync workers, each woken alone for a new connection (`SyncWorker`
below): gunicorn's own wait in `select()` on the shared listening socket, so every connection
woke every idle worker (five by default on two cores), and all but one went back to sleep.
"""

import gc
import os
import select

from gunicorn.workers.sync import SyncWorker as GunicornSyncWorker  # type: ignore[import-untyped]


def warm_up_and_freeze() -> int:
    """Import every view (the URLconf), then freeze the objects alive; returns how many."""
    from django.urls import get_resolver

    get_resolver().url_patterns  # noqa: B018  (imports config.urls and each app's views and API)
    gc.collect()
    gc.freeze()
    return gc.get_freeze_count()


def post_worker_init(worker) -> None:
    worker.log.info("froze %d objects after loading the app", warm_up_and_freeze())


class SyncWorker(GunicornSyncWorker):
    """gunicorn's sync worker, waiting for connections in an epoll set with EPOLLEXCLUSIVE
    (Linux 4.5+): the kernel wakes one idle worker per new connection instead of all of them. With
    a connection at a time from one client, the four woken for nothing took CPU from the one
    answering on a two-core machine. Everything else is gunicorn's: the worker accepts, answers
    and closes as before, signals and the arbiter's pipe still wake it (the pipe is in the set
    without the flag). Without epoll (not Linux) it is gunicorn's worker unchanged.

    The name ends in SyncWorker so that `--threads` above 1 still selects gunicorn's gthread
    worker (scripts/serve's GUNICORN_THREADS)."""

    def run(self) -> None:
        self.wait_alone()
        super().run()

    def wait_alone(self) -> None:
        """Make the epoll set `wait` uses (a worker's own, after the fork): the listeners with
        EPOLLEXCLUSIVE, the arbiter's pipe without."""
        if not hasattr(select, "EPOLLEXCLUSIVE"):
            return
        self._poller = select.epoll()
        self._by_fd: dict[int, object] = {}
        for listener in self.sockets:
            self._poller.register(listener.fileno(), select.EPOLLIN | select.EPOLLEXCLUSIVE)
            self._by_fd[listener.fileno()] = listener
        self._poller.register(self.PIPE[0], select.EPOLLIN)
        self._by_fd[self.PIPE[0]] = self.PIPE[0]

    def wait(self, timeout):
        """gunicorn's `wait`: the listeners and the pipe that are ready (the pipe drained)."""
        poller = getattr(self, "_poller", None)
        if poller is None:
            return super().wait(timeout)
        self.notify()
        try:
            events = poller.poll(timeout)
        except OSError:  # (gunicorn's select() path knows the errors a closing worker meets)
            return super().wait(timeout)
        ready = [self._by_fd[fd] for fd, _ in events]
        if self.PIPE[0] in ready:
            os.read(self.PIPE[0], 1)
        return ready


worker_class = "config.gunicorn_conf.SyncWorker"
