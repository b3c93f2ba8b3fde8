"""Issue 11 finding 7: API tokens are stored hashed and shown once; a lead revokes tokens but can
neither read nor mint one for anyone; a password change (or deactivation) revokes a user's tokens;
the old plaintext keys are gone after the migration."""

from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.urls import reverse
from django.utils import timezone
from knox.models import AuthToken
from rest_framework.test import APIClient

TOKEN_URL = "/api/v1/auth/token/"


@pytest.fixture(autouse=True)
def _fresh_cache():
    from django.core.cache import cache

    cache.clear()


def sign_in(username="reviewer1", password="pw-for-tests-1") -> str:
    response = APIClient().post(TOKEN_URL, {"username": username, "password": password}, format="json")
    assert response.status_code == 200, response.content
    return response.json()["token"]


def works(key: str) -> bool:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return client.get("/api/v1/annotations/").status_code == 200


@pytest.mark.django_db
def test_a_key_is_shown_once_and_only_its_digest_is_stored(reviewer):
    response = APIClient().post(TOKEN_URL, {"username": "reviewer1", "password": "pw-for-tests-1"}, format="json")
    body = response.json()
    key = body["token"]
    assert len(key) == 64
    assert body["expiry"] is not None
    assert works(key)
    stored = AuthToken.objects.get(user=reviewer)
    assert key not in (stored.digest, stored.token_key)
    assert stored.token_key == key[:15]  # knox's lookup prefix: 49 of 64 hex digits stay secret
    with connection.cursor() as cursor:  # the key is in no column of the table
        cursor.execute("SELECT * FROM knox_authtoken")
        assert not any(key in str(value) for row in cursor.fetchall() for value in row)
    second = sign_in()
    assert second != key  # a new key each time; the first one is never shown again
    assert works(key)
    assert works(second)
    assert not works(key[:-1] + ("0" if key[-1] != "0" else "1"))


@pytest.mark.django_db
def test_changing_the_password_revokes_every_token(reviewer):
    keys = [sign_in(), sign_in()]
    reviewer.set_password("a-new-password-42")
    reviewer.save()
    assert not any(works(key) for key in keys)
    assert not AuthToken.objects.filter(user=reviewer).exists()
    assert works(sign_in(password="a-new-password-42"))


@pytest.mark.django_db
def test_a_password_change_in_the_admin_revokes_too(reviewer, make_user, client):
    key = sign_in()
    root = make_user("root")
    root.is_superuser = root.is_staff = True
    root.save()
    client.force_login(root)
    url = reverse("admin:auth_user_password_change", args=[reviewer.pk])
    response = client.post(url, {"password1": "another-new-pw-77", "password2": "another-new-pw-77"})
    assert response.status_code == 302
    assert not works(key)


@pytest.mark.django_db
def test_other_saves_of_the_user_keep_the_tokens_but_deactivation_revokes(reviewer):
    key = sign_in()
    reviewer.first_name = "Ana"
    reviewer.save()
    get_user_model().objects.get(pk=reviewer.pk).save(update_fields=["last_login"])
    assert works(key)
    from annotate.services import deactivate_users

    deactivate_users(get_user_model().objects.filter(pk=reviewer.pk))
    assert not works(key)
    assert not AuthToken.objects.filter(user=reviewer).exists()


@pytest.mark.django_db
def test_an_expired_token_is_refused(reviewer):
    key = sign_in()
    AuthToken.objects.filter(user=reviewer).update(expiry=timezone.now() - timedelta(seconds=1))
    assert not works(key)


@pytest.mark.django_db
def test_a_lead_revokes_but_can_neither_read_nor_mint_tokens(reviewer, lead, make_user, client):
    key = sign_in()
    boss = make_user("boss")
    boss.is_superuser = boss.is_staff = True
    boss.save()
    client.force_login(lead)
    changelist = reverse("admin:knox_authtoken_changelist")
    page = client.get(changelist).content.decode()
    assert "reviewer1" in page
    stored = AuthToken.objects.get(user=reviewer)
    assert stored.token_key not in page  # rows are picked by digest (a SHA-512 of the key, not the key)
    assert client.get(reverse("admin:knox_authtoken_add")).status_code == 403
    assert client.post(reverse("admin:knox_authtoken_add"), {"user": boss.pk}).status_code == 403
    detail = client.get(reverse("admin:knox_authtoken_change", args=[stored.pk]))
    # Its address carries the digest (knox's primary key: a SHA-512 of the key, which cannot give
    # the key back); the key's lookup prefix is shown nowhere.
    assert detail.status_code == 200
    assert stored.token_key not in detail.content.decode()
    assert not AuthToken.objects.filter(user=boss).exists()
    # Not even a superuser mints a token for someone else in the admin.
    client.force_login(boss)
    assert client.post(reverse("admin:knox_authtoken_add"), {"user": reviewer.pk}).status_code == 403
    client.force_login(lead)
    response = client.post(changelist, {"action": "delete_selected", "_selected_action": [stored.pk], "post": "yes"})
    assert response.status_code == 302
    assert not works(key)


@pytest.mark.django_db
def test_signing_in_again_and_again_keeps_a_bounded_number_of_tokens(reviewer):
    from config.tokens import MAX_TOKENS_PER_USER

    keys = [sign_in() for _ in range(MAX_TOKENS_PER_USER + 2)]
    assert AuthToken.objects.filter(user=reviewer).count() == MAX_TOKENS_PER_USER
    assert works(keys[-1])
    assert not works(keys[0])  # the oldest went


@pytest.mark.django_db(transaction=True)
def test_the_migration_drops_the_old_plaintext_keys():
    executor = MigrationExecutor(connection)
    executor.migrate([("config", None)])
    with connection.cursor() as cursor:
        cursor.execute("CREATE TABLE authtoken_token (key varchar(40) PRIMARY KEY, created timestamp, user_id integer)")
        cursor.execute("INSERT INTO authtoken_token VALUES ('0123456789abcdef0123456789abcdef01234567', NULL, 1)")
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(executor.loader.graph.leaf_nodes())
    assert "authtoken_token" not in connection.introspection.table_names()


@pytest.mark.django_db
def test_the_compiled_token_lookup_is_knoxs_query(reviewer):
    from config.tokens import tokens_with_key

    key = sign_in()
    for prefix in (key[:15], "0" * 15):
        expected = list(AuthToken.objects.filter(token_key=prefix).select_related("user"))
        found = tokens_with_key(prefix)
        assert [vars_of(t) for t in found] == [vars_of(t) for t in expected]
        assert [vars_of(t.user) for t in found] == [vars_of(t.user) for t in expected]
    assert len(tokens_with_key(key[:15])) == 1


def vars_of(instance) -> dict:
    return {field.attname: getattr(instance, field.attname) for field in instance._meta.concrete_fields}


@pytest.mark.django_db
def test_a_user_made_inactive_without_the_signal_is_refused_at_once(reviewer):
    key = sign_in()
    assert works(key)
    get_user_model().objects.filter(pk=reviewer.pk).update(is_active=False)  # (no post_save: tokens stay)
    assert AuthToken.objects.filter(user=reviewer).exists()
    assert not works(key)
    AuthToken.objects.filter(user=reviewer).delete()
    get_user_model().objects.filter(pk=reviewer.pk).update(is_active=True)
    assert not works(key)  # revoked: refused at the next request, nothing remembered


def next_request(database) -> None:
    """What Django does as a request starts (request_started; the test client leaves it out): a
    reused connection is to be health-checked before its first query."""
    database.close_if_unusable_or_obsolete()
    assert database.connection is not None
    assert not database.health_check_done


@pytest.fixture
def health_checks(monkeypatch):
    """The default connection, with its `SELECT 1` health checks counted."""
    from django.db import connections

    database = connections["default"]
    checks = []
    usable = database.is_usable
    monkeypatch.setattr(database, "is_usable", lambda: checks.append(1) or usable())
    database.health_check_enabled = True  # (the setting's value, CONN_HEALTH_CHECKS)
    return database, checks


@pytest.mark.django_db(transaction=True)
def test_the_token_lookup_is_the_requests_connection_check(reviewer, health_checks):
    """Issue 17 (label save): a token request's first query, the token lookup, is its connection's
    health check; no `SELECT 1` before it. A request signed in by session is checked as before."""
    database, checks = health_checks
    key = sign_in()
    next_request(database)
    assert works(key)
    assert checks == []
    assert database.health_check_done  # (the mark write's statement sends no check either)
    client = APIClient()
    client.force_login(reviewer)
    next_request(database)
    assert client.get("/api/v1/annotations/").status_code == 200
    assert checks == [1]


@pytest.mark.django_db(transaction=True)
def test_a_dead_connection_is_replaced_before_it_fails_a_token_request(reviewer, health_checks):
    """The database ended the connection between two requests (a restart, a killed backend): the
    token request still gets its answer, on a new connection, as `SELECT 1` first ensured."""
    database, checks = health_checks
    if database.vendor != "postgresql":
        pytest.skip("PostgreSQL ends a connection; a SQLite file cannot")
    key = sign_in()
    assert works(key)
    with database.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        ended = cursor.fetchone()[0]
    killer = database.get_new_connection(database.get_connection_params())
    try:
        killer.autocommit = True
        assert killer.execute("SELECT pg_terminate_backend(%s, 10000)", [ended]).fetchone()[0]
    finally:
        killer.close()
    next_request(database)
    assert works(key)
    assert checks == [1]  # (only after the lookup failed: was it the connection or the query?)
    with database.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        assert cursor.fetchone()[0] != ended
