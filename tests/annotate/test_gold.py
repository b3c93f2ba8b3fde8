"""Tests of gold labels and gold sources (annotate/gold.py, docs/scoring.md section 1): no database."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from annotate.gold import GoldLabel, GoldSource, resolve_gold_label, resolve_gold_source


@pytest.mark.parametrize(
    ("labels", "adjudicated", "expected"),
    [
        pytest.param(["claim", "analysis"], "analysis", ("analysis", "adjudicated"), id="adjudicated-wins"),
        pytest.param(
            ["claim", "claim"],
            "analysis",
            ("analysis", "adjudicated"),
            id="adjudicated-over-unanimous",
        ),
        pytest.param([], "claim", ("claim", "adjudicated"), id="adjudicated-without-marks"),
        pytest.param(["claim", "claim"], None, ("claim", "unanimous"), id="unanimous"),
        pytest.param(["other"], None, ("other", "unanimous"), id="single-mark"),
        pytest.param(["claim", "claim", "analysis"], None, ("claim", "majority"), id="two-of-three"),
        pytest.param(["claim", "analysis"], None, (None, "disputed"), id="one-one-tie"),
        pytest.param(["claim", "claim", "analysis", "analysis"], None, (None, "disputed"), id="two-two-tie"),
        pytest.param(["claim", "analysis", "attribution"], None, (None, "disputed"), id="three-way"),
        pytest.param(
            ["claim", "claim", "analysis", "attribution"],
            None,
            (None, "disputed"),
            id="plurality-is-not-majority",
        ),
        pytest.param([], None, (None, "unmarked"), id="no-marks"),
        pytest.param([], "", (None, "unmarked"), id="empty-adjudication-ignored"),
    ],
)
def test_resolve_gold_label(labels: list[str], adjudicated: str | None, expected: tuple) -> None:
    gold = resolve_gold_label(labels, adjudicated)
    assert gold == GoldLabel(*expected)
    assert gold.is_settled == (expected[0] is not None)


@pytest.mark.parametrize(
    ("source_ids", "adjudicated", "expected"),
    [
        pytest.param([3, 4], 7, (7, "adjudicated"), id="adjudicated-wins"),
        pytest.param([], 7, (7, "adjudicated"), id="adjudicated-without-marks"),
        pytest.param([3, 3], None, (3, "unanimous"), id="unanimous"),
        pytest.param([3, 3, 4], None, (3, "majority"), id="majority"),
        pytest.param([3, 3, None], None, (3, "majority"), id="majority-with-a-missing-source"),
        pytest.param([3, 4], None, (None, "disputed"), id="tie"),
        pytest.param([3, None], None, (None, "disputed"), id="half-is-not-a-majority"),
        pytest.param([None, None, 3], None, (None, "disputed"), id="most-chose-none"),
        pytest.param([None, None], None, (None, "unmarked"), id="nobody-chose-a-source"),
        pytest.param([], None, (None, "unmarked"), id="no-attribution-marks"),
    ],
)
def test_resolve_gold_source(source_ids: list[int | None], adjudicated: int | None, expected: tuple) -> None:
    gold = resolve_gold_source(source_ids, adjudicated)
    assert gold == GoldSource(*expected)
    assert gold.is_settled == (expected[0] is not None)


@given(st.lists(st.sampled_from(["claim", "attribution", "analysis", "other"]), min_size=1, max_size=7))
def test_a_settled_label_was_chosen_by_more_than_half(labels: list[str]) -> None:
    gold = resolve_gold_label(labels)
    if gold.label is None:
        assert gold.label_source == "disputed"
        assert all(2 * labels.count(label) <= len(labels) for label in labels)
    else:
        assert 2 * labels.count(gold.label) > len(labels)
        assert gold.label_source == ("unanimous" if len(set(labels)) == 1 else "majority")
