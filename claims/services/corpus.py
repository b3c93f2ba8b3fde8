"""Index sentences (features, LSH band keys, token frequencies), find candidate pairs through the
index, verify and store them, then regroup and detect links: for one newly ingested article, or for
the whole corpus."""

from __future__ import annotations

import sys
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from django.db import transaction

from annotate.bulk import insert_rows
from annotate.models import Article, Sentence

from .. import index, matching
from ..models import ClaimBand, IndexedSentence, SentencePair, TokenFrequency
from .groups import regroup
from .links import detect_links

BATCH = 2000
TOTAL = ""  # the TokenFrequency row counting every matchable indexed sentence


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

    def add(self, other: MatchResult) -> None:
        """Count another run's work in (the groups of several runs may overlap)."""
        for name in ("indexed", "candidates", "pairs", "automatic", "groups", "links"):
            setattr(self, name, getattr(self, name) + getattr(other, name))

    def summary(self) -> str:
        return (
            f"{self.indexed} sentence(s) indexed, {self.candidates} candidate pair(s) verified, {self.pairs} "
            f"pair(s) stored ({self.automatic} automatic), {self.groups} claim group(s), {self.links} link(s)"
        )


def _frequencies(tokens: Iterable[str]) -> dict[str, int]:
    tokens = list(set(tokens))
    found: dict[str, int] = {}
    for start in range(0, len(tokens), 5000):
        chunk = tokens[start : start + 5000]
        found.update(TokenFrequency.objects.filter(token__in=chunk).values_list("token", "sentences"))
    return found


def _add_frequencies(counts: dict[str, int], sentences: int) -> None:
    """Add per-token sentence counts, and `sentences` to the total (the row of the empty token), to
    TokenFrequency (read, add, upsert: concurrent indexing may lose an increment, which only nudges
    a weight)."""
    if not sentences:
        return
    counts = {**counts, TOTAL: sentences}
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
    _add_frequencies(counts, len(matchable))
    return entries


def _insert_bands(rows: Iterable[tuple[int, int]]) -> None:
    """(key, sentence id) rows into ClaimBand (`bulk.insert_rows`). The band table holds BANDS rows
    per sentence, the largest write of a match run; model instances would cost more than the
    database does."""
    insert_rows(ClaimBand._meta.db_table, ("key", "sentence_id"), rows)


def _weights(tokens: Iterable[str]):
    """IDF weights of `tokens` from TokenFrequency, the total included: one query."""
    frequencies = _frequencies({*tokens, TOTAL})
    return matching.idf_weights(frequencies, frequencies.get(TOTAL, 0))


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
        # A partner published later than one of these articles may turn out to restate it (a late
        # ingest of an original): only those need their links looked at again.
        partners = {article_of[pk] for pk in touched if pk in article_of} - touched_articles
        earliest = min((a.published for a in articles if a.published), default=None)
        touched_articles |= set(
            Article.objects.filter(pk__in=partners, published__gt=earliest).values_list("pk", flat=True)
            if earliest
            else partners
        )
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
    article_ids = list(Article.objects.in_service().order_by("pk").values_list("pk", flat=True))
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
