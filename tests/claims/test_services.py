"""Matching at ingest and over the corpus, links, groups and the leads' decisions (real database)."""

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext

from annotate.codebook import Label, SourceKind
from annotate.models import Sentence, Source
from claims import services
from claims.models import ArticleLink, ClaimDecision, ClaimGroup, ClaimMember, SentencePair

from .conftest import OTHER, REUTERS, REWRITE

pytestmark = pytest.mark.django_db


def groups_as_texts() -> list[set[str]]:
    return [
        {member.sentence.text[:30] for member in group.members.select_related("sentence")}
        for group in ClaimGroup.objects.order_by("pk")
    ]


def test_an_ingested_article_is_matched_once_its_transaction_commits(ingest, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        original = ingest(REUTERS, "reuters.com", "2024-12-01")
    with django_capture_on_commit_callbacks(execute=True):
        rewrite = ingest(REWRITE, "levantdigest.example", "2024-12-02")
    assert ClaimGroup.objects.count() >= 4
    for group in ClaimGroup.objects.all():
        assert group.outlet_count == 2
        assert group.first_published.isoformat() == "2024-12-01"
    link = ArticleLink.objects.get(article=rewrite, kind=ArticleLink.Kind.DETECTED)
    assert (link.original_article, link.original_domain, link.status) == (original, "reuters.com", "pending")
    assert link.similarity >= 0.8
    assert not ArticleLink.objects.filter(article=original).exists()


def test_same_outlet_and_unrelated_sentences_never_pair(ingest):
    ingest(REUTERS, "reuters.com")
    ingest(REWRITE, "reuters.com", "2024-12-02", title="A second Reuters piece")
    ingest(OTHER, "bbc.co.uk")
    result = services.match_corpus()
    assert result.indexed == 14
    assert result.pairs == 0
    assert not ClaimGroup.objects.exists()


def test_a_declared_credit_links_the_outlet_and_the_article_it_restates(ingest):
    original = ingest(REUTERS, "reuters.com", "2024-12-01")
    credited = ingest(REWRITE + "\nOriginal Source: reuters.com", "levantdigest.example", "2024-12-02")
    agency = ingest(OTHER + "\nSome information provided by AFP and Reuters.", "aljazeera.com", "2024-12-03")
    services.match_corpus()
    declared = ArticleLink.objects.get(article=credited, kind=ArticleLink.Kind.DECLARED)
    assert (declared.original_domain, declared.original_article, declared.original_outlet) == (
        "reuters.com", original, original.outlet,
    )  # fmt: skip
    assert declared.evidence == "Original Source: reuters.com"
    assert sorted(agency.rewrite_links.values_list("original_domain", "original_article")) == [
        ("afp.com", None), ("reuters.com", None),
    ]  # fmt: skip


def test_the_earlier_article_is_the_original_even_when_stored_later(ingest):
    rewrite = ingest(REWRITE, "levantdigest.example", "2024-12-02")
    services.match_corpus()
    original = ingest(REUTERS, "reuters.com", "2024-12-01")
    services.match_articles([original])
    link = ArticleLink.objects.get(kind=ArticleLink.Kind.DETECTED)
    assert (link.article, link.original_article) == (rewrite, original)


def test_one_article_is_matched_with_a_constant_number_of_queries(ingest):
    ingest(REUTERS, "reuters.com", "2024-12-01")
    services.match_corpus()
    counts = []
    for index, outlet in enumerate(["a.example", "b.example", "c.example", "d.example"]):
        article = ingest(REWRITE.replace("Sunday", f"Sunday {index}"), outlet, "2024-12-02", title=f"copy {index}")
        with CaptureQueriesContext(connection) as queries:
            services.match_articles([article])
        counts.append(len(queries))
    # Once groups exist, more articles to match against and larger groups cost no more queries.
    assert counts[1] == counts[2] == counts[3]
    assert counts[0] <= counts[1]


def test_leads_decisions_survive_a_full_rebuild(ingest, lead):
    ingest(REUTERS, "reuters.com", "2024-12-01")
    rewrite = ingest(REWRITE, "levantdigest.example", "2024-12-02")
    services.match_corpus()
    group = ClaimGroup.objects.order_by("pk").first()
    members = list(group.members.order_by("sentence_id").values_list("sentence_id", flat=True))
    services.split_group(group=group, sentence_ids=[members[1]], lead=lead, note="different districts")
    link = ArticleLink.objects.get(article=rewrite, kind=ArticleLink.Kind.DETECTED)
    services.review_link(link=link, confirm=False, lead=lead)
    before = groups_as_texts()
    assert not ClaimMember.objects.filter(sentence_id__in=members).exists()

    services.match_corpus(rebuild=True)
    assert groups_as_texts() == before
    link.refresh_from_db()
    assert (link.status, link.decided_by) == ("rejected", lead)
    assert ClaimDecision.objects.filter(kind="apart", lead=lead, note="different districts").count() == 1


def test_merge_detach_and_a_later_same_decision(ingest, lead):
    ingest(REUTERS, "reuters.com", "2024-12-01")
    ingest(REWRITE, "levantdigest.example", "2024-12-02")
    services.match_corpus()
    first, second = ClaimGroup.objects.order_by("pk")[:2]
    merged = services.merge_groups(group=first, other=second, lead=lead)
    assert merged.pk == first.pk
    assert merged.members.count() == 4
    assert not ClaimGroup.objects.filter(pk=second.pk).exists()

    sentence = merged.members.order_by("sentence_id").first().sentence
    services.detach_sentence(sentence=sentence, lead=lead)
    assert not ClaimMember.objects.filter(sentence=sentence).exists()
    services.match_corpus(rebuild=True)
    assert not ClaimMember.objects.filter(sentence=sentence).exists()
    assert ClaimGroup.objects.get(pk=first.pk).members.count() == 3


def test_a_review_pair_decided_same_joins_a_group(ingest, lead):
    ingest(REUTERS, "reuters.com")
    other = ingest(OTHER, "bbc.co.uk", "2024-12-02")
    services.match_corpus()
    a = Sentence.objects.get(text__startswith="The fall of the airport")
    b = other.sentences.get(position=0)
    services.decide_pair(first=b, second=a, same=True, lead=lead)
    group = ClaimMember.objects.get(sentence=a).group
    assert set(group.members.values_list("sentence_id", flat=True)) == {a.pk, b.pk}
    decision = ClaimDecision.objects.get()
    assert (decision.first_id, decision.second_id, decision.kind) == (min(a.pk, b.pk), max(a.pk, b.pk), "same")


def test_only_leads_decide_and_a_refused_decision_writes_nothing(ingest, reviewer):
    ingest(REUTERS, "reuters.com")
    ingest(REWRITE, "levantdigest.example", "2024-12-02")
    services.match_corpus()
    group = ClaimGroup.objects.first()
    before = groups_as_texts()
    with pytest.raises(ValidationError):
        services.split_group(group=group, sentence_ids=[group.members.first().sentence_id], lead=reviewer)
    with pytest.raises(ValidationError):
        services.review_link(link=ArticleLink.objects.first(), confirm=True, lead=reviewer)
    assert not ClaimDecision.objects.exists()
    assert groups_as_texts() == before
    assert ArticleLink.objects.filter(status="pending").count() == ArticleLink.objects.count()


def test_splitting_off_every_member_is_refused(ingest, lead):
    ingest(REUTERS, "reuters.com")
    ingest(REWRITE, "levantdigest.example", "2024-12-02")
    services.match_corpus()
    group = ClaimGroup.objects.first()
    with pytest.raises(ValidationError):
        services.split_group(group=group, sentence_ids=group.members.values_list("sentence_id", flat=True), lead=lead)
    assert not ClaimDecision.objects.exists()


def test_status_follows_the_gold_sources_of_the_members(
    ingest, reviewer, lead, settings, django_capture_on_commit_callbacks
):
    settings.CLAIMS_REFRESH_DELAY = 0  # refresh after every change (the debounce is tested below)
    from annotate.models import Adjudication, Assignment
    from annotate.services import MarkInput, save_annotation, submit_assignment

    ingest(REUTERS, "reuters.com")
    ingest(REWRITE, "levantdigest.example", "2024-12-02")
    services.match_corpus()
    first = Sentence.objects.get(text__startswith="Rebel fighters took control")
    second = Sentence.objects.get(text__startswith="Rebel fighters seized")
    group = ClaimMember.objects.get(sentence=first).group
    assert group == ClaimMember.objects.get(sentence=second).group
    assert group.status == "unsourced"
    sohr = Source.objects.create(name="Syrian Observatory for Human Rights", kind=SourceKind.ORGANISATION)
    monitor = Source.objects.create(name="Britain-based monitor", kind=SourceKind.ORGANISATION)
    assignments = {s.pk: Assignment.objects.create(article=s.article, reviewer=reviewer) for s in (first, second)}

    def mark_and_submit(sentence, source):
        """Mark the sentence an attribution to `source`, the rest of its article a claim, and submit:
        only submitted work counts (docs/scoring.md section 1)."""
        with django_capture_on_commit_callbacks(execute=True):
            save_annotation(
                reviewer=reviewer, sentence=sentence, mark=MarkInput(label=Label.ATTRIBUTION, source=source)
            )
        group.refresh_from_db()
        assert group.status == before  # an in-progress mark changes nothing
        for other in sentence.article.sentences.filter(reviewable=True).exclude(pk=sentence.pk):
            save_annotation(reviewer=reviewer, sentence=other, mark=MarkInput(label=Label.CLAIM))
        with django_capture_on_commit_callbacks(execute=True):
            submit_assignment(assignment=assignments[sentence.pk])
        group.refresh_from_db()

    before = "unsourced"
    mark_and_submit(first, sohr)
    assert group.status == "single_source"
    before = "single_source"
    mark_and_submit(second, monitor)
    assert group.status == "corroborated"
    with django_capture_on_commit_callbacks(execute=True):
        Adjudication.objects.create(sentence=second, label=Label.ANALYSIS, lead=lead)
    group.refresh_from_db()
    assert (group.status, group.outlet_count, group.member_count) == ("single_source", 1, 1)


def test_pairs_are_stored_once_in_id_order(ingest):
    ingest(REUTERS, "reuters.com")
    ingest(REWRITE, "levantdigest.example", "2024-12-02")
    services.match_corpus()
    count = SentencePair.objects.count()
    services.match_corpus()
    assert SentencePair.objects.count() == count
    assert all(first < second for first, second in SentencePair.objects.values_list("first_id", "second_id"))


def test_the_demo_has_a_declared_credit_a_detected_rewrite_and_claim_groups():
    from django.core.management import call_command

    call_command("demo", "--password", "demo-pw-123", stdout=__import__("io").StringIO())
    links = set(ArticleLink.objects.values_list("article__title", "kind", "original_domain"))
    assert ("Aleppo airport falls to rebel fighters", "detected", "reuters.com") in links
    assert ("Rebels open largest offensive in years near Aleppo", "declared", "reuters.com") in links
    assert ("Hama captured by rebels after days of fighting", "declared", "afp.com") in links
    assert ("Hama captured by rebels after days of fighting", "detected", "news.sky.com") in links
    assert ClaimGroup.objects.filter(outlet_count=2).count() >= 15


def test_auto_match_can_be_turned_off(ingest, settings, django_capture_on_commit_callbacks):
    settings.CLAIMS_AUTO_MATCH = False
    with django_capture_on_commit_callbacks(execute=True):
        ingest(REUTERS, "reuters.com", "2024-12-01")
        ingest(REWRITE, "levantdigest.example", "2024-12-02")
    assert not ClaimGroup.objects.exists()
    services.match_corpus()
    assert ClaimGroup.objects.exists()


def test_the_ingest_task_matches_in_bounded_batches_that_see_the_batches_before(
    ingest, settings, django_capture_on_commit_callbacks, monkeypatch
):
    from claims import services as claim_services
    from claims.tasks import match_articles_task

    settings.CLAIMS_AUTO_MATCH = False
    settings.CLAIMS_MATCH_BATCH = 1
    with django_capture_on_commit_callbacks(execute=True):
        articles = [
            ingest(REUTERS, "reuters.com", "2024-12-01"),
            ingest(OTHER, "bbc.co.uk", "2024-12-01"),
            ingest(REWRITE, "levantdigest.example", "2024-12-02"),
        ]
    calls = []
    original = claim_services.match_articles
    monkeypatch.setattr(claim_services, "match_articles", lambda batch: calls.append(len(batch)) or original(batch))
    match_articles_task.call([a.pk for a in articles])
    assert calls == [1, 1, 1]
    assert ArticleLink.objects.filter(article=articles[2], kind="detected", original_domain="reuters.com").exists()
    assert ClaimGroup.objects.filter(outlet_count=2).exists()


def test_a_retired_article_is_no_part_of_its_claims(ingest):
    ingest(REUTERS, "reuters.com", "2024-12-01")
    rewrite = ingest(REWRITE, "levantdigest.example", "2024-12-02")
    services.match_corpus()
    group = ClaimGroup.objects.first()
    assert group.outlet_count == 2
    rewrite.retired = True
    rewrite.save(update_fields=["retired"])
    services.refresh_groups([group.pk])
    group.refresh_from_db()
    assert (group.outlet_count, group.member_count) == (1, 1)


def test_a_burst_of_changes_requests_one_refresh_and_a_write_pays_no_query(settings, django_assert_num_queries):
    from django.core.cache import cache

    from claims.tasks import REFRESH_KEY, request_refresh

    settings.CLAIMS_REFRESH_DELAY = 60
    cache.delete(REFRESH_KEY)
    assert request_refresh() is True  # the immediate backend in tests runs it at once
    with django_assert_num_queries(0):
        assert request_refresh() is False
        assert request_refresh() is False
    settings.CLAIMS_AUTO_REFRESH = False
    cache.delete(REFRESH_KEY)
    assert request_refresh() is False
