import json

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from annotate.models import Annotation, AnnotationRevision, Assignment
from config.tokens import issue_token

pytestmark = pytest.mark.django_db
LIST = "/api/v1/annotations/"


def detail(pk: int) -> str:
    return reverse("api:annotation-detail", args=[pk])


def sentence(article, position: int = 7):
    return article.sentences.get(position=position)


def create(client, sentence_id: int, **fields):
    return client.post(LIST, {"sentence": sentence_id, "label": "claim", **fields}, format="json")


def test_create_returns_the_mark_with_its_version_as_etag(reviewer_client, assigned_article, source):
    s = sentence(assigned_article)
    response = create(
        reviewer_client,
        s.pk,
        label="attribution",
        source=source.pk,
        source_span=[0, 17],
        cue_span=[49, 57],
        note="n",
        from_suggestion=True,
        suggestion_version="rules-1",
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert response["ETag"] == '"1"'
    assert set(body) == {
        "id",
        "sentence",
        "reviewer",
        "label",
        "source",
        "source_span",
        "cue_span",
        "note",
        "from_suggestion",
        "suggestion_version",
        "origin",
        "provisional",
        "version",
        "created",
        "updated",
    }
    assert body["reviewer"] == "reviewer1"
    assert body["provisional"] is True  # the assignment is not submitted: the mark counts nowhere yet
    assert body["source_span"] == [0, 17]
    assert body["cue_span"] == [49, 57]
    assert body["origin"] == "web"
    assert body["version"] == 1
    assert body["from_suggestion"] is True


def test_token_clients_write_with_origin_api(reviewer, assigned_article):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {issue_token(reviewer)[1]}")
    response = create(client, sentence(assigned_article).pk)
    assert response.status_code == 201
    assert response.json()["origin"] == "api"


def test_second_create_on_the_same_sentence_is_a_conflict_with_the_current_mark(reviewer_client, assigned_article):
    s = sentence(assigned_article)
    create(reviewer_client, s.pk)
    response = create(reviewer_client, s.pk, label="analysis")
    assert response.status_code == 409
    assert response.json()["current"]["label"] == "claim"
    assert "detail" in response.json()
    assert Annotation.objects.get().label == "claim"


def test_unassigned_reviewer_cannot_mark(make_user, sample_article):
    outsider = make_user("outsider")
    response = create(APIClient(), sentence(sample_article).pk)
    assert response.status_code == 403
    client = APIClient()
    client.force_authenticate(outsider)
    assert create(client, sentence(sample_article).pk).status_code == 403
    assert Annotation.objects.count() == 0


def test_change_with_if_match_and_with_version_field(reviewer_client, assigned_article):
    pk = create(reviewer_client, sentence(assigned_article).pk).json()["id"]
    response = reviewer_client.patch(detail(pk), {"label": "analysis"}, format="json", HTTP_IF_MATCH='"1"')
    assert response.status_code == 200
    assert response["ETag"] == '"2"'
    response = reviewer_client.patch(detail(pk), {"note": "why", "version": 2}, format="json")
    assert response.status_code == 200
    assert response.json()["label"] == "analysis"
    assert response.json()["note"] == "why"
    response = reviewer_client.put(
        detail(pk), {"sentence": response.json()["sentence"], "label": "other", "version": 3}, format="json"
    )
    assert response.status_code == 200
    assert response.json()["note"] == ""
    assert response.json()["version"] == 4
    actions = list(AnnotationRevision.objects.values_list("action", "label"))
    assert actions == [("create", "claim"), ("update", "analysis"), ("update", "analysis"), ("update", "other")]


def test_two_clients_editing_the_same_version_lose_nothing(reviewer, assigned_article):
    first, second = APIClient(), APIClient()
    first.force_authenticate(reviewer)
    second.force_authenticate(reviewer)
    created = create(first, sentence(assigned_article).pk)
    pk, etag = created.json()["id"], created["ETag"]
    assert second.get(detail(pk))["ETag"] == etag
    assert first.patch(detail(pk), {"label": "analysis"}, format="json", HTTP_IF_MATCH=etag).status_code == 200
    stale = second.patch(detail(pk), {"label": "other"}, format="json", HTTP_IF_MATCH=etag)
    assert stale.status_code == 412
    assert stale.json()["current"]["label"] == "analysis"
    assert stale.json()["current"]["version"] == 2
    stale = second.patch(detail(pk), {"label": "other", "version": 1}, format="json")
    assert stale.status_code == 409
    assert stale.json()["current"]["version"] == 2
    assert Annotation.objects.get().label == "analysis"


def test_change_without_a_version_is_refused(reviewer_client, assigned_article):
    pk = create(reviewer_client, sentence(assigned_article).pk).json()["id"]
    response = reviewer_client.patch(detail(pk), {"label": "analysis"}, format="json")
    assert response.status_code == 428
    assert Annotation.objects.get().label == "claim"


def test_delete_with_stale_if_match_is_refused_and_history_stays(reviewer_client, assigned_article):
    pk = create(reviewer_client, sentence(assigned_article).pk).json()["id"]
    reviewer_client.patch(detail(pk), {"label": "analysis", "version": 1}, format="json")
    assert reviewer_client.delete(detail(pk), HTTP_IF_MATCH='"1"').status_code == 412
    assert reviewer_client.delete(detail(pk), HTTP_IF_MATCH='"2"').status_code == 204
    assert Annotation.objects.count() == 0
    assert list(AnnotationRevision.objects.values_list("action", flat=True)) == ["create", "update", "delete"]


def test_reviewer_changes_only_their_own_marks(reviewer_client, reviewer2, assigned_article):
    pk = create(reviewer_client, sentence(assigned_article).pk).json()["id"]
    other = APIClient()
    other.force_authenticate(reviewer2)
    assert other.patch(detail(pk), {"label": "other", "version": 1}, format="json").status_code == 404
    Assignment.objects.filter(reviewer=reviewer2).update(submitted_at="2024-12-01T00:00Z")
    assert other.get(detail(pk)).status_code == 404  # reviewer1's mark is still in progress: theirs alone
    Assignment.objects.update(submitted_at="2024-12-01T00:00Z")
    assert other.get(detail(pk)).status_code == 200  # visible once both submitted...
    assert other.patch(detail(pk), {"label": "other", "version": 1}, format="json").status_code == 403
    assert other.delete(detail(pk)).status_code == 403  # ...but never writable
    assert Annotation.objects.get().label == "claim"


def test_lead_may_correct_a_mark_and_history_names_the_lead(reviewer_client, lead_client, assigned_article):
    pk = create(reviewer_client, sentence(assigned_article).pk).json()["id"]
    response = lead_client.patch(detail(pk), {"label": "analysis", "version": 1}, format="json")
    assert response.status_code == 200
    assert response.json()["reviewer"] == "reviewer1"
    history = reviewer_client.get(reverse("api:annotation-history", args=[pk])).json()["results"]
    assert [(h["action"], h["changed_by"]) for h in history] == [("create", "reviewer1"), ("update", "lead")]


def test_blind_rule_hides_colleagues_marks_until_own_assignment_is_submitted(
    reviewer_client, reviewer2, assigned_article
):
    create(reviewer_client, sentence(assigned_article).pk)
    other = APIClient()
    other.force_authenticate(reviewer2)
    create(other, sentence(assigned_article, 8).pk)
    url = f"{LIST}?article={assigned_article.pk}"
    assert [a["reviewer"] for a in other.get(url).json()["results"]] == ["reviewer2"]
    assert other.get(url + "&reviewer=reviewer1").json()["count"] == 0
    Assignment.objects.filter(reviewer=reviewer2).update(submitted_at="2024-12-01T00:00Z")
    # reviewer2 submitted, reviewer1 not: reviewer1's marks are in progress, seen by nobody else,
    # and reviewer1 still sees only their own.
    assert [a["reviewer"] for a in other.get(url).json()["results"]] == ["reviewer2"]
    assert [a["reviewer"] for a in reviewer_client.get(url).json()["results"]] == ["reviewer1"]
    Assignment.objects.filter(reviewer__username="reviewer1").update(submitted_at="2024-12-01T00:00Z")
    results = other.get(url).json()["results"]
    assert sorted((a["reviewer"], a["provisional"]) for a in results) == [("reviewer1", False), ("reviewer2", False)]
    assert sorted(a["reviewer"] for a in reviewer_client.get(url).json()["results"]) == ["reviewer1", "reviewer2"]


def test_filters_by_label_reviewer_outlet_and_date(reviewer_client, lead_client, assigned_article):
    create(reviewer_client, sentence(assigned_article, 1).pk, label="claim")
    create(reviewer_client, sentence(assigned_article, 2).pk, label="analysis")
    get = lambda query: lead_client.get(f"{LIST}?{query}").json()  # noqa: E731
    assert get("label=analysis")["count"] == 1
    assert get("reviewer=reviewer1")["count"] == 2
    assert get("reviewer=nobody")["count"] == 0
    assert get(f"outlet={assigned_article.outlet_id}")["count"] == 2
    assert get("created_after=2000-01-01T00:00:00Z&ordering=-created")["count"] == 2
    assert get("created_before=2000-01-01T00:00:00Z")["count"] == 0
    assert lead_client.get(f"{LIST}?label=rumour").status_code == 400
    assert "created_after" in lead_client.get(f"{LIST}?created_after=yesterday").json()


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"label": "rumour"}, "label"),
        ({"label": "attribution"}, "source"),
        ({"source_span": [5, 2]}, "source_span"),
        ({"cue_span": [0, 10_000]}, "cue_span"),
        ({"cue_span": [-1, 3]}, "cue_span"),
        ({"cue_span": [1, 2, 3]}, "cue_span"),
        ({"cue_span": "0-3"}, "cue_span"),
        ({"source": 999_999}, "source"),
        ({"sentence": 999_999}, "sentence"),
        ({"labell": "claim"}, "labell"),
        ({"note": 5 * ["x"]}, "note"),
    ],
)
def test_invalid_marks_are_400_naming_the_field_and_write_nothing(reviewer_client, assigned_article, fields, field):
    body = {"sentence": sentence(assigned_article).pk, "label": "claim", **fields}
    response = reviewer_client.post(LIST, body, format="json")
    assert response.status_code == 400, response.json()
    assert field in response.json()
    assert Annotation.objects.count() == 0
    assert AnnotationRevision.objects.count() == 0


def test_malformed_json_is_a_400(reviewer_client, assigned_article):
    response = reviewer_client.post(LIST, '{"sentence": 1,', content_type="application/json")
    assert response.status_code == 400
    assert "JSON" in response.json()["detail"]
    response = reviewer_client.post(LIST, "[1, 2]", content_type="application/json")
    assert response.status_code == 400
    assert "non_field_errors" in response.json()


def test_oversized_body_is_refused_before_parsing(reviewer_client, assigned_article, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    body = json.dumps({"sentence": sentence(assigned_article).pk, "label": "claim", "note": "x" * 2000})
    response = reviewer_client.post(LIST, body, content_type="application/json")
    assert response.status_code == 413
    assert "limit" in response.json()["detail"]
    assert Annotation.objects.count() == 0


def test_form_bodies_are_unsupported_not_errors(reviewer_client, assigned_article):
    response = reviewer_client.post(LIST, {"sentence": sentence(assigned_article).pk, "label": "claim"})
    assert response.status_code == 415


def test_stale_patch_with_bad_if_match_is_412(reviewer_client, assigned_article):
    pk = create(reviewer_client, sentence(assigned_article).pk).json()["id"]
    response = reviewer_client.patch(detail(pk), {"label": "other"}, format="json", HTTP_IF_MATCH="garbage")
    assert response.status_code == 412
    assert response.json()["current"]["version"] == 1


def test_mark_cannot_move_to_another_sentence(reviewer_client, assigned_article):
    pk = create(reviewer_client, sentence(assigned_article).pk).json()["id"]
    response = reviewer_client.patch(
        detail(pk), {"sentence": sentence(assigned_article, 2).pk, "version": 1}, format="json"
    )
    assert response.status_code == 400
    assert "sentence" in response.json()
