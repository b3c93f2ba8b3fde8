"""One POST /api/v1/articles/ per article (issue 17's per-article API path), in-process: Django's
test Client with a token, the peer harness's articles (30 sentences each), PostgreSQL.

Prints, per article: CPU of this process (auth, validation, split, store, the response), CPU of
its PostgreSQL backend (read from /proc), wall time, and SQL queries (the COPY of the sentences
and BEGIN/COMMIT are not counted by Django). Then, with --match, the match tasks those POSTs
queued, run by the worker's code path (django-tasks-db's Worker.run_task), and their CPU.

    .venv/bin/python bench/ingest_api.py [--articles 300] [--db bench_ingest_api] [--match]
    .venv/bin/python bench/ingest_api.py --checkout ../main     # another checkout, same venv

Compare checkouts by running this file from each (interleaved, several times): the machine is
shared, so read the ratios of medians. Uses its own database (created if missing; its articles,
claims and tasks are emptied first) and the data of ../shared/peerbench (generated, not stored).
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
HARNESS = Path(os.environ.get("PEERBENCH_HARNESS", ROOT.parent / "shared" / "peerbench"))
HOST = "/var/run/postgresql"
FIELDS = ("text", "outlet", "url", "title", "published")
warnings.filterwarnings("ignore", "No directory at")


def articles(count: int) -> list[dict]:
    """The harness's data set (same generator and seed as bench/peer.py), `count` articles."""
    sys.path.insert(0, str(HARNESS))
    from importlib import import_module

    harness = import_module("bench")
    with tempfile.TemporaryDirectory() as tmp:
        sentences, plain = Path(tmp) / "d.jsonl", Path(tmp) / "sm.jsonl"
        harness.write_dataset(str(sentences), max(30 * count, 30), 20240601)
        subprocess.run(
            [sys.executable, str(HARNESS / "make_sm_dataset.py"), str(sentences), str(plain)],
            check=True,
            stdout=subprocess.DEVNULL,
        )
        return [json.loads(line) for line in plain.read_text().splitlines()][:count]


def backend_cpu(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--articles", type=int, default=300)
    parser.add_argument("--db", default="bench_ingest_api", help="PostgreSQL database (its own: emptied)")
    parser.add_argument("--match", action="store_true", help="CLAIMS_AUTO_MATCH on, then run the queued tasks")
    parser.add_argument("--checkout", type=Path, default=ROOT, help="the Sourcemark checkout to measure (this one)")
    args = parser.parse_args()
    sys.path.insert(0, str(args.checkout.resolve()))
    os.chdir(args.checkout)
    records = articles(args.articles + 2)
    subprocess.run(["createdb", "-h", HOST, args.db], capture_output=True)
    os.environ.update(
        {
            "DATABASE_URL": f"postgres:///{args.db}?host={HOST}",
            "DEBUG": "false",
            "SECURE_SSL_REDIRECT": "false",
            "SECRET_KEY": "bench-only-" + "k" * 50,
            "ALLOWED_HOSTS": "testserver",
            "STATIC_MANIFEST": "false",
            "DJANGO_SETTINGS_MODULE": "config.settings",
            "LOG_LEVEL": "WARNING",
            "TASKS_BACKEND": "django_tasks_db.DatabaseBackend",
            "CLAIMS_AUTO_MATCH": "true" if args.match else "false",
            "SCORES_RECOMPUTE_DELAY": "3600",
        }
    )
    import django

    django.setup()
    from django.contrib.auth import get_user_model
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from config.tokens import issue_token

    call_command("migrate", verbosity=0)
    with connection.cursor() as cursor:
        tables = [
            name
            for name in connection.introspection.table_names()
            if name.startswith(("annotate_article", "annotate_sentence", "annotate_outlet", "claims_", "django_tasks"))
        ]
        cursor.execute(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE")
        cursor.execute("SELECT pg_backend_pid()")
        backend = cursor.fetchone()[0]
    users = get_user_model()
    lead = users.objects.filter(username="bench-lead").first() or users.objects.create_superuser(
        "bench-lead", "lead@example.org", "bench-only-password"
    )
    client = Client(HTTP_AUTHORIZATION=f"Token {issue_token(lead)[1]}")

    def post(record: dict) -> None:
        response = client.post("/api/v1/articles/", {k: record[k] for k in FIELDS}, content_type="application/json")
        assert response.status_code == 201, response.content[:300]

    post(records[0])  # warm-up: imports, first outlet
    with CaptureQueriesContext(connection) as queries:
        post(records[1])
    per_post = len(queries.captured_queries)  # now: the next request empties the log
    wall, cpu, pg = time.perf_counter(), time.process_time(), backend_cpu(backend)
    for record in records[2:]:
        post(record)
    n = len(records) - 2
    wall, cpu, pg = time.perf_counter() - wall, time.process_time() - cpu, backend_cpu(backend) - pg
    print(
        f"POST x{n}: per article {cpu / n * 1000:.2f} ms CPU here, {pg / n * 1000:.2f} ms CPU in PostgreSQL, "
        f"{wall / n * 1000:.2f} ms wall, {per_post} queries (load {os.getloadavg()[0]:.1f})"
    )
    if args.match:
        from django_tasks_db.management.commands.db_worker import Worker
        from django_tasks_db.models import DBTaskResult

        worker = Worker(
            queue_names=["default"], interval=0, batch=True, backend_name="default", startup_delay=False,
            max_tasks=None, worker_id="bench", excluded_queue_names=[],
        )  # fmt: skip
        tasks = DBTaskResult.objects.ready().count()
        wall, cpu, pg = time.perf_counter(), time.process_time(), backend_cpu(backend)
        worker.run()  # batch: until the queue is empty
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_backend_pid()")
            same = cursor.fetchone()[0] == backend  # the worker's loop may reconnect
        pg = backend_cpu(backend) - pg if same else float("nan")
        print(
            f"match: {tasks} task(s); per article {cpu / n * 1000:.2f} ms CPU here, {pg / n * 1000:.2f} ms CPU in "
            f"PostgreSQL, {wall / n * 1000:.2f} ms wall (load {os.getloadavg()[0]:.1f})"
        )


if __name__ == "__main__":
    main()
