"""Issue 12 §11, §19, §21: /health/ over plain HTTP and with the database down, one log line per
ordinary 4xx, and sign-in throttle cache keys that never carry what a client typed."""

import json
import warnings

import pytest
from django.core.cache import cache, caches
from django.core.cache.backends.base import CacheKeyWarning
from django.urls import reverse
from rest_framework.test import APIClient

from .conftest import DEMO_PASSWORD, base_env, django_python, free_port


@pytest.mark.django_db
def test_health_answers_plain_http_while_everything_else_redirects(client, settings):
    settings.SECURE_SSL_REDIRECT = True
    assert client.get("/health/").status_code == 200
    assert client.get("/").status_code == 301
    assert client.get("/health/", secure=True).status_code == 200


def test_health_with_the_database_down_says_only_unavailable():
    """A real outage (nothing listens on the port) in a production-like process with HTTPS
    redirects on: 503 over plain HTTP, and nothing of the host, port, user or database name."""
    port = free_port()
    url = f"postgres://secret_user:secret_pw@127.0.0.1:{port}/secret_db_name"
    env = base_env(DATABASE_URL=url, SECURE_SSL_REDIRECT="true", ALLOWED_HOSTS="testserver", CONN_MAX_AGE="0")
    code = (
        "import json\nfrom django.test import Client\n"
        "r = Client().get('/health/')\n"
        "print(json.dumps({'status': r.status_code, 'location': r.get('Location'), 'body': r.content.decode()}))"
    )
    result = django_python(code, env=env)
    answer = json.loads(result.stdout.strip().splitlines()[-1])
    assert answer["status"] == 503, answer
    assert answer["location"] is None
    assert json.loads(answer["body"]) == {"status": "error", "database": "unavailable"}
    for secret in ("secret_db_name", "secret_user", "secret_pw", str(port), "127.0.0.1"):
        assert secret not in answer["body"]
    assert "health: database unavailable" in result.stderr  # the reason goes to the server's log


@pytest.mark.slow
def test_an_ordinary_403_or_404_is_one_log_line_without_a_traceback(scratch_db):
    """The development console (DEBUG on, as `make run` has it): each line once, no traceback."""
    env = base_env(DATABASE_URL=scratch_db.url, DEBUG="true", ALLOWED_HOSTS="testserver")
    code = (
        "from django.test import Client\nc = Client()\n"
        f"assert c.login(username='reviewer1', password={DEMO_PASSWORD!r})\n"
        "for _ in range(3):\n"
        "    assert c.get('/exports/').status_code == 403\n"
        "    assert c.get('/no-such-page/').status_code == 404\n"
        "    assert c.get('/api/v1/exports/').status_code == 403\n"
    )
    result = django_python(code, env=env)
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert "Traceback" not in result.stderr, result.stderr
    assert sum("Forbidden (Permission denied): /exports/" in line for line in lines) == 3, lines
    assert sum("Not Found: /no-such-page/" in line for line in lines) == 3, lines
    assert sum("Forbidden: /api/v1/exports/" in line for line in lines) == 3, lines
    assert len(lines) == 9, lines


@pytest.fixture
def one_window(monkeypatch):
    from config import throttling

    monkeypatch.setattr(throttling, "_now", lambda: 1_800_000_030.0)


@pytest.mark.django_db
def test_throttle_cache_keys_never_carry_the_username(one_window, reviewer, settings):
    settings.LOGIN_THROTTLE_RATE = "2/min"
    cache.clear()
    hostile = "reviewer1\x01\x7f" + "x" * 300  # control characters, and longer than any cache key may be
    with warnings.catch_warnings():
        warnings.simplefilter("error", CacheKeyWarning)
        for _ in range(2):
            response = APIClient().post(
                "/api/v1/auth/token/", {"username": hostile[:150], "password": "no"}, format="json"
            )
            assert response.status_code == 400
        assert (
            APIClient()
            .post("/api/v1/auth/token/", {"username": hostile[:150], "password": "no"}, format="json")
            .status_code
            == 429
        )
        response = APIClient().post(reverse("login"), {"username": hostile, "password": "no"})
        assert response.status_code == 429  # the same name (cut to 150), the same count
    keys = list(caches["shared"]._cache.keys())  # LocMemCache, as the tests configure it
    assert keys
    assert not any("reviewer1" in key or "\x01" in key or "127.0.0.1" in key for key in keys)
    assert all(len(key) < 250 for key in keys)


def test_both_databases_wait_a_bounded_time_for_a_lock(scratch_db):
    """SQLite in WAL mode with a busy timeout, PostgreSQL with lock_timeout: both DB_LOCK_TIMEOUT."""
    env = base_env(DATABASE_URL=scratch_db.url, DB_LOCK_TIMEOUT="1.5")
    code = (
        "from django.db import connection\nc = connection.cursor()\n"
        "if connection.vendor == 'sqlite':\n"
        "    print(c.execute('PRAGMA journal_mode').fetchone()[0], c.execute('PRAGMA busy_timeout').fetchone()[0])\n"
        "else:\n"
        "    c.execute('SHOW lock_timeout'); print('postgresql', c.fetchone()[0])\n"
    )
    answer = django_python(code, env=env).stdout.split()
    assert answer in (["wal", "1500"], ["postgresql", "1500ms"])


@pytest.mark.django_db
def test_the_admin_lists_task_workers_read_only(client, lead):
    from django.utils import timezone

    from config.models import TaskWorker

    TaskWorker.objects.create(worker_id="w1", hostname="box", pid=42, started=timezone.now(), heartbeat=timezone.now())
    lead.is_superuser = True
    lead.save()
    client.force_login(lead)
    page = client.get(reverse("admin:config_taskworker_changelist"))
    assert page.status_code == 200
    assert b"box" in page.content
    assert client.get(reverse("admin:config_taskworker_add")).status_code == 403


@pytest.mark.django_db
def test_a_spray_of_made_up_names_does_not_cull_the_count_that_throttles_it(one_window, settings, rf):
    """The default cache (the database table) keeps the per-address count however many names are
    tried: with Django's default of 300 entries, culling would drop it."""
    from config import throttling
    from config.settings import cache_from_url

    settings.CACHES = {**settings.CACHES, "shared": cache_from_url("")}
    settings.LOGIN_THROTTLE_RATE = "200/day"  # 1,000 per address
    request = rf.post("/accounts/login/", REMOTE_ADDR="10.1.2.3")
    try:
        for number in range(1000):
            throttling.LoginThrottle(request, f"made-up-{number}").failed()
        assert throttling.LoginThrottle(request, "someone-else").retry_after() is not None
    finally:
        caches["shared"].clear()
