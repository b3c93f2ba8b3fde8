"""Issue 11 finding 2: a submitted assignment is read-only for its reviewer, in the API as in the page,
until a lead reopens it; the reopen is recorded (who, when, why) and shown to leads."""

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse

from annotate.models import Annotation, AnnotationRevision, Assignment, AssignmentEvent
from annotate.services import AssignmentLocked, MarkInput, save_annotation, submit_assignment

from .conftest import client_for

pytestmark = pytest.mark.django_db


@pytest.fixture
def submitted(assigned_article, reviewer, reviewer_client):
    """reviewer1 marked every reviewable sentence (claim) through the API and submitted."""
    for sentence in assigned_article.sentences.filter(reviewable=True):
        assert (
            reviewer_client.post(
                "/api/v1/annotations/", {"sentence": sentence.pk, "label": "claim"}, format="json"
            ).status_code
            == 201
        )
    assignment = Assignment.objects.get(article=assigned_article, reviewer=reviewer)
    assert reviewer_client.post(f"/api/v1/assignments/{assignment.pk}/submit/").status_code == 200
    return assignment


def _mark(reviewer) -> Annotation:
    return Annotation.objects.filter(reviewer=reviewer).order_by("sentence__position").first()


def test_reviewer_cannot_change_or_delete_a_submitted_mark(submitted, reviewer, reviewer_client):
    mark = _mark(reviewer)
    url = f"/api/v1/annotations/{mark.pk}/"
    revisions = AnnotationRevision.objects.count()

    response = reviewer_client.patch(url, {"label": "analysis"}, HTTP_IF_MATCH='"1"', format="json")
    assert response.status_code == 409
    assert "submitted" in response.json()["detail"]
    assert "reopen" in response.json()["detail"]
    assert response.json()["current"]["label"] == "claim"
    put = reviewer_client.put(url, {"sentence": mark.sentence_id, "label": "other", "version": 1}, format="json")
    assert put.status_code == 409
    assert reviewer_client.delete(url, HTTP_IF_MATCH='"1"').status_code == 409
    assert reviewer_client.delete(url).status_code == 409
    # Nor a new mark on the article (its non-reviewable trailer is the only unmarked sentence).
    trailer = submitted.article.sentences.filter(reviewable=False).first()
    if trailer is not None:
        created = reviewer_client.post(
            "/api/v1/annotations/", {"sentence": trailer.pk, "label": "other"}, format="json"
        )
        assert created.status_code == 409
        assert "submitted" in created.json()["detail"]

    mark.refresh_from_db()
    assert (mark.label, mark.version) == ("claim", 1)
    assert AnnotationRevision.objects.count() == revisions
    assert (
        Annotation.objects.filter(reviewer=reviewer).count()
        == submitted.article.sentences.filter(reviewable=True).count()
    )


def test_the_service_refuses_too_whoever_calls_it(submitted, reviewer):
    mark = _mark(reviewer)
    with pytest.raises(AssignmentLocked):
        save_annotation(reviewer=reviewer, sentence=mark.sentence, mark=MarkInput(label="other"), changed_by=reviewer)
    with pytest.raises(AssignmentLocked):  # a command (no person) is bound by the lock too
        save_annotation(reviewer=reviewer, sentence=mark.sentence, mark=MarkInput(label="other"))
    assert _mark(reviewer).label == "claim"


def test_lead_reopens_it_is_recorded_and_the_reviewer_may_change_again(
    submitted, reviewer, lead, reviewer_client, lead_client
):
    url = f"/api/v1/assignments/{submitted.pk}/reopen/"
    assert reviewer_client.post(url, {"note": "please"}, format="json").status_code == 403  # only leads reopen
    response = lead_client.post(url, {"note": "sentence 3 is an attribution"}, format="json")
    assert response.status_code == 200
    assert response.json()["submitted_at"] is None

    history = lead_client.get(f"/api/v1/assignments/{submitted.pk}/history/").json()["results"]
    assert [(e["action"], e["by"], e["note"]) for e in history] == [
        ("submit", "reviewer1", ""),
        ("reopen", "lead", "sentence 3 is an attribution"),
    ]
    assert reviewer_client.get(f"/api/v1/assignments/{submitted.pk}/history/").status_code == 403

    mark = _mark(reviewer)
    changed = reviewer_client.patch(
        f"/api/v1/annotations/{mark.pk}/", {"label": "analysis"}, HTTP_IF_MATCH='"1"', format="json"
    )
    assert changed.status_code == 200
    assert reviewer_client.post(f"/api/v1/assignments/{submitted.pk}/submit/").status_code == 200
    assert (
        reviewer_client.patch(
            f"/api/v1/annotations/{mark.pk}/", {"label": "claim", "version": 2}, format="json"
        ).status_code
        == 409
    )
    assert list(AssignmentEvent.objects.filter(assignment=submitted).values_list("action", flat=True)) == [
        "submit",
        "reopen",
        "submit",
    ]
    assert lead_client.post(url).status_code == 200
    assert lead_client.post(url).json() == {"assignment": ["is not submitted, so there is nothing to reopen"]}


def test_a_lead_may_still_correct_a_submitted_mark_and_is_named(submitted, reviewer, lead_client):
    mark = _mark(reviewer)
    response = lead_client.patch(f"/api/v1/annotations/{mark.pk}/", {"label": "analysis", "version": 1}, format="json")
    assert response.status_code == 200
    revision = AnnotationRevision.objects.filter(annotation=mark).latest("id")
    assert (revision.version, revision.label, revision.changed_by.username) == (2, "analysis", "lead")


def test_a_submitted_assignment_is_never_unassigned(submitted, lead_client):
    response = lead_client.delete(f"/api/v1/assignments/{submitted.pk}/")
    assert response.status_code == 409
    assert "submitted" in response.json()["detail"]
    assert Assignment.objects.filter(pk=submitted.pk).exists()


def test_queue_progress_holds_after_an_attempted_change(submitted, reviewer, reviewer_client, client):
    reviewer_client.delete(f"/api/v1/annotations/{_mark(reviewer).pk}/")
    client.force_login(reviewer)
    page = client.get(reverse("annotate:queue")).content.decode()
    total = submitted.article.sentences.filter(reviewable=True).count()
    assert f"{total} / {total}" in page


def test_lead_reopens_from_the_admin_with_an_action_and_a_button(submitted, lead, reviewer, client):
    client.force_login(lead)
    changelist = reverse("admin:annotate_assignment_changelist")
    response = client.post(
        changelist, {"action": "reopen_assignments", "_selected_action": [submitted.pk]}, follow=True
    )
    assert [str(m) for m in get_messages(response.wsgi_request)] == ["Reopened 1 assignment(s)."]
    submitted.refresh_from_db()
    assert submitted.submitted_at is None
    submit_assignment(assignment=submitted)

    change = reverse("admin:annotate_assignment_change", args=[submitted.pk])
    page = client.get(change).content.decode()
    assert "Reopen for its reviewer" in page  # the button
    assert "Submitted" in page
    assert "Reopened" in page
    response = client.post(reverse("admin:annotate_assignment_reopen", args=[submitted.pk]), follow=True)
    assert response.status_code == 200
    submitted.refresh_from_db()
    assert submitted.submitted_at is None
    events = AssignmentEvent.objects.filter(assignment=submitted, action="reopen")
    assert events.count() == 2
    assert {e.by for e in events} == {lead}


def test_page_shows_the_lock_to_the_reviewer(submitted, reviewer, client):
    client.force_login(reviewer)
    page = client.get(reverse("annotate:article", args=[submitted.article_id])).content.decode()
    assert "Your marks are locked" in page


def test_reviewer2_cannot_reopen_or_see_history(submitted, reviewer2):
    other = client_for(reviewer2)
    assert other.post(f"/api/v1/assignments/{submitted.pk}/reopen/").status_code == 403
    assert other.get(f"/api/v1/assignments/{submitted.pk}/history/").status_code == 403
