"""Benchmark: claim matching over a whole corpus (features, MinHash LSH index in the database,
candidate pairs, verification, groups, credits and rewrites) against a baseline of computing the
same MinHash signatures alone; then the incremental match of one newly ingested article.

    .venv/bin/python bench/claims.py                   # 300 outlets, 10,000 articles, 100,000 sentences, PostgreSQL
    .venv/bin/python bench/claims.py --small           # a tenth of that
    .venv/bin/python bench/claims.py --backend sqlite  # the same on SQLite

The corpus is synthetic: 20,000 "facts" (names, a number, content words drawn from a Zipf-like
vocabulary of 40,000 made-up words), each article restating nine of them in other words (synonyms
swapped, words dropped and reordered, an attribution added), one article in ten a rewrite of an
earlier one, and a filler sentence per article. Each phase runs in its own child process so that
its peak RSS is its own: generate, baseline (features once, then signatures timed), full match,
incremental matches.
Uses its own throwaway databases (PostgreSQL `bench_claims_h16`, SQLite /tmp/bench_claims_h16.sqlite3).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import statistics
import subprocess
import sys
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PG_NAME = "bench_claims_h16"
PG_HOST = "/var/run/postgresql"
SQLITE_PATH = Path("/tmp/bench_claims_h16.sqlite3")
SYLLABLES = [
    "ka",
    "lo",
    "ran",
    "te",
    "mi",
    "su",
    "vo",
    "da",
    "ne",
    "ri",
    "pa",
    "zu",
    "ko",
    "li",
    "ma",
    "ta",
    "re",
    "no",
    "si",
    "ga",
    "be",
    "fo",
    "hu",
]
FILLER = ["the", "a", "of", "in", "on", "at", "after", "with", "for", "and"]
SOURCES = ["officials said", "the ministry said", "according to witnesses", "the monitor said", "sources said"]


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def word(rng: random.Random, syllables: int) -> str:
    return "".join(rng.choice(SYLLABLES) for _ in range(syllables))


class Corpus:
    """Deterministic synthetic facts and their restatements."""

    def __init__(self, seed: int = 16, facts: int = 20000, vocabulary: int = 40000, names: int = 3000):
        rng = random.Random(seed)
        self.vocabulary = sorted({word(rng, rng.randint(2, 4)) for _ in range(vocabulary)})
        self.names = sorted({word(rng, 3).capitalize() for _ in range(names)})
        # Zipf-like: earlier words are far more common, as in news text. Vocabulary and exponent are
        # chosen so that unrelated sentences collide in the LSH index about as often as real ones:
        # 3.9 candidates per sentence here, 2.9 on the 11,892 Wikinews and demo sentences.
        weights = [1 / (rank + 1) ** 0.8 for rank in range(len(self.vocabulary))]
        self.facts = []
        for _ in range(facts):
            words = rng.choices(self.vocabulary, weights, k=rng.randint(7, 11))
            self.facts.append({"names": rng.sample(self.names, 2), "number": rng.randint(2, 5000), "words": words})
        self.synonyms = {w: word(rng, 3) for w in self.vocabulary[::7]}

    def restate(self, rng: random.Random, fact: dict) -> str:
        words = [self.synonyms.get(w, w) if rng.random() < 0.2 else w for w in fact["words"] if rng.random() > 0.1]
        if rng.random() < 0.3:
            cut = rng.randrange(1, len(words))
            words = words[cut:] + words[:cut]
        mixed = []
        for w in words:
            mixed.append(w)
            if rng.random() < 0.35:
                mixed.append(rng.choice(FILLER))
        first, second = fact["names"]
        sentence = f"{first} {' '.join(mixed)} {fact['number']} {second}"
        if rng.random() < 0.5:
            sentence = f"{sentence}, {rng.choice(SOURCES)}"
        return sentence[0].upper() + sentence[1:] + "."

    def filler(self, rng: random.Random) -> str:
        return " ".join(rng.choices(self.vocabulary, k=9)).capitalize() + "."


def generate(outlets: int, articles: int, per_article: int, seed: int = 16) -> int:
    """Outlets, articles and sentences, streamed in with COPY (PostgreSQL) or executemany (SQLite).
    Returns the number of reviewable sentences."""
    from django.db import connection

    from annotate.bulk import insert_rows
    from annotate.models import Outlet

    corpus = Corpus(seed)
    rng = random.Random(seed)
    now = datetime.now(UTC)
    Outlet.objects.bulk_create([Outlet(domain=f"outlet{i:03d}.example", name=f"Outlet {i}") for i in range(outlets)])
    outlet_ids = list(Outlet.objects.order_by("pk").values_list("pk", flat=True))
    start_day = date(2024, 1, 1)
    facts_of: list[list[dict]] = []
    for i in range(articles):
        if i > 10 and rng.random() < 0.1:  # a rewrite of an earlier article, in other words
            facts = facts_of[rng.randrange(max(0, i - 200), i)]
            body = [corpus.restate(rng, fact) for fact in facts]
        else:
            facts = rng.sample(corpus.facts, per_article - 1)
            body = [corpus.restate(rng, fact) for fact in facts] + [corpus.filler(rng)]
        facts_of.append(facts)
        published = start_day + timedelta(days=i * 365 // articles)
        row = (outlet_ids[i % outlets], f"Article {i}", published, "\n".join(body), f"{i:064d}", now)
        _ARTICLES.append((row, body))
    article_cols = ("outlet_id", "title", "url", "published", "text", "content_hash", "retired", "created")
    sentence_cols = ("article_id", "position", "start", "end", "text", "reviewable")
    with connection.cursor() as cursor:
        insert_rows(
            "annotate_article",
            article_cols,
            ((a[0], a[1], "", a[2], a[3], a[4], False, a[5]) for a, _ in _ARTICLES),
        )
        cursor.execute("SELECT MIN(id) FROM annotate_article")
        first_article = cursor.fetchone()[0]

        def sentence_rows():
            for index, (_article, body) in enumerate(_ARTICLES):
                offset = 0
                for position, text in enumerate(body):
                    yield (first_article + index, position, offset, offset + len(text), text, True)
                    offset += len(text) + 1

        insert_rows("annotate_sentence", sentence_cols, sentence_rows())
        cursor.execute("ANALYZE")
    return sum(len(body) for _a, body in _ARTICLES)


_ARTICLES: list = []


def setup(backend: str) -> None:
    if backend == "postgresql":
        os.environ["DATABASE_URL"] = f"postgres:///{PG_NAME}?host={PG_HOST}"
    else:
        os.environ["DATABASE_URL"] = f"sqlite:///{SQLITE_PATH}"
    os.environ.setdefault("DEBUG", "true")
    os.environ["TASKS_BACKEND"] = "django_tasks.backends.immediate.ImmediateBackend"
    os.environ["CLAIMS_AUTO_MATCH"] = "false"
    os.environ["SCORES_AUTO_RECOMPUTE"] = "false"
    os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings"
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()


def phase_generate(backend: str, outlets: int, articles: int, per_article: int) -> dict:
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    started = time.perf_counter()
    sentences = generate(outlets, articles, per_article)
    return {"sentences": sentences, "articles": articles, "outlets": outlets,
            "generate_s": round(time.perf_counter() - started, 1)}  # fmt: skip


def phase_baseline(repeats: int) -> dict:
    """The same MinHash signatures alone: features computed once (not timed), then signatures."""
    from annotate.models import Sentence
    from claims import index, matching

    texts = list(Sentence.objects.filter(reviewable=True).order_by("pk").values_list("text", flat=True))
    features = [matching.sentence_features(text) for text in texts]
    token_sets = [f.tokens for f in features if f.words >= matching.MIN_WORDS]
    rss_before = peak_rss_mb()
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        index.signatures(token_sets)
        times.append(time.perf_counter() - started)
    return {
        "baseline_signatures": len(token_sets),
        "baseline_median_s": round(statistics.median(times), 2),
        "baseline_peak_rss_mb": round(peak_rss_mb(), 1),
        "baseline_rss_before_mb": round(rss_before, 1),
    }


def phase_match() -> dict:
    from claims.models import ArticleLink, ClaimBand, ClaimGroup
    from claims.services import match_corpus

    rss_before = peak_rss_mb()
    started = time.perf_counter()
    result = match_corpus(rebuild=True)
    elapsed = time.perf_counter() - started
    return {
        "match_s": round(elapsed, 1),
        "match_steps_s": {step: round(seconds, 1) for step, seconds in result.seconds.items()},
        "match_peak_rss_mb": round(peak_rss_mb(), 1),
        "match_rss_before_mb": round(rss_before, 1),
        "indexed": result.indexed,
        "band_rows": ClaimBand.objects.count(),
        "candidates": result.candidates,
        "pairs": result.pairs,
        "automatic_pairs": result.automatic,
        "groups": ClaimGroup.objects.count(),
        "links": ArticleLink.objects.count(),
    }


def phase_incremental(count: int) -> dict:
    """Ingest `count` new articles (restating facts already in the corpus) one at a time through the
    real ingest and time the match of each against the whole index."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from annotate.ingest import ingest_articles, parse_plain_text
    from claims.services import match_articles

    if connection.vendor == "postgresql":  # fresh statistics, as autovacuum keeps them after a bulk load
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    corpus = Corpus(16)
    rng = random.Random(99)
    times, queries, pairs = [], [], []
    for i in range(count):
        text = "\n".join(corpus.restate(rng, fact) for fact in rng.sample(corpus.facts, 12))
        item = parse_plain_text(text.encode(), origin="bench", outlet=f"new{i}.example", published="2024-12-31",
                                title=f"New article {i}")  # fmt: skip
        article = ingest_articles([item])[0].article
        with CaptureQueriesContext(connection) as captured:
            started = time.perf_counter()
            result = match_articles([article])
            times.append(time.perf_counter() - started)
        queries.append(len(captured))
        pairs.append(result.pairs)
    return {"incremental_articles": count, "incremental_median_ms": round(statistics.median(times) * 1000, 1),
            "incremental_max_ms": round(max(times) * 1000, 1), "incremental_queries_median": statistics.median(queries),
            "incremental_pairs_median": statistics.median(pairs)}  # fmt: skip


def child(args) -> None:
    setup(args.backend)
    if args.phase == "generate":
        figures = phase_generate(args.backend, *args.size)
    elif args.phase == "baseline":
        figures = phase_baseline(args.repeats)
    elif args.phase == "match":
        figures = phase_match()
    else:
        figures = phase_incremental(args.incremental)
    print(json.dumps(figures))


def reset(backend: str) -> None:
    if backend == "sqlite":
        SQLITE_PATH.unlink(missing_ok=True)
        return
    import psycopg

    with psycopg.connect(f"dbname=postgres host={PG_HOST}", autocommit=True) as connection:
        connection.execute(f"DROP DATABASE IF EXISTS {PG_NAME}")
        connection.execute(f"CREATE DATABASE {PG_NAME}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--small", action="store_true", help="30 outlets, 1,000 articles, 10,000 sentences")
    parser.add_argument("--backend", choices=["postgresql", "sqlite"], default="postgresql")
    parser.add_argument("--repeats", type=int, default=3, help="baseline repeats (median)")
    parser.add_argument("--incremental", type=int, default=10, help="new articles matched one at a time")
    parser.add_argument("--phase", help=argparse.SUPPRESS)
    parser.add_argument("--size", nargs=3, type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.phase:
        child(args)
        return
    size = [30, 1000, 10] if args.small else [300, 10000, 10]
    reset(args.backend)
    figures: dict = {"backend": args.backend}
    for phase in ("generate", "baseline", "match", "incremental"):
        command = [sys.executable, __file__, "--phase", phase, "--backend", args.backend, "--size", *map(str, size),
                   "--repeats", str(args.repeats), "--incremental", str(args.incremental)]  # fmt: skip
        output = subprocess.run(command, check=True, capture_output=True, text=True, cwd=ROOT).stdout
        figures.update(json.loads(output.strip().splitlines()[-1]))
        print(f"{phase}: done", file=sys.stderr)
    figures["match_vs_baseline"] = round(figures["match_s"] / figures["baseline_median_s"], 1)
    print(json.dumps(figures, indent=2))


if __name__ == "__main__":
    main()
