import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from annotate.codebook import Label, SourceKind
from annotate.models import Annotation, AnnotationRevision, Assignment, Source
from annotate.services import (
    MarkInput,
    StaleVersion,
    assign_articles,
    change_annotation,
    delete_annotation,
    save_annotation,
    submit_assignment,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def source(db):
    return Source.objects.create(name="The White Helmets", kind=SourceKind.ORGANISATION)


def test_changes_keep_history(sample_article, reviewer, source):
    sentence = sample_article.sentences.get(position=7)
    annotation, created = save_annotation(reviewer=reviewer, sentence=sentence, mark=MarkInput(label=Label.CLAIM))
    assert created
    assert annotation.version == 1
    annotation, created = save_annotation(
        reviewer=reviewer,
        sentence=sentence,
        expected_version=1,
        mark=MarkInput(label=Label.ATTRIBUTION, source=source, source_span=(0, 17), cue_span=(49, 57)),
    )
    assert not created
    assert annotation.version == 2
    assert sentence.text[0:17] == "The White Helmets"
    assert sentence.text[49:57] == "affirmed"
    history = list(AnnotationRevision.objects.filter(sentence=sentence).values_list("action", "version", "label"))
    assert history == [("create", 1, "claim"), ("update", 2, "attribution")]


def test_unchanged_mark_writes_nothing(sample_article, reviewer):
    sentence = sample_article.sentences.first()
    save_annotation(reviewer=reviewer, sentence=sentence, mark=MarkInput(label=Label.CLAIM))
    annotation, _ = save_annotation(reviewer=reviewer, sentence=sentence, mark=MarkInput(label=Label.CLAIM))
    assert annotation.version == 1
    assert AnnotationRevision.objects.count() == 1


def test_stale_version_is_refused(sample_article, reviewer):
    sentence = sample_article.sentences.first()
    save_annotation(reviewer=reviewer, sentence=sentence, mark=MarkInput(label=Label.CLAIM))
    save_annotation(reviewer=reviewer, sentence=sentence, expected_version=1, mark=MarkInput(label=Label.ANALYSIS))
    with pytest.raises(StaleVersion) as info:
        save_annotation(reviewer=reviewer, sentence=sentence, expected_version=1, mark=MarkInput(label=Label.OTHER))
    assert info.value.current.label == Label.ANALYSIS
    assert info.value.current.version == 2
    assert Annotation.objects.get().label == Label.ANALYSIS


@pytest.mark.parametrize(
    ("mark", "field"),
    [
        (MarkInput(label="rumour"), "label"),
        (MarkInput(label=Label.ATTRIBUTION), "source"),
        (MarkInput(label=Label.CLAIM, source_span=(5, 2)), "source_span"),
        (MarkInput(label=Label.CLAIM, cue_span=(0, 10_000)), "cue_span"),
        (MarkInput(label=Label.CLAIM, cue_span=(-1, 3)), "cue_span"),
    ],
)
def test_invalid_marks_name_the_field_and_write_nothing(sample_article, reviewer, mark, field):
    with pytest.raises(ValidationError) as info:
        save_annotation(reviewer=reviewer, sentence=sample_article.sentences.first(), mark=mark)
    assert field in info.value.message_dict
    assert Annotation.objects.count() == 0
    assert AnnotationRevision.objects.count() == 0


def test_delete_keeps_history(sample_article, reviewer):
    sentence = sample_article.sentences.first()
    annotation, _ = save_annotation(reviewer=reviewer, sentence=sentence, mark=MarkInput(label=Label.CLAIM))
    delete_annotation(annotation=annotation, expected_version=1)
    assert Annotation.objects.count() == 0
    assert list(AnnotationRevision.objects.values_list("action", flat=True)) == ["create", "delete"]


@pytest.mark.parametrize(
    "fields",
    [
        {"label": "rumour"},
        {"label": Label.ATTRIBUTION, "source": None},
        {"label": Label.CLAIM, "source_start": 5, "source_end": 2},
        {"label": Label.CLAIM, "cue_start": 3, "cue_end": None},
    ],
)
def test_database_enforces_annotation_invariants(sample_article, reviewer, fields):
    sentence = sample_article.sentences.first()
    with pytest.raises(IntegrityError), transaction.atomic():
        Annotation.objects.create(sentence=sentence, reviewer=reviewer, **fields)


def test_database_allows_one_mark_per_reviewer_and_sentence(sample_article, reviewer):
    sentence = sample_article.sentences.first()
    Annotation.objects.create(sentence=sentence, reviewer=reviewer, label=Label.CLAIM)
    with pytest.raises(IntegrityError), transaction.atomic():
        Annotation.objects.create(sentence=sentence, reviewer=reviewer, label=Label.ANALYSIS)


def test_source_names_are_unique_ignoring_case(db):
    Source.objects.create(name="Reuters", kind=SourceKind.MEDIA)
    with pytest.raises(IntegrityError), transaction.atomic():
        Source.objects.create(name="reuters", kind=SourceKind.MEDIA)


def test_assign_with_overlap_is_balanced_and_idempotent(sample_article, make_user):
    from annotate.ingest import ingest_text

    articles = [sample_article] + [
        ingest_text(f"Story {i} happened.\nOriginal Source: x{i}.com".encode())[0].article for i in range(3)
    ]
    reviewers = [make_user(f"r{i}") for i in range(3)]
    created = assign_articles(articles=articles, reviewers=reviewers, overlap=2)
    assert len(created) == 8
    loads = sorted(Assignment.objects.filter(reviewer=r).count() for r in reviewers)
    assert loads == [2, 3, 3]
    assert assign_articles(articles=articles, reviewers=reviewers, overlap=2) == []
    with pytest.raises(ValidationError, match="needs at least 2 reviewers"):
        assign_articles(articles=articles, reviewers=reviewers[:1], overlap=2)


def test_submit_needs_every_sentence_marked(sample_article, reviewer):
    (assignment,) = assign_articles(articles=[sample_article], reviewers=[reviewer], overlap=1)
    with pytest.raises(ValidationError, match="19 sentence"):
        submit_assignment(assignment=assignment)
    for sentence in sample_article.sentences.filter(reviewable=True):
        save_annotation(reviewer=reviewer, sentence=sentence, mark=MarkInput(label=Label.CLAIM))
    assert submit_assignment(assignment=assignment).submitted_at is not None


def test_accepting_a_suggestion_for_an_equal_mark_is_recorded(sample_article, reviewer):
    sentence = sample_article.sentences.first()
    save_annotation(reviewer=reviewer, sentence=sentence, mark=MarkInput(label=Label.CLAIM))
    annotation, _ = save_annotation(
        reviewer=reviewer,
        sentence=sentence,
        expected_version=1,
        mark=MarkInput(label=Label.CLAIM, from_suggestion=True, suggestion_version="rules-1"),
    )
    assert annotation.version == 2
    assert annotation.from_suggestion is True
    assert annotation.suggestion_version == "rules-1"


def test_a_partial_change_of_what_was_suggested_is_no_longer_from_the_suggestion(sample_article, reviewer, source):
    """`from_suggestion` means accepted unchanged (suggestions' acceptance rate): a PATCH of the
    label, source or a span that does not say otherwise makes the mark the reviewer's own; a
    change of the note alone does not."""
    Assignment.objects.create(article=sample_article, reviewer=reviewer)
    sentence = sample_article.sentences.get(position=7)
    suggested = MarkInput(label=Label.CLAIM, from_suggestion=True, suggestion_version="wikinews-2")
    annotation, _ = save_annotation(reviewer=reviewer, sentence=sentence, mark=suggested)

    def change(version: int, **changes) -> Annotation:
        return change_annotation(
            annotation_id=annotation.pk, changes=changes, expected_version=version, changed_by=reviewer
        )

    noted = change(1, note="checked")
    assert (noted.from_suggestion, noted.suggestion_version) == (True, "wikinews-2")
    relabelled = change(2, label=Label.ANALYSIS)
    assert (relabelled.from_suggestion, relabelled.suggestion_version) == (False, "")
    accepted_again = change(3, label=Label.CLAIM, from_suggestion=True, suggestion_version="wikinews-2")
    assert accepted_again.from_suggestion is True
    assert change(4, source=source, cue_span=(49, 57)).from_suggestion is False
