"""Helpers for the hostile-input and fault tests: real processes (the task worker, gunicorn, the
scripts) against a scratch database of the run's own engine (a copied SQLite file, or a PostgreSQL
database made from a template), with demo users and 20,000 generated marked sentences."""

from __future__ import annotations

import itertools
import json
import os
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from tests.datasets.conftest import annotated  # noqa: F401 (the marked sample, for in-process export tests)

ROOT = Path(__file__).resolve().parents[2]
PYTHON = sys.executable
DEMO_PASSWORD = "pw-demo-hostile-1"
SCRATCH_SENTENCES = 20_000


def base_env(**extra) -> dict[str, str]:
    """The environment of a production-like child process: DEBUG off, nothing from a developer's
    .env or from pytest's own defaults (immediate tasks, per-process cache) leaking in."""
    drop = {"DJANGO_ALLOW_ASYNC_UNSAFE", "DATABASE_URL", "TASKS_BACKEND", "CACHE_URL", "DEBUG", "EXPORT_ROOT"}
    env = {k: v for k, v in os.environ.items() if k not in drop}
    env.update(
        SOURCEMARK_ENV_FILE="/nonexistent/.env",
        SECRET_KEY="hostile-tests-" + "k" * 50,
        DEBUG="false",
        SECURE_SSL_REDIRECT="false",
        STATIC_MANIFEST="false",
        ALLOWED_HOSTS="127.0.0.1,localhost",
        PYTHONUNBUFFERED="1",
        PYTHON=PYTHON,
        SKIP_BOOTSTRAP="1",
    )
    env.update({k: str(v) for k, v in extra.items()})
    return env


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def manage(*args, env, check=True, timeout=300) -> subprocess.CompletedProcess:
    result = subprocess.run(
        [PYTHON, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout
    )
    if check and result.returncode != 0:
        raise AssertionError(f"manage.py {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}")
    return result


def django_python(code: str, *, env, check=True, timeout=120) -> subprocess.CompletedProcess:
    """Run `code` in a fresh Python with Django set up on `env`'s settings; its stdout is returned."""
    script = "import django, os\nos.environ.setdefault('DJANGO_SETTINGS_MODULE', 'config.settings')\ndjango.setup()\n"
    result = subprocess.run(
        [PYTHON, "-c", script + code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout
    )
    if check and result.returncode != 0:
        raise AssertionError(f"python failed:\n{result.stdout}\n{result.stderr}")
    return result


def wait_for(predicate, *, timeout: float, interval: float = 0.05, what: str = "condition"):
    """Poll `predicate` until it returns something truthy (returned) or fail after `timeout` s."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout} s waiting for {what}")


def http(method: str, url: str, *, body=None, headers=None, timeout=30):
    """(status, headers, body bytes) of one request; never follows redirects."""

    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args, **kwargs):
            return None

    data = json.dumps(body).encode() if body is not None and not isinstance(body, bytes) else body
    request = urllib.request.Request(url, data=data, method=method, headers=headers or {})
    if body is not None and not isinstance(body, bytes):
        request.add_header("Content-Type", "application/json")
    opener = urllib.request.build_opener(NoRedirect)
    try:
        with opener.open(request, timeout=timeout) as response:
            return response.status, response.headers, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.headers, error.read()


def process_tree(pid: int) -> set[int]:
    """`pid` and every live process below it (from /proc)."""
    children: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        children.setdefault(int(fields[1]), []).append(int(stat.parent.name))
    found, todo = set(), [pid]
    while todo:
        current = todo.pop()
        found.add(current)
        todo.extend(children.get(current, []))
    return {p for p in found if is_running(p)}


def is_running(pid: int) -> bool:
    """Alive and not a zombie."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state not in ("Z", "X")


def stop_process(proc: subprocess.Popen, *, sig=signal.SIGTERM, timeout=30) -> str:
    """Stop a Popen started by a test (and whatever is left of its process tree); returns its output."""
    tree = process_tree(proc.pid)
    if proc.poll() is None:
        proc.send_signal(sig)
    try:
        output = proc.communicate(timeout=timeout)[0]
    except subprocess.TimeoutExpired:
        proc.kill()
        output = proc.communicate(timeout=10)[0]
    for pid in tree:
        if is_running(pid):
            os.kill(pid, signal.SIGKILL)
    return output or ""


@dataclass
class ScratchDB:
    """A database of the run's engine for child processes; `url` for DATABASE_URL, `query` to read it."""

    url: str
    engine: str
    path: Path | None = None  # SQLite file
    dsn: dict | None = None  # PostgreSQL

    def connect(self):
        if self.engine == "sqlite":
            return sqlite3.connect(self.path, timeout=30, isolation_level=None)
        import psycopg

        return psycopg.connect(**self.dsn, autocommit=True)

    def query(self, sql: str, params=()) -> list[tuple]:
        """Rows of one statement (qmark parameters on both engines); [] for a statement without rows."""
        if self.engine == "postgresql":
            sql = sql.replace("?", "%s")
        connection = self.connect()
        try:
            cursor = connection.execute(sql, params)
            return list(cursor.fetchall()) if cursor.description else []
        finally:
            connection.close()


def _postgres_dsn(url: str, name: str) -> dict:
    parts = urlsplit(url)
    dsn = {"dbname": name}
    query = dict(item.split("=", 1) for item in parts.query.split("&") if "=" in item)
    if parts.hostname or query.get("host"):
        dsn["host"] = parts.hostname or query["host"]
    if parts.port:
        dsn["port"] = parts.port
    if parts.username:
        dsn["user"] = parts.username
    if parts.password:
        dsn["password"] = parts.password
    return dsn


def _postgres_url(url: str, name: str) -> str:
    parts = urlsplit(url)
    return parts._replace(path=f"/{name}").geturl()


def _engine() -> str:
    url = os.environ.get("DATABASE_URL", "")
    return "postgresql" if url.startswith(("postgres://", "postgresql://")) else "sqlite"


def _fill(url: str) -> None:
    """Migrate, add 20,000 marked sentences (bench/export.py), then the demo (users with DEMO_PASSWORD)."""
    env = base_env(DATABASE_URL=url)
    manage("migrate", "--no-input", "-v0", env=env)
    code = f"import sys; sys.path.insert(0, {str(ROOT)!r}); from bench.export import generate; "
    code += f"generate({url!r}, {SCRATCH_SENTENCES})"
    result = subprocess.run([PYTHON, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stdout + result.stderr
    manage("demo", "--password", DEMO_PASSWORD, env=env)


@pytest.fixture(scope="session")
def scratch_template(tmp_path_factory):
    """One filled database per run, copied for each test that asks for `scratch_db`."""
    if _engine() == "sqlite":
        path = tmp_path_factory.mktemp("scratch") / "template.sqlite3"
        _fill(f"sqlite:///{path}")
        connection = sqlite3.connect(path)
        connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        connection.execute("PRAGMA journal_mode=DELETE")
        connection.close()
        yield ("sqlite", path)
        return
    import psycopg

    url = os.environ["DATABASE_URL"]
    admin = _postgres_dsn(url, "postgres")
    name = f"scratch_tpl_{os.getpid()}"
    with psycopg.connect(**admin, autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}"')
        connection.execute(f'CREATE DATABASE "{name}"')
    try:
        _fill(_postgres_url(url, name))
        yield ("postgresql", name)
    finally:
        with psycopg.connect(**admin, autocommit=True) as connection:
            connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


_copies = itertools.count()


@pytest.fixture
def scratch_db(scratch_template, tmp_path):
    engine, template = scratch_template
    if engine == "sqlite":
        path = tmp_path / "scratch.sqlite3"
        shutil.copyfile(template, path)
        yield ScratchDB(url=f"sqlite:///{path}", engine="sqlite", path=path)
        return
    import psycopg

    url = os.environ["DATABASE_URL"]
    admin = _postgres_dsn(url, "postgres")
    name = f"scratch_{os.getpid()}_{next(_copies)}"
    with psycopg.connect(**admin, autocommit=True) as connection:
        connection.execute(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
    try:
        yield ScratchDB(url=_postgres_url(url, name), engine="postgresql", dsn=_postgres_dsn(url, name))
    finally:
        with psycopg.connect(**admin, autocommit=True) as connection:
            connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
