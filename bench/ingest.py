"""Ingest benchmark: 1,000 generated articles (~30 sentences each) into PostgreSQL and SQLite.

Prints sentences/second for splitting alone, for the whole ingest (parse, split, validate,
store: one transaction per article, as `ingest` does for a folder), and for a baseline that
bulk-inserts the same pre-split rows with one executemany (SQLite) or COPY (PostgreSQL).
The figure to improve is the ratio whole-ingest / baseline.

    .venv/bin/python bench/ingest.py [--articles 1000] [--db both|postgres|sqlite] [--repeat 3]
"""

import argparse
import os
import random
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

WORDS = [
    "the",
    "government",
    "said",
    "forces",
    "rebels",
    "city",
    "officials",
    "reported",
    "analysts",
    "suggest",
    "that",
    "attack",
    "civilians",
    "aid",
    "ministry",
    "according",
    "to",
    "reports",
    "indicate",
    "U.S.",
    "Dr.",
    "Gen.",
    "a.m.",
    "3.5",
    "per",
    "cent",
    "war",
    "talks",
    "ceasefire",
    "region",
    "north",
    "south",
    "army",
    "statement",
    "residents",
    "told",
    "hospital",
]


def make_articles(count: int, sentences: int, seed: int = 7) -> list[bytes]:
    rng = random.Random(seed)
    articles = []
    for i in range(count):
        body = []
        for _ in range(sentences):
            words = [rng.choice(WORDS) for _ in range(rng.randint(8, 24))]
            body.append(" ".join(words).capitalize() + ".")
        paragraphs = [" ".join(body[j : j + 6]) for j in range(0, len(body), 6)]
        text = (
            f"Title: Generated article {i}\n" + "\n".join(paragraphs) + f"\nOriginal Source: outlet{i % 50}.example.com"
        )
        articles.append(text.encode())
    return articles


def run_one(database_url: str, count: int, repeat: int) -> None:
    os.environ["DATABASE_URL"] = database_url
    os.environ.setdefault("SECRET_KEY", "bench-only-secret-key")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection, transaction

    from annotate.ingest import ingest_articles, parse_plain_text
    from annotate.models import Article, Outlet
    from annotate.sentences import split_sentences

    call_command("migrate", verbosity=0)
    raw = make_articles(count, 30)
    vendor = connection.vendor

    def clear():
        with transaction.atomic():
            Article.objects.all().delete()
            Outlet.objects.all().delete()

    split_times, ingest_times, base_times = [], [], []
    total_sentences = 0
    for _ in range(repeat):
        texts = [r.decode() for r in raw]
        start = time.perf_counter()
        total_sentences = sum(len(split_sentences(t)) for t in texts)
        split_times.append(time.perf_counter() - start)

        clear()
        start = time.perf_counter()
        for index, item in enumerate(raw):
            ingest_articles([parse_plain_text(item, origin=f"article-{index}.txt")])
        ingest_times.append(time.perf_counter() - start)

        # Baseline: the same rows, pre-split, in one bulk statement per table.
        items = [parse_plain_text(item, origin=f"article-{index}.txt") for index, item in enumerate(raw)]
        clear()
        start = time.perf_counter()
        with transaction.atomic(), connection.cursor() as cursor:
            domains = sorted({i.outlet for i in items})
            cursor.executemany(
                "INSERT INTO annotate_outlet (domain, name, created) VALUES (%s, '', CURRENT_TIMESTAMP)",
                [(d,) for d in domains],
            )
            cursor.execute("SELECT domain, id FROM annotate_outlet")
            outlet_ids = dict(cursor.fetchall())
            cursor.execute("SELECT COALESCE(MAX(id), 0) FROM annotate_article")
            next_id = cursor.fetchone()[0] + 1
            article_rows, sentence_rows = [], []
            for offset, i in enumerate(items):
                article_id = next_id + offset
                article_rows.append((article_id, outlet_ids[i.outlet], i.title, i.url, i.text, i.content_hash))
                sentence_rows.extend(
                    (article_id, s.position, s.start, s.end, s.text, s.reviewable) for s in i.sentences
                )
            cursor.executemany(
                "INSERT INTO annotate_article (id, outlet_id, title, url, text, content_hash, created) "
                "VALUES (%s, %s, %s, %s, %s, %s, CURRENT_TIMESTAMP)",
                article_rows,
            )
            if vendor == "postgresql":
                with cursor.cursor.copy(
                    'COPY annotate_sentence (article_id, position, start, "end", text, reviewable) FROM STDIN'
                ) as copy:
                    for row in sentence_rows:
                        copy.write_row(row)
            else:
                cursor.executemany(
                    'INSERT INTO annotate_sentence (article_id, position, start, "end", text, reviewable) '
                    "VALUES (%s, %s, %s, %s, %s, %s)",
                    sentence_rows,
                )
        base_times.append(time.perf_counter() - start)
        if vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute(
                    "SELECT setval(pg_get_serial_sequence('annotate_article', 'id'), "
                    "(SELECT MAX(id) FROM annotate_article))"
                )

    split, whole, base = (statistics.median(t) for t in (split_times, ingest_times, base_times))
    print(f"[{vendor}] {count} articles, {total_sentences} sentences, median of {repeat}")
    print(f"  splitting alone : {total_sentences / split:10,.0f} sentences/s")
    print(f"  whole ingest    : {total_sentences / whole:10,.0f} sentences/s  ({count / whole:,.0f} articles/s)")
    method = "COPY" if vendor == "postgresql" else "executemany"
    print(f"  bulk baseline   : {total_sentences / base:10,.0f} sentences/s  ({method})")
    print(
        f"  ratio whole-ingest time / baseline time: {whole / base:.1f}x "
        f"(splitting is {split / whole:.0%} of the whole ingest)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--articles", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--db", choices=["both", "postgres", "sqlite"], default="both")
    parser.add_argument("--database-url", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.database_url:
        run_one(args.database_url, args.articles, args.repeat)
        return
    urls = []
    if args.db in ("both", "postgres"):
        pg = subprocess.run(
            [str(ROOT / "scripts/postgres")],
            capture_output=True,
            text=True,
            env={**os.environ, "PGDATABASE_NAME": "bench_ingest"},
        )
        if pg.returncode:
            sys.exit(f"PostgreSQL unavailable: {pg.stderr.strip()}")
        urls.append(pg.stdout.strip())
    if args.db in ("both", "sqlite"):
        path = Path("/tmp/sourcemark-bench-ingest.sqlite3")
        path.unlink(missing_ok=True)
        urls.append(f"sqlite:///{path}")
    for url in urls:
        subprocess.run(
            [
                sys.executable,
                __file__,
                "--database-url",
                url,
                "--articles",
                str(args.articles),
                "--repeat",
                str(args.repeat),
            ],
            check=True,
        )


if __name__ == "__main__":
    main()
