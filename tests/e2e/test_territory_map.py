"""The territory map in a browser (issue 13, item 7): it renders with tiles served by a local
stub tile server, and without tile access (tile requests aborted by Playwright, as offline):
the communes are still drawn on a plain background and the table still lists the numbers.
No console error but the aborted tiles' own "Failed to load resource" lines (asserted one by
one); axe-core passes; the ARS sees small counts hidden."""

import re
import struct
import threading
import zlib
from datetime import date
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from playwright.sync_api import expect

from maillage.admissions.tests.factories import enrolment
from maillage.beneficiaries.tests.factories import BeneficiaryFactory
from maillage.core.roles import Role
from maillage.core.tests.factories import CrtFactory, UserFactory, member
from maillage.territory.tests.factories import CommuneFactory, OrganizationFactory

PASSWORD = "mot-de-passe-test-1"
PERIOD = "?debut=2025-01-01&fin=2025-12-31"


def _png(size: int = 256) -> bytes:
    """A plain light-green tile, a real PNG."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return (struct.pack(">I", len(data)) + kind + data
                + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF))

    row = b"\x00" + bytes((200, 230, 200)) * size
    return (b"\x89PNG\r\n\x1a\n"
            + chunk(b"IHDR", struct.pack(">IIBBBBB", size, size, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(row * size)) + chunk(b"IEND", b""))


@pytest.fixture
def tile_server():
    """A stub tile server on the loopback: any /z/x/y.png answers a tile; requests counted."""
    tile = _png()
    served: list[str] = []

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802 (the http.server API)
            if not re.fullmatch(r"/\d+/\d+/\d+\.png", self.path):
                self.send_error(404)
                return
            served.append(self.path)
            self.send_response(200)
            self.send_header("Content-Type", "image/png")
            self.send_header("Content-Length", str(len(tile)))
            self.end_headers()
            self.wfile.write(tile)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}", served
    server.shutdown()
    server.server_close()


@pytest.fixture
def territory(transactional_db):
    """Candé (volets 1 and 2: 6 beneficiaries, a partner), Loiré (volet 2 only: 2
    beneficiaries), Miré (volet 1 only), Armaillé (no position: in the table only)."""
    crt = CrtFactory(name="CRT Anjou Bleu")
    candé = CommuneFactory(crt=crt, insee_code="49054", name="Candé", travel_minutes=27,
                           latitude=Decimal("47.5596"), longitude=Decimal("-1.0313"))
    loiré = CommuneFactory(crt=crt, insee_code="49178", name="Loiré", covers_volet1=False,
                           latitude=Decimal("47.6167"), longitude=Decimal("-0.9917"))
    CommuneFactory(crt=crt, insee_code="49205", name="Miré", covers_volet2=False,
                   travel_minutes=37, latitude=Decimal("47.7597"),
                   longitude=Decimal("-0.4869"))
    CommuneFactory(crt=crt, insee_code="49010", name="Armaillé")
    for _ in range(6):
        enrolment(BeneficiaryFactory(crt=crt, commune=candé), admitted_on=date(2025, 3, 1))
    for _ in range(2):
        enrolment(BeneficiaryFactory(crt=crt, commune=loiré), admitted_on=date(2025, 4, 1))
    OrganizationFactory(crt=crt, name="Maison de santé de Candé", commune=candé)
    for username, role in (("direction", Role.DIRECTION), ("ars", Role.ARS)):
        member(UserFactory(username=username), crt, role)
    return crt


def log_in(p, username):
    p.goto("/")
    p.page.get_by_label("Identifiant").fill(username)
    p.page.get_by_label("Mot de passe").fill(PASSWORD)
    p.page.get_by_role("button", name="Se connecter").click()
    p.page.wait_for_url(p.base_url + "/")


def open_map(p):
    p.goto("/territoire/carte/" + PERIOD)
    expect(p.page.locator("#territory-map[data-ready='1']")).to_be_attached()


def assert_communes_drawn(page):
    # One shape per commune with a position, its coverage in the class (and its style).
    expect(page.locator("#territory-map path.coverage-both")).to_have_count(1)
    expect(page.locator("#territory-map path.coverage-volet2")).to_have_count(1)
    expect(page.locator("#territory-map path.coverage-volet1")).to_have_count(1)
    assert page.locator("path.coverage-volet1").get_attribute("stroke-dasharray") == "4 3"
    assert page.locator("path.coverage-volet1").get_attribute("fill") == "none"
    # Their names written beside them: the map reads without a background.
    expect(page.locator("#territory-map .commune-name")).to_have_text(["Candé", "Loiré",
                                                                       "Miré"])
    box = page.locator("#territory-map").bounding_box()
    assert box["height"] >= 300 and box["width"] >= 300  # no collapsed layout


def assert_table(page, *, beneficiaries_loiré):
    table = page.locator("table")
    expect(table.locator("tbody tr")).to_have_count(4)
    candé = table.locator("tbody tr", has_text="Candé (49054)")
    expect(candé).to_contain_text("Volets 1 et 2")
    expect(candé).to_contain_text("27 min")
    expect(candé.locator("td").nth(3)).to_have_text("6")
    loiré = table.locator("tbody tr", has_text="Loiré (49178)")
    expect(loiré.locator("td").nth(3)).to_have_text(beneficiaries_loiré)
    expect(table.locator("tbody tr", has_text="Armaillé")).to_contain_text(
        "position inconnue, absente de la carte")


def test_the_map_renders_with_tiles(territory, tile_server, settings, open_page):
    base, served = tile_server
    settings.MAP_TILE_URL = base + "/{z}/{x}/{y}.png"
    settings.MAP_TILE_ATTRIBUTION = "Tuiles de test"
    p = open_page()
    log_in(p, "direction")
    open_map(p)
    page = p.page
    expect(page.locator("img.leaflet-tile-loaded").first).to_be_visible()
    assert served and all(path.endswith(".png") for path in served)
    expect(page.locator(".leaflet-control-attribution")).to_have_text("Tuiles de test")
    assert_communes_drawn(page)
    # The count labels: partners (1) and beneficiaries (6 and 2) written in the labels.
    badges = page.locator("#territory-map .map-badge")
    expect(badges).to_have_text(["1", "6", "2"])
    assert_table(page, beneficiaries_loiré="2")
    expect(page.locator("#territory-map-status")).to_have_text("")
    # A click on a commune opens its numbers.
    page.locator("path.coverage-both").click()
    popup = page.locator(".leaflet-popup-content")
    expect(popup).to_contain_text("Candé (49054)")
    expect(popup).to_contain_text("Bénéficiaires du volet 2 : 6")
    expect(page.locator(".leaflet-popup-close-button")).to_have_attribute("aria-label", "Fermer")
    # A layer can be hidden.
    page.get_by_label("Bénéficiaires du volet 2").uncheck()
    expect(badges).to_have_text(["1"])
    page.get_by_label("Bénéficiaires du volet 2").check()
    p.check_accessibility()


def test_the_map_renders_without_tile_access(territory, tile_server, settings, open_page):
    base, served = tile_server
    settings.MAP_TILE_URL = base + "/{z}/{x}/{y}.png"
    settings.MAP_TILE_ATTRIBUTION = "Tuiles de test"
    p = open_page()
    page = p.page
    aborted: list[str] = []

    def offline(route):
        aborted.append(route.request.url)
        route.abort("internetdisconnected")

    page.route(re.compile(re.escape(base) + r"/.*"), offline)
    console: list[tuple[str, str]] = []
    page.on("console", lambda m: m.type == "error" and console.append(
        (m.text, m.location.get("url", ""))))
    log_in(p, "direction")
    open_map(p)
    expect(page.locator("#territory-map-status")).to_have_text(
        "Le fond de carte est injoignable : les communes restent dessinées sur un fond uni.")
    assert aborted and not served  # the tiles were asked for, none came
    assert_communes_drawn(page)
    expect(page.locator("#territory-map .map-badge")).to_have_text(["1", "6", "2"])
    expect(page.locator("img.leaflet-tile")).to_have_count(0)  # the tile layer was dropped
    assert_table(page, beneficiaries_loiré="2")
    # The only console errors are the browser's own lines for the aborted tiles.
    assert console, "the aborted tiles are reported by the browser"
    for text, url in console:
        assert text == "Failed to load resource: net::ERR_INTERNET_DISCONNECTED", text
        assert url.startswith(base + "/") and url in aborted, url
    assert len(p.errors) == len(console)
    p.errors.clear()
    p.check_accessibility()


def test_without_a_tile_server_the_ars_sees_counts_with_small_cells_hidden(
        territory, settings, open_page):
    settings.MAP_TILE_URL = ""
    p = open_page(width=390, height=844)
    page = p.page
    foreign: list[str] = []
    page.on("request", lambda r: r.url.startswith(p.base_url) or r.url.startswith("data:")
            or foreign.append(r.url))
    log_in(p, "ars")
    open_map(p)
    expect(page.locator("#territory-map-status")).to_have_text(
        "Fond de carte non configuré : les communes sont dessinées sur un fond uni.")
    assert_communes_drawn(page)
    expect(page.locator("#territory-map .map-badge")).to_have_text(["1", "6", "< 5"])
    assert_table(page, beneficiaries_loiré="< 5")
    expect(page.get_by_text("Pour votre rôle, les nombres de personnes inférieurs à 5 sont "
                            "masqués")).to_be_visible()
    expect(page.locator("tfoot")).to_contain_text("non affiché")
    assert foreign == []
    p.check_accessibility()
