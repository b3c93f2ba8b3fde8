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
