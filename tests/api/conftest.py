"""Fixtures for API tests: clients in each role, an article assigned to two reviewers."""

import copy
import functools

import pytest
from django.core.cache import cache
from rest_framework.test import APIClient

from annotate.ingest import ArticleInput, ingest_articles, parse_plain_text
from annotate.models import Assignment, Source


@pytest.fixture(autouse=True)
def _fresh_cache():
    cache.clear()
    yield
    cache.clear()


def client_for(user=None) -> APIClient:
    client = APIClient()
    if user is not None:
        client.force_authenticate(user)
    return client


@pytest.fixture
def assigned_article(sample_article, reviewer, reviewer2, lead):
    Assignment.objects.create(article=sample_article, reviewer=reviewer, assigned_by=lead)
    Assignment.objects.create(article=sample_article, reviewer=reviewer2, assigned_by=lead)
    return sample_article


@pytest.fixture
def source(db):
    return Source.objects.create(name="The White Helmets", kind="organisation")


@pytest.fixture
def reviewer_client(reviewer):
    return client_for(reviewer)


@pytest.fixture
def reviewer2_client(reviewer2):
    return client_for(reviewer2)


@pytest.fixture
def lead_client(lead):
    return client_for(lead)


@functools.cache
def _parsed(raw: bytes, origin: str) -> ArticleInput:
    # Splitting sentences (pysbd) costs most of a test's time; parse each text once per run.
    return parse_plain_text(raw, origin=origin, published="2024-11-30")


@pytest.fixture
def sample_article(db, sample_bytes):
    return ingest_articles([copy.deepcopy(_parsed(sample_bytes, "sample.txt"))])[0].article


def ingest_once(text: str):
    return ingest_articles([copy.deepcopy(_parsed(text.encode(), "test.txt"))])[0].article
