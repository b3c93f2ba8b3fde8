"""The reviewer pages: queue, continue, the annotation page's embedded state, blind review,
the leads' assign and progress pages."""

import json
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from annotate.codebook import Label, SourceKind
from annotate.ingest import ingest_articles, parse_plain_text
from annotate.models import Annotation, Article, Assignment, Source
from annotate.presenters import sentences_per_hour
from annotate.services import MarkInput, save_annotation, submit_assignment


def page_state(response) -> dict:
    html = response.content.decode()
    start = html.index('<script id="annotate-state" type="application/json">') + len(
        '<script id="annotate-state" type="application/json">'
    )
    return json.loads(html[start : html.index("</script>", start)])


def mark(reviewer, article, position: int, label: str = Label.CLAIM, **extra):
    sentence = article.sentences.get(position=position)
    return save_annotation(reviewer=reviewer, sentence=sentence, mark=MarkInput(label=label, **extra))[0]


def mark_all(reviewer, article, label: str = Label.ANALYSIS) -> None:
    for sentence in article.sentences.filter(reviewable=True):
        save_annotation(reviewer=reviewer, sentence=sentence, mark=MarkInput(label=label))


def make_article(n_sentences: int, name: str = "long") -> Article:
    text = " ".join(f"Sentence number {i} of the {name} article says something new." for i in range(n_sentences))
    item = parse_plain_text(
        text.encode(),
        origin=f"{name}.txt",
        outlet="example.org",
        url=f"https://example.org/{name}",
        title=f"The {name} article",
    )
    return ingest_articles([item])[0].article


@pytest.mark.django_db
def test_queue_lists_my_articles_with_progress_and_a_continue_link(client, reviewer, sample_article):
    Assignment.objects.create(article=sample_article, reviewer=reviewer)
    mark(reviewer, sample_article, 0)
    mark(reviewer, sample_article, 1)
    client.force_login(reviewer)
    response = client.get(reverse("annotate:queue"))
    assert response.status_code == 200
    html = response.content.decode()
    assert sample_article.title in html
    assert "2 / 19" in html
    assert "news.sky.com" in html
    assert reverse("annotate:continue") in html


@pytest.mark.django_db
def test_queue_lists_open_articles_before_submitted_ones_on_every_database(client, reviewer):
    """Submitted work goes to the bottom of the queue. The order was `submitted_at` ascending, and
    PostgreSQL puts the open ones (NULL) last where SQLite puts them first."""
    first, second, third = (make_article(2, name) for name in ("first", "second", "third"))
    for article in (first, second, third):
        Assignment.objects.create(article=article, reviewer=reviewer)
    mark_all(reviewer, first)
    submit_assignment(assignment=Assignment.objects.get(article=first))
    client.force_login(reviewer)
    html = client.get(reverse("annotate:queue")).content.decode()
    positions = [html.index(article.title) for article in (second, third, first)]
    assert positions == sorted(positions)


@pytest.mark.django_db
def test_queue_needs_login(client):
    response = client.get(reverse("annotate:queue"))
    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))


@pytest.mark.django_db
def test_continue_goes_to_the_first_unmarked_sentence_of_the_next_unfinished_article(client, reviewer, sample_article):
    other = make_article(3, "second")
    done = Assignment.objects.create(article=other, reviewer=reviewer)
    mark_all(reviewer, other)
    submit_assignment(assignment=done)
    Assignment.objects.create(article=sample_article, reviewer=reviewer)
    mark(reviewer, sample_article, 0)
    mark(reviewer, sample_article, 2)
    client.force_login(reviewer)
    response = client.get(reverse("annotate:continue"))
    assert response.status_code == 302
    assert response.url == f"/annotate/articles/{sample_article.pk}/#s-1"


@pytest.mark.django_db
def test_continue_on_a_fully_marked_article_points_at_submit_and_then_back_to_the_queue(
    client,
    reviewer,
    sample_article,
):
    assignment = Assignment.objects.create(article=sample_article, reviewer=reviewer)
    mark_all(reviewer, sample_article)
    client.force_login(reviewer)
    assert client.get(reverse("annotate:continue")).url == f"/annotate/articles/{sample_article.pk}/#submit"
    submit_assignment(assignment=assignment)
    response = client.get(reverse("annotate:continue"), follow=True)
    assert response.redirect_chain[-1][0] == reverse("annotate:queue")
    assert "Nothing left to annotate" in response.content.decode()


@pytest.mark.django_db
def test_article_page_embeds_sentences_my_marks_sides_and_suggestions(client, reviewer, sample_article):
    assignment = Assignment.objects.create(article=sample_article, reviewer=reviewer)
    source = Source.objects.create(name="The White Helmets", kind=SourceKind.ORGANISATION)
    annotation = mark(
        reviewer,
        sample_article,
        7,
        Label.ATTRIBUTION,
        source=source,
        source_span=(0, 17),
        cue_span=(50, 58),
        note="checked",
    )
    client.force_login(reviewer)
    response = client.get(reverse("annotate:article", args=[sample_article.pk]))
    assert response.status_code == 200
    state = page_state(response)
    assert len(state["sentences"]) == 20
    assert state["sentences"][19]["reviewable"] is False
    assert state["assignment"] == {"id": assignment.pk, "submitted": False}
    saved = state["annotations"][str(annotation.sentence_id)]
    assert saved == {
        "id": annotation.pk,
        "sentence": annotation.sentence_id,
        "label": "attribution",
        "source": source.pk,
        "source_span": [0, 17],
        "cue_span": [50, 58],
        "note": "checked",
        "from_suggestion": False,
        "suggestion_version": "",
        "version": 1,
    }
    assert state["sources"][str(source.pk)]["name"] == "The White Helmets"
    assert state["others"] is None
    assert state["csrf"]
    assert set(state["suggestions"]) <= {str(s["id"]) for s in state["sentences"] if s["reviewable"]}
    for suggestion in state["suggestions"].values():
        assert suggestion["label"] in Label.values
    assert [s["number"] for s in state["sentences"]] == [*range(1, 20), None]  # the trailer has none
    assert state["urls"] == {
        "annotations": "/api/v1/annotations/",
        "sources": "/api/v1/sources/",
        "flags": "/api/v1/flags/",
        "submit": f"/api/v1/assignments/{assignment.pk}/submit/",
        "queue": "/annotate/",
    }
    html = response.content.decode()
    # No element id matches the #s-<position> address, so the browser does not jump past the header.
    assert 'id="sent-7" data-id="' in html
    assert 'id="s-7"' not in html
    assert "style=" not in html  # CSP: no inline styles
    assert "<script>" not in html  # CSP: no inline scripts


@pytest.mark.django_db
def test_article_page_is_blind_until_i_submit(client, reviewer, reviewer2, lead, sample_article):
    mine = Assignment.objects.create(article=sample_article, reviewer=reviewer)
    theirs = Assignment.objects.create(article=sample_article, reviewer=reviewer2)
    mark(reviewer2, sample_article, 0, Label.ANALYSIS)
    client.force_login(reviewer)
    url = reverse("annotate:article", args=[sample_article.pk])
    state = page_state(client.get(url))
    assert state["others"] is None
    assert "reviewer2" not in client.get(url).content.decode()
    mark_all(reviewer, sample_article, Label.CLAIM)
    submit_assignment(assignment=mine)
    # reviewer2 has not submitted: their mark is in progress, still theirs alone (and the leads').
    assert page_state(client.get(url))["others"] == []
    first = sample_article.sentences.get(position=0)
    theirs.submitted_at = timezone.now()
    theirs.save()
    state = page_state(client.get(url))
    assert state["others"] == [
        {"sentence": first.pk, "reviewer": "reviewer2", "label": "analysis", "source": None, "provisional": False}
    ]


@pytest.mark.django_db
def test_lead_sees_in_progress_marks_tagged_provisional(client, reviewer, lead, sample_article):
    Assignment.objects.create(article=sample_article, reviewer=reviewer)
    mark(reviewer, sample_article, 0, Label.ANALYSIS)
    client.force_login(lead)
    state = page_state(client.get(reverse("annotate:article", args=[sample_article.pk])))
    assert [(other["reviewer"], other["provisional"]) for other in state["others"]] == [("reviewer1", True)]


@pytest.mark.django_db
def test_article_not_assigned_is_not_found_for_reviewers_but_open_to_leads(client, reviewer, lead, sample_article):
    url = reverse("annotate:article", args=[sample_article.pk])
    client.force_login(reviewer)
    assert client.get(url).status_code == 404
    client.force_login(lead)
    response = client.get(url)
    assert response.status_code == 200
    assert page_state(response)["assignment"] is None


@pytest.mark.django_db
def test_article_page_queries_do_not_grow_with_sentences(client, reviewer, django_assert_num_queries):
    small, large = make_article(30, "small"), make_article(300, "large")
    client.force_login(reviewer)
    counts = []
    for article in (small, large):
        Assignment.objects.create(article=article, reviewer=reviewer)
        for position in range(0, 30, 3):
            mark(reviewer, article, position)
        with CaptureQueriesContext(connection) as queries:
            response = client.get(reverse("annotate:article", args=[article.pk]))
        assert response.status_code == 200
        assert len(page_state(response)["sentences"]) == article.sentences.count()
        counts.append(len(queries))
    assert counts[0] == counts[1]
    with django_assert_num_queries(counts[0]):
        client.get(reverse("annotate:article", args=[large.pk]))


@pytest.mark.django_db
def test_guidelines_show_codebook_and_worked_examples(client):
    response = client.get(reverse("guidelines"))
    html = response.content.decode()
    assert response.status_code == 200
    for label in Label:
        assert label.label in html
    assert "The White Helmets" in html
    assert "Worked examples" in html


@pytest.mark.django_db
def test_assign_page_is_for_leads_only(client, reviewer):
    client.force_login(reviewer)
    assert client.get(reverse("annotate:assign")).status_code == 403
    assert client.get(reverse("annotate:progress")).status_code == 403


@pytest.mark.django_db
def test_lead_assigns_with_overlap_from_the_page(client, lead, reviewer, reviewer2, make_user, sample_article):
    make_user("reviewer3")
    client.force_login(lead)
    assert client.get(reverse("annotate:assign")).status_code == 200
    response = client.post(
        reverse("annotate:assign"), {"overlap": 2, "reviewers": ["reviewer1", "reviewer3"]}, follow=True
    )
    assert "2 new assignment(s) for 1 article(s)" in response.content.decode()
    assert set(Assignment.objects.values_list("reviewer__username", flat=True)) == {"reviewer1", "reviewer3"}
    assert Assignment.objects.get(reviewer=reviewer).assigned_by == lead


@pytest.mark.django_db
def test_assign_page_refuses_an_overlap_larger_than_the_reviewers(client, lead, reviewer, sample_article):
    client.force_login(lead)
    response = client.post(reverse("annotate:assign"), {"overlap": 3, "reviewers": ["reviewer1"]})
    assert response.status_code == 200
    assert "needs at least 3 reviewers" in response.content.decode()
    assert not Assignment.objects.exists()


def spread_marks(reviewer, seconds_apart: float, *, start=None):
    """Give the reviewer's marks creation times `seconds_apart` from each other, in sentence order."""
    start = start or timezone.now() - timedelta(hours=2)
    marks = Annotation.objects.filter(reviewer=reviewer).order_by("sentence__article_id", "sentence__position")
    for index, annotation in enumerate(marks):
        Annotation.objects.filter(pk=annotation.pk).update(created=start + timedelta(seconds=seconds_apart * index))


@pytest.mark.django_db
def test_progress_page_shows_counts_and_a_rate_over_a_meaningful_window(client, lead, reviewer, sample_article):
    second = make_article(30, "second")
    for article in (sample_article, second):
        assignment = Assignment.objects.create(article=article, reviewer=reviewer)
        mark_all(reviewer, article)
        submit_assignment(assignment=assignment)
    spread_marks(reviewer, 30)  # 49 marks, one every 30 seconds: 24 minutes of work
    client.force_login(lead)
    response = client.get(reverse("annotate:progress"))
    assert response.status_code == 200
    row = response.context["reviewers"][0]
    assert (row["username"], row["articles"], row["submitted"], row["sentences"], row["marks"]) == (
        "reviewer1",
        2,
        2,
        49,
        49,
    )
    assert row["active_hours"] == pytest.approx(48 * 30 / 3600)
    assert row["per_hour"] == 120  # one mark every 30 seconds


@pytest.mark.django_db
def test_progress_page_shows_no_rate_over_a_tiny_window_and_says_why(client, lead, reviewer, sample_article):
    Assignment.objects.create(article=sample_article, reviewer=reviewer)
    mark_all(reviewer, sample_article)
    spread_marks(reviewer, 0.01)  # 19 marks within a fifth of a second: "187632 sentences/hour" before
    client.force_login(lead)
    response = client.get(reverse("annotate:progress"))
    row = response.context["reviewers"][0]
    assert row["per_hour"] is None
    assert row["per_hour_why"] == "only 0 min of active time (a rate needs 10)"
    html = response.content.decode()
    assert "only 0 min of active time" in html
    assert "sentences/hour" not in html
    assert "187632" not in html


@pytest.mark.django_db
def test_progress_breaks_count_neither_as_time_nor_as_marks(client, lead, reviewer, sample_article):
    Assignment.objects.create(article=sample_article, reviewer=reviewer)
    mark_all(reviewer, sample_article)
    marks = list(Annotation.objects.filter(reviewer=reviewer).order_by("sentence__position"))
    start = timezone.now() - timedelta(days=1)
    # Ten marks a minute apart, a three-hour break, then nine more a minute apart.
    times = [start + timedelta(minutes=i) for i in range(10)]
    times += [start + timedelta(hours=3, minutes=i) for i in range(9)]
    for annotation, created in zip(marks, times, strict=True):
        Annotation.objects.filter(pk=annotation.pk).update(created=created)
    client.force_login(lead)
    row = client.get(reverse("annotate:progress")).context["reviewers"][0]
    assert row["active_hours"] == pytest.approx(17 / 60)  # 9 + 8 one-minute gaps
    assert row["per_hour"] is None
    assert row["per_hour_why"] == "only 17 paced marks (a rate needs 20)"


@pytest.mark.django_db
def test_progress_page_queries_do_not_grow_with_marks(client, lead, reviewer, reviewer2, django_assert_num_queries):
    small, large = make_article(5, "small"), make_article(200, "large")
    client.force_login(lead)
    counts = []
    for article, who in ((small, reviewer), (large, reviewer2)):
        Assignment.objects.create(article=article, reviewer=who)
        mark_all(who, article)
        with CaptureQueriesContext(connection) as queries:
            client.get(reverse("annotate:progress"))
        counts.append(len(queries))
    assert counts[0] == counts[1]


def test_sentences_per_hour_needs_ten_minutes_and_twenty_marks():
    assert sentences_per_hour(timedelta(minutes=30), 60) == (120, "")
    assert sentences_per_hour(timedelta(minutes=10), 20) == (120, "")
    assert sentences_per_hour(timedelta(minutes=9, seconds=59), 500) == (
        None,
        "only 9 min of active time (a rate needs 10)",
    )
    assert sentences_per_hour(timedelta(hours=1), 19) == (None, "only 19 paced marks (a rate needs 20)")
    assert sentences_per_hour(None, 0)[0] is None


@pytest.mark.django_db
def test_one_sentence_numbering_counts_reviewable_sentences_from_one(client, reviewer, sample_article):
    """The annotation page, its state, and the progress count agree: a credit line in the middle
    (not reviewed) gets no number and does not shift the numbers after it."""
    from annotate.models import Sentence

    sample_article.sentences.filter(position=3).update(reviewable=False)
    numbers = dict(Sentence.objects.filter(article=sample_article).with_number().values_list("position", "number"))
    assert [numbers[p] for p in range(6)] == [1, 2, 3, None, 4, 5]
    assert numbers[18] == 18
    assert numbers[19] is None
    assignment = Assignment.objects.create(article=sample_article, reviewer=reviewer)
    client.force_login(reviewer)
    response = client.get(reverse("annotate:article", args=[sample_article.pk]))
    html = response.content.decode()
    assert '<label for="progress" id="progress-text">0 / 18 sentences marked</label>' in html
    assert 'id="sent-4" data-id="' in html
    assert 'data-number="4"><span class="sent-num" aria-hidden="true">4</span>' in html
    assert [s["number"] for s in page_state(response)["sentences"]][2:5] == [3, None, 4]
    assert assignment.submitted_at is None
