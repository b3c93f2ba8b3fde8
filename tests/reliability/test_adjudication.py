"""Adjudication: the queue lists only disputes; a decision changes the gold label; who and when
are kept, and a re-decision keeps the previous value."""

import json

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from annotate.codebook import Label, SourceKind
from annotate.models import Adjudication
from reliability import queries
from reliability.services import adjudicate_sentence


@pytest.fixture
def disputes(build):
    outlet = build.outlet("d.example")
    article = build.article(outlet, 4)
    s = list(article.sentences.order_by("position"))
    a, b = build.source("Ministry", SourceKind.GOVERNMENT), build.source("Rebels", SourceKind.ORGANISATION)
    build.marks(s[0], [Label.CLAIM, Label.ANALYSIS])  # labels disagree
    build.marks(s[1], [Label.ATTRIBUTION, Label.ATTRIBUTION], [a, b])  # sources disagree
    build.marks(s[2], [Label.CLAIM, Label.CLAIM])  # unanimous
    build.marks(s[3], [Label.OTHER])  # single mark
    return s, a, b


def gold(sentence):
    row = queries.sentences_with_label_source().get(pk=sentence.pk)
    return row.gold_label, row.label_source, row.gold_source


def test_queue_lists_only_disputed_sentences(disputes):
    s, _, _ = disputes
    assert list(queries.disputed_sentences().values_list("pk", flat=True)) == [s[0].pk, s[1].pk]


def test_resolving_changes_the_gold_label_and_leaves_the_queue(disputes, lead):
    s, a, _ = disputes
    adjudication, created = adjudicate_sentence(sentence=s[0], label=Label.ANALYSIS, lead=lead)
    assert created
    assert adjudication.lead == lead
    assert adjudication.decided_at is not None
    assert gold(s[0]) == (Label.ANALYSIS, "adjudicated", None)
    adjudicate_sentence(sentence=s[1], label=Label.ATTRIBUTION, source=a, lead=lead)
    assert gold(s[1]) == (Label.ATTRIBUTION, "adjudicated", a.pk)
    assert not queries.disputed_sentences().exists()


def test_re_adjudication_keeps_the_previous_value(disputes, lead, make_user):
    s, _, _ = disputes
    other_lead = make_user("lead2", lead=True)
    adjudicate_sentence(sentence=s[0], label=Label.ANALYSIS, lead=lead, note="context")
    adjudication, created = adjudicate_sentence(sentence=s[0], label=Label.CLAIM, lead=other_lead)
    assert not created
    assert adjudication.lead == other_lead
    assert adjudication.label == Label.CLAIM
    assert adjudication.note.startswith("context\nprevious: analysis by lead at ")


def test_bad_decisions_write_nothing(disputes, lead, reviewer):
    s, a, _ = disputes
    with pytest.raises(ValidationError, match="only leads"):
        adjudicate_sentence(sentence=s[0], label=Label.CLAIM, lead=reviewer)
    with pytest.raises(ValidationError, match="needs a source"):
        adjudicate_sentence(sentence=s[0], label=Label.ATTRIBUTION, lead=lead)
    with pytest.raises(ValidationError, match="only an attribution"):
        adjudicate_sentence(sentence=s[0], label=Label.CLAIM, source=a, lead=lead)
    with pytest.raises(ValidationError, match="codebook"):
        adjudicate_sentence(sentence=s[0], label="opinion", lead=lead)
    assert not Adjudication.objects.exists()


def test_queue_page_is_for_leads_and_resolves_by_post(client, disputes, lead, reviewer, django_assert_max_num_queries):
    s, a, b = disputes
    url = reverse("reliability:adjudicate")
    client.force_login(reviewer)
    assert client.get(url).status_code == 403
    client.force_login(lead)
    with django_assert_max_num_queries(10):
        html = client.get(url).content.decode()
    assert f'id="d-{s[0].pk}"' in html
    assert f'id="d-{s[1].pk}"' in html
    assert "Ministry" in html
    assert "Rebels" in html
    assert 'data-key="2"' in html
    assert "adjudicate.js" in html
    response = client.post(
        reverse("reliability:adjudicate-sentence", args=[s[1].pk]), {"label": "attribution", "source": b.pk}
    )
    assert response.status_code == 302
    assert gold(s[1]) == (Label.ATTRIBUTION, "adjudicated", b.pk)
    assert Adjudication.objects.get(sentence=s[1]).lead == lead


def test_source_keys_restart_for_each_dispute(client, build, lead):
    outlet = build.outlet("k.example")
    article = build.article(outlet, 2)
    sources = [build.source(name, SourceKind.PERSON) for name in ("P1", "P2", "P3", "P4")]
    first, second = article.sentences.order_by("position")
    build.marks(first, [Label.ATTRIBUTION, Label.ATTRIBUTION], sources[:2])
    build.marks(second, [Label.ATTRIBUTION, Label.ATTRIBUTION], sources[2:])
    client.force_login(lead)
    html = client.get(reverse("reliability:adjudicate")).content.decode()
    assert html.count('data-key="a"') == 2
    assert html.count('data-key="b"') == 2
    assert 'data-key="c"' not in html


@pytest.mark.parametrize("body", [[], ["claim"], "claim", 3])
def test_api_answers_a_non_object_body_with_400(client, lead, body):
    client.force_login(lead)
    response = client.post("/api/v1/adjudications/", data=json.dumps(body), content_type="application/json")
    assert response.status_code == 400
    assert "Expected a JSON object" in response.content.decode()


def test_the_admin_settles_through_the_same_rules_and_keeps_the_history(client, disputes, lead, make_user, reviewer):
    """A lead's change in the admin is a re-adjudication like any other: the codebook's source rule
    holds, the lead is whoever saved it (not a field to pick), and the previous value is kept."""
    s, a, _ = disputes
    adjudicate_sentence(sentence=s[1], label=Label.ATTRIBUTION, source=a, lead=lead, note="context")
    adjudication = Adjudication.objects.get(sentence=s[1])
    other_lead = make_user("lead2", lead=True)
    client.force_login(other_lead)
    url = reverse("admin:annotate_adjudication_change", args=[adjudication.pk])
    form = {"sentence": s[1].pk, "label": "claim", "source": a.pk, "note": adjudication.note, "lead": reviewer.pk}
    response = client.post(url, form)
    assert response.status_code == 200  # the form again, with the error
    assert "only an attribution has a source" in response.content.decode()
    adjudication.refresh_from_db()
    assert (adjudication.label, adjudication.source_id, adjudication.lead) == (Label.ATTRIBUTION, a.pk, lead)
    assert client.post(url, {**form, "source": ""}).status_code == 302
    adjudication.refresh_from_db()
    assert (adjudication.label, adjudication.source_id, adjudication.lead) == (Label.CLAIM, None, other_lead)
    assert adjudication.note.startswith("context\nprevious: attribution (Ministry) by lead at ")
    add = client.post(reverse("admin:annotate_adjudication_add"), {"sentence": s[0].pk, "label": "attribution"})
    assert add.status_code == 200
    assert "an attribution needs a source" in add.content.decode()
    add = client.post(reverse("admin:annotate_adjudication_add"), {"sentence": s[0].pk, "label": "analysis"})
    assert add.status_code == 302
    assert Adjudication.objects.get(sentence=s[0]).lead == other_lead
