"""Span agreement from the database: the streamed span units, the stored figures and the pages."""

import json
from io import StringIO

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from annotate.codebook import Label
from annotate.models import Annotation, Assignment, Sentence
from reliability import queries
from reliability.models import ScoreRun
from reliability.services import recompute_outlet_scores

from .conftest import Builder


def run_scores(*args: str) -> str:
    out = StringIO()
    call_command("scores", *args, stdout=out)
    return out.getvalue()


def mark(sentence: Sentence, reviewer, source_span=None, cue_span=None, source=None) -> Annotation:
    """A mark with spans: an attribution (with a source) when it has a source span, else a claim;
    its reviewer has submitted the article (so the mark counts)."""
    label = Label.ATTRIBUTION if source is not None else Label.CLAIM
    Assignment.objects.get_or_create(
        article_id=sentence.article_id, reviewer=reviewer, defaults={"submitted_at": timezone.now()}
    )
    return Annotation.objects.create(
        sentence=sentence,
        reviewer=reviewer,
        label=label,
        source=source,
        source_start=source_span[0] if source_span else None,
        source_end=source_span[1] if source_span else None,
        cue_start=cue_span[0] if cue_span else None,
        cue_end=cue_span[1] if cue_span else None,
    )


@pytest.fixture
def spans(build: Builder):
    """Two outlets, two reviewers. Sentence texts are "Sentence <i> of article <n>.": tokens
    Sentence 0-8, <i> 9-10, of 11-13, article 14-21.

    mixed.example: s0 same source (0, 8), cues (9, 10) vs (9, 13); s1 only the first reviewer gives
    a source; s2 two marks without spans (left out); s3 a span but one mark (left out); s4 not
    reviewable (left out). agreed.example: s0 same source, no cues.
    """
    first, second = build.reviewers(2)
    person = build.source("Speaker")
    mixed, agreed = build.outlet("mixed.example"), build.outlet("agreed.example")
    s = list(build.article(mixed, 5).sentences.order_by("position"))
    mark(s[0], first, (0, 8), (9, 10), person)
    mark(s[0], second, (0, 8), (9, 13), person)
    mark(s[1], first, (0, 8), None, person)
    mark(s[1], second)
    mark(s[2], first)
    mark(s[2], second)
    mark(s[3], first, (0, 8), None, person)
    Sentence.objects.filter(pk=s[4].pk).update(reviewable=False)
    mark(s[4], first, (0, 8), None, person)
    mark(s[4], second, (14, 21), None, person)
    (t0,) = build.article(agreed, 1).sentences.all()
    mark(t0, first, (0, 8), None, person)
    mark(t0, second, (0, 8), None, person)
    return {"first": first, "second": second, "mixed": mixed, "agreed": agreed, "sentences": s, "t0": t0}


def test_span_units_streams_sentences_with_two_marks_and_a_span(spans, django_assert_num_queries):
    with django_assert_num_queries(1):
        units = list(queries.span_units())
    s = spans["sentences"]
    assert [unit.sentence_id for unit in units] == sorted([s[0].pk, s[1].pk, spans["t0"].pk])
    by_sentence = {unit.sentence_id: unit for unit in units}
    unit = by_sentence[s[1].pk]
    assert unit.outlet_id == spans["mixed"].pk
    assert unit.text == s[1].text
    assert [(m.reviewer, m.source, m.cue) for m in unit.marks] == [
        (spans["first"].pk, (0, 8), None),
        (spans["second"].pk, None, None),
    ]
    assert [u.sentence_id for u in queries.span_units([spans["agreed"].pk])] == [spans["t0"].pk]


def test_recompute_stores_span_agreement_per_outlet_pair_and_overall(spans):
    run = recompute_outlet_scores()
    names = [spans["first"].username, spans["second"].username]
    snapshots = {s.outlet_id: s.figures["span_agreement"] for s in run.snapshots.all()}
    mixed = snapshots[spans["mixed"].pk]
    # source: s0 matched, s1 first only -> exact and tokens 2 * 1 / (2 + 1)
    # cue: (9, 10) vs (9, 13) -> exact 0; tokens {<i>} vs {<i>, of} -> 2 * 1 / (1 + 2)
    assert mixed["sentences"] == 2
    assert mixed["source_exact"] == {"f1": pytest.approx(2 / 3), "both": 1, "first_only": 1, "second_only": 0}
    assert mixed["source_token"]["f1"] == pytest.approx(2 / 3)
    assert mixed["cue_exact"] == {"f1": 0.0, "both": 0, "first_only": 1, "second_only": 1}
    assert mixed["cue_token"]["f1"] == pytest.approx(2 / 3)
    (pair,) = mixed["pairs"]
    assert pair["reviewers"] == names
    assert pair["sentences"] == 2
    agreed = snapshots[spans["agreed"].pk]
    assert agreed["source_exact"]["f1"] == 1.0
    assert agreed["cue_exact"]["f1"] is None
    # Overall adds the outlets' counts: source both 2, first only 1 -> 4 / 5.
    overall = ScoreRun.objects.get(pk=run.pk).figures["span_agreement"]
    assert overall["sentences"] == 3
    assert overall["source_exact"]["f1"] == pytest.approx(0.8)
    assert overall["source_token"]["f1"] == pytest.approx(0.8)
    assert overall["cue_token"]["f1"] == pytest.approx(2 / 3)
    assert overall["pairs"][0]["reviewers"] == names


def test_outlet_without_span_marks_has_undefined_span_agreement(build):
    outlet = build.outlet("plain.example")
    sentence = build.article(outlet, 1).sentences.get()
    build.marks(sentence, [Label.CLAIM, Label.CLAIM])
    figures = recompute_outlet_scores().snapshots.get().figures["span_agreement"]
    assert figures["sentences"] == 0
    assert figures["pairs"] == []
    assert figures["source_exact"]["f1"] is None


def test_pages_show_span_agreement(client, lead, spans):
    client.force_login(lead)
    recompute_outlet_scores()
    html = client.get(reverse("reliability:outlet-detail", args=["mixed.example"])).content.decode()
    assert "Span agreement" in html
    assert "0.667" in html  # source exact, source tokens, cue tokens
    assert "0.000" in html  # cue exact
    assert f"{spans['first'].username} · {spans['second'].username}" in html
    listing = client.get(reverse("reliability:outlet-list")).content.decode()
    assert "span agreement F1" in listing
    assert "source 0.800 / 0.800" in listing
    plain = client.get(reverse("reliability:method")).content.decode()
    assert "token-overlap F1" in plain


def test_scores_command_includes_span_agreement(spans):
    output = json.loads(run_scores("--recompute", "--format", "json"))
    assert output["span_agreement"]["source_exact"]["f1"] == pytest.approx(0.8)
    by_domain = {o["outlet"]: o for o in output["outlets"]}
    assert by_domain["agreed.example"]["span_agreement"]["source_token"]["f1"] == 1.0
    table = run_scores()
    assert "(exact / token overlap, 3 sentence comparisons): source 0.80 / 0.80, cue 0.00 / 0.67" in table
    assert "srcF1" in table


def test_compute_queries_do_not_grow_with_span_sentences(build, spans, django_assert_max_num_queries):
    # PostgreSQL: 2 settings, and the record written from another thread, outside this count
    # (`queries.write_decided_record`).
    with django_assert_max_num_queries(27) as small:
        recompute_outlet_scores()
    first, second = spans["first"], spans["second"]
    person = build.source("Another speaker")
    for i in range(3):
        for sentence in build.article(build.outlet(f"more{i}.example"), 4).sentences.all():
            mark(sentence, first, (0, 8), (9, 10), person)
            mark(sentence, second, (0, 10), (9, 10), person)
    with django_assert_max_num_queries(len(small.captured_queries)):
        run = recompute_outlet_scores()
    assert run.figures["span_agreement"]["sentences"] == 3 + 12
