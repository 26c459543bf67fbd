"""The on-call service: rota coverage (public holidays, daylight saving), the call log rules,
who is told about a call (consent), break the glass only during one's open call, the search."""

from datetime import UTC, date, datetime, time, timedelta

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from maillage.beneficiaries.tests.factories import (
    BeneficiaryFactory,
    CaregiverFactory,
    consent,
    join_care_team,
    shared_file,
)
from maillage.core.errors import ConflictError, DomainError
from maillage.core.models import AuditEvent
from maillage.core.tests.helpers import field_error, visible_text
from maillage.oncall import rota, selectors, services
from maillage.oncall.access import emergency_access
from maillage.oncall.models import BreakGlass, Call, Shift

from .factories import call, shift


def paris(*args) -> datetime:
    return timezone.make_aware(datetime(*args))


# --- Calendar and coverage -------------------------------------------------------------------


class TestCalendar:
    def test_public_holidays_include_the_easter_based_ones(self):
        assert rota.holiday_name(date(2026, 4, 6)) == "Lundi de Pâques"
        assert rota.holiday_name(date(2026, 5, 14)) == "Ascension"
        assert rota.holiday_name(date(2026, 5, 25)) == "Lundi de Pentecôte"
        assert rota.holiday_name(date(2027, 3, 29)) == "Lundi de Pâques"
        assert rota.holiday_name(date(2026, 7, 14)) == "Fête nationale"
        assert rota.holiday_name(date(2026, 7, 15)) is None

    @pytest.mark.parametrize("moment, kind", [
        (paris(2026, 11, 24, 10, 0), "day"),          # a Tuesday
        (paris(2026, 11, 24, 21, 0), "night"),
        (paris(2026, 11, 25, 3, 0), "night"),         # Tuesday's night
        (paris(2026, 11, 28, 10, 0), "weekend"),      # Saturday
        (paris(2026, 11, 30, 2, 0), "weekend"),       # Sunday's night
        (paris(2026, 11, 11, 15, 0), "holiday"),      # Armistice, a Wednesday
        (paris(2026, 11, 12, 2, 0), "holiday"),       # the holiday's night
        (paris(2026, 11, 12, 9, 0), "day"),
    ])
    def test_slot_kind(self, moment, kind):
        assert rota.slot_kind(moment) == kind


class TestCoverage:
    def test_a_full_rota_has_no_gap(self, crt_a, users):
        start = paris(2026, 12, 1, 8, 0)
        for offset in range(3):
            shift(crt_a, users["nurse"], start=start + timedelta(days=offset), hours=24)
        assert rota.coverage_gaps(Shift.objects.all(), start=start, days=3) == []

    def test_a_missing_night_and_a_missing_traveller(self, crt_a, users):
        start = paris(2026, 12, 1, 8, 0)
        shift(crt_a, users["nurse"], start=start, hours=12)  # day only
        shift(crt_a, users["care_aide"], start=start + timedelta(hours=12), hours=12,
              duty=Shift.Duty.ANSWER)  # the night: someone answers, nobody travels
        gaps = rota.coverage_gaps(Shift.objects.all(), start=start, days=1)
        assert [(g.kind, g.hours) for g in gaps] == [("travel", 12)]
        assert gaps[0].start == paris(2026, 12, 1, 20, 0)
        assert gaps[0].slot_labels == "nuit"

    def test_daylight_saving_nights_are_checked_hour_by_hour(self, crt_a, users):
        # 25 October 2026: clocks go back, the night 20:00 → 08:00 lasts 13 hours.
        night = rota.preset_bounds(date(2026, 10, 24), "night")
        assert night[1].astimezone(UTC) - night[0].astimezone(UTC) == timedelta(hours=13)
        shift(crt_a, users["nurse"], start=night[0], hours=12)  # one hour short
        gaps = rota.coverage_gaps(Shift.objects.all(), start=night[0], days=1)
        answer = [g for g in gaps if g.kind == "answer"]
        assert answer[0].start.astimezone(UTC) == night[1].astimezone(UTC) - timedelta(hours=1)
        # 29 March 2026: clocks go forward, the night lasts 11 hours.
        spring = rota.preset_bounds(date(2026, 3, 28), "night")
        assert spring[1].astimezone(UTC) - spring[0].astimezone(UTC) == timedelta(hours=11)

    def test_gaps_on_a_public_holiday_are_labelled(self, crt_a):
        gaps = rota.coverage_gaps([], start=paris(2026, 12, 25, 8, 0), days=1)
        assert {g.kind for g in gaps} == {"answer", "travel"}
        assert "jour férié" in gaps[0].slot_labels

    def test_rota_page_shows_the_gap(self, crt_a, users, client):
        now = timezone.now()
        shift(crt_a, users["nurse"], start=now - timedelta(hours=1), hours=24 * 31,
              duty=Shift.Duty.ANSWER)
        shift(crt_a, users["care_aide"], start=now - timedelta(hours=1), hours=24 * 10,
              duty=Shift.Duty.TRAVEL)
        client.force_login(users["coordinator"])
        page = visible_text(client.get(reverse("oncall:rota")))
        assert "1 trou dans le planning :" in page and "(s)" not in page
        assert "Personne pour se déplacer au domicile" in page

    @pytest.mark.parametrize("days, message", [
        ("1", "1 tour d'astreinte ajouté."), ("3", "3 tours d'astreinte ajoutés.")])
    def test_shifts_added_message_agrees(self, crt_a, users, client, days, message):
        client.force_login(users["coordinator"])
        response = client.post(reverse("oncall:shift_add"), {
            "preset": "night", "first_day": "2026-12-14", "days": days, "duty": "answer",
            "staff": users["nurse"].public_id}, follow=True)
        assert message in visible_text(response)


class TestRotaWrites:
    def test_a_week_of_nights(self, crt_a, users):
        created = services.shifts_add(actor=users["coordinator"], crt=crt_a, preset="night",
                                      first_day=date(2026, 12, 7), days=7,
                                      staff=users["nurse"], duty="answer_travel")
        assert len(created) == 7
        assert timezone.localtime(created[0].starts_at).hour == 20
        assert timezone.localtime(created[0].ends_at).date() == date(2026, 12, 8)

    @pytest.mark.parametrize("fields, message", [
        ({"staff": None}, "qui est d'astreinte"),
        ({"days": 40}, "Entre 1 et 31 jours"),
        ({"preset": "custom"}, "le début et la fin"),
    ])
    def test_bad_rota_input(self, crt_a, users, fields, message):
        data = {"preset": "night", "first_day": date(2026, 12, 7), "days": 1,
                "staff": users["nurse"], "duty": "answer"}
        with pytest.raises(DomainError, match=message):
            services.shifts_add(actor=users["coordinator"], crt=crt_a, **{**data, **fields})
        assert not Shift.objects.exists()

    def test_other_crt_staff_refused(self, crt_a, users, user_b):
        with pytest.raises(DomainError, match="pas membre"):
            services.shifts_add(actor=users["coordinator"], crt=crt_a, preset="day",
                                first_day=date(2026, 12, 7), staff=user_b, duty="answer")

    def test_shared_night_nurse_needs_an_agreement(self, crt_a, users):
        from maillage.territory.tests.factories import OrganizationFactory

        with pytest.raises(DomainError, match="convention"):
            services.arrangement_save(actor=users["coordinator"], crt=crt_a,
                                      model="shared_night_nurse",
                                      partner=OrganizationFactory(crt=crt_a),
                                      start_date=date(2026, 1, 1))


# --- Calls -----------------------------------------------------------------------------------


class TestCalls:
    def test_quick_call_on_a_phone_then_call_out_and_close(self, crt_a, users, client):
        b = shared_file(crt_a, users["nurse"])
        client.force_login(users["nurse"])
        now = timezone.localtime()
        response = client.post(f"{reverse('oncall:call_new')}?personne={b.public_id}", {
            "reason": "fall", "source": "teleassistance",
            "received": (now - timedelta(minutes=3)).strftime("%H:%M"),
            "answered": (now - timedelta(minutes=2)).strftime("%H:%M")})
        assert response.status_code == 302
        item = Call.objects.get()
        assert item.beneficiary == b and item.status == "open"
        url = reverse("oncall:call", kwargs={"call_id": item.public_id})
        response = client.post(url, {
            "assessment": "Chute sans perte de connaissance", "call_out": "on",
            "departed": (now - timedelta(minutes=1)).strftime("%H:%M"),
            "arrived": now.strftime("%H:%M"), "actions": "Relevée, pas de douleur",
            "outcome": "stayed_home", "close": "on", "version": item.version})
        assert response.status_code == 302
        item.refresh_from_db()
        assert item.status == "closed" and item.call_out and item.travelled_by == users["nurse"]
        assert b.timeline.filter(kind="oncall.call", is_health_data=True).exists()

    @pytest.mark.parametrize("data, message", [
        ({"call_out": "", "arrived": "now"}, "Cochez « déplacement »"),
        ({"outcome": "hospitalised", "close": "on"}, "où la personne est hospitalisée"),
        ({"close": "on"}, "l'issue de l'appel"),
        ({"call_out": "on", "outcome": "stayed_home", "close": "on"}, "l'heure d'arrivée"),
    ])
    def test_bad_call_input_saves_nothing(self, crt_a, users, client, data, message):
        item = call(crt_a, users["nurse"], shared_file(crt_a, users["nurse"]))
        client.force_login(users["nurse"])
        if data.get("arrived") == "now":
            data["arrived"] = timezone.localtime().strftime("%H:%M")
        response = client.post(reverse("oncall:call", kwargs={"call_id": item.public_id}),
                               {**data, "version": item.version})
        assert response.status_code == 400
        assert message in visible_text(response)
        item.refresh_from_db()
        assert item.status == "open" and item.version == 1 and not item.outcome

    def test_temporary_room_outcome_offers_to_book_the_stay(self, crt_a, users, client):
        b = shared_file(crt_a, users["nurse"])
        item = call(crt_a, users["nurse"], b, outcome="temporary_room")
        client.force_login(users["nurse"])
        response = client.get(reverse("oncall:call", kwargs={"call_id": item.public_id}))
        assert f"/chambres/sejours/nouveau/?beneficiaire={b.public_id}" in \
            response.content.decode()
        client.force_login(users["care_aide"])  # may not book rooms: no link
        response = client.get(reverse("oncall:call", kwargs={"call_id": item.public_id}))
        assert "Réserver le séjour" not in visible_text(response)

    def test_unknown_caller_needs_a_name(self, crt_a, users):
        with pytest.raises(DomainError, match="nom de l'appelant"):
            services.call_create(actor=users["nurse"], crt=crt_a, reason="anxiety")
        services.call_create(actor=users["nurse"], crt=crt_a, reason="anxiety",
                             caller_name="Voisine, Mme Leroux")

    def test_times_in_order(self, crt_a, users):
        now = timezone.now()
        with pytest.raises(DomainError, match="décroche après"):
            services.call_create(actor=users["nurse"], crt=crt_a, reason="fall",
                                 caller_name="x", received_at=now,
                                 answered_at=now - timedelta(minutes=1))
        with pytest.raises(DomainError, match="futur"):
            services.call_create(actor=users["nurse"], crt=crt_a, reason="fall",
                                 caller_name="x", received_at=now + timedelta(hours=1))

    def test_a_night_call_typed_after_midnight(self, crt_a, users):
        from maillage.oncall.forms import after

        received = paris(2026, 12, 1, 23, 50)
        assert after(received, datetime(2026, 1, 1, 0, 20).time()) == paris(2026, 12, 2, 0, 20)
        assert after(received, datetime(2026, 1, 1, 23, 55).time()) == paris(2026, 12, 1, 23,
                                                                              55)

    def test_times_typed_the_nights_the_clocks_change(self):
        """31 October 2027: 03:00 CEST becomes 02:00 CET, so 02:00–02:59 comes twice; 28 March
        2027: 02:00 CET becomes 03:00 CEST. The times typed are real moments in order."""
        from maillage.oncall.forms import after, before_now

        def shown(moment):
            return timezone.localtime(moment).strftime("%d/%m %H:%M %z")

        first_0250 = paris(2027, 10, 31, 2, 50)  # fold 0: the first occurrence (CEST)
        assert shown(first_0250) == "31/10 02:50 +0200"
        # Left at the second 02:10, forty minutes later, not the next day.
        assert shown(after(first_0250, time(2, 10))) == "31/10 02:10 +0100"
        assert shown(after(first_0250, time(3, 5))) == "31/10 03:05 +0100"
        # Typed at the second 02:20: a call received at 02:50 was the first 02:50, 30 min ago.
        with time_machine.travel(datetime(2027, 10, 31, 1, 20, tzinfo=UTC)):
            assert shown(before_now(time(2, 50))) == "31/10 02:50 +0200"
            assert shown(before_now(time(2, 15))) == "31/10 02:15 +0100"
            assert shown(before_now(time(3, 0))) == "30/10 03:00 +0200"  # not yet: yesterday
        # Spring: received 01:50, departed 03:05, a quarter of an hour later.
        received = paris(2027, 3, 28, 1, 50)
        departed = after(received, time(3, 5))
        assert shown(departed) == "28/03 03:05 +0200"
        assert departed - received == timedelta(minutes=15)

    def test_concurrent_edit_is_a_conflict(self, crt_a, users):
        item = call(crt_a, users["nurse"])
        with pytest.raises(ConflictError):
            services.call_update(actor=users["nurse"], call=item, version=item.version + 1,
                                 assessment="x")

    def test_times_out_of_order_are_said_next_to_their_field(self, crt_a, users, client):
        b = shared_file(crt_a, users["nurse"])
        client.force_login(users["nurse"])
        received = timezone.localtime() - timedelta(hours=1)
        response = client.post(f"{reverse('oncall:call_new')}?personne={b.public_id}", {
            "reason": "fall", "source": "beneficiary", "received": f"{received:%H:%M}",
            "answered": f"{received - timedelta(minutes=5):%H:%M}"})
        assert response.status_code == 400
        assert field_error(response, "answered") == "On décroche après la réception de l'appel."
        item = call(crt_a, users["nurse"], b, received_at=received)
        url = reverse("oncall:call", kwargs={"call_id": item.public_id})
        response = client.post(url, {
            "version": item.version, "call_out": "on",
            "departed": f"{received + timedelta(minutes=10):%H:%M}",
            "arrived": f"{received + timedelta(minutes=5):%H:%M}"})
        assert response.status_code == 400
        assert field_error(response, "arrived") == (
            "L'arrivée ne peut pas précéder le départ "
            f"({received + timedelta(minutes=10):%H:%M}).")

    def test_a_departure_typed_before_the_call_is_said_so(self, crt_a, users, client):
        """04:10, a call received at 04:08, « Départ 03:00 » (a slip): it reads as tomorrow's
        03:00; the message says the departure cannot precede the call, not « in the
        future ». An hospital named with another outcome is refused too."""
        b = shared_file(crt_a, users["nurse"])
        with time_machine.travel(paris(2027, 2, 10, 4, 10), tick=False):
            client.force_login(users["nurse"])
            item = call(crt_a, users["nurse"], b, received_at=paris(2027, 2, 10, 4, 8))
            url = reverse("oncall:call", kwargs={"call_id": item.public_id})
            response = client.post(url, {"version": item.version, "call_out": "on",
                                         "departed": "03:00"})
            assert response.status_code == 400
            assert field_error(response, "departed") == (
                "Le départ ne peut pas précéder le décroché (04:08).")
            response = client.post(url, {"version": item.version, "outcome": "stayed_home",
                                         "hospital": "CHU d'Angers"})
            assert response.status_code == 400
            assert field_error(response, "hospital") == (
                "Effacez le lieu d'hospitalisation : l'issue choisie, « Maintien à domicile », "
                "n'est pas une hospitalisation.")

    def test_a_time_still_ahead_is_not_filed_a_day_back(self, crt_a, users, client):
        """22:22, « Reçu à 23:50 » (a slip): it would be yesterday's 23:50; refused, said. A
        call still open from yesterday shows its date on the on-call screen."""
        b = shared_file(crt_a, users["nurse"])
        url = f"{reverse('oncall:call_new')}?personne={b.public_id}"
        with time_machine.travel(paris(2027, 2, 10, 22, 22), tick=False):
            client.force_login(users["nurse"])  # a session of that day
            response = client.post(url, {"reason": "fall", "source": "beneficiary",
                                         "received": "23:50"})
            assert response.status_code == 400
            assert field_error(response, "received") == (
                "23:50 serait hier, le 09/02 à 23:50, il y a plus de 12 heures : vérifiez "
                "l'heure de réception.")
            assert not Call.objects.filter(beneficiary=b).exists()
            # Just after midnight, 23:50 is yesterday's, a moment ago: taken.
        with time_machine.travel(paris(2027, 2, 11, 0, 5), tick=False):
            client.force_login(users["nurse"])  # signed out since, when idle
            response = client.post(url, {"reason": "fall", "source": "beneficiary",
                                         "received": "23:50"})
            assert response.status_code == 302
            screen = client.get(reverse("oncall:screen"))
            assert screen.status_code == 200, screen
            assert f"Chute — {b.display_name} — reçu le 10/02 à 23:50" in visible_text(screen)

    def test_only_who_took_the_call_completes_it(self, crt_a, users, client):
        b = shared_file(crt_a, users["care_aide"])
        consent(b, kind="oncall_information")  # the care team reads the call
        item = call(crt_a, users["nurse"], b)
        client.force_login(users["care_aide"])
        url = reverse("oncall:call", kwargs={"call_id": item.public_id})
        assert client.get(url).status_code == 200
        assert client.post(url, {"version": 1}).status_code == 403


class TestMorningInformation:
    def test_care_team_sees_calls_only_with_consent(self, crt_a, users):
        b = shared_file(crt_a, users["care_aide"])
        call(crt_a, users["nurse"], b)
        roles = {"care_aide"}
        assert selectors.calls_for_file(beneficiary=b, user=users["care_aide"],
                                        roles=roles) == []
        consent(b, kind="oncall_information")
        assert len(selectors.calls_for_file(beneficiary=b, user=users["care_aide"],
                                            roles=roles)) == 1
        # The coordination always knows.
        assert len(selectors.calls_for_file(beneficiary=b, user=users["coordinator"],
                                            roles={"coordinator"})) == 1

    def test_the_file_shows_them_to_the_care_team_with_consent(self, crt_a, users, client):
        b = shared_file(crt_a, users["care_aide"])
        call(crt_a, users["nurse"], b, actions="Relevée, recouchée")
        url = reverse("beneficiaries:detail", kwargs={"public_id": b.public_id})
        client.force_login(users["care_aide"])
        assert "Interventions de l'astreinte" not in visible_text(client.get(url))
        consent(b, kind="oncall_information")
        page = visible_text(client.get(url))
        assert "Interventions de l'astreinte" in page and "Relevée, recouchée" in page

    def test_the_files_timeline_keeps_the_persons_objection(self, crt_a, users, client):
        """The closed call's entry of the timeline (« Appel d'astreinte : chute… ») follows
        the same rule as the call: the care team reads it only with the person's agreement;
        it is dated when the call came in."""
        b = shared_file(crt_a, users["care_aide"])
        item = call(crt_a, users["nurse"], b, reason="fall", call_out=True,
                    received_at=timezone.now() - timedelta(hours=3),
                    departed_at=timezone.now() - timedelta(hours=3),
                    arrived_at=timezone.now() - timedelta(hours=2, minutes=40),
                    outcome="stayed_home")
        services.call_close(actor=users["nurse"], call=item, version=item.version)
        url = reverse("beneficiaries:detail", kwargs={"public_id": b.public_id})
        entry = "Appel d'astreinte : chute, déplacement — maintien à domicile"
        at = timezone.localtime(item.received_at).strftime("%d/%m/%Y %H:%M")
        client.force_login(users["care_aide"])
        page = visible_text(client.get(url))
        assert "Chronologie" in page and entry not in page
        consent(b, kind="oncall_information")
        assert f"{at} — {entry}" in visible_text(client.get(url))

    def test_coordinator_home_lists_the_nights_calls(self, crt_a, users, client):
        b = shared_file(crt_a, users["coordinator"])
        call(crt_a, users["nurse"], b, reason="fall", outcome="stayed_home")
        client.force_login(users["coordinator"])
        page = visible_text(client.get(reverse("core:home")))
        assert "Astreinte depuis hier 8 h" in page
        assert b.display_name in page


# --- The on-call screen and break the glass --------------------------------------------------


class TestOnCallScreen:
    def test_search_by_name_birth_date_and_phone(self, crt_a):
        b = BeneficiaryFactory(crt=crt_a, birth_name="Rabouin", phone="02 41 92 18 77")
        CaregiverFactory(crt=crt_a, beneficiary=b, phone="06 39 98 11 22")
        other = BeneficiaryFactory(crt=crt_a, birth_name="Autre", phone="02 41 00 00 00")
        assert selectors.search(crt=crt_a, query="rabou") == [b]
        assert selectors.search(crt=crt_a, query=b.birth_date.strftime("%d/%m/%Y"))[0] in (
            b, other)
        assert selectors.search(crt=crt_a, query="0241921877") == [b]
        assert selectors.search(crt=crt_a, query="02.41.92.18") == [b]
        assert selectors.search(crt=crt_a, query="06 39 98 11 22") == [b]  # the caregiver
        assert selectors.search(crt=crt_a, query="+33 2 41 92 18 77") == [b]

    def test_search_lists_people_by_the_name_shown(self, crt_a):
        """Among the matches (a birth date shared by three people), by the name the screen
        shows, in the French order: « ÉLUARD » among the E's, « VIDAL (née ABADIE) » among the
        V's."""
        born = date(1936, 3, 9)
        for birth_name, used_name in (("ZOLA", ""), ("ABADIE", "VIDAL"), ("ÉLUARD", "")):
            BeneficiaryFactory(crt=crt_a, birth_name=birth_name, used_name=used_name,
                               birth_date=born)
        found = selectors.search(crt=crt_a, query="09/03/1936")
        assert [b.used_name or b.birth_name for b in found] == ["ÉLUARD", "VIDAL", "ZOLA"]

    def test_search_never_crosses_crts(self, crt_a, crt_b):
        BeneficiaryFactory(crt=crt_b, birth_name="Rabouin")
        assert selectors.search(crt=crt_a, query="Rabouin") == []

    def test_care_team_member_sees_the_essentials(self, crt_a, users, client):
        b = shared_file(crt_a, users["nurse"])
        from maillage.beneficiaries.models import MedicalRecord

        MedicalRecord.objects.update_or_create(crt=crt_a, beneficiary=b,
                                               defaults={"allergies": "Pénicilline"})
        client.force_login(users["nurse"])
        page = visible_text(client.get(reverse("oncall:person", kwargs={
            "public_id": b.public_id})))
        assert "Pénicilline" in page and "1234A" in page  # key-box code: visits the home

    def test_the_person_page_leads_on(self, crt_a, users, client):
        """From the on-call page of a person: raise an alert, the DLU's page, the whole file;
        a care aide outside the care team gets only what opens for her."""
        b = shared_file(crt_a, users["nurse"])
        url = reverse("oncall:person", kwargs={"public_id": b.public_id})
        client.force_login(users["nurse"])
        response = client.get(url)
        page, html = visible_text(response), response.content.decode()
        assert "Signaler une alerte" in page and "DLU" in page and "Dossier complet" in page
        for name in ("care:alert_add", "oncall:dlu", "beneficiaries:detail"):
            link = reverse(name, kwargs={"public_id": b.public_id})
            assert f'href="{link}"' in html
            assert client.get(link).status_code == 200, name
        client.force_login(users["care_aide"])
        page = visible_text(client.get(url))
        assert "Signaler une alerte" not in page and "DLU de" not in page
        assert "Dossier complet" in page

    def test_break_the_glass_only_during_ones_open_call(self, crt_a, users, client):
        b = BeneficiaryFactory(crt=crt_a)
        from maillage.beneficiaries.models import MedicalRecord

        MedicalRecord.objects.update_or_create(crt=crt_a, beneficiary=b,
                                               defaults={"allergies": "Iode"})
        url = reverse("oncall:person", kwargs={"public_id": b.public_id})
        shift(crt_a, users["nurse"])
        client.force_login(users["nurse"])
        page = visible_text(client.get(url))
        assert "Iode" not in page and "Ouvrir en urgence" not in page
        assert client.post(url, {"reason": "Chute, personne inconnue"}).status_code == 403
        # Someone else's open call does not count, nor one's call about somebody else.
        call(crt_a, users["care_aide"], b)
        call(crt_a, users["nurse"])
        assert client.post(url, {"reason": "Chute, personne inconnue"}).status_code == 403
        item = call(crt_a, users["nurse"], b)
        assert "Ouvrir en urgence" in visible_text(client.get(url))
        response = client.post(url, {"reason": "court"})
        assert response.status_code == 400
        assert "Expliquez en une phrase" in visible_text(response)
        client.post(url, {"reason": "Chute la nuit, la téléassistance appelle pour elle"})
        assert "Iode" in visible_text(client.get(url))
        glass = BreakGlass.objects.get()
        assert glass.call == item and glass.user == users["nurse"]
        event = AuditEvent.objects.get(action="oncall.break_glass")
        assert event.is_emergency_access and "téléassistance" in event.reason
        assert AuditEvent.objects.filter(action="oncall.person_viewed",
                                         is_emergency_access=True).exists()
        # Two hours after the call is closed, the access ends.
        Call.objects.filter(pk=item.pk).update(
            status="closed", closed_at=timezone.now() - timedelta(hours=2, minutes=1))
        assert not emergency_access(user=users["nurse"], roles={"nurse"},
                                    beneficiary=b).health

    def test_the_one_who_travels_may_break_the_glass_too(self, crt_a, users):
        b = BeneficiaryFactory(crt=crt_a)
        item = call(crt_a, users["nurse"], b, call_out=True, travelled_by=users["care_aide"])
        # Travelling for the call is not enough: on the rota at this moment too.
        assert not emergency_access(user=users["care_aide"], roles={"care_aide"},
                                    beneficiary=b).may_break_glass
        shift(crt_a, users["care_aide"], duty=Shift.Duty.TRAVEL)
        assert emergency_access(user=users["care_aide"], roles={"care_aide"},
                                beneficiary=b).may_break_glass
        services.break_glass(actor=users["care_aide"], call=item, beneficiary=b,
                             reason="Je me déplace pour la chute signalée")
        assert emergency_access(user=users["care_aide"], roles={"care_aide"},
                                beneficiary=b).health
        shift(crt_a, users["doctor"])
        with pytest.raises(DomainError, match="appel en cours"):
            services.break_glass(actor=users["doctor"], call=item, beneficiary=b,
                                 reason="Je ne suis pas sur cet appel")

    def test_the_nurse_called_for_advice_does_not_break_the_glass(self, crt_a, users):
        b = BeneficiaryFactory(crt=crt_a)
        item = call(crt_a, users["nurse"], b)
        shift(crt_a, users["nurse"], duty=Shift.Duty.NURSE)
        with pytest.raises(DomainError, match="professionnel d'astreinte"):
            services.break_glass(actor=users["nurse"], call=item, beneficiary=b,
                                 reason="Avis demandé par l'aide-soignante")

    def test_break_glass_review_by_the_auditor(self, crt_a, users, client):
        b = BeneficiaryFactory(crt=crt_a)
        shift(crt_a, users["nurse"])
        item = call(crt_a, users["nurse"], b, assessment="Confuse, parle difficilement")
        glass = services.break_glass(actor=users["nurse"], call=item, beneficiary=b,
                                     reason="Chute la nuit, appel du voisin")
        client.force_login(users["auditor"])
        response = client.get(reverse("oncall:break_glass_list"))
        page = visible_text(response)
        assert "Chute la nuit, appel du voisin" in page and b.display_name in page
        assert "chute (en cours)" in page and "jusqu'à la fin de l'appel + 2 h" in page
        # The call's clinical text is not the auditor's to read: no link to it either.
        assert "Confuse" not in page
        assert str(item.public_id) not in response.content.decode()
        client.post(reverse("oncall:break_glass_list"), {"item": glass.public_id})
        glass.refresh_from_db()
        assert glass.reviewed_by == users["auditor"]
        Call.objects.filter(pk=item.pk).update(outcome="stayed_home")
        item.refresh_from_db()
        services.call_close(actor=users["nurse"], call=item, version=item.version)
        client.force_login(users["coordinator"])
        response = client.get(reverse("oncall:break_glass_list"))
        assert str(item.public_id) in response.content.decode()  # the coordinator reads it
        assert "jusqu'au" in visible_text(response)

    def test_partner_cannot_use_the_on_call_screen(self, crt_a, users, client):
        client.force_login(users["partner"])
        assert client.get(reverse("oncall:screen")).status_code == 403


def test_figures(crt_a, users, client):
    b = shared_file(crt_a, users["nurse"])
    now = timezone.now()
    call(crt_a, users["nurse"], b, received_at=now - timedelta(hours=3),
         answered_at=now - timedelta(hours=3) + timedelta(seconds=30), call_out=True,
         departed_at=now - timedelta(hours=2, minutes=55),
         arrived_at=now - timedelta(hours=2, minutes=35), outcome="stayed_home")
    call(crt_a, users["nurse"], b, outcome="hospitalised", hospital="CHU d'Angers")
    f = selectors.figures(crt=crt_a)
    assert f["total"] == 2 and f["call_outs"] == 1 and f["avoided"] == 1
    assert f["median_arrival"] == 24 * 60 + 30  # answered → arrived
    client.force_login(users["direction"])
    page = visible_text(client.get(reverse("oncall:figures")))
    assert "Hospitalisations évitées" in page


def test_screen_shows_who_is_on_call_and_the_escalation(crt_a, users, client):
    shift(crt_a, users["nurse"], phone="06 39 98 00 01")
    from .factories import contact

    contact(crt_a)
    client.force_login(users["care_aide"])
    page = visible_text(client.get(reverse("oncall:screen")))
    assert "Répond et se déplace : " + users["nurse"].get_full_name() in page
    assert "SAMU – centre 15 — 15" in page


def test_screen_search_has_a_fixed_query_budget(crt_a, users, client):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def count():
        with CaptureQueriesContext(connection) as ctx:
            response = client.get(reverse("oncall:screen"), {"q": "Martin"})
        return len(ctx.captured_queries), visible_text(response).count("MARTIN")

    for index in range(3):
        join_care_team(BeneficiaryFactory(crt=crt_a, birth_name=f"Martin{index}"),
                       users["nurse"])
    client.force_login(users["nurse"])
    client.get(reverse("oncall:screen"))  # the session's refresh (once a minute) not counted
    few, shown = count()
    assert shown == 3
    for index in range(3, 9):
        BeneficiaryFactory(crt=crt_a, birth_name=f"Martin{index}")
    many, shown = count()
    assert shown == 9 and many == few <= 14
