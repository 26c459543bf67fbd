"""A temporary exit (hospitalisation, holidays…) drives the visits: the planned ones of the
period are cancelled, the series generate none inside it, the care team is told, the portal and
the on-call screens say it; the return plans the visits again and asks the plan's review."""

from contextlib import contextmanager
from datetime import timedelta

import pytest
from django.db import DatabaseError, connection
from django.urls import reverse
from django.utils import timezone

from maillage.admissions import services
from maillage.admissions.models import Suspension
from maillage.beneficiaries.access import users_with_access
from maillage.beneficiaries.tests.factories import (
    BeneficiaryFactory,
    CaregiverFactory,
    join_care_team,
    shared_file,
)
from maillage.care.selectors import reviews_due
from maillage.care.tests.factories import plan_version
from maillage.core.errors import DomainError
from maillage.core.models import AuditEvent, Notification
from maillage.core.roles import Role
from maillage.core.tests.helpers import visible_text
from maillage.visits import services as visit_services
from maillage.visits.models import Visit
from maillage.visits.services import local_dt

from .factories import enrolment

TODAY = timezone.localdate()


@pytest.fixture
def person(crt_a, users):
    """Enrolled 200 days ago, a daily series at 08:00 and 19:00 started 10 days ago (its past
    occurrences created), the visit of yesterday morning done, a validated plan to review in
    4 months; the nurse in the care team, the son with a portal account."""
    b = shared_file(crt_a, users["nurse"])
    b.first_name, b.birth_name = "Jeanne", "HAMON"
    b.save()
    CaregiverFactory(crt=crt_a, beneficiary=b, user=users["caregiver"], first_name="Michel",
                     last_name="Hamon", relation="fils")
    e = enrolment(b, referent=users["coordinator"], admitted_on=TODAY - timedelta(days=200))
    plan_version(b, status="validated", next_review_on=TODAY + timedelta(days=120),
                 referent=users["nurse"])
    series, _ = visit_services.series_create(
        actor=users["coordinator"], beneficiary=b, staff=users["care_aide"],
        frequency="daily", times="08:00, 19:00", duration_minutes=30,
        start_date=TODAY - timedelta(days=10),
        not_before=local_dt(TODAY - timedelta(days=10), "00:00"))
    done = Visit.objects.get(series=series, starts_at=local_dt(TODAY - timedelta(days=1),
                                                                 "08:00"))
    Visit.objects.filter(pk=done.pk).update(status=Visit.Status.DONE, traced_at=timezone.now())
    Notification.objects.all().delete()
    return e


@contextmanager
def _refused_inserts(table: str):
    """A real database failure: a trigger refuses any row inserted into ``table``."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("CREATE FUNCTION h1_refuse() RETURNS trigger AS $$ BEGIN "
                           "RAISE EXCEPTION 'refusé'; END $$ LANGUAGE plpgsql")
            cursor.execute(f"CREATE TRIGGER h1_refuse BEFORE INSERT ON {table} "
                           "FOR EACH ROW EXECUTE FUNCTION h1_refuse()")
        else:
            cursor.execute(f"CREATE TRIGGER h1_refuse BEFORE INSERT ON {table} "
                           "BEGIN SELECT RAISE(ABORT, 'refusé'); END")
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                cursor.execute(f"DROP TRIGGER h1_refuse ON {table}")
                cursor.execute("DROP FUNCTION h1_refuse()")
            else:
                cursor.execute("DROP TRIGGER h1_refuse")


def _planned(b, first, last=None):
    qs = Visit.objects.filter(beneficiary=b, status=Visit.Status.PLANNED,
                              starts_at__gte=local_dt(first, "00:00"))
    if last is not None:
        qs = qs.filter(starts_at__lt=local_dt(last, "00:00"))
    return qs


def _hospitalise(users, e, start, end=None):
    return services.suspension_start(
        actor=users["coordinator"], enrolment=e, kind=Suspension.Kind.HOSPITALISATION,
        start_date=start, end_date=end, place="CHU d'Angers, gériatrie",
        reason="Chute, fracture du col")


class TestHospitalisation:
    def test_visits_cancelled_from_the_start_done_ones_untouched(self, users, person):
        b = person.beneficiary
        yesterday = TODAY - timedelta(days=1)
        before = _planned(b, TODAY - timedelta(days=10), yesterday).count()
        _hospitalise(users, person, yesterday)
        cancelled = Visit.objects.filter(beneficiary=b, status=Visit.Status.CANCELLED)
        assert cancelled.count() > 0
        assert set(cancelled.values_list("not_done_reason", flat=True)) == {"hospitalised"}
        assert cancelled.order_by("starts_at").first().starts_at == local_dt(yesterday, "19:00")
        assert not _planned(b, yesterday).exists()
        # Done (traced) visits are history; the days before the start are not touched.
        assert Visit.objects.get(beneficiary=b, starts_at=local_dt(yesterday, "08:00")
                                 ).status == Visit.Status.DONE
        assert _planned(b, TODAY - timedelta(days=10), yesterday).count() == before
        # The horizon moves on: nothing is generated while the person is away.
        visit_services.extend_series(today=TODAY + timedelta(days=20))
        assert not _planned(b, yesterday).exists()
        event = AuditEvent.objects.get(action="suspension.started")
        assert event.details["passages annulés"] == cancelled.count()

    def test_the_care_team_is_told_only_those_who_may_read_the_planning(self, users, person,
                                                                          make_user, crt_a):
        b = person.beneficiary
        # A partner of the care team: the person's consent covers the planning, then not.
        partner = make_user(crt_a, Role.PARTNER, username="gp")
        join_care_team(b, partner, roles=[Role.PARTNER])
        b.consents.update(share_planning=False)
        _hospitalise(users, person, TODAY)
        told = set(Notification.objects.values_list("user__username", flat=True))
        # The coordinator acted (not told of their own act); the nurse of the care team and the
        # care aide who does the visits (in the care team since the series) are told.
        assert told == {"nurse", "care_aide"}
        candidates = [users["nurse"], users["care_aide"], partner]
        assert told == {u.username for u in users_with_access("planning", beneficiary=b,
                                                              users=candidates)}
        text = Notification.objects.first().text
        assert text == (f"Visites suspendues : hospitalisation depuis le {TODAY:%d/%m/%Y} — "
                        f"{b.display_name}")

    def test_portal_and_oncall_say_it_and_list_no_cancelled_visit(self, client, users,
                                                                  person):
        b = person.beneficiary
        _hospitalise(users, person, TODAY)
        client.force_login(users["caregiver"])
        page = visible_text(client.get(reverse("portal:file", args=[b.public_id])))
        assert f"Visites suspendues : hospitalisation depuis le {TODAY:%d/%m/%Y}" in page
        assert "Aucun passage prévu pour l'instant." in page
        assert "CHU" not in page  # the place is for the team
        client.force_login(users["nurse"])
        page = visible_text(client.get(reverse("oncall:person", args=[b.public_id])))
        assert (f"Hospitalisé·e depuis le {TODAY:%d/%m/%Y} (CHU d'Angers, gériatrie) — date "
                "de retour inconnue. Passages suspendus.") in page
        page = visible_text(client.get(reverse("oncall:call_new"),
                                       {"personne": b.public_id}))
        assert f"Hospitalisé·e depuis le {TODAY:%d/%m/%Y}" in page
        page = visible_text(client.get(reverse("oncall:screen"), {"q": "hamon"}))
        assert f"HAMON Jeanne — {b.birth_date:%d/%m/%Y}" in page
        assert f"Hospitalisé·e depuis le {TODAY:%d/%m/%Y}" in page
        page = visible_text(client.get(reverse("visits:beneficiary", args=[b.public_id])))
        assert "Annulé (personne hospitalisée)" in page

    def test_return_plans_the_visits_again_and_asks_the_review(self, users, person):
        b = person.beneficiary
        s = _hospitalise(users, person, TODAY - timedelta(days=5))
        Notification.objects.all().delete()
        back = TODAY + timedelta(days=2)
        services.suspension_end(actor=users["coordinator"], suspension=s, end_date=back,
                                version=s.version)
        # Cancelled until the return; planned again from the return on, up to the horizon.
        assert not _planned(b, TODAY - timedelta(days=5), back).exists()
        assert _planned(b, back, back + timedelta(days=1)).count() == 2
        horizon = TODAY + timedelta(days=visit_services.HORIZON_DAYS)
        assert _planned(b, back, horizon + timedelta(days=1)).count() == \
            2 * ((horizon - back).days + 1)
        assert not Visit.objects.filter(beneficiary=b, status=Visit.Status.CANCELLED,
                                        starts_at__gte=local_dt(back, "00:00")).exists()
        # No duplicate slot.
        slots = list(Visit.objects.filter(beneficiary=b).values_list("starts_at", flat=True))
        assert len(slots) == len(set(slots))
        version = b.care_plan.versions.get()
        assert version.next_review_on == back + timedelta(days=3)
        assert version in reviews_due(crt=b.crt)
        told = {(n.user.username, n.text) for n in Notification.objects.all()}
        assert ("nurse", f"Retour à domicile le {back:%d/%m/%Y} (hospitalisation) : visites "
                         f"reprises — {b.display_name}") in told
        assert any(u == "coordinator" or u == "nurse" and t.startswith("Plan à réviser")
                   for u, t in told)

    def test_known_return_date_resumes_by_itself_and_review_is_due_after_it(self, users,
                                                                              person):
        b = person.beneficiary
        start, back = TODAY + timedelta(days=3), TODAY + timedelta(days=10)
        services.suspension_start(actor=users["coordinator"], enrolment=person,
                                  kind=Suspension.Kind.HOLIDAYS, start_date=start,
                                  end_date=back, reason="Vacances chez sa fille")
        assert _planned(b, TODAY, start).count() == 2 * 3
        assert not _planned(b, start, back).exists()
        assert set(Visit.objects.filter(status=Visit.Status.CANCELLED).values_list(
            "not_done_reason", flat=True)) == {"temporary_exit"}
        assert _planned(b, back, back + timedelta(days=1)).count() == 2
        assert b.care_plan.versions.get().next_review_on == back + timedelta(days=3)
        # Generation skips the period too (a series recreated from its pattern).
        Visit.objects.filter(beneficiary=b, starts_at__gte=local_dt(TODAY, "00:00")).delete()
        b.visit_series.update(generated_until=TODAY - timedelta(days=1))
        visit_services.extend_series(today=TODAY)
        assert not _planned(b, start, back).exists()
        assert _planned(b, back, back + timedelta(days=1)).count() == 2

    def test_return_later_than_planned_cancels_the_extra_days(self, users, person):
        b = person.beneficiary
        start, back = TODAY + timedelta(days=1), TODAY + timedelta(days=4)
        s = services.suspension_start(actor=users["coordinator"], enrolment=person,
                                      kind=Suspension.Kind.RESPITE, start_date=start,
                                      end_date=back, reason="Répit de l'aidant")
        later = back + timedelta(days=3)
        services.suspension_end(actor=users["coordinator"], suspension=s, end_date=later,
                                version=s.version)
        assert not _planned(b, start, later).exists()
        assert _planned(b, later, later + timedelta(days=1)).count() == 2
        # … and earlier than planned brings them back.
        s.refresh_from_db()
        sooner = TODAY + timedelta(days=2)
        services.suspension_end(actor=users["coordinator"], suspension=s, end_date=sooner,
                                version=s.version)
        assert _planned(b, sooner, later + timedelta(days=1)).count() == 2 * 6


class TestRules:
    def test_a_failure_after_the_visits_were_cancelled_undoes_everything(self, users,
                                                                         person):
        b = person.beneficiary
        planned = _planned(b, TODAY).count()
        # The database refuses the notifications, written after the visits were cancelled.
        with _refused_inserts(Notification._meta.db_table), pytest.raises(DatabaseError):
            _hospitalise(users, person, TODAY)
        assert not Suspension.objects.exists()
        assert _planned(b, TODAY).count() == planned
        assert not Visit.objects.filter(status=Visit.Status.CANCELLED).exists()
        assert not AuditEvent.objects.filter(action="suspension.started").exists()
        assert not b.timeline.filter(kind="suspension.started").exists()

    def test_bad_input_is_answered_next_to_the_field(self, client, users, person):
        client.force_login(users["coordinator"])
        url = reverse("admissions:suspension_add", args=[person.public_id])
        data = {"kind": "holidays", "reason": "Vacances", "start_date": TODAY.isoformat()}
        response = client.post(url, {**data, "end_date": (TODAY - timedelta(days=1))
                                     .isoformat()})
        assert response.status_code == 400
        assert "La date de fin précède la date de début." in visible_text(response)
        before = (person.admitted_on - timedelta(days=1)).isoformat()
        assert "commence avant l'admission" in visible_text(
            client.post(url, {**data, "start_date": before}))
        response = client.post(url, {**data, "kind": "cruise"})
        assert response.status_code == 400
        assert not Suspension.objects.exists()
        assert not Visit.objects.filter(status=Visit.Status.CANCELLED).exists()
        assert client.post(url, {**data, "end_date": (TODAY + timedelta(days=5)).isoformat()}
                           ).status_code == 302
        response = client.post(url, {**data, "start_date": (TODAY + timedelta(days=2))
                                     .isoformat()})
        assert "chevauche une autre sortie temporaire" in visible_text(response)
        with pytest.raises(DomainError, match="type de sortie"):
            services.suspension_start(actor=users["coordinator"], enrolment=person,
                                      kind="cruise", start_date=TODAY, reason="x")

    def test_forms_offer_the_kinds_and_the_return_date(self, client, users, person):
        client.force_login(users["coordinator"])
        page = visible_text(client.get(reverse("admissions:suspension_add",
                                               args=[person.public_id])))
        for label in ("Hospitalisation", "Séjour chez un proche ou ailleurs", "Vacances",
                      "Séjour de répit", "Autre", "Retour à domicile le (si connu)"):
            assert label in page

    def test_the_return_recorded_says_whether_it_is_done_or_planned(self, client, users,
                                                                     person):
        """A return date in the future is a planned return: the coordination is told the date
        recorded, not that the person is back (the page then reads « retour prévu le … »)."""
        s = _hospitalise(users, person, TODAY - timedelta(days=2))
        end = reverse("admissions:suspension_end", args=[person.public_id, s.public_id])
        client.force_login(users["coordinator"])
        later = TODAY + timedelta(days=5)
        page = visible_text(client.post(end, {"end_date": later.isoformat(), "version": 1},
                                         follow=True))
        assert f"Date de retour à domicile enregistrée : le {later:%d/%m/%Y}." in page
        assert "Retour à domicile enregistré." not in page
        s.refresh_from_db()
        page = visible_text(client.post(end, {"end_date": TODAY.isoformat(),
                                              "version": s.version}, follow=True))
        assert "Retour à domicile enregistré." in page

    def test_forbidden_role_and_other_crt(self, client, users, person, user_b):
        s = _hospitalise(users, person, TODAY)
        add = reverse("admissions:suspension_add", args=[person.public_id])
        end = reverse("admissions:suspension_end", args=[person.public_id, s.public_id])
        client.force_login(users["care_aide"])
        assert client.get(add).status_code == 403
        assert client.post(end, {"end_date": TODAY.isoformat(), "version": 1}
                           ).status_code == 403
        client.force_login(user_b)
        assert client.get(add).status_code == 404
        assert client.post(end, {"end_date": TODAY.isoformat(), "version": 1}
                           ).status_code == 404
        s.refresh_from_db()
        assert s.end_date is None

    def test_no_enrolment_no_banner(self, client, users, crt_a):
        b = BeneficiaryFactory(crt=crt_a)
        client.force_login(users["nurse"])
        page = visible_text(client.get(reverse("oncall:person", args=[b.public_id])))
        assert "Passages suspendus" not in page
