"""config/gunicorn_conf.py: each gunicorn worker imports the views up front and freezes what is
alive, so that the garbage collector stops walking the app's long-lived objects during requests;
a new connection wakes one idle worker, not all of them."""

import gc
import os
import select
import socket
import sys
import threading
from pathlib import Path

import pytest
from gunicorn.workers import sync

from config import gunicorn_conf


def test_warm_up_imports_every_view_and_freezes_the_objects_alive():
    try:
        frozen = gunicorn_conf.warm_up_and_freeze()
        # Another thread of the test process may free a frozen object meanwhile (CI saw 2 of
        # 619,491 go): the count can only go down, and by a few.
        assert frozen - 1000 < gc.get_freeze_count() <= frozen
        assert frozen > 50_000  # Django, DRF and the apps' modules: far more than a request makes
        assert {"annotate.api", "annotate.views", "reliability.views", "config.urls"} <= set(sys.modules)
        # what a request creates afterwards is still collected; a collection leaves the frozen alone
        gc.collect()
        assert frozen - 1000 < gc.get_freeze_count() <= frozen
    finally:
        gc.unfreeze()
    assert gc.get_freeze_count() == 0


def idle_worker(worker_class, listener):
    """A worker as after gunicorn's fork, before its loop: its listener and its arbiter pipe."""
    worker = object.__new__(worker_class)
    worker.sockets = [listener]
    worker.PIPE = list(os.pipe())
    worker.wait_fds = [listener, worker.PIPE[0]]
    worker.notify = lambda: None  # (the arbiter's heartbeat file)
    if hasattr(worker, "wait_alone"):
        worker.wait_alone()
    return worker


def waiting_in_the_kernel(thread_id: int) -> bool:
    try:
        where = Path(f"/proc/self/task/{thread_id}/wchan").read_text()
    except OSError:
        return False
    return "poll" in where or "select" in where


@pytest.mark.skipif(not hasattr(select, "EPOLLEXCLUSIVE"), reason="EPOLLEXCLUSIVE is Linux's")
@pytest.mark.parametrize(
    ("worker_class", "woken"), [(gunicorn_conf.SyncWorker, 1), (sync.SyncWorker, 3)], ids=["ours", "gunicorn's"]
)
def test_a_new_connection_wakes_one_idle_worker(worker_class, woken):
    """Three idle workers, one connection: ours wakes one of them (gunicorn's own wakes all three,
    which then find nothing to accept)."""
    with socket.create_server(("127.0.0.1", 0)) as listener:
        listener.setblocking(False)
        workers = [idle_worker(worker_class, listener) for _ in range(3)]
        ready, thread_ids = [], []

        def wait(worker):
            thread_ids.append(threading.get_native_id())
            ready.append(listener in (worker.wait(2.0) or []))

        threads = [threading.Thread(target=wait, args=(worker,)) for worker in workers]
        for thread in threads:
            thread.start()
        for _ in range(200):  # until all three sleep in the kernel
            if len(thread_ids) == 3 and all(waiting_in_the_kernel(tid) for tid in thread_ids):
                break
            threading.Event().wait(0.01)
        with socket.create_connection(listener.getsockname()):
            for thread in threads:
                thread.join()
        for worker in workers:
            os.close(worker.PIPE[0])
            os.close(worker.PIPE[1])
    assert sum(ready) == woken


def test_the_arbiters_pipe_still_wakes_the_worker():
    with socket.create_server(("127.0.0.1", 0)) as listener:
        listener.setblocking(False)
        worker = idle_worker(gunicorn_conf.SyncWorker, listener)
        os.write(worker.PIPE[1], b".")  # a signal, or the arbiter
        assert worker.wait(2.0) == [worker.PIPE[0]]
        assert worker.wait(0) == []  # (the byte was read)
        os.close(worker.PIPE[0])
        os.close(worker.PIPE[1])


def test_threads_still_select_gunicorns_threaded_worker():
    from gunicorn.config import Config

    config = Config()
    config.set("worker_class", gunicorn_conf.worker_class)
    assert config.worker_class is gunicorn_conf.SyncWorker
    config.set("threads", 4)
    assert config.worker_class_str == "gthread"
