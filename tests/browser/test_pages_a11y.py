"""Every page a reviewer, a lead or a reader opens, on the demo data with simulated marks and a
published score run (and the claims pages): axe-core finds no serious or critical violation, nothing overflows
sideways on a phone, no console error; screenshots at desktop and phone width go to
artifacts/screenshots/<page>-desktop.png and -phone.png."""

import io
from contextlib import redirect_stdout

import pytest
from django.core.management import call_command

from annotate.models import Annotation, Article, Assignment, Source
from claims.models import ArticleLink, ClaimGroup
from reliability.models import ScoreRun

from .conftest import axe_violations, log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}


@pytest.fixture
def demo(db):
    with redirect_stdout(io.StringIO()):
        call_command("demo", "--with-marks", "--password", "pw-for-tests-1", stdout=io.StringIO())
        call_command("scores", "--recompute", "--publish", stdout=io.StringIO())
    article = Article.objects.order_by("pk").first()
    reviewer_article = Assignment.objects.filter(reviewer__username="reviewer1").order_by("pk").first().article
    source = Source.objects.get(name="The White Helmets")
    run = ScoreRun.objects.filter(published=True).first()
    outlet = run.snapshots.filter(insufficient_evidence=False).first().outlet
    assert Annotation.objects.exists()
    # The claims pages: a claim carried by several outlets, the aggregator's rewrite and its outlet.
    group = ClaimGroup.objects.filter(outlet_count__gte=2).order_by("-outlet_count", "pk").first()
    link = ArticleLink.objects.select_related("article__outlet").order_by("pk").first()
    assert group is not None
    assert link is not None
    return {
        "article": article,
        "reviewer_article": reviewer_article,
        "source": source,
        "outlet": outlet,
        "claim": group,
        "rewrite": link.article,
    }


# The innermost elements that reach past the window's right edge (what to fix when a page scrolls sideways).
WIDER_THAN_THE_WINDOW = """() => Array.from(document.querySelectorAll("body *"))
  .filter((el) => el.getBoundingClientRect().right > window.innerWidth + 1)
  .filter((el) => !Array.from(el.children).some((c) => c.getBoundingClientRect().right > window.innerWidth + 1))
  .slice(0, 5).map((el) => `${el.tagName.toLowerCase()}.${el.className} "${el.textContent.trim().slice(0, 40)}"`)"""


def pages(demo) -> list[tuple[str, str, str | None]]:
    """(name, path, who): who signs in first (None: an anonymous reader)."""
    outlet = demo["outlet"].domain
    return [
        ("front", "/", None),
        ("method", "/method/", None),
        ("outlets", "/outlets/", None),
        ("outlet", f"/outlets/{outlet}/", None),
        ("evidence", f"/outlets/{outlet}/evidence/?indicator=sourcing_rate&part=x", None),
        ("source", f"/sources/{demo['source'].pk}/", None),
        ("outlet-rewrites", f"/outlets/{demo['rewrite'].outlet.domain}/", None),
        ("claims", "/claims/", None),
        ("claim", f"/claims/{demo['claim'].pk}/", None),
        ("article-claims", f"/claims/articles/{demo['rewrite'].pk}/", None),
        ("guidelines", "/guidelines/", None),
        ("login", "/accounts/login/", None),
        ("queue", "/annotate/", "reviewer1"),
        ("annotation", f"/annotate/articles/{demo['reviewer_article'].pk}/", "reviewer1"),
        ("forbidden", "/adjudicate/", "reviewer1"),
        ("not-found", "/annotate/articles/999999/", "reviewer1"),
        ("lead-home", "/lead/", "lead"),
        ("adjudication", "/adjudicate/", "lead"),
        ("flags", "/annotate/flags/", "lead"),
        ("assign", "/annotate/assign/", "lead"),
        ("progress", "/annotate/progress/", "lead"),
        ("exports", "/exports/", "lead"),
        ("outlets-lead", "/outlets/", "lead"),
        ("claim-lead", f"/claims/{demo['claim'].pk}/", "lead"),
        ("claims-review", "/claims/review/", "lead"),
    ]


def test_every_page_is_accessible_fits_a_phone_and_is_screenshotted(
    live_server, browser, browser_settings, screenshot, axe_path, demo
):
    problems = []
    contexts = {}
    try:
        for name, path, who in pages(demo):
            for size, viewport in (("desktop", DESKTOP), ("phone", PHONE)):
                key = (who, size)
                if key not in contexts:
                    context = browser.new_context(viewport=viewport)
                    context.set_default_timeout(15_000)
                    page = context.new_page()
                    if who:
                        log_in(page, live_server.url, who, lands="/lead/" if who == "lead" else "/annotate/")
                    contexts[key] = (context, page)
                page = contexts[key][1]
                errors = []
                page.on("pageerror", lambda error, errors=errors: errors.append(str(error)))
                page.on(
                    "console",
                    lambda message, errors=errors: errors.append(message.text) if message.type == "error" else None,
                )
                response = page.goto(f"{live_server.url}{path}")
                if "annotate/articles" in path and response.status == 200:
                    page.wait_for_selector("body[data-ready=true]")
                screenshot(page, f"{name}-{size}", full_page=True)
                expected = {"forbidden": 403, "not-found": 404}.get(name, 200)
                if response.status != expected:
                    problems.append(f"{name} {size}: HTTP {response.status}")
                # The browser reports the 403/404 responses themselves as console errors.
                errors = [e for e in errors if f"status of {expected}" not in e]
                if errors:
                    problems.append(f"{name} {size}: console {errors}")
                if size == "phone" and not page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"):
                    wide = page.evaluate(WIDER_THAN_THE_WINDOW)
                    problems.append(f"{name} phone: wider than the window (sideways scrolling): {wide}")
                for violation in axe_violations(page, axe_path):
                    problems.append(f"{name} {size}: axe {violation['impact']} {violation['id']} {violation['nodes']}")
    finally:
        for context, _ in contexts.values():
            context.close()
    assert problems == [], "\n".join(problems)


CHART_CHECK = """() => Array.from(document.querySelectorAll("svg[role=img]")).map((svg) => {
  const names = (svg.getAttribute("aria-labelledby") || "").split(" ").filter(Boolean)
    .map((id) => (document.getElementById(id) || {}).textContent || "");
  const marks = svg.querySelectorAll("polyline, rect, circle").length;
  const points = Array.from(svg.querySelectorAll("polyline"))
    .map((p) => p.getAttribute("points").trim().split(" ").length);
  const texts = Array.from(svg.querySelectorAll("text")).map((t) => t.textContent);
  return { id: svg.closest("figure") ? svg.closest("figure").id : "", names, marks, points, texts,
           caption: svg.closest("figure") && svg.closest("figure").querySelector("figcaption") ? true : false };
})"""


def test_public_score_pages_read_correctly_in_the_browser(live_server, open_page, screenshot, demo):
    """Items 11-14 as a reader sees them: agreement named and set apart, one interval with its
    explanation and the raw counts, only labelled charts with a text alternative, no links inside
    the forest plot, and the outlets table within a phone's width."""
    page, errors = open_page()
    page.goto(f"{live_server.url}/outlets/")
    body = page.inner_text("main")
    assert "not reliable" not in body
    assert "reviewer agreement:" in page.inner_text("table.leaderboard tbody td.review-quality")
    score_bg = page.eval_on_selector("table.leaderboard tbody td.num", "e => getComputedStyle(e).backgroundColor")
    review_bg = page.eval_on_selector(
        "table.leaderboard tbody td.review-quality", "e => getComputedStyle(e).backgroundColor"
    )
    assert score_bg != review_bg  # set apart from the outlet's score
    assert page.locator("#forest-chart svg a").count() == 0
    forest = page.evaluate(CHART_CHECK)
    assert forest[0]["names"][0].startswith("Reliability score of each outlet")
    assert demo["outlet"].domain in forest[0]["names"][1]
    assert "Reliability score (0–100)" in forest[0]["texts"]

    # A second published run: the outlet page draws the score's history too.
    call_command("scores", "--recompute", "--publish", stdout=io.StringIO())
    page.goto(f"{live_server.url}/outlets/{demo['outlet'].domain}/")
    assert page.locator("#history-chart svg polyline").count() == 1
    headers = page.locator("table.indicators thead th").all_inner_texts()
    assert [h.replace("\xa0", " ") for h in headers if "interval" in h] == ["90 % interval"]
    assert "9 times out of 10" in page.inner_text("#interval-explained")
    counted = page.locator("table.indicators tbody td[data-label=Counted]").all_inner_texts()
    assert all(c.startswith("from ") and "raw " in c for c in counted)
    for chart in page.evaluate(CHART_CHECK):
        if not chart["id"]:
            continue  # the legend's colour swatches are decorative (aria-hidden), not charts
        assert chart["caption"], chart
        assert all(name.strip() for name in chart["names"]), chart  # a title and a description
        assert chart["marks"] > 0, chart  # never empty axes
        assert all(count >= 2 for count in chart["points"]), chart  # a line has two points at least
    screenshot(page, "outlet-charts", full_page=True)

    phone, phone_errors = open_page(width=390, height=844)
    phone.goto(f"{live_server.url}/outlets/")
    assert phone.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    width = phone.eval_on_selector("table.leaderboard", "e => e.getBoundingClientRect().right")
    assert width <= 390
    assert errors == []
    assert phone_errors == []
