"""Shared fixtures: users in their roles, the sample article, small data builders."""

import os
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model

from annotate.ingest import ingest_articles, parse_plain_text
from annotate.roles import ensure_leads_group

# The project's shared material (sample article, dev set) lives beside the clone: ../shared/.
SHARED = Path(__file__).resolve().parents[1].parent / "shared"
IN_CI = os.environ.get("CI", "").lower() in {"1", "true"}


def shared_file(relative: str) -> Path:
    """A file under ../shared/. Missing: the test fails under CI=true (never a silent skip there)
    and is skipped with the reason elsewhere (a clone without ../shared beside it)."""
    path = SHARED / relative
    if not path.exists():
        message = f"{path} is missing: CI needs ../shared/ beside the clone"
        if IN_CI:
            pytest.fail(message)
        pytest.skip(message)
    return path


def pytest_configure(config):
    # Password hashing strength is Django's concern, not ours: hash fast in every test.
    from django.conf import settings

    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _empty_cache():
    """Each test starts with an empty cache (the in-process cache outlives a test's database)."""
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()


@pytest.fixture(scope="session")
def django_db_modify_db_settings(django_db_modify_db_settings_parallel_suffix):
    """A PostgreSQL test database of this run's own (test_<name>_<pid>), so that two runs on one
    server never drop each other's database."""
    from django.conf import settings

    database = settings.DATABASES["default"]
    if database["ENGINE"].endswith("postgresql"):
        database.setdefault("TEST", {})
        # Django fills TEST["NAME"] with None once settings load: setdefault alone never applied.
        if not database["TEST"].get("NAME"):
            database["TEST"]["NAME"] = f"test_{database['NAME']}_{os.getpid()}"


SAMPLE_ARTICLE = SHARED / "samples" / "syria-militias-aleppo.txt"
if not SAMPLE_ARTICLE.exists() and not IN_CI:  # a clone without ../shared beside it: use the demo copy
    SAMPLE_ARTICLE = (
        Path(__file__).resolve().parents[1] / "config" / "demo_articles" / "01-sky-syria-militias-aleppo.txt"
    )


@pytest.fixture
def sample_bytes() -> bytes:
    return SAMPLE_ARTICLE.read_bytes()


@pytest.fixture
def sample_article(db, sample_bytes):
    item = parse_plain_text(sample_bytes, origin=SAMPLE_ARTICLE.name, published="2024-11-30")
    return ingest_articles([item])[0].article


@pytest.fixture
def make_user(db):
    def make(username: str, *, lead: bool = False, password: str = "pw-for-tests-1"):
        user = get_user_model().objects.create_user(username, f"{username}@example.org", password)
        if lead:
            user.groups.add(ensure_leads_group())
            user.is_staff = True
            user.save()
        return user

    return make


@pytest.fixture
def reviewer(make_user):
    return make_user("reviewer1")


@pytest.fixture
def reviewer2(make_user):
    return make_user("reviewer2")


@pytest.fixture
def lead(make_user):
    return make_user("lead", lead=True)


@pytest.fixture
def ingest(db):
    """ingest(text, outlet, published, title=…) -> Article, through the real parser and store
    (plain text; the outlet given, not read from a trailer)."""

    def make(text: str, outlet: str, published: str = "2024-12-01", title: str = ""):
        item = parse_plain_text(text.encode(), origin="test", outlet=outlet, published=published, title=title)
        return ingest_articles([item])[0].article

    return make
