"""Writes of the claims app: index and match sentences across outlets (`corpus`), claim groups and
the leads' grouping decisions (`groups`), credits and rewrites (`links`)."""

from ..gold import COUNTED_LABELS, with_gold
from .corpus import MatchResult, index_articles, match_articles, match_corpus
from .groups import (
    decide_pair,
    detach_sentence,
    merge_groups,
    refresh_groups,
    regroup,
    split_group,
)
from .links import detect_links, review_link

__all__ = [
    "COUNTED_LABELS",
    "MatchResult",
    "decide_pair",
    "detach_sentence",
    "detect_links",
    "index_articles",
    "match_articles",
    "match_corpus",
    "merge_groups",
    "refresh_groups",
    "regroup",
    "review_link",
    "split_group",
    "with_gold",
]
