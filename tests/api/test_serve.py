"""scripts/serve starts gunicorn with DEBUG off; /health/ answers through it."""

import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.slow


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_health_answers_under_gunicorn(tmp_path):
    port = free_port()
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_ALLOW_ASYNC_UNSAFE"}  # set by browser tests
    env = {
        **env,
        "DEBUG": "false",
        "SECRET_KEY": "serve-test-" + "x" * 50,
        "ALLOWED_HOSTS": "127.0.0.1",
        "SECURE_SSL_REDIRECT": "false",
        "STATIC_ROOT": str(tmp_path / "static"),
        "PORT": str(port),
        "BIND": "127.0.0.1",
        "WEB_CONCURRENCY": "2",
        "PYTHON": sys.executable,
        "SKIP_BOOTSTRAP": "1",
        "SOURCEMARK_ENV_FILE": "/nonexistent/.env",
        "SOURCEMARK_VAR_DIR": str(tmp_path / "var"),
        "STATIC_MANIFEST": "true",
    }
    env.pop("DATABASE_URL", None)
    server = subprocess.Popen(
        [str(ROOT / "scripts" / "serve")], env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    try:
        body, deadline = None, time.monotonic() + 90
        while body is None and time.monotonic() < deadline and server.poll() is None:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/health/", timeout=2) as response:
                    body = json.load(response)
                    headers = response.headers
            except OSError:
                time.sleep(0.5)
        assert body == {"status": "ok", "database": "ok"}, server.stdout.read() if server.poll() is not None else ""
        assert headers["X-Content-Type-Options"] == "nosniff"
        assert "script-src 'self'" in headers["Content-Security-Policy"]
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/v1/docs/", timeout=5) as response:
            assert response.status == 200
    finally:
        server.terminate()
        output = server.communicate(timeout=30)[0]
    assert '"GET /health/ HTTP/1.1" 200' in output
    # config/gunicorn_conf.py ran in each of the two workers: views imported, objects frozen
    assert output.count("objects after loading the app") == 2, output
    assert "Using worker: config.gunicorn_conf.SyncWorker" in output  # (woken one at a time)
