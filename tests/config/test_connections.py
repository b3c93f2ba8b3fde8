"""Web requests reuse their process's database connection (CONN_MAX_AGE) on SQLite as on
PostgreSQL. On SQLite a connection per request checkpointed the WAL when it closed and restarted it
on the next commit: a mark write took 40-50 ms under gunicorn instead of 11-20 ms (issue 17, label
save)."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

# Django's handler sends request_started and request_finished around every request; both close a
# connection that is past its CONN_MAX_AGE. A file database: an in-memory one is never closed.
PROBE = """
import django
django.setup()
from django.core.signals import request_finished, request_started
from django.db import connection

def one_request():
    request_started.send(sender=None)
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    opened = connection.connection
    request_finished.send(sender=None)
    return opened

first = one_request()
print(connection.vendor, first is not None and one_request() is first)
"""


def test_a_request_leaves_the_connection_to_the_next(tmp_path):
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DEBUG": "false",
        "SECRET_KEY": "connections-test-" + "x" * 50,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'connections.sqlite3'}",
        "SOURCEMARK_VAR_DIR": str(tmp_path),
    }
    env.pop("CONN_MAX_AGE", None)
    result = subprocess.run(
        [sys.executable, "-c", PROBE], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["sqlite", "True"]
