"""Playwright fixtures: real Chromium against pytest-django's live server.

Without Chromium the browser tests are skipped with a message, except under CI=true, where
they fail instead (a CI run must not pass by skipping them)."""

import os
from pathlib import Path

import pytest

CHROMIUM = Path(os.environ.get("CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = ROOT / "artifacts" / "screenshots"
# axe-core comes from npm (package.json, pinned in package-lock.json), installed by scripts/test
# (scripts/test-tools); the tests hand it to the page from this file, never from a CDN.
AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"


@pytest.fixture(scope="session")
def browser():
    # Playwright's sync API runs an event loop in this thread; the ORM calls the tests make
    # between browser steps are still plain synchronous code. Set only while browsers run.
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        yield from _browser()
    finally:
        if previous is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


def _browser():
    if not CHROMIUM.exists():
        message = f"Chromium not found at {CHROMIUM}: install it or set CHROMIUM=/path/to/chromium"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message + " (browser tests are skipped locally, they fail under CI=true)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def browser_settings(settings):
    # The live server speaks plain HTTP on localhost.
    settings.SESSION_COOKIE_SECURE = False
    settings.CSRF_COOKIE_SECURE = False
    settings.SECURE_SSL_REDIRECT = False
    return settings


class ConsoleErrors(list):
    """Console errors, uncaught exceptions and failed requests of the pages watched."""

    def watch(self, page):
        page.on("console", lambda message: self.append(f"console: {message.text}") if message.type == "error" else None)
        page.on("pageerror", lambda error: self.append(f"pageerror: {error}"))
        return page


@pytest.fixture
def open_page(browser, browser_settings):
    """open_page(width=1280, height=800) -> (page, errors) in a fresh browser context."""
    contexts = []

    def open_(width: int = 1280, height: int = 800):
        context = browser.new_context(viewport={"width": width, "height": height})
        context.set_default_timeout(10_000)
        contexts.append(context)
        errors = ConsoleErrors()
        return errors.watch(context.new_page()), errors

    yield open_
    for context in contexts:
        context.close()


@pytest.fixture
def screenshot():
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)

    def take(page, name: str, *, full_page: bool = False) -> Path:
        path = SCREENSHOTS / f"{name}.png"
        page.screenshot(path=str(path), full_page=full_page)
        return path

    return take


def log_in(page, base_url: str, username: str, password: str = "pw-for-tests-1", *, lands: str = "/annotate/") -> None:
    """Sign in with the keyboard only; reviewers land on their queue, leads on /lead/."""
    page.goto(f"{base_url}/accounts/login/")
    page.focus("#id_username")
    page.keyboard.type(username)
    page.keyboard.press("Tab")
    page.keyboard.type(password)
    page.keyboard.press("Enter")
    page.wait_for_url(f"{base_url}{lands}")


@pytest.fixture(scope="session")
def axe_path() -> Path:
    if not AXE.exists():
        message = f"{AXE} is missing: run scripts/test-tools (npm ci installs the pinned axe-core)"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message + " (skipped locally, fails under CI=true)")
    return AXE


def axe_violations(page, axe_path: Path, *, impacts=("serious", "critical")) -> list[dict]:
    """Run axe-core on the page as it is and return the violations of these impacts. The script is
    served from the page's own origin (a routed URL answered from the local file), so the page's
    strict CSP (script-src 'self') stays on and nothing is fetched from the network."""
    origin = page.evaluate("location.origin")
    url = f"{origin}/__tests__/axe.min.js"
    page.route(url, lambda route: route.fulfill(path=str(axe_path), content_type="application/javascript"))
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.add_script_tag(url=url)
    found = page.evaluate(
        """async () => {
            const result = await axe.run(document, {resultTypes: ["violations"]});
            return result.violations.map((v) => ({
                id: v.id, impact: v.impact, help: v.help,
                nodes: v.nodes.slice(0, 5).map((n) => n.target.join(" ")),
            }));
        }"""
    )
    return [violation for violation in found if violation["impact"] in impacts]
