"""Plans that live (issue 11, item 4): goal statuses with their history, the review date set at
validation from the CRT's delay, the reminder when it is due, and the review page."""

from datetime import date, datetime, time, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from maillage.beneficiaries.models import TimelineEvent
from maillage.beneficiaries.tests.factories import join_care_team, shared_file
from maillage.care import selectors, services
from maillage.care.models import Alert, CarePlanVersion, Goal, GoalStatusChange
from maillage.care.services.plans import add_months
from maillage.core.errors import ConflictError, DomainError
from maillage.core.models import AuditEvent, Notification
from maillage.core.tests.helpers import field_error, pdf_text, visible_text
from maillage.visits.models import Visit
from maillage.visits.tests.factories import visit

from . import factories as f


def url(name, b, **kwargs):
    return reverse(f"care:{name}", kwargs={"public_id": b.public_id, **kwargs})


@pytest.fixture
def b(crt_a, users):
    return shared_file(crt_a, users["coordinator"])


@pytest.fixture
def validated(b, users):
    """A plan validated 20 days ago, with one goal in progress."""
    version = f.plan_version(b, status="validated", referent=users["nurse"],
                             validated_at=timezone.now() - timedelta(days=20),
                             next_review_on=timezone.localdate() + timedelta(days=160))
    Goal.objects.create(crt=b.crt, version=version, description="Aucune chute en 3 mois",
                        status=Goal.Status.IN_PROGRESS)
    return version


def test_add_months_keeps_the_day_or_the_month_end():
    assert add_months(date(2026, 1, 15), 6) == date(2026, 7, 15)
    assert add_months(date(2026, 8, 31), 6) == date(2027, 2, 28)
    assert add_months(date(2026, 12, 3), 1) == date(2027, 1, 3)


class TestGoalStatus:
    def test_a_change_is_kept_in_the_history_without_a_new_version(self, users, validated, b):
        goal = validated.goals.get()
        today = timezone.localdate()
        services.goal_status_change(actor=users["coordinator"], goal=goal,
                                    new_status="achieved", changed_on=today,
                                    comment="Pas de chute depuis 3 mois", row_version=1)
        goal.refresh_from_db()
        assert goal.status == "achieved" and goal.row_version == 2
        change = GoalStatusChange.objects.get()
        assert (change.old_status, change.new_status, change.changed_on, change.changed_by) == (
            "in_progress", "achieved", today, users["coordinator"])
        assert CarePlanVersion.objects.count() == 1
        event = AuditEvent.objects.get(action="care_plan.goal_status_changed")
        assert event.beneficiary_public_id == b.public_id
        assert "Pas de chute" not in str(event.details) + event.object_label
        assert TimelineEvent.objects.filter(
            beneficiary=b, title__startswith="Objectif du plan « Aucune chute en 3 mois » : "
                                             "atteint").exists()

    @pytest.mark.parametrize(("status", "days", "comment", "field", "message"), [
        ("achieved", -1, "", "changed_on", "La date ne peut pas être dans le futur."),
        ("achieved", 30, "", "changed_on", "La date précède la validation du plan"),
        ("abandoned", 0, "  ", "comment", "pourquoi l'objectif est « abandonné »"),
        ("partial", 0, "", "comment", "« partiellement atteint »"),
        ("in_progress", 0, "", "new_status", "L'objectif est déjà « en cours »."),
        ("planned", 0, "", "new_status", "Choisissez le nouvel état"),
    ])
    def test_bad_input_is_refused_and_nothing_saved(self, users, validated, status, days,
                                                    comment, field, message):
        goal = validated.goals.get()
        with pytest.raises(DomainError, match=message) as error:
            services.goal_status_change(
                actor=users["coordinator"], goal=goal, new_status=status,
                changed_on=timezone.localdate() - timedelta(days=days), comment=comment,
                row_version=1)
        assert error.value.field == field
        goal.refresh_from_db()
        assert goal.status == "in_progress" and not GoalStatusChange.objects.exists()

    def test_concurrent_change_is_detected(self, users, validated):
        goal = validated.goals.get()
        stale = Goal.objects.get(pk=goal.pk)
        services.goal_status_change(actor=users["nurse"], goal=goal, new_status="achieved",
                                    changed_on=timezone.localdate(), row_version=1)
        with pytest.raises(ConflictError):
            services.goal_status_change(actor=users["coordinator"], goal=stale,
                                        new_status="abandoned", changed_on=timezone.localdate(),
                                        comment="Refus", row_version=1)
        assert GoalStatusChange.objects.count() == 1

    def test_only_the_plan_in_force_changes(self, users, validated, b):
        f.plan_version(b, status="validated", number=2, validated_at=timezone.now())
        with pytest.raises(DomainError, match="plus celle en vigueur"):
            services.goal_status_change(actor=users["coordinator"],
                                        goal=validated.goals.get(), new_status="achieved",
                                        changed_on=timezone.localdate(), row_version=1)
        draft = f.plan_version(b, number=3)
        goal = Goal.objects.create(crt=b.crt, version=draft, description="Répit")
        with pytest.raises(DomainError, match="Dans un brouillon"):
            services.goal_status_change(actor=users["coordinator"], goal=goal,
                                        new_status="in_progress",
                                        changed_on=timezone.localdate(), row_version=1)

    def test_the_next_version_copies_status_and_history(self, users, validated, b):
        services.goal_status_change(actor=users["coordinator"], goal=validated.goals.get(),
                                    new_status="partial", changed_on=timezone.localdate(),
                                    comment="Une chute sans gravité", row_version=1)
        draft = services.careplan_new_version(actor=users["coordinator"], beneficiary=b)
        goal = draft.goals.get()
        assert goal.status == "partial"
        assert list(goal.status_changes.values_list("new_status", "comment")) == [
            ("partial", "Une chute sans gravité")]
        assert draft.next_review_on is None  # the new version sets its own at validation

    def test_page_changes_status_and_shows_the_history(self, client, users, validated, b):
        goal = validated.goals.get()
        client.force_login(users["coordinator"])
        page = visible_text(client.get(url("plan_version", b, number=1)))
        assert "Aucune chute en 3 mois — en cours" in page and "changer l'état" in page
        form_url = url("goal_status", b, number=1, item_id=goal.public_id)
        response = client.post(form_url, {"new_status": "abandoned", "changed_on":
                                          timezone.localdate().isoformat(), "comment": "",
                                          "row_version": 1})
        assert response.status_code == 400
        assert "Expliquez en quelques mots pourquoi l'objectif est « abandonné »." in \
            visible_text(response)
        future = (timezone.localdate() + timedelta(days=2)).isoformat()
        response = client.post(form_url, {"new_status": "achieved", "changed_on": future,
                                          "row_version": 1})
        assert "La date ne peut pas être dans le futur." in visible_text(response)
        assert not GoalStatusChange.objects.exists()
        response = client.post(form_url, {"new_status": "abandoned", "changed_on":
                                          timezone.localdate().isoformat(),
                                          "comment": "La personne refuse", "row_version": 1})
        assert response.status_code == 302
        page = visible_text(client.get(url("plan_version", b, number=1)))
        assert "Aucune chute en 3 mois — abandonné" in page
        assert (f"Le {timezone.localdate():%d/%m/%Y} : en cours → abandonné — La personne "
                "refuse") in page
        # The same stale form again: a conflict, said in French.
        response = client.post(form_url, {"new_status": "achieved", "changed_on":
                                          timezone.localdate().isoformat(), "row_version": 1})
        assert response.status_code == 409
        assert "changé par quelqu'un d'autre" in visible_text(response)

    def test_roles_and_tenancy(self, client, users, validated, b, user_b):
        goal = validated.goals.get()
        form_url = url("goal_status", b, number=1, item_id=goal.public_id)
        client.force_login(users["doctor"])  # the coordination: every person's plan
        assert client.get(form_url).status_code == 200
        # A nurse writes the plans of the people she follows only.
        client.force_login(users["nurse"])
        assert client.get(form_url).status_code == 403
        join_care_team(b, users["nurse"])
        assert client.get(form_url).status_code == 200
        client.force_login(users["care_aide"])
        assert client.get(form_url).status_code == 403
        page = visible_text(client.get(url("plan_version", b, number=1)))
        assert "Aucune chute en 3 mois — en cours" in page and "changer l'état" not in page
        client.force_login(user_b)
        assert client.get(form_url).status_code == 404


def test_the_problems_and_goal_comments_are_health_data(client, users, validated, b):
    """Neither the secretariat nor the activity leader read them (SPEC §3, care.health_data);
    the coordination, the nurses and whoever writes the plan do."""
    from maillage.care.models import Problem

    Problem.objects.create(crt=b.crt, version=validated, description="Chutes nocturnes")
    services.goal_status_change(actor=users["coordinator"], goal=validated.goals.get(),
                                new_status="achieved", changed_on=timezone.localdate(),
                                comment="Plus de chute depuis la barre d'appui", row_version=1)
    join_care_team(b, users["activity_leader"])
    pages = [url("plan_version", b, number=1), url("plan_review", b, number=1)]
    for role in ("admin_staff", "activity_leader"):
        client.force_login(users[role])
        version_page = visible_text(client.get(pages[0]))
        assert "Problèmes Réservés à la coordination, aux infirmiers et aux soignants" \
            in version_page
        for page in pages:
            text = visible_text(client.get(page))
            assert "Aucune chute en 3 mois" in text  # the goals themselves are the plan's
            assert "Chutes nocturnes" not in text and "barre d'appui" not in text, role
        text = pdf_text(client.get(url("plan_pdf", b, number=1)).content)
        assert "Aucune chute" in text and "Chutes nocturnes" not in text
    for role in ("coordinator", "nurse", "direction"):
        client.force_login(users[role])
        text = visible_text(client.get(pages[0]))
        assert "Chutes nocturnes" in text and "barre d'appui" in text, role


class TestReviewDate:
    def _ready(self, b, users, **fields):
        return f.filled(f.plan_version(b, situation_summary="Vit seule.",
                                       referent=users["coordinator"], **fields),
                        users["care_aide"])

    def test_validation_sets_the_review_from_the_crt_delay(self, users, b, crt_a):
        version = self._ready(b, users)
        services.careplan_validate(actor=users["coordinator"], version=version, row_version=1)
        assert version.next_review_on == add_months(timezone.localdate(), 6)
        version.refresh_from_db()
        assert version.next_review_on == add_months(timezone.localdate(), 6)
        crt_a.plan_review_months = 3
        crt_a.save()
        second = services.careplan_new_version(actor=users["coordinator"], beneficiary=b)
        second.refresh_from_db()
        services.careplan_validate(actor=users["coordinator"], version=second,
                                   row_version=second.version)
        second.refresh_from_db()
        assert second.next_review_on == add_months(timezone.localdate(), 3)
        assert selectors.plans_in_force(crt=crt_a).get() == second

    def test_an_earlier_date_is_kept_a_later_one_is_not(self, users, b, crt_a):
        earlier = timezone.localdate() + timedelta(days=40)
        version = self._ready(b, users, next_review_on=earlier)
        services.careplan_validate(actor=users["coordinator"], version=version, row_version=1)
        version.refresh_from_db()
        assert version.next_review_on == earlier
        other = shared_file(crt_a)
        later = self._ready(other, users, next_review_on=timezone.localdate() + timedelta(
            days=400))
        services.careplan_validate(actor=users["coordinator"], version=later, row_version=1)
        later.refresh_from_db()
        assert later.next_review_on == add_months(timezone.localdate(), 6)

    def test_a_past_review_date_is_refused_next_to_its_field_and_at_validation(
            self, client, users, b):
        version = self._ready(b, users)
        client.force_login(users["coordinator"])
        response = client.post(url("plan_edit", b, number=1), {
            "situation_summary": "Vit seule.", "referent": users["coordinator"].public_id,
            "next_review_on": "2025-01-01", "version": version.version})
        assert response.status_code == 400
        assert field_error(response, "next_review_on") == (
            "La prochaine révision (01/01/2025) est passée : choisissez aujourd'hui ou une date "
            "à venir, ou laissez vide pour le délai du CRT.")
        version.refresh_from_db()
        assert version.next_review_on is None
        # Chosen on a day since past (a draft left a while): said at validation.
        CarePlanVersion.objects.filter(pk=version.pk).update(
            next_review_on=timezone.localdate() - timedelta(days=1))
        client.post(url("plan_validate", b, number=1), {"version": version.version})
        version.refresh_from_db()
        assert not version.is_validated
        page = visible_text(client.get(url("plan_version", b, number=1)))
        assert "est passée : choisissez aujourd'hui ou une date à venir" in page

    def test_the_page_shows_the_date_after_validation(self, client, users, b):
        self._ready(b, users)
        client.force_login(users["coordinator"])
        response = client.post(url("plan_validate", b, number=1), {"version": 1})
        assert response.status_code == 302
        page = visible_text(client.get(url("plan", b)))
        assert f"prochaine révision : {add_months(timezone.localdate(), 6):%d/%m/%Y}" in page
        # Once revised, the list of versions (« version » is feminine).
        client.post(url("plan_start", b))
        page = visible_text(client.get(url("plan", b)))
        assert f"Version 1 — validée le {timezone.localdate():%d/%m/%Y}" in page
        assert "Version 2 — brouillon" in page

    def test_reminder_once_per_due_date(self, users, b, crt_a, validated):
        today = timezone.localdate()
        assert services.careplan_review_reminders(today=today) == 0  # not due yet
        validated.next_review_on = today
        validated.save()
        assert services.careplan_review_reminders(today=today) == 1
        texts = set(Notification.objects.values_list("user__username", "text"))
        expected = f"Révision du plan de {b.display_name} à faire (prévue le {today:%d/%m/%Y})."
        assert texts == {("coordinator", expected), ("nurse", expected)}
        assert services.careplan_review_reminders(today=today) == 0  # idempotent
        assert services.careplan_review_reminders(today=today + timedelta(days=3)) == 0
        # Moved (a return from hospital): reminded again when the new date comes.
        validated.next_review_on = today + timedelta(days=1)
        validated.save()
        assert services.careplan_review_reminders(today=today + timedelta(days=1)) == 1
        assert Notification.objects.count() == 4


class TestReviewPage:
    def _visits(self, b, users):
        svc = f.service(b.crt, name="Passage d'aide-soignante")
        meals = f.service(b.crt, name="Portage de repas")
        f.PlannedAction.objects.create(crt=b.crt, version=CarePlanVersion.objects.get(),
                                       domain=f.domain(b.crt), service=svc,
                                       description="Toilette", staff=users["care_aide"])
        start = timezone.make_aware(datetime.combine(timezone.localdate() - timedelta(days=10),
                                                     time(8)))
        for day, status, service in [(0, "done", svc), (1, "done", svc), (2, "not_done", svc),
                                     (3, "cancelled", svc), (4, "done", meals),
                                     (5, "planned", None)]:
            visit(b, users["care_aide"], starts_at=start + timedelta(days=day), status=status,
                  service=service)
        # Before the validation, and in the future: not counted.
        visit(b, users["care_aide"], starts_at=start - timedelta(days=30), status="done",
              service=svc)
        visit(b, users["care_aide"], starts_at=timezone.now() + timedelta(days=2), service=svc)

    def test_counts_per_service_by_the_database(self, users, b, validated,
                                                django_assert_max_num_queries):
        self._visits(b, users)
        Alert.objects.create(crt=b.crt, beneficiary=b, kind="fall", description="Chute")
        version = selectors.version_with_items(beneficiary=b, number=1)
        with django_assert_max_num_queries(3):
            review = selectors.plan_review(version=version, beneficiary=b)
        rows = {r["name"]: (r["done"], r["not_done"], r["cancelled"], r["untraced"], r["in_plan"])
                for r in review["services"]}
        assert rows == {"Passage d'aide-soignante": (2, 1, 1, 0, True),
                        "Portage de repas": (1, 0, 0, 0, False),
                        "Passage sans prestation": (0, 0, 0, 1, False)}
        assert review["totals"] == {"done": 3, "not_done": 1, "cancelled": 1, "untraced": 1}
        assert [(a["label"], a["n"], a["open"]) for a in review["alerts"]] == [("Chute", 1, 1)]
        assert Visit.objects.count() == 8

    def test_page_shows_visits_goals_and_prepares_the_next_version(self, client, users, b,
                                                                   validated):
        self._visits(b, users)
        GoalStatusChange.objects.create(crt=b.crt, goal=validated.goals.get(),
                                        old_status="planned", new_status="in_progress",
                                        changed_on=timezone.localdate(), comment="Engagé",
                                        changed_by=users["nurse"])
        client.force_login(users["coordinator"])
        response = client.get(url("plan_review", b, number=1))
        page = visible_text(response)
        assert "Révision du plan de" in page
        assert "Passage d'aide-soignante 2 1 1 0" in page
        assert "Portage de repas (hors actions du plan) 1 0 0 0" in page
        assert "Aucune chute en 3 mois — En cours" in page
        assert "à engager → en cours — Engagé" in page
        assert AuditEvent.objects.filter(action="care_plan.review_viewed",
                                         beneficiary_public_id=b.public_id).exists()
        response = client.post(url("plan_start", b))
        assert response.status_code == 302
        assert CarePlanVersion.objects.get(number=2).based_on == validated
        page = visible_text(client.get(url("plan_review", b, number=1)))
        assert "Une nouvelle version est déjà en cours de rédaction : version 2" in page

    def test_roles_and_tenancy(self, client, users, b, validated, user_b):
        review_url = url("plan_review", b, number=1)
        client.force_login(users["direction"])
        assert client.get(review_url).status_code == 200
        client.force_login(users["caregiver"])
        assert client.get(review_url).status_code == 403
        client.force_login(user_b)
        assert client.get(review_url).status_code == 404
        draft = f.plan_version(b, number=2)
        client.force_login(users["coordinator"])
        assert client.get(url("plan_review", b, number=draft.number)).status_code == 404

    def test_home_links_to_the_review(self, client, users, b, validated):
        validated.next_review_on = timezone.localdate() + timedelta(days=5)
        validated.save()
        client.force_login(users["coordinator"])
        html = client.get(reverse("core:home")).content.decode()
        assert url("plan_review", b, number=1) in html


def test_the_periodic_job_reminds_once(users, b, validated):
    from django.core.management import call_command

    from maillage.care.tasks import plans_review_reminders

    validated.next_review_on = timezone.localdate() - timedelta(days=1)
    validated.save()
    call_command("plans_tick")
    plans_review_reminders.call_local()  # the queue's daily task, after the command
    assert Notification.objects.filter(user=users["coordinator"]).count() == 1
