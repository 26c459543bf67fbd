"""The doctor's home, in a browser (issue 11, item 6): every internal link of the page (main
content and main navigation) opens without 403, 404 or 500. The home page passes axe-core (the
pages it links to are checked by the walk of every page, ``test_axe_every_page.py``). The links
are read from the home page as the browser shows it and opened in turn (downloads, PDF and
CSV, through the browser's request API: the browser would save them);
``tel:``, ``mailto:``, anchors and the logout form are not links to pages. The Django client
crawl of every demo account's home is ``maillage/core/tests/test_demo_home_links.py``."""

from .test_login_journeys import log_in

DOWNLOADS = ("/pdf/", "/export", ".csv", "/telecharger/", "/fiche-aller/")


def test_every_link_of_the_doctors_home_opens(demo, open_page):
    p = open_page()
    page = p.page
    log_in(p, "doctor")
    p.check_accessibility()
    hrefs = page.eval_on_selector_all(
        "main a[href^='/'], nav[aria-label='Navigation principale'] a[href^='/']",
        "links => [...new Set(links.map(a => a.getAttribute('href')))]")
    assert any("/astreinte/dlu/" in h for h in hrefs), "the DLU panel's links are checked"
    dead = {}
    for href in hrefs:
        if any(part in href for part in DOWNLOADS):
            status = page.request.get(p.base_url + href).status
        else:
            status = p.goto(href).status
            assert p.errors == [], f"{href}: console errors {p.errors}"
        if status in (403, 404) or status >= 500:
            dead[href] = status
    assert dead == {}
