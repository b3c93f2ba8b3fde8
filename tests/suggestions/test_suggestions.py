"""suggestions_for_sentences and suggest_article: output, article context, query counts."""

import datetime
from dataclasses import replace

from annotate.codebook import Label
from annotate.models import Source, SourceAlias
from suggestions.model import RULES, Suggester, default_model
from suggestions.predict import suggest_article, suggestions_for_sentences

KEYS = {
    "label",
    "confidence",
    "prefill",
    "source_span",
    "cue_span",
    "source_name",
    "source_kind",
    "source_id",
    "model_version",
}


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
        assert suggestion["model_version"] == default_model().version
        assert suggestion["prefill"] == (suggestion["confidence"] >= default_model().prefill_threshold)
        if suggestion["label"] != Label.ATTRIBUTION:
            assert suggestion["source_span"] is None
            assert suggestion["cue_span"] is None
    helmets_sentence = next(s for s in reviewable if s.text.startswith("The White Helmets"))
    assert suggestions[helmets_sentence.pk]["label"] == Label.ATTRIBUTION
    assert suggestions[helmets_sentence.pk]["source_name"] == "The White Helmets"
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


STORY = [
    "“It's a good sign,” said Ryan Cloutier of the Harvard–Smithsonian Center for Astrophysics.",
    "“It's the best candidate for habitability right now.”",
    "Cloutier said further observations would be needed.",
    "“We will know more next year,” he added.",
    "K2-18b was first identified in 2015 by the Kepler space telescope.",
]


def test_a_quote_continued_without_its_speaker_is_labelled_by_its_content():
    suggestions = suggest_article(STORY, published=datetime.date(2019, 9, 14))
    assert suggestions[0]["label"] == Label.ATTRIBUTION
    assert suggestions[1]["label"] != Label.ATTRIBUTION  # the speaker is named in the sentence before
    assert suggestions[1]["source_span"] is None
    assert suggestions[4]["label"] == Label.ANALYSIS  # background, years before the article


def test_pronouns_and_surnames_are_matched_to_the_person_named_before(db):
    from suggestions.registry import SourceIndex

    index = SourceIndex()
    index.add(7, "Ryan Cloutier", kind="person")
    suggestions = suggest_article(STORY, index=index)
    assert suggestions[0]["source_name"] == "Ryan Cloutier"
    assert suggestions[2]["source_name"] == "Ryan Cloutier"  # "Cloutier"
    assert suggestions[3]["source_name"] == "Ryan Cloutier"  # "he"
    start, end = suggestions[3]["source_span"]
    assert STORY[3][start:end] == "he"  # the span stays on the sentence's own words
    assert {suggestions[i]["source_id"] for i in (0, 2, 3)} == {7}


def test_prefill_follows_the_model_threshold_and_rules_never_prefill():
    model = default_model()
    for threshold in (0.5, 0.99):
        strict = Suggester("t", replace(model, prefill_threshold=threshold))
        for suggestion in suggest_article(STORY, suggester=strict):
            assert suggestion["prefill"] == (suggestion["confidence"] >= threshold)
    assert not any(s["prefill"] for s in suggest_article(STORY, suggester=RULES))
    never = Suggester("n", replace(model, prefill_threshold=None))
    assert not any(s["prefill"] for s in suggest_article(STORY, suggester=never))


def test_boilerplate_is_other_whatever_the_model_says():
    suggestions = suggest_article(["Officials said ten people died.", "Reporting by Jane Doe; editing by John Smith"])
    assert suggestions[1]["label"] == Label.OTHER
    assert suggestions[1]["source_span"] is None


def test_a_sure_reporting_cue_makes_an_attribution_whatever_the_model_says():
    model = default_model()
    claim = model.classes.index(Label.CLAIM)
    biased = replace(
        model, intercepts=tuple(10.0 if i == claim else v for i, v in enumerate(model.intercepts))
    )  # a model that calls everything a claim
    text = ["The ministry said 20 people died.", "The storm hit the coast on Monday."]
    first, second = suggest_article(text, suggester=Suggester("biased", biased))
    assert first["label"] == Label.ATTRIBUTION  # the rule finder is sure of "The ministry said"
    assert first["confidence"] < 0.5  # but the model's probability stays the confidence: a hint
    assert first["prefill"] is False
    assert second["label"] == Label.CLAIM


def test_picture_captions_and_credits_are_other_with_the_model_and_the_rules():
    texts = [
        "The roof of the cathedral caught fire yesterday.",
        "Officials said the two bell towers were saved.",
        "Fire in the frame of the cathedral.",
        "Image: LeLaisserPasserA38.",
        "The collapse of the spire, around 19:45 CEST Image: Remi Mathis (photos).",
    ]
    for suggester in (None, RULES):
        labels = [s["label"] for s in suggest_article(texts, suggester=suggester)]
        assert labels[2:] == [Label.OTHER] * 3  # the caption before a credit line, and the credits
        assert labels[1] == Label.ATTRIBUTION
        assert labels[0] != Label.OTHER
