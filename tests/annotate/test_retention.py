"""Issue 11 finding 5: nothing is ever lost. Every delete path there is (admin delete views and bulk
actions, the API, the shell: ORM deletes of User/Outlet/Article/Source/Topic/Sentence and their
cascades) is tried; every mark, revision, adjudication and assignment event survives unchanged.
Users with marks are deactivated, articles and outlets with marks retired."""

import pytest
from django.contrib.auth import get_user_model
from django.contrib.messages import get_messages
from django.db import transaction
from django.db.models import ProtectedError
from django.urls import reverse
from rest_framework.test import APIClient

from annotate.models import (
    Adjudication,
    Annotation,
    AnnotationRevision,
    Article,
    Assignment,
    AssignmentEvent,
    Outlet,
    Sentence,
    Side,
    Source,
    Topic,
)
from annotate.services import MarkInput, delete_annotation, save_annotation, submit_assignment
from reliability.services import adjudicate_sentence

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(sample_article, reviewer, reviewer2, lead, make_user):
    """reviewer1 marked every sentence and submitted; reviewer2 marked some, changed and deleted one;
    a lead adjudicated a sentence; a source is used by a mark and another only by a past revision."""
    topic = Topic.objects.create(name="Syria")
    side = Side.objects.create(topic=topic, name="Opposition")
    sample_article.topic = topic
    sample_article.save(update_fields=["topic"])
    used = Source.objects.create(name="The White Helmets", kind="organisation", side=side)
    past = Source.objects.create(name="Syria Civil Defence", kind="organisation")
    sentences = list(sample_article.sentences.filter(reviewable=True).order_by("position"))
    first = Assignment.objects.create(article=sample_article, reviewer=reviewer, assigned_by=lead)
    Assignment.objects.create(article=sample_article, reviewer=reviewer2, assigned_by=lead)
    for sentence in sentences:
        save_annotation(reviewer=reviewer, sentence=sentence, mark=MarkInput(label="claim"), changed_by=reviewer)
    submit_assignment(assignment=first)
    mark, _ = save_annotation(
        reviewer=reviewer2, sentence=sentences[0], mark=MarkInput(label="attribution", source=past)
    )
    save_annotation(
        reviewer=reviewer2,
        sentence=sentences[0],
        mark=MarkInput(label="attribution", source=used),
        expected_version=1,
    )
    gone, _ = save_annotation(reviewer=reviewer2, sentence=sentences[1], mark=MarkInput(label="other"))
    delete_annotation(annotation=gone, changed_by=reviewer2)
    adjudicate_sentence(sentence=sentences[2], label="analysis", lead=lead, note="settled")
    admin = make_user("root")
    admin.is_superuser = admin.is_staff = True
    admin.save()
    return {
        "article": sample_article,
        "outlet": sample_article.outlet,
        "topic": topic,
        "used": used,
        "past": past,
        "sentence": sentences[0],
        "admin": admin,
        "assignment": first,
    }


def _everything() -> dict:
    """Every row that must survive, with its values."""
    return {
        "marks": sorted(
            Annotation.objects.values_list("pk", "sentence_id", "reviewer_id", "label", "source_id", "version")
        ),
        "revisions": sorted(
            AnnotationRevision.objects.values_list(
                "pk",
                "annotation_id",
                "sentence_id",
                "reviewer_id",
                "action",
                "version",
                "label",
                "source_id",
                "changed_by_id",
            )
        ),
        "adjudications": sorted(Adjudication.objects.values_list("pk", "sentence_id", "label", "lead_id", "note")),
        "events": sorted(AssignmentEvent.objects.values_list("pk", "assignment_id", "action", "by_id")),
        "sentences": Sentence.objects.count(),
    }


def _refused(action) -> str:
    try:
        with transaction.atomic():
            action()
    except ProtectedError as exc:
        return type(exc).__name__
    return "deleted"


def test_shell_deletes_and_their_cascades_lose_nothing(world, reviewer, reviewer2, lead):
    before = _everything()
    User = get_user_model()
    attempts = {
        "reviewer.delete()": lambda: User.objects.get(pk=reviewer.pk).delete(),
        "reviewer2.delete()": lambda: User.objects.get(pk=reviewer2.pk).delete(),
        "lead.delete()": lambda: User.objects.get(pk=lead.pk).delete(),
        "User.objects.all().delete()": lambda: User.objects.all().delete(),
        "outlet.delete()": lambda: Outlet.objects.get(pk=world["outlet"].pk).delete(),
        "article.delete()": lambda: Article.objects.get(pk=world["article"].pk).delete(),
        "Article.objects.all().delete()": lambda: Article.objects.all().delete(),
        "sentence.delete()": lambda: Sentence.objects.get(pk=world["sentence"].pk).delete(),
        "Sentence.objects.all().delete()": lambda: Sentence.objects.all().delete(),
        "source in use .delete()": lambda: Source.objects.get(pk=world["used"].pk).delete(),
        "source of a past revision .delete()": lambda: Source.objects.get(pk=world["past"].pk).delete(),
        "assignment.delete()": lambda: Assignment.objects.get(pk=world["assignment"].pk).delete(),
    }
    outcomes = {name: _refused(action) for name, action in attempts.items()}
    assert outcomes == dict.fromkeys(attempts, "ProtectedError")
    # Deleting the topic is allowed: its sides go, sources and articles lose the link, no mark is touched.
    Topic.objects.get(pk=world["topic"].pk).delete()
    assert _everything() == before


def test_admin_delete_views_and_bulk_actions_lose_nothing(world, reviewer, client):
    before = _everything()
    client.force_login(world["admin"])

    def delete_view(model: str, pk: int):
        return client.post(reverse(f"admin:{model}_delete", args=[pk]), {"post": "yes"}, follow=True)

    # A user with marks: refused with a message that says to deactivate.
    response = delete_view("auth_user", reviewer.pk)
    (message,) = [str(m) for m in get_messages(response.wsgi_request)]
    assert "is not deleted" in message
    assert "Deactivate" in message
    assert "marks" in message
    # No bulk delete of users at all; deactivate instead.
    users = reverse("admin:auth_user_changelist")
    page = client.get(users).content.decode()
    assert "delete_selected" not in page
    assert "deactivate" in page
    response = client.post(users, {"action": "delete_selected", "_selected_action": [reviewer.pk], "post": "yes"})
    assert get_user_model().objects.filter(pk=reviewer.pk).exists()
    response = client.post(users, {"action": "deactivate", "_selected_action": [reviewer.pk]}, follow=True)
    reviewer.refresh_from_db()
    assert not reviewer.is_active

    # An article and an outlet with marks: refused, retire instead (the action works).
    for model, pk in (("annotate_article", world["article"].pk), ("annotate_outlet", world["outlet"].pk)):
        response = delete_view(model, pk)
        (message,) = [str(m) for m in get_messages(response.wsgi_request)]
        assert "is not deleted" in message
        assert "Retire it instead" in message
    articles = reverse("admin:annotate_article_changelist")
    bulk = {"action": "delete_selected", "_selected_action": [world["article"].pk], "post": "yes"}
    assert client.post(articles, bulk).status_code in (200, 403)  # the protected list, or refused
    client.post(articles, {"action": "retire", "_selected_action": [world["article"].pk]})
    assert Article.objects.get(pk=world["article"].pk).retired

    # Sources in use (now or in a past revision): Django's protected page, nothing deleted.
    for source in (world["used"], world["past"]):
        response = delete_view("annotate_source", source.pk)
        assert Source.objects.filter(pk=source.pk).exists()
    sources = reverse("admin:annotate_source_changelist")
    client.post(sources, {"action": "delete_selected", "_selected_action": [world["used"].pk], "post": "yes"})
    assert Source.objects.filter(pk=world["used"].pk).exists()

    # Marks, revisions, sentences and submitted assignments have no delete at all.
    mark = Annotation.objects.first()
    revision = AnnotationRevision.objects.first()
    for model, pk in (
        ("annotate_annotation", mark.pk),
        ("annotate_annotationrevision", revision.pk),
        ("annotate_sentence", world["sentence"].pk),
        ("annotate_assignment", world["assignment"].pk),
    ):
        assert client.post(reverse(f"admin:{model}_delete", args=[pk]), {"post": "yes"}).status_code == 403
    revisions = reverse("admin:annotate_annotationrevision_changelist")
    client.post(revisions, {"action": "delete_selected", "_selected_action": [revision.pk], "post": "yes"})
    assert client.get(reverse("admin:annotate_annotationrevision_change", args=[revision.pk])).status_code == 200
    assert client.post(reverse("admin:annotate_annotationrevision_add"), {}).status_code == 403
    # Deleting the topic in the admin is allowed and touches no mark.
    client.post(reverse("admin:annotate_topic_delete", args=[world["topic"].pk]), {"post": "yes"})
    assert not Topic.objects.exists()
    assert _everything() == before


def test_api_deletes_lose_nothing(world, lead):
    before = _everything()
    client = APIClient()
    client.force_authenticate(lead)
    article = client.delete(f"/api/v1/articles/{world['article'].pk}/")
    assert article.status_code == 409
    assert "retire it instead" in article.json()["detail"]
    outlet = client.delete(f"/api/v1/outlets/{world['outlet'].pk}/")
    assert outlet.status_code == 409
    assert "retire it instead" in outlet.json()["detail"]
    source = client.delete(f"/api/v1/sources/{world['used'].pk}/")
    assert source.status_code == 409
    assert "(annotation revisions, annotations), which are kept" in source.json()["detail"]
    assert client.delete(f"/api/v1/sources/{world['past'].pk}/").status_code == 409
    assert client.delete(f"/api/v1/assignments/{world['assignment'].pk}/").status_code == 409
    assert _everything() == before

    retired = client.post(f"/api/v1/articles/{world['article'].pk}/retire/")
    assert retired.status_code == 200
    assert retired.json()["retired"] is True
    assert _everything() == before


def test_an_article_nobody_marked_is_still_deleted(lead, sample_article):
    client = APIClient()
    client.force_authenticate(lead)
    assert client.delete(f"/api/v1/articles/{sample_article.pk}/").status_code == 204
    assert not Sentence.objects.exists()


def test_a_retired_article_leaves_queues_and_new_assignments_and_its_marks_freeze(world, reviewer2, client, lead):
    article = world["article"]
    api = APIClient()
    api.force_authenticate(lead)
    api.post(f"/api/v1/articles/{article.pk}/retire/")
    client.force_login(reviewer2)
    assert article.title not in client.get(reverse("annotate:queue")).content.decode()
    reviewer_api = APIClient()
    reviewer_api.force_authenticate(reviewer2)
    mark = Annotation.objects.filter(reviewer=reviewer2).first()
    response = reviewer_api.patch(
        f"/api/v1/annotations/{mark.pk}/", {"label": "claim", "version": mark.version}, format="json"
    )
    assert response.status_code == 409
    assert "retired" in response.json()["detail"]
    from annotate.services import assign_articles

    assert assign_articles(articles=[Article.objects.get(pk=article.pk)], reviewers=[lead], overlap=1) == []
    assert api.post(f"/api/v1/articles/{article.pk}/restore/").json()["retired"] is False


def test_deactivated_users_cannot_sign_in_and_keep_their_marks(world, reviewer, client):
    from annotate.services import deactivate_users

    marks = Annotation.objects.filter(reviewer=reviewer).count()
    assert deactivate_users(get_user_model().objects.filter(pk=reviewer.pk)) == 1
    assert not client.login(username="reviewer1", password="pw-for-tests-1")
    assert Annotation.objects.filter(reviewer=reviewer).count() == marks
