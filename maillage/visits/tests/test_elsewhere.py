"""A professional who works for two CRTs (the shared night nurse) is not booked by both at the
same hour: planning or moving a visit over hours she is already taken in the other CRT is
refused unless confirmed, and the planners see those hours as « Indisponible (autre CRT) » —
the hours only, never the other CRT's person, address or service."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from maillage.beneficiaries.tests.factories import shared_file
from maillage.care.tests import factories as care
from maillage.core.errors import DomainError
from maillage.core.middleware import SESSION_KEY
from maillage.core.roles import Role
from maillage.core.tests.helpers import field_error, visible_text
from maillage.territory.tests.factories import ProfessionalFactory
from maillage.visits import elsewhere, services
from maillage.visits.models import Visit, VisitSeries
from maillage.visits.services import local_dt

from .factories import visit

TOMORROW = timezone.localdate() + timedelta(days=1)
#: Her hours in CRT B on the timeline (the legend names the block whatever the day).
BLOCK = "21:00–22:00 · Indisponible (autre CRT)"
EXPECTED = "Ce professionnel est déjà pris sur ce créneau dans un autre CRT (de 21:00 à 22:00)."


@pytest.fixture
def in_b(crt_b, nurse):
    """Her visit in CRT B tomorrow, 21:00–22:00, at Mr Verrier's: nothing of it may show in A."""
    person = shared_file(crt_b, nurse)
    person.birth_name, person.first_name = "VERRIER", "Octave"
    person.address = "12 rue des Tanneurs"
    person.save()
    return visit(person, nurse, starts_at=local_dt(TOMORROW, "21:00"), minutes=60,
                 service=care.service(crt_b, name="Coucher renforcé Baugeois"))


SECRETS = ("VERRIER", "Octave", "Tanneurs", "Coucher renforcé", "CRT B")


def _hides_the_other_crt(text: str) -> None:
    for secret in SECRETS:
        assert secret not in text, secret


@pytest.fixture
def b(crt_a, nurse):
    return shared_file(crt_a, nurse)


class TestPlanning:
    def test_refused_unless_confirmed_with_the_hours_only(self, b, users, nurse, in_b):
        start = local_dt(TOMORROW, "21:30")
        with pytest.raises(DomainError) as error:
            services.visit_create(actor=users["coordinator"], beneficiary=b, staff=nurse,
                                  starts_at=start, ends_at=start + timedelta(minutes=30))
        assert error.value.field == "allow_overlap"
        assert EXPECTED in error.value.message
        assert "Planifier malgré l'avertissement" in error.value.message
        _hides_the_other_crt(error.value.message)
        assert not Visit.objects.filter(crt=b.crt).exists()
        services.visit_create(actor=users["coordinator"], beneficiary=b, staff=nurse,
                              starts_at=start, ends_at=start + timedelta(minutes=30),
                              allow_overlap=True)
        # Just after, she is free again.
        services.visit_create(actor=users["coordinator"], beneficiary=b, staff=nurse,
                              starts_at=local_dt(TOMORROW, "22:00"),
                              ends_at=local_dt(TOMORROW, "22:30"))

    def test_the_plan_form_says_it_next_to_the_confirmation(self, client, b, users, nurse,
                                                            in_b):
        client.force_login(users["coordinator"])
        url = reverse("visits:plan", kwargs={"public_id": b.public_id})
        data = {"start_date": TOMORROW, "times": "21:15", "duration_minutes": 30,
                "staff": nurse.public_id, "place": "home", "recurrence": "once"}
        response = client.post(url, data)
        assert response.status_code == 400
        assert EXPECTED in field_error(response, "allow_overlap")
        _hides_the_other_crt(visible_text(response))
        assert client.post(url, {**data, "allow_overlap": "on"}).status_code == 302
        assert Visit.objects.filter(crt=b.crt, staff=nurse).count() == 1

    def test_a_series_over_her_evenings_elsewhere(self, b, users, nurse, in_b):
        with pytest.raises(DomainError, match="déjà pris sur ce créneau dans un autre CRT") as e:
            services.series_create(actor=users["coordinator"], beneficiary=b, staff=nurse,
                                   frequency="daily", times="20:45", duration_minutes=30,
                                   start_date=TOMORROW - timedelta(days=1),
                                   end_date=TOMORROW + timedelta(days=1))
        assert "de 21:00 à 22:00" in e.value.message
        assert not VisitSeries.objects.filter(crt=b.crt).exists()

    def test_moving_on_the_timeline_is_refused(self, client, b, users, nurse, in_b):
        mine = visit(b, nurse, starts_at=local_dt(TOMORROW, "19:00"))
        client.force_login(users["coordinator"])
        response = client.post(reverse("visits:move", kwargs={"visit_id": mine.public_id}),
                               {"version": mine.version, "start": f"{TOMORROW}T21:45"})
        assert response.status_code == 409
        assert EXPECTED in response.json()["error"]
        _hides_the_other_crt(response.content.decode())
        mine.refresh_from_db()
        assert timezone.localtime(mine.starts_at).strftime("%H:%M") == "19:00"

    def test_a_long_visit_elsewhere_begun_the_evening_before(self, crt_b, b, users, nurse,
                                                             in_b):
        """A night of twelve hours in CRT B (the longest visit: the hours are read that far
        back) still holds her at 07:00 the next morning; it is over at 08:00."""
        visit(in_b.beneficiary, nurse, starts_at=local_dt(TOMORROW, "20:00"), minutes=12 * 60)
        next_day = TOMORROW + timedelta(days=1)
        start = local_dt(next_day, "07:00")
        with pytest.raises(DomainError) as error:
            services.visit_create(actor=users["coordinator"], beneficiary=b, staff=nurse,
                                  starts_at=start, ends_at=start + timedelta(minutes=30))
        assert (f"déjà pris sur ce créneau dans un autre CRT (le {TOMORROW:%d/%m/%Y} de 20:00 à "
                "08:00)") in error.value.message
        services.visit_create(actor=users["coordinator"], beneficiary=b, staff=nurse,
                              starts_at=local_dt(next_day, "08:00"),
                              ends_at=local_dt(next_day, "08:30"))

    def test_a_visit_lasts_twelve_hours_at_most(self, b, users, nurse):
        start = local_dt(TOMORROW, "19:00")
        with pytest.raises(DomainError) as error:
            services.visit_create(actor=users["coordinator"], beneficiary=b, staff=nurse,
                                  starts_at=start, ends_at=start + timedelta(hours=12, minutes=1))
        assert (error.value.field, error.value.message) == (
            "duration_minutes", "Un passage dure douze heures au plus.")
        assert not Visit.objects.filter(crt=b.crt).exists()

    def test_her_account_behind_the_other_crt_s_directory(self, crt_b, b, users, nurse):
        """CRT B books her as a professional of its directory linked to her account."""
        pro = ProfessionalFactory(crt=crt_b, user=nurse)
        visit(shared_file(crt_b), starts_at=local_dt(TOMORROW, "21:00"), minutes=60,
              professional=pro)
        start = local_dt(TOMORROW, "21:30")
        with pytest.raises(DomainError, match="déjà pris sur ce créneau dans un autre CRT"):
            services.visit_create(actor=users["coordinator"], beneficiary=b, staff=nurse,
                                  starts_at=start, ends_at=start + timedelta(minutes=30))


class TestUnaffected:
    def test_a_professional_of_one_crt_only(self, crt_a, crt_b, users, make_user, in_b):
        """Someone else at the same hour in CRT B, a cancelled visit of hers there: nothing."""
        other = make_user(crt_b, Role.NURSE)
        visit(shared_file(crt_b), other, starts_at=local_dt(TOMORROW, "21:00"), minutes=60)
        start = local_dt(TOMORROW, "21:30")
        person = shared_file(crt_a, users["nurse"])
        services.visit_create(actor=users["coordinator"], beneficiary=person,
                              staff=users["nurse"], starts_at=start,
                              ends_at=start + timedelta(minutes=30))

    def test_cancelled_elsewhere_or_no_longer_working_there(self, crt_b, b, users, nurse,
                                                            in_b):
        in_b.status = Visit.Status.CANCELLED
        in_b.save()
        start = local_dt(TOMORROW, "21:30")
        services.visit_create(actor=users["coordinator"], beneficiary=b, staff=nurse,
                              starts_at=start, ends_at=start + timedelta(minutes=15))
        visit(in_b.beneficiary, nurse, starts_at=local_dt(TOMORROW, "23:00"))
        nurse.memberships.filter(crt=crt_b).update(is_active=False)
        services.visit_create(actor=users["coordinator"], beneficiary=b, staff=nurse,
                              starts_at=local_dt(TOMORROW, "23:00"),
                              ends_at=local_dt(TOMORROW, "23:30"))


class TestPages:
    def _week(self, client, nurse):
        return client.get(reverse("visits:professional_week"),
                          {"qui": f"s-{nurse.public_id}", "semaine": TOMORROW.isoformat()})

    def test_her_week_and_the_team_day_show_the_hours_only(self, client, b, users, nurse,
                                                          in_b):
        mine = visit(b, nurse, starts_at=local_dt(TOMORROW, "21:30"))
        client.force_login(users["coordinator"])
        week = visible_text(self._week(client, nurse))
        assert BLOCK in week
        assert "1 passage se chevauche" in week  # hers, over the hours elsewhere
        _hides_the_other_crt(week)
        response = client.get(reverse("visits:team_day"), {"jour": TOMORROW.isoformat()})
        day = visible_text(response)
        assert BLOCK in day
        _hides_the_other_crt(day)
        data = client.get(reverse("visits:team_range"),
                          {"start": TOMORROW.isoformat(), "days": "1"}).json()
        row = next(r for r in data["sections"][0]["rows"] if r["who"] == "Laure Bellanger")
        assert [b["label"] for b in row["blocks"] if b["state"] == "elsewhere"] == [BLOCK]
        _hides_the_other_crt(str(data))
        detail = visible_text(client.get(reverse("visits:detail",
                                                 kwargs={"visit_id": mine.public_id})))
        assert EXPECTED in detail
        _hides_the_other_crt(detail)

    def test_her_own_week_but_not_a_colleague_who_does_not_plan(self, client, b, users,
                                                                 nurse, in_b):
        client.force_login(users["care_aide"])
        assert BLOCK not in visible_text(self._week(client, nurse))
        client.force_login(nurse)
        session = client.session
        session[SESSION_KEY] = str(b.crt.public_id)  # she works in CRT A now
        session.save()
        assert BLOCK in visible_text(self._week(client, nurse))

    @pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite's query plan")
    def test_the_hours_elsewhere_are_read_through_the_professional_s_indexes(
            self, crt_a, b, nurse, in_b):
        """Her hours in CRT B are found by her visits there (the CRT, the professional, the
        time), as a team member and as a directory professional: never through the index of
        the untraced visits, which reads every coming visit of the CRTs (the team day and her
        week then grew with the size of the CRT)."""
        begin = local_dt(TOMORROW, "00:00")
        with CaptureQueriesContext(connection) as ctx:
            found = elsewhere.busy_slots(crt_id=crt_a.pk, user_ids=[nurse.pk], start=begin,
                                         end=begin + timedelta(days=7))
        assert found == {nurse.pk: [(in_b.starts_at, in_b.ends_at)]}
        with connection.cursor() as cursor:
            cursor.execute("EXPLAIN QUERY PLAN " + ctx.captured_queries[-1]["sql"])
            plan = " ".join(row[-1] for row in cursor.fetchall())
        assert "visit_staff_time" in plan and "visit_pro_time" in plan
        assert "visit_untraced" not in plan

    def test_one_query_for_the_hours_elsewhere(self, client, b, users, nurse, in_b):
        """The team day asks for them only when someone on the page works elsewhere."""
        visit(b, users["care_aide"], starts_at=local_dt(TOMORROW, "09:00"))
        client.force_login(users["coordinator"])
        url, day = reverse("visits:team_day"), {"jour": TOMORROW.isoformat()}
        client.get(url, day)
        with CaptureQueriesContext(connection) as alone:
            client.get(url, day)
        visit(b, nurse, starts_at=local_dt(TOMORROW, "08:00"))
        with CaptureQueriesContext(connection) as shared:
            assert BLOCK in visible_text(client.get(url, day))
        assert len(shared.captured_queries) == len(alone.captured_queries) + 1
