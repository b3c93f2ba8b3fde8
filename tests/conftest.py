"""Shared fixtures: users in their roles, the sample article, small data builders."""

from pathlib import Path

import pytest
from django.contrib.auth import get_user_model

from annotate.ingest import ingest_articles, parse_plain_text
from annotate.roles import ensure_leads_group

SAMPLES = Path(__file__).resolve().parents[1].parent / "shared" / "samples"
SAMPLE_ARTICLE = SAMPLES / "syria-militias-aleppo.txt"
if not SAMPLE_ARTICLE.exists():  # a clone without ../shared beside it: use the demo copy
    SAMPLE_ARTICLE = (
        Path(__file__).resolve().parents[1] / "annotate" / "demo_articles" / "01-sky-syria-militias-aleppo.txt"
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
