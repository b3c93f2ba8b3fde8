"""Export benchmark: N sentences with 2 marks each, exported to JSONL and to CSV.

Data is generated fast (COPY on PostgreSQL, one executemany transaction on SQLite) into a
throwaway database (PostgreSQL `bench_export`, SQLite /tmp/sourcemark-bench-export.sqlite3).
Each export runs in a fresh process so that its peak RSS is its own. The baseline is the
database's own dump of the same joined rows (sentence x mark) to a file: PostgreSQL
`COPY (SELECT ...) TO STDOUT` through psycopg's cursor.copy, SQLite a plain sqlite3 SELECT
written with csv.writer. Figures are medians over --repeat runs. The JSONL export is also run
as the command (`manage.py export`, process start-up included) and its wall and CPU time reported.

    .venv/bin/python bench/export.py                 # 100,000 sentences, PostgreSQL and SQLite
    .venv/bin/python bench/export.py --full          # 1,000,000 on PostgreSQL (SQLite stays 100,000)
"""

import argparse
import csv
import datetime
import hashlib
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
SENTENCES_PER_ARTICLE = 25
LABELS = ("claim", "attribution", "analysis", "other")

BASELINE_SQL = """
SELECT s.id, s.article_id, o.domain, a.url, a.published, s.position, s.text, s.start, s."end",
       u.username, m.label, src.name, src.kind, m.source_start, m.source_end, m.cue_start, m.cue_end, m.created
FROM annotate_sentence s
JOIN annotate_article a ON a.id = s.article_id
JOIN annotate_outlet o ON o.id = a.outlet_id
JOIN annotate_annotation m ON m.sentence_id = s.id
JOIN auth_user u ON u.id = m.reviewer_id
LEFT JOIN annotate_source src ON src.id = m.source_id
ORDER BY s.article_id, s.position, u.username
"""


def setup_django(database_url: str) -> None:
    os.environ["DATABASE_URL"] = database_url
    os.environ.setdefault("SECRET_KEY", "bench-only-secret-key")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()


def generate(database_url: str, count: int) -> None:
    setup_django(database_url)
    from django.contrib.auth import get_user_model
    from django.core.management import call_command
    from django.db import connection, transaction

    from annotate.models import Outlet, Source

    call_command("migrate", verbosity=0)
    start = time.perf_counter()
    with transaction.atomic():
        with connection.cursor() as cursor:  # a raw delete: the ORM's cascade is slow for 10^6 rows
            for table in (
                "annotate_annotationrevision",
                "annotate_annotation",
                "annotate_assignmentevent",
                "annotate_assignment",
                "annotate_adjudication",
                "annotate_sentence",
                "annotate_article",
            ):
                cursor.execute(f"DELETE FROM {table}")
        get_user_model().objects.filter(username__startswith="bench").delete()
        Source.objects.all().delete()
        outlets = [Outlet.objects.get_or_create(domain=f"outlet{i}.example.com")[0].pk for i in range(20)]
        users = [get_user_model().objects.create(username=f"bench{i}").pk for i in range(4)]
        sources = [Source.objects.create(name=f"Source {i}", kind="organisation").pk for i in range(50)]
    now = datetime.datetime.now(datetime.UTC)
    articles, sentences, marks, assignments = [], [], [], []
    with connection.cursor() as cursor:
        cursor.execute("SELECT COALESCE(MAX(id), 0) FROM annotate_article")
        article_base = cursor.fetchone()[0] + 1
        cursor.execute("SELECT COALESCE(MAX(id), 0) FROM annotate_sentence")
        sentence_base = cursor.fetchone()[0] + 1
    n_articles = -(-count // SENTENCES_PER_ARTICLE)
    sentence_id = sentence_base
    for a in range(n_articles):
        article_id = article_base + a
        parts, offset = [], 0
        for position in range(min(SENTENCES_PER_ARTICLE, count - a * SENTENCES_PER_ARTICLE)):
            text = f"Officials in city {a} said on day {position} that the attack near the border killed people."
            sentences.append((sentence_id, article_id, position, offset, offset + len(text), text, True))
            label = LABELS[(sentence_id * 7) % 4]
            second = label if sentence_id % 10 else LABELS[(sentence_id + 1) % 4]
            for reviewer, value in ((users[a % 4], label), (users[(a + 1) % 4], second)):
                source = sources[sentence_id % 50] if value == "attribution" else None
                spans = (0, 9, 25, 29) if value == "attribution" else (None, None, None, None)
                marks.append((sentence_id, reviewer, value, source, *spans, "", False, "", "web", "", 1, now, now))
            parts.append(text)
            offset += len(text) + 1
            sentence_id += 1
        text = " ".join(parts)
        # Both reviewers submitted the article: their marks count (docs/scoring.md section 1).
        assignments += [(article_id, users[a % 4], now, now), (article_id, users[(a + 1) % 4], now, now)]
        articles.append(
            (
                article_id,
                outlets[a % 20],
                f"Article {a}",
                "",
                datetime.date(2024, 1, 1) + datetime.timedelta(days=a % 365),
                text,
                hashlib.sha256(text.encode()).hexdigest(),
                False,
                now,
            )
        )
    article_cols = "id, outlet_id, title, url, published, text, content_hash, retired, created"
    sentence_cols = 'id, article_id, position, start, "end", text, reviewable'
    assignment_cols = "article_id, reviewer_id, created, submitted_at"
    mark_cols = (
        "sentence_id, reviewer_id, label, source_id, source_start, source_end, cue_start, cue_end, note, "
        "from_suggestion, suggestion_version, origin, external_id, version, created, updated"
    )
    with transaction.atomic(), connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            for table, cols, rows in (
                ("annotate_article", article_cols, articles),
                ("annotate_sentence", sentence_cols, sentences),
                ("annotate_assignment", assignment_cols, assignments),
                ("annotate_annotation", mark_cols, marks),
            ):
                with cursor.cursor.copy(f"COPY {table} ({cols}) FROM STDIN") as copy:
                    for row in rows:
                        copy.write_row(row)
            for table in ("annotate_article", "annotate_sentence"):
                cursor.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT MAX(id) FROM {table}))")
            cursor.execute("ANALYZE")
        else:
            for table, cols, rows in (
                ("annotate_article", article_cols, articles),
                ("annotate_sentence", sentence_cols, sentences),
                ("annotate_assignment", assignment_cols, assignments),
                ("annotate_annotation", mark_cols, marks),
            ):
                placeholders = ", ".join(["%s"] * len(rows[0]))
                cursor.executemany(f"INSERT INTO {table} ({cols}) VALUES ({placeholders})", rows)
    print(
        f"  generated {len(sentences):,} sentences, {len(marks):,} marks, {len(articles):,} articles "
        f"in {time.perf_counter() - start:.1f}s",
        flush=True,
    )


def export_once(database_url: str, fmt: str) -> None:
    """Run in its own process: one export, then the baseline; print JSON figures."""
    setup_django(database_url)
    from django.db import connection

    from datasets.options import ExportOptions
    from datasets.services import write_export

    work = Path(tempfile.mkdtemp(prefix="bench-export-"))
    try:
        start = time.perf_counter()
        result = write_export(ExportOptions(format=fmt), work / "out")
        seconds = time.perf_counter() - start
        peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        size = sum(p.stat().st_size for p in result.path.iterdir())
        shutil.rmtree(result.path)
        start = time.perf_counter()
        baseline_rows = 0
        target = work / "baseline.tsv"
        if connection.vendor == "postgresql":
            connection.ensure_connection()
            with (
                connection.connection.cursor() as cursor,
                open(target, "wb") as out,
                cursor.copy(f"COPY ({BASELINE_SQL}) TO STDOUT") as copy,
            ):
                for block in copy:
                    out.write(block)
        else:
            import sqlite3

            db = sqlite3.connect(connection.settings_dict["NAME"])
            with open(target, "w", newline="", encoding="utf-8") as out:
                writer = csv.writer(out)
                for row in db.execute(BASELINE_SQL):
                    writer.writerow(row)
                    baseline_rows += 1
            db.close()
        baseline = time.perf_counter() - start
        print(
            json.dumps(
                {
                    "seconds": seconds,
                    "rows": result.count,
                    "peak_mb": peak_kb / 1024,
                    "bytes": size,
                    "baseline_seconds": baseline,
                }
            )
        )
    finally:
        shutil.rmtree(work, ignore_errors=True)


def cli_once(database_url: str) -> tuple[float, float]:
    """`manage.py export --format jsonl` in its own process: (wall seconds, CPU seconds)."""
    work = Path(tempfile.mkdtemp(prefix="bench-export-cli-"))
    env = {**os.environ, "DATABASE_URL": database_url, "SECRET_KEY": "bench-only-secret-key"}
    try:
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        start = time.perf_counter()
        subprocess.run(
            [sys.executable, str(ROOT / "manage.py"), "export", "--format", "jsonl", "--out", str(work / "out")],
            check=True,
            capture_output=True,
            env=env,
        )
        wall = time.perf_counter() - start
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def run(database_url: str, count: int, repeat: int) -> None:
    label = "postgresql" if database_url.startswith("postgres") else "sqlite"
    print(f"[{label}] {count:,} sentences x 2 marks", flush=True)
    subprocess.run([sys.executable, __file__, "--generate", database_url, "--sentences", str(count)], check=True)
    for fmt in ("jsonl", "csv"):
        runs = []
        for _ in range(repeat):
            out = subprocess.run(
                [sys.executable, __file__, "--export", database_url, "--format", fmt],
                check=True,
                capture_output=True,
                text=True,
            )
            runs.append(json.loads(out.stdout.strip().splitlines()[-1]))
        seconds = statistics.median(r["seconds"] for r in runs)
        baseline = statistics.median(r["baseline_seconds"] for r in runs)
        rows = runs[0]["rows"]
        print(
            f"  {fmt:5}: {rows / seconds:10,.0f} sentences/s  "
            f"({seconds:.1f}s, {runs[0]['bytes'] / 1e6:.0f} MB written), "
            f"peak RSS {max(r['peak_mb'] for r in runs):.0f} MB; baseline {baseline:.1f}s "
            f"({'COPY TO STDOUT' if label == 'postgresql' else 'sqlite3 + csv.writer'}); "
            f"ratio export/baseline {seconds / baseline:.1f}x",
            flush=True,
        )
        if fmt == "jsonl":
            cli = [cli_once(database_url) for _ in range(repeat)]
            wall, cpu = statistics.median(c[0] for c in cli), statistics.median(c[1] for c in cli)
            print(
                f"  jsonl as `manage.py export` (start-up included): {rows / wall:10,.0f} sentences/s "
                f"({wall:.1f}s wall, {cpu:.1f}s CPU); ratio command/baseline {wall / baseline:.1f}x",
                flush=True,
            )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sentences", type=int, default=100_000)
    parser.add_argument("--full", action="store_true", help="1,000,000 sentences on PostgreSQL")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--db", choices=["both", "postgres", "sqlite"], default="both")
    parser.add_argument("--generate", help=argparse.SUPPRESS)
    parser.add_argument("--export", help=argparse.SUPPRESS)
    parser.add_argument("--format", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.generate:
        generate(args.generate, args.sentences)
        return
    if args.export:
        export_once(args.export, args.format)
        return
    if args.db in ("both", "postgres"):
        pg = subprocess.run(
            [str(ROOT / "scripts/postgres")],
            capture_output=True,
            text=True,
            env={**os.environ, "PGDATABASE_NAME": "bench_export"},
        )
        if pg.returncode:
            sys.exit(f"PostgreSQL unavailable: {pg.stderr.strip()}")
        run(pg.stdout.strip(), 1_000_000 if args.full else args.sentences, args.repeat)
    if args.db in ("both", "sqlite"):
        path = Path("/tmp/sourcemark-bench-export.sqlite3")
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
        run(f"sqlite:///{path}", min(args.sentences, 100_000), args.repeat)


if __name__ == "__main__":
    main()
