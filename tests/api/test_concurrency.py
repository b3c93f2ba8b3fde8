"""Concurrent writers, each thread with its own database connection: nothing lost, nothing duplicated."""

import threading

import pytest
from django.db import connection, connections
from django.urls import reverse

from annotate.models import Annotation, AnnotationRevision

from .conftest import client_for

pytestmark = [pytest.mark.postgres, pytest.mark.slow]
THREADS = 8


@pytest.fixture(autouse=True)
def _postgres_only(transactional_db):
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL (row locks across connections)")


def run_threads(work) -> list:
    results, barrier = [None] * THREADS, threading.Barrier(THREADS)

    def target(index: int) -> None:
        try:
            barrier.wait()
            results[index] = work(index)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=target, args=(i,)) for i in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


def test_concurrent_creates_of_one_mark_make_exactly_one(assigned_article, reviewer):
    sentence = assigned_article.sentences.get(position=3)
    statuses = run_threads(
        lambda i: (
            client_for(reviewer)
            .post(
                "/api/v1/annotations/",
                {"sentence": sentence.pk, "label": "claim", "note": f"writer {i}"},
                format="json",
            )
            .status_code
        )
    )
    assert sorted(statuses) == [201] + [409] * (THREADS - 1)
    assert Annotation.objects.filter(sentence=sentence, reviewer=reviewer).count() == 1
    assert AnnotationRevision.objects.filter(sentence=sentence).count() == 1


def test_concurrent_changes_of_one_version_let_exactly_one_win(assigned_article, reviewer):
    sentence = assigned_article.sentences.get(position=3)
    created = (
        client_for(reviewer)
        .post("/api/v1/annotations/", {"sentence": sentence.pk, "label": "claim"}, format="json")
        .json()
    )
    url = reverse("api:annotation-detail", args=[created["id"]])
    responses = run_threads(
        lambda i: client_for(reviewer).patch(url, {"note": f"writer {i}"}, format="json", HTTP_IF_MATCH='"1"')
    )
    assert sorted(r.status_code for r in responses) == [200] + [412] * (THREADS - 1)
    winner = next(r.json()["note"] for r in responses if r.status_code == 200)
    annotation = Annotation.objects.get()
    assert annotation.version == 2
    assert annotation.note == winner
    assert list(AnnotationRevision.objects.values_list("version", flat=True).order_by("id")) == [1, 2]


def test_concurrent_writers_on_different_sentences_lose_nothing(assigned_article, reviewer, reviewer2):
    sentences = list(assigned_article.sentences.filter(reviewable=True).order_by("position")[:THREADS])
    users = [reviewer, reviewer2]

    def work(index: int) -> int:
        client = client_for(users[index % 2])
        response = client.post(
            "/api/v1/annotations/", {"sentence": sentences[index].pk, "label": "claim"}, format="json"
        )
        pk = response.json()["id"]
        for version in range(1, 4):
            client.patch(
                reverse("api:annotation-detail", args=[pk]),
                {"label": "analysis" if version % 2 else "claim", "version": version},
                format="json",
            )
        return response.status_code

    assert run_threads(work) == [201] * THREADS
    assert Annotation.objects.count() == THREADS
    assert set(Annotation.objects.values_list("version", flat=True)) == {4}
    assert AnnotationRevision.objects.count() == THREADS * 4


def test_changes_racing_a_submit_land_before_it_or_are_refused(assigned_article, reviewer, settings):
    """Issue 11 finding 2 under concurrency: no mark of a submitted assignment changes after the submit."""
    from annotate.models import Assignment
    from annotate.services import MarkInput, save_annotation

    settings.SCORES_AUTO_RECOMPUTE = False
    sentences = list(assigned_article.sentences.filter(reviewable=True).order_by("position"))
    marks = [save_annotation(reviewer=reviewer, sentence=s, mark=MarkInput(label="claim"))[0] for s in sentences]
    assignment = Assignment.objects.get(article=assigned_article, reviewer=reviewer)

    def work(index: int) -> int:
        client = client_for(reviewer)
        if index == 0:
            return client.post(reverse("api:assignment-submit", args=[assignment.pk])).status_code
        statuses = []
        for mark in marks[index - 1 :: THREADS - 1]:
            url = reverse("api:annotation-detail", args=[mark.pk])
            statuses.append(client.patch(url, {"label": "analysis", "version": 1}, format="json").status_code)
            statuses.append(client.patch(url, {"note": "second thoughts", "version": 2}, format="json").status_code)
        return statuses

    results = run_threads(work)
    assert results[0] == 200
    statuses = {status for statuses in results[1:] for status in statuses}
    assert statuses <= {200, 409}
    assignment.refresh_from_db()
    late = AnnotationRevision.objects.filter(action="update", changed_at__gt=assignment.submitted_at)
    assert not late.exists()
    assert Annotation.objects.filter(reviewer=reviewer).count() == len(sentences)
