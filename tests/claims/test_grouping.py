"""Groups from pairs and decisions, rewrites from sentence matches, status from sources (no database)."""

import datetime

from claims.grouping import (
    CORROBORATED,
    SINGLE_SOURCE,
    UNSOURCED,
    build_groups,
    carry_over_ids,
    detect_rewrites,
    first_reporters,
    group_status,
    outlets_in_order,
)


def test_edges_group_transitively_and_singletons_are_no_group():
    assert build_groups([(1, 2, 0.9), (2, 3, 0.7), (4, 5, 0.8)]) == [{1, 2, 3}, {4, 5}]
    assert build_groups([]) == []


def test_a_leads_apart_wins_over_any_score_and_over_a_chain():
    edges = [(1, 2, 0.9), (2, 3, 0.8), (3, 4, 0.95)]
    assert build_groups(edges, cannot_link=[(1, 4)]) == [{1, 2}, {3, 4}]


def test_a_leads_same_joins_groups_and_detached_sentences_stay_out():
    assert build_groups([(1, 2, 0.9), (3, 4, 0.9)], must_link=[(2, 3)]) == [{1, 2, 3, 4}]
    assert build_groups([(1, 2, 0.9), (2, 3, 0.9)], detached=[2]) == []


def test_group_ids_carry_over_to_the_group_that_continues_them():
    old = {10: {1, 2, 3}, 11: {4, 5}}
    assert carry_over_ids([{1, 2}, {3, 6}, {4, 5, 7}, {8, 9}], old) == [10, None, 11, None]


def test_a_rewrite_needs_half_of_the_sentences_and_at_least_three():
    matches = [(7, s, 2) for s in (71, 72, 73)] + [(7, 74, 3)] + [(8, 81, 2), (8, 82, 2)]
    found = detect_rewrites(matches, {7: 5, 8: 3})
    assert [(c.article, c.original, c.matched, c.sentences) for c in found] == [(7, 2, 3, 5)]
    assert found[0].share == 0.6


def test_status_counts_named_sources_and_lumps_vague_ones_together():
    assert group_status([(1, "organisation"), (2, "government")]) == CORROBORATED
    assert group_status([(1, "organisation"), (1, "organisation")]) == SINGLE_SOURCE
    assert group_status([(5, "anonymous"), (6, "media")]) == SINGLE_SOURCE
    assert group_status([]) == UNSOURCED


def test_who_was_first():
    day = datetime.date(2024, 12, 1)
    members = [(3, day + datetime.timedelta(days=1), 30), (1, day, 10), (2, None, 5), (4, day, 40)]
    assert first_reporters([(o, d) for o, d, _s in members]) == {1, 4}
    assert outlets_in_order(members) == [1, 4, 3, 2]
    assert first_reporters([(2, None)]) == set()
