"""List endpoints run a fixed number of SQL queries, however many sentences an article has."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from annotate.models import Article, Assignment, Outlet, Sentence
from annotate.services import MarkInput, save_annotation

from .conftest import client_for

pytestmark = pytest.mark.django_db


def article_with(sentences: int, reviewer) -> Article:
    text = " ".join(f"Sentence number {n} says something." for n in range(sentences))
    outlet, _ = Outlet.objects.get_or_create(domain="example.com")
    article = Article.objects.create(outlet=outlet, title=f"{sentences}", text=text, content_hash=str(sentences))
    offset, rows = 0, []
    for n in range(sentences):
        part = f"Sentence number {n} says something."
        rows.append(Sentence(article=article, position=n, start=offset, end=offset + len(part), text=part))
        offset += len(part) + 1
    Sentence.objects.bulk_create(rows)
    Assignment.objects.create(article=article, reviewer=reviewer)
    for sentence in article.sentences.all():
        save_annotation(reviewer=reviewer, sentence=sentence, mark=MarkInput(label="claim"))
    return article


def count_queries(user, url: str) -> int:
    client = client_for(type(user).objects.get(pk=user.pk))  # a fresh user: no cached role
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


@pytest.mark.parametrize(
    "path", ["/api/v1/articles/{id}/sentences/?page_size=5000", "/api/v1/annotations/?article={id}&page_size=5000"]
)
def test_query_count_does_not_grow_with_sentences(reviewer, path):
    counts = {n: count_queries(reviewer, path.format(id=article_with(n, reviewer).pk)) for n in (5, 60)}
    assert counts[5] == counts[60]


def test_annotation_list_query_budget(reviewer, django_assert_max_num_queries):
    article = article_with(30, reviewer)
    client = client_for(type(reviewer).objects.get(pk=reviewer.pk))
    with django_assert_max_num_queries(3):  # leads-group check, count, page
        client.get(f"/api/v1/annotations/?article={article.pk}&page_size=100")
