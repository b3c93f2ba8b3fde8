"""MinHash signatures and LSH band keys for candidate pairs (no ORM).

Each sentence's token set gets a MinHash signature of NUM_PERM values (datasketch); the signature is
cut into BANDS bands of ROWS values and each band mixed into one signed 64-bit key (band number
included). Two sentences become a candidate pair when they share any key: with 20 bands of 3 rows
a pair of Jaccard 0.5 is found with probability 1 - (1 - 0.5^3)^20 = 0.93, one of 0.2 with 0.15,
one of 0.05 with 0.0025, so the work grows with the number of sentences, not with its square.
The keys are stored (`ClaimBand`), so one new article is matched by one indexed lookup.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence

import numpy as np

BANDS = 20
ROWS = 3
NUM_PERM = BANDS * ROWS
SEED = 16
# A bucket holding more sentences than this is boilerplate shared by a whole corpus ("Image:",
# agency footers); its pairs are left out of the batch join (the verifier would reject them anyway).
MAX_BUCKET = 2000


def signatures(token_sets: Sequence[Iterable[str]]) -> np.ndarray:
    """MinHash signatures, one row of NUM_PERM uint64 values per token set (datasketch, fixed
    seed: the same tokens give the same signature in every process). An empty set gets the
    datasketch empty signature (all maximum values) and no band keys."""
    encoded = [[token.encode() for token in tokens] for tokens in token_sets]
    # imported here: datasketch pulls in scipy (~0.5 s), which pages and the ingest command never need
    from datasketch import MinHash

    minhashes = MinHash.bulk(encoded, num_perm=NUM_PERM, seed=SEED)
    if not minhashes:
        return np.zeros((0, NUM_PERM), dtype=np.uint64)
    return np.vstack([minhash.hashvalues for minhash in minhashes])


_MIX = np.array([0x9E3779B97F4A7C15, 0xC2B2AE3D27D4EB4F, 0x165667B19E3779F9], dtype=np.uint64)


def band_key_matrix(signatures_: np.ndarray) -> np.ndarray:
    """Band keys of many signatures at once: one row of BANDS signed 64-bit keys per signature.
    Each band's ROWS values (each below 2**32) are mixed with fixed odd multipliers and the band
    number, then finalised with the splitmix64 steps, all in uint64 arithmetic (wrapping on
    purpose); the same values give the same key in every process."""
    values = signatures_.astype(np.uint64).reshape(len(signatures_), BANDS, ROWS)
    with np.errstate(over="ignore"):
        mixed = (values * _MIX[:ROWS]).sum(axis=2, dtype=np.uint64)
        mixed += np.arange(1, BANDS + 1, dtype=np.uint64) * np.uint64(0xD6E8FEB86659FD93)
        mixed ^= mixed >> np.uint64(30)
        mixed *= np.uint64(0xBF58476D1CE4E5B9)
        mixed ^= mixed >> np.uint64(27)
        mixed *= np.uint64(0x94D049BB133111EB)
        mixed ^= mixed >> np.uint64(31)
    return mixed.view(np.int64)


def band_keys(signature: np.ndarray) -> list[int]:
    """The BANDS keys of one signature (see band_key_matrix), as Python ints (fit a BigIntegerField)."""
    return [int(key) for key in band_key_matrix(signature.reshape(1, -1))[0]]


def candidate_pairs(keys: dict[int, list[int]], *, max_bucket: int = MAX_BUCKET) -> Iterator[tuple[int, int]]:
    """Distinct pairs (a, b), a < b, of item ids sharing at least one band key, from
    {item id: its keys}. Memory: one list per key; buckets over `max_bucket` items are skipped."""
    buckets: dict[int, list[int]] = defaultdict(list)
    for item, item_keys in keys.items():
        for key in item_keys:
            buckets[key].append(item)
    seen: set[tuple[int, int]] = set()
    for found in buckets.values():
        members = sorted(set(found))
        if len(members) < 2 or len(members) > max_bucket:
            continue
        for i, first in enumerate(members):
            for second in members[i + 1 :]:
                if (first, second) not in seen:
                    seen.add((first, second))
                    yield first, second


def candidate_pair_codes(keys: np.ndarray, items: np.ndarray, *, max_bucket: int = MAX_BUCKET) -> np.ndarray:
    """The same pairs as `candidate_pairs`, from parallel arrays of band keys and item ids (one row
    per stored band key), as sorted unique int64 codes a * 2**32 + b (a < b < 2**32). Sorting does
    the bucketing, so memory stays a few arrays the size of the band table."""
    if len(keys) == 0:
        return np.zeros(0, dtype=np.int64)
    order = np.argsort(keys, kind="stable")
    keys, items = keys[order], items[order].astype(np.int64)
    starts = np.flatnonzero(np.r_[True, keys[1:] != keys[:-1]])
    sizes = np.diff(np.r_[starts, len(keys)])
    codes = []
    # Buckets of two (most of them) in one vectorised step, larger ones one by one.
    pairs_of_two = starts[sizes == 2]
    first, second = items[pairs_of_two], items[pairs_of_two + 1]
    low, high = np.minimum(first, second), np.maximum(first, second)
    codes.append((low << 32) | high)
    for start, size in zip(starts[(sizes > 2) & (sizes <= max_bucket)], sizes[(sizes > 2) & (sizes <= max_bucket)],
                           strict=True):  # fmt: skip
        members = np.unique(items[start : start + size])
        a, b = np.triu_indices(len(members), k=1)
        codes.append((members[a] << 32) | members[b])
    found = np.unique(np.concatenate(codes))
    return found[(found >> 32) != (found & 0xFFFFFFFF)]
