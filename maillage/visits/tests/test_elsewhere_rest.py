"""A professional who works nights for another CRT (the shared night nurse) rests after them
here too (``rounds.rest`` with ``visits.elsewhere.night_work``): booking her a visit in CRT A
inside her rest after a night worked for CRT B asks for the confirmation, and says so with the
hours only — « fin de son travail de nuit dans un autre CRT à 07:00 » —, never B's person,
address, service, call nor name."""

from datetime import time, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from maillage.beneficiaries.tests.factories import shared_file
from maillage.care.tests import factories as care
from maillage.core.errors import DomainError
from maillage.core.roles import Role
from maillage.core.tests.factories import member
from maillage.core.tests.helpers import field_error, visible_text
from maillage.oncall.models import Call, Shift
from maillage.rounds.models import CarerHours
from maillage.rounds.rest import rests
from maillage.territory.tests.factories import CommuneFactory, ProfessionalFactory
from maillage.visits import services
from maillage.visits.models import Visit
from maillage.visits.services import local_dt

from .factories import visit

TODAY = timezone.localdate()
TOMORROW = TODAY + timedelta(days=1)
EXPECTED = ("Repos après la nuit jusqu'à 18:00 pour Laure Bellanger (fin de son travail de "
            "nuit dans un autre CRT à 07:00, 11 heures de repos quotidien).")
SECRETS = ("VERRIER", "Octave", "Tanneurs", "Montreuil", "Coucher renforcé", "CRT B", "Chute")

pytestmark = pytest.mark.django_db


@pytest.fixture
def person_b(crt_b, nurse):
    """Mr Verrier, followed by CRT B: nothing of him may show in A."""
    person = shared_file(crt_b, nurse)
    person.birth_name, person.first_name = "VERRIER", "Octave"
    person.address = "12 rue des Tanneurs"
    person.commune = CommuneFactory(crt=crt_b, name="Montreuil-Bellay")
    person.save()
    return person


@pytest.fixture
def person_a(crt_a, nurse):
    return shared_file(crt_a, nurse)


def turn_in_b(crt_b, user, duty=Shift.Duty.ANSWER_AND_TRAVEL, **actor):
    """Her turn for CRT B from this evening 20:00 to tomorrow 07:00."""
    return Shift.objects.create(crt=crt_b, duty=duty, starts_at=local_dt(TODAY, "20:00"),
                                ends_at=local_dt(TOMORROW, "07:00"),
                                **(actor or {"staff": user}))


def book(users, person, nurse, at, **extra):
    start = local_dt(TOMORROW, at)
    return services.visit_create(actor=users["coordinator"], beneficiary=person, staff=nurse,
                                 starts_at=start, ends_at=start + timedelta(minutes=30),
                                 **extra)


def _hides_the_other_crt(text: str) -> None:
    for secret in SECRETS:
        assert secret not in text, secret


class TestHerNightInTheOtherCrt:
    def test_a_travelling_turn_there_asks_for_a_confirmation_here(self, crt_b, users, nurse,
                                                                  person_a):
        turn_in_b(crt_b, nurse)
        with pytest.raises(DomainError) as error:
            book(users, person_a, nurse, "10:00")
        assert error.value.field == "allow_overlap"
        assert EXPECTED in error.value.message
        _hides_the_other_crt(error.value.message)
        assert not Visit.objects.filter(crt=person_a.crt).exists()
        book(users, person_a, nurse, "10:00", allow_overlap=True)
        # Her rest over, nothing to confirm.
        book(users, person_a, nurse, "18:00")
        assert Visit.objects.filter(crt=person_a.crt).count() == 2

    def test_the_plan_form_says_it_without_the_other_crt(self, client, crt_b, users, nurse,
                                                         person_a, person_b):
        visit(person_b, nurse, starts_at=local_dt(TOMORROW, "06:30"), minutes=30,
              service=care.service(crt_b, name="Coucher renforcé Baugeois"))
        client.force_login(users["coordinator"])
        url = reverse("visits:plan", kwargs={"public_id": person_a.public_id})
        data = {"start_date": TOMORROW, "times": "10:00", "duration_minutes": 30,
                "staff": nurse.public_id, "place": "home", "recurrence": "once"}
        # Her visit of 06:30 there is not a night visit (after 06:00): nothing to confirm.
        assert client.post(url, data).status_code == 302
        visit(person_b, nurse, starts_at=local_dt(TOMORROW, "05:30"), minutes=90)
        response = client.post(url, {**data, "times": "11:00"})
        assert response.status_code == 400
        assert EXPECTED in field_error(response, "allow_overlap")
        _hides_the_other_crt(visible_text(response))

    def test_her_night_visits_there_as_the_directory_s_professional(self, crt_b, users, nurse,
                                                                    person_a, person_b):
        pro = ProfessionalFactory(crt=crt_b, user=nurse)
        visit(person_b, starts_at=local_dt(TOMORROW, "02:00"), minutes=60, professional=pro)
        with pytest.raises(DomainError, match="jusqu'à 14:00 pour Laure Bellanger \\(fin de "
                                              "son travail de nuit dans un autre CRT à 03:00"):
            book(users, person_a, nurse, "13:30")
        book(users, person_a, nurse, "14:00")

    def test_an_outing_on_a_telephone_turn_there(self, crt_b, users, nurse, person_a,
                                                 person_b):
        turn_in_b(crt_b, nurse, duty=Shift.Duty.ANSWER)
        book(users, person_a, nurse, "09:00")  # on call by telephone: rest
        Call.objects.create(crt=crt_b, received_at=local_dt(TOMORROW, "03:00"),
                            reason=Call.Reason.FALL, beneficiary=person_b, answered_by=nurse,
                            call_out=True, travelled_by=nurse,
                            departed_at=local_dt(TOMORROW, "03:05"),
                            arrived_at=local_dt(TOMORROW, "03:25"),
                            left_at=local_dt(TOMORROW, "04:10"))
        with pytest.raises(DomainError) as error:
            book(users, person_a, nurse, "15:00")
        assert ("Repos après la nuit jusqu'à 15:10 pour Laure Bellanger (fin de son travail "
                "de nuit dans un autre CRT à 04:10") in error.value.message
        _hides_the_other_crt(error.value.message)
        # Out again at 05:00, the end not written: until the end of her turn there, 07:00.
        Call.objects.create(crt=crt_b, received_at=local_dt(TOMORROW, "05:00"),
                            reason=Call.Reason.FALL, answered_by=nurse, call_out=True,
                            travelled_by=nurse, departed_at=local_dt(TOMORROW, "05:05"))
        with pytest.raises(DomainError, match="jusqu'à 18:00"):
            book(users, person_a, nurse, "17:00")

    def test_her_night_hours_there(self, crt_b, users, nurse, person_a):
        CarerHours.objects.create(crt=crt_b, user=nurse, weekday=TODAY.weekday(),
                                  starts=time(21), ends=time(7))
        with pytest.raises(DomainError) as error:
            book(users, person_a, nurse, "10:00")
        assert EXPECTED in error.value.message
        book(users, person_a, nurse, "18:00")

    def test_her_night_here_is_said_when_it_ends_as_late(self, crt_a, crt_b, users, nurse,
                                                         person_a):
        turn_in_b(crt_b, nurse)
        Shift.objects.create(crt=crt_a, staff=nurse, duty=Shift.Duty.TRAVEL,
                             starts_at=local_dt(TODAY, "22:00"),
                             ends_at=local_dt(TOMORROW, "07:00"))
        with pytest.raises(DomainError, match="fin de son tour d'astreinte à 07:00"):
            book(users, person_a, nurse, "10:00")


class TestUnaffected:
    def test_not_a_member_of_the_other_crt(self, crt_b, users, person_a, person_b):
        """Someone else's night in CRT B: nothing here for the nurse of CRT A."""
        other = users["nurse"]
        turn_in_b(crt_b, other)
        visit(person_b, other, starts_at=local_dt(TOMORROW, "02:00"))
        services.visit_create(actor=users["coordinator"], beneficiary=person_a, staff=other,
                              starts_at=local_dt(TOMORROW, "10:00"),
                              ends_at=local_dt(TOMORROW, "10:30"))

    def test_no_longer_working_there_or_cancelled_there(self, crt_b, users, nurse, person_a,
                                                        person_b):
        turn_in_b(crt_b, nurse)
        nurse.memberships.filter(crt=crt_b).update(is_active=False)
        book(users, person_a, nurse, "10:00")
        nurse.memberships.filter(crt=crt_b).update(is_active=True)
        Shift.objects.filter(crt=crt_b).delete()
        visit(person_b, nurse, starts_at=local_dt(TOMORROW, "02:00"),
              status=Visit.Status.CANCELLED)
        book(users, person_a, nurse, "11:00")


def test_a_fixed_number_of_queries_whatever_the_carers(crt_a, crt_b, nurse, make_user,
                                                       person_b):
    def count(ids) -> tuple[int, dict]:
        with CaptureQueriesContext(connection) as queries:
            found = rests(crt_id=crt_a.id, user_ids=ids, first=TOMORROW, last=TOMORROW)
        return len(queries.captured_queries), found

    turn_in_b(crt_b, nurse)
    alone, found = count({nurse.pk})
    assert [r.why(TOMORROW) for r in found[nurse.pk]] == [
        "fin de son travail de nuit dans un autre CRT à 07:00"]
    others = [make_user(crt_a, Role.CARE_AIDE) for _ in range(3)]
    for n, other in enumerate(others):
        member(other, crt_b, Role.CARE_AIDE)
        turn_in_b(crt_b, other)
        visit(person_b, other, starts_at=local_dt(TOMORROW, f"0{n + 1}:00"))
        CarerHours.objects.create(crt=crt_b, user=other, weekday=TODAY.weekday(),
                                  starts=time(20), ends=time(6))
    many, found = count({nurse.pk, *(o.pk for o in others)})
    assert many == alone == 6
    assert set(found) == {nurse.pk, *(o.pk for o in others)}


@pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite's query plan")
def test_her_night_there_is_read_through_her_own_rows(crt_a, crt_b, nurse, person_b):
    """Her turns and night visits in CRT B are found through the CRT's and her own indexes,
    never by a scan of every turn nor through the index of the untraced visits (every coming
    visit of the CRTs): the cost of her rest does not grow with the size of the CRTs."""
    from maillage.visits.elsewhere import night_work

    turn_in_b(crt_b, nurse)
    with CaptureQueriesContext(connection) as queries:
        found = night_work(crt_id=crt_a.id, user_ids=[nurse.pk],
                           start=local_dt(TODAY, "18:00"), end=local_dt(TOMORROW, "12:00"))
    assert found == {nurse.pk: [(local_dt(TODAY, "20:00"), local_dt(TOMORROW, "07:00"))]}
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN QUERY PLAN " + queries.captured_queries[0]["sql"])
        plan = [row[-1] for row in cursor.fetchall()]
    assert not [step for step in plan if step.startswith("SCAN oncall_shift")], plan
    assert "visit_untraced" not in " ".join(plan)
    assert "visit_staff_time" in " ".join(plan)
