"""Visits: recurrence and its edits, double-booking, tracing, the missed-visit alert, who sees
what, the iCalendar feed."""

import json
import re
from datetime import UTC, date, datetime, time, timedelta

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from icalendar import Calendar

from maillage.beneficiaries.tests.factories import (
    BeneficiaryFactory,
    consent,
    join_care_team,
    shared_file,
)
from maillage.care.models import Alert, LiaisonNote
from maillage.care.tests import factories as care
from maillage.core.errors import ConflictError, DomainError
from maillage.core.models import AuditEvent, Notification
from maillage.core.roles import Role
from maillage.core.tests.helpers import field_error, visible_text
from maillage.territory.tests.factories import ProfessionalFactory
from maillage.visits import services
from maillage.visits.models import CalendarToken, Visit, VisitSeries
from maillage.visits.services import local_dt

from .factories import visit

TODAY = timezone.localdate()


def _local(v: Visit) -> str:
    return timezone.localtime(v.starts_at).strftime("%Y-%m-%d %H:%M")


def _series(b, actor, **fields):
    defaults = {"staff": actor, "frequency": "daily", "times": "08:00, 19h00",
                "duration_minutes": 30, "start_date": TODAY + timedelta(days=1),
                "end_date": TODAY + timedelta(days=3)}
    return services.series_create(actor=actor, beneficiary=b, **{**defaults, **fields})


@pytest.fixture
def b(crt_a, users):
    b = shared_file(crt_a, users["care_aide"])
    join_care_team(b, users["nurse"])
    return b


# --- Recurrence ------------------------------------------------------------------------------


class TestRecurrence:
    def test_daily_at_two_times(self, b, users):
        series, created = _series(b, users["care_aide"])
        assert len(created) == 6
        assert [_local(v) for v in Visit.objects.filter(series=series)][:2] == [
            f"{TODAY + timedelta(days=1)} 08:00", f"{TODAY + timedelta(days=1)} 19:00"]
        assert series.describe() == (f"tous les jours à 08:00 et 19:00, 30 min jusqu'au "
                                     f"{TODAY + timedelta(days=3):%d/%m/%Y}")

    def test_some_weekdays_every_other_week(self, b, users):
        monday = TODAY - timedelta(days=TODAY.weekday()) + timedelta(days=7)
        series, created = _series(b, users["care_aide"], frequency="weekly", interval=2,
                                  weekdays="0,3", times="10:00", start_date=monday,
                                  end_date=monday + timedelta(days=27))
        days = sorted({timezone.localtime(v.starts_at).date() for v in created})
        assert days == [monday, monday + timedelta(days=3), monday + timedelta(days=14),
                        monday + timedelta(days=17)]

    def test_local_times_hold_across_the_daylight_saving_change(self, b, users):
        # 29 March 2026 (clocks forward) and 25 October 2026 (back): still 08:00 in Paris.
        for day in (date(2026, 3, 28), date(2026, 10, 24)):
            series = VisitSeries(crt=b.crt, beneficiary=b, staff=users["care_aide"],
                                 frequency="daily", times="08:00", duration_minutes=30,
                                 start_date=day, end_date=day + timedelta(days=2))
            occurrences = services._occurrences(series, day, day + timedelta(days=2), None)
            assert [timezone.localtime(v.starts_at).hour for v in occurrences] == [8, 8, 8]
            offsets = {timezone.localtime(v.starts_at).utcoffset() for v in occurrences}
            assert len(offsets) == 2

    def test_open_ended_series_stops_at_the_horizon_and_is_extended(self, b, users):
        series, created = _series(b, users["care_aide"], end_date=None, times="08:00")
        assert series.generated_until == TODAY + timedelta(days=services.HORIZON_DAYS)
        assert len(created) == services.HORIZON_DAYS
        assert services.extend_series(today=TODAY + timedelta(days=7)) == 7
        assert services.extend_series(today=TODAY + timedelta(days=7)) == 0

    @pytest.mark.parametrize("fields, field, message", [
        ({"times": "8h61"}, "times", "n'est pas une heure"),
        ({"times": ""}, "times", "au moins une heure"),
        ({"frequency": "weekly", "weekdays": ""}, "weekdays", "au moins un jour"),
        ({"end_date": TODAY}, "end_date", "doit suivre son début"),
        ({"staff": None}, "staff", "qui fait le passage"),
    ])
    def test_bad_series_is_refused_and_nothing_is_saved(self, b, users, fields, field,
                                                         message):
        with pytest.raises(DomainError) as error:
            _series(b, users["care_aide"], **fields)
        assert error.value.field == field
        assert message in error.value.message
        assert not VisitSeries.objects.exists()
        assert not Visit.objects.exists()

    def test_staff_of_another_crt_is_refused(self, b, users, user_b):
        with pytest.raises(DomainError, match="pas membre de l'équipe"):
            _series(b, users["coordinator"], staff=user_b)


class TestEditingASeries:
    @pytest.fixture
    def series(self, b, users):
        return _series(b, users["care_aide"], times="08:00",
                       end_date=TODAY + timedelta(days=5))[0]

    def occurrences(self, series_or_b):
        return list(Visit.objects.filter(beneficiary=series_or_b).order_by("starts_at"))

    def test_one_occurrence_only(self, b, series, users):
        second = Visit.objects.filter(series=series).order_by("starts_at")[1]
        new_start = second.starts_at + timedelta(hours=2)
        services.visit_update(actor=users["coordinator"], visit=second, version=second.version,
                              starts_at=new_start, ends_at=new_start + timedelta(minutes=45),
                              staff=users["nurse"], professional=None, service=None,
                              place="home", instructions="Décalé")
        hours = [(timezone.localtime(v.starts_at).hour, v.staff_id) for v in
                 self.occurrences(b)]
        assert hours.count((10, users["nurse"].id)) == 1
        assert hours.count((8, users["care_aide"].id)) == 4
        second.refresh_from_db()
        assert second.detached

    def test_the_whole_series_from_now_on_leaves_the_past_alone(self, b, series, users):
        first, second, *_ = Visit.objects.filter(series=series).order_by("starts_at")
        # History: yesterday's occurrence, traced (08:00 two days before, by the wall clock:
        # 48 hours before may be 07:00 or 09:00 when the clocks changed in between).
        before = timezone.localtime(first.starts_at) - timedelta(days=2)
        Visit.objects.filter(pk=first.pk).update(
            status="done", starts_at=before, original_start=before,
            ends_at=before + (first.ends_at - first.starts_at))
        services.visit_update(actor=users["coordinator"], visit=second, version=second.version,
                              starts_at=second.starts_at + timedelta(hours=1),
                              ends_at=second.ends_at + timedelta(hours=1),
                              staff=users["care_aide"], professional=None, service=None,
                              place="home", instructions="")
        series.refresh_from_db()
        services.series_update(actor=users["coordinator"], series=series,
                               version=series.version, scope="all", times="07:30",
                               staff=users["nurse"])
        rows = [(timezone.localtime(v.starts_at).strftime("%H:%M"), v.staff_id, v.status)
                for v in self.occurrences(b)]
        assert rows[0] == ("08:00", users["care_aide"].id, "done")
        # The occurrence moved on its own follows the series too (« toute la série »).
        assert rows[1:] == [("07:30", users["nurse"].id, "planned")] * 5
        assert AuditEvent.objects.filter(action="visit_series.updated").exists()

    def test_this_one_and_the_following(self, b, series, users):
        third = Visit.objects.filter(series=series).order_by("starts_at")[2]
        pivot = timezone.localtime(third.starts_at).date()
        new = services.series_update(actor=users["coordinator"], series=series,
                                     version=series.version, scope="following", visit=third,
                                     times="18:00")
        series.refresh_from_db()
        assert series.end_date == pivot - timedelta(days=1)
        assert new.start_date == pivot and new.end_date == TODAY + timedelta(days=5)
        assert [timezone.localtime(v.starts_at).strftime("%H:%M") for v in
                self.occurrences(b)] == ["08:00", "08:00", "18:00", "18:00", "18:00"]
        assert Visit.objects.filter(series=series).count() == 2

    def test_cancel_the_following(self, b, series, users, client):
        fourth = Visit.objects.filter(series=series).order_by("starts_at")[3]
        client.force_login(users["coordinator"])
        response = client.post(reverse("visits:cancel", kwargs={"visit_id": fourth.public_id}),
                               {"scope": "following", "series_version": series.version})
        assert response.status_code == 302
        assert Visit.objects.filter(beneficiary=b).count() == 3
        series.refresh_from_db()
        assert series.end_date == timezone.localtime(fourth.starts_at).date() - timedelta(1)

    def test_stale_version_is_a_conflict(self, series, users):
        with pytest.raises(ConflictError):
            services.series_update(actor=users["coordinator"], series=series,
                                   version=series.version + 1,
                                   scope="all", times="09:00")

    def test_series_edit_page_reports_conflict_with_409(self, series, users, client):
        v = Visit.objects.filter(series=series).first()
        client.force_login(users["coordinator"])
        url = reverse("visits:series_edit", kwargs={"visit_id": v.public_id})
        data = {"scope": "all", "frequency": "daily", "interval": 1, "times": "09:00",
                "duration_minutes": 30, "staff": users["care_aide"].public_id, "place": "home",
                "version": series.version}
        VisitSeries.objects.filter(pk=series.pk).update(version=series.version + 1)
        response = client.post(url, data)
        assert response.status_code == 409
        assert "modifiée par quelqu'un d'autre" in visible_text(response)


    def test_a_series_window_is_changed_and_its_visits_follow(self, series, users, client):
        v = Visit.objects.filter(series=series, starts_at__gt=timezone.now()).first()
        client.force_login(users["coordinator"])
        url = reverse("visits:series_edit", kwargs={"visit_id": v.public_id})
        response = client.post(url, {
            "scope": "all", "frequency": "daily", "interval": 1, "times": "09:00",
            "duration_minutes": 30, "staff": users["care_aide"].public_id, "place": "home",
            "window_before": "15", "window_after": "45", "version": series.version})
        assert response.status_code == 302
        coming = Visit.objects.filter(series=series, starts_at__gt=timezone.now()).first()
        assert (coming.starts_at - coming.window_start, coming.window_end - coming.starts_at) \
            == (timedelta(minutes=15), timedelta(minutes=45))
        form = client.get(reverse("visits:series_edit", kwargs={"visit_id": coming.public_id})
                          ).context["form"]
        assert (form.initial["window_before"], form.initial["window_after"]) == (15, 45)

    def test_one_visit_s_window_moves_with_it(self, b, users, client):
        v = visit(b, users["care_aide"], starts_at=local_dt(TODAY + timedelta(days=2), "08:00"),
                  window_start=local_dt(TODAY + timedelta(days=2), "07:30"),
                  window_end=local_dt(TODAY + timedelta(days=2), "09:00"))
        client.force_login(users["coordinator"])
        url = reverse("visits:edit", kwargs={"visit_id": v.public_id})
        form = client.get(url).context["form"]
        assert (form.initial["window_before"], form.initial["window_after"]) == (30, 60)
        data = {k: form.initial[k] for k in ("duration_minutes", "place", "version",
                                             "window_before", "window_after")}
        response = client.post(url, {**data, "day": TODAY + timedelta(days=2),
                                     "start_time": "10:00",
                                     "staff": users["care_aide"].public_id})
        assert response.status_code == 302
        v.refresh_from_db()
        assert (_local(v)[-5:], timezone.localtime(v.window_start).strftime("%H:%M"),
                timezone.localtime(v.window_end).strftime("%H:%M")) == ("10:00", "09:30",
                                                                        "11:00")


# --- Double-booking --------------------------------------------------------------------------


class TestDoubleBooking:
    def test_overlap_is_refused_unless_confirmed(self, crt_a, b, users):
        other = shared_file(crt_a, users["care_aide"])
        start = local_dt(TODAY + timedelta(days=1), "08:00")
        visit(other, users["care_aide"], starts_at=start + timedelta(minutes=15))
        with pytest.raises(DomainError) as error:
            services.visit_create(actor=users["coordinator"], beneficiary=b,
                                  staff=users["care_aide"], starts_at=start,
                                  ends_at=start + timedelta(minutes=30))
        assert error.value.field == "allow_overlap"
        assert "Double réservation" in error.value.message
        assert other.display_name in error.value.message
        services.visit_create(actor=users["coordinator"], beneficiary=b,
                              staff=users["care_aide"], starts_at=start,
                              ends_at=start + timedelta(minutes=30), allow_overlap=True)
        # Back to back is not an overlap; another professional neither.
        services.visit_create(actor=users["coordinator"], beneficiary=b,
                              staff=users["nurse"], starts_at=start,
                              ends_at=start + timedelta(minutes=30))
        services.visit_create(actor=users["coordinator"], beneficiary=b,
                              staff=users["care_aide"], starts_at=start + timedelta(minutes=45),
                              ends_at=start + timedelta(minutes=60))

    def test_series_overlapping_existing_visits_is_refused(self, crt_a, b, users):
        other = shared_file(crt_a)
        visit(other, users["care_aide"],
              starts_at=local_dt(TODAY + timedelta(days=2), "08:10"))
        with pytest.raises(DomainError, match="Double réservation"):
            _series(b, users["care_aide"], times="08:00")
        assert not VisitSeries.objects.exists()

    def test_team_day_and_visit_page_show_it(self, crt_a, b, users, client):
        start = local_dt(TODAY, "14:00")
        first = visit(b, users["care_aide"], starts_at=start)
        visit(shared_file(crt_a), users["care_aide"], starts_at=start + timedelta(minutes=10))
        visit(b, users["nurse"], starts_at=start)
        client.force_login(users["coordinator"])
        page = visible_text(client.get(reverse("visits:team_day")))
        assert "2 passages se chevauchent" in page
        assert page.count("prévu · chevauchement") == 2
        detail = visible_text(client.get(reverse("visits:detail",
                                                 kwargs={"visit_id": first.public_id})))
        assert "Double réservation" in detail


# --- Tracing ---------------------------------------------------------------------------------


def _trace_day():
    """A day whose early hours (the visits traced 00:07–00:30 below) are past: today, or
    yesterday in the first hour after midnight."""
    now = timezone.localtime()
    return now.date() - timedelta(days=1 if now.hour < 1 else 0)


class TestTracing:
    @pytest.fixture
    def v(self, b, users):
        return visit(b, users["care_aide"], starts_at=local_dt(_trace_day(), "00:05"))

    def test_my_day_lists_my_visits_only(self, b, users, client):
        visit(b, users["care_aide"], starts_at=local_dt(timezone.localdate(), "00:05"))
        visit(b, users["nurse"], starts_at=local_dt(timezone.localdate(), "00:10"))
        client.force_login(users["care_aide"])
        page = visible_text(client.get(reverse("visits:my_day")))
        assert "Mes passages aujourd'hui" in page
        assert "1 passage, 1 à tracer" in page
        assert b.display_name in page

    def test_a_visit_not_begun_offers_no_tracing_yet(self, b, users, client):
        """Tomorrow's visit: no « Réalisé » that would only be refused, but when it opens;
        each card leads to the visit's page."""
        tomorrow = timezone.localdate() + timedelta(days=1)
        later = visit(b, users["care_aide"], starts_at=local_dt(tomorrow, "09:00"))
        client.force_login(users["care_aide"])
        response = client.get(reverse("visits:my_day"), {"jour": tomorrow.isoformat()})
        page = visible_text(response)
        assert f"Se trace à partir du {tomorrow:%d/%m} à 08:00." in page
        assert "Réalisé" not in page and "Non réalisé" not in page
        detail = reverse("visits:detail", kwargs={"visit_id": later.public_id})
        assert f'href="{detail}"' in response.content.decode()

    def test_the_visit_page_offers_tracing_only_once_it_opens(self, b, users, client, v):
        """The page of tomorrow's visit says when it opens, as « Mes passages » does, instead
        of « Tracer : réalisé » leading to a form that is refused once filled in; the page of
        a visit begun offers it."""
        tomorrow = timezone.localdate() + timedelta(days=1)
        later = visit(b, users["care_aide"], starts_at=local_dt(tomorrow, "09:00"))
        for user in (users["care_aide"], users["coordinator"]):
            client.force_login(user)
            page = visible_text(client.get(reverse("visits:detail",
                                                   kwargs={"visit_id": later.public_id})))
            assert f"Se trace à partir du {tomorrow:%d/%m} à 08:00." in page
            assert "Tracer : réalisé" not in page and "Tracer : non réalisé" not in page
        page = visible_text(client.get(reverse("visits:detail", kwargs={"visit_id": v.public_id})))
        assert "Tracer : réalisé" in page and "Se trace à partir" not in page

    def test_the_visit_page_leads_its_professional_on(self, b, users, client, v):
        """On the road, the professional of the visit finds on its page where it is, the
        person's phone, the liaison notebook and the way back to « Mes passages » of that day;
        another reader (the coordination) has the file for that, not the way to a day that
        is not theirs."""
        b.address, b.phone = "12 rue des Lilas", "02 41 00 00 01"
        b.save()
        detail = reverse("visits:detail", kwargs={"visit_id": v.public_id})
        client.force_login(users["care_aide"])
        response = client.get(detail)
        page, html = visible_text(response), response.content.decode()
        assert f"Au domicile — 12 rue des Lilas, {b.commune.name}" in page
        assert 'href="tel:02 41 00 00 01"' in html
        assert f'href="{reverse("care:notes", args=[b.public_id])}"' in html
        # An alert raised from the visit itself (a fall seen at the home, at 3 a.m.): it
        # took the file, then its alerts, then « Signaler une alerte ».
        alert = reverse("care:alert_add", args=[b.public_id])
        assert f'href="{alert}"' in html and "Signaler une alerte" in page
        assert client.get(alert).status_code == 200
        day = timezone.localtime(v.starts_at).date()
        assert f'href="{reverse("visits:my_day")}?jour={day.isoformat()}"' in html
        assert "← Mes passages du" in page
        client.force_login(users["coordinator"])
        page = visible_text(client.get(detail))
        assert "12 rue des Lilas" not in page and "Mes passages du" not in page
        client.force_login(users["admin_staff"])  # plans visits, reads no alert
        response = client.get(detail)
        assert response.status_code == 200 and "Signaler une alerte" not in visible_text(response)

    def test_the_home_offers_tracing_only_once_a_visit_opens(self, b, users, client):
        """04:10: the 04:30 visit may be traced (an hour ahead), the 19:00 one not yet."""
        with time_machine.travel(local_dt(date(2027, 2, 10), "04:10"), tick=False):
            soon = visit(b, users["care_aide"], starts_at=local_dt(date(2027, 2, 10), "04:30"))
            visit(b, users["care_aide"], starts_at=local_dt(date(2027, 2, 10), "19:00"))
            client.force_login(users["care_aide"])
            response = client.get(reverse("core:home"))
        page = response.content.decode()
        assert ("2 passages (avec la nuit depuis hier 18:00), 2 à tracer."
                in visible_text(response))
        assert page.count("Réalisé<span") == 1
        assert reverse("visits:trace_done", kwargs={"visit_id": soon.public_id}) in page

    def test_a_visit_begun_offers_tracing(self, b, users, client, v):
        client.force_login(users["care_aide"])
        page = visible_text(client.get(reverse("visits:my_day"),
                                       {"jour": _trace_day().isoformat()}))
        assert "Réalisé" in page and "Se trace à partir" not in page

    def test_done_with_a_liaison_note(self, b, users, client, v):
        client.force_login(users["care_aide"])
        url = reverse("visits:trace_done", kwargs={"visit_id": v.public_id})
        response = client.post(url, {"actual_start": "00:07", "actual_end": "00:30",
                                     "report": "Toilette, lever", "note_text": "A bien mangé",
                                     "note_category": "meals", "note_visibility": "caregiver",
                                     "version": v.version})
        assert response.status_code == 302
        v.refresh_from_db()
        assert v.status == "done" and v.traced_by == users["care_aide"]
        assert timezone.localtime(v.actual_start).time() == time(0, 7)
        note = LiaisonNote.objects.get(beneficiary=b)
        assert (note.text, note.visibility) == ("A bien mangé", "caregiver")
        assert AuditEvent.objects.filter(action="visit.done", object_id=str(v.public_id))

    @pytest.mark.parametrize("data, message", [
        ({"actual_start": "00:30", "actual_end": "00:10"}, "doit suivre l'heure d'arrivée"),
        ({"actual_start": "25:00", "actual_end": "00:10"}, "Heure invalide"),
        ({"actual_start": "", "actual_end": "00:10"}, "Indiquez l'heure d'arrivée"),
    ])
    def test_bad_times_are_refused(self, users, client, v, data, message):
        client.force_login(users["care_aide"])
        response = client.post(reverse("visits:trace_done", kwargs={"visit_id": v.public_id}),
                               {**data, "version": v.version})
        assert response.status_code == 400
        assert message in visible_text(response)
        v.refresh_from_db()
        assert v.status == "planned"

    def test_times_overlapping_another_visit_traced_are_refused(self, b, users, client, v):
        """One professional, one home at a time: 00:07–00:30 traced at one person's, then
        00:20–00:40 at another's is refused, said next to the arrival; 00:31 is taken."""
        from maillage.beneficiaries.tests.factories import shared_file

        other = shared_file(b.crt, users["care_aide"])
        second = visit(other, users["care_aide"], starts_at=v.starts_at)
        client.force_login(users["care_aide"])
        client.post(reverse("visits:trace_done", kwargs={"visit_id": v.public_id}),
                    {"actual_start": "00:07", "actual_end": "00:30", "version": v.version})
        url = reverse("visits:trace_done", kwargs={"visit_id": second.public_id})
        response = client.post(url, {"actual_start": "00:20", "actual_end": "00:40",
                                     "version": second.version})
        assert response.status_code == 400
        assert (f"Ces heures chevauchent le passage déjà tracé chez {b.display_name} le "
                f"{_trace_day():%d/%m} de 00:07 à 00:30 : vérifiez les heures."
                in visible_text(response))
        second.refresh_from_db()
        assert second.status == "planned"
        response = client.post(url, {"actual_start": "00:31", "actual_end": "00:40",
                                     "version": second.version})
        assert response.status_code == 302

    @pytest.mark.parametrize("planned, arrival, departure, expected", [
        ("23:40", "23:45", "00:20", "09/02 23:45 → 10/02 00:20"),  # past midnight
        ("00:00", "23:55", "00:30", "09/02 23:55 → 10/02 00:30"),  # begun the evening before
        ("00:05", "00:07", "00:30", "10/02 00:07 → 10/02 00:30"),
    ])
    def test_a_night_visit_traced_across_midnight(self, b, users, client, planned, arrival,
                                                  departure, expected):
        """The times typed are read around the planned start: a departure after midnight is
        the next day's, an arrival just before a visit planned at midnight the day before's."""
        day = date(2027, 2, 10) if planned < "12:00" else date(2027, 2, 9)
        with time_machine.travel(local_dt(date(2027, 2, 10), "01:00"), tick=True):
            v = visit(b, users["nurse"], starts_at=local_dt(day, planned), minutes=40)
            client.force_login(users["nurse"])
            response = client.post(reverse("visits:trace_done", kwargs={"visit_id": v.public_id}),
                                   {"actual_start": arrival, "actual_end": departure,
                                    "version": v.version})
        assert response.status_code == 302, visible_text(response)
        v.refresh_from_db()
        start, end = timezone.localtime(v.actual_start), timezone.localtime(v.actual_end)
        assert f"{start:%d/%m %H:%M} → {end:%d/%m %H:%M}" == expected

    def test_a_traced_occurrence_is_not_said_modified_alone(self, b, users, client):
        """Tracing keeps a series' occurrence out of later changes to the series, but the
        visit's page says « modifié seul » only of an occurrence changed on its own."""
        _, created = _series(b, users["care_aide"])  # from tomorrow
        traced, moved, *_ = sorted(created, key=lambda v: v.starts_at)  # 08:00, 19:00
        services.visit_update(actor=users["coordinator"], visit=moved, version=moved.version,
                              starts_at=moved.starts_at + timedelta(minutes=30),
                              ends_at=moved.ends_at + timedelta(minutes=30))
        with time_machine.travel(local_dt(TODAY + timedelta(days=1), "12:00"), tick=True):
            client.force_login(users["care_aide"])
            response = client.post(
                reverse("visits:trace_done", kwargs={"visit_id": traced.public_id}),
                {"actual_start": "08:05", "actual_end": "08:35", "version": traced.version})
            assert response.status_code == 302, visible_text(response)[-600:]

            def detail(v):
                return visible_text(client.get(reverse("visits:detail",
                                                       kwargs={"visit_id": v.public_id})))
            assert "modifié seul" not in detail(traced) and "Réalisé" in detail(traced)
            assert "(ce passage a été modifié seul)" in detail(moved)

    def test_times_traced_the_night_the_clocks_go_forward_are_real_moments(self, b, users,
                                                                         client):
        """28 March 2027, 02:00 becomes 03:00: 01:50–03:10 is twenty minutes; a departure at
        03:10 after an arrival typed 02:40 (an hour that does not exist, read as 03:40) is
        refused, not saved ending before it began."""
        day = date(2027, 3, 28)
        with time_machine.travel(local_dt(day, "05:00"), tick=True):
            v = visit(b, users["care_aide"], starts_at=local_dt(day, "01:45"))
            client.force_login(users["care_aide"])
            url = reverse("visits:trace_done", kwargs={"visit_id": v.public_id})
            response = client.post(url, {"actual_start": "02:40", "actual_end": "03:10",
                                         "version": v.version})
            assert response.status_code == 400
            assert "doit suivre l'heure d'arrivée" in visible_text(response)
            response = client.post(url, {"actual_start": "01:50", "actual_end": "03:10",
                                         "version": v.version})
        assert response.status_code == 302
        v.refresh_from_db()
        assert v.status == "done"
        assert v.actual_end - v.actual_start == timedelta(minutes=20)

    def test_a_note_with_a_bad_visibility_saves_nothing(self, users, client, v):
        client.force_login(users["care_aide"])
        response = client.post(reverse("visits:trace_done", kwargs={"visit_id": v.public_id}),
                               {"actual_start": "00:07", "actual_end": "00:30",
                                "note_text": "x", "note_category": "meals",
                                "note_visibility": "everyone", "version": v.version})
        assert response.status_code == 400
        v.refresh_from_db()
        assert v.status == "planned" and not LiaisonNote.objects.exists()

    def test_concurrent_tracing_is_detected(self, users, client, v):
        client.force_login(users["care_aide"])
        url = reverse("visits:trace_done", kwargs={"visit_id": v.public_id})
        data = {"actual_start": "00:07", "actual_end": "00:30", "version": v.version}
        assert client.post(url, data).status_code == 302
        response = client.post(url, data)
        assert response.status_code == 409

    def test_not_done_alerts_the_coordinator(self, b, users, client, v):
        client.force_login(users["care_aide"])
        response = client.post(
            reverse("visits:trace_not_done", kwargs={"visit_id": v.public_id}),
            {"reason": "no_answer", "comment": "Volets fermés", "version": v.version})
        assert response.status_code == 302
        alert = Alert.objects.get(beneficiary=b)
        assert alert.kind == "missed_visit" and alert.severity == "high"
        assert "Volets fermés" in alert.description
        assert Notification.objects.filter(user=users["coordinator"]).exists()

    def test_planned_absence_needs_no_alert(self, b, users, v):
        services.visit_mark_not_done(actor=users["care_aide"], visit=v, version=v.version,
                                     reason="planned_absence")
        assert not Alert.objects.exists()

    def test_another_care_aide_may_not_trace_it(self, crt_a, users, client, make_user, v):
        colleague = make_user(crt_a, Role.CARE_AIDE, username="colleague")
        join_care_team(v.beneficiary, colleague)
        client.force_login(colleague)
        url = reverse("visits:trace_done", kwargs={"visit_id": v.public_id})
        assert client.get(url).status_code == 403
        client.force_login(users["coordinator"])  # a planner may correct
        assert client.get(url).status_code == 200

    def test_a_visit_in_the_future_cannot_be_traced_yet(self, b, users):
        later = visit(b, users["care_aide"], starts_at=timezone.now() + timedelta(hours=3))
        with pytest.raises(DomainError, match="pas encore commencé"):
            services.visit_mark_not_done(actor=users["care_aide"], visit=later,
                                         version=later.version, reason="refused")


class TestMissedVisitAlert:
    def test_raised_two_hours_after_the_planned_end_once(self, b, users):
        v = visit(b, users["care_aide"], starts_at=timezone.now() - timedelta(hours=3))
        assert services.check_missed(now=v.ends_at + timedelta(minutes=119)) == []
        assert services.check_missed(now=v.ends_at + timedelta(minutes=121)) == [v]
        alert = Alert.objects.get()
        assert alert.kind == "missed_visit" and alert.raised_by is None
        assert "non tracé deux heures après la fin prévue" in alert.description
        assert Notification.objects.filter(user=users["coordinator"]).exists()
        assert services.check_missed(now=v.ends_at + timedelta(hours=5)) == []

    def test_only_the_last_day_is_checked(self, b, users):
        old = visit(b, users["care_aide"], starts_at=timezone.now() - timedelta(days=3))
        assert services.check_missed() == []
        assert services.check_missed(lookback=None) == [old]

    def test_traced_or_cancelled_visits_raise_nothing(self, b, users):
        past = timezone.now() - timedelta(hours=5)
        visit(b, users["care_aide"], starts_at=past, status="done")
        visit(b, users["care_aide"], starts_at=past, status="cancelled")
        assert services.check_missed() == []

    def test_the_tick_command(self, b, users):
        from django.core.management import call_command

        visit(b, users["care_aide"], starts_at=timezone.now() - timedelta(hours=4))
        call_command("visits_tick")
        assert Alert.objects.filter(kind="missed_visit").count() == 1


# --- Who sees what ---------------------------------------------------------------------------


class TestAccess:
    def test_partner_sees_only_the_people_who_consented(self, crt_a, users, client):
        partner = users["partner"]
        mine = shared_file(crt_a, partner, {Role.PARTNER})
        pro = mine.care_team.get().professional
        visit(mine, starts_at=local_dt(TODAY, "00:05"), professional=pro)
        hidden = BeneficiaryFactory(crt=crt_a)  # in the team, no consent
        from maillage.beneficiaries.models import CareTeamMember
        CareTeamMember.objects.create(crt=crt_a, beneficiary=hidden, professional=pro,
                                      role="Médecin", start_date=date(2024, 1, 1))
        hidden_visit = visit(hidden, starts_at=local_dt(TODAY, "00:10"), professional=pro)
        client.force_login(partner)
        page = visible_text(client.get(reverse("visits:my_day")))
        assert mine.display_name in page and hidden.display_name not in page
        assert client.get(reverse("visits:detail", kwargs={
            "visit_id": hidden_visit.public_id})).status_code == 404
        assert client.get(reverse("visits:beneficiary", kwargs={
            "public_id": hidden.public_id})).status_code == 404

    def test_consent_without_planning_hides_the_calendar(self, crt_a, users, client):
        b = BeneficiaryFactory(crt=crt_a)
        consent(b, share_planning=False)
        join_care_team(b, users["partner"], {Role.PARTNER})
        client.force_login(users["partner"])
        response = client.get(reverse("visits:beneficiary", kwargs={"public_id": b.public_id}))
        assert response.status_code == 403

    def test_partner_week_is_their_own_whatever_the_parameter(self, crt_a, users, client, b):
        visit(b, users["care_aide"], starts_at=local_dt(TODAY, "09:00"))
        client.force_login(users["partner"])
        response = client.get(reverse("visits:professional_week"),
                              {"qui": f"s-{users['care_aide'].public_id}"})
        assert response.status_code == 200
        assert b.display_name not in visible_text(response)

    def test_reading_a_persons_planning_is_audited(self, b, users, client):
        client.force_login(users["nurse"])
        client.get(reverse("visits:beneficiary", kwargs={"public_id": b.public_id}))
        event = AuditEvent.objects.get(action="visits.viewed")
        assert event.beneficiary_public_id == b.public_id and event.actor == users["nurse"]


# --- Planning pages --------------------------------------------------------------------------


class TestPlanningPages:
    def test_plan_a_series_from_a_plan_action(self, crt_a, b, users, client):
        version = care.filled(care.plan_version(b, status="validated"), users["care_aide"])
        action = version.actions.get()
        client.force_login(users["coordinator"])
        url = reverse("visits:plan", kwargs={"public_id": b.public_id})
        form = client.get(url, {"action": action.public_id})
        assert "Action du plan : Passage du soir" in visible_text(form)
        response = client.post(f"{url}?action={action.public_id}", {
            "start_date": TODAY + timedelta(days=1), "times": "19:00", "duration_minutes": 30,
            "staff": users["care_aide"].public_id, "place": "home", "recurrence": "weekly",
            "interval": 1, "weekdays": ["0", "1", "2", "3", "4", "5", "6"],
            "end_date": TODAY + timedelta(days=7)})
        assert response.status_code == 302
        series = VisitSeries.objects.get()
        assert series.planned_action == action
        assert series.visits.count() == 7

    def test_times_typed_as_spoken_are_read(self, b, users, client):
        client.force_login(users["coordinator"])
        url = reverse("visits:plan", kwargs={"public_id": b.public_id})
        data = {"start_date": TODAY + timedelta(days=1), "duration_minutes": 30,
                "staff": users["care_aide"].public_id, "place": "home", "recurrence": "daily",
                "interval": 1, "end_date": TODAY + timedelta(days=2)}
        for typed in ("8 15", "8h61", "24h"):  # « 8 15 » is not read as 08:00 and 15:00
            response = client.post(url, {**data, "times": typed})
            assert response.status_code == 400
            assert "n'est pas une heure" in field_error(response, "times")
        response = client.post(url, {**data, "times": "9h, 10h et 19H30"})
        assert response.status_code == 302, visible_text(response)
        assert VisitSeries.objects.get().times == "09:00,10:00,19:30"

    def test_a_time_field_reads_9h_too(self):
        from datetime import time

        from django import forms

        field = forms.TimeField()
        assert [field.clean(v) for v in ("9h", "10H", "19h30", "08:00")] == [
            time(9), time(10), time(19, 30), time(8)]

    def test_one_off_with_two_times_is_refused(self, b, users, client):
        client.force_login(users["coordinator"])
        response = client.post(reverse("visits:plan", kwargs={"public_id": b.public_id}), {
            "start_date": TODAY + timedelta(days=1), "times": "08:00, 19:00",
            "duration_minutes": 30, "staff": users["care_aide"].public_id, "place": "home",
            "recurrence": "once"})
        assert response.status_code == 400
        assert "Une seule heure pour un passage ponctuel" in visible_text(response)
        assert not Visit.objects.exists()

    def test_both_a_staff_member_and_a_partner_is_refused(self, crt_a, b, users, client):
        pro = ProfessionalFactory(crt=crt_a)
        client.force_login(users["coordinator"])
        response = client.post(reverse("visits:plan", kwargs={"public_id": b.public_id}), {
            "start_date": TODAY + timedelta(days=1), "times": "08:00", "duration_minutes": 30,
            "staff": users["care_aide"].public_id, "professional": pro.public_id,
            "place": "home", "recurrence": "once"})
        assert response.status_code == 400
        assert "une seule personne" in visible_text(response)

    def test_a_two_person_series_with_its_window(self, b, users, client):
        client.force_login(users["coordinator"])
        response = client.post(reverse("visits:plan", kwargs={"public_id": b.public_id}), {
            "start_date": TODAY + timedelta(days=1), "times": "08:00", "duration_minutes": 45,
            "staff": users["care_aide"].public_id, "second_staff": users["nurse"].public_id,
            "place": "home", "recurrence": "daily", "interval": 1,
            "end_date": TODAY + timedelta(days=3), "window_before": "30",
            "window_after": "60"})
        assert response.status_code == 302
        assert {(s.staff, s.two_person, s.window_before, s.window_after)
                for s in VisitSeries.objects.all()} == {
            (users["care_aide"], True, 30, 60), (users["nurse"], True, 30, 60)}
        tomorrow = Visit.objects.filter(starts_at__lt=local_dt(TODAY + timedelta(days=2),
                                                                "00:00"))
        at = f"{TODAY + timedelta(days=1):%Y-%m-%d} 08:00"
        assert sorted((v.staff.username, _local(v), v.two_person) for v in tomorrow) == sorted(
            (u.username, at, True) for u in (users["care_aide"], users["nurse"]))
        first = tomorrow.first()
        assert (timezone.localtime(first.window_start).strftime("%H:%M"),
                timezone.localtime(first.window_end).strftime("%H:%M")) == ("07:30", "09:00")
        detail = visible_text(client.get(reverse("visits:detail",
                                                 kwargs={"visit_id": first.public_id})))
        assert "Créneau convenu entre 07:30 et 09:00" in detail
        assert "Visite à deux" in detail

    def test_a_two_person_visit_needs_two_different_people(self, b, users, client):
        client.force_login(users["coordinator"])
        response = client.post(reverse("visits:plan", kwargs={"public_id": b.public_id}), {
            "start_date": TODAY + timedelta(days=1), "times": "08:00", "duration_minutes": 45,
            "staff": users["care_aide"].public_id,
            "second_staff": users["care_aide"].public_id, "place": "home",
            "recurrence": "once", "window_before": "300"})
        assert response.status_code == 400
        errors = response.context["form"].errors
        assert errors["second_staff"] == ["Une visite à deux demande deux personnes "
                                          "différentes."]
        assert errors["window_before"] == ["Quatre heures au plus."]
        assert not Visit.objects.exists()

    def test_beneficiary_calendar_lists_the_week(self, b, users, client):
        visit(b, users["care_aide"], starts_at=local_dt(TODAY, "10:00"))
        client.force_login(users["coordinator"])
        page = visible_text(client.get(reverse("visits:beneficiary",
                                               kwargs={"public_id": b.public_id})))
        assert "Passages — " + b.display_name in page
        assert users["care_aide"].get_full_name() in page


    @pytest.mark.parametrize(("visits", "hours"), [
        ((("10:00", 30),), ("06:00:00", "23:00:00")),
        ((("10:00", 30), ("23:15", 30)), ("06:00:00", "24:00:00")),
        ((("02:00", 45), ("22:10", 30)), ("02:00:00", "23:00:00")),
        ((("23:30", 60),), ("00:00:00", "24:00:00")),  # across midnight
    ])
    def test_the_calendar_shows_a_night_visit_s_hours(self, b, users, client, visits, hours):
        """The week's calendar shows 06:00–23:00, widened to a night visit's hours: a visit at
        23:15 or at 02:00 is drawn, not cut off (the table below the calendar lists them)."""
        monday = TODAY - timedelta(days=TODAY.weekday())
        for at, minutes in visits:
            visit(b, users["care_aide"], starts_at=local_dt(monday + timedelta(days=2), at),
                  minutes=minutes)
        client.force_login(users["coordinator"])
        html = client.get(reverse("visits:beneficiary", kwargs={"public_id": b.public_id}),
                          {"semaine": monday.isoformat()}).content.decode()
        data = json.loads(re.search(r'<script id="visit-calendar-data" type="application/json">'
                                    r'(.*?)</script>', html, re.S).group(1))
        assert len(data["events"]) == len(visits)
        assert (data["slot_min"], data["slot_max"]) == hours


# --- iCalendar -------------------------------------------------------------------------------


class TestICalendar:
    def test_private_feed_then_revoked(self, b, users, client):
        visit(b, users["care_aide"], starts_at=local_dt(TODAY, "10:00"))
        visit(b, users["nurse"], starts_at=local_dt(TODAY, "11:00"))
        client.force_login(users["care_aide"])
        page = client.post(reverse("visits:calendar_feed"), {"action": "create"})
        url = page.context["feed_url"]
        assert url and "/passages/agenda/" in url
        assert CalendarToken.objects.get().token_hash not in url  # only the hash is stored
        client.logout()
        response = client.get(url)
        assert response.status_code == 200
        assert response["Content-Type"].startswith("text/calendar")
        events = Calendar.from_ical(response.content).walk("VEVENT")
        assert len(events) == 1
        summary = str(events[0]["SUMMARY"])
        assert summary.endswith(f"{(b.used_name or b.birth_name)[0].upper()}.")
        assert b.display_name not in response.content.decode()
        client.force_login(users["care_aide"])
        client.post(reverse("visits:calendar_feed"), {"action": "revoke"})
        client.logout()
        assert client.get(url).status_code == 404
        assert AuditEvent.objects.filter(action="calendar_token.revoked").exists()


# --- Query budgets ---------------------------------------------------------------------------


def _count(client, url, params=None) -> int:
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url, params or {}).status_code == 200
    return len(ctx.captured_queries)


def test_team_day_and_my_day_have_a_fixed_query_budget(crt_a, users, client):
    people = [shared_file(crt_a, users["care_aide"]) for _ in range(3)]
    for p in people:
        visit(p, users["care_aide"], starts_at=local_dt(TODAY, "00:05"))
    client.force_login(users["coordinator"])
    team = _count(client, reverse("visits:team_day"))
    client.force_login(users["care_aide"])
    mine = _count(client, reverse("visits:my_day"))
    for p in people:
        for hour in ("00:20", "00:40"):
            visit(p, users["care_aide"], starts_at=local_dt(TODAY, hour),
                  service=care.service(crt_a, name=f"S {p.pk} {hour}"))
    client.force_login(users["coordinator"])
    assert _count(client, reverse("visits:team_day")) == team
    client.force_login(users["care_aide"])
    assert _count(client, reverse("visits:my_day")) == mine
    # « Mes passages »: +1 for the reader's night hours (``rounds.rest.night_hours``: the night
    # shown with today's visits lasts until they end, as for an on-call turn).
    assert team <= 12 and mine <= 13


def test_datetime_helpers_use_paris_time():
    moment = local_dt(date(2026, 7, 1), "08:00")
    assert moment == datetime(2026, 7, 1, 6, 0, tzinfo=UTC)  # summer time: UTC+2
    assert local_dt(date(2026, 12, 1), "08:00") == datetime(2026, 12, 1, 7, 0, tzinfo=UTC)
    assert services.local_day(datetime(2026, 7, 1, 23, 30, tzinfo=UTC)) == date(
        2026, 7, 2)


def test_extreme_days_do_not_crash_the_helpers():
    assert local_dt(date(1, 1, 1), "00:00") == datetime.min.replace(tzinfo=UTC)
    assert local_dt(date(9999, 12, 31), "23:59") == datetime(9999, 12, 31, 22, 59, tzinfo=UTC)


class TestScheduleBounds:
    """Every way of setting a visit's start refuses the days the forms refuse."""

    MESSAGE = "Date hors du planning : indiquez une date entre le 01/01/2000 et dans deux ans"

    @pytest.mark.parametrize("day", [date(1, 1, 1), date(1999, 12, 31), date(9999, 12, 31),
                                     TODAY + timedelta(days=800)])
    def test_one_visit(self, b, users, day):
        v = visit(b, users["nurse"], starts_at=local_dt(TODAY, "10:00"))
        starts = local_dt(day, "00:00" if day.year == 1 else "10:00")
        with pytest.raises(DomainError) as error:
            services.visit_update(actor=users["coordinator"], visit=v, version=v.version,
                                  starts_at=starts, ends_at=starts)
        assert error.value.message.startswith(self.MESSAGE)
        with pytest.raises(DomainError) as error:
            services.visit_create(actor=users["coordinator"], beneficiary=b,
                                  staff=users["nurse"], starts_at=starts, ends_at=starts)
        assert error.value.message.startswith(self.MESSAGE)

    @pytest.mark.parametrize("dates", [
        {"start_date": date(1999, 12, 31), "end_date": None},
        {"start_date": TODAY, "end_date": date(9999, 12, 31)},
    ])
    def test_a_series(self, b, users, dates):
        with pytest.raises(DomainError) as error:
            _series(b, users["care_aide"], **dates)
        assert error.value.message.startswith(self.MESSAGE)
        assert not VisitSeries.objects.exists()


def _paris(moment) -> str:
    return timezone.localtime(moment).strftime("%d/%m %H:%M %z")


def test_a_visit_lasts_its_minutes_on_the_nights_the_clocks_change():
    # Spring, 28 March 2027: from 02:00 it is 03:00; 02:30 does not exist, it is read as 03:30.
    spring = local_dt(date(2027, 3, 28), "02:30")
    assert _paris(spring) == "28/03 03:30 +0200"
    assert _paris(spring + timedelta(minutes=45)) == "28/03 04:15 +0200"
    before = local_dt(date(2027, 3, 28), "01:45")
    assert _paris(before + timedelta(minutes=30)) == "28/03 03:15 +0200"
    # Autumn, 31 October 2027: from 03:00 it is 02:00 again; 02:30 is its first occurrence,
    # and a 45-minute visit then ends at the second 02:15, not at 03:15 (an hour more).
    autumn = local_dt(date(2027, 10, 31), "02:30")
    assert _paris(autumn) == "31/10 02:30 +0200"
    assert _paris(autumn + timedelta(minutes=45)) == "31/10 02:15 +0100"


@pytest.mark.parametrize("first_day", [date(2027, 3, 27), date(2027, 10, 30)],
                         ids=["spring", "autumn"])
def test_a_night_series_across_the_change_of_time(b, users, first_day):
    """A nightly 02:30 visit of 45 minutes, the night the clocks change in between: each
    occurrence is created (the spring one used to end before it started and failed the whole
    series) and lasts 45 minutes."""
    with time_machine.travel(local_dt(first_day - timedelta(days=7), "10:00"), tick=True):
        series, _ = _series(b, users["nurse"], times="02:30", duration_minutes=45,
                                  start_date=first_day, end_date=first_day + timedelta(days=2))
    visits = list(Visit.objects.filter(series=series).order_by("starts_at"))
    assert len(visits) == 3
    assert {v.ends_at - v.starts_at for v in visits} == {timedelta(minutes=45)}
    starts = [_paris(v.starts_at) for v in visits]
    if first_day.month == 3:
        assert starts == ["27/03 02:30 +0100", "28/03 03:30 +0200", "29/03 02:30 +0200"]
    else:
        assert starts == ["30/10 02:30 +0200", "31/10 02:30 +0200", "01/11 02:30 +0100"]
