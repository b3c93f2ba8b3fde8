"""Claim groups from scored sentence pairs and leads' decisions; rewrite detection from sentence
matches; a group's status from its sources. Pure functions over plain values, no ORM."""

from __future__ import annotations

import datetime
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

CORROBORATED = "corroborated"
SINGLE_SOURCE = "single_source"
UNSOURCED = "unsourced"

# An article is a detected rewrite of an earlier one from another outlet when at least this share
# of its sentences (and at least REWRITE_MIN_SENTENCES of them) match sentences of that article.
REWRITE_MIN_SHARE = 0.5
REWRITE_MIN_SENTENCES = 3


class _Components:
    """Union-find over sentence ids that refuses a union putting a cannot-link pair together."""

    def __init__(self, cannot: Iterable[tuple[int, int]]):
        self.parent: dict[int, int] = {}
        self.members: dict[int, set[int]] = {}
        self.cannot: dict[int, set[int]] = defaultdict(set)
        for a, b in cannot:
            self.cannot[a].add(b)
            self.cannot[b].add(a)

    def find(self, item: int) -> int:
        self.parent.setdefault(item, item)
        self.members.setdefault(item, {item})
        root = item
        while self.parent[root] != root:
            root = self.parent[root]
        while self.parent[item] != root:
            self.parent[item], item = root, self.parent[item]
        return root

    def union(self, a: int, b: int) -> bool:
        root_a, root_b = self.find(a), self.find(b)
        if root_a == root_b:
            return True
        small, large = sorted((root_a, root_b), key=lambda root: len(self.members[root]))
        if any(self.cannot.get(member, set()) & self.members[large] for member in self.members[small]):
            return False
        self.parent[small] = large
        self.members[large] |= self.members.pop(small)
        return True


def build_groups(
    edges: Iterable[tuple[int, int, float]],
    *,
    must_link: Iterable[tuple[int, int]] = (),
    cannot_link: Iterable[tuple[int, int]] = (),
    detached: Iterable[int] = (),
) -> list[set[int]]:
    """Sentence-id groups of two or more members.

    Input: automatic edges (a, b, score) at or above the grouping threshold; leads' decisions as
    must-link pairs (a merge or an accepted review pair), cannot-link pairs (a split or a rejected
    review pair) and detached sentences (taken out of every group).
    Rules: must-links are applied first, then edges from the highest score down; an edge or a
    must-link that would put a cannot-link pair in one group is skipped (a lead's "apart" wins over
    any score and over a later merge that contradicts it). Output is sorted by smallest member.
    """
    detached = set(detached)
    components = _Components(cannot_link)
    for a, b in must_link:
        if a not in detached and b not in detached:
            components.union(a, b)
    for a, b, _score in sorted(edges, key=lambda edge: (-edge[2], edge[0], edge[1])):
        if a not in detached and b not in detached:
            components.union(a, b)
    groups = [members for members in components.members.values() if len(members) > 1]
    return sorted(groups, key=min)


def carry_over_ids(new_groups: list[set[int]], old_groups: dict[int, set[int]]) -> list[int | None]:
    """For each new group, the id of the old group it continues (the old group sharing the most
    members, each old id used once, larger overlaps first), or None for a new group: ids and
    links to /claims/<id>/ survive a recomputation."""
    scored = []
    for index, members in enumerate(new_groups):
        for old_id, old_members in old_groups.items():
            shared = len(members & old_members)
            if shared:
                scored.append((shared, -old_id, index, old_id))
    result: list[int | None] = [None] * len(new_groups)
    used: set[int] = set()
    for _shared, _neg, index, old_id in sorted(scored, reverse=True):
        if result[index] is None and old_id not in used:
            result[index] = old_id
            used.add(old_id)
    return result


@dataclass(frozen=True)
class RewriteCandidate:
    """Article `article` restates `original`: `matched` of its `sentences` have a match there."""

    article: int
    original: int
    matched: int
    sentences: int

    @property
    def share(self) -> float:
        return self.matched / self.sentences if self.sentences else 0.0


def detect_rewrites(
    matches: Iterable[tuple[int, int, int]],
    sentence_counts: dict[int, int],
    *,
    min_share: float = REWRITE_MIN_SHARE,
    min_sentences: int = REWRITE_MIN_SENTENCES,
) -> list[RewriteCandidate]:
    """Detected rewrites from sentence matches.

    Input: (article, sentence id, earlier article from another outlet) for every sentence of
    `article` matching some sentence of the earlier article (the caller decides "earlier" and
    "another outlet"); `sentence_counts`: matchable sentences per article.
    Output: per article at most one candidate, the earlier article covering the largest share of
    its sentences (ties: the lower article id, i.e. the first stored), when the share is at least
    `min_share` and at least `min_sentences` sentences match.
    """
    covered: dict[tuple[int, int], set[int]] = defaultdict(set)
    for article, sentence, original in matches:
        covered[article, original].add(sentence)
    best: dict[int, RewriteCandidate] = {}
    for (article, original), sentences in covered.items():
        candidate = RewriteCandidate(article, original, len(sentences), sentence_counts.get(article, 0))
        if candidate.matched < min_sentences or candidate.share < min_share:
            continue
        current = best.get(article)
        if current is None or (candidate.share, -candidate.original) > (current.share, -current.original):
            best[article] = candidate
    return [best[article] for article in sorted(best)]


def group_status(sources: Iterable[tuple[int, str]]) -> str:
    """corroborated | single_source | unsourced from the (registry id, kind) of the gold sources
    that a group's attribution members name.

    Named kinds (person, organisation, government, document) are independent sources; anonymous
    and second-hand ("reports say") sources cannot be told apart, so all of them count as one.
    Two or more distinct named sources: corroborated. Exactly one source (one named, or only
    anonymous/second-hand ones): single_source. No source at all (claims in the outlets' own voice,
    or no settled attribution): unsourced.
    """
    named, vague = set(), False
    for source_id, kind in sources:
        if kind in ("person", "organisation", "government", "document"):
            named.add(source_id)
        else:
            vague = True
    if len(named) >= 2:
        return CORROBORATED
    if named or vague:
        return SINGLE_SOURCE
    return UNSOURCED


def first_reporters(members: Iterable[tuple[int, datetime.date | None]]) -> set[int]:
    """Outlet ids that carried a group first: (outlet id, publication date or None) per member;
    the earliest date wins (ties: all of them); members without a date count only when no member
    has one."""
    dated = [(outlet, published) for outlet, published in members if published is not None]
    if not dated:
        return set()
    first = min(published for _outlet, published in dated)
    return {outlet for outlet, published in dated if published == first}


def outlets_in_order(members: Iterable[tuple[int, object, int]]) -> list[int]:
    """Outlet ids in order of their first publication of the group: (outlet id, date, sentence id);
    undated last, then by sentence id (the first stored)."""
    first_seen: dict[int, tuple] = {}
    for outlet, published, sentence in members:
        key = (published is None, published or 0, sentence)
        if outlet not in first_seen or key < first_seen[outlet]:
            first_seen[outlet] = key
    return [outlet for outlet, _key in sorted(first_seen.items(), key=lambda item: item[1])]


def count_outlets(members: Iterable[int]) -> int:
    return len(Counter(members))
