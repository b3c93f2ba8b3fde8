"""Claim groups: recompute them around some sentences (or all) from the automatic pairs and the
leads' decisions, keep their cached figures fresh, and the leads' grouping actions."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from annotate.codebook import Label
from annotate.models import Sentence, Source, is_lead

from .. import grouping
from ..gold import COUNTED_LABELS, with_gold
from ..models import ClaimDecision, ClaimGroup, ClaimMember, SentencePair

BATCH = 2000


def _effective_decisions(sentence_ids: set[int] | None):
    """(must-link pairs, cannot-link pairs, detached sentence ids) from the latest decision per
    pair (a later "same" undoes an earlier "apart" and vice versa; a later "same" for a sentence
    undoes its detachment)."""
    decisions = ClaimDecision.objects.order_by("decided_at", "id")
    if sentence_ids is not None:
        ids = list(sentence_ids)
        decisions = decisions.filter(Q(first__in=ids) | Q(second__in=ids))
    pair_state: dict[tuple[int, int], str] = {}
    detached: dict[int, bool] = {}
    for kind, first, second in decisions.values_list("kind", "first_id", "second_id"):
        if kind == ClaimDecision.Kind.DETACH:
            detached[first] = True
        else:
            pair_state[first, second] = kind
            if kind == ClaimDecision.Kind.SAME:
                detached[first] = detached[second] = False
    must = [pair for pair, kind in pair_state.items() if kind == ClaimDecision.Kind.SAME]
    cannot = [pair for pair, kind in pair_state.items() if kind == ClaimDecision.Kind.APART]
    return must, cannot, {sentence for sentence, state in detached.items() if state}


def _closure(sentence_ids: set[int]) -> set[int]:
    """What a regroup around `sentence_ids` must see: them, their neighbours by an automatic pair or
    a "same" decision, and every member of the groups all of these are in. Groups are closed under
    automatic pairs (except where a lead said apart), so one hop is enough. Four queries."""
    ids = list(sentence_ids)
    found = set(sentence_ids)
    for a, b in SentencePair.objects.automatic().values_list("first_id", "second_id").touching(ids):
        found |= {a, b}
    ids = list(found)
    for a, b in (
        ClaimDecision.objects.filter(kind=ClaimDecision.Kind.SAME)
        .filter(Q(first__in=ids) | Q(second__in=ids))
        .values_list("first_id", "second_id")
    ):
        found |= {a, b}
    groups = ClaimMember.objects.filter(sentence__in=list(found)).values("group")
    found |= set(ClaimMember.objects.filter(group__in=groups).values_list("sentence_id", flat=True))
    return found


@transaction.atomic
def regroup(sentence_ids: Iterable[int] | None = None) -> list[int]:
    """Recompute the claim groups around `sentence_ids` (None: all of them) from the automatic pairs
    and the leads' decisions; group ids (and their creation time) carry over to the groups that
    continue them. Returns the ids of the groups now holding those sentences."""
    if sentence_ids is None:
        affected = set(SentencePair.objects.automatic().values_list("first_id", flat=True))
        affected |= set(SentencePair.objects.automatic().values_list("second_id", flat=True))
        affected |= set(ClaimMember.objects.values_list("sentence_id", flat=True))
        affected |= set(ClaimDecision.objects.filter(kind="same").values_list("first_id", flat=True))
        affected |= set(ClaimDecision.objects.filter(kind="same").values_list("second_id", flat=True))
        decision_scope = None
    else:
        affected = _closure(set(sentence_ids))
        decision_scope = affected
    ids = sorted(affected)
    edges = []
    for start in range(0, len(ids), BATCH):
        chunk = ids[start : start + BATCH]
        automatic = SentencePair.objects.automatic().filter(first__in=chunk)
        edges += [edge for edge in automatic.values_list("first_id", "second_id", "score") if edge[1] in affected]
    must, cannot, detached = _effective_decisions(decision_scope)
    must = [pair for pair in must if pair[0] in affected and pair[1] in affected]
    new_groups = grouping.build_groups(edges, must_link=must, cannot_link=cannot, detached=detached)
    old: dict[int, set[int]] = defaultdict(set)
    for start in range(0, len(ids), BATCH):
        for group_id, sentence in ClaimMember.objects.filter(sentence__in=ids[start : start + BATCH]).values_list(
            "group_id", "sentence_id"
        ):
            old[group_id].add(sentence)
    carried = grouping.carry_over_ids(new_groups, dict(old))
    created = dict(ClaimGroup.objects.filter(pk__in=[gid for gid in carried if gid]).values_list("pk", "created"))
    facts = _member_facts(sorted({sentence for members in new_groups for sentence in members}))
    kinds = _source_kinds(facts.values())
    groups: list[ClaimGroup] = []
    for members, gid in zip(new_groups, carried, strict=True):
        group = ClaimGroup(pk=gid, created=created.get(gid, timezone.now()))
        _set_figures(group, [facts[sentence] for sentence in members if sentence in facts], kinds)
        groups.append(group)
    old_ids = list(old)
    for start in range(0, len(old_ids), BATCH):
        ClaimGroup.objects.filter(pk__in=old_ids[start : start + BATCH]).delete()  # their members go with them
    groups = ClaimGroup.objects.bulk_create(groups, batch_size=BATCH)
    ClaimMember.objects.bulk_create(
        [ClaimMember(group_id=group.pk, sentence_id=s) for group, members in zip(groups, new_groups, strict=True)
         for s in sorted(members)],
        batch_size=BATCH,
    )  # fmt: skip
    return [group.pk for group in groups]


def _member_facts(sentence_ids: list[int]) -> dict[int, tuple]:
    """Sentence id -> (gold label, gold source, outlet id, published) for the sentences that count
    in a claim group: gold label claim or attribution, or not settled yet; in-service articles only."""
    facts = {}
    columns = ("pk", "article__outlet_id", "article__published")
    for start in range(0, len(sentence_ids), BATCH):
        # Retired articles (and outlets) are no part of a claim, as they are no part of new scores.
        chunk = Sentence.objects.filter(pk__in=sentence_ids[start : start + BATCH], article__retired=False,
                                        article__outlet__retired=False)  # fmt: skip
        # Only marked or adjudicated sentences can have a gold label: the gold query (correlated
        # subqueries) runs for those alone.
        marked = set(
            chunk.filter(Q(annotations__isnull=False) | Q(adjudication__isnull=False)).values_list("pk", flat=True)
        )
        for pk, outlet, published in chunk.exclude(pk__in=marked).values_list(*columns):
            facts[pk] = (None, None, outlet, published)
        if not marked:
            continue
        for pk, outlet, published, label, source in with_gold(Sentence.objects.filter(pk__in=marked)).values_list(
            *columns, "gold_label", "gold_source"
        ):
            if label is None or label in COUNTED_LABELS:
                facts[pk] = (label, source, outlet, published)
    return facts


def _source_kinds(facts: Iterable[tuple]) -> dict[int, str]:
    ids = {source for _label, source, _outlet, _published in facts if source}
    return dict(Source.objects.filter(pk__in=ids).values_list("pk", "kind")) if ids else {}


def _set_figures(group: ClaimGroup, rows: list[tuple], kinds: dict[int, str]) -> None:
    sources = [
        (source, kinds.get(source, "")) for label, source, _o, _p in rows if label == Label.ATTRIBUTION and source
    ]
    group.status = grouping.group_status(sources)
    dates = [published for *_rest, published in rows if published is not None]
    group.first_published = min(dates) if dates else None
    group.outlet_count = len({outlet for _label, _source, outlet, _published in rows})
    group.member_count = len(rows)


def refresh_groups(group_ids: Iterable[int] | None) -> int:
    """Recompute each group's cached status, first publication date, outlet and member counts from
    its members' current gold labels (None: every group): members whose gold label is analysis or
    other are not part of the claim; unsettled members count until they are settled. Returns the
    number of groups."""
    memberships = ClaimMember.objects.all()
    if group_ids is not None:
        group_ids = list(set(group_ids))
        if not group_ids:
            return 0
        memberships = memberships.filter(group__in=group_ids)
    members: dict[int, list[int]] = defaultdict(list)
    for group, sentence in memberships.values_list("group_id", "sentence_id").iterator(chunk_size=BATCH):
        members[group].append(sentence)
    facts = _member_facts(sorted(s for found in members.values() for s in found))
    kinds = _source_kinds(facts.values())
    groups = list(ClaimGroup.objects.filter(pk__in=list(members)) if group_ids is None else ClaimGroup.objects.filter(
        pk__in=group_ids
    ))  # fmt: skip
    for group in groups:
        _set_figures(group, [facts[s] for s in members.get(group.pk, []) if s in facts], kinds)
    ClaimGroup.objects.bulk_update(
        groups, ["status", "first_published", "outlet_count", "member_count", "updated"], batch_size=100
    )
    return len(groups)


def _require_lead(user) -> None:
    if not is_lead(user):
        raise ValidationError("Only leads can change claim groups and links.")


def _pair(a: int, b: int) -> tuple[int, int]:
    if a == b:
        raise ValidationError("A sentence cannot be paired with itself.")
    return (a, b) if a < b else (b, a)


@transaction.atomic
def decide_pair(*, first: Sentence, second: Sentence, same: bool, lead, note: str = "") -> ClaimDecision:
    """A lead says two sentences state the same claim (or not); groups follow at once and on
    every later recomputation."""
    _require_lead(lead)
    a, b = _pair(first.pk, second.pk)
    kind = ClaimDecision.Kind.SAME if same else ClaimDecision.Kind.APART
    decision = ClaimDecision(kind=kind, first_id=a, second_id=b, lead=lead, note=note[:500])
    decision.full_clean()
    decision.save()
    regroup({a, b})
    return decision


@transaction.atomic
def merge_groups(*, group: ClaimGroup, other: ClaimGroup, lead, note: str = "") -> ClaimGroup:
    """Merge `other` into `group` (a "same" decision between their first members)."""
    _require_lead(lead)
    if group.pk == other.pk:
        raise ValidationError("A group cannot be merged with itself.")
    first = group.members.order_by("sentence_id").values_list("sentence_id", flat=True).first()
    second = other.members.order_by("sentence_id").values_list("sentence_id", flat=True).first()
    if first is None or second is None:
        raise ValidationError("Both groups need members.")
    a, b = _pair(first, second)
    ClaimDecision.objects.create(kind=ClaimDecision.Kind.SAME, first_id=a, second_id=b, lead=lead, note=note[:500])
    regroup({a, b})
    return ClaimGroup.objects.get(members__sentence_id=first)


@transaction.atomic
def split_group(*, group: ClaimGroup, sentence_ids: Iterable[int], lead, note: str = "") -> list[int]:
    """Move `sentence_ids` out of `group` into a group of their own: an "apart" decision between
    each moved and each remaining member (they regroup among themselves if their pairs say so).
    Returns the ids of the groups the members now belong to."""
    _require_lead(lead)
    members = set(group.members.values_list("sentence_id", flat=True))
    moved = set(sentence_ids)
    if not moved or not moved <= members or moved == members:
        raise ValidationError("Choose some, not all, of the group's sentences to split off.")
    decisions = [
        ClaimDecision(
            kind=ClaimDecision.Kind.APART, first_id=min(m, r), second_id=max(m, r), lead=lead, note=note[:500]
        )
        for m in sorted(moved)
        for r in sorted(members - moved)
    ]
    ClaimDecision.objects.bulk_create(decisions)
    return regroup(members)


@transaction.atomic
def detach_sentence(*, sentence: Sentence, lead, note: str = "") -> None:
    """Take a sentence out of every claim group, now and after every recomputation. A merge that
    this sentence anchored (a "same" decision) is re-anchored on another member of its group, so
    taking one sentence out never undoes a lead's merge."""
    _require_lead(lead)
    membership = ClaimMember.objects.filter(sentence=sentence).first()
    if membership is not None:
        others = list(
            membership.group.members.exclude(sentence=sentence)
            .order_by("sentence_id")
            .values_list("sentence_id", flat=True)
        )
        must, _cannot, _detached = _effective_decisions({sentence.pk})
        anchors = []
        for a, b in must:
            partner = b if a == sentence.pk else a
            substitute = next((other for other in others if other != partner), None)
            if substitute is not None:
                first, second = _pair(substitute, partner)
                note = f"re-anchored when sentence {sentence.pk} was taken out"
                anchors.append(
                    ClaimDecision(kind=ClaimDecision.Kind.SAME, first_id=first, second_id=second, lead=lead, note=note)
                )
        ClaimDecision.objects.bulk_create(anchors)
    ClaimDecision.objects.create(kind=ClaimDecision.Kind.DETACH, first=sentence, lead=lead, note=note[:500])
    regroup({sentence.pk, *(others if membership is not None else [])})
