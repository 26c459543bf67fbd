"""Every page passes axe-core (0 serious or critical violation) in a real browser, and fits a
390 px phone's width (nothing but a table or the timeline scrolls sideways, in its own box).

The walk takes every URL pattern (no hand-written list, like the role matrix): for each page
that answers GET with HTML, one role allowed to open it (the first in the role order) opens it
on the demo data (lists, homes, forms), or, for a page about one object, in a fresh CRT with an
object that role may reach (``core/tests/routes.py``, whose factories are not made to share a CRT
with the demo). The journeys
check the pages again in context, with forms filled in and errors shown; this walk makes sure
no page is forgotten. axe's verdict does not depend on the database engine, so the walk runs on
SQLite only (the journeys run on both)."""

import os

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse
from playwright.sync_api import Error as PlaywrightError

from maillage.core.demo import ANJOU_BLEU_ACCOUNTS
from maillage.core.permissions import has_permission
from maillage.core.roles import Role
from maillage.core.tests.factories import CrtFactory, UserFactory, member
from maillage.core.tests.routes import OBJECT_ROUTES, POST_ONLY
from maillage.core.tests.urlwalk import all_routes

pytestmark = pytest.mark.skipif(
    os.environ.get("DATABASE_URL", "").startswith("postgres"),
    reason="axe's verdict does not depend on the database: the walk runs once, on SQLite.",
)

DEMO_USERNAME = {role: username for username, role, *_ in ANJOU_BLEU_ACCOUNTS}


PARTS = 3  # the walk in three parts, which the test workers can share
PHONE, DESK = {"width": 390, "height": 844}, {"width": 1280, "height": 900}
#: When the page is wider than the window: the first element that sticks out and holds none
#: that does (what to fix), else "".
TOO_WIDE = """() => {
  const limit = window.innerWidth + 1;
  if (document.documentElement.scrollWidth <= limit) return "";
  const clipped = e => {
    for (let a = e.parentElement; a && a !== document.body; a = a.parentElement) {
      if (getComputedStyle(a).overflowX !== "visible") return true;
    }
    return false;
  };
  // Sticks out: its box, or its text (a long word the box does not break).
  const out = e => !clipped(e) && (e.getBoundingClientRect().right > limit ||
    (e.scrollWidth > e.clientWidth + 1 && getComputedStyle(e).overflowX === "visible" &&
     e.getBoundingClientRect().left + e.scrollWidth > limit));
  const leaf = [...document.body.querySelectorAll("*")].find(
    e => out(e) && ![...e.children].some(out));
  return leaf ? `${leaf.tagName.toLowerCase()}.${leaf.className} « ${
    (leaf.textContent || "").trim().slice(0, 50)} »` : "?";
}"""


def _pages(part: int):
    # Pages only: the API's JSON endpoints are walked by ``maillage/interop/tests``.
    routes = [r for r in all_routes() if r.name not in POST_ONLY and r.access is not None
              and not r.api]
    yield from routes[part::PARTS]


def _role_for(route):
    if route.access in {"public", "login_only"}:
        return None if route.access == "public" else Role.COORDINATOR
    return next((role for role in Role if has_permission({role}, route.access)), None)


@pytest.mark.parametrize("part", range(PARTS))
def test_every_page_passes_axe(part, demo, open_page):
    users = {u.username: u for u in get_user_model().objects.filter(
        username__in=DEMO_USERNAME.values())}
    object_crt = CrtFactory(name="CRT des objets")
    object_users = {role: UserFactory(username=f"objets-{role.value}") for role in Role}
    for role, object_user in object_users.items():
        member(object_user, object_crt, role)
    pages: dict[str, object] = {}  # role -> Page (one browser context per role)
    checked, skipped, too_wide = [], [], []
    for route in _pages(part):
        role = _role_for(route)
        if route.access != "public" and role is None:
            skipped.append((route.name, "aucun rôle"))
            continue
        user = users[DEMO_USERNAME[role]] if role else None
        kwargs = {}
        if route.kwargs:
            if route.name not in OBJECT_ROUTES:
                skipped.append((route.name, "objet non constructible"))
                continue
            user = object_users[role] if role else None
            kwargs = OBJECT_ROUTES[route.name](object_crt, user, {role} if role else set())
        url = reverse(route.name, kwargs=kwargs)
        key = f"{role.value if role else 'public'}-{'objects' if route.kwargs else 'demo'}"
        if key not in pages:
            p = open_page()
            if user:  # one browser context per role, signed in once with a session
                p.sign_in(user)
            pages[key] = p
        p = pages[key]
        p.errors.clear()
        # Only whole HTML pages: not downloads, JSON, calendars, redirects, refusals or htmx
        # fragments (axe checks a fragment inside its page, in the journeys).
        try:
            response = p.page.goto(p.base_url + url)
        except PlaywrightError as error:
            if "Download is starting" not in str(error):
                raise
            skipped.append((route.name, "téléchargement"))
            continue
        kind = response.headers.get("content-type", "")
        if response.request.redirected_from is not None or response.status != 200 or \
                not kind.startswith("text/html"):
            assert response.status < 500, f"{route.name}: {response.status}"
            skipped.append((route.name, f"{response.status} {kind.split(';')[0]}"))
            continue
        if "<html" not in response.text()[:500]:
            skipped.append((route.name, "fragment"))
            continue
        p.check_accessibility()
        # On a phone too, the page fits its width: what is wider (a table, the timeline)
        # scrolls inside its own box, never the whole page sideways.
        p.page.set_viewport_size(PHONE)
        # (Scripts that follow the width, a chart's canvas, redraw before the next frame; a
        # page in the background gets no frame at all: never wait more than 200 ms for it.)
        p.page.evaluate("() => new Promise(r => { setTimeout(r, 200); "
                        "requestAnimationFrame(() => requestAnimationFrame(r)); })")
        wide = p.page.evaluate(TOO_WIDE)
        if wide:
            too_wide.append(f"{route.name} ({wide})")
        p.page.set_viewport_size(DESK)
        checked.append(route.name)
    # The walk must really cover the application, not silently skip it.
    assert len(checked) >= 80 // PARTS, (len(checked), skipped)
    assert too_wide == [], "Pages wider than a 390 px phone: " + ", ".join(too_wide)
