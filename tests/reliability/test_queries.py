"""The SQL roll-up (reliability/queries.py) against the pure-Python gold rules and score math."""

from __future__ import annotations

import random
from collections import Counter, defaultdict

import pytest

from annotate.codebook import NAMED_KINDS, Label, SourceKind
from annotate.gold import resolve_gold_label, resolve_gold_source
from annotate.models import Adjudication, Annotation, Sentence
from reliability import queries
from reliability.models import ScoreRun
from reliability.scoring import ArticleCounts, krippendorff_alpha, krippendorff_alpha_from_patterns

from .conftest import Builder, example_one

LABELS = list(Label.values)


def python_rollup() -> dict[int, ArticleCounts]:
    """The reference: every mark loaded, gold labels by annotate.gold, counts by hand."""
    marks: dict[int, list[Annotation]] = defaultdict(list)
    for mark in Annotation.objects.select_related("source__side__topic"):
        marks[mark.sentence_id].append(mark)
    adjudications = {a.sentence_id: a for a in Adjudication.objects.select_related("source__side__topic")}
    totals: dict[int, Counter] = defaultdict(Counter)
    sides: dict[int, Counter] = defaultdict(Counter)
    for sentence in Sentence.objects.filter(reviewable=True):
        sentence_marks = marks.get(sentence.pk, [])
        adjudication = adjudications.get(sentence.pk)
        gold = resolve_gold_label([m.label for m in sentence_marks], adjudication.label if adjudication else None)
        if gold.label not in (Label.CLAIM, Label.ATTRIBUTION, Label.ANALYSIS):
            continue
        counts = totals[sentence.article_id]
        counts[{"claim": "claims", "attribution": "attributions", "analysis": "analysis"}[gold.label]] += 1
        if gold.label != Label.ATTRIBUTION:
            continue
        source = resolve_gold_source(
            [m.source_id for m in sentence_marks if m.label == Label.ATTRIBUTION],
            adjudication.source_id if adjudication else None,
        )
        if source.source_id is None:
            continue
        chosen = (
            next((m.source for m in sentence_marks if m.source_id == source.source_id), None) or adjudication.source
        )
        if chosen.kind in NAMED_KINDS:
            counts["a_named"] += 1
        elif chosen.kind == SourceKind.ANONYMOUS:
            counts["a_anon"] += 1
        elif chosen.kind == SourceKind.MEDIA:
            counts["a_media"] += 1
        if chosen.side:
            sides[sentence.article_id][f"{chosen.side.topic.name}: {chosen.side.name}"] += 1
    return {
        article_id: ArticleCounts(article_id=article_id, sides=dict(sides[article_id]), **counts)
        for article_id, counts in totals.items()
    }


def recorded_run() -> int:
    """A run with its record written from the current marks (no figures): what roll-ups read."""
    run = ScoreRun.objects.create(method_version="test")
    queries.record_run_sentences(run.pk)
    return run.pk


def random_dataset(build: Builder, lead, seed: int = 3) -> None:
    rng = random.Random(seed)
    sources = [
        build.source("Minister", SourceKind.GOVERNMENT, "left"),
        build.source("Rebels", SourceKind.ORGANISATION, "right"),
        build.source("Analysts", SourceKind.ANONYMOUS),
        build.source("Reports", SourceKind.MEDIA),
        build.source("Study", SourceKind.DOCUMENT, "centre"),
    ]
    build.reviewers(3)
    for domain in ("a.example", "b.example"):
        outlet = build.outlet(domain)
        for _ in range(4):
            article = build.article(outlet, 12)
            for sentence in article.sentences.all():
                k = rng.choice([0, 1, 2, 2, 2, 3])
                labels = [rng.choice(LABELS) for _ in range(k)]
                if rng.random() < 0.6 and k:
                    labels = [labels[0]] * k
                build.marks(
                    sentence, labels, [rng.choice(sources) if lab == Label.ATTRIBUTION else None for lab in labels]
                )
                if rng.random() < 0.1:
                    label = rng.choice(LABELS)
                    build.adjudicate(sentence, label, lead, rng.choice(sources) if label == Label.ATTRIBUTION else None)


def test_sql_rollup_equals_python_rollup(build, lead):
    random_dataset(build, lead)
    expected = python_rollup()
    rollups = queries.article_rollups(recorded_run())
    assert {r.article_id: r.counts for r in rollups} == expected
    assert sum(c.attributions for c in expected.values()) > 5
    assert sum(c.a_anon + c.a_media for c in expected.values()) > 0


def test_gold_label_cases(build, lead):
    outlet = build.outlet("cases.example")
    article = build.article(outlet, 6)
    named = build.source("Named", SourceKind.PERSON)
    other_named = build.source("Other", SourceKind.PERSON)
    s = list(article.sentences.order_by("position"))
    build.marks(s[0], [Label.CLAIM, Label.CLAIM])  # unanimous
    build.marks(s[1], [Label.CLAIM, Label.CLAIM, Label.ANALYSIS])  # majority
    build.marks(s[2], [Label.CLAIM, Label.ANALYSIS])  # disputed
    build.marks(s[3], [Label.CLAIM, Label.ANALYSIS])  # disputed, then adjudicated
    build.adjudicate(s[3], Label.ANALYSIS, lead)
    build.marks(s[4], [Label.ATTRIBUTION, Label.ATTRIBUTION], [named, other_named])  # source disputed
    rows = {
        row.position: (row.gold_label, row.label_source, row.gold_source)
        for row in queries.sentences_with_label_source(article.sentences.all())
    }
    assert rows == {
        0: (Label.CLAIM, "unanimous", None),
        1: (Label.CLAIM, "majority", None),
        2: (None, "disputed", None),
        3: (Label.ANALYSIS, "adjudicated", None),
        4: (Label.ATTRIBUTION, "unanimous", None),
        5: (None, "unmarked", None),
    }
    assert [x.position for x in queries.disputed_sentences()] == [2, 4]


def test_worked_example_one_from_real_marks(build):
    outlet = build.outlet("example.org")
    article = example_one(build, outlet)
    (rollup,) = queries.article_rollups(recorded_run())
    counts = rollup.counts
    assert (counts.claims, counts.attributions, counts.analysis) == (4, 6, 5)
    assert (counts.a_named, counts.a_anon, counts.a_media, counts.reporting) == (3, 2, 1, 10)
    assert counts.attributions / counts.reporting == pytest.approx(0.6)
    assert counts.a_anon / counts.attributions == pytest.approx(1 / 3)
    assert counts.analysis / (counts.reporting + counts.analysis) == pytest.approx(1 / 3)
    assert rollup.article_id == article.pk
    assert sum(counts.sides.values()) == 3


def test_rollup_runs_a_constant_number_of_queries(build, lead, django_assert_num_queries):
    random_dataset(build, lead)
    run_id = recorded_run()
    with django_assert_num_queries(2):
        queries.article_rollups(run_id)


def test_agreement_patterns_match_alpha_over_units(build, lead):
    random_dataset(build, lead, seed=11)
    units: dict[int, list[str]] = defaultdict(list)
    outlet_of = dict(Sentence.objects.values_list("pk", "article__outlet_id"))
    for sentence_id, label in Annotation.objects.values_list("sentence_id", "label"):
        units[sentence_id].append(label)
    patterns = queries.agreement_patterns(recorded_run(), per_article=True)
    assert krippendorff_alpha_from_patterns(patterns.overall) == pytest.approx(krippendorff_alpha(units.values()))
    for outlet_id, counter in patterns.by_outlet.items():
        outlet_units = [u for s, u in units.items() if outlet_of[s] == outlet_id]
        assert krippendorff_alpha_from_patterns(counter) == pytest.approx(krippendorff_alpha(outlet_units))


def test_reviewer_pair_patterns_count_shared_sentences(build):
    outlet = build.outlet("pairs.example")
    article = build.article(outlet, 3)
    s = list(article.sentences.order_by("position"))
    build.marks(s[0], [Label.CLAIM, Label.CLAIM])
    build.marks(s[1], [Label.CLAIM, Label.ANALYSIS])
    first, second = build.reviewers(2)
    patterns = queries.reviewer_pair_patterns()
    assert patterns == {(outlet.pk, first.pk, second.pk): Counter({(2, 0, 0, 0): 1, (1, 0, 1, 0): 1})}
