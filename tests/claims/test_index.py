"""MinHash signatures and LSH band keys (no database)."""

from claims.index import BANDS, NUM_PERM, band_keys, candidate_pairs, signatures


def test_signatures_are_the_same_in_every_process_and_keys_fit_a_bigint():
    first = signatures([["hama", "rebel", "captur", "#25"]])
    second = signatures([["#25", "captur", "rebel", "hama"]])
    assert first.shape == (1, NUM_PERM)
    assert (first == second).all()
    keys = band_keys(first[0])
    assert len(keys) == BANDS
    assert all(-(2**63) <= key < 2**63 for key in keys)


def test_similar_sets_share_a_band_and_unrelated_ones_do_not():
    sets = [
        ["rebel", "captur", "airport", "aleppo", "sunday", "observatori"],
        ["rebel", "captur", "airport", "aleppo", "sunday", "monitor"],
        ["bread", "price", "bakeri", "queue", "flour", "shopkeep"],
    ]
    keys = {i: band_keys(signature) for i, signature in enumerate(signatures(sets))}
    assert set(candidate_pairs(keys)) == {(0, 1)}


def test_oversized_buckets_are_skipped():
    keys = {i: [42] for i in range(5)}
    assert len(list(candidate_pairs(keys))) == 10
    assert list(candidate_pairs(keys, max_bucket=4)) == []


def test_the_array_join_finds_the_same_pairs_as_the_dict_join():
    import random

    import numpy as np

    from claims.index import candidate_pair_codes

    rng = random.Random(3)
    keys = {item: [rng.randrange(40) for _ in range(4)] for item in range(1, 60)}
    keys[99] = [7] * 4  # one item with the same key twice
    expected = set(candidate_pairs(keys))
    flat = [(key, item) for item, item_keys in keys.items() for key in item_keys]
    codes = candidate_pair_codes(np.array([k for k, _ in flat]), np.array([i for _, i in flat]))
    assert {(int(code) >> 32, int(code) & 0xFFFFFFFF) for code in codes} == expected
    assert len(candidate_pair_codes(np.array([], dtype=np.int64), np.array([], dtype=np.int64))) == 0
