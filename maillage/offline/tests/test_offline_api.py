"""The offline day's server side: the day a phone keeps (chosen by the file policy), the device
keys, the synchronisation applied once and in order, conflicts answered in French."""

import json
import uuid
from datetime import timedelta

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from maillage.beneficiaries.tests.factories import BeneficiaryFactory, shared_file
from maillage.care.models import Alert, LiaisonNote, PlannedAction
from maillage.care.tests.factories import domain, plan_version
from maillage.core.middleware import SESSION_KEY
from maillage.core.models import AuditEvent, Membership
from maillage.core.roles import Role
from maillage.core.tests.factories import member
from maillage.core.tests.helpers import visible_text
from maillage.offline.models import Device, SyncedAction
from maillage.visits.models import Visit, VisitTask
from maillage.visits.services import check_missed, local_dt, visit_cancel
from maillage.visits.tests.factories import visit

NOW = timezone.now


@pytest.fixture(autouse=True)
def late_morning():
    """Every test here runs at 10:30 today (Paris time, the clock still ticking): the visits
    placed « 50 minutes ago » or « in two hours » are today's whatever the hour the suite runs
    at (at 00:20, « 50 minutes ago » is yesterday, and not in the day a phone keeps)."""
    with time_machine.travel(local_dt(timezone.localdate(), "10:30"), tick=True):
        yield


def _device(client) -> dict:
    response = client.post(reverse("offline:register"))
    assert response.status_code == 201
    return response.json()


def _work_in(client, user, crt):
    client.force_login(user)
    session = client.session
    session[SESSION_KEY] = str(crt.public_id)
    session.save()


def _day(client, device):
    return client.get(reverse("offline:day", args=[device]))


def _sync(client, device, actions):
    return client.post(reverse("offline:sync"), json.dumps({"device": device,
                                                            "actions": actions}),
                       content_type="application/json")


def _action(action_kind, /, *, at=None, visit_=None, person=None, **data):
    return {"id": str(uuid.uuid4()), "kind": action_kind, "at": (at or NOW()).isoformat(),
            "visit": str(visit_.public_id) if visit_ else None,
            "person": str(person.public_id) if person else None, "data": data}


@pytest.fixture
def aide_day(crt_a, users):
    """The care aide's day: a person she visits (care team, key box, allergies, a plan with
    her action, a health note), a person whose care team she is not in, visits today and
    tomorrow, and visits that are not hers or not of these two days."""
    aide = users["care_aide"]
    mine = shared_file(crt_a, aide)
    version = plan_version(mine, status="validated")
    action = PlannedAction.objects.create(crt=crt_a, version=version, domain=domain(crt_a),
                                          description="Toilette et lever", staff=aide)
    PlannedAction.objects.create(crt=crt_a, version=version, domain=domain(crt_a),
                                 description="Pilulier", staff=users["nurse"])
    LiaisonNote.objects.create(crt=crt_a, beneficiary=mine, author=users["nurse"],
                               text="Rougeur au talon gauche", category="care",
                               visibility=LiaisonNote.Visibility.HEALTH)
    other = BeneficiaryFactory(crt=crt_a, has_key_box=True, key_box_code="9999Z")
    today = timezone.localdate()
    now = NOW().replace(second=0, microsecond=0)
    a = visit(mine, aide, starts_at=now - timedelta(minutes=50))
    b = visit(other, aide, starts_at=now - timedelta(minutes=15))
    tomorrow = visit(mine, aide, starts_at=local_dt(today + timedelta(days=1), "08:00"))
    visit(mine, aide, starts_at=local_dt(today + timedelta(days=3), "08:00"))
    visit(mine, aide, starts_at=now - timedelta(hours=3), status=Visit.Status.CANCELLED)
    visit(mine, users["nurse"], starts_at=now)
    return {"aide": aide, "mine": mine, "other": other, "a": a, "b": b, "tomorrow": tomorrow,
            "action": action}


def test_of_the_medical_section_the_phone_keeps_the_allergies_alone(client, aide_day):
    """A care aide's phone: the allergies of the people of her care team, never the history
    nor the medical synthesis (``access.medical_fields``), whatever else the day holds."""
    from maillage.beneficiaries.models import MedicalRecord

    d = aide_day
    MedicalRecord.objects.filter(beneficiary=d["mine"]).update(
        history="Cancer du sein opéré en 2015", synthesis="Déclin cognitif débutant",
        treatments="Lévothyrox 50 µg", usual_state="Marche avec une canne")
    client.force_login(d["aide"])
    response = _day(client, _device(client)["device"])
    assert response.status_code == 200
    assert "Pénicilline" in response.json()["people"][str(d["mine"].public_id)]["allergies"]
    raw = response.content.decode()
    assert "Cancer du sein" not in raw and "Déclin cognitif" not in raw


def test_the_day_holds_today_and_tomorrow_with_what_the_policy_allows(client, aide_day,
                                                                      django_assert_max_num_queries):
    d = aide_day
    client.force_login(d["aide"])
    device = _device(client)["device"]
    with django_assert_max_num_queries(40):
        response = _day(client, device)
    assert response.status_code == 200 and response["Cache-Control"] == "no-store"
    day = response.json()
    assert [v["id"] for v in day["visits"]] == [str(d["a"].public_id), str(d["b"].public_id),
                                                str(d["tomorrow"].public_id)]
    mine, other = day["people"][str(d["mine"].public_id)], day["people"][str(d["other"].public_id)]
    # In her care team, visiting the home: the key-box code, the allergies, the health note.
    assert mine["key_box"] == "1234A"
    assert "Pénicilline" in mine["allergies"]
    assert [n["text"] for n in mine["notes"]] == ["Rougeur au talon gauche"]
    # Not in this person's care team: her visit, the address, nothing more.
    assert other["key_box"] is None and other["allergies"] is None
    assert other["address"] and other["name"] == d["other"].display_name
    # The plan's action given to her, not the nurse's.
    assert day["visits"][0]["tasks"] == [{"id": str(d["action"].public_id),
                                          "text": "Toilette et lever"}]
    assert day["expires_at"] > day["generated_at"]
    # The download is a read of each file, audited (with what was read).
    events = AuditEvent.objects.filter(action="offline.day_downloaded", actor=d["aide"])
    assert {e.beneficiary_public_id for e in events} == {d["mine"].public_id,
                                                          d["other"].public_id}
    assert events.get(beneficiary_public_id=d["mine"].public_id).details[
        "code de la boîte à clés"] is True
    assert "Rougeur" not in json.dumps([e.details for e in events])


def test_the_day_costs_the_same_queries_for_one_person_or_twelve(client, crt_a, users):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    aide = users["care_aide"]
    # All twelve today, whatever the hour the suite runs at (from 06:00 to 13:20, Paris time):
    # a visit falling tomorrow adds the second day's one fetch, which is not a per-visit cost.
    start = local_dt(timezone.localdate(), "06:00")
    client.force_login(aide)
    device = _device(client)["device"]
    counts = []
    for i in range(12):
        visit(shared_file(crt_a, aide), aide, starts_at=start + timedelta(minutes=40 * i))
        if i in (0, 11):
            with CaptureQueriesContext(connection) as queries:
                response = _day(client, device)
            counts.append(len(queries))
    assert len(response.json()["visits"]) == 12
    # Nothing per person or per visit.
    assert counts[0] == counts[1] <= 22  # « Mes passages »: with the night's turns and hours


def test_at_night_the_day_keeps_the_night_that_began_yesterday_evening(client, crt_a, users):
    """At 00:20 the night nurse still has her 23:40 visit on the phone, as « Mes passages »
    lists it, under yesterday's date (shown first); yesterday afternoon is not part of the
    night. In the morning, once the night is over, yesterday is gone."""
    nurse = users["nurse"]
    today = timezone.localdate()
    yesterday, tomorrow = today - timedelta(days=1), today + timedelta(days=1)
    person = shared_file(crt_a, nurse)
    visit(person, nurse, starts_at=local_dt(yesterday, "15:00"))
    late = visit(person, nurse, starts_at=local_dt(yesterday, "23:40"))
    early = visit(person, nurse, starts_at=local_dt(today, "00:10"))
    client.force_login(nurse)
    device = _device(client)["device"]
    with time_machine.travel(local_dt(today, "00:20"), tick=True):
        day = _day(client, device).json()
    assert [d["date"] for d in day["days"]] == [yesterday.isoformat(), today.isoformat(),
                                                 tomorrow.isoformat()]
    assert [(v["id"], v["date"]) for v in day["visits"]] == [
        (str(late.public_id), yesterday.isoformat()), (str(early.public_id), today.isoformat())]
    day = _day(client, device).json()  # 10:30
    assert [d["date"] for d in day["days"]] == [today.isoformat(), tomorrow.isoformat()]
    assert [v["id"] for v in day["visits"]] == [str(early.public_id)]


@pytest.mark.parametrize("role", [Role.COORDINATOR, Role.DIRECTION, Role.DOCTOR,
                                  Role.ADMIN_STAFF, Role.PARTNER, Role.CAREGIVER])
def test_outside_home_care_nothing_is_handed_out(client, users, role):
    client.force_login(users[role])
    for response in (client.get(reverse("offline:key")), client.post(reverse("offline:register")),
                     client.get(reverse("offline:day", args=[uuid.uuid4()])),
                     _sync(client, str(uuid.uuid4()), [])):
        assert response.status_code == 403
    assert not Device.objects.exists()


def test_the_nurse_may_use_it_and_nobody_logged_out(client, users):
    client.force_login(users["nurse"])
    assert client.get(reverse("offline:key")).status_code == 200
    client.logout()
    response = client.get(reverse("offline:key"))
    assert response.status_code == 302 and "/connexion/" in response["Location"]


def test_another_crt_cannot_use_a_device_or_a_visit(client, aide_day, user_b, crt_b):
    client.force_login(aide_day["aide"])
    device = _device(client)["device"]
    client.force_login(user_b)
    assert _day(client, device).status_code == 404
    own = _device(client)["device"]
    result = _sync(client, own, [_action("visit_start", visit_=aide_day["a"])]).json()
    assert result["results"][0]["state"] == "refused"
    assert result["results"][0]["message"] == "Ce passage n'existe plus."
    assert Visit.objects.get(pk=aide_day["a"].pk).actual_start is None


def test_the_shell_worker_and_manifest_are_public_and_hold_no_user_data(client, aide_day):
    client.force_login(aide_day["aide"])
    shell = client.get(reverse("offline:app"))
    assert shell.status_code == 200
    assert "Sandrine" not in shell.content.decode() and "csrf" not in shell.content.decode()
    client.logout()
    assert client.get(reverse("offline:app")).status_code == 200
    worker = client.get(reverse("offline:sw"))
    assert worker["Content-Type"].startswith("application/javascript")
    body = worker.content.decode()
    assert '"url": "/hors-ligne/"' in body and "bootstrap.min.css" in body
    assert "/hors-ligne/api/" not in body.split("PRECACHE")[-1].split(";")[0]
    manifest = client.get(reverse("offline:manifest")).json()
    assert manifest["start_url"] == "/hors-ligne/" and manifest["display"] == "standalone"
    assert {i["sizes"] for i in manifest["icons"]} == {"192x192", "512x512"}


def test_the_key_is_the_devices_own_and_forgotten_at_logout(client, aide_day, users):
    aide = aide_day["aide"]
    client.force_login(aide)
    first = _device(client)
    again = client.get(reverse("offline:key"), {"appareil": first["device"]}).json()
    assert again["key"] == first["key"] and again["erase"] is False and again["csrf"]
    # Someone else's device (a shared phone): nothing handed out, the phone is told to erase.
    client.force_login(users["nurse"])
    theirs = client.get(reverse("offline:key"), {"appareil": first["device"]}).json()
    assert theirs["device"] is None and theirs["key"] is None and theirs["erase"] is True
    # Logout: the device is erased, the browser told to clear its storage.
    client.force_login(aide)
    client.get(reverse("offline:key"), {"appareil": first["device"]})
    response = client.post(reverse("core:logout"))
    assert response["Clear-Site-Data"] == '"cache", "storage"'
    state = client.get(reverse("offline:device_state", args=[first["device"]])).json()
    assert state == {"erase": True}
    client.force_login(aide)
    after = client.get(reverse("offline:key"), {"appareil": first["device"]}).json()
    assert after["key"] is None and after["erase"] is True
    fresh = _device(client)
    assert fresh["key"] != first["key"]
    assert AuditEvent.objects.filter(action="offline.device_erased", actor=aide).count() == 1


def test_a_device_of_the_users_other_crt_is_kept_and_its_entries_refused_in_french(
        client, aide_day, crt_b):
    """The same phone, its user switching CRT: each CRT has its own device; the other CRT's is
    never to be erased, and what it sends is refused with its CRT's name (nothing applied)."""
    aide, a = aide_day["aide"], aide_day["a"]
    member(aide, crt_b, Role.CARE_AIDE)
    _work_in(client, aide, aide_day["mine"].crt)
    first = _device(client)["device"]
    note = _action("note", person=aide_day["mine"], text="Pour le CRT A")
    _work_in(client, aide, crt_b)
    answer = client.get(reverse("offline:key"), {"appareil": first}).json()
    assert answer["crt"] == {"id": str(crt_b.public_id), "name": "CRT B"}
    assert answer["device"] is None and answer["key"] is None and answer["erase"] is False
    assert answer["devices"] == {first: {"id": str(a.crt.public_id), "name": "CRT A"}}
    refused = _sync(client, first, [note])
    assert refused.status_code == 409
    assert refused.json()["error"] == (
        "Ces saisies ont été faites pour le CRT A ; vous travaillez maintenant pour le CRT B. "
        "Elles restent sur ce téléphone : choisissez le CRT A pour les envoyer.")
    assert not LiaisonNote.objects.filter(text="Pour le CRT A").exists()
    second = _device(client)["device"]
    both = client.get(reverse("offline:key"), {"appareil": [first, second]}).json()
    assert both["device"] == second and both["erase"] is False and set(both["devices"]) == {
        first, second}
    # Back in CRT A: its device's key, and its entries applied there.
    _work_in(client, aide, a.crt)
    back = client.get(reverse("offline:key"), {"appareil": [second, first]}).json()
    assert back["device"] == first and back["key"] and back["erase"] is False
    assert _sync(client, first, [note]).json()["results"][0]["state"] == "applied"
    assert LiaisonNote.objects.get(text="Pour le CRT A").crt == a.crt
    # A CRT left: its device is to be erased.
    Membership.objects.filter(user=aide, crt=crt_b).update(is_active=False)
    left = client.get(reverse("offline:key"), {"appareil": [second, first]}).json()
    assert left["erase"] is True and set(left["devices"]) == {first}


def test_a_deactivated_account_erases_at_next_contact(client, aide_day):
    aide = aide_day["aide"]
    client.force_login(aide)
    device = _device(client)["device"]
    url = reverse("offline:device_state", args=[device])
    assert client.get(url).json() == {"erase": False}
    Membership.objects.filter(user=aide).update(is_active=False)
    assert client.get(url).json() == {"erase": True}
    Membership.objects.filter(user=aide).update(is_active=True)
    type(aide).objects.filter(pk=aide.pk).update(is_active=False)
    assert client.get(url).json() == {"erase": True}
    unknown = client.get(reverse("offline:device_state", args=[uuid.uuid4()]))
    assert unknown.status_code == 404 and unknown.json() == {"erase": True}


def test_actions_apply_once_in_order_with_their_times(client, aide_day):
    d = aide_day
    client.force_login(d["aide"])
    device = _device(client)["device"]
    arrived = NOW().replace(second=0, microsecond=0) - timedelta(minutes=45)
    left = arrived + timedelta(minutes=32)
    actions = [
        _action("visit_start", visit_=d["a"], at=arrived),
        _action("visit_end", visit_=d["a"], person=d["mine"], at=left,
                start=arrived.isoformat(), end=left.isoformat(), report="Toilette faite",
                tasks=[{"id": str(d["action"].public_id), "done": False,
                        "reason": "Refus ce matin"}]),
        _action("note", visit_=d["a"], person=d["mine"], at=left, category="mood",
                visibility="team", text="Très fatiguée ce matin"),
        _action("alert", visit_=d["a"], person=d["mine"], at=left, kind="fall",
                severity="high", description="Chute dans la nuit, bosse au front"),
        _action("visit_missed", visit_=d["b"], at=left, reason="no_answer", comment=""),
    ]
    body = _sync(client, device, actions).json()
    assert [r["state"] for r in body["results"]] == ["applied"] * 5
    a = Visit.objects.get(pk=d["a"].pk)
    assert (a.status, a.actual_start, a.actual_end, a.traced_offline) == (
        Visit.Status.DONE, arrived, left, True)
    assert [(t.description, t.done, t.reason) for t in VisitTask.objects.filter(visit=a)] == [
        ("Toilette et lever", False, "Refus ce matin")]
    note = LiaisonNote.objects.get(text="Très fatiguée ce matin")
    assert note.created_at == left and note.author == d["aide"]
    alert = Alert.objects.get(kind="fall", beneficiary=d["mine"])
    assert alert.created_at == left and alert.severity == "high"
    b = Visit.objects.get(pk=d["b"].pk)
    assert b.status == Visit.Status.NOT_DONE and b.traced_offline
    assert AuditEvent.objects.filter(action="offline.action_synced").count() == 5

    # The same request again (the answer was lost on the way back): nothing changes.
    counts = (LiaisonNote.objects.count(), Alert.objects.count(), SyncedAction.objects.count(),
              AuditEvent.objects.filter(action="offline.action_synced").count())
    again = _sync(client, device, actions).json()
    assert again["results"] == body["results"]
    assert (LiaisonNote.objects.count(), Alert.objects.count(), SyncedAction.objects.count(),
            AuditEvent.objects.filter(action="offline.action_synced").count()) == counts
    assert Visit.objects.get(pk=a.pk).version == a.version

    # The coordinator's team timeline shows the real times, recorded offline.
    client.force_login(Membership.objects.get(crt=a.crt, roles__role="coordinator").user)
    page = visible_text(client.get(reverse("visits:team_day")))
    local = timezone.localtime
    assert f"réalisé {local(arrived):%H:%M}–{local(left):%H:%M}" in page
    assert "saisi hors ligne" in page


def test_conflicts_are_answered_and_kept(client, aide_day, users):
    d = aide_day
    client.force_login(d["aide"])
    device = _device(client)["device"]
    visit_cancel(actor=users["coordinator"], visit=d["a"], version=d["a"].version)
    other = visit(d["mine"], d["aide"], starts_at=NOW() - timedelta(minutes=30))
    Visit.objects.filter(pk=other.pk).update(staff=users["nurse"])
    left = NOW() - timedelta(minutes=1)
    end = {"start": (left - timedelta(minutes=20)).isoformat(), "end": left.isoformat()}
    actions = [_action("visit_end", visit_=d["a"], at=left, **end),
               _action("visit_end", visit_=other, at=left, **end),
               _action("note", person=d["mine"], at=left, category="general",
                       visibility="team", text="  ")]
    results = _sync(client, device, actions).json()["results"]
    assert [r["state"] for r in results] == ["conflict", "conflict", "refused"]
    assert "annulé" in results[0]["message"] and "hors ligne" in results[0]["message"]
    assert results[1]["message"].startswith("Ce passage a été confié à")
    assert results[2]["message"] == "Écrivez la transmission."
    assert Visit.objects.get(pk=d["a"].pk).status == Visit.Status.CANCELLED
    assert not LiaisonNote.objects.filter(author=d["aide"]).exists()
    # Kept: the same answer for a resend, and the audit knows.
    assert _sync(client, device, actions).json()["results"] == results
    assert SyncedAction.objects.filter(state="conflict").count() == 2
    assert AuditEvent.objects.filter(action="offline.action_rejected").count() == 3


def test_a_visit_traced_meanwhile_is_not_overwritten(client, aide_day, users):
    from maillage.visits.services import visit_mark_not_done

    d = aide_day
    client.force_login(d["aide"])
    device = _device(client)["device"]
    visit_mark_not_done(actor=users["coordinator"], visit=d["a"], version=d["a"].version,
                        reason="hospitalised")
    left = NOW() - timedelta(minutes=1)
    result = _sync(client, device, [_action(
        "visit_end", visit_=d["a"], at=left, start=(left - timedelta(minutes=20)).isoformat(),
        end=left.isoformat())]).json()["results"][0]
    assert result["state"] == "conflict"
    assert "déjà été tracé « non réalisé »" in result["message"]
    assert Visit.objects.get(pk=d["a"].pk).not_done_reason == "hospitalised"


def test_the_missed_visit_alert_raised_meanwhile_is_resolved(client, aide_day):
    d = aide_day
    late = visit(d["mine"], d["aide"], starts_at=NOW() - timedelta(hours=4))
    assert check_missed() and Visit.objects.get(pk=late.pk).missed_alert_id
    client.force_login(d["aide"])
    device = _device(client)["device"]
    start = late.starts_at + timedelta(minutes=5)
    result = _sync(client, device, [_action(
        "visit_end", visit_=late, at=start + timedelta(minutes=30), start=start.isoformat(),
        end=(start + timedelta(minutes=30)).isoformat())]).json()["results"][0]
    assert result["state"] == "applied"
    alert = Visit.objects.get(pk=late.pk).missed_alert
    assert alert.status == Alert.Status.RESOLVED
    assert "saisi hors ligne" in alert.outcome


@pytest.mark.parametrize("body,message", [
    ("pas du json", "Envoi illisible (JSON attendu)."),
    ('{"actions": 3}', "Envoi mal formé : une liste « actions » est attendue."),
    ('{"device": "x", "actions": []}', "Appareil inconnu ou effacé : rechargez la page."),
])
def test_a_malformed_request_is_refused_in_french(client, users, body, message):
    client.force_login(users["care_aide"])
    response = client.post(reverse("offline:sync"), body, content_type="application/json")
    assert response.status_code == 400 and response.json() == {"error": message}


def test_malformed_or_impossible_actions_are_refused_one_by_one(client, aide_day):
    d = aide_day
    client.force_login(d["aide"])
    device = _device(client)["device"]
    future = NOW() + timedelta(hours=2)
    results = _sync(client, device, [
        {"kind": "note"},
        {**_action("note", person=d["mine"], text="x"), "kind": "teleport"},
        _action("note", person=d["mine"], at=future, text="Plus tard"),
        _action("note", person=d["mine"], at=NOW() - timedelta(days=9), text="Vieux"),
        _action("visit_end", visit_=d["a"], start=NOW().isoformat(),
                end=(NOW() - timedelta(minutes=10)).isoformat()),
        _action("visit_missed", visit_=d["a"], reason="other", comment=""),
        _action("alert", person=d["mine"], kind="missed_visit", description="x"),
    ]).json()["results"]
    assert [r["message"] for r in results] == [
        "Saisie sans identifiant.",
        "Type de saisie inconnu.",
        "Heure de la saisie : heure dans le futur ; vérifiez l'heure du téléphone.",
        "Heure de la saisie : saisie de plus de 7 jours, non appliquée ; signalez-la à la "
        "coordination.",
        "L'heure de départ doit suivre l'heure d'arrivée.",
        "Précisez la raison.",
        "Choisissez le type d'alerte.",
    ]
    assert {r["state"] for r in results} == {"refused"}
    assert Visit.objects.get(pk=d["a"].pk).status == Visit.Status.PLANNED
    assert not LiaisonNote.objects.filter(author=d["aide"]).exists()


def test_a_task_not_done_needs_its_reason_and_nothing_is_half_saved(client, aide_day):
    d = aide_day
    client.force_login(d["aide"])
    device = _device(client)["device"]
    left = NOW() - timedelta(minutes=1)
    result = _sync(client, device, [_action(
        "visit_end", visit_=d["a"], at=left, start=(left - timedelta(minutes=20)).isoformat(),
        end=left.isoformat(), report="Fait",
        tasks=[{"id": str(d["action"].public_id), "done": False, "reason": ""}])]).json()
    assert result["results"][0] == {**result["results"][0], "state": "refused",
                                    "message": "Dites pourquoi « Toilette et lever » n'a pas "
                                               "été faite."}
    a = Visit.objects.get(pk=d["a"].pk)
    assert a.status == Visit.Status.PLANNED and a.report == "" and not VisitTask.objects.exists()


def test_the_my_day_page_links_to_the_offline_day_for_home_care_only(client, users):
    client.force_login(users["care_aide"])
    assert "Ma journée hors ligne" in visible_text(client.get(reverse("visits:my_day")))
    client.force_login(users["activity_leader"])
    assert "Ma journée hors ligne" not in visible_text(client.get(reverse("visits:my_day")))


@pytest.mark.skipif(not __import__("os").environ.get("DATABASE_URL", "").startswith("postgres"),
                    reason="Two requests at once need a server database (SQLite serialises "
                           "writers: the sequential resend above covers it).")
def test_two_sends_at_once_apply_the_action_once(transactional_db, crt_a, users):
    import threading

    from django.db import connection as main_connection
    from django.test import Client

    aide = users["care_aide"]
    b = shared_file(crt_a, aide)
    v = visit(b, aide, starts_at=NOW() - timedelta(minutes=50))
    first = Client()
    first.force_login(aide)
    device = _device(first)["device"]
    left = NOW() - timedelta(minutes=1)
    actions = [_action("visit_end", visit_=v, at=left,
                       start=(left - timedelta(minutes=30)).isoformat(), end=left.isoformat()),
               _action("note", person=b, at=left, category="care", visibility="team",
                       text="Pansement refait")]
    answers, barrier = [], threading.Barrier(2)

    def send():
        from django.db import connection

        client = Client()
        client.force_login(aide)
        barrier.wait()
        answers.append(_sync(client, device, actions).json()["results"])
        connection.close()

    threads = [threading.Thread(target=send) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    main_connection.close()
    assert answers[0] == answers[1]
    assert [r["state"] for r in answers[0]] == ["applied", "applied"]
    assert LiaisonNote.objects.filter(text="Pansement refait").count() == 1
    assert SyncedAction.objects.count() == 2
    assert Visit.objects.get(pk=v.pk).version == 2


@pytest.mark.parametrize("where", ["at", "end", "start"])
def test_an_impossible_date_is_refused_and_the_rest_of_the_send_is_answered(client, aide_day,
                                                                            where):
    """31 February: refused like any unreadable moment, the valid note before it applied, and
    a resend answers both again (the phone learns its note went through)."""
    d = aide_day
    client.force_login(d["aide"])
    device = _device(client)["device"]
    bad_moment = "2026-02-31T10:00:00+01:00"
    left = NOW() - timedelta(minutes=1)
    bad = _action("visit_end", visit_=d["a"], at=left,
                  start=(left - timedelta(minutes=20)).isoformat(), end=left.isoformat())
    if where == "at":
        bad["at"] = bad_moment
    else:
        bad["data"][where] = bad_moment
    actions = [_action("note", person=d["mine"], text="Bonne journée"), bad]
    for _ in range(2):
        response = _sync(client, device, actions)
        assert response.status_code == 200
        results = response.json()["results"]
        assert [r["state"] for r in results] == ["applied", "refused"]
        what = {"at": "Heure de la saisie", "end": "Heure de départ",
                "start": "Heure d'arrivée"}[where]
        assert results[1]["message"] == f"{what} : date et heure illisibles."
    assert LiaisonNote.objects.filter(author=d["aide"]).count() == 1
    assert Visit.objects.get(pk=d["a"].pk).status == Visit.Status.PLANNED


def test_texts_are_cleaned_as_the_web_forms_clean_them(client, aide_day):
    d = aide_day
    client.force_login(d["aide"])
    device = _device(client)["device"]
    results = _sync(client, device, [
        _action("note", person=d["mine"], text="Chute\x00 dans la salle de bain"),
        _action("alert", person=d["mine"], kind="fall", description="Chute\u202e"),
        _action("note", person=d["mine"], text="  Deux lignes\r\nbien écrites  "),
        {**_action("note", person=d["mine"], text="x"), "person": ["liste"]},
    ]).json()["results"]
    assert [(r["state"], r.get("message", "")) for r in results] == [
        ("refused", "Ce texte contient des caractères de contrôle non autorisés (caractères "
                    "invisibles) : retapez-le sans les copier-coller d'un autre document."),
        ("refused", "Ce texte contient des caractères de contrôle non autorisés (caractères "
                    "invisibles) : retapez-le sans les copier-coller d'un autre document."),
        ("applied", ""),
        ("refused", "Saisie mal formée."),
    ]
    assert list(LiaisonNote.objects.filter(author=d["aide"]).values_list("text", flat=True)) \
        == ["Deux lignes\r\nbien écrites"]
