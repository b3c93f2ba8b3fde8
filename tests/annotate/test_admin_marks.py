"""Issue 11 finding 5 (last part): an admin edit of a mark goes through the one write path: it bumps
the version, writes a revision naming the lead, and is refused when the mark changed since the form
was opened (no silent overwrite of a newer value, in either direction)."""

import pytest
from django.urls import reverse

from annotate.models import AnnotationRevision, Assignment
from annotate.services import MarkInput, save_annotation

from .test_article_text import browser_post_data

pytestmark = pytest.mark.django_db


@pytest.fixture
def mark(sample_article, reviewer):
    Assignment.objects.create(article=sample_article, reviewer=reviewer)
    sentence = sample_article.sentences.get(text__contains="The White Helmets")
    return save_annotation(reviewer=reviewer, sentence=sentence, mark=MarkInput(label="claim"), changed_by=reviewer)[0]


@pytest.fixture
def admin_client(client, lead):
    client.force_login(lead)
    return client


def _url(mark):
    return reverse("admin:annotate_annotation_change", args=[mark.pk])


def test_an_admin_edit_bumps_the_version_and_writes_a_revision(admin_client, mark, lead):
    data = browser_post_data(admin_client.get(_url(mark)))
    data.update(label="analysis", note="corrected by a lead", cue_start=49, cue_end=57)
    response = admin_client.post(_url(mark), data)
    assert response.status_code == 302, response.content[:3000]
    mark.refresh_from_db()
    assert (mark.label, mark.version, mark.cue_span, mark.origin) == ("analysis", 2, (49, 57), "admin")
    revision = AnnotationRevision.objects.filter(annotation=mark).latest("id")
    assert (revision.action, revision.version, revision.label, revision.changed_by) == ("update", 2, "analysis", lead)


def test_an_admin_edit_of_a_mark_changed_meanwhile_is_refused(admin_client, mark, reviewer):
    data = browser_post_data(admin_client.get(_url(mark)))  # the lead opens the form at version 1
    save_annotation(
        reviewer=reviewer,
        sentence=mark.sentence,
        mark=MarkInput(label="other"),
        expected_version=1,
        changed_by=reviewer,
    )
    data.update(label="analysis")
    response = admin_client.post(_url(mark), data)
    assert response.status_code == 200
    assert "This mark changed since you opened it (now version 2)" in response.content.decode()
    mark.refresh_from_db()
    assert (mark.label, mark.version) == ("other", 2)
    assert AnnotationRevision.objects.filter(annotation=mark).count() == 2


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"cue_start": 5, "cue_end": 500}, "must satisfy 0 &lt;= start &lt; end"),
        ({"cue_start": 5}, "give both ends of the cue span"),
        ({"label": "attribution"}, "an attribution needs a source"),
    ],
)
def test_an_invalid_admin_edit_is_a_form_error_and_writes_nothing(admin_client, mark, change, message):
    data = browser_post_data(admin_client.get(_url(mark)))
    data.update(change)
    response = admin_client.post(_url(mark), data)
    assert response.status_code == 200
    assert message in response.content.decode()
    mark.refresh_from_db()
    assert (mark.label, mark.version) == ("claim", 1)


def test_marks_are_neither_added_nor_deleted_in_the_admin(admin_client, mark):
    assert admin_client.get(reverse("admin:annotate_annotation_add")).status_code == 403
    assert (
        admin_client.post(reverse("admin:annotate_annotation_delete", args=[mark.pk]), {"post": "yes"}).status_code
        == 403
    )
    assert admin_client.get(_url(mark)).status_code == 200


def test_an_assignment_added_in_the_admin_names_the_lead_who_added_it(admin_client, sample_article, lead, reviewer):
    """`assigned_by` is a record of who assigned, as the assign page and command keep it: the
    admin fills it with the signed-in lead and offers no field to name someone else."""
    url = reverse("admin:annotate_assignment_add")
    form = {"article": sample_article.pk, "reviewer": reviewer.pk, "assigned_by": reviewer.pk}
    form.update({"events-TOTAL_FORMS": "0", "events-INITIAL_FORMS": "0"})
    assert 'name="assigned_by"' not in admin_client.get(url).content.decode()
    assert admin_client.post(url, form).status_code == 302
    assignment = Assignment.objects.get(article=sample_article, reviewer=reviewer)
    assert assignment.assigned_by == lead
    change = reverse("admin:annotate_assignment_change", args=[assignment.pk])
    assert 'name="assigned_by"' not in admin_client.get(change).content.decode()
