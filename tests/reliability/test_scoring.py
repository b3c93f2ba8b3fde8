"""Tests of the pure score math (reliability/scoring.py): no database.

Expected values are hand-computed (docs/scoring.md section 5) or published. Published alpha values:
Krippendorff, K. (2011). "Computing Krippendorff's Alpha-Reliability". Annenberg School for
Communication, Departmental Papers 43, https://repository.upenn.edu/asc_papers/43 -- example A
(binary, 2 observers, 10 units: 0.095), B (nominal, 2 observers, 12 units: 0.692) and C (nominal,
4 observers, 12 units with missing data: 0.743); and the "computational example" of Wikipedia's
"Krippendorff's alpha" article (3 coders, 15 units, nominal: 0.691).
"""

from __future__ import annotations

import dataclasses
import json
import math
import random
from collections import Counter
from collections.abc import Hashable, Sequence

import pytest
from hypothesis import given
from hypothesis import strategies as st
from scipy.stats import beta as beta_distribution

from reliability.scoring import (
    INDICATORS,
    METHOD_VERSION,
    SPAN_MEASURES,
    V1_INDICATORS,
    ArticleCounts,
    MethodSettings,
    SpanAgreement,
    SpanMark,
    beta_interval,
    compare_sentence_spans,
    global_rates,
    indicator_counts,
    interpret_alpha,
    krippendorff_alpha,
    raw_rate,
    reliability_score,
    score_outlet,
    side_balance,
    smoothed_rate,
)

# docs/scoring.md example 1: 4 claims, 6 attributions (3 named, 2 anonymous, 1 media), 5 analysis
# (the 1 `other` sentence is not counted).
EXAMPLE_ARTICLE = ArticleCounts(article_id=1, claims=4, attributions=6, analysis=5, a_named=3, a_anon=2, a_media=1)
NO_PRIOR = MethodSettings(prior_strength=0, min_articles=1)


def units_from_observers(rows: Sequence[Sequence[Hashable | None]]) -> list[list[Hashable | None]]:
    """Transpose an observers x units table (as printed in the papers) into one list per unit."""
    return [list(unit) for unit in zip(*rows, strict=True)]


def alpha_from_coincidences(units: Sequence[Sequence[Hashable | None]]) -> float | None:
    """Independent oracle: alpha = 1 - (n - 1) * D_o / D_e with nominal distance, from scratch."""
    coincidences: Counter[tuple[Hashable, Hashable]] = Counter()
    for unit in units:
        values = [v for v in unit if v is not None]
        if len(values) < 2:
            continue
        for i, c in enumerate(values):
            for j, k in enumerate(values):
                if i != j:
                    coincidences[c, k] += 1 / (len(values) - 1)
    totals: Counter[Hashable] = Counter()
    for (c, _), weight in coincidences.items():
        totals[c] += weight
    n = sum(totals.values())
    observed = sum(w for (c, k), w in coincidences.items() if c != k)
    expected = n * n - sum(t * t for t in totals.values())
    return None if expected == 0 else 1 - (n - 1) * observed / expected


def outlet_articles(count: int, seed: int = 7) -> list[ArticleCounts]:
    """Plausible, varied articles, reproducible from `seed`."""
    rng = random.Random(seed)
    articles = []
    for article_id in range(count):
        attributions = rng.randint(0, 14)
        a_named = rng.randint(0, attributions)
        a_anon = rng.randint(0, attributions - a_named)
        a_media = rng.randint(0, attributions - a_named - a_anon)
        gov = rng.randint(0, attributions)
        articles.append(
            ArticleCounts(
                article_id=article_id,
                claims=rng.randint(0, 12),
                attributions=attributions,
                analysis=rng.randint(0, 8),
                a_named=a_named,
                a_anon=a_anon,
                a_media=a_media,
                sides={"government": gov, "opposition": rng.randint(0, attributions - gov)},
            )
        )
    return articles


# --- docs/scoring.md section 5 worked examples ------------------------------------------------------


def test_example_1_counts_and_rates() -> None:
    rates = {name: raw_rate(x, n) for name, (x, n) in indicator_counts(EXAMPLE_ARTICLE).items()}
    assert EXAMPLE_ARTICLE.reporting == EXAMPLE_ARTICLE.R == 10
    # Without claims data: no article or claim group to count (n = 0, no value), and none of the
    # reporting sentences is in a corroborated claim.
    assert [rates.pop(name) for name in ("original_share", "first_share", "weak_claim_share")] == [None] * 3
    assert rates.pop("corroboration_rate") == 0.0
    assert rates == pytest.approx(
        {
            "sourcing_rate": 0.6,
            "named_share": 0.5,
            "anonymous_share": 1 / 3,
            "second_hand_share": 1 / 6,
            "analysis_share": 1 / 3,
        }
    )


def test_example_2_smoothing() -> None:
    assert smoothed_rate(x=6, n=10, p0=0.4, m=20) == pytest.approx(14 / 30)
    assert round(smoothed_rate(x=6, n=10, p0=0.4, m=20), 4) == 0.4667


def test_example_3_score_without_smoothing() -> None:
    rates = {name: raw_rate(x, n) for name, (x, n) in indicator_counts(EXAMPLE_ARTICLE).items()}
    assert reliability_score(rates) == pytest.approx(65.0)
    outlet = score_outlet([EXAMPLE_ARTICLE], global_rates([EXAMPLE_ARTICLE]), NO_PRIOR, k_sides=3)
    assert outlet.score == pytest.approx(65.0)


def test_example_4_side_balance() -> None:
    balance = side_balance({"government": 4, "opposition": 1, "international": 1}, k=3)
    assert round(balance.normalized_entropy, 4) == 0.7897
    assert balance.dominant_side == "government"
    assert balance.dominant_share == pytest.approx(2 / 3)
    assert balance.total == 6


def test_example_5_alpha() -> None:
    units = [
        ("claim", "claim"),
        ("analysis", "analysis"),
        ("attribution", "claim"),
        ("attribution", "attribution"),
    ]
    assert krippendorff_alpha(units) == pytest.approx(1 - 14 / 42)
    assert round(krippendorff_alpha(units), 4) == 0.6667
    assert interpret_alpha(krippendorff_alpha(units)) == "tentative"


# --- Krippendorff's alpha: published examples and edge cases -----------------------------------

PUBLISHED_ALPHAS = [
    pytest.param(
        [[0, 1, 0, 0, 0, 0, 0, 0, 1, 0], [1, 1, 1, 0, 0, 1, 0, 0, 0, 0]],
        0.095,
        id="krippendorff-2011-A-binary",
    ),
    pytest.param(
        [list("aabbdcccedda"), list("babbbccceddd")],
        0.692,
        id="krippendorff-2011-B-nominal-two-observers",
    ),
    pytest.param(
        [
            [1, 2, 3, 3, 2, 1, 4, 1, 2, None, None, None],
            [1, 2, 3, 3, 2, 2, 4, 1, 2, 5, None, 3],
            [None, 3, 3, 3, 2, 3, 4, 2, 2, 5, 1, None],
            [1, 2, 3, 3, 2, 4, 4, 1, 2, 5, 1, None],
        ],
        0.743,
        id="krippendorff-2011-C-four-observers-missing",
    ),
    pytest.param(
        [
            [None, None, None, None, None, 3, 4, 1, 2, 1, 1, 3, 3, None, 3],
            [1, None, 2, 1, 3, 3, 4, 3, None, None, None, None, None, None, None],
            [None, None, 2, 1, 3, 4, 4, None, 2, 1, 1, 3, 3, None, 4],
        ],
        0.691,
        id="wikipedia-computational-example",
    ),
]


@pytest.mark.parametrize(("observers", "expected"), PUBLISHED_ALPHAS)
def test_alpha_matches_published_examples(observers: list[list], expected: float) -> None:
    units = units_from_observers(observers)
    assert round(krippendorff_alpha(units), 3) == expected
    assert krippendorff_alpha(units) == pytest.approx(alpha_from_coincidences(units))


@pytest.mark.parametrize(
    ("units", "expected"),
    [
        pytest.param([], None, id="no-units"),
        pytest.param([["claim"]], None, id="single-mark"),
        pytest.param([["claim", None], [None, "analysis"]], None, id="nothing-pairable"),
        pytest.param([["claim", "claim"]], None, id="single-value-single-unit"),
        pytest.param([["claim", "claim"], ["claim"]], None, id="single-value-one-pairable-unit"),
        pytest.param([["claim", "claim"], ["claim", "claim", None]], 1.0, id="all-identical"),
        pytest.param([["claim", "claim"], ["analysis", "analysis"]], 1.0, id="perfect"),
        pytest.param([["claim", "analysis"]], 0.0, id="one-disagreeing-unit"),
        pytest.param([["a", "b"], ["b", "a"]], -0.5, id="systematic-disagreement"),
        pytest.param([["a", float("nan"), "a"], ["b", "b"]], 1.0, id="nan-is-missing"),
    ],
)
def test_alpha_edge_cases(units: list[list], expected: float | None) -> None:
    assert krippendorff_alpha(units) == expected


def test_alpha_rejects_other_levels() -> None:
    with pytest.raises(ValueError, match="interval"):
        krippendorff_alpha([[1, 2], [2, 2]], level="interval")


@pytest.mark.parametrize(
    ("alpha", "reading"),
    [
        (None, "undefined"),
        (1.0, "reliable"),
        (0.800, "reliable"),
        (0.7996, "reliable"),
        (0.79, "tentative"),
        (0.667, "tentative"),
        (2 / 3, "tentative"),
        (0.666, "not reliable"),
        (0.0, "not reliable"),
        (-0.5, "not reliable"),
    ],
)
def test_interpret_alpha(alpha: float | None, reading: str) -> None:
    assert interpret_alpha(alpha) == reading


units_strategy = st.lists(
    st.lists(st.one_of(st.none(), st.sampled_from(["claim", "attribution", "analysis"])), max_size=4),
    max_size=12,
)


@given(units_strategy)
def test_alpha_is_at_most_one_and_matches_the_coincidence_formula(units: list[list]) -> None:
    alpha = krippendorff_alpha(units)
    if alpha is not None:
        assert -1.0 - 1e-9 <= alpha <= 1.0 + 1e-9
        oracle = alpha_from_coincidences(units)
        assert oracle is None or alpha == pytest.approx(oracle)


@given(units_strategy)
def test_alpha_matches_the_krippendorff_package(units: list[list]) -> None:
    """Our one implementation against the published `krippendorff` package (the test oracle),
    wherever alpha is defined there (two or more values among pairable units)."""
    import krippendorff
    import numpy as np

    pairable = [[v for v in unit if v is not None] for unit in units]
    pairable = [unit for unit in pairable if len(unit) >= 2]
    values = sorted({v for unit in pairable for v in unit})
    if len(values) < 2:
        return
    counts = np.array([[unit.count(v) for v in values] for unit in pairable])
    expected = krippendorff.alpha(value_counts=counts, level_of_measurement="nominal")
    assert krippendorff_alpha(units) == pytest.approx(expected)


# --- Span agreement ----------------------------------------------------------------------------

SENTENCE = "The White Helmets, an opposition rescue service, affirmed the rising casualties."


def pair_f1(text: str, first: tuple[int, int] | None, second: tuple[int, int] | None, measure: str) -> float | None:
    """One pair's F1 on one measure, both reviewers' spans given as their source span."""
    agreement = SpanAgreement()
    agreement.add(compare_sentence_spans(text, [SpanMark("ann", first, None), SpanMark("bob", second, None)]))
    return agreement.to_dict()[measure]["f1"]


@pytest.mark.parametrize(
    ("span_a", "span_b", "expected"),
    [
        pytest.param((4, 17), (4, 17), 1.0, id="identical"),
        pytest.param(None, None, None, id="both-empty"),
        pytest.param((4, 17), None, 0.0, id="one-empty"),
        pytest.param((0, 17), (4, 17), 0.0, id="different-boundaries"),
    ],
)
def test_exact_span_f1(span_a, span_b, expected: float | None) -> None:
    assert pair_f1(SENTENCE, span_a, span_b, "source_exact") == expected


@pytest.mark.parametrize(
    ("span_a", "span_b", "expected"),
    [
        pytest.param((4, 17), (4, 17), 1.0, id="identical"),
        pytest.param((0, 17), (4, 17), 0.8, id="3-vs-2-tokens"),
        pytest.param((0, 17), (5, 16), 0.8, id="partial-tokens-count"),
        pytest.param((50, 58), (4, 17), 0.0, id="disjoint"),
        pytest.param(None, None, None, id="both-empty"),
        pytest.param((17, 19), (17, 18), None, id="punctuation-only"),
    ],
)
def test_token_overlap_span_f1(span_a, span_b, expected: float | None) -> None:
    assert pair_f1(SENTENCE, span_a, span_b, "source_token") == expected


@pytest.mark.parametrize("bad_span", [(5, 5), (-1, 3), (10, 4), (0, len(SENTENCE) + 1)])
def test_span_comparison_rejects_invalid_spans(bad_span: tuple[int, int]) -> None:
    with pytest.raises(ValueError, match="invalid span"):
        compare_sentence_spans(SENTENCE, [SpanMark("ann", bad_span, None), SpanMark("bob", (0, 3), None)])


# --- Smoothing and Beta intervals --------------------------------------------------------------


@pytest.mark.parametrize(
    ("x", "n", "p0", "m", "expected"),
    [
        (6, 10, 0.4, 20, 14 / 30),
        (0, 0, 0.4, 20, 0.4),
        (5, 10, 0.3, 0, 0.5),
        (0, 0, 0.5, 0, None),
        (10, 10, 0.0, 10, 0.5),
    ],
)
def test_smoothed_rate(x: int, n: int, p0: float, m: float, expected: float | None) -> None:
    assert smoothed_rate(x, n, p0, m) == (expected if expected is None else pytest.approx(expected))


@pytest.mark.parametrize(
    ("x", "n", "p0", "m"),
    [(11, 10, 0.4, 20), (-1, 10, 0.4, 20), (1, 10, 1.5, 20), (1, 10, 0.4, -1)],
)
def test_smoothing_rejects_impossible_inputs(x: int, n: int, p0: float, m: float) -> None:
    with pytest.raises(ValueError, match="need 0 <= x <= n"):
        smoothed_rate(x, n, p0, m)
    with pytest.raises(ValueError, match="need 0 <= x <= n"):
        beta_interval(x, n, p0, m)


def test_beta_interval_is_equal_tailed_around_the_posterior_mean() -> None:
    low, high = beta_interval(6, 10, 0.4, 20, level=0.90)
    assert beta_distribution.cdf(low, 14, 16) == pytest.approx(0.05)
    assert beta_distribution.cdf(high, 14, 16) == pytest.approx(0.95)
    assert low < smoothed_rate(6, 10, 0.4, 20) < high
    wide_low, wide_high = beta_interval(6, 10, 0.4, 20, level=0.95)
    assert wide_low < low
    assert high < wide_high


@pytest.mark.parametrize(
    ("x", "n", "p0", "m", "expected"),
    [
        pytest.param(0, 0, 0.4, 0, None, id="no-evidence-no-prior"),
        pytest.param(0, 10, 0.4, 0, (0.0, 0.0), id="all-failures-no-prior"),
        pytest.param(10, 10, 0.4, 0, (1.0, 1.0), id="all-successes-no-prior"),
        pytest.param(0, 10, 0.0, 20, (0.0, 0.0), id="zero-prior-and-no-successes"),
    ],
)
def test_beta_interval_degenerate(x: int, n: int, p0: float, m: float, expected: tuple | None) -> None:
    assert beta_interval(x, n, p0, m) == expected


@given(
    n=st.integers(0, 500),
    fraction=st.floats(0, 1),
    p0=st.floats(0, 1),
    m=st.floats(0, 100),
)
def test_smoothed_rate_lies_between_raw_rate_and_prior(n: int, fraction: float, p0: float, m: float) -> None:
    x = round(fraction * n)
    smoothed = smoothed_rate(x, n, p0, m)
    raw = raw_rate(x, n)
    if raw is None:
        assert smoothed is None if m == 0 else smoothed == pytest.approx(p0)
    else:
        assert min(raw, p0) - 1e-12 <= smoothed <= max(raw, p0) + 1e-12


# --- Side balance ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("counts", "k", "entropy", "dominant", "share"),
    [
        pytest.param({}, 3, None, None, None, id="no-attributions"),
        pytest.param({"a": 0, "b": 0}, 3, None, None, None, id="zero-counts"),
        pytest.param({"a": 5}, 3, 0.0, "a", 1.0, id="one-side"),
        pytest.param({"a": 2, "b": 2}, 2, 1.0, None, 0.5, id="even-tie"),
        pytest.param({"a": 1, "b": 1, "c": 1}, 3, 1.0, None, 1 / 3, id="even-three"),
        pytest.param({"a": 3}, 1, None, "a", 1.0, id="k-below-2"),
        pytest.param({"a": 3, "b": 1}, 4, None, "a", 0.75, id="two-of-four-sides"),
    ],
)
def test_side_balance(counts: dict, k: int, entropy: float | None, dominant: str | None, share: float | None) -> None:
    balance = side_balance(counts, k)
    if counts == {"a": 3, "b": 1}:
        entropy = -(0.75 * math.log(0.75) + 0.25 * math.log(0.25)) / math.log(4)
    assert balance.normalized_entropy == (entropy if entropy is None else pytest.approx(entropy))
    assert balance.dominant_side == dominant
    assert balance.dominant_share == (share if share is None else pytest.approx(share))


@pytest.mark.parametrize(("counts", "k"), [({"a": 1, "b": 1}, 1), ({"a": -1}, 2)])
def test_side_balance_rejects_inconsistent_counts(counts: dict, k: int) -> None:
    with pytest.raises(ValueError, match="side"):
        side_balance(counts, k)


# --- Counts, global rates, score ---------------------------------------------------------------


@pytest.mark.parametrize(
    "fields",
    [
        {"claims": -1},
        {"attributions": 2, "a_named": 2, "a_anon": 1},
        {"attributions": 1, "sides": {"a": 2}},
    ],
)
def test_article_counts_reject_inconsistent_counts(fields: dict) -> None:
    with pytest.raises(ValueError, match="article"):
        ArticleCounts(**fields)


def test_global_rates_accept_articles_or_pooled_totals() -> None:
    articles = outlet_articles(30)
    pooled = ArticleCounts.pooled(articles)
    assert global_rates(articles) == global_rates(pooled)
    assert global_rates(iter(articles)) == global_rates(pooled)
    assert pooled.attributions == sum(a.attributions for a in articles)
    assert pooled.sides["government"] == sum(a.sides["government"] for a in articles)


def test_global_rates_without_evidence_are_none() -> None:
    assert global_rates([]) == dict.fromkeys(INDICATORS)
    rates = global_rates([ArticleCounts(claims=3)])
    assert rates["sourcing_rate"] == 0.0
    assert rates["named_share"] is None


def test_weights_change_the_score() -> None:
    rates = {name: raw_rate(x, n) for name, (x, n) in indicator_counts(EXAMPLE_ARTICLE).items()}
    assert reliability_score(rates, weights=(1, 0, 0, 0)) == pytest.approx(60.0)
    assert reliability_score(rates, weights=(0, 0, 1, 1)) == pytest.approx(75.0)
    assert reliability_score({**rates, "named_share": None}) is None
    assert reliability_score({**rates, "named_share": None}, weights=(1, 0, 0, 0)) == 60.0
    with pytest.raises(ValueError, match="positive sum"):
        reliability_score(rates, weights=(0, 0, 0, 0))


def test_settings_and_counts_are_hashable_values() -> None:
    assert MethodSettings(weights=[2, 1, 1, 1]).weights == (2.0, 1.0, 1.0, 1.0)
    assert hash(MethodSettings()) == hash(MethodSettings())
    assert hash(EXAMPLE_ARTICLE) == hash(ArticleCounts(**{**vars(EXAMPLE_ARTICLE)}))


@pytest.mark.parametrize(
    "fields",
    [
        {"prior_strength": -1},
        {"weights": (1, 1, 1)},
        {"weights": (0, 0, 0, 0)},
        {"weights": (1, -1, 1, 1)},
        {"interval_level": 1.0},
        {"n_resamples": 0},
        {"min_articles": 0},
    ],
)
def test_method_settings_reject_bad_values(fields: dict) -> None:
    with pytest.raises(ValueError, match="must|weights"):
        MethodSettings(**fields)


# --- Outlet roll-up ----------------------------------------------------------------------------


@pytest.mark.parametrize("count", [0, 1, 4])
def test_outlet_below_min_articles_has_insufficient_evidence(count: int) -> None:
    articles = outlet_articles(count)
    outlet = score_outlet(articles, global_rates(outlet_articles(50)), MethodSettings(), k_sides=2)
    assert outlet.insufficient_evidence
    assert outlet.article_count == count
    assert outlet.score is None
    assert outlet.score_interval is None
    assert outlet.side_balance is None
    pooled = ArticleCounts.pooled(articles)
    assert outlet.sentence_count == pooled.claims + pooled.attributions + pooled.analysis
    for name, (x, n) in indicator_counts(pooled).items():
        estimate = outlet.indicators[name]
        assert (estimate.x, estimate.n, estimate.raw) == (x, n, raw_rate(x, n))
        assert estimate.smoothed is None
        assert estimate.beta_interval is None
        assert estimate.bootstrap_interval is None


def test_outlet_with_min_articles_is_scored() -> None:
    articles = outlet_articles(5)
    outlet = score_outlet(articles, global_rates(outlet_articles(50)), MethodSettings(), k_sides=2)
    assert not outlet.insufficient_evidence
    assert 0 <= outlet.score <= 100
    assert outlet.side_balance is not None


def test_outlet_without_attributions_falls_back_to_the_global_rates() -> None:
    articles = [ArticleCounts(article_id=i, claims=5, analysis=2) for i in range(6)]
    p0 = global_rates(outlet_articles(50))
    outlet = score_outlet(articles, p0, MethodSettings(), k_sides=2)
    named = outlet.indicators["named_share"]
    assert (named.x, named.n, named.raw) == (0, 0, None)
    assert named.smoothed == pytest.approx(p0["named_share"])
    assert outlet.indicators["sourcing_rate"].smoothed == pytest.approx(20 * p0["sourcing_rate"] / (30 + 20))
    assert outlet.score is not None
    assert outlet.side_balance.normalized_entropy is None


def test_outlet_without_global_rate_has_no_score() -> None:
    articles = [ArticleCounts(article_id=i, claims=5) for i in range(6)]
    outlet = score_outlet(articles, global_rates(articles), MethodSettings(), k_sides=2)
    assert outlet.indicators["named_share"].smoothed is None
    assert outlet.indicators["named_share"].bootstrap_interval is None
    assert outlet.indicators["sourcing_rate"].smoothed == 0.0
    assert outlet.score is None
    assert outlet.score_interval is None


def test_identical_articles_give_a_degenerate_bootstrap_interval() -> None:
    articles = [EXAMPLE_ARTICLE] * 5
    settings = MethodSettings(prior_strength=0)
    outlet = score_outlet(articles, global_rates(articles), settings, k_sides=3)
    assert outlet.score == pytest.approx(65.0)
    assert outlet.score_interval == pytest.approx((65.0, 65.0))


def test_intervals_contain_the_point_estimates() -> None:
    articles = outlet_articles(40)
    outlet = score_outlet(articles, global_rates(outlet_articles(400, seed=1)), MethodSettings(), k_sides=2)
    low, high = outlet.score_interval
    assert low <= outlet.score <= high
    assert high - low > 0
    for name in V1_INDICATORS:
        estimate = outlet.indicators[name]
        assert estimate.bootstrap_interval[0] <= estimate.smoothed <= estimate.bootstrap_interval[1]
        assert estimate.beta_interval[0] <= estimate.smoothed <= estimate.beta_interval[1]


def test_bootstrap_is_deterministic_and_independent_of_row_order() -> None:
    articles = outlet_articles(25)
    p0 = global_rates(outlet_articles(300, seed=2))
    first = score_outlet(articles, p0, MethodSettings(), k_sides=2).to_dict()
    again = score_outlet(articles, p0, MethodSettings(), k_sides=2).to_dict()
    shuffled = list(articles)
    random.Random(3).shuffle(shuffled)
    assert first == again == score_outlet(shuffled, p0, MethodSettings(), k_sides=2).to_dict()
    other_seed = score_outlet(articles, p0, MethodSettings(seed=1), k_sides=2)
    assert other_seed.score == first["score"]
    assert list(other_seed.score_interval) != first["score_interval"]


def test_figures_dict_is_json_serialisable_and_records_the_method() -> None:
    outlet = score_outlet(outlet_articles(12), global_rates(outlet_articles(100)), MethodSettings(), k_sides=2)
    figures = json.loads(json.dumps(outlet.to_dict()))
    assert set(figures) == {
        "method_version",
        "settings",
        "article_count",
        "sentence_count",
        "insufficient_evidence",
        "score",
        "score_interval",
        "counts",
        "indicators",
        "side_balance",
    }
    assert figures["method_version"] == METHOD_VERSION == "2"
    assert figures["settings"] == {
        "prior_strength": 20.0,
        "weights": {
            "sourcing_rate": 1.0,
            "named_share": 1.0,
            "anonymous_share": 1.0,
            "second_hand_share": 1.0,
        },
        "interval_level": 0.90,
        "n_resamples": 1000,
        "min_articles": 5,
        "seed": MethodSettings().seed,
    }
    assert set(figures["indicators"]) == set(INDICATORS)
    assert set(figures["indicators"]["named_share"]) == {
        "x",
        "n",
        "raw",
        "smoothed",
        "prior_rate",
        "beta_interval",
        "bootstrap_interval",
        "direction",
    }
    assert figures["counts"]["reporting"] == figures["counts"]["claims"] + figures["counts"]["attributions"]
    assert set(figures["side_balance"]) == {
        "total",
        "k",
        "normalized_entropy",
        "dominant_side",
        "dominant_share",
    }
    insufficient = score_outlet(outlet_articles(2), {}, MethodSettings(), k_sides=2).to_dict()
    assert json.loads(json.dumps(insufficient))["score"] is None


def test_side_balance_of_a_single_side_is_plain_zero():
    balance = side_balance({"left": 18}, 3)
    assert balance.normalized_entropy == 0.0
    assert math.copysign(1.0, balance.normalized_entropy) == 1.0  # not -0.0, which pages print as "-0.000"


# --- Span agreement ----------------------------------------------------------------------------

# Tokens: Officials 0-9, said 10-14, on 15-17, Monday 18-24, that 25-29, the 30-33, plan 34-38, failed 39-45.
SPAN_TEXT = "Officials said on Monday that the plan failed."


def span_agreement(*sentences: tuple[str, list[SpanMark]]) -> dict:
    agreement = SpanAgreement()
    for text, marks in sentences:
        agreement.add(compare_sentence_spans(text, marks))
    return agreement.to_dict()


@pytest.mark.parametrize(
    ("span", "expected"),
    [
        ((0, 9), {0}),
        ((9, 11), {1}),  # the space at 9 touches no token, "s" of "said" does
        ((12, 20), {1, 2, 3}),
        ((8, 10), {0}),  # ends on the space before "said"
    ],
)
def test_covered_tokens(span, expected):
    ((_pair, units),) = compare_sentence_spans(SPAN_TEXT, [SpanMark("ann", span, None), SpanMark("bob", None, None)])
    assert units["source_token"] == (expected, set())


def test_span_agreement_is_micro_averaged_over_sentences():
    """Two sentences, one pair. Sentence 1: same source; cue "said" vs "said on". Sentence 2: only
    the first reviewer gives a (partial) source. Hand counts (both, first only, second only):
    source exact (1, 1, 0) -> 2/3; source tokens (1, 1, 0) -> 2/3; cue exact (0, 1, 1) -> 0;
    cue tokens (1, 0, 1) -> 2/3. A mean of per-sentence source exact F1s would give 0.5 instead."""
    figures = span_agreement(
        (SPAN_TEXT, [SpanMark("ann", (0, 9), (10, 14)), SpanMark("bob", (0, 9), (10, 17))]),
        (SPAN_TEXT, [SpanMark("ann", (0, 4), None), SpanMark("bob", None, None)]),
    )
    assert figures["sentences"] == 2
    assert figures["source_exact"] == {"f1": pytest.approx(2 / 3), "both": 1, "first_only": 1, "second_only": 0}
    assert figures["source_token"] == {"f1": pytest.approx(2 / 3), "both": 1, "first_only": 1, "second_only": 0}
    assert figures["cue_exact"] == {"f1": 0.0, "both": 0, "first_only": 1, "second_only": 1}
    assert figures["cue_token"] == {"f1": pytest.approx(2 / 3), "both": 1, "first_only": 0, "second_only": 1}
    (pair,) = figures["pairs"]
    assert pair["reviewers"] == ["ann", "bob"]
    assert pair["sentences"] == 2
    assert {measure: pair[measure] for measure in SPAN_MEASURES} == {
        measure: figures[measure] for measure in SPAN_MEASURES
    }


def test_span_agreement_does_not_depend_on_the_pair_direction():
    forward = span_agreement((SPAN_TEXT, [SpanMark("ann", (0, 9), (10, 14)), SpanMark("bob", (30, 38), (10, 17))]))
    backward = span_agreement((SPAN_TEXT, [SpanMark("bob", (30, 38), (10, 17)), SpanMark("ann", (0, 9), (10, 14))]))
    assert forward == backward
    assert forward["source_exact"]["f1"] == 0.0
    # cue tokens {said} vs {said, on}: 2 * 1 / (1 + 2)
    assert forward["cue_token"]["f1"] == pytest.approx(2 / 3)


def test_span_agreement_overall_adds_up_every_pair():
    """Three reviewers on one sentence: pairs (ann, bob) agree on the source, (ann, cat) and
    (bob, cat) do not; overall source exact: both 1, first only 2, second only 2 -> 2 / 6."""
    figures = span_agreement(
        (SPAN_TEXT, [SpanMark("cat", (30, 38), None), SpanMark("ann", (0, 9), None), SpanMark("bob", (0, 9), None)])
    )
    assert [p["reviewers"] for p in figures["pairs"]] == [["ann", "bob"], ["ann", "cat"], ["bob", "cat"]]
    assert [p["source_exact"]["f1"] for p in figures["pairs"]] == [1.0, 0.0, 0.0]
    assert figures["source_exact"]["f1"] == pytest.approx(1 / 3)
    assert figures["sentences"] == 3
    # Nobody marked a cue: undefined, not 0 or 1.
    assert figures["cue_exact"]["f1"] is None
    assert figures["cue_token"]["f1"] is None


@pytest.mark.parametrize(
    "marks",
    [
        [],
        [SpanMark("ann", (0, 9), (10, 14))],
        [SpanMark("ann", None, None), SpanMark("bob", None, None)],
    ],
)
def test_span_agreement_without_a_pair_with_spans_is_undefined(marks):
    assert compare_sentence_spans(SPAN_TEXT, marks) == []
    figures = span_agreement((SPAN_TEXT, marks))
    assert figures["sentences"] == 0
    assert figures["pairs"] == []
    assert all(figures[measure]["f1"] is None for measure in SPAN_MEASURES)


def test_span_agreement_rejects_a_span_outside_the_text():
    with pytest.raises(ValueError, match="invalid span"):
        compare_sentence_spans("Short.", [SpanMark("ann", (0, 40), None), SpanMark("bob", None, None)])


# --- Method version 2: claims across outlets --------------------------------------------------------


def with_claims(articles: list[ArticleCounts], seed: int = 11) -> list[ArticleCounts]:
    """The same articles with plausible claims-across-outlets counts."""
    rng = random.Random(seed)
    result = []
    for article in articles:
        carried = rng.randint(0, 5)
        result.append(
            dataclasses.replace(
                article,
                articles=1,
                original=rng.random() < 0.8,
                carried=carried,
                carried_first=rng.randint(0, carried),
                carried_weak=rng.randint(0, carried),
                corroborated=rng.randint(0, article.reporting),
            )
        )
    return result


def test_v2_example_claims_indicators() -> None:
    """One article that restates nothing, whose 10 reporting sentences belong to 4 claim groups:
    it carried 1 first, 3 are single-source or unsourced, and 2 of its sentences are in
    corroborated groups."""
    article = dataclasses.replace(
        EXAMPLE_ARTICLE, articles=1, original=1, carried=4, carried_first=1, carried_weak=3, corroborated=2
    )
    rates = {name: raw_rate(x, n) for name, (x, n) in indicator_counts(article).items()}
    assert rates["original_share"] == 1.0
    assert rates["first_share"] == 0.25
    assert rates["weak_claim_share"] == 0.75
    assert rates["corroboration_rate"] == 0.2


def test_v2_keeps_every_v1_figure_and_the_score() -> None:
    """The version-1 indicators, the score and every interval are the same whatever the claims
    counts: the bootstrap draws whole articles, and the score reads only the v1 indicators."""
    articles = outlet_articles(30)
    p0 = global_rates(outlet_articles(300, seed=2))
    v1 = score_outlet(articles, p0, MethodSettings(), k_sides=2).to_dict()
    claimed = with_claims(articles)
    v2 = score_outlet(claimed, global_rates(with_claims(outlet_articles(300, seed=2))), MethodSettings(), k_sides=2)
    v2 = v2.to_dict()
    assert (v2["score"], v2["score_interval"], v2["side_balance"]) == (
        v1["score"],
        v1["score_interval"],
        v1["side_balance"],
    )
    for name in V1_INDICATORS:
        assert v2["indicators"][name] == v1["indicators"][name]
    for name in set(INDICATORS) - set(V1_INDICATORS):
        estimate = v2["indicators"][name]
        assert estimate["n"] > 0
        assert estimate["bootstrap_interval"][0] <= estimate["smoothed"] <= estimate["bootstrap_interval"][1]


@pytest.mark.parametrize(
    "changes",
    [{"original": 1}, {"articles": 1, "carried": 1, "carried_first": 2}, {"carried": 1, "carried_weak": 2},
     {"corroborated": 11}],
)  # fmt: skip
def test_claims_counts_above_their_base_are_refused(changes) -> None:
    with pytest.raises(ValueError, match="above their base|more corroborated"):
        dataclasses.replace(EXAMPLE_ARTICLE, **changes)


# --- The exact plain-Python alpha and the vectorised Beta intervals give the same floats -------

_pattern = st.tuples(*[st.integers(0, 9)] * 4)


@given(st.dictionaries(_pattern, st.integers(1, 50_000), min_size=1, max_size=12))
def test_plain_python_alpha_is_the_numpy_float_whenever_it_is_taken(patterns):
    import reliability.scoring as scoring

    fast = scoring._alpha_exactly(patterns)
    saved = scoring._alpha_exactly
    scoring._alpha_exactly = lambda _: scoring._INEXACT
    try:
        reference = scoring.krippendorff_alpha_from_patterns(patterns)
    finally:
        scoring._alpha_exactly = saved
    if fast is not scoring._INEXACT:
        assert fast == reference  # the same float, not merely close
    assert scoring.krippendorff_alpha_from_patterns(patterns) == reference


def test_plain_python_alpha_covers_two_and_three_marks_and_leaves_four_to_numpy():
    import reliability.scoring as scoring

    assert scoring._alpha_exactly({(2, 0, 0, 0): 5, (1, 1, 0, 0): 2, (1, 1, 1, 0): 3}) is not scoring._INEXACT
    assert scoring._alpha_exactly({(2, 2, 0, 0): 5, (1, 1, 0, 0): 2}) is scoring._INEXACT


# Groups of pattern rows, as a score run reads them per article: mostly two or three marks per
# sentence (the exact numpy path), sometimes four (the per-group fallback), sometimes none or one
# (not pairable), a repeated pattern within a group, large unit counts (n near the exact limit).
_group_rows = st.lists(
    st.tuples(
        st.integers(0, 5),
        st.one_of(st.tuples(*[st.integers(0, 3)] * 4), st.tuples(*[st.integers(0, 1)] * 4)),
        st.one_of(st.integers(1, 40), st.integers(1, 3_000_000)),
    ),
    max_size=40,
)


@given(_group_rows)
def test_alpha_per_group_is_each_groups_own_alpha(rows):
    from reliability.scoring import krippendorff_alpha_from_patterns, krippendorff_alpha_per_group

    expected: dict[int, Counter] = {}
    for group, pattern, units in rows:
        expected.setdefault(group, Counter())[pattern] += units
    batch = krippendorff_alpha_per_group(
        [group for group, _, _ in rows], [pattern for _, pattern, _ in rows], [units for _, _, units in rows]
    )
    assert batch == {group: krippendorff_alpha_from_patterns(patterns) for group, patterns in expected.items()}
    for value in batch.values():  # the same float, or None, never merely close
        assert value is None or type(value) is float


def test_alpha_per_group_takes_the_worked_examples_and_refuses_what_the_scalar_refuses():
    from reliability.scoring import krippendorff_alpha_from_patterns, krippendorff_alpha_per_group

    pairs = {(2, 0, 0, 0): 40, (1, 1, 0, 0): 3, (0, 0, 2, 0): 7}
    rows = [("a", pattern, units) for pattern, units in pairs.items()] + [("b", (1, 0, 0, 0), 5)]
    rows += [("c", (2, 0, 0, 0), 1), ("d", (4, 0, 0, 0), 1), ("d", (0, 3, 1, 0), 2)]  # one unit; four marks
    batch = krippendorff_alpha_per_group(*zip(*rows, strict=True))
    assert batch == {
        "a": krippendorff_alpha_from_patterns(pairs),
        "b": None,  # nothing pairable
        "c": None,  # one unit, one value: too little to call agreement
        "d": krippendorff_alpha_from_patterns({(4, 0, 0, 0): 1, (0, 3, 1, 0): 2}),
    }
    assert krippendorff_alpha_per_group([], [], []) == {}
    with pytest.raises(ValueError, match="non-negative"):
        krippendorff_alpha_per_group([1], [(2, -1, 0, 0)], [1])


# A global rate is a ratio of counts: 0, or at least 1 / (a trillion sentences). Below that (e.g. a
# subnormal 4e-312 drawn by hypothesis) scipy's own per-case call overflows in boost's beta function.
RATES = st.one_of(st.just(0.0), st.floats(1e-12, 1))


@given(
    st.lists(
        st.tuples(st.integers(0, 400), st.integers(0, 400), RATES, st.sampled_from([0, 0.5, 20])),
        min_size=1,
        max_size=9,
    )
)
def test_beta_intervals_are_each_cases_own_interval(cases):
    from reliability.scoring import beta_intervals

    cases = [(min(x, n), n, p0, m) for x, n, p0, m in cases]
    expected = []
    for x, n, p0, m in cases:  # one scipy call per case, as before the vectorised call
        a, b = x + m * p0, n - x + m * (1 - p0)
        if a + b == 0:
            expected.append(None)
        elif a == 0 or b == 0:
            expected.append((0.0, 0.0) if a == 0 else (1.0, 1.0))
        else:
            tail = (1 - 0.90) / 2
            low, high = beta_distribution.ppf([tail, 1 - tail], a, b)
            expected.append((float(low), float(high)))
    assert beta_intervals(cases) == expected


@given(st.integers(0, 2**32), st.integers(1, 60), st.sampled_from([0, 5, 20]), st.booleans())
def test_bootstrap_intervals_are_those_of_the_column_by_column_sums(seed, size, m, missing_prior):
    """The resampled totals (draw counts times counts) and the batched percentiles give the same
    floats as summing each column over the drawn articles and one percentile call per column."""
    import numpy as np

    import reliability.scoring as scoring

    rng = random.Random(seed)
    articles = []
    for i in range(size):
        attributions = rng.randint(0, 9)
        named = rng.randint(0, attributions)
        articles.append(
            ArticleCounts(
                article_id=i, claims=rng.randint(0, 9), attributions=attributions, analysis=rng.randint(0, 4),
                a_named=named, a_anon=rng.randint(0, attributions - named), articles=1, original=rng.randint(0, 1),
            )
        )  # fmt: skip
    settings = MethodSettings(prior_strength=m, n_resamples=200, seed=seed % 1000)
    priors = np.array([rng.random() for _ in scoring.INDICATORS])
    if missing_prior:
        priors[0] = np.nan
    matrix = np.array([article.row() for article in articles], dtype=np.int64)
    picks = np.random.default_rng(settings.seed).integers(0, size, size=(settings.n_resamples, size))
    totals = np.column_stack([column[picks].sum(axis=1) for column in matrix.T])
    with np.errstate(divide="ignore", invalid="ignore"):
        smoothed = (totals @ scoring._NUMERATORS + m * priors) / (totals @ scoring._DENOMINATORS + m)
    expected = {
        name: scoring._percentile_interval(smoothed[:, j], settings.interval_level)
        for j, name in enumerate(scoring.INDICATORS)
    }
    scored = smoothed[:, [list(scoring.INDICATORS).index(name) for name in scoring.SCORED_INDICATORS]]
    flip = np.array([scoring.INDICATORS[name][2] == "lower_is_better" for name in scoring.SCORED_INDICATORS])
    weights = np.array(settings.weights)
    scores = 100 * (np.where(flip, 1 - scored, scored) @ weights) / weights.sum()
    intervals, score_interval = scoring._cluster_bootstrap(articles, priors, settings)
    assert intervals == expected
    assert score_interval == scoring._percentile_interval(scores, settings.interval_level)
    # Several outlets at once (as a score run does): each gets the figures of a call of its own.
    others = [totals[::-1], 2 * totals, totals + totals[::-1]]  # other outlets' (consistent) totals
    together = scoring._bootstrap_intervals_of([*others, totals], priors, settings)
    assert together[-1] == (intervals, score_interval)
    assert together[:-1] == [scoring._bootstrap_intervals(other, priors, settings) for other in others]


@pytest.mark.parametrize("batch", [1, 2, 50])
def test_outlets_finished_together_get_the_figures_of_one_call_each(batch, monkeypatch):
    """`finish_outlets` applies the global rates to several prepared outlets with one Beta quantile
    call and batched bootstraps: each outlet's figures are those `score_outlet` gives it alone (same
    floats), whatever the other outlets (too few articles, no prior for an indicator, other sizes)
    and however they are batched."""
    import reliability.scoring as scoring
    from reliability.scoring import finish_outlets, prepare_outlet

    monkeypatch.setattr(scoring, "_BOOTSTRAP_BATCH", batch)

    outlets = [with_claims(outlet_articles(size, seed=size)) for size in (3, 5, 40, 120)]
    p0 = global_rates([article for outlet in outlets for article in outlet])
    p0_missing = {**p0, "named_share": None}
    settings = MethodSettings()
    for rates in (p0, p0_missing):
        together = finish_outlets([prepare_outlet(outlet, settings, 2) for outlet in outlets], rates)
        alone = [score_outlet(outlet, rates, settings, k_sides=2) for outlet in outlets]
        assert [score.to_dict() for score in together] == [score.to_dict() for score in alone]
        assert together[0].insufficient_evidence
        assert together[0].score is None
        assert (together[3].score is None) == (rates is p0_missing)  # a scored indicator without a rate


@given(st.lists(st.tuples(*[st.integers(0, 30)] * 3), max_size=20))
def test_pooled_counts_are_the_sums_of_each_field(rows):
    import reliability.scoring as scoring

    articles = [
        ArticleCounts(article_id=i, claims=c, attributions=a, a_named=min(n, a), analysis=n, sides={"x": min(n, a)})
        for i, (c, a, n) in enumerate(rows)
    ]
    pooled = ArticleCounts.pooled(articles)
    for name in scoring.COUNT_FIELDS:
        assert getattr(pooled, name) == sum(getattr(article, name) for article in articles)
    assert pooled.row() == tuple(getattr(pooled, name) for name in scoring.COUNT_FIELDS)
    sides: Counter = Counter()
    for article in articles:
        sides.update(article.sides)
    assert pooled.sides == dict(sides)
