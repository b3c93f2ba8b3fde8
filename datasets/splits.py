"""Train/dev/test splits by article, deterministic from a seed.

An article's split depends only on (seed, article id): SHA-256 of "seed:article_id" read as a
number in [0, 1), compared with the cumulative ratios. No random generator over a list, so the
split of an article never changes when other articles are added, removed or reordered.
"""

import hashlib

SPLITS = ("train", "dev", "test")


def split_for(article_id: int, *, seed: str, ratios: tuple[float, float, float] | list[float]) -> str:
    digest = hashlib.sha256(f"{seed}:{article_id}".encode()).digest()
    point = int.from_bytes(digest[:8], "big") / 2**64
    train, dev, _ = ratios
    if point < train:
        return "train"
    if point < train + dev:
        return "dev"
    return "test"
