"""Writes of the claims app: index sentences, match them across outlets, store scored pairs,
detect credits and rewrites, (re)build claim groups with the leads' decisions, and the leads'
actions (merge, split, detach, decide a review pair, confirm or reject a link)."""

from __future__ import annotations

import sys
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import Count, Q
from django.utils import timezone
from django.utils.module_loading import import_string

from annotate.codebook import Label
from annotate.models import Article, Outlet, Sentence, Source, is_lead

from . import credits as credit_rules
from . import grouping, index, matching
from .models import (
    ArticleLink,
    ClaimBand,
    ClaimDecision,
    ClaimGroup,
    ClaimMember,
    IndexedSentence,
    SentencePair,
    TokenFrequency,
)

BATCH = 2000
COUNTED_LABELS = (Label.CLAIM, Label.ATTRIBUTION)


@dataclass
class MatchResult:
    """What a match run did: sentences indexed, candidate pairs verified, pairs stored (automatic
    and for review), groups touched, links written."""

    indexed: int = 0
    candidates: int = 0
    pairs: int = 0
    automatic: int = 0
    groups: int = 0
    links: int = 0
    seconds: dict[str, float] = field(default_factory=dict)

    def summary(self) -> str:
        return (
            f"{self.indexed} sentence(s) indexed, {self.candidates} candidate pair(s) verified, {self.pairs} "
            f"pair(s) stored ({self.automatic} automatic), {self.groups} claim group(s), {self.links} link(s)"
        )


# --- Gold labels (from the reliability app, through a setting) ---------------------------------


def with_gold(queryset):
    """`queryset` (Sentences) annotated with `gold_label` and `gold_source` by the function that
    settings.CLAIMS_GOLD_LABELS names (reliability's gold-label query: one rule, one place; claims
    sits below reliability and does not import it). Empty setting: every label unsettled."""
    from django.db.models import CharField, IntegerField, Value

    name = getattr(settings, "CLAIMS_GOLD_LABELS", "")
    if not name:
        return queryset.annotate(
            gold_label=Value(None, output_field=CharField()), gold_source=Value(None, output_field=IntegerField())
        )
    return import_string(name)(queryset)


# --- Index -------------------------------------------------------------------------------------


def _frequencies(tokens: Iterable[str]) -> dict[str, int]:
    tokens = list(set(tokens))
    found: dict[str, int] = {}
    for start in range(0, len(tokens), 500):
        found.update(
            TokenFrequency.objects.filter(token__in=tokens[start : start + 500]).values_list("token", "sentences")
        )
    return found


def _add_frequencies(counts: dict[str, int]) -> None:
    """Add per-token sentence counts to TokenFrequency (read, add, upsert: concurrent indexing may
    lose an increment, which only nudges a weight)."""
    if not counts:
        return
    current = _frequencies(counts)
    rows = [TokenFrequency(token=token[:200], sentences=current.get(token, 0) + n) for token, n in counts.items()]
    TokenFrequency.objects.bulk_create(
        rows, update_conflicts=True, unique_fields=["token"], update_fields=["sentences"], batch_size=BATCH
    )


def index_articles(articles: Sequence[Article]) -> list[IndexedSentence]:
    """Index the reviewable sentences of `articles` that are not indexed yet: features, band keys
    and token frequencies. Returns the new entries. Idempotent."""
    sentences = list(
        Sentence.objects.filter(article__in=articles, reviewable=True, claim_entry__isnull=True).order_by("pk")
    )
    if not sentences:
        return []
    texts: dict[int, list[str]] = defaultdict(list)
    for sentence in Sentence.objects.filter(article__in={s.article_id for s in sentences}).order_by("position"):
        texts[sentence.article_id].append(sentence.text)
    names = {article_id: matching.article_names(article_texts) for article_id, article_texts in texts.items()}
    features = [matching.sentence_features(s.text, names=names[s.article_id]) for s in sentences]
    entries = [
        IndexedSentence(
            sentence=s, article_id=s.article_id, features=f.to_dict(), matchable=f.words >= matching.MIN_WORDS
        )
        for s, f in zip(sentences, features, strict=True)
    ]
    IndexedSentence.objects.bulk_create(entries, batch_size=BATCH)
    matchable = [(entry, f) for entry, f in zip(entries, features, strict=True) if entry.matchable]
    signatures = index.signatures([f.tokens for _entry, f in matchable])
    keys = index.band_key_matrix(signatures).tolist() if matchable else []
    _insert_bands((key, entry.pk) for (entry, _f), row in zip(matchable, keys, strict=True) for key in row)
    counts: dict[str, int] = defaultdict(int)
    for _entry, f in matchable:
        for token in f.tokens:
            counts[token] += 1
    _add_frequencies(counts)
    return entries


def _insert_bands(rows: Iterable[tuple[int, int]]) -> None:
    """(key, sentence id) rows into ClaimBand: COPY on PostgreSQL, executemany elsewhere. The band
    table holds BANDS rows per sentence, the largest write of a match run; model instances would
    cost more than the database does."""
    table = connection.ops.quote_name(ClaimBand._meta.db_table)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            with cursor.cursor.copy(f"COPY {table} (key, sentence_id) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
            return
        batch: list[tuple[int, int]] = []
        for row in rows:
            batch.append(row)
            if len(batch) == 20000:
                cursor.executemany(f"INSERT INTO {table} (key, sentence_id) VALUES (%s, %s)", batch)
                batch = []
        if batch:
            cursor.executemany(f"INSERT INTO {table} (key, sentence_id) VALUES (%s, %s)", batch)


def _weights(tokens: Iterable[str]):
    total = IndexedSentence.objects.filter(matchable=True).count()
    return matching.idf_weights(_frequencies(tokens), total)


# --- Pairs -------------------------------------------------------------------------------------


def _verify(
    pairs: Iterable[tuple[int, int]], features: dict[int, matching.Features], outlets: dict[int, int], weight
) -> list[SentencePair]:
    """Score candidate pairs (sentence ids) across outlets; keep those at or above the review threshold."""
    kept = []
    for a, b in pairs:
        if outlets[a] == outlets[b]:
            continue
        a, b = (a, b) if a < b else (b, a)
        verdict = matching.compare(features[a], features[b], weight)
        if verdict.score >= matching.REVIEW_THRESHOLD:
            kept.append(SentencePair(first_id=a, second_id=b, score=verdict.score, reason=verdict.reason[:200]))
    return kept


def _weights_for(features: dict[int, matching.Features]):
    return _weights({token for f in features.values() for token in f.tokens})


def _entries(sentence_ids: Iterable[int]) -> tuple[dict[int, matching.Features], dict[int, int], dict[int, int]]:
    """Features, outlet id and article id of indexed sentences."""
    ids = list(set(sentence_ids))
    features, outlets, articles = {}, {}, {}
    for start in range(0, len(ids), BATCH):
        rows = IndexedSentence.objects.filter(pk__in=ids[start : start + BATCH]).values_list(
            "pk", "features", "article__outlet_id", "article_id"
        )
        for pk, value, outlet, article in rows:
            features[pk], outlets[pk], articles[pk] = matching.Features.from_dict(value), outlet, article
    return features, outlets, articles


def _store_pairs(pairs: list[SentencePair]) -> None:
    SentencePair.objects.bulk_create(
        pairs, update_conflicts=True, unique_fields=["first", "second"], update_fields=["score", "reason"],
        batch_size=BATCH,
    )  # fmt: skip


def _candidates_of(entries: Sequence[IndexedSentence]) -> set[tuple[int, int]]:
    """Candidate pairs of new entries against the whole index, by their band keys (one indexed
    lookup per batch of keys)."""
    keys_of: dict[int, list[int]] = defaultdict(list)
    for band in ClaimBand.objects.filter(sentence__in=[e.pk for e in entries if e.matchable]).values_list(
        "sentence_id", "key"
    ):
        keys_of[band[1]].append(band[0])
    keys = list(keys_of)
    pairs: set[tuple[int, int]] = set()
    for start in range(0, len(keys), 5000):
        for key, other in ClaimBand.objects.filter(key__in=keys[start : start + 5000]).values_list(
            "key", "sentence_id"
        ):
            for mine in keys_of[key]:
                if mine != other:
                    pairs.add((min(mine, other), max(mine, other)))
    return pairs


# --- Credits and rewrites ----------------------------------------------------------------------


def detect_links(article_ids: Iterable[int]) -> int:
    """Write declared credits and detected rewrites for `article_ids` from their text and the
    stored pairs. A lead's confirmation or rejection is kept; a pending link that no longer holds
    is removed. Returns the number of links written or updated. A constant number of queries."""
    article_ids = sorted(set(article_ids))
    if not article_ids:
        return 0
    articles = {a.pk: a for a in Article.objects.filter(pk__in=article_ids).select_related("outlet")}
    outlets = {o.pk: o for o in Outlet.objects.all()}
    by_domain = {o.domain: o for o in outlets.values()}
    names = {key: o.domain for o in outlets.values() for key in (o.domain.lower(), o.name.lower()) if key}
    counts = dict(
        IndexedSentence.objects.filter(article_id__in=article_ids, matchable=True)
        .values_list("article_id")
        .annotate(n=Count("pk"))
    )
    matches = _article_matches(article_ids)
    detected = {c.article: c for c in grouping.detect_rewrites(_earlier_only(matches), counts)}
    original_outlets = dict(
        Article.objects.filter(pk__in={c.original for c in detected.values()}).values_list("pk", "outlet_id")
    )
    now = timezone.now()
    wanted: dict[tuple[int, str, str], ArticleLink] = {}
    for article_id, article in articles.items():
        best = _best_original_by_domain(matches.get(article_id, []), counts.get(article_id, 0), outlets)
        for credit in credit_rules.find_credits(article.text, own_domain=article.outlet.domain, outlets=names):
            original, share = best.get(credit.domain, (None, None))
            wanted[article_id, ArticleLink.Kind.DECLARED, credit.domain] = ArticleLink(
                article=article, kind=ArticleLink.Kind.DECLARED, original_domain=credit.domain,
                original_outlet=by_domain.get(credit.domain), original_article_id=original, similarity=share,
                evidence=credit.line[:500], updated=now,
            )  # fmt: skip
        if candidate := detected.get(article_id):
            outlet = outlets[original_outlets[candidate.original]]
            wanted[article_id, ArticleLink.Kind.DETECTED, outlet.domain] = ArticleLink(
                article=article, kind=ArticleLink.Kind.DETECTED, original_domain=outlet.domain,
                original_outlet=outlet, original_article_id=candidate.original, similarity=round(candidate.share, 4),
                evidence=f"{candidate.matched} of {candidate.sentences} sentences match article {candidate.original}",
                updated=now,
            )  # fmt: skip
    ArticleLink.objects.bulk_create(
        list(wanted.values()), update_conflicts=True, unique_fields=["article", "kind", "original_domain"],
        update_fields=["original_article", "original_outlet", "similarity", "evidence", "updated"],
    )  # fmt: skip
    stale = [
        pk
        for pk, article_id, kind, domain in ArticleLink.objects.filter(
            article_id__in=article_ids, status=ArticleLink.Status.PENDING
        ).values_list("pk", "article_id", "kind", "original_domain")
        if (article_id, kind, domain) not in wanted
    ]
    ArticleLink.objects.filter(pk__in=stale).delete()
    return len(wanted)


def _article_matches(article_ids: list[int]) -> dict[int, list[tuple[int, int, object, int]]]:
    """Per article: (its sentence id, other article id, other article's (published, id), other
    outlet id) for every stored pair touching it."""
    rows = SentencePair.objects.filter(
        Q(first__article_id__in=article_ids) | Q(second__article_id__in=article_ids)
    ).values_list(
        "first_id", "first__article_id", "first__article__published", "first__article__outlet_id",
        "second_id", "second__article_id", "second__article__published", "second__article__outlet_id",
    )  # fmt: skip
    result: dict[int, list] = defaultdict(list)
    wanted = set(article_ids)
    for s1, a1, p1, o1, s2, a2, p2, o2 in rows:
        if a1 in wanted:
            result[a1].append((s1, a2, (p2, a2), o2, (p1, a1)))
        if a2 in wanted:
            result[a2].append((s2, a1, (p1, a1), o1, (p2, a2)))
    return result


def _earlier(other: tuple, mine: tuple) -> bool:
    """Published earlier; same or unknown date: stored earlier (lower id)."""
    (other_date, other_id), (my_date, my_id) = other, mine
    if other_date is not None and my_date is not None and other_date != my_date:
        return other_date < my_date
    return other_id < my_id


def _earlier_only(matches: dict[int, list]) -> list[tuple[int, int, int]]:
    return [
        (article, sentence, other)
        for article, rows in matches.items()
        for sentence, other, other_key, _outlet, my_key in rows
        if _earlier(other_key, my_key)
    ]


def _best_original_by_domain(rows: list, sentences: int, outlets: dict[int, Outlet]) -> dict[str, tuple[int, float]]:
    """For a declared credit: per outlet domain, its earlier article sharing the most sentences with
    this one (at least two), with the share of this article's `sentences` that match it."""
    by_article: dict[int, set[int]] = defaultdict(set)
    outlet_of: dict[int, int] = {}
    for sentence, other, other_key, outlet, my_key in rows:
        if _earlier(other_key, my_key):
            by_article[other].add(sentence)
            outlet_of[other] = outlet
    best: dict[str, tuple[int, int]] = {}
    for other, matched in sorted(by_article.items()):
        domain = outlets[outlet_of[other]].domain
        if len(matched) >= 2 and (domain not in best or len(matched) > best[domain][1]):
            best[domain] = (other, len(matched))
    return {domain: (other, round(n / max(sentences, 1), 4)) for domain, (other, n) in best.items()}


# --- Groups ------------------------------------------------------------------------------------


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
    for a, b in (
        SentencePair.objects.automatic()
        .filter(Q(first__in=ids) | Q(second__in=ids))
        .values_list("first_id", "second_id")
    ):
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
        for group, sentence in ClaimMember.objects.filter(sentence__in=ids[start : start + BATCH]).values_list(
            "group_id", "sentence_id"
        ):
            old[group].add(sentence)
    carried = grouping.carry_over_ids(new_groups, dict(old))
    created = dict(ClaimGroup.objects.filter(pk__in=[gid for gid in carried if gid]).values_list("pk", "created"))
    facts = _member_facts(sorted({sentence for members in new_groups for sentence in members}))
    kinds = _source_kinds(facts.values())
    groups = []
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
    in a claim group (gold label claim or attribution, or not settled yet)."""
    facts = {}
    for start in range(0, len(sentence_ids), BATCH):
        rows = with_gold(Sentence.objects.filter(pk__in=sentence_ids[start : start + BATCH])).values_list(
            "pk", "gold_label", "gold_source", "article__outlet_id", "article__published"
        )
        for pk, label, source, outlet, published in rows:
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


def refresh_groups(group_ids: Iterable[int]) -> None:
    """Recompute each group's cached status, first publication date, outlet and member counts from
    its members' current gold labels: members whose gold label is analysis or other are not part of
    the claim; unsettled members count until they are settled."""
    group_ids = list(set(group_ids))
    if not group_ids:
        return
    members: dict[int, list[int]] = defaultdict(list)
    for group, sentence in ClaimMember.objects.filter(group__in=group_ids).values_list("group_id", "sentence_id"):
        members[group].append(sentence)
    facts = _member_facts(sorted(s for found in members.values() for s in found))
    kinds = _source_kinds(facts.values())
    groups = list(ClaimGroup.objects.filter(pk__in=group_ids))
    for group in groups:
        _set_figures(group, [facts[s] for s in members.get(group.pk, []) if s in facts], kinds)
    ClaimGroup.objects.bulk_update(
        groups, ["status", "first_published", "outlet_count", "member_count", "updated"], batch_size=100
    )


def refresh_groups_of_sentences(sentence_ids: Iterable[int]) -> None:
    """After a mark or an adjudication changed: refresh the groups holding these sentences."""
    refresh_groups(ClaimMember.objects.filter(sentence__in=list(sentence_ids)).values_list("group_id", flat=True))


# --- Matching: one article at ingest, or the whole corpus --------------------------------------


@transaction.atomic
def match_articles(articles: Sequence[Article]) -> MatchResult:
    """Incremental match (called after ingest): index the articles' sentences, find candidates
    among everything indexed through the stored band keys (never all pairs), verify them, store
    pairs, then credits, rewrites and the affected groups. A constant number of queries per
    article batch, independent of the corpus size."""
    result = MatchResult()
    entries = index_articles(articles)
    result.indexed = len(entries)
    candidates = _candidates_of(entries)
    result.candidates = len(candidates)
    features, outlets, article_of = _entries({pk for pair in candidates for pk in pair})
    pairs = _verify(candidates, features, outlets, _weights_for(features))
    _store_pairs(pairs)
    result.pairs = len(pairs)
    result.automatic = sum(1 for pair in pairs if pair.score >= matching.AUTO_THRESHOLD)
    touched_articles = {a.pk for a in articles}
    if pairs:
        touched = {pk for pair in pairs for pk in (pair.first_id, pair.second_id)}
        result.groups = len(regroup(touched))
        # An earlier article stored later (a late ingest) may turn out to be another's original.
        touched_articles |= {article_of[pk] for pk in touched if pk in article_of}
    result.links = detect_links(touched_articles)
    return result


def match_corpus(*, rebuild: bool = False, progress: bool = False) -> MatchResult:
    """Match the whole corpus: index what is not indexed, join all band keys in memory (buckets,
    never all pairs), verify, store, detect links for every article and regroup everything.
    `rebuild` drops the index and the stored pairs first (decisions and lead-reviewed links stay)."""
    import time

    from tqdm import tqdm

    result = MatchResult()
    clock = time.perf_counter()
    if rebuild:
        with transaction.atomic():
            SentencePair.objects.all().delete()
            ClaimBand.objects.all().delete()
            IndexedSentence.objects.all().delete()
            TokenFrequency.objects.all().delete()
    article_ids = list(Article.objects.order_by("pk").values_list("pk", flat=True))
    for start in tqdm(range(0, len(article_ids), 500), desc="indexing", unit="batch", disable=not progress,
                      file=sys.stderr):  # fmt: skip
        with transaction.atomic():
            result.indexed += len(index_articles(list(Article.objects.filter(pk__in=article_ids[start : start + 500]))))
    result.seconds["index"] = time.perf_counter() - clock
    clock = time.perf_counter()
    from array import array

    import numpy as np

    keys, items = array("q"), array("q")  # 8 bytes a row, not a Python object
    for key, sentence in ClaimBand.objects.order_by().values_list("key", "sentence_id").iterator(chunk_size=20000):
        keys.append(key)
        items.append(sentence)
    codes = index.candidate_pair_codes(np.frombuffer(keys, dtype=np.int64), np.frombuffer(items, dtype=np.int64))
    del keys, items
    candidates = list(zip((codes >> 32).tolist(), (codes & 0xFFFFFFFF).tolist(), strict=True))
    del codes
    result.candidates = len(candidates)
    result.seconds["candidates"] = time.perf_counter() - clock
    clock = time.perf_counter()
    features, outlets, _ = _entries({pk for pair in candidates for pk in pair})
    weight = _weights_for(features)
    pairs = []
    for start in tqdm(range(0, len(candidates), 50000), desc="verifying", unit="batch", disable=not progress,
                      file=sys.stderr):  # fmt: skip
        pairs += _verify(candidates[start : start + 50000], features, outlets, weight)
    result.seconds["verify"] = time.perf_counter() - clock
    clock = time.perf_counter()
    with transaction.atomic():
        _store_pairs(pairs)
        result.pairs = len(pairs)
        result.automatic = sum(1 for pair in pairs if pair.score >= matching.AUTO_THRESHOLD)
        result.groups = len(regroup(None))
        for start in range(0, len(article_ids), 500):
            result.links += detect_links(article_ids[start : start + 500])
    result.seconds["store"] = time.perf_counter() - clock
    return result


# --- Leads' actions ----------------------------------------------------------------------------


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


@transaction.atomic
def review_link(*, link: ArticleLink, confirm: bool, lead) -> ArticleLink:
    """A lead confirms or rejects a declared or detected link; a recomputation keeps the decision."""
    _require_lead(lead)
    link.status = ArticleLink.Status.CONFIRMED if confirm else ArticleLink.Status.REJECTED
    link.decided_by, link.decided_at = lead, timezone.now()
    link.save(update_fields=["status", "decided_by", "decided_at", "updated"])
    return link
