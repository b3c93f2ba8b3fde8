"""Claim pages, the article and outlet pages' links, and the leads' actions over HTTP."""

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse

from annotate.models import Sentence
from claims import services
from claims.models import ArticleLink, ClaimDecision, ClaimGroup

from .conftest import OTHER, REUTERS, REWRITE

pytestmark = pytest.mark.django_db


@pytest.fixture
def corpus(ingest):
    original = ingest(REUTERS, "reuters.com", "2024-12-01", title="Rebels seize Aleppo airport")
    rewrite = ingest(REWRITE + "\nOriginal Source: reuters.com", "levantdigest.example", "2024-12-02",
                     title="Aleppo airport falls")  # fmt: skip
    ingest(OTHER, "bbc.co.uk", "2024-12-03", title="Bread queues")
    services.match_corpus()
    return original, rewrite


def test_a_claim_page_lists_outlets_first_reporter_first_with_status(client, corpus):
    group = ClaimGroup.objects.order_by("pk").first()
    response = client.get(reverse("claims:detail", args=[group.pk]))
    assert response.status_code == 200
    html = response.content.decode()
    assert html.index("reuters.com") < html.index("levantdigest.example")
    assert "<strong>first</strong>" in html
    assert "Unsourced" in html or "unsourced" in html
    assert "Lead actions" not in html


def test_the_claims_list_filters_by_outlet_and_status(client, corpus, django_assert_max_num_queries):
    with django_assert_max_num_queries(8):
        response = client.get(reverse("claims:list"), {"outlet": "levantdigest.example"})
    assert response.status_code == 200
    assert response.content.decode().count('href="/claims/') >= ClaimGroup.objects.count()
    response = client.get(reverse("claims:list"), {"status": "corroborated"})
    assert "No claim is carried" in response.content.decode()
    assert client.get(reverse("claims:list"), {"published_after": "not a date"}).status_code == 200


def test_pages_follow_public_scores(client, corpus, settings, reviewer):
    settings.PUBLIC_SCORES = False
    url = reverse("claims:detail", args=[ClaimGroup.objects.first().pk])
    assert client.get(url).status_code == 302
    client.force_login(reviewer)
    assert client.get(url).status_code == 200
    assert client.get(reverse("claims:review")).status_code == 403


def test_article_and_outlet_pages_show_the_links(client, corpus, lead):
    original, rewrite = corpus
    html = client.get(reverse("claims:article", args=[rewrite.pk])).content.decode()
    assert "declared credit" in html
    assert "detected rewrite" in html
    assert "Original Source: reuters.com" in html
    html = client.get(reverse("claims:article", args=[original.pk])).content.decode()
    assert "Restated by" in html
    assert "original reporting as far as Sourcemark can tell" in html
    html = client.get(reverse("reliability:outlet-detail", args=["levantdigest.example"])).content.decode()
    assert "Original reporting: <strong>0 of 1 article</strong> (0.0%)" in html
    client.force_login(lead)
    html = client.get(reverse("annotate:article", args=[rewrite.pk])).content.decode()
    assert 'id="rewrite-links"' in html
    assert "Rebels seize Aleppo airport" in html


def test_a_lead_confirms_a_link_and_splits_and_merges_groups(client, corpus, lead):
    _original, rewrite = corpus
    client.force_login(lead)
    link = ArticleLink.objects.get(article=rewrite, kind="detected")
    response = client.post(
        reverse("claims:review-link", args=[link.pk]), {"decision": "confirm", "next": "//evil.example/"}
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("claims:review")
    link.refresh_from_db()
    assert (link.status, link.decided_by) == ("confirmed", lead)

    first, second = ClaimGroup.objects.order_by("pk")[:2]
    response = client.post(reverse("claims:merge", args=[first.pk]), {"other": second.pk})
    assert response.status_code == 302
    assert ClaimGroup.objects.get(pk=first.pk).members.count() == 4
    moved = ClaimGroup.objects.get(pk=first.pk).members.order_by("sentence_id").last().sentence_id
    response = client.post(reverse("claims:split", args=[first.pk]), {"sentences": [moved], "note": "no"})
    assert response.status_code == 302
    assert (
        ClaimDecision.objects.filter(kind="apart", second_id=moved).exists()
        or ClaimDecision.objects.filter(kind="apart", first_id=moved).exists()
    )
    html = client.get(reverse("claims:detail", args=[first.pk])).content.decode()
    assert "Lead actions" in html


def test_reviewers_cannot_change_groups_or_links(client, corpus, reviewer):
    client.force_login(reviewer)
    group = ClaimGroup.objects.first()
    link = ArticleLink.objects.first()
    assert client.post(reverse("claims:merge", args=[group.pk]), {"other": group.pk}).status_code == 403
    assert client.post(reverse("claims:review-link", args=[link.pk]), {"decision": "confirm"}).status_code == 403
    assert client.post(reverse("claims:decide-pair"), {"first": 1, "second": 2, "same": "yes"}).status_code == 403
    assert not ClaimDecision.objects.exists()


def test_lead_pages_send_anonymous_visitors_to_sign_in(client, corpus):
    """The leads' claim pages and actions share the one gate of every lead page
    (`annotate.roles.lead_required`): anonymous visitors are sent to sign in, not refused."""
    group = ClaimGroup.objects.first()
    sentence = group.members.first().sentence
    link = ArticleLink.objects.first()
    login = reverse("login")
    assert client.get(reverse("claims:review"))["Location"].startswith(login)
    posts = [
        reverse("claims:decide-pair"),
        reverse("claims:merge", args=[group.pk]),
        reverse("claims:split", args=[group.pk]),
        reverse("claims:detach", args=[group.pk, sentence.pk]),
        reverse("claims:review-link", args=[link.pk]),
    ]
    for url in posts:
        response = client.post(url)
        assert response.status_code == 302, url
        assert response["Location"].startswith(login), url
    assert client.get(reverse("claims:merge", args=[group.pk])).status_code == 405


def test_bad_lead_input_is_a_message_not_an_error(client, corpus, lead):
    client.force_login(lead)
    group = ClaimGroup.objects.first()
    response = client.post(reverse("claims:merge", args=[group.pk]), {"other": group.pk}, follow=True)
    assert "cannot be merged with itself" in response.content.decode()
    response = client.post(reverse("claims:merge", args=[group.pk]), {"other": 999999}, follow=True)
    assert "There is no claim 999999" in response.content.decode()
    response = client.post(reverse("claims:split", args=[group.pk]), {"sentences": ["x"]}, follow=True)
    assert "Choose the sentences" in response.content.decode()
    assert not ClaimDecision.objects.exists()


def test_the_review_queue_lists_pending_links_for_leads(client, corpus, lead):
    client.force_login(lead)
    response = client.get(reverse("claims:review"))
    assert response.status_code == 200
    assert "Links not reviewed yet" in response.content.decode()
    assert "Aleppo airport falls" in response.content.decode()


def test_claim_pages_number_sentences_as_every_other_page_does(client, corpus):
    """Issue 14 item 4: one numbering everywhere (reviewable sentences, from 1), here too; the
    claim and article pages counted `position + 1`, which counts lines nobody reviews."""
    member = Sentence.objects.filter(claim_membership__isnull=False, position__gt=0).order_by("pk").first()
    assert member is not None
    group = member.claim_membership.group
    # A line before it nobody reviews (a dateline, say): position + 1 and the number now differ.
    Sentence.objects.filter(article=member.article, position=0).update(reviewable=False)
    number = Sentence.objects.with_number().get(pk=member.pk).number
    assert number == member.position
    html = client.get(reverse("claims:detail", args=[group.pk])).content.decode()
    title = member.article.title
    assert f"{title}</a>, sentence {number}\n" in html
    assert f"{title}</a>, sentence {member.position + 1}\n" not in html
    html = client.get(reverse("claims:article", args=[member.article_id])).content.decode()
    assert f'<li value="{number}">{member.text}' in html


def test_lead_messages_number_sentences_as_the_pages_do(client, corpus, lead):
    """A decided pair or a detached sentence is named as the pages name it ("sentence 2 of
    “title”"), not by its database id ("Sentences 57 and 12")."""
    client.force_login(lead)
    group = ClaimGroup.objects.order_by("pk").first()
    first, second = (m.sentence for m in group.members.select_related("sentence__article").order_by("sentence_id")[:2])
    numbers = dict(Sentence.objects.with_number().filter(pk__in=[first.pk, second.pk]).values_list("pk", "number"))
    response = client.post(reverse("claims:decide-pair"), {"first": first.pk, "second": second.pk, "same": "no"})
    text = [str(message) for message in get_messages(response.wsgi_request)][-1]
    assert text.startswith(f"Sentence {numbers[first.pk]} of “{first.article.title}” and ")
    assert f" and sentence {numbers[second.pk]} of “{second.article.title}”: not the same claim" in text
    assert f"Sentences {first.pk} and {second.pk}" not in text
    member = ClaimGroup.objects.order_by("pk").first().members.select_related("sentence__article").first().sentence
    number = Sentence.objects.with_number().get(pk=member.pk).number
    response = client.post(reverse("claims:detach", args=[member.claim_membership.group_id, member.pk]))
    text = [str(message) for message in get_messages(response.wsgi_request)][-1]
    assert text.startswith(f"Sentence {number} of “{member.article.title}” is in no claim group now")
