"""Browser journeys in the system Chromium (Playwright), with axe-core on every page."""

import os
import shutil
from pathlib import Path

import pytest

#: Chromium's headless shell when it is installed (Debian package ``chromium-headless-shell``, the
#: same engine without the desktop browser around it: what Playwright itself runs for headless
#: pages), else the desktop Chromium in its headless mode. Measured on the browser journeys: the
#: shell takes about a quarter less CPU for the same pages (docs/performance.md).
CHROMIUM = os.environ.get("MAILLAGE_CHROMIUM") or next(
    (path for path in ("/usr/bin/chromium-headless-shell", "/usr/bin/chromium")
     if Path(path).exists()), "/usr/bin/chromium")
AXE_JS = next(
    (Path(__file__).resolve().parents[2] / "maillage" / "static" / "vendor").glob(
        "axe-core-*/axe.min.js"
    )
)

# Playwright's sync API runs an event loop in this thread; the ORM calls the tests make between
# browser steps are synchronous and safe here.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


def pytest_collection_modifyitems(items):
    for item in items:
        if "tests/e2e/" in str(item.fspath):
            item.add_marker(pytest.mark.e2e)


@pytest.fixture(scope="session")
def browser():
    if not (Path(CHROMIUM).exists() or shutil.which(CHROMIUM)):
        pytest.skip(f"Chromium absent ({CHROMIUM}) : installez le paquet Debian "
                    "« chromium-headless-shell » (ou « chromium »).")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            headless=True,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--disable-dev-shm-usage",
            ],
        )
        yield browser
        browser.close()
        # While Playwright's loop runs in this thread, Django keeps this thread's connections
        # apart from its plain ones (asgiref's Local is a context variable when a loop runs):
        # the tests' connection is closed here, or it would outlive the run and keep the test
        # database from being dropped (« is being accessed by other users » on PostgreSQL).
        from django.db import connections

        connections.close_all()


class Page:
    """A page wrapper that records console errors (CSP violations included) and runs axe."""

    def __init__(self, page, base_url):
        self.page = page
        self.base_url = base_url
        self.errors: list[str] = []
        page.on("console", self._on_console)
        page.on("pageerror", lambda e: self.errors.append(str(e)))

    def _on_console(self, message):
        if message.type != "error":
            return
        # A form answered 400/409 on purpose is reported as a failed "resource": the page itself.
        if message.text.startswith("Failed to load resource") and message.location.get(
            "url"
        ) == self.page.url:
            return
        self.errors.append(message.text)

    def sign_in(self, user) -> "Page":
        """``user`` signed in by a session cookie, with no login form (the journeys that
        type a password check the login page)."""
        from django.conf import settings
        from django.test import Client

        client = Client()
        client.force_login(user)
        self.page.context.add_cookies([{
            "name": settings.SESSION_COOKIE_NAME,
            "value": client.cookies[settings.SESSION_COOKIE_NAME].value, "url": self.base_url}])
        return self

    def goto(self, path: str):
        response = self.page.goto(self.base_url + path)
        assert response is not None and response.status < 500
        return response

    def menu_entry(self, name: str, role: str = "link", exact: bool = True):
        """The main navigation's entry ``name`` (a link, or the « Se déconnecter » button),
        shown as a user would reach it: the folded menu opened on a phone, then the drop-down
        menu holding the entry (« Volet 2 », « Pilotage », « Mon compte » …), if it is in one."""
        nav = self.page.get_by_role("navigation", name="Navigation principale")
        toggler = nav.get_by_role("button", name="Ouvrir le menu")
        if toggler.is_visible() and toggler.get_attribute("aria-expanded") != "true":
            toggler.click()
        if not nav.get_by_role(role, name=name, exact=exact).is_visible():
            inside = self.page.get_by_role(role, name=name, exact=exact, include_hidden=True)
            nav.locator(".dropdown", has=inside).locator(".dropdown-toggle").click()
        return nav.get_by_role(role, name=name, exact=exact)

    def htmx_settled(self):
        """Wait until htmx has finished swapping and settling: the links of swapped content
        are processed (``hx-get``) only at the settle, a moment after the new text shows; a
        click in between follows the link as a plain navigation."""
        self.page.wait_for_function(
            "() => !document.querySelector('.htmx-request, .htmx-swapping, .htmx-settling')")

    def check_accessibility(self):
        """axe-core: no serious or critical violation; no console error (e.g. CSP)."""
        self.page.wait_for_load_state()  # never a document being replaced by a navigation
        # Loaded as a script of our own static files, not evaluated from a string: the browser
        # keeps it compiled in its cache from one page to the next.
        self.page.add_script_tag(url=f"{self.base_url}/static/vendor/{AXE_JS.parent.name}/axe.min.js")
        result = self.page.evaluate(
            """async () => await axe.run(document, {
                runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa',
                                                'best-practice']},
                // Only the violations are read: axe skips building selectors for the passes.
                resultTypes: ['violations']
            })"""
        )
        bad = [
            f"{v['id']} ({v['impact']}): {v['help']} — "
            + "; ".join(n["target"][0] for n in v["nodes"][:3])
            for v in result["violations"]
            if v["impact"] in {"serious", "critical"}
        ]
        assert bad == [], f"{self.page.url}: {bad}"
        assert self.errors == [], f"{self.page.url}: console errors {self.errors}"


@pytest.fixture(scope="session")
def live_server(request, django_db_setup):
    """pytest-django's live server, serving one request at a time on SQLite in memory, where
    every request thread shares the test's connection (see ``tests/e2e/live_server.py``). Made
    after the test database, always: made before, it would not see that the database is in
    memory, and its threads would each open their own connection to it."""
    from tests.e2e.live_server import SerialLiveServer

    server = SerialLiveServer(request.config.getvalue("liveserver")
                              or os.getenv("DJANGO_LIVE_TEST_SERVER_ADDRESS") or "localhost")
    yield server
    server.stop()


@pytest.fixture
def open_page(browser, live_server):
    contexts = []

    def open_(width: int = 1280, height: int = 900, timezone_id: str = "Europe/Paris") -> Page:
        # Reduced motion: no colour transitions (Bootstrap honours it), so axe never measures a
        # button halfway to its hover colours after a click. ``timezone_id``: the browser's own
        # zone (a phone set to UTC still shows the CRT's times).
        context = browser.new_context(
            viewport={"width": width, "height": height}, locale="fr-FR",
            timezone_id=timezone_id, reduced_motion="reduce",
        )
        context.set_default_timeout(10_000)
        contexts.append(context)
        return Page(context.new_page(), live_server.url)

    yield open_
    for context in contexts:
        context.close()
