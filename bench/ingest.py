"""Ingest benchmark: 1,000 generated articles (~30 sentences each) into PostgreSQL and SQLite.

Prints sentences/second for splitting alone (and for the reference splitter, pysbd on whole
paragraphs, as before issue 12.1/17), for the whole ingest (parse, validate, split, store in
INGEST_BATCH_ARTICLES batches, as the `ingest` command does), and for a baseline that bulk-inserts
the same pre-split rows with one executemany (SQLite) or COPY (PostgreSQL). Then two cases that
must stay linear (issue 12.1, 17.5):

- one huge paragraph: the same sentences as one paragraph of 20 KB, 200 KB and 2 MB, split
  (sentences/s must not fall with the size; the reference pysbd takes minutes at 200 KB);
- a JSONL corpus of --corpus-mb MB through `manage.py ingest` in its own process: peak RSS, which
  must not grow with the corpus (the article limit applies per line).

    .venv/bin/python bench/ingest.py [--articles 1000] [--db both|postgres|sqlite] [--repeat 3]
    .venv/bin/python bench/ingest.py --db sqlite --corpus-mb 20,200
"""

import argparse
import os
import random
import statistics
import subprocess
import sys
import tempfile
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


def huge_paragraph(repeat: int) -> None:
    """Split one paragraph of growing size: sentences/s must stay flat (linear time)."""
    from annotate.sentences import split_sentences

    sentence = "The minister said the budget would rise by 3.5 per cent next year, officials confirmed. "
    rng = random.Random(3)
    quoted = [sentence, 'He said: "We will win. They lost." ', "Dr. Smith met Gen. Jones at 9 a.m. in the U.S. "]
    unit = "".join(rng.choice(quoted) for _ in range(200))
    print("one huge paragraph (no line break), split alone, median of", repeat)
    base = None
    for size in (20_000, 200_000, 2_000_000):
        text = (unit * (size // len(unit) + 1))[:size]
        times, count = [], 0
        for _ in range(repeat):
            start = time.perf_counter()
            count = len(split_sentences(text))
            times.append(time.perf_counter() - start)
        rate = count / statistics.median(times)
        base = base or rate
        print(f"  {size:>9,} chars: {count:>7,} sentences, {rate:10,.0f} sentences/s ({rate / base:.2f}x at 20 KB)")


def corpus_memory(sizes_mb: list[int]) -> None:
    """Peak RSS of `manage.py ingest` on JSONL corpora of growing size (bounded memory, issue 17.5)."""
    import json

    rng = random.Random(11)
    print("JSONL corpus through `manage.py ingest` (its own process, SQLite): peak RSS")
    for size_mb in sizes_mb:
        with tempfile.TemporaryDirectory() as folder:
            corpus = Path(folder) / "corpus.jsonl"
            with corpus.open("w", encoding="utf-8") as out:
                index = 0
                while out.tell() < size_mb << 20:
                    body = " ".join(
                        " ".join(rng.choice(WORDS) for _ in range(rng.randint(8, 24))).capitalize() + "."
                        for _ in range(30)
                    )
                    record = {"title": f"A{index}", "outlet": f"o{index % 50}.example.com", "text": body}
                    out.write(json.dumps(record) + "\n")
                    index += 1
            database = Path(folder) / "corpus.sqlite3"
            env = {**os.environ, "DATABASE_URL": f"sqlite:///{database}", "SECRET_KEY": "bench-only-" + "k" * 50}
            subprocess.run([sys.executable, "manage.py", "migrate", "-v0"], cwd=ROOT, env=env, check=True)
            start = time.perf_counter()
            process = subprocess.Popen(
                [sys.executable, "manage.py", "ingest", str(corpus)], cwd=ROOT, env=env, stdout=subprocess.DEVNULL
            )
            _, status, usage = os.wait4(process.pid, 0)
            wall = time.perf_counter() - start
            print(
                f"  {size_mb:>5} MB, {index:>8,} articles: {wall:7.1f} s, {index * 30 / wall:9,.0f} sentences/s, "
                f"peak RSS {usage.ru_maxrss / 1024:6.0f} MiB (exit {os.waitstatus_to_exitcode(status)})"
            )


def run_one(database_url: str, count: int, repeat: int) -> None:
    os.environ["DATABASE_URL"] = database_url
    os.environ.setdefault("SECRET_KEY", "bench-only-secret-key")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection, transaction

    from annotate.ingest import parse_plain_text, store_articles, text_hashes
    from annotate.models import Article, Outlet
    from annotate.sentences import split_sentences, split_sentences_pysbd

    call_command("migrate", verbosity=0)
    raw = make_articles(count, 30)
    vendor = connection.vendor

    def clear():
        with transaction.atomic():
            Article.objects.all().delete()
            Outlet.objects.all().delete()

    split_times, reference_times, ingest_times, base_times = [], [], [], []
    total_sentences = 0
    for _ in range(repeat):
        texts = [r.decode() for r in raw]
        start = time.perf_counter()
        total_sentences = sum(len(split_sentences(t)) for t in texts)
        split_times.append(time.perf_counter() - start)
        start = time.perf_counter()
        assert sum(len(split_sentences_pysbd(t)) for t in texts) == total_sentences
        reference_times.append(time.perf_counter() - start)

        clear()
        start = time.perf_counter()
        for _ in store_articles(
            parse_plain_text(item, origin=f"article-{index}.txt") for index, item in enumerate(raw)
        ):
            pass
        ingest_times.append(time.perf_counter() - start)

        # Baseline: the same rows, pre-split, in one bulk statement per table.
        items = [parse_plain_text(item, origin=f"article-{index}.txt") for index, item in enumerate(raw)]
        for i in items:
            i.sentences  # noqa: B018 (split before the clock starts: the baseline stores pre-split rows)
        clear()
        start = time.perf_counter()
        with transaction.atomic(), connection.cursor() as cursor:
            domains = sorted({i.outlet for i in items})
            cursor.executemany(
                "INSERT INTO annotate_outlet (domain, name, retired, created) "
                "VALUES (%s, '', FALSE, CURRENT_TIMESTAMP)",
                [(d,) for d in domains],
            )
            cursor.execute("SELECT domain, id FROM annotate_outlet")
            outlet_ids = dict(cursor.fetchall())
            cursor.execute("SELECT COALESCE(MAX(id), 0) FROM annotate_article")
            next_id = cursor.fetchone()[0] + 1
            article_rows: list[tuple] = []
            sentence_rows: list[tuple] = []
            for offset, i in enumerate(items):
                article_id = next_id + offset
                hashes = text_hashes(i.text)
                article_rows.append((article_id, outlet_ids[i.outlet], i.title, i.url, i.text, *hashes.values()))
                sentence_rows.extend(
                    (article_id, s.position, s.start, s.end, s.text, s.reviewable) for s in i.sentences
                )
            cursor.executemany(
                "INSERT INTO annotate_article (id, outlet_id, title, url, text, content_hash, normalized_hash, "
                "retired, created) VALUES (%s, %s, %s, %s, %s, %s, %s, FALSE, CURRENT_TIMESTAMP)",
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

    split, reference, whole, base = (
        statistics.median(t) for t in (split_times, reference_times, ingest_times, base_times)
    )
    print(f"[{vendor}] {count} articles, {total_sentences} sentences, median of {repeat}")
    print(f"  splitting alone : {total_sentences / split:10,.0f} sentences/s")
    print(
        f"  reference split : {total_sentences / reference:10,.0f} sentences/s (pysbd on whole paragraphs: "
        f"{reference / split:.1f}x slower, same sentences)"
    )
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
    parser.add_argument("--corpus-mb", default="", help="comma-separated corpus sizes for the memory case")
    parser.add_argument("--database-url", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.database_url:
        run_one(args.database_url, args.articles, args.repeat)
        return
    huge_paragraph(args.repeat)
    if args.corpus_mb:
        corpus_memory([int(size) for size in args.corpus_mb.split(",")])
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
