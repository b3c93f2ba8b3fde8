"""Issue 12 §8, §10, §12, §14, §16 with real servers: gunicorn and the project's scripts
(scripts/serve, scripts/run, scripts/worker) as separate processes on a scratch database."""

import json
import os
import re
import signal
import subprocess
import urllib.error
import urllib.parse
import urllib.request
from http.cookiejar import CookieJar
from pathlib import Path

import pytest

from .conftest import (
    DEMO_PASSWORD,
    PYTHON,
    ROOT,
    base_env,
    free_port,
    http,
    is_running,
    process_tree,
    stop_process,
    wait_for,
)

pytestmark = pytest.mark.slow


def healthy(port: int) -> bool:
    try:
        return http("GET", f"http://127.0.0.1:{port}/health/", timeout=2)[0] == 200
    except OSError:
        return False


def answering(port: int) -> bool:
    try:
        http("GET", f"http://127.0.0.1:{port}/health/", timeout=2)
    except OSError:
        return False
    return True


def start(command, env, log_path):
    log = open(log_path, "ab")  # noqa: SIM115 (the process writes to it until stopped)
    return subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)


def wait_healthy(proc, port, log_path, timeout=180):
    def check():
        if proc.poll() is not None:
            raise AssertionError(f"exited with {proc.returncode}:\n{log_path.read_text()}")
        return healthy(port)

    wait_for(check, timeout=timeout, interval=0.3, what=f"port {port} to answer")


def gunicorn(env, port, log_path):
    command = [PYTHON, "-m", "gunicorn", "config.wsgi:application", "--bind", f"127.0.0.1:{port}", "--workers", "1"]
    return start(command, env, log_path)


def serve_env(scratch_db, tmp_path, port, **extra):
    settings = {
        "DATABASE_URL": scratch_db.url,
        "PORT": port,
        "BIND": "127.0.0.1",
        "STATIC_ROOT": tmp_path / "static",
        "SERVE_WORKER": "0",
        "WEB_CONCURRENCY": "1",
    }
    return base_env(**{**settings, **extra})


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


class Browser:
    """A cookie-keeping client for the HTML sign-in form (CSRF token and session cookie)."""

    def __init__(self, base):
        self.base = base
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(CookieJar()), NoRedirect)

    def sign_in(self, username, password):
        with self.opener.open(f"{self.base}/accounts/login/", timeout=30) as response:
            token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', response.read().decode())[1]
        data = urllib.parse.urlencode({"csrfmiddlewaretoken": token, "username": username, "password": password})
        request = urllib.request.Request(
            f"{self.base}/accounts/login/", data=data.encode(), headers={"Referer": f"{self.base}/accounts/login/"}
        )
        try:
            with self.opener.open(request, timeout=60) as response:
                return response.status, response.headers, response.read()
        except urllib.error.HTTPError as error:
            return error.code, error.headers, error.read()


def _hold_write_lock(scratch_db):
    """Another connection holds what a sign-in writes: SQLite's write lock; on PostgreSQL the
    user and token tables (reads still pass)."""
    connection = scratch_db.connect()
    if scratch_db.engine == "sqlite":
        connection.execute("BEGIN IMMEDIATE")
    else:
        connection.autocommit = False
        connection.execute("LOCK TABLE auth_user, knox_authtoken IN EXCLUSIVE MODE")
    return connection


def test_a_write_behind_a_held_lock_is_a_503_with_retry_after(scratch_db, tmp_path):
    port = free_port()
    # (plain HTTP here: cookies without the Secure flag, so that the sign-in form's CSRF cookie comes back)
    env = base_env(
        DATABASE_URL=scratch_db.url, DB_LOCK_TIMEOUT="1", CSRF_COOKIE_SECURE="false", SESSION_COOKIE_SECURE="false"
    )
    server = gunicorn(env, port, tmp_path / "gunicorn.log")
    try:
        wait_healthy(server, port, tmp_path / "gunicorn.log")
        base = f"http://127.0.0.1:{port}"
        holder = _hold_write_lock(scratch_db)
        try:
            status, headers, body = http(
                "POST", f"{base}/api/v1/auth/token/", body={"username": "reviewer2", "password": DEMO_PASSWORD}
            )
            assert status == 503, body
            assert int(headers["Retry-After"]) > 0
            assert "database is busy" in json.loads(body)["detail"]
            status, headers, body = Browser(base).sign_in("reviewer1", DEMO_PASSWORD)
            assert status == 503, body[:500]
            assert int(headers["Retry-After"]) > 0
        finally:
            holder.rollback()
            holder.close()
        # the lock gone, the same requests go through
        status, _, body = http(
            "POST", f"{base}/api/v1/auth/token/", body={"username": "reviewer2", "password": DEMO_PASSWORD}
        )
        assert status == 200, body
        assert Browser(base).sign_in("reviewer1", DEMO_PASSWORD)[0] == 302
    finally:
        output = stop_process(server)
    log = (tmp_path / "gunicorn.log").read_text() + (output or "")
    assert "Traceback" not in log


def test_the_sign_in_throttle_is_shared_by_separate_server_processes(scratch_db, tmp_path):
    """Two scripts/serve instances (the default production setup, each its own process and
    cache): failures against one count on the other."""
    ports = [free_port(), free_port()]
    servers = []
    try:
        for number, port in enumerate(ports):
            env = serve_env(scratch_db, tmp_path, port, LOGIN_THROTTLE_RATE="3/day")
            log_path = tmp_path / f"serve{number}.log"
            servers.append(start([str(ROOT / "scripts" / "serve")], env, log_path))
            wait_healthy(servers[-1], port, log_path)
        answers = []
        for port in (ports[0], ports[1], ports[0], ports[1], ports[0]):
            status, _, _ = http(
                "POST", f"http://127.0.0.1:{port}/api/v1/auth/token/", body={"username": "reviewer1", "password": "no"}
            )
            answers.append(status)
        assert answers == [400, 400, 400, 429, 429]
    finally:
        for server in servers:
            stop_process(server)


def _descendant(pid, needle):
    for child in process_tree(pid) - {pid}:
        try:
            command = Path(f"/proc/{child}/cmdline").read_bytes().replace(b"\0", b" ").decode()
        except OSError:
            continue
        if needle in command and "scripts/worker" not in command:
            return child
    return None


def test_make_run_supervises_its_worker_stops_everything_on_sigterm_and_leaves_serve_working(tmp_path):
    """`make run` in a checkout (its .env, var/ and port here in tmp_path): the worker is restarted
    when killed; SIGTERM to scripts/run alone stops runserver (and its autoreloader child) and the
    worker; then `make serve` in the same checkout starts, or says exactly what it needs."""
    port = free_port()
    env_file = tmp_path / ".env"
    env = base_env(SOURCEMARK_ENV_FILE=env_file, SOURCEMARK_VAR_DIR=tmp_path / "var", PORT=port)
    for name in ("DEBUG", "SECRET_KEY", "ALLOWED_HOSTS", "SECURE_SSL_REDIRECT", "STATIC_MANIFEST"):
        env.pop(name)
    log_path = tmp_path / "run.log"
    run = start([str(ROOT / "scripts" / "run")], env, log_path)
    try:
        wait_healthy(run, port, log_path, timeout=300)
        assert "DEBUG=true" in env_file.read_text()
        worker = wait_for(lambda: _descendant(run.pid, "db_worker"), timeout=60, what="the worker")
        os.kill(worker, signal.SIGKILL)
        restarted = wait_for(
            lambda: (pid := _descendant(run.pid, "db_worker")) not in (None, worker) and pid,
            timeout=60,
            what="the worker to be started again",
        )
        assert is_running(restarted)
        tree = process_tree(run.pid)
        assert len(tree) >= 5  # bash, runserver and its autoreloader child, scripts/worker, db_worker
        os.kill(run.pid, signal.SIGTERM)  # the script alone, not its process group
        assert run.wait(timeout=60) != 0
        wait_for(lambda: not any(is_running(pid) for pid in tree), timeout=60, what="every child to stop")
        assert not answering(port)
    finally:
        stop_process(run)
    assert "starting it again" in (tmp_path / "var" / "worker.log").read_text()

    # `make serve` in the same checkout: the .env's DEBUG=true is the development setting, ignored
    serve_port = free_port()
    env = base_env(
        SOURCEMARK_ENV_FILE=env_file,
        SOURCEMARK_VAR_DIR=tmp_path / "var",
        PORT=serve_port,
        BIND="127.0.0.1",
        STATIC_ROOT=tmp_path / "static",
        SERVE_WORKER="0",
        WEB_CONCURRENCY="1",
    )
    env.pop("DEBUG")
    bare = {k: v for k, v in env.items() if k not in ("SECRET_KEY", "ALLOWED_HOSTS")}
    refused = subprocess.run([str(ROOT / "scripts" / "serve")], cwd=ROOT, env=bare, capture_output=True, text=True)
    assert refused.returncode == 2
    assert "SECRET_KEY ALLOWED_HOSTS not set" in refused.stderr
    assert str(env_file) in refused.stderr
    assert ".env.example" in refused.stderr
    serve_log = tmp_path / "serve.log"
    serve = start([str(ROOT / "scripts" / "serve")], env, serve_log)
    try:
        wait_healthy(serve, serve_port, serve_log)
    finally:
        stop_process(serve)
    assert "ignoring DEBUG=true" in serve_log.read_text()


def test_serve_runs_a_supervised_worker_and_stops_it_with_gunicorn(scratch_db, tmp_path):
    port = free_port()
    env = serve_env(scratch_db, tmp_path, port, SERVE_WORKER="1", TASKS_BACKEND="django_tasks_db.DatabaseBackend")
    log_path = tmp_path / "serve.log"
    serve = start([str(ROOT / "scripts" / "serve")], env, log_path)
    try:
        wait_healthy(serve, port, log_path)
        worker = wait_for(lambda: _descendant(serve.pid, "db_worker"), timeout=60, what="the worker")
        wait_for(
            lambda: scratch_db.query("SELECT COUNT(*) FROM config_taskworker")[0][0] == 1,
            timeout=60,
            what="the worker to register",
        )
        tree = process_tree(serve.pid)
        serve.send_signal(signal.SIGTERM)
        assert serve.wait(timeout=90) == 0
        wait_for(lambda: not any(is_running(pid) for pid in tree), timeout=60, what="every child to stop")
        assert not is_running(worker)
    finally:
        stop_process(serve)
    assert scratch_db.query("SELECT COUNT(*) FROM config_taskworker")[0][0] == 0
