"""suggestions_for_sentences: output shape, query count, non-reviewable sentences."""

from annotate.codebook import Label
from annotate.models import Source, SourceAlias
from suggestions.model import RULES_VERSION
from suggestions.predict import suggestions_for_sentences

KEYS = {"label", "confidence", "source_span", "cue_span", "source_name", "source_kind", "source_id", "model_version"}


def test_suggestions_cover_reviewable_sentences_with_spans_into_the_sentence(sample_article):
    helmets = Source.objects.create(name="The White Helmets", kind="organisation")
    SourceAlias.objects.create(source=helmets, name="White Helmets")
    sentences = list(sample_article.sentences.all())
    suggestions = suggestions_for_sentences(sentences)
    reviewable = [s for s in sentences if s.reviewable]
    assert set(suggestions) == {s.pk for s in reviewable}
    assert len(reviewable) < len(sentences)  # the trailer gets nothing
    for sentence in reviewable:
        suggestion = suggestions[sentence.pk]
        assert set(suggestion) == KEYS
        assert suggestion["label"] in Label.values
        assert 0 < suggestion["confidence"] <= 1
        assert suggestion["model_version"] == RULES_VERSION
        if suggestion["source_span"]:
            start, end = suggestion["source_span"]
            assert sentence.text[start:end] == suggestion["source_name"]
        if suggestion["label"] != Label.ATTRIBUTION:
            assert suggestion["source_span"] is None
            assert suggestion["cue_span"] is None
    helmets_sentence = next(s for s in reviewable if s.text.startswith("The White Helmets"))
    assert suggestions[helmets_sentence.pk]["label"] == Label.ATTRIBUTION
    assert suggestions[helmets_sentence.pk]["source_id"] == helmets.pk


def test_query_count_does_not_grow_with_sentences(sample_article, django_assert_num_queries):
    for number in range(30):
        Source.objects.create(name=f"Source {number}", kind="organisation")
    sentences = list(sample_article.sentences.all())
    with django_assert_num_queries(2):
        suggestions_for_sentences(sentences[:3])
    with django_assert_num_queries(2):
        suggestions_for_sentences(sentences * 15)


def test_no_reviewable_sentences_means_no_queries(sample_article, django_assert_num_queries):
    trailer = list(sample_article.sentences.filter(reviewable=False))
    with django_assert_num_queries(0):
        assert suggestions_for_sentences(trailer) == {}
