import pytest
from django.urls import reverse
from rest_framework.test import APIClient

pytestmark = pytest.mark.django_db
TOKEN = "/api/v1/auth/token/"


@pytest.fixture(autouse=True)
def one_window(monkeypatch):
    """Counts live in fixed windows (one minute at "N/min"): pin the throttle's clock mid-window so
    that a test never straddles a window boundary (conftest clears the counts)."""
    from config import throttling

    monkeypatch.setattr(throttling, "_now", lambda: 1_800_000_030.0)


def test_token_endpoint_issues_the_users_token(reviewer):
    response = APIClient().post(TOKEN, {"username": "reviewer1", "password": "pw-for-tests-1"}, format="json")
    assert response.status_code == 200
    token = response.json()["token"]
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    assert client.get("/api/v1/annotations/").status_code == 200


def test_failed_token_requests_are_throttled_per_address_and_username(reviewer, settings):
    settings.LOGIN_THROTTLE_RATE = "3/min"
    client = APIClient()
    for _ in range(3):
        assert client.post(TOKEN, {"username": "reviewer1", "password": "wrong"}, format="json").status_code == 400
    blocked = client.post(TOKEN, {"username": "reviewer1", "password": "pw-for-tests-1"}, format="json")
    assert blocked.status_code == 429
    assert int(blocked["Retry-After"]) > 0
    # another address is not affected
    other = client.post(
        TOKEN, {"username": "reviewer1", "password": "pw-for-tests-1"}, format="json", REMOTE_ADDR="10.0.0.9"
    )
    assert other.status_code == 200


def test_html_login_is_throttled_after_failures(client, reviewer, settings):
    settings.LOGIN_THROTTLE_RATE = "2/min"
    url = reverse("login")
    for _ in range(2):
        assert client.post(url, {"username": "reviewer1", "password": "wrong"}).status_code == 200
    response = client.post(url, {"username": "reviewer1", "password": "pw-for-tests-1"})
    assert response.status_code == 429
    assert b"Too many failed sign-ins" in response.content
    assert "_auth_user_id" not in client.session


def test_html_login_success_clears_the_count(client, reviewer, settings):
    settings.LOGIN_THROTTLE_RATE = "2/min"
    url = reverse("login")
    client.post(url, {"username": "reviewer1", "password": "wrong"})
    assert client.post(url, {"username": "reviewer1", "password": "pw-for-tests-1"}).status_code == 302
    client.logout()
    client.post(url, {"username": "reviewer1", "password": "wrong"})
    assert client.post(url, {"username": "reviewer1", "password": "pw-for-tests-1"}).status_code == 302


def test_password_spraying_is_limited_per_address(make_user, settings):
    settings.LOGIN_THROTTLE_RATE = "1/min"
    client = APIClient()
    for number in range(5):
        client.post(TOKEN, {"username": f"user{number}", "password": "wrong"}, format="json")
    make_user("victim")
    response = client.post(TOKEN, {"username": "victim", "password": "pw-for-tests-1"}, format="json")
    assert response.status_code == 429
