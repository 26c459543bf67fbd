"""The pages: rooms and places kept, month planning, one stay and its steps, occupancy; bad
input, conflicts, who sees guests, query budgets. (Every view × every role and another CRT's
objects are walked by core/tests/test_access.py and test_tenancy.py.)"""

import uuid
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from maillage.admissions.models import Suspension
from maillage.admissions.tests.factories import enrolment
from maillage.beneficiaries.tests.factories import BeneficiaryFactory, shared_file
from maillage.core.models import AuditEvent
from maillage.core.tests.helpers import table_text, visible_text
from maillage.lodging import services
from maillage.lodging.models import Room, Stay
from maillage.territory.tests.factories import OrganizationFactory

from .factories import room, stay

TODAY = timezone.localdate()


def days(n: int) -> date:
    return TODAY + timedelta(days=n)


def iso(d: date) -> str:
    return d.isoformat()


@pytest.fixture
def emergency(crt_a):
    return room(crt_a, name="Chambre d'urgence")


@pytest.fixture
def enrolled(crt_a):
    b = BeneficiaryFactory(crt=crt_a, birth_name="HAMON", first_name="Jeanne")
    enrolment(b, admitted_on=date(2025, 1, 6))
    return b


def guest_form(r, start, end, **extra):
    return {"room": str(r.public_id), "guest_last_name": "Lemaire", "guest_first_name": "Odette",
            "reason": "caregiver_hospitalised", "planned_start": iso(start),
            "planned_end": iso(end), **extra}


class TestRoomPages:
    def test_rooms_page_shows_occupant_next_stays_and_overdue_arrivals(
            self, client, users, crt_a, emergency, enrolled):
        actor = users["coordinator"]
        services.stay_create(actor=actor, crt=crt_a, room=emergency, beneficiary=enrolled,
                             reason="crisis", planned_start=days(-2), planned_end=days(5),
                             actual_start=days(-2))
        stay(crt_a, room_=emergency, planned_start=days(8), guest_last_name="Suivante")
        stay(crt_a, room_=room(crt_a, name="HT Val d'Erdre", kind="partner_ht"),
             planned_start=days(-1), guest_last_name="Retard")
        client.force_login(actor)
        response = client.get(reverse("lodging:rooms"))
        rows = table_text(response)
        assert f"HAMON Jeanne depuis le {days(-2):%d/%m/%Y}" in rows
        assert f"SUIVANTE Odette hors file active : du {days(8):%d/%m/%Y}" in rows
        assert "RETARD Odette hors file active : arrivée prévue" in rows
        assert "à enregistrer ou annuler" in rows
        # The place-kept panel: Jeanne is in the emergency room today.
        text = visible_text(response)
        assert "pendant 90 jours (valeur par défaut)" in text
        assert "Séjour en chambre d'urgence / hébergement temporaire — Chambre d'urgence" in text

    def test_create_a_room_and_bad_input(self, client, users, crt_a):
        client.force_login(users["coordinator"])
        url = reverse("lodging:room_create")
        page = client.get(url).content.decode()
        assert 'name="daily_charge"' in page and 'name="daily_charge" value' not in page
        response = client.post(url, {"name": "Place HTSH", "kind": "partner_htsh"})
        assert response.status_code == 400
        assert "Indiquez la structure partenaire" in visible_text(response)
        org = OrganizationFactory(crt=crt_a, kind="hospital", name="Hôpital local du Segréen")
        response = client.post(url, {"name": "Place HTSH", "kind": "partner_htsh",
                                     "organization": str(org.public_id), "is_active": "on"})
        assert response.status_code == 302
        room_ = Room.objects.get(name="Place HTSH")
        assert (room_.daily_charge, room_.max_stay_days) == (Decimal("20.00"), 30)
        page = table_text(client.get(reverse("lodging:rooms")))
        assert "20,00 € par jour" in page and "Hôpital local du Segréen" in page
        response = client.post(url, {"name": "X", "kind": "partner_ht",
                                     "organization": str(org.public_id),
                                     "daily_charge": "-3"})
        assert response.status_code == 400
        assert "ne peut pas être négatif" in visible_text(response)

    def test_stale_room_edit_answers_409(self, client, users, crt_a, emergency):
        client.force_login(users["direction"])
        url = reverse("lodging:room_edit", kwargs={"public_id": emergency.public_id})
        data = {"name": "Chambre d'urgence", "kind": "crt_emergency", "max_stay_days": "21",
                "is_active": "on", "version": emergency.version}
        assert client.post(url, data).status_code == 302
        response = client.post(url, {**data, "max_stay_days": "14"})
        assert response.status_code == 409
        emergency.refresh_from_db()
        assert emergency.max_stay_days == 21

    def test_settings(self, client, users, crt_a):
        client.force_login(users["coordinator"])
        url = reverse("lodging:settings")
        response = client.post(url, {"place_kept_days": "0", "version": "1"})
        assert response.status_code == 400
        assert "Un jour au moins." in visible_text(response)
        assert client.post(url, {"place_kept_days": "30", "version": "1"}).status_code == 302
        assert "pendant 30 jours ." in visible_text(client.get(reverse("lodging:rooms")))


class TestStayPages:
    def test_book_a_guest_then_overlap_and_bad_input_are_refused(self, client, users, crt_a,
                                                                emergency):
        client.force_login(users["admin_staff"])
        url = reverse("lodging:stay_create")
        response = client.post(url, guest_form(emergency, days(3), days(10)))
        assert response.status_code == 302
        first = Stay.objects.get()
        assert response["Location"] == reverse("lodging:stay_detail",
                                               kwargs={"public_id": first.public_id})
        response = client.post(url, guest_form(emergency, days(5), days(7),
                                               guest_last_name="Berthelot"))
        assert response.status_code == 400
        assert (f"La chambre « Chambre d'urgence » est déjà prise du {days(3):%d/%m/%Y} au "
                f"{days(10):%d/%m/%Y}") in visible_text(response)
        for data, message in (
            (guest_form(emergency, days(20), days(19)), "au moins le lendemain"),
            (guest_form(emergency, days(20), days(25), guest_last_name=""),
             "indiquez le nom de la personne accueillie"),
            (guest_form(emergency, days(20), days(60)), "dépasse la durée maximale"),
            ({**guest_form(emergency, days(20), days(25)), "planned_start": "31/02/2026"},
             "Date invalide."),
            ({**guest_form(emergency, days(20), days(25)), "room": str(uuid.uuid4())},
             "Chambre inconnue."),
            ({**guest_form(emergency, days(20), days(25)), "room": "pas-une-chambre"},
             "pas un UUID valide"),
        ):
            response = client.post(url, data)
            assert response.status_code == 400, message
            assert message in visible_text(response), message
        assert Stay.objects.count() == 1
        justified = guest_form(emergency, days(20), days(60),
                               over_max_justification="Attente d'une place en EHPAD")
        assert client.post(url, justified).status_code == 302

    def test_a_room_of_another_crt_cannot_be_booked(self, client, users, crt_a, crt_b):
        client.force_login(users["coordinator"])
        response = client.post(reverse("lodging:stay_create"),
                               guest_form(room(crt_b, name="Ailleurs"), days(1), days(3)))
        assert response.status_code == 400
        assert not Stay.objects.exists()

    def test_arrival_and_departure_of_a_beneficiary_from_the_pages(self, client, users, crt_a,
                                                                  enrolled):
        client.force_login(users["nurse"])
        htsh = room(crt_a, name="HTSH Segré", kind="partner_htsh")
        response = client.post(reverse("lodging:stay_create"), {
            "room": str(htsh.public_id), "beneficiary": str(enrolled.public_id),
            "reason": "hospital_return", "planned_start": iso(days(-4)),
            "planned_end": iso(days(6))})
        assert response.status_code == 302
        s = Stay.objects.get()
        detail = reverse("lodging:stay_detail", kwargs={"public_id": s.public_id})
        start = reverse("lodging:stay_start", kwargs={"public_id": s.public_id})
        assert client.post(start, {"actual_start": iso(days(1)), "version": s.version}
                           ).status_code == 400
        assert client.post(start, {"actual_start": iso(days(-4)), "version": s.version}
                           ).status_code == 302
        suspension = Suspension.objects.get()
        assert suspension.kind == "temporary_room" and suspension.end_date is None
        page = visible_text(client.get(detail))
        assert "10 jours × 20,00 € = 200,00 € (prévisionnel)" in page
        assert f"Sortie temporaire du {days(-4):%d/%m/%Y} (en cours)" in page
        # Someone else's stale form: 409, nothing changed.
        end = reverse("lodging:stay_end", kwargs={"public_id": s.public_id})
        assert client.post(end, {"actual_end": iso(days(0)), "version": s.version}
                           ).status_code == 409
        s.refresh_from_db()
        assert client.post(end, {"actual_end": iso(days(0)), "version": s.version}
                           ).status_code == 302
        suspension.refresh_from_db()
        assert suspension.end_date == days(0)
        page = visible_text(client.get(detail))
        assert "4 jours × 20,00 € = 80,00 €" in page and "prévisionnel" not in page
        assert AuditEvent.objects.filter(action="stay.viewed",
                                         beneficiary_public_id=enrolled.public_id).exists()

    def test_cancel_from_the_page(self, client, users, crt_a, emergency):
        s = stay(crt_a, room_=emergency)
        client.force_login(users["coordinator"])
        url = reverse("lodging:stay_cancel", kwargs={"public_id": s.public_id})
        response = client.post(url, {"reason": "", "version": s.version})
        assert response.status_code == 400
        assert "Indiquez le motif de l'annulation." in visible_text(response)
        assert client.post(url, {"reason": "L'aidante rentre", "version": s.version}
                           ).status_code == 302
        s.refresh_from_db()
        assert s.status == "cancelled"
        response = client.post(url, {"reason": "Encore", "version": s.version})
        assert response.status_code == 409

    def test_edit_keeps_the_values_and_moves_the_stay(self, client, users, crt_a, emergency):
        s = stay(crt_a, room_=emergency, planned_start=days(3))
        client.force_login(users["coordinator"])
        url = reverse("lodging:stay_edit", kwargs={"public_id": s.public_id})
        page = client.get(url).content.decode()
        assert 'value="Lemaire"' in page and f'value="{iso(days(3))}"' in page
        response = client.post(url, {**guest_form(emergency, days(4), days(9)),
                                     "version": s.version})
        assert response.status_code == 302
        s.refresh_from_db()
        assert (s.planned_start, s.planned_end, s.version) == (days(4), days(9), 2)

    def test_month_planning_and_filters(self, client, users, crt_a, crt_b, emergency, enrolled):
        services.stay_create(actor=users["coordinator"], crt=crt_a, room=emergency,
                             beneficiary=enrolled, reason="crisis",
                             planned_start=date(2026, 1, 29), planned_end=date(2026, 2, 3),
                             actual_start=date(2026, 1, 29), actual_end=date(2026, 2, 2))
        other = room(crt_a, name="HT", kind="partner_ht")
        stay(crt_a, room_=other, planned_start=date(2026, 2, 10), guest_last_name="Rivière")
        client.force_login(users["coordinator"])
        response = client.get(reverse("lodging:stays"), {"mois": "2026-02"})
        text = visible_text(response)
        assert "Février 2026" in text
        assert "HAMON Jeanne" in text and "RIVIÈRE Odette" in text
        assert "JH" in text  # initials in the grid
        filtered = visible_text(client.get(reverse("lodging:stays"), {
            "mois": "2026-02", "chambre": str(other.public_id)}))
        assert "RIVIÈRE Odette" in filtered and "HAMON Jeanne" not in filtered
        # Another CRT's room is ignored (every room shown), a bad month falls back to today.
        foreign = client.get(reverse("lodging:stays"), {
            "mois": "2026-02", "chambre": str(room(crt_b, name="B").public_id)})
        assert "HAMON Jeanne" in visible_text(foreign)
        for bad in ("2026-13", "abc", "0-1", "99999-01"):
            assert client.get(reverse("lodging:stays"), {"mois": bad}).status_code == 200

    def test_one_persons_stays_are_audited_and_tenant_scoped(self, client, users, crt_a, crt_b,
                                                            emergency, enrolled):
        stay(crt_a, beneficiary=enrolled, room_=emergency)
        client.force_login(users["coordinator"])
        response = client.get(reverse("lodging:stays"), {"personne": str(enrolled.public_id)})
        assert "Séjours en chambre temporaire — HAMON Jeanne" in visible_text(response)
        assert AuditEvent.objects.filter(action="stays.viewed",
                                         beneficiary_public_id=enrolled.public_id).exists()
        elsewhere = BeneficiaryFactory(crt=crt_b)
        assert client.get(reverse("lodging:stays"), {"personne": str(elsewhere.public_id)}
                          ).status_code == 404
        assert client.get(reverse("lodging:stays"), {"personne": "x"}).status_code == 404


class TestWhoSeesGuests:
    def test_guests_only_for_lodging_roles(self, client, users, crt_a, emergency):
        stay(crt_a, room_=emergency, guest_last_name="Confidentiel")
        for role in ("activity_leader", "partner", "caregiver", "ars", "auditor"):
            client.force_login(users[role])
            response = client.get(reverse("lodging:stays"))
            assert response.status_code == 403, role
            assert "CONFIDENTIEL" not in response.content.decode()

    def test_the_file_shows_the_stays_to_lodging_roles_only(self, client, users, crt_a,
                                                           emergency):
        b = shared_file(crt_a, users["partner"], {"partner"})
        stay(crt_a, beneficiary=b, room_=emergency, planned_start=days(2))
        url = reverse("beneficiaries:detail", kwargs={"public_id": b.public_id})
        client.force_login(users["coordinator"])
        text = visible_text(client.get(url))
        assert (f"Chambre temporaire : prévu, Chambre d'urgence du {days(2):%d/%m/%Y}"
                in text)
        client.force_login(users["partner"])
        response = client.get(url)
        assert response.status_code == 200
        assert "Chambre temporaire" not in visible_text(response)


class TestOccupancyPage:
    def test_rates_per_room_and_month(self, client, users, crt_a, emergency):
        first = date(TODAY.year, TODAY.month, 1)
        last_month_end = first - timedelta(days=1)
        start = date(last_month_end.year, last_month_end.month, 1)
        services.stay_create(actor=users["coordinator"], crt=crt_a, room=emergency,
                             guest_last_name="Lemaire", reason="crisis",
                             planned_start=start, planned_end=start + timedelta(days=10),
                             actual_start=start, actual_end=start + timedelta(days=10))
        client.force_login(users["direction"])
        response = client.get(reverse("lodging:occupancy"))
        text = visible_text(response)
        nights = last_month_end.day
        rate = (Decimal(1000) / nights).quantize(Decimal("0.1"))
        assert f"{rate} %".replace(".", ",") in text
        assert f"10/{nights} nuits" in text
        assert "Toutes les chambres" in text


def _count(client, url, params=None) -> int:
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url, params or {}).status_code == 200
    return len(ctx.captured_queries)


def test_list_pages_have_a_fixed_query_budget(client, users, crt_a):
    """Rooms, month planning and occupancy stay flat as rooms and stays grow (the coordinator
    pays one more query for the « Messages » badge)."""
    actor = users["coordinator"]

    def populate(n):
        for i in range(n):
            r = room(crt_a, name=f"Chambre {Room.objects.count() + 1}",
                     kind=["crt_emergency", "partner_ht", "partner_htsh"][i % 3])
            b = BeneficiaryFactory(crt=crt_a)
            enrolment(b, admitted_on=date(2025, 1, 6))
            services.stay_create(actor=actor, crt=crt_a, room=r, beneficiary=b,
                                 reason="crisis", planned_start=days(-3), planned_end=days(4),
                                 actual_start=days(-3))
            stay(crt_a, room_=r, planned_start=days(5))
            stay(crt_a, room_=r, planned_start=days(-20), guest_last_name="Ancien")

    client.force_login(actor)
    client.get(reverse("lodging:rooms"))  # the session's refresh (once a minute) not counted
    pages = [(reverse("lodging:rooms"), None), (reverse("lodging:stays"), None),
             (reverse("lodging:occupancy"), None)]
    populate(1)
    before = [_count(client, url, params) for url, params in pages]
    populate(4)
    after = [_count(client, url, params) for url, params in pages]
    assert after == before
    # 13: the « Messages » badge of a user without a stored counter yet is its rule (+1).
    assert max(after) <= 13, after


def test_stay_policy_faces_agree(users, crt_a, crt_b):
    """``s in stays_visible(…)`` iff ``can_view_stay(…)``, for every role × stay."""
    from maillage.core.roles import Role
    from maillage.lodging.access import can_view_stay, stays_visible

    from .factories import stay

    stays = [stay(crt_a), stay(crt_b)]
    for role, user in users.items():
        roles = frozenset({Role(role)})
        visible = set(stays_visible(crt=crt_a, user=user, roles=roles))
        for s in stays:
            allowed = s.crt_id == crt_a.id and can_view_stay(user=user, roles=roles, stay=s)
            assert (s in visible) == allowed, role
    assert stays[0] in stays_visible(crt=crt_a, user=users["coordinator"],
                                     roles=frozenset({Role.COORDINATOR}))
    assert not stays_visible(crt=crt_a, user=users["activity_leader"],
                             roles=frozenset({Role.ACTIVITY_LEADER}))
