"""Score math of method version 2 (docs/scoring.md): agreement, smoothing, intervals, the outlet roll-up.

Version 2 adds four indicators from claims across outlets (original reporting, first to report,
single-source or unsourced claims, corroboration), shown beside the score and not part of it: the
version-1 indicators, the score and their intervals keep their values.

Pure functions over numbers and dataclasses, no Django and no ORM: `reliability/queries.py` turns
rows into `ArticleCounts`, and the score snapshot stores `OutletScore.to_dict()`.
"""

from __future__ import annotations

import math
import operator
import re
from collections import Counter, defaultdict
from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, cast

import numpy as np
from numpy.typing import ArrayLike

METHOD_VERSION = "2"

Span = tuple[int, int]
Interval = tuple[float, float]

# Count fields of one article, in the column order of the bootstrap matrix. Version 2 adds the
# claims fields: the article itself (1), whether it is original reporting (0/1), the claim groups
# its reporting sentences belong to, those it carried first, those that are single-source or
# unsourced, and its reporting sentences in corroborated claims.
COUNT_FIELDS = (
    "claims",
    "attributions",
    "analysis",
    "a_named",
    "a_anon",
    "a_media",
    "articles",
    "original",
    "carried",
    "carried_first",
    "carried_weak",
    "corroborated",
)
CLAIM_FIELDS = ("articles", "original", "carried", "carried_first", "carried_weak", "corroborated")

# indicator -> (numerator field, denominator fields, direction); docs/scoring.md section 4.
INDICATORS: dict[str, tuple[str, tuple[str, ...], str]] = {
    "sourcing_rate": ("attributions", ("claims", "attributions"), "higher_is_better"),
    "named_share": ("a_named", ("attributions",), "higher_is_better"),
    "anonymous_share": ("a_anon", ("attributions",), "lower_is_better"),
    "second_hand_share": ("a_media", ("attributions",), "lower_is_better"),
    "analysis_share": ("analysis", ("claims", "attributions", "analysis"), "not_scored"),
    # Method version 2: claims across outlets (docs/claims.md), shown with intervals, not scored.
    "original_share": ("original", ("articles",), "higher_is_better"),
    "first_share": ("carried_first", ("carried",), "not_scored"),
    "weak_claim_share": ("carried_weak", ("carried",), "lower_is_better"),
    "corroboration_rate": ("corroborated", ("claims", "attributions"), "higher_is_better"),
}
# Indicators of method version 1, whose values version 2 keeps.
V1_INDICATORS = ("sourcing_rate", "named_share", "anonymous_share", "second_hand_share", "analysis_share")
# The indicators in the reliability score, in the order of `MethodSettings.weights`.
SCORED_INDICATORS = ("sourcing_rate", "named_share", "anonymous_share", "second_hand_share")

# pooled counts (... x fields) @ _NUMERATORS -> x, @ _DENOMINATORS -> n (... x indicators).
_NUMERATORS = np.array([[f == num for num, _, _ in INDICATORS.values()] for f in COUNT_FIELDS], dtype=np.int64)
_DENOMINATORS = np.array([[f in den for _, den, _ in INDICATORS.values()] for f in COUNT_FIELDS], dtype=np.int64)
_TOKEN = re.compile(r"\w+")
_ROW = operator.attrgetter(*COUNT_FIELDS)  # one article's counts in `COUNT_FIELDS` order, in one call
# indicator -> the `COUNT_FIELDS` positions of its numerator and denominator fields.
_INDICATOR_COLUMNS = [
    (name, COUNT_FIELDS.index(num), tuple(COUNT_FIELDS.index(d) for d in den))
    for name, (num, den, _) in INDICATORS.items()
]


@dataclass(frozen=True)
class MethodSettings:
    """The knobs of the method; changing a default (or a formula) bumps `METHOD_VERSION`.

    `weights` follow `SCORED_INDICATORS` and are normalised by their sum; `seed` makes every
    bootstrap reproducible (each outlet starts a fresh generator from it).
    """

    prior_strength: float = 20.0
    weights: tuple[float, float, float, float] = (1.0, 1.0, 1.0, 1.0)
    interval_level: float = 0.90
    n_resamples: int = 1000
    min_articles: int = 5
    seed: int = 20241125

    def __post_init__(self) -> None:
        object.__setattr__(self, "weights", tuple(float(weight) for weight in self.weights))
        if self.prior_strength < 0:
            raise ValueError("prior_strength must be >= 0")
        if len(self.weights) != len(SCORED_INDICATORS) or min(self.weights) < 0 or sum(self.weights) <= 0:
            raise ValueError(f"weights need {len(SCORED_INDICATORS)} non-negative values with a positive sum")
        if not 0 < self.interval_level < 1:
            raise ValueError("interval_level must lie strictly between 0 and 1")
        if self.n_resamples < 1 or self.min_articles < 1:
            raise ValueError("n_resamples and min_articles must be >= 1")

    def to_dict(self) -> dict[str, Any]:
        return {
            "prior_strength": self.prior_strength,
            "weights": dict(zip(SCORED_INDICATORS, self.weights, strict=True)),
            "interval_level": self.interval_level,
            "n_resamples": self.n_resamples,
            "min_articles": self.min_articles,
            "seed": self.seed,
        }


# --- Agreement ---------------------------------------------------------------------------------


def _is_missing(value: object) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def krippendorff_alpha(units: Iterable[Sequence[Hashable | None]], level: str = "nominal") -> float | None:
    """Krippendorff's alpha for nominal data, 1 - (n - 1) * D_o / D_e over the coincidence matrix.

    Input: one sequence of values per unit (sentence), one value per mark; any hashable labels,
    `None` (or NaN) for a missing mark. Units with fewer than 2 values are not pairable: ignored.
    Output: alpha in [-1, 1], or None when undefined:
    - no pairable unit -> None;
    - every pairable value identical -> 1.0 (perfect agreement), but None when that single value
      comes from fewer than 2 units (docs/scoring.md section 2: too little to call it agreement).
    Raises ValueError for any level other than "nominal". Computed by
    `krippendorff_alpha_from_patterns` (the one implementation; the `krippendorff` package is the
    test oracle).
    """
    if level != "nominal":
        raise ValueError(f"level {level!r} is not supported; only 'nominal' is")
    present = Counter(tuple(value for value in unit if not _is_missing(value)) for unit in units)
    return krippendorff_alpha_from_label_patterns(present)


def krippendorff_alpha_from_label_patterns(patterns: Mapping[tuple[Hashable, ...], int]) -> float | None:
    """Nominal alpha from {the values of one unit (any order): number of units with them}, e.g.
    {("claim", "claim"): 40, ("analysis", "claim"): 3}. Same result and edge cases as
    `krippendorff_alpha` on the expanded units."""
    codes: dict[Hashable, int] = {}
    for values in patterns:
        for value in values:
            codes.setdefault(value, len(codes))
    counted: Counter = Counter()
    for values, units in patterns.items():
        vector = [0] * len(codes)
        for value in values:
            vector[codes[value]] += 1
        counted[tuple(vector)] += units
    return krippendorff_alpha_from_patterns(counted) if codes else None


def krippendorff_alpha_from_patterns(patterns: Mapping[tuple[int, ...], int]) -> float | None:
    """Nominal alpha from label-count patterns: (marks per value, one count per value) -> number
    of units with that pattern. Same result and edge cases as `krippendorff_alpha` on the
    expanded units, but memory grows with the distinct patterns, not the units, so callers can
    stream units from the database and fold them into a Counter.

    Coincidences: o_ck += f * n_c * (n_k - [c == k]) / (m - 1) per pattern of m >= 2 values seen
    f times; alpha = 1 - (n - 1) * D_o / D_e with n = sum of o. Raises ValueError for a negative
    count or patterns of different lengths.
    """
    exact = _alpha_exactly(patterns)
    if not isinstance(exact, _Inexact):
        return exact
    # Sorted: the sums below then do not depend on the order the patterns were counted in.
    rows = [(np.array(pattern, dtype=float), units) for pattern, units in sorted(patterns.items()) if units > 0]
    if not rows:
        return None
    if len({len(pattern) for pattern, _ in rows}) != 1 or any((pattern < 0).any() for pattern, _ in rows):
        raise ValueError("patterns need the same length and non-negative counts")
    size = len(rows[0][0])
    coincidences = np.zeros((size, size))
    pairable_units = 0
    for pattern, units in rows:
        marks = pattern.sum()
        if marks < 2:
            continue
        pairable_units += units
        coincidences += units * (np.outer(pattern, pattern) - np.diag(pattern)) / (marks - 1)
    totals = coincidences.sum(axis=1)
    n = totals.sum()
    if n == 0:
        return None
    if np.count_nonzero(totals) == 1:
        return 1.0 if pairable_units >= 2 else None
    observed = n - np.trace(coincidences)
    expected = n * n - (totals**2).sum()
    return float(1 - (n - 1) * observed / expected)


def krippendorff_alpha_per_group(
    groups: ArrayLike, patterns: ArrayLike, units: ArrayLike
) -> dict[Hashable, float | None]:
    """`krippendorff_alpha_from_patterns` of many small pattern sets at once: row i says that
    group `groups[i]` has `units[i]` units with label-count pattern `patterns[i]` (a group's
    patterns need not be distinct nor adjacent). Returns group -> alpha, the same float (or None)
    as `krippendorff_alpha_from_patterns` of the group's patterns summed into one mapping; every
    group named in `groups` is in the result. A score run asks for one alpha per article.

    In numpy for the groups where `_alpha_exactly` would be exact (non-negative counts, every
    pairable pattern's marks - 1 a power of two, n * (largest marks - 1) below 2**26): each
    coincidence is then a dyadic rational and every sum exact, so summing per group in another
    order gives the same floats, and the last steps are the same float operations in the same
    order. The other groups (a sentence with four marks, say) go through
    `krippendorff_alpha_from_patterns` one by one.
    """
    group_values = np.asarray(groups)
    if not len(group_values):
        return {}
    keys, group_index = np.unique(group_values, return_inverse=True)
    counts = np.asarray(patterns, dtype=np.int64)
    weights = np.asarray(units, dtype=np.int64)
    if counts.ndim != 2 or len(counts) != len(weights) or len(counts) != len(group_index):
        raise ValueError("patterns need the same length, one per group and units entry")
    size, ngroups = counts.shape[1], len(keys)
    kept = weights > 0
    marks = counts.sum(axis=1)
    pairable = kept & (marks >= 2)
    # A group is exact unless one of its kept rows has a negative count, or a pairable row's
    # marks - 1 is not a power of two.
    bad = kept & ((counts < 0).any(axis=1) | (pairable & (((marks - 1) & (marks - 2)) != 0)))
    inexact = np.bincount(group_index, weights=bad, minlength=ngroups) > 0
    # n = sum of every pairable unit's marks (each unit adds marks (marks - 1) / (marks - 1)).
    n_exact = np.bincount(group_index[pairable], weights=(weights * marks)[pairable], minlength=ngroups)
    denominator = np.zeros(ngroups, dtype=np.int64)
    np.maximum.at(denominator, group_index[pairable], (marks - 1)[pairable])
    inexact |= n_exact * denominator >= 2**26  # n * n * den * den >= 2**52
    pairable_units = np.bincount(group_index[pairable], weights=weights[pairable], minlength=ngroups)
    rows = pairable & ~inexact[group_index]
    g, c, w, m = group_index[rows], counts[rows].astype(float), weights[rows], marks[rows]
    per_row = w[:, None, None] * (c[:, :, None] * c[:, None, :] - c[:, :, None] * np.eye(size)) / (m - 1)[:, None, None]
    cells = (g[:, None] * size * size + np.arange(size * size)).ravel()
    coincidences = np.bincount(cells, weights=per_row.ravel(), minlength=ngroups * size * size)
    coincidences = coincidences.reshape(ngroups, size, size)
    totals = coincidences.sum(axis=2)
    n = totals.sum(axis=1)
    observed = n - np.trace(coincidences, axis1=1, axis2=2)
    expected = n * n - (totals * totals).sum(axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        alpha = 1 - (n - 1) * observed / expected
    single = np.count_nonzero(totals, axis=1) == 1
    result: dict[Hashable, float | None] = {}
    columns = (keys, inexact, n, single, pairable_units, alpha)
    rows_of = zip(*(column.tolist() for column in columns), strict=True)
    for key, skipped, total, one_value, units_paired, value in rows_of:
        if skipped:
            continue
        if total == 0:
            result[key] = None
        elif one_value:
            result[key] = 1.0 if units_paired >= 2 else None
        else:
            result[key] = value
    order = np.argsort(group_index, kind="stable")
    bounds = np.searchsorted(group_index[order], np.arange(ngroups + 1))
    for i in np.flatnonzero(inexact).tolist():
        mapping: Counter[tuple[int, ...]] = Counter()
        for row in order[bounds[i] : bounds[i + 1]].tolist():
            mapping[tuple(counts[row].tolist())] += int(weights[row])
        result[keys[i].item()] = krippendorff_alpha_from_patterns(mapping)
    return result


class _Inexact:
    """The answer of `_alpha_exactly` when it cannot be exact: numpy computes alpha then."""


_INEXACT = _Inexact()


def _alpha_exactly(patterns: Mapping[tuple[int, ...], int]) -> float | None | _Inexact:
    """`krippendorff_alpha_from_patterns` in plain Python when every step is exact in floating
    point, else `_INEXACT`. A score run asks for one alpha per article (tens of thousands of small
    pattern sets), where numpy's per-call cost dominates.

    Exact when the counts are integers and every pairable pattern's marks - 1 is a power of two
    (2, 3, 5 or 9 marks): each coincidence is then a dyadic rational, every sum is exact (so the
    summation order cannot matter) and the last division rounds as numpy's does: the same float.
    """
    rows = []
    for pattern, units in patterns.items():
        if units <= 0:
            continue
        if not isinstance(units, int) or any(not isinstance(value, int) or value < 0 for value in pattern):
            return _INEXACT
        rows.append((pattern, units))
    if not rows:
        return None
    size = len(rows[0][0])
    if any(len(pattern) != size for pattern, _ in rows):
        return _INEXACT  # the numpy path raises the error
    coincidences = [[0.0] * size for _ in range(size)]
    pairable_units = denominator = 0
    for pattern, units in rows:
        marks = sum(pattern)
        if marks < 2:
            continue
        if (marks - 1) & (marks - 2):
            return _INEXACT
        pairable_units += units
        denominator = max(denominator, marks - 1)
        for i, count_i in enumerate(pattern):
            if count_i:
                row = coincidences[i]
                for j, count_j in enumerate(pattern):
                    row[j] += units * (count_i * count_j - (count_i if i == j else 0)) / (marks - 1)
    totals = [sum(row) for row in coincidences]
    n = sum(totals)
    if n * n * denominator * denominator >= 2**52:
        return _INEXACT  # too large for every product to stay exact
    if n == 0:
        return None
    if sum(1 for total in totals if total != 0) == 1:
        return 1.0 if pairable_units >= 2 else None
    observed = n - sum(coincidences[i][i] for i in range(size))
    expected = n * n - sum(total * total for total in totals)
    return float(1 - (n - 1) * observed / expected)


def interpret_alpha(alpha: float | None) -> str:
    """Content-analysis reading of alpha: >= 0.800 "reliable", >= 0.667 "tentative", below that
    "not reliable"; None -> "undefined". Compared at the three decimals shown, so that 2/3 (shown
    as 0.667) reads "tentative", as the 0.667 threshold (Krippendorff's 2/3) intends."""
    if alpha is None:
        return "undefined"
    shown = round(alpha, 3)
    if shown >= 0.800:
        return "reliable"
    return "tentative" if shown >= 0.667 else "not reliable"


def _f1(matched: int, size_a: int, size_b: int) -> float | None:
    return None if size_a + size_b == 0 else 2 * matched / (size_a + size_b)


def _checked_spans(spans: Iterable[Span], limit: int | None = None) -> set[Span]:
    checked = {(int(start), int(end)) for start, end in spans}
    for start, end in checked:
        if not 0 <= start < end or (limit is not None and end > limit):
            raise ValueError(f"invalid span ({start}, {end})")
    return checked


# --- Proportions with a Beta prior -------------------------------------------------------------


def _check_proportion(x: float, n: float, p0: float, m: float) -> None:
    if not (0 <= x <= n and 0 <= p0 <= 1 and m >= 0):
        raise ValueError(f"need 0 <= x <= n, 0 <= p0 <= 1, m >= 0 (got x={x}, n={n}, p0={p0}, m={m})")


def raw_rate(x: float, n: float) -> float | None:
    """x / n, or None when n == 0 (no evidence: an undefined rate, never 0)."""
    return None if n == 0 else x / n


def smoothed_rate(x: float, n: float, p0: float, m: float) -> float | None:
    """Posterior mean (x + m p0) / (n + m): the observed rate pulled toward the global rate p0 by
    m pseudo-sentences. n == 0 gives p0; n + m == 0 gives None. Raises ValueError unless
    0 <= x <= n, 0 <= p0 <= 1 and m >= 0."""
    _check_proportion(x, n, p0, m)
    return None if n + m == 0 else (x + m * p0) / (n + m)


def beta_interval(x: float, n: float, p0: float, m: float, level: float = 0.90) -> Interval | None:
    """Equal-tailed `level` interval of Beta(x + m p0, n - x + m (1 - p0)).

    Degenerate parameters: both zero (n + m == 0) -> None; only the first zero -> (0.0, 0.0),
    only the second zero -> (1.0, 1.0): the point masses the Beta tends to. Inputs and
    ValueError as for `smoothed_rate`.
    """
    return beta_intervals([(x, n, p0, m)], level)[0]


def beta_intervals(cases: Sequence[tuple[float, float, float, float]], level: float = 0.90) -> list[Interval | None]:
    """`beta_interval` of each (x, n, p0, m), with one vectorised quantile call for all of them
    (an outlet's indicators at once: scipy's per-call cost dominates a score run otherwise). The
    quantile function is applied element by element, so each interval is the one a call of its
    own gives."""
    intervals: list[Interval | None] = []
    regular: list[int] = []
    shapes: list[tuple[float, float]] = []
    for x, n, p0, m in cases:
        _check_proportion(x, n, p0, m)
        a, b = x + m * p0, n - x + m * (1 - p0)
        if a + b == 0:
            intervals.append(None)
        elif a == 0 or b == 0:
            intervals.append((0.0, 0.0) if a == 0 else (1.0, 1.0))
        else:
            regular.append(len(intervals))
            intervals.append(None)
            shapes.append((a, b))
    if shapes:
        # scipy.stats is imported here, not at start-up: it takes ~0.8 s and pulls in numpy.f2py, which
        # lowers Python's regex cache to 50 entries for the whole process (pysbd, the sentence
        # splitter, then recompiles its patterns all the time: half its speed)
        from scipy.stats import beta as beta_distribution

        tail = (1 - level) / 2
        a_values = np.array([[a] for a, _ in shapes])
        b_values = np.array([[b] for _, b in shapes])
        quantiles = beta_distribution.ppf(np.array([[tail, 1 - tail]]), a_values, b_values)
        for index, (low, high) in zip(regular, quantiles, strict=True):
            intervals[index] = (float(low), float(high))
    return intervals


# --- Side balance ------------------------------------------------------------------------------


@dataclass(frozen=True)
class SideBalance:
    """How evenly attributions spread over the k sides of a topic (docs/scoring.md section 4)."""

    total: int
    k: int
    normalized_entropy: float | None
    dominant_side: str | None
    dominant_share: float | None

    def to_dict(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in self.__dataclass_fields__}


def side_balance(counts: Mapping[str, int], k: int) -> SideBalance:
    """Normalised entropy H / ln k of attributions over sides; H = -sum p ln p over sides, p > 0.

    Input: attribution count per side name; k = number of sides defined for the topic.
    Output: 1.0 = perfectly even, 0.0 = one side only. `normalized_entropy` is None when there are
    no attributions with a side or k < 2. `dominant_side` is the side with the largest count (None
    when there are none or two sides tie for first); `dominant_share` its share of the total.
    Raises ValueError for a negative count or more sides with attributions than k.
    """
    if any(count < 0 for count in counts.values()):
        raise ValueError("side counts must be >= 0")
    present = {side: count for side, count in counts.items() if count > 0}
    if len(present) > k:
        raise ValueError(f"{len(present)} sides have attributions but only k={k} are defined")
    total = sum(present.values())
    if total == 0:
        return SideBalance(total=0, k=k, normalized_entropy=None, dominant_side=None, dominant_share=None)
    shares = np.array(list(present.values()), dtype=float) / total
    entropy = abs(float(-(shares * np.log(shares)).sum()))  # abs: one side gives -0.0
    top = max(present.values())
    leaders = [side for side, count in present.items() if count == top]
    return SideBalance(
        total=total,
        k=k,
        normalized_entropy=entropy / math.log(k) if k >= 2 else None,
        dominant_side=leaders[0] if len(leaders) == 1 else None,
        dominant_share=top / total,
    )


# --- Counts and indicators ---------------------------------------------------------------------


@dataclass(frozen=True)
class ArticleCounts:
    """Gold-label counts of one article (or pooled over many), `other` excluded (docs/scoring.md 3).

    claims C, attributions A, analysis N; a_named / a_anon / a_media count attributions by source
    kind (attributions whose gold source is disputed are in A but in none of them); `sides` counts
    attributions per side of their source. Claims across outlets (method version 2): `articles` 1
    per article, `original` 1 when it restates no other outlet's story; `carried` the claim groups
    (carried by two or more outlets) its claims and attributions belong to, `carried_first` those
    its outlet published first, `carried_weak` those single-source or unsourced; `corroborated` its
    claims and attributions in corroborated groups.
    """

    article_id: int | str | None = None
    claims: int = 0
    attributions: int = 0
    analysis: int = 0
    a_named: int = 0
    a_anon: int = 0
    a_media: int = 0
    articles: int = 0
    original: int = 0
    carried: int = 0
    carried_first: int = 0
    carried_weak: int = 0
    corroborated: int = 0
    sides: Mapping[str, int] = field(default_factory=dict, hash=False)

    def __post_init__(self) -> None:
        if min(self.row()) < 0 or any(count < 0 for count in self.sides.values()):
            raise ValueError(f"negative count in article {self.article_id}")
        if self.a_named + self.a_anon + self.a_media > self.attributions:
            raise ValueError(f"article {self.article_id}: more attributions by kind than attributions")
        if sum(self.sides.values()) > self.attributions:
            raise ValueError(f"article {self.article_id}: more attributions by side than attributions")
        if self.original > self.articles or max(self.carried_first, self.carried_weak) > self.carried:
            raise ValueError(f"article {self.article_id}: claim counts above their base")
        if self.corroborated > self.claims + self.attributions:
            raise ValueError(f"article {self.article_id}: more corroborated than reporting sentences")

    @property
    def reporting(self) -> int:
        """R = C + A, the reporting sentences."""
        return self.claims + self.attributions

    R = reporting

    def row(self) -> tuple[int, ...]:
        """The counts in `COUNT_FIELDS` order."""
        return _ROW(self)

    @classmethod
    def pooled(cls, articles: Iterable[ArticleCounts], article_id: int | str | None = None) -> ArticleCounts:
        """Sum of the counts (and side counts) of `articles`; all zero for none."""
        articles = list(articles)
        sides: dict[str, int] = {}
        for article in articles:
            for side, count in article.sides.items():
                sides[side] = sides.get(side, 0) + count
        rows = [article.row() for article in articles] or [(0,) * len(COUNT_FIELDS)]
        totals = dict(zip(COUNT_FIELDS, (sum(column) for column in zip(*rows, strict=True)), strict=True))
        return cls(article_id=article_id, sides=sides, **totals)


def indicator_counts(counts: ArticleCounts) -> dict[str, tuple[int, int]]:
    """(x, n) per indicator, in `INDICATORS` order: sourcing rate A/R, named share A_named/A,
    anonymous share A_anon/A, second-hand share A_media/A, analysis share N/(R+N); version 2:
    original reporting share original/articles, first-to-report share carried_first/carried,
    single-source-or-unsourced share carried_weak/carried, corroboration rate corroborated/R."""
    row = counts.row()
    return {name: (row[num], sum(row[d] for d in den)) for name, num, den in _INDICATOR_COLUMNS}


def global_rates(counts: ArticleCounts | Iterable[ArticleCounts]) -> dict[str, float | None]:
    """The all-outlet rate p0 per indicator, pooled over sentences (not a mean of outlet rates).

    Input: every article's counts, or one `ArticleCounts` already pooled (e.g. totals aggregated in
    the database). Output: indicator -> x / n, None where n == 0.
    """
    pooled = counts if isinstance(counts, ArticleCounts) else ArticleCounts.pooled(counts)
    return {name: raw_rate(x, n) for name, (x, n) in indicator_counts(pooled).items()}


def reliability_score(values: Mapping[str, float | None], weights: Sequence[float] = (1, 1, 1, 1)) -> float | None:
    """100 x weighted mean of sourcing rate, named share, 1 - anonymous, 1 - second-hand share.

    Input: indicator -> value (smoothed, or raw for m = 0); weights in `SCORED_INDICATORS` order.
    Output: 0-100, or None when an indicator with positive weight is None or missing.
    Raises ValueError for a negative weight or weights without a positive sum.
    """
    if min(weights) < 0 or sum(weights) <= 0:
        raise ValueError("weights must be non-negative with a positive sum")
    total = weighted = 0.0
    for name, weight in zip(SCORED_INDICATORS, weights, strict=True):
        if weight == 0:
            continue
        value = values.get(name)
        if value is None:
            return None
        weighted += weight * (1 - value if INDICATORS[name][2] == "lower_is_better" else value)
        total += weight
    return 100 * weighted / total


# --- Outlet roll-up ----------------------------------------------------------------------------


@dataclass(frozen=True)
class IndicatorEstimate:
    """One indicator of one outlet: pooled x / n, raw and smoothed rate, and both intervals."""

    x: int
    n: int
    raw: float | None
    smoothed: float | None
    prior_rate: float | None
    beta_interval: Interval | None
    bootstrap_interval: Interval | None
    direction: str

    def to_dict(self) -> dict[str, Any]:
        figures = {name: getattr(self, name) for name in self.__dataclass_fields__}
        for name in ("beta_interval", "bootstrap_interval"):
            figures[name] = list(figures[name]) if figures[name] is not None else None
        return figures


@dataclass(frozen=True)
class OutletScore:
    """The figures of one outlet; `to_dict()` is what a score snapshot stores and pages show."""

    article_count: int
    sentence_count: int
    insufficient_evidence: bool
    counts: ArticleCounts
    indicators: dict[str, IndicatorEstimate]
    score: float | None
    score_interval: Interval | None
    side_balance: SideBalance | None
    settings: MethodSettings
    method_version: str = METHOD_VERSION

    def to_dict(self) -> dict[str, Any]:
        """JSON-serialisable figures (plain floats, ints, strings, lists, dicts and None)."""
        counts = {name: getattr(self.counts, name) for name in COUNT_FIELDS}
        return {
            "method_version": self.method_version,
            "settings": self.settings.to_dict(),
            "article_count": self.article_count,
            "sentence_count": self.sentence_count,
            "insufficient_evidence": self.insufficient_evidence,
            "score": self.score,
            "score_interval": list(self.score_interval) if self.score_interval else None,
            "counts": counts | {"reporting": self.counts.reporting, "sides": dict(self.counts.sides)},
            "indicators": {name: estimate.to_dict() for name, estimate in self.indicators.items()},
            "side_balance": self.side_balance.to_dict() if self.side_balance else None,
        }


def _percentile_interval(values: np.ndarray, level: float) -> Interval | None:
    finite = values[~np.isnan(values)]
    if finite.size == 0:
        return None
    tail = 100 * (1 - level) / 2
    low, high = np.percentile(finite, [tail, 100 - tail])
    return float(low), float(high)


def _percentile_intervals(values: np.ndarray, names: list[str], level: float) -> dict[str, Interval | None]:
    """`_percentile_interval` of each column of `values`: one call for the columns without NaN
    (the same partition and interpolation per column as a call of its own), one per other column."""
    whole = ~np.isnan(values).any(axis=0)
    intervals: dict[str, Interval | None] = {}
    if whole.any():
        tail = 100 * (1 - level) / 2
        low, high = np.percentile(values[:, whole], [tail, 100 - tail], axis=0)
        for j, low_j, high_j in zip(np.flatnonzero(whole), low, high, strict=True):
            intervals[names[j]] = (float(low_j), float(high_j))
    for j in np.flatnonzero(~whole):
        intervals[names[j]] = _percentile_interval(values[:, j], level)
    return {name: intervals[name] for name in names}


def _resampled_totals(articles: Sequence[ArticleCounts], settings: MethodSettings) -> np.ndarray:
    """The cluster bootstrap's resampled totals: (resamples x `COUNT_FIELDS`) exact integers, each
    row the pooled counts of `settings.n_resamples` draws of whole articles with replacement (a
    fresh generator seeded with `settings.seed`). They do not depend on the global rates, so a
    refresh keeps them for the outlets it does not touch (`PreparedOutlet`).

    Vectorised: (articles x fields) counts, how often each resample drew each article
    (`_draw_counts`, the same for every outlet with as many articles) times the counts, without a
    (resamples x articles x fields) array. The product in floats (BLAS): every value is an integer
    far below 2**53, so it is exact whatever the order of the sums.
    """
    matrix = np.array([article.row() for article in articles], dtype=np.float64)
    drawn = _draw_counts(settings.seed, settings.n_resamples, len(articles))
    return (drawn @ matrix).astype(np.int64)


# Draw matrices are kept for the next outlet with as many articles, the newest first, up to this
# many cells in all (8 bytes a cell: 32 MB at most, for the life of the process).
_DRAWS_CACHED_CELLS = 4_000_000
_draws: dict[tuple[int, int, int], np.ndarray] = {}


def _draw_counts(seed: int, resamples: int, size: int) -> np.ndarray:
    """How often each of `resamples` resamples of `size` articles drew each article (resamples x
    size, float64, read-only): a fresh generator seeded with `seed`, `size` draws with replacement
    per resample. It depends on nothing else, so outlets with the same number of articles share
    it (kept within `_DRAWS_CACHED_CELLS`)."""
    key = (seed, resamples, size)
    drawn = _draws.get(key)
    if drawn is not None:
        return drawn
    generator = np.random.default_rng(seed)
    picks = generator.integers(0, size, size=(resamples, size))
    counts = np.bincount((picks + (np.arange(resamples) * size)[:, None]).ravel(), minlength=resamples * size)
    drawn = counts.reshape(resamples, size).astype(np.float64)
    drawn.flags.writeable = False
    if drawn.size <= _DRAWS_CACHED_CELLS:
        while _draws and sum(kept.size for kept in _draws.values()) + drawn.size > _DRAWS_CACHED_CELLS:
            _draws.pop(next(iter(_draws)))
        _draws[key] = drawn
    return drawn


def _bootstrap_intervals(
    totals: np.ndarray, priors: np.ndarray, settings: MethodSettings
) -> tuple[dict[str, Interval | None], Interval | None]:
    """Smooth and score every resample of `_resampled_totals` with the priors; percentile
    intervals. Resamples where a value is undefined (n + m == 0, or no prior with m > 0) drop out
    of that interval."""
    return _bootstrap_intervals_of([totals], priors, settings)[0]


def _bootstrap_intervals_of(
    totals: Sequence[np.ndarray], priors: np.ndarray, settings: MethodSettings
) -> list[tuple[dict[str, Interval | None], Interval | None]]:
    """`_bootstrap_intervals` of several outlets' resampled totals (same priors and settings): the
    smoothing in one step and the percentiles of every NaN-free column in one call (the same integer
    products, divisions, partition and interpolation per column as a call of its own: the same
    floats); each outlet's score is weighted on its own, as before."""
    if not totals:
        return []
    m = settings.prior_strength
    with np.errstate(divide="ignore", invalid="ignore"):
        stacked = np.stack(totals)  # outlets x resamples x fields
        smoothed = (stacked @ _NUMERATORS + m * priors) / (stacked @ _DENOMINATORS + m)
    names = list(INDICATORS)
    level = settings.interval_level
    tail = 100 * (1 - level) / 2
    whole = np.asarray(~np.isnan(smoothed).any(axis=1))  # outlets x indicators
    # 2 x outlets x indicators; a column with NaN is taken again below without them.
    bounds: np.ndarray = np.percentile(smoothed, [tail, 100 - tail], axis=1) if whole.any() else np.empty(0)
    scored_columns = [names.index(name) for name in SCORED_INDICATORS]
    flip = np.array([INDICATORS[name][2] == "lower_is_better" for name in SCORED_INDICATORS])
    weights = np.array(settings.weights, dtype=float)
    active = weights > 0
    scores = []
    for outlet in range(len(totals)):
        scored = smoothed[outlet][:, scored_columns]
        components = np.where(flip, 1 - scored, scored)[:, active]
        scores.append(100 * (components @ weights[active]) / weights[active].sum())
    scores_array = np.array(scores)
    scores_whole = np.asarray(~np.isnan(scores_array).any(axis=1))
    score_bounds: np.ndarray = (
        np.percentile(scores_array, [tail, 100 - tail], axis=1) if scores_whole.any() else np.empty(0)
    )
    result = []
    for outlet in range(len(totals)):
        intervals: dict[str, Interval | None] = {}
        for j, name in enumerate(names):
            if whole[outlet, j]:
                intervals[name] = (float(bounds[0, outlet, j]), float(bounds[1, outlet, j]))
            else:
                intervals[name] = _percentile_interval(smoothed[outlet][:, j], level)
        if scores_whole[outlet]:
            score_interval: Interval | None = (float(score_bounds[0, outlet]), float(score_bounds[1, outlet]))
        else:
            score_interval = _percentile_interval(scores_array[outlet], level)
        result.append((intervals, score_interval))
    return result


def _cluster_bootstrap(
    articles: Sequence[ArticleCounts], priors: np.ndarray, settings: MethodSettings
) -> tuple[dict[str, Interval | None], Interval | None]:
    """Resample whole articles with replacement, pool, smooth, score; percentile intervals."""
    return _bootstrap_intervals(_resampled_totals(articles, settings), priors, settings)


@dataclass(frozen=True)
class PreparedOutlet:
    """What an outlet's score needs that does not depend on the global rates: its pooled counts,
    article count, side balance and the bootstrap's resampled totals (None with too few articles).
    `prepare_outlet` makes it, `finish_outlets` applies the global rates; a refresh keeps it for
    the outlets a change does not touch (the global rates move with nearly any change)."""

    article_count: int
    pooled: ArticleCounts
    k_sides: int
    totals: np.ndarray | None
    settings: MethodSettings

    @property
    def enough(self) -> bool:
        return self.article_count >= self.settings.min_articles


def prepare_outlet(articles: Sequence[ArticleCounts], settings: MethodSettings, k_sides: int) -> PreparedOutlet:
    """`PreparedOutlet` of an outlet's per-article counts: articles sorted by id (a snapshot
    depends neither on other outlets nor on the order rows arrived in), pooled, resampled."""
    ordered = sorted(articles, key=lambda article: str(article.article_id))
    enough = len(ordered) >= settings.min_articles
    return PreparedOutlet(
        article_count=len(ordered),
        pooled=ArticleCounts.pooled(ordered),
        k_sides=k_sides,
        totals=_resampled_totals(ordered, settings) if enough else None,
        settings=settings,
    )


def score_outlet(
    articles: Sequence[ArticleCounts],
    p0: Mapping[str, float | None],
    settings: MethodSettings,
    k_sides: int,
) -> OutletScore:
    """Pool an outlet's articles into indicators, smoothed values, intervals and the score.

    Input: the outlet's per-article counts; p0 = `global_rates(...)`; the settings; k_sides = the
    number of sides defined for the topic. Output: an `OutletScore`.
    - Counts, x / n and raw rates are always reported (raw None where n == 0).
    - Fewer than `settings.min_articles` articles: `insufficient_evidence=True`, and smoothed
      values, both intervals, the score and the side balance are None.
    - An indicator without a global rate (p0 None) has no smoothed value when m > 0, so no score.
    - The bootstrap uses a fresh generator seeded with `settings.seed` and articles sorted by id,
      so a snapshot depends neither on other outlets nor on the order rows arrived in.
    `prepare_outlet`, then `finish_outlets`: the same figures.
    """
    return finish_outlets([prepare_outlet(articles, settings, k_sides)], p0)[0]


# Outlets bootstrapped in one step by `finish_outlets` (its arrays: ~20 MB, however many outlets).
_BOOTSTRAP_BATCH = 50


def finish_outlets(prepared: Sequence[PreparedOutlet], p0: Mapping[str, float | None]) -> list[OutletScore]:
    """Each `PreparedOutlet`'s `OutletScore` with the global rates p0 (`score_outlet`): smoothed
    values, Beta intervals (one vectorised quantile call for every outlet: each interval is the
    one a call of its own gives), bootstrap intervals and the score."""
    cases: list[tuple[float, float, float, float]] = []
    per_outlet: list[tuple[dict[str, tuple[int, int]], dict[str, float | None], list[str]]] = []
    for outlet in prepared:
        m = outlet.settings.prior_strength
        # With m = 0 the prior plays no part, so a missing global rate does not matter.
        priors = {name: 0.0 if m == 0 else p0.get(name) for name in INDICATORS}
        pooled_counts = indicator_counts(outlet.pooled)
        names = [name for name in INDICATORS if outlet.enough and priors[name] is not None]
        cases += [(*pooled_counts[name], cast(float, priors[name]), m) for name in names]
        per_outlet.append((pooled_counts, priors, names))
    levels = {outlet.settings.interval_level for outlet in prepared}
    if len(levels) > 1:
        raise ValueError("outlets finished together need one interval level")
    all_intervals = iter(beta_intervals(cases, levels.pop()) if cases else [])
    # The bootstrap of every outlet with the same settings at once (in practice: all of them).
    bootstraps: dict[int, tuple[dict[str, Interval | None], Interval | None]] = {}
    by_settings: dict[MethodSettings, list[int]] = defaultdict(list)
    for i, outlet in enumerate(prepared):
        if outlet.totals is not None:
            by_settings[outlet.settings].append(i)
    for settings, indexes in by_settings.items():
        priors = per_outlet[indexes[0]][1]
        prior_array = np.array([np.nan if p is None else p for p in priors.values()])
        for start in range(0, len(indexes), _BOOTSTRAP_BATCH):  # bounded memory
            batch = indexes[start : start + _BOOTSTRAP_BATCH]
            done = _bootstrap_intervals_of([cast(np.ndarray, prepared[i].totals) for i in batch], prior_array, settings)
            bootstraps.update(zip(batch, done, strict=True))
    scores = []
    for i, (outlet, (pooled_counts, priors, names)) in enumerate(zip(prepared, per_outlet, strict=True)):
        settings, m = outlet.settings, outlet.settings.prior_strength
        intervals = {name: next(all_intervals) for name in names}
        boot_intervals, score_interval = bootstraps.get(i, ({}, None))
        indicators: dict[str, IndicatorEstimate] = {}
        for name, (x, n) in pooled_counts.items():
            prior = priors[name]
            smoothed = interval = None
            if outlet.enough and prior is not None:
                smoothed = smoothed_rate(x, n, prior, m)
                interval = intervals[name]
            indicators[name] = IndicatorEstimate(
                x=x,
                n=n,
                raw=raw_rate(x, n),
                smoothed=smoothed,
                prior_rate=p0.get(name),
                beta_interval=interval,
                bootstrap_interval=boot_intervals.get(name),
                direction=INDICATORS[name][2],
            )
        score = None
        if outlet.enough:
            score = reliability_score({k: v.smoothed for k, v in indicators.items()}, settings.weights)
        pooled = outlet.pooled
        scores.append(
            OutletScore(
                article_count=outlet.article_count,
                sentence_count=pooled.reporting + pooled.analysis,
                insufficient_evidence=not outlet.enough,
                counts=pooled,
                indicators=indicators,
                score=score,
                score_interval=score_interval if score is not None else None,
                side_balance=side_balance(pooled.sides, outlet.k_sides) if outlet.enough else None,
                settings=settings,
            )
        )
    return scores


# --- Span agreement (source and cue spans between reviewer pairs) -----------------------------

SPAN_MEASURES = ("source_exact", "source_token", "cue_exact", "cue_token")


@dataclass(frozen=True)
class SpanMark:
    """One reviewer's spans on one sentence (offsets into the sentence text; None: no span)."""

    reviewer: Hashable
    source: Span | None
    cue: Span | None


@dataclass
class SpanTally:
    """Micro-averaged counts of one measure: units both reviewers marked (true positives), only
    the first, only the second (false positives / negatives with either reviewer as reference)."""

    both: int = 0
    first_only: int = 0
    second_only: int = 0

    def add(self, first: set, second: set) -> None:
        self.both += len(first & second)
        self.first_only += len(first - second)
        self.second_only += len(second - first)

    @property
    def f1(self) -> float | None:
        """2 TP / (2 TP + FP + FN); None when neither reviewer marked anything. Symmetric."""
        return _f1(self.both, self.both + self.first_only, self.both + self.second_only)

    def to_dict(self) -> dict[str, Any]:
        return {"f1": self.f1, "both": self.both, "first_only": self.first_only, "second_only": self.second_only}


def _token_bounds(text: str) -> list[Span]:
    return [(match.start(), match.end()) for match in _TOKEN.finditer(text)]


def _covered(checked: set[Span], tokens: Sequence[Span]) -> set[int]:
    return {i for i, (t0, t1) in enumerate(tokens) for start, end in checked if t0 < end and start < t1}


def compare_sentence_spans(
    text: str, marks: Sequence[SpanMark]
) -> list[tuple[tuple[Hashable, Hashable], dict[str, tuple[set, set]]]]:
    """Compare every pair of reviewers who marked one sentence.

    Input: the sentence text and each reviewer's spans on it (one `SpanMark` per reviewer).
    Output: per pair (first, second) -- ordered by `str(reviewer)` so a pair has one key whatever
    the input order -- the units each side marked per measure in `SPAN_MEASURES`: for `*_exact` the
    set of its span (empty without one), for `*_token` the set of covered token indexes. A pair
    where neither reviewer gave a span is left out (it has nothing to compare). Fewer than two
    marks: an empty list. Raises ValueError for an invalid span.
    """
    ordered = sorted(marks, key=lambda mark: str(mark.reviewer))
    tokens: list[Span] | None = None  # tokenised once per sentence, and only when a span needs it
    units = []
    for mark in ordered:
        unit: dict[str, set] = {}
        for kind in ("source", "cue"):
            span: Span | None = getattr(mark, kind)
            checked = _checked_spans([] if span is None else [span], limit=len(text))
            if checked and tokens is None:
                tokens = _token_bounds(text)
            unit[f"{kind}_exact"] = checked
            unit[f"{kind}_token"] = _covered(checked, tokens) if checked and tokens is not None else set()
        units.append(unit)
    compared = []
    for i, first in enumerate(ordered):
        for j in range(i + 1, len(ordered)):
            if not any(units[i][measure] or units[j][measure] for measure in SPAN_MEASURES):
                continue
            pair = (first.reviewer, ordered[j].reviewer)
            compared.append((pair, {measure: (units[i][measure], units[j][measure]) for measure in SPAN_MEASURES}))
    return compared


@dataclass
class SpanAgreement:
    """Span agreement (docs/scoring.md section 2) accumulated sentence by sentence.

    Pairing: for each sentence two reviewers both marked and at least one gave a source or cue
    span, their spans are compared (`compare_sentence_spans`). Counts of matched and unmatched
    units add up across sentences per pair (micro-averaged, not a mean of per-sentence F1s), and
    the overall figure adds up every pair's counts. Exact F1 counts a span as matched only when
    both reviewers gave exactly the same (start, end); token-overlap F1 counts word tokens that
    both reviewers' spans touch. F1 is symmetric, so the pair's order does not matter. A measure
    with no span from either reviewer has F1 None ("undefined").
    """

    pairs: dict[tuple[Hashable, Hashable], dict[str, SpanTally]] = field(default_factory=dict)
    sentences: Counter = field(default_factory=Counter)

    def add(self, compared: Iterable[tuple[tuple[Hashable, Hashable], dict[str, tuple[set, set]]]]) -> None:
        """Fold the output of `compare_sentence_spans` for one sentence into the counts."""
        for pair, measures in compared:
            tallies = self.pairs.setdefault(pair, {measure: SpanTally() for measure in SPAN_MEASURES})
            for measure, (first, second) in measures.items():
                tallies[measure].add(first, second)
            self.sentences[pair] += 1

    def merge(self, other: SpanAgreement) -> None:
        """Add `other`'s counts (e.g. one outlet's) to these."""
        for pair, tallies in other.pairs.items():
            mine = self.pairs.setdefault(pair, {measure: SpanTally() for measure in SPAN_MEASURES})
            for measure, tally in tallies.items():
                mine[measure].both += tally.both
                mine[measure].first_only += tally.first_only
                mine[measure].second_only += tally.second_only
        self.sentences.update(other.sentences)

    def overall(self) -> dict[str, SpanTally]:
        """Every pair's counts added up per measure."""
        total = {measure: SpanTally() for measure in SPAN_MEASURES}
        for tallies in self.pairs.values():
            for measure, tally in tallies.items():
                total[measure].both += tally.both
                total[measure].first_only += tally.first_only
                total[measure].second_only += tally.second_only
        return total

    def to_dict(self, names: Mapping[Hashable, str] | None = None) -> dict[str, Any]:
        """JSON-ready figures: {"sentences", <measure>: {"f1", "both", "first_only", "second_only"},
        "pairs": [{"reviewers": [first, second], "sentences", <measure>: ...}]}, pairs sorted by
        their keys; `names` maps reviewer keys to what is shown (default `str`). "sentences" counts
        (sentence, pair) comparisons."""
        names = names or {}
        pairs = [
            {
                "reviewers": [names.get(first, str(first)), names.get(second, str(second))],
                "sentences": self.sentences[first, second],
                **{measure: tally.to_dict() for measure, tally in self.pairs[first, second].items()},
            }
            for first, second in sorted(self.pairs, key=lambda pair: (str(pair[0]), str(pair[1])))
        ]
        overall = {measure: tally.to_dict() for measure, tally in self.overall().items()}
        return {"sentences": sum(self.sentences.values()), **overall, "pairs": pairs}
