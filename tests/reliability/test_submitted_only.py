"""Issue 11, finding 1: only submitted work counts (docs/scoring.md section 1).

A reviewer's in-progress marks (their assignment of the article is not submitted) change no gold
label, adjudication queue, agreement, score, evidence list or source page; marks imported from
Label Studio or a dataset count as their reviewer's submitted work.
"""

import pytest
from django.urls import reverse
from django.utils import timezone

from annotate.codebook import Label, SourceKind
from annotate.models import Annotation, Assignment, Origin
from reliability import queries
from reliability.models import ScoreRun
from reliability.services import publish_run, recompute_outlet_scores

from .conftest import scored_outlet

pytestmark = pytest.mark.django_db


def submit(article, user) -> None:
    Assignment.objects.filter(article=article, reviewer=user).update(submitted_at=timezone.now())


def test_an_in_progress_mark_does_not_settle_a_dispute(build):
    article = build.article(build.outlet("queue.example"), 1)
    (sentence,) = article.sentences.all()
    build.marks(sentence, [Label.CLAIM, Label.ANALYSIS])
    third = build.reviewers(3)[2]
    Assignment.objects.create(article=article, reviewer=third)  # open: not submitted
    Annotation.objects.create(sentence=sentence, reviewer=third, label=Label.ANALYSIS)
    assert list(queries.disputed_sentences()) == [sentence]
    row = queries.sentences_with_label_source().get(pk=sentence.pk)
    assert (row.gold_label, row.label_source, row.mark_count) == (None, "disputed", 2)
    submit(article, third)
    assert not queries.disputed_sentences().exists()
    row = queries.sentences_with_label_source().get(pk=sentence.pk)
    assert (row.gold_label, row.label_source, row.mark_count) == (Label.ANALYSIS, "majority", 3)


@pytest.fixture
def in_progress(build, lead):
    """A scored, published outlet; then a reviewer with an open assignment marks a new article of
    that outlet (every sentence an attribution to a new source) and one sentence of an existing
    article (disagreeing with its two submitted marks)."""
    outlet = scored_outlet(build, "scored.example")
    published = publish_run(run=recompute_outlet_scores(), by=lead)
    newcomer = build.reviewers(3)[2]
    source = build.source("Provisional Speaker", SourceKind.ANONYMOUS)
    fresh = build.article(outlet, 4)
    Assignment.objects.create(article=fresh, reviewer=newcomer)
    for sentence in fresh.sentences.all():
        Annotation.objects.create(sentence=sentence, reviewer=newcomer, label=Label.ATTRIBUTION, source=source)
    existing = outlet.articles.exclude(pk=fresh.pk).first()
    Assignment.objects.create(article=existing, reviewer=newcomer)
    first = existing.sentences.get(position=0)  # a claim, by both submitted reviewers
    Annotation.objects.create(sentence=first, reviewer=newcomer, label=Label.ANALYSIS)
    return {"outlet": outlet, "published": published, "source": source, "fresh": fresh, "newcomer": newcomer}


def test_in_progress_marks_change_no_score_agreement_or_count(in_progress):
    published, outlet = in_progress["published"], in_progress["outlet"]
    before = published.snapshots.get(outlet=outlet)
    after = recompute_outlet_scores().snapshots.get(outlet=outlet)
    assert (after.article_count, after.sentence_count) == (before.article_count, before.sentence_count) == (5, 75)
    assert after.score == pytest.approx(before.score)
    assert after.alpha == pytest.approx(1.0)  # the disagreeing in-progress mark is not a unit
    assert after.figures["counts"] == before.figures["counts"]
    # The new article's 4 sentences have no counting mark: unmarked, not unanimous attributions.
    assert after.figures["label_status"] == {"unanimous": 80, "unmarked": 4}


def test_in_progress_marks_are_on_no_evidence_or_source_page(client, reviewer2, in_progress):
    url = reverse("reliability:outlet-evidence", args=["scored.example"])
    source_url = reverse("reliability:source-detail", args=[in_progress["source"].pk])
    for user in (None, reviewer2):
        if user is not None:
            client.force_login(user)
        anonymous = client.get(url, {"indicator": "anonymous_share", "part": "x"})
        assert anonymous.context["page"].paginator.count == 10  # two anonymous attributions x 5 articles
        page = client.get(source_url)
        assert page.context["page"].paginator.count == 0
        assert "Sentence 0 of article" not in page.content.decode().split("<h2>", 1)[-1]


def test_corpus_counts_count_submitted_marks(build):
    article = build.article(build.outlet("count.example"), 2)
    first, second = article.sentences.all()
    build.marks(first, [Label.CLAIM, Label.CLAIM])
    third = build.reviewers(3)[2]
    Assignment.objects.create(article=article, reviewer=third)
    Annotation.objects.create(sentence=second, reviewer=third, label=Label.CLAIM)
    counts = queries.corpus_counts()
    assert (counts["marks"], counts["reviewers"]) == (2, 2)


def test_imported_marks_count_without_an_assignment_and_own_marks_of_a_lead_do_not(build, lead):
    article = build.article(build.outlet("import.example"), 3)
    imported, pulled, by_lead = article.sentences.order_by("position")
    reviewer = build.reviewers(1)[0]
    Annotation.objects.create(sentence=imported, reviewer=reviewer, label=Label.ANALYSIS, origin=Origin.IMPORT)
    Annotation.objects.create(sentence=pulled, reviewer=reviewer, label=Label.CLAIM, origin=Origin.LABEL_STUDIO)
    Annotation.objects.create(sentence=by_lead, reviewer=lead, label=Label.CLAIM, origin=Origin.WEB)
    assert set(Annotation.objects.counting().values_list("sentence_id", flat=True)) == {imported.pk, pulled.pk}
    run = recompute_outlet_scores()
    assert dict(run.sentences.values_list("sentence_id", "label")) == {
        imported.pk: Label.ANALYSIS,
        pulled.pk: Label.CLAIM,
    }


def test_submitting_an_assignment_schedules_a_recompute(build, settings, django_capture_on_commit_callbacks):
    settings.SCORES_AUTO_RECOMPUTE = True
    settings.SCORES_RECOMPUTE_DELAY = 0
    article = build.article(build.outlet("later.example"), 1)
    build.marks(article.sentences.get(), [Label.CLAIM], submitted=False)
    assignment = Assignment.objects.get(article=article)
    with django_capture_on_commit_callbacks(execute=True):
        assignment.submitted_at = timezone.now()
        assignment.save()
    run = ScoreRun.objects.get()  # the immediate backend ran it
    assert run.sentence_count == 1
