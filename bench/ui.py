"""Reviewer UI benchmark: label keypress -> "saved" in real Chromium, and the server-side render
of the annotation page for a long article.

    .venv/bin/python bench/ui.py [--presses 50] [--sentences 300] [--renders 20] [--port 8791]

Uses a throwaway SQLite file under /tmp (or --database-url postgres:///bench_ui?host=...), serves it
with `manage.py runserver` on loopback and drives /usr/bin/chromium through Playwright.
Baselines in the same run: a bare fetch() PATCH of the same mark from the page (the API floor),
and the render of a 30-sentence article.
"""

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
PASSWORD = "bench-password-1"

MEASURE_JS = """
() => {
  const status = document.getElementById("save-status");
  window.__bench = { t0: 0, t1: 0 };
  document.addEventListener("keydown", () => { window.__bench.t0 = performance.now(); window.__bench.t1 = 0; },
                            { capture: true });
  new MutationObserver(() => {
    if (status.dataset.state === "saved" && window.__bench.t0 && !window.__bench.t1) {
      window.__bench.t1 = performance.now();
    }
  }).observe(status, { attributes: true, attributeFilter: ["data-state"] });
}
"""

# Polled inside the page: wait_for_function would need eval, which the page's CSP forbids.
WAIT_JS = """
() => new Promise((resolve) => {
  const check = () => (window.__bench.t1 ? resolve(window.__bench.t1 - window.__bench.t0) : setTimeout(check, 1));
  check();
})
"""

FETCH_JS = """
async ([url, csrf, version, label]) => {
  const t0 = performance.now();
  const response = await fetch(url, { method: "PATCH", credentials: "same-origin",
    headers: { "Content-Type": "application/json", "X-CSRFToken": csrf },
    body: JSON.stringify({ label, version }) });
  const body = await response.json();
  return [performance.now() - t0, body.version];
}
"""


def setup_environment(args) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    os.environ["DEBUG"] = "true"
    # Playwright's sync API keeps an event loop in this thread; our ORM calls stay synchronous.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    os.environ["SOURCEMARK_VAR_DIR"] = args.var_dir
    if args.database_url:
        os.environ["DATABASE_URL"] = args.database_url
    else:
        os.environ["DATABASE_URL"] = f"sqlite:///{args.var_dir}/bench-ui.sqlite3"
    import django

    django.setup()


def make_article(n: int, name: str):
    from annotate.ingest import ingest_articles, parse_plain_text

    text = " ".join(f"Officials in the {name} region said on day {i} that the situation had changed." for i in range(n))
    item = parse_plain_text(
        text.encode(),
        origin=f"{name}.txt",
        outlet="bench.example",
        title=f"Bench {name}",
        url=f"https://bench.example/{name}",
    )
    return ingest_articles([item])[0].article


def prepare(args):
    from django.contrib.auth import get_user_model
    from django.core.management import call_command

    from annotate.models import Article, Assignment

    call_command("migrate", verbosity=0)
    Article.objects.filter(outlet__domain="bench.example").delete()
    user, _ = get_user_model().objects.get_or_create(username="bench-reviewer")
    user.set_password(PASSWORD)
    user.save()
    small, large = make_article(30, f"small-{os.getpid()}"), make_article(args.sentences, f"large-{os.getpid()}")
    for article in (small, large):
        Assignment.objects.get_or_create(article=article, reviewer=user)
    return user, small, large


def render_times(user, article, renders: int) -> list[float]:
    from django.test import Client

    client = Client(HTTP_HOST="127.0.0.1")
    client.force_login(user)
    url = f"/annotate/articles/{article.pk}/"
    assert client.get(url).status_code == 200  # warm-up (template and suggester caches)
    times = []
    for _ in range(renders):
        started = time.perf_counter()
        response = client.get(url)
        times.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200
    return times


def start_server(args) -> subprocess.Popen:
    server = subprocess.Popen(
        [sys.executable, "manage.py", "runserver", f"127.0.0.1:{args.port}", "--noreload", "--nothreading"],
        cwd=ROOT,
        env=os.environ.copy(),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    for _ in range(100):
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{args.port}/health/", timeout=1)
            return server
        except OSError:
            time.sleep(0.2)
    server.terminate()
    raise SystemExit("the server did not start")


def keypress_times(args, article) -> tuple[list[float], list[float]]:
    from playwright.sync_api import sync_playwright

    base = f"http://127.0.0.1:{args.port}"
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1280, "height": 800})
        errors = []
        page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
        page.goto(f"{base}/accounts/login/")
        page.fill("#id_username", "bench-reviewer")
        page.fill("#id_password", PASSWORD)
        page.press("#id_password", "Enter")
        page.wait_for_url(f"{base}/annotate/")
        page.goto(f"{base}/annotate/articles/{article.pk}/")
        page.wait_for_selector("body[data-ready=true]")
        page.evaluate(MEASURE_JS)
        ui = []
        for index in range(args.presses + 1):
            page.keyboard.press("1" if index % 2 == 0 else "3")  # each press changes the mark
            elapsed = page.evaluate(WAIT_JS)
            if index:  # the first press creates the mark (POST); the rest change it (PATCH)
                ui.append(elapsed)
        state = page.evaluate("JSON.parse(document.getElementById('annotate-state').textContent)")
        from annotate.models import Annotation

        annotation = Annotation.objects.get(sentence__article=article, reviewer__username="bench-reviewer")
        version = annotation.version
        raw = []
        for index in range(args.presses):
            elapsed, version = page.evaluate(
                FETCH_JS,
                [
                    f"{base}/api/v1/annotations/{annotation.pk}/",
                    state["csrf"],
                    version,
                    "claim" if index % 2 else "analysis",
                ],
            )
            raw.append(elapsed)
        browser.close()
    if errors:
        raise SystemExit(f"console errors: {errors}")
    return ui, raw


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--presses", type=int, default=50)
    parser.add_argument("--sentences", type=int, default=300)
    parser.add_argument("--renders", type=int, default=20)
    parser.add_argument("--port", type=int, default=8791)
    parser.add_argument("--database-url", help="default: a SQLite file in a fresh /tmp folder")
    parser.add_argument("--var-dir", default=tempfile.mkdtemp(prefix="bench-ui-"))
    args = parser.parse_args()
    setup_environment(args)
    user, small, large = prepare(args)

    small_ms, large_ms = render_times(user, small, args.renders), render_times(user, large, args.renders)
    print(f"annotation page render (server side, median of {args.renders}):")
    print(f"  30 sentences:  {statistics.median(small_ms):7.1f} ms (baseline)")
    print(
        f"  {args.sentences} sentences: {statistics.median(large_ms):7.1f} ms "
        f"(x{statistics.median(large_ms) / statistics.median(small_ms):.2f})"
    )

    server = start_server(args)
    try:
        ui, raw = keypress_times(args, large)
    finally:
        server.terminate()
        server.wait()
    ui_median, raw_median = statistics.median(ui), statistics.median(raw)
    print(f"label keypress -> 'saved' shown, {args.sentences}-sentence page, median of {len(ui)}:")
    print(f"  keypress to saved:   {ui_median:6.1f} ms (p90 {statistics.quantiles(ui, n=10)[-1]:.1f} ms)")
    print(f"  bare API PATCH:      {raw_median:6.1f} ms (baseline; x{ui_median / raw_median:.2f})")
    print(f"  target 100 ms: {'met' if ui_median < 100 else 'NOT met'}")


if __name__ == "__main__":
    main()
