"""Leads' progress page: active time and paced marks per reviewer, aggregated in SQL
(`Annotation.objects.pace_by_reviewer`: a GROUP BY and a window function), against the baseline the page used
before: load every mark's creation time into Python and walk the gaps.

    .venv/bin/python bench/progress.py [--reviewers 20] [--marks 5000] [--repeats 7]
    .venv/bin/python bench/progress.py --database-url 'postgres:///bench_progress?host=/var/run/postgresql'

Uses a throwaway SQLite file under /tmp by default (a PostgreSQL database given by URL must
exist; it is migrated, emptied and filled). Prints medians and the ratio to the baseline.
"""

import argparse
import os
import random
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
BREAK = timedelta(minutes=10)


def median_ms(function, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        function()
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1000


def python_walk() -> dict:
    """The old way: every mark's time into Python, gaps summed per reviewer."""
    from annotate.models import Annotation

    rows: dict[int, list[float]] = {}
    last: dict[int, datetime] = {}
    for reviewer, created in Annotation.objects.order_by("reviewer", "created").values_list("reviewer", "created"):
        row = rows.setdefault(reviewer, [0.0, 0])
        if reviewer in last and created - last[reviewer] <= BREAK:
            row[0] += (created - last[reviewer]).total_seconds()
            row[1] += 1
        last[reviewer] = created
    return rows


def in_sql() -> dict:
    from annotate.models import Annotation

    return {
        row["reviewer"]: [(row["active"] or timedelta(0)).total_seconds(), row["paced"]]
        for row in Annotation.objects.pace_by_reviewer(break_after=BREAK)
    }


def fill(reviewers: int, marks: int) -> None:
    from django.contrib.auth import get_user_model

    from annotate.models import Annotation, Article, Outlet, Sentence

    rng = random.Random(7)
    outlet = Outlet.objects.create(domain="bench.example")
    per_article = 50
    articles = Article.objects.bulk_create(
        Article(outlet=outlet, title=f"a{i}", text="x" * 10, content_hash=f"{i:064d}")
        for i in range(marks // per_article + 1)
    )
    sentences = Sentence.objects.bulk_create(
        Sentence(article=a, position=p, start=0, end=1, text="x") for a in articles for p in range(per_article)
    )
    users = [get_user_model().objects.create(username=f"bench{i}") for i in range(reviewers)]
    start = datetime(2024, 1, 1, tzinfo=UTC)
    rows = []
    for index, user in enumerate(users):
        at = start
        for sentence in sentences[index::reviewers][: marks // reviewers]:
            # Mostly 5-60 s apart, now and then a break of an hour.
            at += timedelta(seconds=rng.choice([rng.uniform(5, 60)] * 30 + [3600]))
            rows.append(Annotation(sentence=sentence, reviewer=user, label="claim", created=at))
    Annotation.objects.bulk_create(rows, batch_size=2000)
    # auto_now_add overwrote `created`: set the simulated times again.
    by_key = {(r.sentence_id, r.reviewer_id): r.created for r in rows}
    stored = list(Annotation.objects.only("pk", "sentence_id", "reviewer_id"))
    for annotation in stored:
        annotation.created = by_key[(annotation.sentence_id, annotation.reviewer_id)]
    Annotation.objects.bulk_update(stored, ["created"], batch_size=2000)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--reviewers", type=int, default=20)
    parser.add_argument("--marks", type=int, default=5000)
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--database-url", help="default: a SQLite file in a fresh /tmp folder")
    args = parser.parse_args()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    os.environ["DEBUG"] = "true"
    os.environ["DATABASE_URL"] = args.database_url or f"sqlite:///{tempfile.mkdtemp()}/bench-progress.sqlite3"
    import django

    django.setup()
    from django.core.management import call_command

    from annotate.models import Annotation

    call_command("migrate", verbosity=0)
    call_command("flush", interactive=False, verbosity=0)
    fill(args.reviewers, args.marks)
    old, new = python_walk(), in_sql()
    assert old.keys() == new.keys()
    for reviewer, (seconds, paced) in old.items():
        assert abs(new[reviewer][0] - seconds) < 1e-3, (reviewer, old, new)
        assert new[reviewer][1] == paced, (reviewer, old, new)
    baseline = median_ms(python_walk, args.repeats)
    sql = median_ms(in_sql, args.repeats)
    backend = "PostgreSQL" if "postgres" in os.environ["DATABASE_URL"] else "SQLite"
    count = Annotation.objects.count()
    print(
        f"progress page aggregation, {backend}, {count} marks by {args.reviewers} reviewers (median of {args.repeats}):"
    )
    print(f"  every timestamp into Python (before): {baseline:8.1f} ms (baseline)")
    print(f"  in SQL (pace_by_reviewer):             {sql:8.1f} ms (x{sql / baseline:.2f})")
    print("  both give the same active time and paced marks for every reviewer (checked)")


if __name__ == "__main__":
    main()
