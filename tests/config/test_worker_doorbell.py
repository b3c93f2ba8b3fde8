"""The worker's doorbell (config/worker.py): an enqueued task sends NOTIFY on PostgreSQL, delivered
when the enqueuing transaction commits and never when it rolls back; SQLite has no doorbell."""

import pytest
from django.db import connection, transaction

from config.worker import CHANNEL, Doorbell
from reliability.tasks import recompute_scores_task

pytestmark = pytest.mark.django_db(transaction=True)


def rung(doorbell: Doorbell) -> list[str]:
    return [notify.channel for notify in doorbell.listener.notifies(timeout=1, stop_after=1)]


def test_an_enqueued_task_rings_the_doorbell_at_commit_and_not_after_a_rollback(settings):
    if connection.vendor != "postgresql":
        pytest.skip("LISTEN/NOTIFY is PostgreSQL's")
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    doorbell = Doorbell("default")
    doorbell.wait(0.01)  # opens the listening connection
    try:
        with transaction.atomic():
            recompute_scores_task.enqueue()
            transaction.set_rollback(True)
        assert rung(doorbell) == []
        with transaction.atomic():
            recompute_scores_task.enqueue()
        assert rung(doorbell) == [CHANNEL]
    finally:
        doorbell.close()


def test_on_sqlite_the_doorbell_is_a_sleep_and_enqueuing_sends_nothing(settings):
    if connection.vendor != "sqlite":
        pytest.skip("SQLite only")
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    doorbell = Doorbell("default")
    recompute_scores_task.enqueue()
    doorbell.wait(0.01)
    assert doorbell.listener is None
