"""« Ma journée hors ligne »: the care aide's day on her phone without network (issue 18).

The shell and its static files come from the service worker's precache; the day, encrypted with
a key held only in sessionStorage, from IndexedDB. Offline in Chromium: ``set_offline`` does not
stop the service worker's own fetches, so every request is also aborted by a route."""

import base64
import json
import re
from datetime import datetime, time, timedelta
from time import sleep

from django.conf import settings
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import expect

from maillage.care.models import Alert, LiaisonNote
from maillage.visits import services
from maillage.visits.models import Visit
from maillage.visits.tests import factories

from .test_login_journeys import log_in

PHONE = {"width": 360, "height": 740}
INSTRUCTIONS = "Sonner deux fois, le chat ne doit pas sortir"

DUMP_IDB = """async () => {
  const b64 = (buf) => btoa(String.fromCharCode(...new Uint8Array(buf)));
  const plain = (v) => {
    if (v instanceof ArrayBuffer) return {b64: b64(v)};
    if (ArrayBuffer.isView(v)) return {b64: b64(v.buffer)};
    if (Array.isArray(v)) return v.map(plain);
    if (v && typeof v === "object") {
      return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, plain(x)]));
    }
    return v;
  };
  const db = await idb.openDB("maillage-offline");
  const out = {};
  for (const store of db.objectStoreNames) {
    out[store] = {keys: await db.getAllKeys(store), values: plain(await db.getAll(store))};
  }
  db.close();
  return JSON.stringify(out);
}"""


def go_offline(context):
    context.set_offline(True)
    context.route("**/*", lambda route: route.abort("internetdisconnected"))


def go_online(context):
    context.unroute("**/*")
    context.set_offline(False)


#: The care aide's visits of today start at midnight at the earliest, and are traced a minute or
#: more after their start and a minute before now: the journeys begin from 00:04.
SINCE_MIDNIGHT = timedelta(minutes=4)


def aide_visits(n_today=2, n_tomorrow=0):
    """The care aide's day made deterministic: her other visits of yesterday (a night that
    began then is on the phone until it is over), today and tomorrow cancelled;
    ``n_today`` visits in the past hour (they can be traced now), ``n_tomorrow`` tomorrow."""
    from django.contrib.auth import get_user_model

    aide = get_user_model().objects.get(username="care_aide")
    now = timezone.localtime()
    today = now.date()
    midnight = timezone.make_aware(datetime.combine(today, time.min))
    # Just after midnight nothing of today can be traced yet with a departure after the
    # arrival and before now: wait until 00:04 (at most four minutes, when the suite is there).
    if now - midnight < SINCE_MIDNIGHT:
        sleep((SINCE_MIDNIGHT - (now - midnight)).total_seconds())
        now = timezone.localtime()
    theirs = Visit.objects.filter(staff=aide, starts_at__date__gte=today - timedelta(days=1),
                                  starts_at__date__lte=today + timedelta(days=1))
    people = []
    for v in theirs.select_related("beneficiary").order_by("starts_at"):
        if v.beneficiary not in people:
            people.append(v.beneficiary)
    theirs.update(status=Visit.Status.CANCELLED)
    first = max(midnight, now.replace(second=0, microsecond=0) - timedelta(minutes=60))
    visits = []
    for i in range(n_today):
        visits.append(factories.visit(people[i % len(people)], aide,
                                      starts_at=first + timedelta(minutes=2 * i), minutes=30,
                                      instructions=INSTRUCTIONS))
    tomorrow = midnight + timedelta(days=1, hours=8)
    for i in range(n_tomorrow):
        visits.append(factories.visit(people[(n_today + i) % len(people)], aide,
                                      starts_at=tomorrow + timedelta(minutes=45 * i), minutes=30,
                                      instructions=INSTRUCTIONS))
    return aide, visits


def ready(page):
    """The app has started (read what the phone holds, or loaded the day)."""
    page.locator("#offline-app[data-ready='1']").wait_for(state="attached")


def open_day(p):
    """Open /hors-ligne/ and wait for the day, the service worker controlling the page."""
    p.goto("/hors-ligne/")
    page = p.page
    ready(page)
    page.wait_for_function("() => navigator.serviceWorker.controller !== null")
    return page


def card(page, visit):
    return page.locator(f'[data-visit="{visit.public_id}"]')


def test_offline_journey(demo, open_page):
    aide, (a, b) = aide_visits(2)
    name_a, name_b = a.beneficiary.display_name, b.beneficiary.display_name
    p = open_page(**PHONE)
    log_in(p, "care_aide")
    page = open_day(p)
    expect(card(page, a)).to_contain_text(name_a)
    expect(card(page, b)).to_contain_text(name_b)
    p.check_accessibility()
    bodies = []
    page.on("request", lambda r: bodies.append(r.post_data)
            if r.method == "POST" and r.url.endswith("/hors-ligne/api/synchro/") else None)

    # Offline: visit A done (times typed) with a note and an alert; visit B not done.
    context = page.context
    go_offline(context)
    expect(page.get_by_text("Hors ligne — vos saisies restent sur ce téléphone")).to_be_visible()
    start = timezone.localtime(a.starts_at) + timedelta(minutes=1)
    end = min(start + timedelta(minutes=20), timezone.localtime() - timedelta(minutes=1))
    card(page, a).get_by_role("button", name=re.compile("^Réalisé")).click()
    form = card(page, a).locator("form")
    form.get_by_label("Arrivée").fill(start.strftime("%H:%M"))
    form.get_by_label("Départ").fill(start.strftime("%H:%M"))
    form.get_by_role("button", name="Enregistrer le passage").click()
    # Checked on the phone: the departure must come after the arrival.
    expect(form.get_by_text("L'heure de départ doit être après l'heure d'arrivée.")).to_be_visible()
    expect(form.get_by_label("Départ")).to_have_attribute("aria-invalid", "true")
    form.get_by_label("Départ").fill(end.strftime("%H:%M"))
    form.get_by_label("Ce qui a été fait").fill("Toilette au lavabo, lever, petit déjeuner.")
    form.get_by_label("Texte de la transmission (facultatif)").fill(
        "Hors ligne : a bien mangé ce matin.")
    form.get_by_label("Type d'alerte (facultatif)").select_option("fall")
    form.get_by_label("Gravité (facultatif)").select_option("high")
    form.get_by_label("Description de l'alerte (facultatif)").fill("Chute sans gravité hier soir.")
    form.get_by_role("button", name="Enregistrer le passage").click()
    expect(card(page, a)).to_contain_text(
        f"Réalisé {start:%H:%M}–{end:%H:%M} — en attente d'envoi")
    card(page, b).get_by_role("button", name=re.compile("^Non réalisé")).click()
    form = card(page, b).locator("form")
    form.get_by_label("Motif").select_option("other")
    form.get_by_role("button", name="Enregistrer").click()
    expect(form.get_by_text("Précisez la raison dans le commentaire.")).to_be_visible()
    form.get_by_label("Commentaire").fill("Porte fermée, voisine prévenue.")
    form.get_by_role("button", name="Enregistrer").click()
    expect(card(page, b)).to_contain_text("Non réalisé (Autre raison) — en attente d'envoi")
    expect(page.locator("#pending-count")).to_have_text("4 saisies en attente d'envoi")

    # Reloaded offline: the shell from the precache, the day and the pending state from IndexedDB.
    page.reload()
    ready(page)
    expect(card(page, a)).to_contain_text(name_a)
    expect(card(page, a)).to_contain_text("en attente d'envoi")
    expect(page.locator("#pending-count")).to_have_text("4 saisies en attente d'envoi")
    expect(page.get_by_text("Hors ligne — vos saisies restent sur ce téléphone")).to_be_visible()

    # Back online: sent at once, in one request.
    go_online(context)
    expect(page.locator("#pending-count")).to_have_text("0 saisie en attente d'envoi")
    expect(page.locator("#last-sync")).to_contain_text("Dernière synchronisation :")
    expect(page.get_by_text("Hors ligne — vos saisies restent")).to_be_hidden()
    a.refresh_from_db()
    b.refresh_from_db()
    assert a.status == Visit.Status.DONE
    assert timezone.localtime(a.actual_start).strftime("%H:%M") == start.strftime("%H:%M")
    assert timezone.localtime(a.actual_end).strftime("%H:%M") == end.strftime("%H:%M")
    assert b.status == Visit.Status.NOT_DONE and b.not_done_reason == "other"
    notes = LiaisonNote.objects.filter(text="Hors ligne : a bien mangé ce matin.")
    alerts = Alert.objects.filter(beneficiary=a.beneficiary, kind="fall",
                                  description="Chute sans gravité hier soir.")
    assert notes.count() == 1 and alerts.count() == 1
    p.errors.clear()  # the failed requests while offline were reported in the console
    expect(card(page, a)).to_contain_text(f"{start:%H:%M}–{end:%H:%M}")

    # Replayed (the answer lost, the phone sends again): the same results, nothing twice.
    sent = [json.loads(body) for body in bodies if body]
    assert sent and len(sent[0]["actions"]) == 4
    assert [x["kind"] for x in sent[0]["actions"]] == ["visit_end", "note", "alert",
                                                       "visit_missed"]
    again = page.evaluate("""async (body) => {
        const r = await fetch("/hors-ligne/api/synchro/", {method: "POST",
            headers: {"Content-Type": "application/json",
                      "X-CSRFToken": sessionStorage.getItem("maillage-offline-csrf")},
            body: body, credentials: "same-origin"});
        return await r.json();
    }""", json.dumps(sent[0]))
    assert [r["state"] for r in again["results"]] == ["applied"] * 4
    assert notes.count() == 1 and alerts.count() == 1
    assert Visit.objects.get(pk=a.pk).actual_end == a.actual_end

    # The coordinator sees the real times on the team's timeline.
    from urllib.parse import quote

    from maillage.core.roles import Role
    from maillage.visits.timeline import ROLE_CATEGORIES

    coord = open_page()
    log_in(coord, "coordinator")
    # The block's label: « … · réalisé 08:04–08:25 · saisi hors ligne ».
    block = coord.page.locator("#tl-body a", has_text=re.compile(
        rf"réalisé {start:%H:%M}–{end:%H:%M}\b.*saisi hors ligne"))
    base = f"/passages/equipe/?profession={quote(ROLE_CATEGORIES[Role.CARE_AIDE])}"
    coord.goto(base)
    for number in range(2, 8):
        if block.count():
            break
        coord.goto(f"{base}&page={number}")
    expect(block.first).to_be_attached()


def test_conflict_shown_until_dismissed(demo, open_page):
    from django.contrib.auth import get_user_model

    aide, (a,) = aide_visits(1)
    p = open_page(**PHONE)
    log_in(p, "care_aide")
    page = open_day(p)
    expect(card(page, a)).to_contain_text(a.beneficiary.display_name)
    go_offline(page.context)
    card(page, a).get_by_role("button", name=re.compile("^Réalisé")).click()
    form = card(page, a).locator("form")
    start = timezone.localtime(a.starts_at) + timedelta(minutes=1)
    form.get_by_label("Arrivée").fill(start.strftime("%H:%M"))
    form.get_by_label("Départ").fill((start + timedelta(minutes=10)).strftime("%H:%M"))
    form.get_by_role("button", name="Enregistrer le passage").click()
    expect(page.locator("#pending-count")).to_have_text("1 saisie en attente d'envoi")
    # Meanwhile the coordination cancels the visit.
    coordinator = get_user_model().objects.get(username="coordinator")
    services.visit_cancel(actor=coordinator, visit=a, version=a.version)
    go_online(page.context)
    to_check = page.locator("#to-check")
    expect(to_check).to_be_visible()
    expect(to_check).to_contain_text("annulé")
    expect(to_check).to_contain_text(a.beneficiary.display_name)
    expect(page.locator("#pending-count")).to_have_text("0 saisie en attente d'envoi")
    p.errors.clear()
    p.check_accessibility()
    a.refresh_from_db()
    assert a.status == Visit.Status.CANCELLED
    # Kept across a reload, until dismissed.
    page.reload()
    expect(to_check).to_contain_text("annulé")
    to_check.get_by_role("button", name=re.compile("^J'ai compris")).click()
    expect(to_check).to_be_hidden()


def test_local_data_encrypted_and_wiped_at_logout(demo, open_page):
    aide, (a, b) = aide_visits(2)
    p = open_page(**PHONE)
    log_in(p, "care_aide")
    page = open_day(p)
    expect(card(page, a)).to_contain_text(a.beneficiary.display_name)
    # A note recorded offline: sealed in « pending » too.
    go_offline(page.context)
    card(page, a).get_by_role("button", name=re.compile("^Transmission")).click()
    form = card(page, a).locator("form")
    form.get_by_role("button", name="Enregistrer la transmission").click()
    expect(form.get_by_text("Le texte de la transmission est vide.")).to_be_visible()
    form.get_by_label("Texte de la transmission").fill("Secret: tension basse ce matin")
    form.get_by_role("button", name="Enregistrer la transmission").click()
    expect(page.locator("#pending-count")).to_have_text("1 saisie en attente d'envoi")

    raw = page.evaluate(DUMP_IDB)
    dump = json.loads(raw)
    assert set(dump) == {"meta", "vault", "pending", "results"}
    assert len(dump["vault"]["values"]) == 1 and len(dump["pending"]["values"]) == 1
    for person in (a.beneficiary, b.beneficiary):
        for secret in (person.display_name, person.used_name or person.birth_name,
                       person.address, person.commune.name):
            assert secret not in raw, secret
    assert "tension basse" not in raw and INSTRUCTIONS not in raw
    # Nothing readable in the base64 of the records either (it is ciphertext).
    for record in dump["vault"]["values"] + dump["pending"]["values"]:
        data = base64.b64decode(record["data"]["b64"])
        assert (a.beneficiary.birth_name.encode() not in data and b"tension" not in data)
    storage = page.evaluate("() => JSON.stringify({...localStorage})")
    assert "maillage-offline-key" not in storage and len(json.loads(storage)) <= 1

    # Without the key (a new browser session), reloaded offline: nothing personal can be read.
    page.evaluate("() => sessionStorage.removeItem('maillage-offline-key')")
    page.reload()
    ready(page)
    expect(page.get_by_text("Données chiffrées sur cet appareil")).to_be_visible()
    expect(page.locator("#pending-count")).to_have_text("1 saisie en attente d'envoi")
    assert a.beneficiary.display_name not in page.content()
    assert b.beneficiary.display_name not in page.content()

    # Back online (the key comes back from the server), then log out: everything erased.
    go_online(page.context)
    page.reload()
    ready(page)
    expect(page.locator("#pending-count")).to_have_text("0 saisie en attente d'envoi")
    page.get_by_role("button", name="Se déconnecter").click()
    page.wait_for_url(re.compile("/connexion/"))
    left = page.evaluate("""async () => ({
        dbs: (await indexedDB.databases()).map((d) => d.name),
        caches: await caches.keys(),
        workers: (await navigator.serviceWorker.getRegistrations()).length,
        local: Object.keys(localStorage), session: Object.keys(sessionStorage)})""")
    assert "maillage-offline" not in left["dbs"]
    assert left["caches"] == [] and left["workers"] == 0
    assert not [k for k in left["local"] + left["session"] if k.startswith("maillage-offline")]


def test_twelve_visits_fit_in_little_storage(demo, open_page):
    aide, visits = aide_visits(6, 6)
    p = open_page(**PHONE)
    log_in(p, "care_aide")
    page = open_day(p)
    expect(page.locator("[data-visit]")).to_have_count(12)
    # The forms and a person's useful information, open, pass axe too.
    first = page.locator("[data-visit]").first
    first.get_by_role("button", name=re.compile("^Réalisé")).click()
    first.locator("details summary").click()
    expect(first.get_by_label("Ce qui a été fait")).to_be_visible()
    # Recorded and sent at once. Waited for: the first card redrawn moves the ones below, and
    # a click at their old place would miss (seen once in CI, on a loaded machine).
    first.get_by_role("button", name="Enregistrer le passage").click()
    expect(page.locator("#pending-count")).to_have_text("0 saisie en attente d'envoi")
    expect(first).to_contain_text("Réalisé")
    page.wait_for_function(
        "() => document.getElementById('offline-app').dataset.syncing !== '1'")
    second = page.locator("[data-visit]").nth(1)
    second.get_by_role("button", name=re.compile("^Non réalisé")).click()
    second.get_by_role("button", name="Enregistrer").click()
    expect(second.get_by_text("Choisissez le motif.")).to_be_visible()
    third = page.locator("[data-visit]").nth(2)
    third.get_by_role("button", name=re.compile("^Alerte")).click()
    p.check_accessibility()
    third.get_by_label("Description de l'alerte").fill("Frigo vide")
    # The day drawn again by a synchronisation: the forms opened meanwhile stay.
    page.get_by_role("button", name="Envoyer maintenant").click()
    page.wait_for_function(
        "() => document.getElementById('offline-app').dataset.syncing !== '1'")
    expect(page.locator("#pending-count")).to_have_text("0 saisie en attente d'envoi")
    expect(first).to_contain_text("Réalisé")
    expect(second.get_by_text("Choisissez le motif.")).to_be_visible()
    expect(third.get_by_label("Description de l'alerte")).to_have_value("Frigo vide")
    third.get_by_role("button", name="Annuler").click()
    expect(third.locator("form")).to_have_count(0)
    page.wait_for_function("() => navigator.serviceWorker.controller !== null")
    sizes = page.evaluate("""async () => {
        let cache = 0;
        for (const name of await caches.keys()) {
            const c = await caches.open(name);
            for (const request of await c.keys()) {
                cache += (await (await c.match(request)).arrayBuffer()).byteLength;
            }
        }
        const db = await idb.openDB("maillage-offline");
        let records = 0;
        for (const store of db.objectStoreNames) {
            for (const value of await db.getAll(store)) {
                records += value && value.data ? value.data.byteLength : 0;
                records += JSON.stringify(value || null).length;
            }
        }
        db.close();
        const estimate = await navigator.storage.estimate();
        return {cache, records, usage: estimate.usage};
    }""")
    total = sizes["cache"] + sizes["records"]
    print(f"offline storage: cache {sizes['cache']} B + IndexedDB {sizes['records']} B = "
          f"{total} B (navigator.storage.estimate: {sizes['usage']} B)")
    assert total < 500_000
    # More than 36 hours later (the record's expiry moved back), offline: the day is deleted,
    # not shown. Offline first, and once the last synchronisation is over: a day reloaded from
    # the server meanwhile would write a fresh expiry over the one moved back.
    go_offline(page.context)
    page.wait_for_function(
        "() => document.getElementById('offline-app').dataset.syncing !== '1'")
    page.evaluate("""async () => {
        const db = await idb.openDB("maillage-offline");
        const record = await db.get("vault", "day");
        record.expires_at = new Date(Date.now() - 60000).toISOString();
        await db.put("vault", record, "day");
        db.close();
    }""")
    page.reload()
    ready(page)
    expect(page.get_by_text("Les données de la journée ont plus de 36 heures")).to_be_visible()
    expect(page.locator("[data-visit]")).to_have_count(0)
    assert visits[0].beneficiary.display_name not in page.content()
    assert page.evaluate("""async () => {
        const db = await idb.openDB("maillage-offline");
        const n = await db.count("vault");
        db.close();
        return n;
    }""") == 0


def test_coordinator_is_refused_and_nothing_stored(demo, open_page):
    p = open_page(**PHONE)
    log_in(p, "coordinator")
    p.goto("/hors-ligne/")
    page = p.page
    ready(page)
    expect(page.get_by_text("Le mode hors ligne est réservé aux intervenant·es à domicile."))\
        .to_be_visible()
    p.errors[:] = [e for e in p.errors if "403" not in e]  # the refused key request
    p.check_accessibility()
    left = page.evaluate("""async () => ({
        dbs: (await indexedDB.databases()).map((d) => d.name),
        caches: await caches.keys(),
        workers: (await navigator.serviceWorker.getRegistrations()).length,
        local: Object.keys(localStorage), session: Object.keys(sessionStorage)})""")
    assert left["dbs"] == [] and left["caches"] == [] and left["workers"] == 0
    assert not [k for k in left["local"] + left["session"] if k.startswith("maillage-offline")]


def test_logout_warns_while_actions_wait(demo, open_page):
    aide, (a,) = aide_visits(1)
    p = open_page(**PHONE)
    log_in(p, "care_aide")
    page = open_day(p)
    expect(card(page, a)).to_contain_text(a.beneficiary.display_name)
    # The network is there, but the sending fails: the action waits.
    page.context.route("**/hors-ligne/api/synchro/", lambda route: route.abort("failed"))
    card(page, a).get_by_role("button", name=re.compile("^Arrivée")).click()
    expect(card(page, a)).to_contain_text("Arrivé·e à")
    expect(page.locator("#pending-count")).to_have_text("1 saisie en attente d'envoi")
    # The session expires (the API answers with a redirect to the login page): said, and
    # everything kept — the day on screen, the action waiting; sent after a new login.
    page.context.clear_cookies()
    page.reload()
    ready(page)
    expect(page.get_by_text("Votre session a expiré : reconnectez-vous")).to_be_visible()
    expect(card(page, a)).to_contain_text("Arrivé·e à")
    expect(page.locator("#pending-count")).to_have_text("1 saisie en attente d'envoi")
    p.errors.clear()  # the failed sends, reported in the console
    log_in(p, "care_aide")
    page = open_day(p)
    expect(card(page, a)).to_contain_text("Arrivé·e à")
    expect(page.locator("#pending-count")).to_have_text("1 saisie en attente d'envoi")

    messages = []

    def logout(accept: bool, in_menu: bool = False) -> str:
        """Click « Se déconnecter » (``in_menu``: the main navigation's, in « Mon compte »),
        answer the confirm() that comes after an await (the handler is set first: accepted,
        the form's navigation follows at once)."""
        seen = len(messages)
        page.once("dialog", lambda d: (messages.append(d.message),
                                       d.accept() if accept else d.dismiss()))
        button = (p.menu_entry("Se déconnecter", "button", exact=False) if in_menu
                  else page.get_by_role("button", name=re.compile("Se déconnecter")))
        button.click()
        for _ in range(100):
            if len(messages) > seen:
                break
            page.wait_for_timeout(100)
        assert len(messages) > seen, "no confirm()"
        return messages[-1]

    # In the app: one more try, then a warning; declined, nothing is erased.
    assert logout(False).startswith("1 saisie n'est pas encore envoyée")
    expect(page.locator("#pending-count")).to_have_text("1 saisie en attente d'envoi")
    expect(card(page, a)).to_contain_text("Arrivé·e à")
    # Anywhere else in Maillage (base.html's logout form): the same warning, from the count only.
    p.goto("/")
    assert "Ma journée hors ligne" in logout(False, in_menu=True)  # a phone: the menu folded
    page.wait_for_timeout(300)
    assert page.url == p.base_url + "/"
    assert logout(True, in_menu=True).startswith("1 saisie ")
    page.wait_for_url(re.compile("/connexion/"))


def test_entries_wait_for_their_crt_when_the_crt_is_switched(demo, open_page):
    """The night nurse works for two CRTs on one phone: a note entered offline for CRT Anjou
    Bleu is neither sent to CRT Baugeois Vallée nor wiped when she switches to it; it waits,
    said with its CRT's name, and is sent once she switches back."""
    from maillage.beneficiaries.tests.factories import shared_file
    from maillage.core.models import Membership

    from .test_night_nurse import log_in_as_night_nurse

    anjou = Membership.objects.select_related("user", "crt").get(
        user__username="night_nurse", crt__name="CRT Anjou Bleu")
    person = shared_file(anjou.crt, anjou.user)  # in her care team
    v = factories.visit(person, anjou.user, starts_at=timezone.now() - timedelta(minutes=30))
    p = open_page(**PHONE)
    log_in_as_night_nurse(p, "CRT Anjou Bleu")
    page = open_day(p)
    expect(page.get_by_text("Maillage · Ma journée — CRT Anjou Bleu")).to_be_visible()
    context = page.context
    go_offline(context)
    card(page, v).get_by_role("button", name=re.compile("^Transmission")).click()
    card(page, v).get_by_label("Texte de la transmission").fill("Nuit calme, pour Anjou.")
    card(page, v).get_by_role("button", name="Enregistrer la transmission").click()
    expect(page.locator("#pending-count")).to_have_text("1 saisie en attente d'envoi")
    # Meanwhile, another tab switches the CRT: the same session, here from a second client. (A
    # second page closed just before a route change could hang the run: Playwright 1.65 never
    # answers a command sent to a page that is going away, microsoft/playwright#42278.)
    other_tab = Client()
    other_tab.cookies[settings.SESSION_COOKIE_NAME] = next(
        c["value"] for c in context.cookies() if c["name"] == settings.SESSION_COOKIE_NAME)
    baugeois = Membership.objects.get(user=anjou.user, crt__name="CRT Baugeois Vallée").crt
    assert other_tab.post(reverse("core:crt_choose"),
                          {"crt": str(baugeois.public_id)}).status_code == 302
    # The network back: the app sends at once, refused, saying why; the entry stays.
    go_online(context)
    refused = page.get_by_text("Ces saisies ont été faites pour le CRT Anjou Bleu ; vous "
                               "travaillez maintenant pour le CRT Baugeois Vallée.")
    expect(refused).to_be_visible()
    expect(page.locator("#pending-count")).to_have_text("1 saisie en attente d'envoi")
    # Sent again by hand: refused again.
    with page.expect_response(re.compile("/hors-ligne/api/synchro/$")) as sent:
        page.get_by_role("button", name="Envoyer maintenant").click()
    assert sent.value.status == 409
    expect(refused).to_be_visible()
    expect(page.locator("#pending-count")).to_have_text("1 saisie en attente d'envoi")
    # Reopened for Baugeois Vallée: its own day; the note still waits for Anjou Bleu.
    page.reload()
    ready(page)
    expect(page.get_by_text("Maillage · Ma journée — CRT Baugeois Vallée")).to_be_visible()
    expect(page.locator("#pending-count")).to_have_text("0 saisie en attente d'envoi")
    expect(page.get_by_text("1 saisie en attente pour le CRT Anjou Bleu : choisissez ce CRT "
                            "pour l'envoyer.")).to_be_visible()
    p.errors.clear()  # the failed requests while offline, the refused send
    p.check_accessibility()
    assert not LiaisonNote.objects.filter(text="Nuit calme, pour Anjou.").exists()
    # One tap back to Anjou Bleu: sent there, in the person's notebook.
    with page.expect_navigation():
        page.get_by_role("button", name="Passer au CRT Anjou Bleu").click()
    ready(page)
    expect(page.get_by_text("Maillage · Ma journée — CRT Anjou Bleu")).to_be_visible()
    expect(page.locator("#pending-count")).to_have_text("0 saisie en attente d'envoi")
    expect(page.locator("#other-crts")).to_be_hidden()
    p.goto(reverse("care:notes", args=[person.public_id]))
    expect(page.locator("main")).to_contain_text("Nuit calme, pour Anjou.")
    assert LiaisonNote.objects.get(text="Nuit calme, pour Anjou.").crt == anjou.crt


def test_a_visit_opens_for_tracing_by_the_phone_clock(demo, open_page):
    """Tomorrow's visit says when it opens, as « Mes passages » does, instead of « Arrivée » or
    « Réalisé » that the server would refuse at the synchronisation (« pas encore commencé »).
    The next morning, offline with the day kept on the phone: that day is « Aujourd'hui » (the
    other one « Hier »), and its visit may be traced from an hour before it starts."""
    aide, (a, b) = aide_visits(1, 1)
    today = timezone.localdate()
    tomorrow = today + timedelta(days=1)
    p = open_page(**PHONE)
    log_in(p, "care_aide")
    page = open_day(p)
    expect(page.locator(f"#day-{today.isoformat()}")).to_have_text(re.compile("^Aujourd'hui, "))
    expect(page.locator(f"#day-{tomorrow.isoformat()}")).to_have_text(re.compile("^Demain, "))
    expect(card(page, a).get_by_role("button", name=re.compile("^Réalisé"))).to_be_visible()
    expect(card(page, b)).to_contain_text(f"Se trace à partir du {tomorrow:%d/%m} à 07:00.")
    for name in ("^Arrivée", "^Réalisé", "^Non réalisé"):
        expect(card(page, b).get_by_role("button", name=re.compile(name))).to_have_count(0)
    expect(card(page, b).get_by_role("button", name=re.compile("^Transmission"))).to_be_visible()
    p.check_accessibility()

    go_offline(page.context)
    page.wait_for_function(
        "() => document.getElementById('offline-app').dataset.syncing !== '1'")
    page.clock.set_system_time(timezone.make_aware(datetime.combine(tomorrow, time(7, 5))))
    page.reload()
    ready(page)
    expect(page.locator(f"#day-{today.isoformat()}")).to_have_text(re.compile("^Hier, "))
    expect(page.locator(f"#day-{tomorrow.isoformat()}")).to_have_text(
        re.compile("^Aujourd'hui, "))
    expect(card(page, b).get_by_role("button", name=re.compile("^Réalisé"))).to_be_visible()
    expect(card(page, b)).not_to_contain_text("Se trace à partir")


def test_times_are_the_crts_on_a_phone_set_to_utc(demo, open_page):
    """A phone whose own zone is UTC shows and records the CRT's times (Europe/Paris): a visit
    at 08:00 shows 08:00, not 07:00; the times typed are the CRT's; « Aujourd'hui » is the date
    in France (at 00:30 in France it is still yesterday in UTC)."""
    aide, (a, b) = aide_visits(1, 1)
    tomorrow = timezone.localdate() + timedelta(days=1)
    start = timezone.localtime(a.starts_at)
    end = min(start + timedelta(minutes=20), timezone.localtime() - timedelta(minutes=1))
    p = open_page(**PHONE, timezone_id="UTC")
    log_in(p, "care_aide")
    page = open_day(p)
    expect(card(page, a)).to_contain_text(
        f"{start:%H:%M}–{timezone.localtime(a.ends_at):%H:%M}")
    expect(card(page, b)).to_contain_text("08:00–08:30")
    expect(card(page, b)).to_contain_text(f"Se trace à partir du {tomorrow:%d/%m} à 07:00.")
    expect(page.locator("#day-user")).to_contain_text(
        f"journée chargée le {timezone.localdate():%d/%m/%Y} à ")

    # « Réalisé »: the arrival offered is the visit's start on the CRT's clock; the times typed
    # are the CRT's, recorded as such.
    card(page, a).get_by_role("button", name=re.compile("^Réalisé")).click()
    form = card(page, a).locator("form")
    expect(form.get_by_label("Arrivée")).to_have_value(f"{start:%H:%M}")
    form.get_by_label("Départ").fill(end.strftime("%H:%M"))
    form.get_by_label("Ce qui a été fait").fill("Toilette, lever.")
    form.get_by_role("button", name="Enregistrer le passage").click()
    expect(page.locator("#pending-count")).to_have_text("0 saisie en attente d'envoi")
    expect(card(page, a)).to_contain_text(f"Réalisé {start:%H:%M}–{end:%H:%M}")
    # (The count reads 0 before the entry is queued too: wait for the server to have it.)
    for _ in range(100):
        a.refresh_from_db()
        if a.status == Visit.Status.DONE:
            break
        page.wait_for_timeout(100)
    assert a.status == Visit.Status.DONE
    assert f"{timezone.localtime(a.actual_start):%H:%M}" == f"{start:%H:%M}"
    assert f"{timezone.localtime(a.actual_end):%H:%M}" == f"{end:%H:%M}"

    # 00:30 in France (the evening before in UTC), offline with the day kept on the phone.
    go_offline(page.context)
    page.wait_for_function(
        "() => document.getElementById('offline-app').dataset.syncing !== '1'")
    page.clock.set_system_time(timezone.make_aware(datetime.combine(tomorrow, time(0, 30))))
    page.reload()
    ready(page)
    expect(page.locator(f"#day-{tomorrow.isoformat()}")).to_have_text(
        re.compile("^Aujourd'hui, "))
    expect(page.locator(f"#day-{timezone.localdate().isoformat()}")).to_have_text(
        re.compile("^Hier, "))
