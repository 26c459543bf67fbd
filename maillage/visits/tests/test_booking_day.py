"""The booking form's « Journée de … » panel: the chosen professional's visits of the day in
this CRT, her rest after a night, her hours in another CRT (the hours only) and the free gaps
between 07:00 and 21:00; refreshed by htmx, or by « Voir sa journée » without JavaScript."""

import html
import re
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from maillage.beneficiaries.models import CareTeamMember
from maillage.beneficiaries.tests.factories import (
    BeneficiaryFactory,
    consent,
    join_care_team,
    shared_file,
)
from maillage.care.tests import factories as care
from maillage.core.roles import Role
from maillage.core.tests.helpers import visible_text
from maillage.territory.models import Professional
from maillage.territory.tests.factories import ProfessionalFactory
from maillage.visits import booking_day, selectors
from maillage.visits.models import Visit
from maillage.visits.services import local_dt

from .factories import visit

TOMORROW = timezone.localdate() + timedelta(days=1)
YESTERDAY_OF_IT = TOMORROW - timedelta(days=1)
URL = reverse("visits:booking_day")


def _summary(response) -> str:
    found = re.search(r'data-booking-day-summary="([^"]*)"', response.content.decode())
    return html.unescape(found.group(1))


def _panel(client, who, day=TOMORROW, *, field="staff"):
    return client.get(URL, {field: str(who.public_id), "start_date": str(day)})


@pytest.fixture
def b(crt_a, users):
    person = shared_file(crt_a, users["care_aide"])
    person.birth_name, person.first_name = "HAMON", "Jeanne"
    person.save()
    return person


@pytest.fixture
def aide_day(b, users):
    """The care aide's day: a night sitting ending at 07:20, 09:00–10:30 at Mrs Hamon's,
    10:45–11:00, a cancelled visit in the afternoon, an evening sitting 20:30 → 00:30."""
    aide = users["care_aide"]
    toilette = care.service(b.crt, name="Toilette")
    evening = local_dt(YESTERDAY_OF_IT, "21:30")
    visit(b, aide, starts_at=evening, minutes=int((local_dt(TOMORROW, "07:20") - evening)
                                                  .total_seconds() // 60))
    visit(b, aide, starts_at=local_dt(TOMORROW, "09:00"), minutes=90, service=toilette)
    visit(b, aide, starts_at=local_dt(TOMORROW, "10:45"), minutes=15)
    visit(b, aide, starts_at=local_dt(TOMORROW, "13:00"), minutes=120,
          status=Visit.Status.CANCELLED)
    visit(b, aide, starts_at=local_dt(TOMORROW, "20:30"), minutes=240)
    # A colleague's visit the same day is not hers.
    visit(b, users["nurse"], starts_at=local_dt(TOMORROW, "15:00"), minutes=60)
    return aide


class TestAccess:
    def test_the_coordinator_sees_the_day(self, client, users, aide_day):
        client.force_login(users["coordinator"])
        response = _panel(client, aide_day)
        assert response.status_code == 200
        text = visible_text(response)
        name = aide_day.get_full_name() or aide_day.username
        assert f"Journée de {name} le {TOMORROW:%d/%m/%Y}" in text
        assert "09:00–10:30 · HAMON Jeanne · Toilette" in text

    def test_a_care_aide_may_not(self, client, users, aide_day):
        client.force_login(users["care_aide"])
        response = _panel(client, aide_day)
        assert response.status_code == 403
        assert "HAMON" not in response.content.decode()

    def test_another_crt_s_professional_is_not_found(self, client, users, crt_b, make_user):
        other = make_user(crt_b, Role.CARE_AIDE)
        visit(shared_file(crt_b, other), other, starts_at=local_dt(TOMORROW, "09:00"))
        partner = ProfessionalFactory(crt=crt_b)
        client.force_login(users["coordinator"])
        assert _panel(client, other).status_code == 404
        assert _panel(client, partner, field="professional").status_code == 404
        assert client.get(URL, {"staff": "pas-un-identifiant"}).status_code == 404

    def test_a_bad_date_is_said_in_french(self, client, users, aide_day):
        client.force_login(users["coordinator"])
        for raw in ("31/02/2026", "0001-01-01", "demain"):
            response = client.get(URL, {"staff": str(aide_day.public_id), "start_date": raw})
            assert response.status_code == 400
            assert "Date invalide : attendu AAAA-MM-JJ" in visible_text(response)
        response = client.get(URL, {"staff": str(aide_day.public_id), "start_date": ""})
        assert "Indiquez la date pour voir sa journée." in visible_text(response)

    def test_nothing_chosen_yet(self, client, users):
        client.force_login(users["coordinator"])
        response = client.get(URL)
        assert response.status_code == 200
        assert "Choisissez un membre de l'équipe ou un partenaire" in visible_text(response)


class TestDay:
    def test_free_gaps_around_her_visits_and_across_midnight(self, client, users, aide_day):
        client.force_login(users["coordinator"])
        text = visible_text(_panel(client, aide_day))
        assert "21:30 (veille)–07:20 · HAMON Jeanne · Passage" in text
        assert "20:30–00:30 (lendemain)" in text
        assert "13:00" not in text  # cancelled
        assert "15:00" not in text  # a colleague's
        # 10:30–10:45 is too short; the evening sitting cuts the day at 20:30.
        assert re.findall(r"Libre de (\d\d:\d\d à \d\d:\d\d)", text) == [
            "07:20 à 09:00", "11:00 à 20:30"]

    def test_a_free_day(self, client, users):
        client.force_login(users["coordinator"])
        text = visible_text(_panel(client, users["nurse"]))
        assert "Aucun passage ce jour-là." in text
        assert "Libre de 07:00 à 21:00" in text

    def test_what_a_screen_reader_hears_when_the_panel_changes(self, client, users, aide_day):
        """booking_day.js copies this summary into the status line beside the panel."""
        client.force_login(users["coordinator"])
        name = aide_day.get_full_name() or aide_day.username
        assert _summary(_panel(client, aide_day)) == (
            f"Journée de {name} le {TOMORROW:%d/%m/%Y} : 4 plages occupées, "
            "2 créneaux libres.")
        nurse, doctor = users["nurse"], users["doctor"]
        assert _summary(_panel(client, nurse)) == (  # a colleague's visit at 15:00
            f"Journée de {nurse.get_full_name() or nurse.username} le {TOMORROW:%d/%m/%Y} : "
            "1 plage occupée, 2 créneaux libres.")
        assert _summary(_panel(client, doctor)) == (
            f"Journée de {doctor.get_full_name() or doctor.username} le {TOMORROW:%d/%m/%Y} : "
            "aucune plage occupée, 1 créneau libre.")
        bad = client.get(URL, {"staff": str(aide_day.public_id), "start_date": "demain"})
        assert _summary(bad).startswith("Date invalide : attendu AAAA-MM-JJ")
        assert _summary(client.get(URL)) == ""

    def test_a_partner_of_the_directory(self, client, users, b):
        pro = ProfessionalFactory(crt=b.crt, first_name="Paul", last_name="Kiné")
        visit(b, starts_at=local_dt(TOMORROW, "08:00"), minutes=60, professional=pro)
        client.force_login(users["coordinator"])
        text = visible_text(_panel(client, pro, field="professional"))
        assert f"Journée de Paul Kiné le {TOMORROW:%d/%m/%Y}" in text
        assert re.findall(r"Libre de (\d\d:\d\d à \d\d:\d\d)", text) == [
            "07:00 à 08:00", "09:00 à 21:00"]

    def test_her_rest_after_a_night(self, client, users, b):
        """A night visit ending at 23:45: her 11 hours of rest run to 10:45."""
        aide = users["care_aide"]
        visit(b, aide, starts_at=local_dt(YESTERDAY_OF_IT, "23:00"), minutes=45)
        client.force_login(users["coordinator"])
        text = visible_text(_panel(client, aide))
        assert "Repos après la nuit jusqu'à 10:45" in text
        assert "Libre de 10:45 à 21:00" in text

    def test_hours_in_another_crt_without_anything_of_it(self, client, users, crt_a, crt_b,
                                                        nurse):
        elsewhere = shared_file(crt_b, nurse)
        elsewhere.birth_name, elsewhere.first_name = "VERRIER", "Octave"
        elsewhere.save()
        visit(elsewhere, nurse, starts_at=local_dt(TOMORROW, "14:00"), minutes=60,
              service=care.service(crt_b, name="Coucher renforcé Baugeois"))
        client.force_login(users["coordinator"])
        text = visible_text(_panel(client, nurse))
        assert "14:00–15:00 · Occupé·e (autre CRT)" in text
        assert "Libre de 07:00 à 14:00" in text and "Libre de 15:00 à 21:00" in text
        for secret in ("VERRIER", "Octave", "Coucher renforcé", "CRT B"):
            assert secret not in text

    def test_a_person_the_reader_may_not_see_is_a_passage(self, crt_a, users, b,
                                                          make_user):
        """Read through the policies: a partner sees by name the person of her care team who
        shares identity and planning; not the one who shares her planning only, nor someone
        she does not follow (« Passage », without name nor service)."""
        partner = make_user(crt_a, Role.PARTNER)
        mine = shared_file(crt_a, partner, {Role.PARTNER})
        mine.birth_name = "VISIBLE"
        mine.save()
        pro = Professional.objects.get(crt=crt_a, user=partner)
        planning_only = BeneficiaryFactory(crt=crt_a, birth_name="PLANNINGSEUL")
        consent(planning_only, share_identity=False)
        join_care_team(planning_only, partner)
        CareTeamMember.objects.filter(beneficiary=planning_only).update(user=None,
                                                                       professional=pro)
        hidden = BeneficiaryFactory(crt=crt_a, birth_name="CACHEE")
        for person, at in ((mine, "09:00"), (planning_only, "10:00"), (hidden, "11:00")):
            visit(person, starts_at=local_dt(TOMORROW, at), professional=pro,
                  service=care.service(crt_a, name=f"Soin {at}"))
        day = booking_day.booking_day(crt=crt_a, user=partner, roles={Role.PARTNER},
                                      kind="professional", who=pro, day=TOMORROW,
                                      sees_elsewhere=False)
        labels = [b.label for b in day.busy]
        assert labels[0].startswith("VISIBLE") and labels[0].endswith("· Soin 09:00")
        assert labels[1:] == ["Passage", "Passage"]
        # Her planning she does see (the visits' policy): only her identity is withheld.
        assert selectors.visible_visits(crt=crt_a, user=partner, roles={Role.PARTNER}).filter(
            beneficiary=planning_only).exists()

    def test_the_query_count_does_not_grow_with_her_visits(self, client, users, b, nurse):
        client.force_login(users["coordinator"])
        visit(b, nurse, starts_at=local_dt(TOMORROW, "07:00"))
        _panel(client, nurse)
        with CaptureQueriesContext(connection) as one:
            _panel(client, nurse)
        for hour in range(8, 20):
            visit(b, nurse, starts_at=local_dt(TOMORROW, f"{hour:02d}:00"), minutes=20,
                  service=care.service(b.crt, name=f"Soin {hour}"))
        with CaptureQueriesContext(connection) as many:
            text = visible_text(_panel(client, nurse))
        assert "19:00–19:20" in text
        assert len(many.captured_queries) == len(one.captured_queries)
        # Session, user, roles (3); her account; her visits; her rest (``rounds.rest``: 6);
        # her hours elsewhere; the context's notification and unread counters (2 or 3).
        assert len(many.captured_queries) <= 15


class TestBookingForm:
    def test_the_form_has_the_panel(self, client, users, b):
        client.force_login(users["coordinator"])
        response = client.get(reverse("visits:plan", kwargs={"public_id": b.public_id}))
        html = response.content.decode()
        assert 'aria-labelledby="booking-day-title"' in html
        assert f'hx-get="{URL}"' in html
        assert "Journée de l'intervenant·e" in visible_text(response)

    def test_voir_sa_journee_without_javascript(self, client, users, b, aide_day):
        client.force_login(users["coordinator"])
        url = reverse("visits:plan", kwargs={"public_id": b.public_id})
        response = client.post(url, {
            "start_date": TOMORROW, "times": "11:00", "duration_minutes": 45,
            "staff": aide_day.public_id, "place": "home", "recurrence": "once",
            "instructions": "Douche", "journee": "1"})
        assert response.status_code == 200
        text = visible_text(response)
        assert "Libre de 11:00 à 20:30" in text
        html = response.content.decode()
        assert 'value="Douche"' in html and 'value="11:00"' in html  # kept as typed
        assert not Visit.objects.filter(instructions="Douche").exists()


class TestEditForm:
    """Moving one visit: the same panel beside its edit form, that visit's hours left free."""

    def _moved(self, aide_day):
        return Visit.objects.get(staff=aide_day, starts_at=local_dt(TOMORROW, "09:00"))

    def test_the_edit_form_shows_her_day_without_the_visit_moved(self, client, users,
                                                                 aide_day):
        moved = self._moved(aide_day)
        client.force_login(users["coordinator"])
        response = client.get(reverse("visits:edit", kwargs={"visit_id": moved.public_id}))
        assert response.status_code == 200
        text = visible_text(response)
        name = aide_day.get_full_name() or aide_day.username
        assert f"Journée de {name} le {TOMORROW:%d/%m/%Y}" in text
        # 09:00–10:30 is the visit being moved: free; 10:45–11:00 is not.
        assert "09:00–10:30" not in text
        assert re.findall(r"Libre de (\d\d:\d\d à \d\d:\d\d)", text) == [
            "07:20 à 10:45", "11:00 à 20:30"]
        assert f'hx-get="{URL}?passage={moved.public_id}"' in response.content.decode()

    def test_the_panel_leaves_the_moved_visit_out(self, client, users, aide_day):
        moved = self._moved(aide_day)
        client.force_login(users["coordinator"])
        text = visible_text(client.get(URL, {"staff": str(aide_day.public_id),
                                             "day": str(TOMORROW),
                                             "passage": str(moved.public_id)}))
        assert "Libre de 07:20 à 10:45" in text
        # Without it, the visit's hours are taken.
        assert "Libre de 07:20 à 09:00" in visible_text(_panel(client, aide_day))

    def test_a_visit_of_another_crt_or_unknown_is_not_found(self, client, users, aide_day,
                                                            crt_b, make_user):
        other = make_user(crt_b, Role.CARE_AIDE)
        theirs = visit(shared_file(crt_b, other), other, starts_at=local_dt(TOMORROW, "09:00"))
        client.force_login(users["coordinator"])
        for passage in (str(theirs.public_id), "pas-un-identifiant"):
            assert client.get(URL, {"staff": str(aide_day.public_id), "day": str(TOMORROW),
                                    "passage": passage}).status_code == 404

    def test_a_care_aide_may_not_edit(self, client, users, aide_day):
        moved = self._moved(aide_day)
        client.force_login(users["care_aide"])
        assert client.get(reverse("visits:edit",
                                  kwargs={"visit_id": moved.public_id})).status_code == 403
        assert client.get(URL, {"staff": str(aide_day.public_id), "day": str(TOMORROW),
                                "passage": str(moved.public_id)}).status_code == 403

    def test_voir_sa_journee_without_javascript(self, client, users, aide_day, nurse):
        moved = self._moved(aide_day)
        client.force_login(users["coordinator"])
        response = client.post(reverse("visits:edit", kwargs={"visit_id": moved.public_id}), {
            "day": TOMORROW, "start_time": "15:30", "duration_minutes": 30,
            "staff": nurse.public_id, "place": "home", "instructions": "Déplacé",
            "version": moved.version, "journee": "1"})
        assert response.status_code == 200
        text = visible_text(response)
        name = nurse.get_full_name() or nurse.username
        assert f"Journée de {name} le {TOMORROW:%d/%m/%Y}" in text
        assert 'value="15:30"' in response.content.decode()  # kept as typed
        moved.refresh_from_db()
        assert moved.staff == aide_day and moved.instructions != "Déplacé"
