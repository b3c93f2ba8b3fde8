"""annotate/compiled.py's `read_checking_connection`: a read that is also the request's connection
health check (the rest of the module is tested through its users, tests/api/test_write_fast_paths.py
and tests/config/test_tokens.py)."""

import pytest
from django.db import DatabaseError, connections, transaction

from annotate.compiled import read_checking_connection


def fresh_request():
    database = connections["default"]
    database.ensure_connection()
    database.health_check_enabled = True
    database.close_if_unusable_or_obsolete()  # (Django's request_started)
    return database


def select(sql: str) -> list:
    with connections["default"].cursor() as cursor:
        cursor.execute(sql)
        return cursor.fetchall()


@pytest.mark.django_db(transaction=True)
def test_a_failed_read_on_a_working_connection_is_raised_and_not_run_again():
    database = fresh_request()
    runs = []

    def read():
        runs.append(1)
        return select("SELECT * FROM no_such_table")

    with pytest.raises(DatabaseError):  # (OperationalError on SQLite)
        read_checking_connection(read)
    assert runs == [1]
    assert select("SELECT 1") == [(1,)]  # the same connection, still in use
    assert database.health_check_done


@pytest.mark.django_db(transaction=True)
def test_a_read_in_a_transaction_leaves_the_check_to_django(monkeypatch):
    database = fresh_request()
    checks = []
    usable = database.is_usable
    monkeypatch.setattr(database, "is_usable", lambda: checks.append(1) or usable())
    with transaction.atomic():
        assert read_checking_connection(lambda: select("SELECT 1")) == [(1,)]
    assert checks == [1]  # Django's `SELECT 1`, before the transaction's first statement
