"""Benchmark: full score recompute (gold labels in SQL, indicators, bootstrap, agreement) against a
baseline of one raw SQL GROUP BY over the same marks, on PostgreSQL and on SQLite (1/10 the size).

    .venv/bin/python bench/scores.py            # 30 outlets, 2,000 articles, 60,000 sentences, 120,000 marks
    .venv/bin/python bench/scores.py --full     # 300 outlets, 20,000 articles, 600,000 sentences, 1,200,000 marks

Uses its own throwaway databases (PostgreSQL `bench_scores_h5`, SQLite /tmp/bench_scores_h5.sqlite3).
Each backend runs in a child process (Django settings are per process); peak RSS is measured there.
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
PG_NAME = "bench_scores_h5"
PG_HOST = "/var/run/postgresql"
SQLITE_PATH = Path("/tmp/bench_scores_h5.sqlite3")
LABELS = ["claim", "attribution", "analysis", "other"]
LABEL_WEIGHTS = [0.30, 0.35, 0.25, 0.10]
KINDS = ["person", "organisation", "government", "media", "document", "anonymous"]
REVIEWERS = 20
SOURCES = 200
# Share of articles whose second reviewer has not submitted yet: those marks are in progress and
# count nowhere (docs/scoring.md section 1), as in a live project.
IN_PROGRESS = 0.05


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def marks_for(rng: random.Random, sources: list[int]):
    """Two reviewers' (label, source) for one sentence: they agree 85 % of the time."""
    truth = rng.choices(LABELS, LABEL_WEIGHTS)[0]
    true_source = rng.choice(sources)
    for _ in range(2):
        label = truth if rng.random() < 0.85 else rng.choice(LABELS)
        source = (true_source if rng.random() < 0.9 else rng.choice(sources)) if label == "attribution" else None
        yield label, source


def generate(outlets: int, articles: int, sentences_per_article: int, seed: int = 5) -> None:
    """Write outlets, a topic with sides, sources, reviewers, articles, sentences, two assignments
    per article (submitted, except the second of `IN_PROGRESS` of the articles) and two marks per
    sentence. PostgreSQL: COPY; SQLite: executemany in chunks. Rows are streamed, never all held
    in memory."""
    from django.contrib.auth import get_user_model
    from django.db import connection

    from annotate.models import Outlet, Side, Source, Topic

    rng = random.Random(seed)
    now = datetime.now(UTC)
    Outlet.objects.bulk_create([Outlet(domain=f"outlet{i:03d}.example", name=f"Outlet {i}") for i in range(outlets)])
    outlet_ids = list(Outlet.objects.order_by("pk").values_list("pk", flat=True))
    topic = Topic.objects.create(name="Bench war")
    sides = [Side.objects.create(topic=topic, name=name).pk for name in ("government", "opposition", "international")]
    Source.objects.bulk_create(
        [
            Source(name=f"Source {i}", kind=KINDS[i % len(KINDS)], side_id=sides[i % 4] if i % 4 < 3 else None)
            for i in range(SOURCES)
        ]
    )
    source_ids = list(Source.objects.order_by("pk").values_list("pk", flat=True))
    user_model = get_user_model()
    user_model.objects.bulk_create([user_model(username=f"bench{i}", password="!") for i in range(REVIEWERS)])
    reviewer_ids = list(user_model.objects.order_by("pk").values_list("pk", flat=True))
    start_day = date(2024, 1, 1)

    def article_rows():
        for i in range(articles):
            yield (
                outlet_ids[i % outlets],
                topic.pk,
                f"Article {i}",
                "",
                start_day + timedelta(days=i % 365),
                f"Text of article {i}.",
                f"{i:064d}",
                False,
                now,
            )

    def sentence_rows(first_article: int):
        for a in range(articles):
            for position in range(sentences_per_article):
                yield (first_article + a, position, position * 10, position * 10 + 9, f"Sentence {position}.", True)

    def assignment_rows(first_article: int):
        for article in range(articles):
            pair = (reviewer_ids[article % REVIEWERS], reviewer_ids[(article + 1) % REVIEWERS])
            for i, reviewer in enumerate(pair):
                submitted = None if i == 1 and article % round(1 / IN_PROGRESS) == 0 else now
                yield (first_article + article, reviewer, now, submitted)

    def mark_rows(first_sentence: int):
        for s in range(articles * sentences_per_article):
            article = s // sentences_per_article
            pair = (reviewer_ids[article % REVIEWERS], reviewer_ids[(article + 1) % REVIEWERS])
            for reviewer, (label, source) in zip(pair, marks_for(rng, source_ids), strict=True):
                yield (first_sentence + s, reviewer, label, source, "", False, "", "web", "", 1, now, now)

    article_cols = "outlet_id, topic_id, title, url, published, text, content_hash, retired, created"
    sentence_cols = 'article_id, position, start, "end", text, reviewable'
    mark_cols = (
        "sentence_id, reviewer_id, label, source_id, note, from_suggestion, suggestion_version, origin, "
        "external_id, version, created, updated"
    )
    with connection.cursor() as cursor:
        load(cursor, "annotate_article", article_cols, article_rows())
        cursor.execute("SELECT MIN(id) FROM annotate_article")
        first_article = cursor.fetchone()[0]
        load(cursor, "annotate_sentence", sentence_cols, sentence_rows(first_article))
        load(
            cursor,
            "annotate_assignment",
            "article_id, reviewer_id, created, submitted_at",
            assignment_rows(first_article),
        )
        cursor.execute("SELECT MIN(id) FROM annotate_sentence")
        first_sentence = cursor.fetchone()[0]
        load(cursor, "annotate_annotation", mark_cols, mark_rows(first_sentence))
        cursor.execute("ANALYZE")


def load(cursor, table: str, columns: str, rows) -> None:
    from django.db import connection

    if connection.vendor == "postgresql":
        with cursor.cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
        return
    placeholders = ", ".join(["%s"] * (columns.count(",") + 1))
    chunk: list = []
    for row in rows:
        chunk.append(row)
        if len(chunk) == 20000:
            cursor.executemany(f"INSERT INTO {table} ({columns}) VALUES ({placeholders})", chunk)
            chunk = []
    if chunk:
        cursor.executemany(f"INSERT INTO {table} ({columns}) VALUES ({placeholders})", chunk)


def baseline() -> int:
    """One raw SQL GROUP BY over the same marks: marks per article and label, all rows fetched."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT s.article_id, a.label, COUNT(*) FROM annotate_annotation a "
            "JOIN annotate_sentence s ON s.id = a.sentence_id GROUP BY s.article_id, a.label"
        )
        return len(cursor.fetchall())


def child(backend: str, outlets: int, articles: int, sentences: int, repeats: int) -> None:
    if backend == "postgresql":
        os.environ["DATABASE_URL"] = f"postgres:///{PG_NAME}?host={PG_HOST}"
    else:
        SQLITE_PATH.unlink(missing_ok=True)
        os.environ["DATABASE_URL"] = f"sqlite:///{SQLITE_PATH}"
    os.environ.setdefault("DEBUG", "true")
    os.environ["TASKS_BACKEND"] = "django_tasks.backends.immediate.ImmediateBackend"
    os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings"
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command

    settings.SCORES_AUTO_RECOMPUTE = False
    call_command("migrate", verbosity=0)
    started = time.perf_counter()
    generate(outlets, articles, sentences // articles)
    generated = time.perf_counter() - started
    from reliability.models import ScoreRun
    from reliability.services import recompute_outlet_scores  # imports numpy/scipy before measuring

    rss_before = peak_rss_mb()

    from django.db import transaction

    from reliability import queries

    record_times = []
    for _ in range(repeats):  # the record alone: every sentence's gold label, one INSERT ... SELECT
        with transaction.atomic():
            probe = ScoreRun.objects.create(method_version="bench")
            t0 = time.perf_counter()
            recorded = queries.record_run_sentences(probe.pk)
            record_times.append(time.perf_counter() - t0)
            transaction.set_rollback(True)

    base_times, full_times = [], []
    for _ in range(repeats):
        t0 = time.perf_counter()
        baseline()
        base_times.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        run = recompute_outlet_scores()
        full_times.append(time.perf_counter() - t0)
    scored = run.snapshots.filter(insufficient_evidence=False).count()
    print(
        json.dumps(
            {
                "backend": backend,
                "outlets": outlets,
                "articles": articles,
                "sentences": sentences,
                "marks": 2 * sentences,
                "generate_s": round(generated, 1),
                "baseline_median_s": round(statistics.median(base_times), 3),
                "recompute_median_s": round(statistics.median(full_times), 3),
                "ratio": round(statistics.median(full_times) / statistics.median(base_times), 1),
                "record_median_s": round(statistics.median(record_times), 3),
                "record_ratio": round(statistics.median(record_times) / statistics.median(base_times), 1),
                "record_sentences": recorded,
                "peak_rss_mb_before_recompute": round(rss_before, 1),
                "peak_rss_mb_after": round(peak_rss_mb(), 1),
                "scored_outlets": scored,
                "runs": ScoreRun.objects.count(),
                "overall_alpha": round(run.overall_alpha, 3) if run.overall_alpha is not None else None,
            }
        )
    )


def reset_postgres() -> None:
    import psycopg

    with psycopg.connect(f"dbname=postgres host={PG_HOST}", autocommit=True) as connection:
        connection.execute(f"DROP DATABASE IF EXISTS {PG_NAME}")
        connection.execute(f"CREATE DATABASE {PG_NAME}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--full", action="store_true", help="300 outlets, 20,000 articles, 600,000 sentences")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--backend", choices=["postgresql", "sqlite"], help=argparse.SUPPRESS)
    parser.add_argument("--size", nargs=3, type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.backend:
        outlets, articles, sentences = args.size
        child(args.backend, outlets, articles, sentences, args.repeats)
        return
    size = (300, 20000, 600000) if args.full else (30, 2000, 60000)
    plans = [("postgresql", size), ("sqlite", tuple(max(1, n // 10) for n in size))]
    reset_postgres()
    for backend, (outlets, articles, sentences) in plans:
        command = [
            sys.executable,
            __file__,
            "--backend",
            backend,
            "--size",
            str(outlets),
            str(articles),
            str(sentences),
            "--repeats",
            str(args.repeats),
        ]
        output = subprocess.run(command, check=True, capture_output=True, text=True).stdout.strip().splitlines()[-1]
        figures = json.loads(output)
        print(
            f"{backend:10} {figures['outlets']} outlets, {figures['articles']:,} articles, "
            f"{figures['sentences']:,} sentences, {figures['marks']:,} marks "
            f"(generated in {figures['generate_s']} s)"
        )
        print(
            f"           recompute median {figures['recompute_median_s']} s vs raw GROUP BY "
            f"{figures['baseline_median_s']} s -> ratio {figures['ratio']}x; peak RSS "
            f"{figures['peak_rss_mb_before_recompute']} MB before, "
            f"{figures['peak_rss_mb_after']} MB after recompute; "
            f"{figures['scored_outlets']} outlets scored, alpha {figures['overall_alpha']}"
        )
        print(
            f"           of which the run's record (gold label of {figures['record_sentences']:,} sentences, "
            f"one INSERT ... SELECT) {figures['record_median_s']} s -> ratio {figures['record_ratio']}x"
        )


if __name__ == "__main__":
    main()
