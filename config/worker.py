"""The task worker (`manage.py db_worker`): django-tasks-db's worker, plus what keeps a queue honest
when workers die and databases go away.

- Heartbeat. A worker registers a TaskWorker row and a background thread refreshes its `heartbeat`
  every TASK_HEARTBEAT_SECONDS, whatever the task in hand is doing.
- Lease. A running task whose worker sent no heartbeat for TASK_LEASE_SECONDS (killed with -9, out
  of memory, machine gone) is reclaimed by any live worker (each checks at start and on every
  heartbeat): it is made ready to run again, or after TASK_MAX_ATTEMPTS attempts failed with the
  reason (WorkerLost). Receivers of django-tasks' `task_finished` hear of the failure, so an export
  job says "failed" and why (datasets/tasks.py).
- Outage. A database error in the worker's loop no longer ends the process: it logs one line,
  waits (1, 2, 4 … 30 s), reconnects and carries on; a task it had in hand is reclaimed by itself
  on recovery. Anything else unexpected is logged with its traceback and handled the same way.
- Debris. At start and after each recovery it removes what killed exports left in EXPORT_ROOT.
- Doorbell. On PostgreSQL an idle worker waits on `LISTEN sourcemark_tasks` instead of sleeping,
  and every enqueued task sends `NOTIFY sourcemark_tasks` (delivered when its transaction commits,
  i.e. when the task becomes visible), so a queued export starts at once instead of up to one poll
  interval (1 s) later. The interval stays the longest wait: a lost notification or a listening
  connection that failed costs at most that, as before. SQLite polls.

Supervision (restarting a worker whose process ended) is scripts/worker's job; `make run` and
`make serve` use it.
"""

from __future__ import annotations

import contextlib
import functools
import logging
import os
import random
import signal
import socket
import threading
import time
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import OperationalError, close_old_connections, connections, router, transaction
from django.utils import timezone
from django_tasks.base import TaskResultStatus
from django_tasks.signals import task_finished
from django_tasks_db.management.commands.db_worker import Worker as QueueWorker
from django_tasks_db.models import DBTaskResult
from django_tasks_db.utils import exclusive_transaction, is_locked_database_exception

from .models import TaskWorker

logger = logging.getLogger("config.worker")
MAX_BACKOFF = 30.0
HEALTHY_RUN = 60.0  # a loop that ran this long before failing starts its backoff from 1 s again


class WorkerLost(Exception):
    """Recorded (exception class and message) on a task whose worker stopped sending heartbeats."""


def one_line(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {' '.join(str(exc).split())}"[:300]


def beat(worker_id: str, *, started) -> None:
    """Record that `worker_id` is alive now (re-registering it if a peer had given it up)."""
    now = timezone.now()
    updated = TaskWorker.objects.filter(pk=worker_id).update(heartbeat=now)
    if not updated:
        TaskWorker.objects.update_or_create(
            worker_id=worker_id,
            defaults={"hostname": socket.gethostname()[:255], "pid": os.getpid(), "started": started, "heartbeat": now},
        )


def _reason(owner: str | None, worker: TaskWorker | None, attempt: int, *, own: bool, lease: float) -> str:
    who = f"worker {owner}" + (f" ({worker.hostname} pid {worker.pid})" if worker else "")
    if own:
        return f"{who} lost its database connection during attempt {attempt} of {settings.TASK_MAX_ATTEMPTS}"
    last = f"last heartbeat {worker.heartbeat.isoformat(timespec='seconds')}" if worker else "no heartbeat"
    return (
        f"{who} stopped sending heartbeats during attempt {attempt} of {settings.TASK_MAX_ATTEMPTS} "
        f"({last}; lease {lease:g} s)"
    )


def reclaim_lost_tasks(*, idle_worker_id: str | None = None) -> list[tuple[str, str]]:
    """Run again, or fail with the reason, every running task whose worker is gone: its heartbeat
    is older than the lease, or it is `idle_worker_id` (the caller, which runs nothing right now).
    Returns (task id, "retried"|"failed") pairs."""
    lease = float(settings.TASK_LEASE_SECONDS)
    now = timezone.now()
    cutoff = now - timedelta(seconds=lease)
    outcomes = []
    for task_id in DBTaskResult.objects.filter(status=TaskResultStatus.RUNNING).values_list("id", flat=True):
        with transaction.atomic():
            row = DBTaskResult.objects.select_for_update().filter(pk=task_id, status=TaskResultStatus.RUNNING).first()
            if row is None:
                continue
            owner = row.worker_ids[-1] if row.worker_ids else None
            # read now, not before listing the tasks: a worker registers before it claims a task, so
            # the owner of any task seen running is registered by the time we look
            worker = TaskWorker.objects.filter(pk=owner).first() if owner else None
            own = owner is not None and owner == idle_worker_id
            # lost: the caller's own (it runs nothing now), a worker whose heartbeat is older than the
            # lease, or one no longer registered (stopped, or already given up by a peer)
            lost = own or worker is None or worker.heartbeat < cutoff
            if not lost:
                continue
            attempt = len(row.worker_ids)
            reason = _reason(owner, worker, attempt, own=own, lease=lease)
            if attempt < settings.TASK_MAX_ATTEMPTS:
                row.status = TaskResultStatus.READY
                row.save(update_fields=["status"])
                outcomes.append((str(row.pk), "retried"))
                logger.warning("task %s (%s): %s; running it again", row.pk, row.task_name, reason)
            else:
                row.status = TaskResultStatus.FAILED
                row.finished_at = now
                row.return_value = None
                row.exception_class_path = f"{WorkerLost.__module__}.{WorkerLost.__qualname__}"
                limit = settings.TASK_MAX_ATTEMPTS
                row.traceback = f"WorkerLost: {reason}; not run again (TASK_MAX_ATTEMPTS={limit})\n"
                row.save(update_fields=["status", "finished_at", "return_value", "exception_class_path", "traceback"])
                outcomes.append((str(row.pk), "failed"))
                logger.error("task %s (%s): %s; failed", row.pk, row.task_name, reason)
                transaction.on_commit(functools.partial(_announce_failure, row, reason))
    TaskWorker.objects.filter(heartbeat__lt=cutoff).delete()
    return outcomes


def _announce_failure(row: DBTaskResult, reason: str) -> None:
    """Send task_finished for a task failed here, as the library does for one that raised (its own
    receiver logs it with the exception, so the WorkerLost is raised and caught around it)."""
    try:
        raise WorkerLost(reason)
    except WorkerLost:
        try:
            task_finished.send(sender=type(row.task.get_backend()), task_result=row.task_result)
        except Exception:  # a task whose code is gone: the row says failed, nobody else to tell
            logger.warning("task %s: could not announce its failure", row.pk)


class Heartbeat(threading.Thread):
    """Refreshes the worker's heartbeat and reclaims peers' lost tasks, on its own connection."""

    def __init__(self, worker_id: str, started):
        super().__init__(name="task-heartbeat", daemon=True)
        self.worker_id, self.started = worker_id, started
        self.stopping = threading.Event()
        self.retiring = False
        self.failing = False

    def run(self) -> None:
        try:
            while not self.stopping.wait(float(settings.TASK_HEARTBEAT_SECONDS)):
                self.tick()
            if self.retiring:  # unregister, so that a peer reclaims the task in hand at once
                with contextlib.suppress(Exception):
                    TaskWorker.objects.filter(pk=self.worker_id).delete()
        finally:
            connections.close_all()

    def tick(self) -> None:
        try:
            beat(self.worker_id, started=self.started)
            reclaim_lost_tasks()
            if self.failing:
                logger.info("heartbeat: database reachable again")
            self.failing = False
            close_old_connections()
        except Exception as exc:  # the database is away: say so once, keep trying
            if not self.failing:
                logger.warning("heartbeat: %s; retrying every %g s", one_line(exc), settings.TASK_HEARTBEAT_SECONDS)
            self.failing = True
            with contextlib.suppress(Exception):
                connections.close_all()

    def stop(self, *, retire: bool = False) -> None:
        self.retiring = retire
        self.stopping.set()
        if self.is_alive():
            self.join(timeout=5)


CHANNEL = "sourcemark_tasks"


def ring(sender=None, **kwargs) -> None:
    """`task_enqueued` receiver: on PostgreSQL, wake the idle workers. NOTIFY is transactional: sent
    inside the enqueuing transaction it is delivered at its commit, and never if it rolls back."""
    connection = connections[router.db_for_write(DBTaskResult)]
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(f"NOTIFY {CHANNEL}")


class Doorbell:
    """Waits up to `timeout` seconds, returning early when a task is announced (PostgreSQL's
    LISTEN on a connection of its own, opened on first use); a plain sleep on other databases or
    while the listening connection cannot be had."""

    def __init__(self, alias: str):
        self.alias = alias
        self.listener: Any = None  # a psycopg.Connection while listening

    def wait(self, timeout: float) -> None:
        connection = connections[self.alias]
        if connection.vendor != "postgresql":
            time.sleep(timeout)
            return
        import psycopg

        try:
            if self.listener is None or self.listener.closed:
                self.listener = connection.get_new_connection(connection.get_connection_params())
                self.listener.autocommit = True
                self.listener.execute(f"LISTEN {CHANNEL}")
            for _ in self.listener.notifies(timeout=timeout, stop_after=1):
                pass
        except psycopg.Error as exc:
            logger.warning("worker: cannot listen for new tasks (%s); polling", one_line(exc))
            self.close()
            time.sleep(timeout)

    def close(self) -> None:
        if self.listener is not None:
            with contextlib.suppress(Exception):
                self.listener.close()
            self.listener = None


class Worker(QueueWorker):
    """django-tasks-db's Worker with a heartbeat, reclaiming of lost tasks and outage survival."""

    first_signal: float | None = None
    heartbeat: Heartbeat | None = None

    def shutdown(self, signum, frame) -> None:
        """The first SIGTERM/SIGINT: finish the task in hand, then stop (the library's behaviour).
        The same signal again within 2 s is one stop sent twice (to the process group and by
        scripts/worker): ignored. A later one stops at once, without marking the task failed: its
        worker unregisters, so the next worker runs it again."""
        now = time.monotonic()
        if self.first_signal is not None and now - self.first_signal < 2:
            return
        if self.first_signal is None or not self.running_task:
            self.first_signal = now
            super().shutdown(signum, frame)
            return
        logger.warning("worker: %s again; stopping now, the task in hand will run again", signal.strsignal(signum))
        if self.heartbeat is not None:
            self.heartbeat.stop(retire=True)
        os._exit(1)

    def run(self) -> None:
        started = timezone.now()
        heartbeat = self.heartbeat = Heartbeat(self.worker_id, started)
        delay = 1.0
        try:
            while self.running:
                loop_started = time.monotonic()
                try:
                    self.recover(started)
                    if not heartbeat.is_alive():
                        heartbeat.start()
                    self.serve()
                    return
                except Exception as exc:
                    if time.monotonic() - loop_started > HEALTHY_RUN:
                        delay = 1.0
                    if isinstance(exc, self.database_errors()):
                        logger.warning("worker: database unavailable (%s); retrying in %g s", one_line(exc), delay)
                    else:
                        logger.exception("worker: unexpected error; retrying in %g s", delay)
                    with contextlib.suppress(Exception):
                        connections.close_all()
                    time.sleep(delay)
                    delay = min(delay * 2, MAX_BACKOFF)
        finally:
            self.doorbell.close()
            heartbeat.stop()
            with contextlib.suppress(Exception):
                TaskWorker.objects.filter(pk=self.worker_id).delete()
            with contextlib.suppress(Exception):
                connections.close_all()

    @functools.cached_property
    def doorbell(self) -> Doorbell:
        return Doorbell(router.db_for_write(DBTaskResult))

    def serve(self) -> None:
        """django-tasks-db 0.13.0's `Worker.run` loop (kept in step with the pinned version), with
        one change: an idle worker waits at the doorbell instead of sleeping the interval."""
        logger.info("Starting worker worker_id=%s queues=%s", self.worker_id, ",".join(self.queue_names))
        if self.startup_delay and self.interval:
            time.sleep(random.random())  # noqa: S311  (spreads workers started together)
        while self.running:
            close_old_connections()
            tasks = DBTaskResult.objects.ready().filter(backend_name=self.backend_name)
            if not self.process_all_queues:
                tasks = tasks.filter(queue_name__in=self.queue_names)
            if self.excluded_queue_names:
                tasks = tasks.exclude(queue_name__in=self.excluded_queue_names)
            with exclusive_transaction(tasks.db):
                try:
                    task_result = tasks.get_locked()
                    retrieved = True
                    if task_result is not None:
                        task_result.claim(self.worker_id)
                except OperationalError as exc:
                    retrieved = False
                    if not is_locked_database_exception(exc):
                        raise
                    task_result = None
            if task_result is not None:
                self.run_task(task_result)
            if self.batch and retrieved and task_result is None:
                logger.info("No more tasks to run for worker_id=%s - exiting gracefully.", self.worker_id)
                return
            if self.max_tasks is not None and self._run_tasks >= self.max_tasks:
                logger.info("Ran the maximum of %d tasks on worker=%s - exiting.", self._run_tasks, self.worker_id)
                return
            close_old_connections()
            if self.running and not task_result:
                self.doorbell.wait(self.interval)

    @staticmethod
    def database_errors() -> tuple[type[BaseException], ...]:
        from django.db import DatabaseError, InterfaceError

        return (DatabaseError, InterfaceError)

    def recover(self, started) -> None:
        """Register, give up this worker's own unfinished task (it runs nothing now) and other dead
        workers' tasks, and remove killed exports' temporary files."""
        from datasets.tasks import remove_export_debris

        beat(self.worker_id, started=started)
        reclaim_lost_tasks(idle_worker_id=self.worker_id)
        remove_export_debris()
