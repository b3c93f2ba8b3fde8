"""API benchmark: gunicorn on loopback with PostgreSQL, N concurrent reviewers saving marks
(create, then change with If-Match), then loading an article with its annotations.

    .venv/bin/python bench/api.py                  # 20 s per phase, 8 clients, 4 workers
    .venv/bin/python bench/api.py --seconds 60     # the figure in docs/api.md

Prints requests/s and p50/p95/p99 latency per kind of request, with GET /health/ (one SELECT)
as the baseline, and SQL queries per request measured in-process for 20, 200 and 2000 sentences.
Uses its own database bench_api (created if missing) and drops nothing else.
"""

import argparse
import os
import socket
import statistics
import subprocess
import sys
import threading
import time
import warnings
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
DB_NAME = "bench_api"
HOST = "/var/run/postgresql"
os.environ.update(
    {
        "DATABASE_URL": f"postgres:///{DB_NAME}?host={HOST}",
        "DEBUG": "false",
        "SECURE_SSL_REDIRECT": "false",
        "SECRET_KEY": "bench-only-" + "k" * 50,
        "ALLOWED_HOSTS": "127.0.0.1,testserver",
        "STATIC_MANIFEST": "false",
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "LOG_LEVEL": "WARNING",
        "PYTHONWARNINGS": "ignore:No directory at",
    }
)
warnings.filterwarnings("ignore", "No directory at")


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else float("nan")


def build_article(sentences: int, reviewers, tag: str):
    from annotate.models import Article, Assignment, Outlet, Sentence

    parts = [f"Sentence {n} of {tag} says that something happened." for n in range(sentences)]
    outlet, _ = Outlet.objects.get_or_create(domain="bench.example")
    article = Article.objects.create(
        outlet=outlet, title=tag, text=" ".join(parts), content_hash=f"{tag}-{time.time()}"
    )
    offset, rows = 0, []
    for n, part in enumerate(parts):
        rows.append(Sentence(article=article, position=n, start=offset, end=offset + len(part), text=part))
        offset += len(part) + 1
    Sentence.objects.bulk_create(rows)
    Assignment.objects.bulk_create(Assignment(article=article, reviewer=r) for r in reviewers)
    return article


def setup(clients: int):
    subprocess.run(["createdb", "-h", HOST, DB_NAME], capture_output=True)
    import django

    django.setup()
    from django.contrib.auth import get_user_model
    from django.core.management import call_command

    from config.tokens import issue_token

    call_command("migrate", verbosity=0)
    from annotate.models import Annotation, AnnotationRevision, Article

    AnnotationRevision.objects.all().delete()
    Annotation.objects.all().delete()
    Article.objects.filter(outlet__domain="bench.example").delete()
    users = []
    for n in range(clients):
        user, _ = get_user_model().objects.get_or_create(username=f"bench{n}")
        users.append(user)
    tokens = [issue_token(u)[1] for u in users]
    return users, tokens


def start_server(workers: int) -> tuple[subprocess.Popen, str]:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "config.wsgi:application",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            str(workers),
            "--log-level",
            "warning",
        ],
        cwd=ROOT,
        env=os.environ.copy(),
    )
    base = f"http://127.0.0.1:{port}"
    for _ in range(150):
        try:
            if requests.get(f"{base}/health/", timeout=5).ok:
                return server, base
        except requests.RequestException:
            time.sleep(0.2)
    server.kill()
    raise SystemExit("gunicorn did not start")


def run(clients: int, seconds: float, work) -> dict[str, list[float]]:
    """Each client thread calls work(index, session, record) until the deadline."""
    latencies: dict[str, list[float]] = {}
    lock = threading.Lock()
    deadline = time.monotonic() + seconds

    def record(kind: str, started: float, response) -> None:
        elapsed = time.perf_counter() - started
        key = kind if response.status_code < 400 else f"{kind} [{response.status_code}]"
        with lock:
            latencies.setdefault(key, []).append(elapsed)

    def target(index: int) -> None:
        session = requests.Session()
        while time.monotonic() < deadline:
            work(index, session, record)

    threads = [threading.Thread(target=target, args=(i,)) for i in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return latencies


def report(title: str, latencies: dict[str, list[float]], seconds: float, baseline: float | None) -> None:
    print(f"\n{title}")
    print(f"  {'request':<34}{'count':>8}{'req/s':>9}{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}{'p50/health':>12}")
    for kind, values in sorted(latencies.items()):
        p50 = statistics.median(values)
        ratio = f"{p50 / baseline:.1f}×" if baseline else ""
        print(
            f"  {kind:<34}{len(values):>8}{len(values) / seconds:>9.1f}{p50 * 1000:>9.1f}"
            f"{percentile(values, 0.95) * 1000:>9.1f}{percentile(values, 0.99) * 1000:>9.1f}{ratio:>12}"
        )


def query_counts(reviewer) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from rest_framework.test import APIClient

    from annotate.services import MarkInput, save_annotation

    print("\nSQL queries per request (in-process, one reviewer, every sentence marked)")
    print(f"  {'sentences':>10}{'GET sentences':>15}{'GET annotations':>17}{'POST mark':>11}{'PATCH mark':>12}")
    for size in (20, 200, 2000):
        article = build_article(size, [reviewer], f"queries-{size}")
        sentences = list(article.sentences.all())
        for sentence in sentences[1:]:
            save_annotation(reviewer=reviewer, sentence=sentence, mark=MarkInput(label="claim"))
        counts, created = [], None
        for method, url, body, headers in (
            ("get", f"/api/v1/articles/{article.pk}/sentences/?page_size=5000", None, {}),
            ("get", f"/api/v1/annotations/?article={article.pk}&page_size=5000", None, {}),
            ("post", "/api/v1/annotations/", {"sentence": sentences[0].pk, "label": "claim"}, {}),
            ("patch", None, {"label": "analysis"}, {"HTTP_IF_MATCH": '"1"'}),
        ):
            client = APIClient()
            client.force_authenticate(type(reviewer).objects.get(pk=reviewer.pk))
            if url is None:
                url = f"/api/v1/annotations/{created}/"
            with CaptureQueriesContext(connection) as queries:
                response = getattr(client, method)(url, body, format="json", **headers)
            assert response.status_code < 400, (url, response.status_code, response.content[:200])
            if method == "post":
                created = response.json()["id"]
            counts.append(len(queries))
        print(f"  {size:>10}{counts[0]:>15}{counts[1]:>17}{counts[2]:>11}{counts[3]:>12}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=20, help="duration of each phase (default 20)")
    parser.add_argument("--clients", type=int, default=8, help="concurrent client threads (default 8)")
    parser.add_argument("--workers", type=int, default=4, help="gunicorn workers (default 4)")
    parser.add_argument("--sentences", type=int, default=200, help="sentences of the article (default 200)")
    args = parser.parse_args()

    users, tokens = setup(args.clients)
    article = build_article(args.sentences, users, "bench")
    sentence_ids = list(article.sentences.order_by("position").values_list("pk", flat=True))
    server, base = start_server(args.workers)
    print(
        f"gunicorn {args.workers} workers on {base}, PostgreSQL, {args.clients} clients, "
        f"{args.seconds:g} s per phase, article of {args.sentences} sentences"
    )
    try:

        def health(index: int, session, record) -> None:
            started = time.perf_counter()
            record("GET /health/", started, session.get(f"{base}/health/"))

        baseline = run(args.clients, min(5, args.seconds), health)
        health_p50 = statistics.median(baseline["GET /health/"])
        report("Baseline", baseline, min(5, args.seconds), None)

        versions: list[dict[int, int]] = [{} for _ in users]
        ids: list[dict[int, int]] = [{} for _ in users]
        turn = [0] * len(users)

        def write(index: int, session, record) -> None:
            headers = {"Authorization": f"Token {tokens[index]}"}
            sentence = sentence_ids[turn[index] % len(sentence_ids)]
            turn[index] += 1
            started = time.perf_counter()
            if sentence not in ids[index]:
                response = session.post(
                    f"{base}/api/v1/annotations/", headers=headers, json={"sentence": sentence, "label": "claim"}
                )
                record("POST /annotations/ (create)", started, response)
                if response.status_code == 201:
                    ids[index][sentence] = response.json()["id"]
                    versions[index][sentence] = response.json()["version"]
                return
            label = "analysis" if versions[index][sentence] % 2 else "claim"
            response = session.patch(
                f"{base}/api/v1/annotations/{ids[index][sentence]}/",
                json={"label": label},
                headers={**headers, "If-Match": f'"{versions[index][sentence]}"'},
            )
            record("PATCH /annotations/<id>/ (change)", started, response)
            if response.status_code == 200:
                versions[index][sentence] = response.json()["version"]

        writes = run(args.clients, args.seconds, write)
        report("Annotation writes", writes, args.seconds, health_p50)
        total_writes = sum(len(v) for v in writes.values())
        print(f"  all writes: {total_writes / args.seconds:.1f} req/s")

        def read(index: int, session, record) -> None:
            headers = {"Authorization": f"Token {tokens[index]}"}
            started = time.perf_counter()
            sentences = session.get(f"{base}/api/v1/articles/{article.pk}/sentences/?page_size=5000", headers=headers)
            annotations = session.get(
                f"{base}/api/v1/annotations/?article={article.pk}&page_size=5000", headers=headers
            )
            record(
                f"load article ({args.sentences} sentences + marks)",
                started,
                annotations if sentences.ok else sentences,
            )

        reads = run(args.clients, args.seconds, read)
        report("Loading an article (2 GETs: sentences, the caller's annotations)", reads, args.seconds, health_p50)
    finally:
        server.terminate()
        server.wait(timeout=30)

    from annotate.models import Annotation, AnnotationRevision

    kept = Annotation.objects.filter(sentence__article=article).count()
    created = sum(len(v) for v in ids)
    print(
        f"\nIntegrity: {created} marks created by clients, {kept} stored, "
        f"{AnnotationRevision.objects.filter(sentence__article=article).count()} revisions"
    )
    query_counts(users[0])


if __name__ == "__main__":
    main()
