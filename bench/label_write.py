"""Label-save benchmark (issue 17, goal 4): one client, sequential POST /api/v1/annotations/ with an
API token, each creating a new mark, as the peer bench's label phase does.

    .venv/bin/python bench/label_write.py --db postgres://doccano@127.0.0.1:5489/labelbench
    .venv/bin/python bench/label_write.py --db ... --http            # through gunicorn (scripts/serve's options)
    .venv/bin/python bench/label_write.py --db ... --profile out.prof  # cProfile of the in-process writes
    .venv/bin/python bench/label_write.py --db ... --root ../main      # another checkout, same database

Each repeat deletes the reviewer's marks and writes --n new ones (labels claim, analysis and
attribution with a source, in the peer bench's random order). In-process (default) the requests go
through Django's test client (the whole middleware stack, WSGI handler included); --http starts
gunicorn with config.gunicorn_conf and uses requests.Session over loopback. Prints median and p95
per repeat, and as a baseline a `SELECT 1` round trip on the same connection (in-process) or
GET /health/ (--http). The database must exist; its tables are migrated and the bench's rows
(outlet bench-label.example, users benchlabel*) replaced. Compare checkouts by alternating runs.
"""

import argparse
import os
import random
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path

LABELS = ["claim", "analysis", "attribution"]


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def stats(values: list[float]) -> str:
    return f"median {statistics.median(values) * 1000:6.2f} ms  p95 {percentile(values, 0.95) * 1000:6.2f} ms"


def environment(db: str) -> dict[str, str]:
    return {
        "DATABASE_URL": db,
        "DEBUG": "false",
        "SECURE_SSL_REDIRECT": "false",
        "SECRET_KEY": "bench-only-" + "k" * 50,
        "ALLOWED_HOSTS": "127.0.0.1,testserver,localhost",
        "STATIC_MANIFEST": "false",
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "LOG_LEVEL": "WARNING",
        "CLAIMS_AUTO_MATCH": "false",
        "PYTHONWARNINGS": "ignore",
    }


def setup(n: int):
    """(sentence ids, source id, token key) for a reviewer assigned to one article of n sentences."""
    from django.contrib.auth import get_user_model
    from django.core.management import call_command

    from annotate.models import Annotation, AnnotationRevision, Article, Assignment, Outlet, Sentence, Source
    from config.tokens import issue_token

    call_command("migrate", verbosity=0)
    AnnotationRevision.objects.filter(reviewer__username__startswith="benchlabel").delete()
    Annotation.objects.filter(reviewer__username__startswith="benchlabel").delete()
    Article.objects.filter(outlet__domain="bench-label.example").delete()
    reviewer, _ = get_user_model().objects.get_or_create(username="benchlabel1")
    outlet, _ = Outlet.objects.get_or_create(domain="bench-label.example")
    parts = [f"Sentence {i} says that the minister announced a new policy on {i} topics." for i in range(n)]
    article = Article.objects.create(
        outlet=outlet, title="bench", text=" ".join(parts), content_hash=f"bl{time.time()}"
    )
    rows, offset = [], 0
    for i, part in enumerate(parts):
        rows.append(Sentence(article=article, position=i, start=offset, end=offset + len(part), text=part))
        offset += len(part) + 1
    Sentence.objects.bulk_create(rows)
    Assignment.objects.create(article=article, reviewer=reviewer)
    source, _ = Source.objects.get_or_create(name="Bench Label Source", defaults={"kind": "person"})
    ids = list(Sentence.objects.filter(article=article).order_by("position").values_list("id", flat=True))
    return reviewer, ids, source.pk, issue_token(reviewer)[1]


def bodies(ids: list[int], source_id: int, seed: int) -> list[dict]:
    rng = random.Random(seed)
    out = []
    for sid in ids:
        label = rng.choice(LABELS)
        out.append({"sentence": sid, "label": label, **({"source": source_id} if label == "attribution" else {})})
    return out


def server_cpu(pid: int) -> float:
    """CPU seconds (user + system) of a PostgreSQL backend on this machine (0 without one)."""
    if not pid:
        return 0.0
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def clear(reviewer) -> None:
    from annotate.models import Annotation, AnnotationRevision

    Annotation.objects.filter(reviewer=reviewer).delete()
    AnnotationRevision.objects.filter(reviewer=reviewer).delete()


def in_process(args, reviewer, ids, source_id, key) -> None:
    import json

    from django.db import connection
    from django.test import Client

    client = Client()
    authorization = f"Token {key}"
    profiler = None
    if args.profile:
        import cProfile

        profiler = cProfile.Profile()
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()" if connection.vendor == "postgresql" else "SELECT 0")
        backend = cursor.fetchone()[0]
    for repeat in range(args.repeats):
        clear(reviewer)
        lat = []
        cpu = (time.process_time(), server_cpu(backend))
        for body in bodies(ids, source_id, repeat):
            payload = json.dumps(body)
            if profiler and repeat == args.repeats - 1:
                profiler.enable()
            t = time.perf_counter()
            response = client.post(
                "/api/v1/annotations/", payload, content_type="application/json", HTTP_AUTHORIZATION=authorization
            )
            lat.append(time.perf_counter() - t)
            if profiler:
                profiler.disable()
            assert response.status_code == 201, (response.status_code, response.content[:300])
        per_write = [
            (after - before) / len(lat) * 1000
            for before, after in zip(cpu, (time.process_time(), server_cpu(backend)), strict=True)
        ]
        rtt = []
        with connection.cursor() as cursor:
            for _ in range(200):
                t = time.perf_counter()
                cursor.execute("SELECT 1")
                cursor.fetchone()
                rtt.append(time.perf_counter() - t)
        print(
            f"repeat {repeat}: POST {stats(lat)}   CPU ms per write: this process {per_write[0]:.2f}, "
            f"PostgreSQL {per_write[1]:.2f}   SELECT 1 {stats(rtt)}",
            flush=True,
        )
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM pg_prepared_statements")
            print("statements prepared on the connection:", cursor.fetchone()[0])
    if profiler:
        profiler.dump_stats(args.profile)
        print("profile of the last repeat:", args.profile)


def over_http(args, reviewer, ids, source_id, key) -> None:
    import requests

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    command = [
        sys.executable,
        "-m",
        "gunicorn",
        "config.wsgi:application",
        "--config",
        "python:config.gunicorn_conf",
        "--bind",
        f"127.0.0.1:{port}",
        "--workers",
        str(args.workers),
        "--log-level",
        "warning",
    ]
    server = subprocess.Popen(command, cwd=args.root, env=os.environ.copy())
    base = f"http://127.0.0.1:{port}"
    try:
        session = requests.Session()
        for _ in range(150):
            try:
                if session.get(f"{base}/health/", timeout=5).ok:
                    break
            except requests.RequestException:
                time.sleep(0.2)
        session.headers["Authorization"] = f"Token {key}"
        for repeat in range(args.repeats):
            clear(reviewer)
            for _ in range(20):  # every worker warm
                session.get(f"{base}/api/v1/annotations/?page_size=1")
            lat = []
            for body in bodies(ids, source_id, repeat):
                t = time.perf_counter()
                response = session.post(f"{base}/api/v1/annotations/", json=body)
                lat.append(time.perf_counter() - t)
                assert response.status_code == 201, (response.status_code, response.text[:300])
            health = []
            for _ in range(200):
                t = time.perf_counter()
                session.get(f"{base}/health/")
                health.append(time.perf_counter() - t)
            print(f"repeat {repeat}: POST {stats(lat)}   GET /health/ {stats(health)}", flush=True)
    finally:
        server.terminate()
        server.wait()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--db", required=True, help="DATABASE_URL (an existing database)")
    parser.add_argument("--root", default=str(Path(__file__).resolve().parents[1]), help="checkout to measure")
    parser.add_argument("--n", type=int, default=500)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--http", action="store_true", help="through gunicorn instead of the test client")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--profile", help="write a cProfile of the last repeat here (in-process only)")
    args = parser.parse_args()
    args.root = str(Path(args.root).resolve())
    os.environ.update(environment(args.db))
    sys.path.insert(0, args.root)
    os.chdir(args.root)
    import django

    django.setup()
    print(f"{args.root}  load average {os.getloadavg()[0]:.2f}", flush=True)
    reviewer, ids, source_id, key = setup(args.n)
    (over_http if args.http else in_process)(args, reviewer, ids, source_id, key)


if __name__ == "__main__":
    main()
