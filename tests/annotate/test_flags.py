"""Flags: a reviewer reports a sentence or a whole article as a problem (bad split, not news,
duplicate, other with a note) and may then skip it; leads see open flags and resolve them."""

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse

from annotate.codebook import Label
from annotate.models import Assignment, Flag
from annotate.services import MarkInput, flag_problem, resolve_flag, save_annotation, submit_assignment
from tests.annotate.test_views import make_article
from tests.api.conftest import client_for

pytestmark = pytest.mark.django_db


@pytest.fixture
def assigned(sample_article, reviewer):
    return Assignment.objects.create(article=sample_article, reviewer=reviewer)


def mark_except(reviewer, article, skip: set[int]) -> None:
    for sentence in article.sentences.filter(reviewable=True).exclude(position__in=skip):
        save_annotation(reviewer=reviewer, sentence=sentence, mark=MarkInput(label=Label.CLAIM))


def test_a_flagged_sentence_need_not_be_marked_before_submitting(assigned, reviewer, sample_article):
    mark_except(reviewer, sample_article, {3})
    with pytest.raises(ValidationError, match="1 sentence"):
        submit_assignment(assignment=assigned)
    flag_problem(
        reviewer=reviewer, article=sample_article, sentence=sample_article.sentences.get(position=3), reason="bad_split"
    )
    assert submit_assignment(assignment=assigned).submitted_at is not None


def test_a_flagged_article_can_be_submitted_with_nothing_marked(assigned, reviewer, sample_article):
    flag_problem(reviewer=reviewer, article=sample_article, reason="not_news")
    assert submit_assignment(assignment=assigned).submitted_at is not None


def test_another_reviewers_flag_does_not_excuse_me(assigned, reviewer, reviewer2, sample_article):
    Assignment.objects.create(article=sample_article, reviewer=reviewer2)
    flag_problem(reviewer=reviewer2, article=sample_article, reason="duplicate")
    with pytest.raises(ValidationError, match="19 sentence"):
        submit_assignment(assignment=assigned)


def test_bad_flags_are_refused_with_the_field_and_nothing_is_written(reviewer, sample_article):
    other = make_article(3, "other")
    trailer = sample_article.sentences.get(reviewable=False)
    cases = [
        ({"reason": "other"}, "note"),
        ({"reason": "other", "note": "   "}, "note"),
        ({"reason": "boring"}, "reason"),
        ({"reason": "bad_split", "sentence": other.sentences.first()}, "sentence"),
        ({"reason": "bad_split", "sentence": trailer}, "sentence"),
    ]
    for fields, field in cases:
        with pytest.raises(ValidationError) as error:
            flag_problem(reviewer=reviewer, article=sample_article, **fields)
        assert field in error.value.message_dict
    assert not Flag.objects.exists()


def test_the_database_refuses_an_other_flag_without_a_note_and_a_second_open_flag(reviewer, sample_article):
    with pytest.raises(IntegrityError), transaction.atomic():
        Flag.objects.create(reviewer=reviewer, article=sample_article, reason="other", note="")
    sentence = sample_article.sentences.first()
    Flag.objects.create(reviewer=reviewer, article=sample_article, sentence=sentence, reason="bad_split")
    with pytest.raises(IntegrityError), transaction.atomic():
        Flag.objects.create(reviewer=reviewer, article=sample_article, sentence=sentence, reason="duplicate")
    Flag.objects.create(reviewer=reviewer, article=sample_article, reason="duplicate")
    with pytest.raises(IntegrityError), transaction.atomic():
        Flag.objects.create(reviewer=reviewer, article=sample_article, reason="not_news")


def test_flagging_again_changes_the_open_flag_and_after_resolving_starts_a_new_one(reviewer, lead, sample_article):
    first = flag_problem(reviewer=reviewer, article=sample_article, reason="duplicate")
    again = flag_problem(reviewer=reviewer, article=sample_article, reason="other", note="an opinion piece")
    assert again.pk == first.pk
    assert (again.reason, again.note) == ("other", "an opinion piece")
    resolve_flag(flag=again, lead=lead, resolution="kept: it has news in it")
    with pytest.raises(ValidationError, match="already resolved"):
        resolve_flag(flag=again, lead=lead)
    newer = flag_problem(reviewer=reviewer, article=sample_article, reason="not_news")
    assert newer.pk != first.pk
    assert Flag.objects.count() == 2


def test_api_flag_change_withdraw_and_resolve(assigned, reviewer, reviewer2, lead, sample_article):
    sentence = sample_article.sentences.get(position=3)
    api = client_for(reviewer)
    response = api.post(
        "/api/v1/flags/",
        {"article": sample_article.pk, "sentence": sentence.pk, "reason": "bad_split", "note": "two sentences"},
        format="json",
    )
    assert response.status_code == 201, response.data
    flag_id = response.data["id"]
    assert response.data["reviewer"] == "reviewer1"
    assert response.data["resolved_at"] is None
    response = api.post(
        "/api/v1/flags/", {"article": sample_article.pk, "sentence": sentence.pk, "reason": "duplicate"}, format="json"
    )
    assert (response.status_code, response.data["id"], response.data["reason"]) == (200, flag_id, "duplicate")
    assert client_for(reviewer2).get("/api/v1/flags/").data["count"] == 0  # only one's own
    assert client_for(lead).get("/api/v1/flags/?open=true").data["count"] == 1
    assert api.delete(f"/api/v1/flags/{flag_id}/").status_code == 204
    assert not Flag.objects.exists()

    flag_id = api.post("/api/v1/flags/", {"article": sample_article.pk, "reason": "not_news"}, format="json").data["id"]
    response = client_for(lead).post(f"/api/v1/flags/{flag_id}/resolve/", {"resolution": "removed"}, format="json")
    assert (response.status_code, response.data["resolved_by"], response.data["resolution"]) == (200, "lead", "removed")
    assert api.delete(f"/api/v1/flags/{flag_id}/").status_code == 400  # resolved: part of the record
    assert client_for(lead).post(f"/api/v1/flags/{flag_id}/resolve/", {}, format="json").status_code == 400


def test_api_refuses_flags_on_articles_not_assigned_and_bad_input(assigned, reviewer2, reviewer, sample_article):
    response = client_for(reviewer2).post(
        "/api/v1/flags/", {"article": sample_article.pk, "reason": "not_news"}, format="json"
    )
    assert response.status_code == 403
    api = client_for(reviewer)
    response = api.post("/api/v1/flags/", {"article": sample_article.pk, "reason": "other"}, format="json")
    assert (response.status_code, response.json()) == (400, {"note": "say what the problem is"})
    response = api.post("/api/v1/flags/", {"article": sample_article.pk, "reason": "x", "extra": 1}, format="json")
    assert response.status_code == 400
    assert set(response.data) == {"extra"}  # unknown fields are named first
    assert not Flag.objects.exists()


def test_an_article_with_flags_but_no_marks_yet_is_in_progress_in_the_queue(client, assigned, reviewer, sample_article):
    client.force_login(reviewer)
    assert "not started" in client.get(reverse("annotate:queue")).content.decode()
    flag_problem(
        reviewer=reviewer, article=sample_article, sentence=sample_article.sentences.get(position=0), reason="bad_split"
    )
    status = client.get(reverse("annotate:queue")).content.decode()
    assert "in progress" in status
    assert "not started" not in status


def test_continue_and_queue_skip_flagged_sentences(client, assigned, reviewer, sample_article):
    mark_except(reviewer, sample_article, {0, 5})
    flag_problem(
        reviewer=reviewer, article=sample_article, sentence=sample_article.sentences.get(position=0), reason="bad_split"
    )
    client.force_login(reviewer)
    assert client.get(reverse("annotate:continue")).url.endswith("#s-5")
    assert "in progress" in client.get(reverse("annotate:queue")).content.decode()
    flag_problem(
        reviewer=reviewer,
        article=sample_article,
        sentence=sample_article.sentences.get(position=5),
        reason="other",
        note="a caption",
    )
    assert "ready to submit" in client.get(reverse("annotate:queue")).content.decode()
    assert client.get(reverse("annotate:continue")).url.endswith("#submit")


def test_leads_see_open_flags_and_resolve_them_on_the_flags_page(client, assigned, reviewer, lead, sample_article):
    sentence = sample_article.sentences.get(position=7)
    flag = flag_problem(reviewer=reviewer, article=sample_article, sentence=sentence, reason="bad_split", note="cut")
    client.force_login(lead)
    html = client.get(reverse("annotate:flags")).content.decode()
    assert "Bad sentence split" in html
    assert "sentence 8" in html
    assert "“cut”" in html
    assert f"#s-{sentence.position}" in html
    response = client.post(
        reverse("annotate:resolve-flag", args=[flag.pk]),
        {"resolution": "split fixed", "next": "https://evil.example/"},
        follow=True,
    )
    assert response.redirect_chain[-1][0] == reverse("annotate:flags")  # never off-site
    assert "No open flags." in response.content.decode()
    flag.refresh_from_db()
    assert (flag.resolved_by, flag.resolution) == (lead, "split fixed")
    assert "split fixed" in client.get(reverse("annotate:flags") + "?show=resolved").content.decode()


def test_the_flag_admin_lists_and_resolves(client, reviewer, lead, sample_article):
    lead.is_superuser = True
    lead.save()
    flag = flag_problem(reviewer=reviewer, article=sample_article, reason="duplicate")
    client.force_login(lead)
    assert client.get(reverse("admin:annotate_flag_changelist")).status_code == 200
    assert client.get(reverse("admin:annotate_flag_change", args=[flag.pk])).status_code == 200
    client.post(
        reverse("admin:annotate_flag_changelist"), {"action": "resolve", "_selected_action": [flag.pk]}, follow=True
    )
    flag.refresh_from_db()
    assert flag.resolved_by == lead
