"""« Optimiser les tournées »: the coordination asks for a proposal, reads it beside the current
plan, applies it; the visits follow. Refused to a care aide, invisible to another CRT."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from maillage.core.models import AuditEvent
from maillage.core.tests.helpers import visible_text
from maillage.rounds.models import Proposal
from maillage.visits.models import Visit
from maillage.visits.services import visit_update
from maillage.visits.tests.factories import visit

from .conftest import at

START = reverse("rounds:start")


@pytest.fixture
def coordinator(client_for):
    return client_for("coordinator")


def ask(client, day, excluded=(), capture=None):
    with capture(execute=True):  # the task queue runs inline in the tests
        response = client.post(START, {"day": day.isoformat(),
                                       "excluded": [str(pk) for pk in excluded]})
    return response


def test_the_team_day_leads_to_the_optimisation_for_the_coordination_only(client_for, users):
    day_page = reverse("visits:team_day")
    assert "Optimiser les tournées" in client_for("coordinator").get(day_page).text
    assert "Optimiser les tournées" not in client_for("care_aide").get(day_page).text


def test_a_proposal_is_computed_compared_and_applied(coordinator, morning, team, day, users,
                                                     django_capture_on_commit_callbacks):
    form = coordinator.get(START)
    assert form.status_code == 200
    assert "Absent·es ce jour-là" in form.text and team["marie"].get_full_name() in form.text

    response = ask(coordinator, day, capture=django_capture_on_commit_callbacks)
    proposal = Proposal.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("rounds:proposal",
                                           kwargs={"public_id": proposal.public_id})
    assert proposal.status == Proposal.Status.DONE and proposal.progress == 100

    page = coordinator.get(response["Location"]).text
    assert f"<title>Tournées du {day:%d/%m/%Y}" in page
    late = page.split("Passages en retard</th>")[1].split("</tr>")[0]
    assert ">2</td>" in late and ">0</td>" in late  # now 2, proposed 0
    for v in morning.values():
        assert v.beneficiary.display_name in page
    assert "Appliquer cette proposition" in page
    # Each tour says its hours, in the map's legend and above its table: a carer's morning
    # and evening tours read alike before (« Sandrine Bouvier — 76,6 km » twice).
    for route in proposal.result["routes"]:
        first, last = route["visits"][0]["start"], route["visits"][-1]["end"]
        span = f"({first // 60:02d}:{first % 60:02d}–{last // 60:02d}:{last % 60:02d})"
        assert page.count(span) >= 2, span

    moves = {item["visit"]: (route["worker"], item["start"])
             for route in proposal.result["routes"] for item in route["visits"]}
    # The proposed day on the team's timeline: each visit in its new carer's row, at its time.
    timeline = coordinator.get(response["Location"]).context["tl"]
    rows = {row["who"]: row for row in timeline["sections"][0]["rows"]}
    for visit_id, (worker, start) in moves.items():
        v = Visit.objects.get(pk=visit_id)
        carer = next(u for u in team.values() if u.pk == worker)
        labels = [b["label"] for b in rows[carer.get_full_name()]["blocks"]]
        assert any(label.startswith(f"{start // 60:02d}:{start % 60:02d}–")
                   and v.beneficiary.display_name in label for label in labels)
    assert 'class="tl-day' in page
    # On the map: a line per carer through the communes of her visits, in order.
    drawn = coordinator.get(response["Location"]).context["map_data"]
    assert len(drawn["routes"]) == len(proposal.result["routes"])
    assert sum(c["visits"] for c in drawn["communes"]) == len(moves)
    assert 'id="rounds-map-data"' in page
    applied = coordinator.post(reverse("rounds:apply",
                                       kwargs={"public_id": proposal.public_id}))
    assert applied.status_code == 302
    assert applied["Location"] == reverse("visits:team_day") + f"?jour={day:%Y-%m-%d}"
    for moved in Visit.objects.filter(pk__in=moves):
        worker, start = moves[moved.pk]
        assert moved.staff_id == worker
        assert moved.starts_at == at(day, 0) + timedelta(minutes=start)
    proposal.refresh_from_db()
    assert proposal.status == Proposal.Status.APPLIED
    assert proposal.applied_by == users["coordinator"]
    assert AuditEvent.objects.filter(action="rounds.applied").count() == 1
    assert AuditEvent.objects.filter(action="visit.updated").count() >= 1
    # Applied once: a second time is refused, with the reason.
    again = coordinator.post(reverse("rounds:apply", kwargs={"public_id": proposal.public_id}),
                             follow=True)
    assert "ne peut plus être appliquée (état : appliquée)" in again.text


def test_a_planning_changed_since_the_proposal_is_refused_whole(
        coordinator, morning, team, day, users, django_capture_on_commit_callbacks):
    ask(coordinator, day, capture=django_capture_on_commit_callbacks)
    proposal = Proposal.objects.get()
    moved = morning["paul"]
    visit_update(actor=users["coordinator"], visit=moved, version=moved.version,
                 starts_at=moved.starts_at + timedelta(minutes=5),
                 ends_at=moved.ends_at + timedelta(minutes=5))
    before = {v.pk: (v.staff_id, v.starts_at) for v in Visit.objects.all()}
    response = coordinator.post(reverse("rounds:apply",
                                        kwargs={"public_id": proposal.public_id}), follow=True)
    assert "Le planning de ce jour a changé depuis la proposition" in response.text
    assert {v.pk: (v.staff_id, v.starts_at) for v in Visit.objects.all()} == before
    proposal.refresh_from_db()
    assert proposal.status == Proposal.Status.DONE


def test_a_proposal_applied_once_its_hours_are_past_is_refused(
        coordinator, morning, team, day, users, django_capture_on_commit_callbacks):
    """Computed ahead, applied that evening: its visits would go to hours gone by (each at
    once « non tracé »). Refused whole, in French; nothing moved."""
    import time_machine

    ask(coordinator, day, capture=django_capture_on_commit_callbacks)
    proposal = Proposal.objects.get()
    before = {v.pk: (v.staff_id, v.starts_at) for v in Visit.objects.all()}
    with time_machine.travel(at(day, 22), tick=True):
        coordinator.force_login(users["coordinator"])
        response = coordinator.post(reverse("rounds:apply",
                                            kwargs={"public_id": proposal.public_id}),
                                    follow=True)
    assert ("Cette proposition place des passages à des heures déjà passées : calculez-en une "
            "nouvelle.") in response.text
    assert {v.pk: (v.staff_id, v.starts_at) for v in Visit.objects.all()} == before


def test_an_absent_carer_and_a_day_without_visits(coordinator, morning, team, day,
                                                  django_capture_on_commit_callbacks):
    ask(coordinator, day, excluded=[team["lea"].pk], capture=django_capture_on_commit_callbacks)
    proposal = Proposal.objects.get()
    assert proposal.excluded == [team["lea"].pk]
    assert str(team["lea"].pk) not in {str(r["worker"]) for r in proposal.result["routes"]}
    page = coordinator.get(reverse("rounds:proposal",
                                   kwargs={"public_id": proposal.public_id})).text
    # Marie alone cannot cross from Candé to Le Lion-d'Angers in time for all four.
    assert proposal.result["unplaced"]
    assert "Passages non placés" in page and "Pas de place dans les tournées" in page

    ask(coordinator, day + timedelta(days=1), capture=django_capture_on_commit_callbacks)
    empty = Proposal.objects.order_by("-pk").first()
    assert empty.status == Proposal.Status.FAILED
    page = coordinator.get(reverse("rounds:proposal", kwargs={"public_id": empty.public_id}))
    assert "Aucun passage à domicile de l&#x27;équipe n&#x27;est prévu le" in page.text
    assert "Appliquer" not in page.text


def test_a_proposal_being_computed_is_followed_by_htmx(coordinator, crt_a, day):
    proposal = Proposal.objects.create(crt=crt_a, day=day)
    url = reverse("rounds:proposal", kwargs={"public_id": proposal.public_id})
    fragment = coordinator.get(url, HTTP_HX_REQUEST="true")
    assert 'hx-trigger="every 2s"' in fragment.text and "Calcul en cours" in fragment.text
    assert "<html" not in fragment.text
    # Once computed, the waiting page reloads whole (its tables come with it).
    proposal.status = Proposal.Status.FAILED
    proposal.save()
    done = coordinator.get(url, HTTP_HX_REQUEST="true")
    assert done.status_code == 200 and done["HX-Refresh"] == "true"


@pytest.mark.parametrize(("value", "message"), [
    ("", "Ce champ est obligatoire."),
    ("31/02/2026", "Saisissez une date valide."),
])
def test_bad_days_are_refused_next_to_the_field(coordinator, value, message,
                                                django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = coordinator.post(START, {"day": value})
    assert response.status_code == 400 and message in response.text
    assert not Proposal.objects.exists()


def test_a_past_day_is_refused(coordinator, django_capture_on_commit_callbacks):
    yesterday = timezone.localdate() - timedelta(days=1)
    with django_capture_on_commit_callbacks(execute=True):
        response = coordinator.post(START, {"day": yesterday.isoformat()})
    assert response.status_code == 400
    assert "Choisissez aujourd&#x27;hui ou un jour à venir." in response.text
    assert not Proposal.objects.exists()


def test_a_care_aide_may_not_and_another_crt_sees_nothing(client, client_for, crt_a, day,
                                                           user_b):
    proposal = Proposal.objects.create(crt=crt_a, day=day)
    url = reverse("rounds:proposal", kwargs={"public_id": proposal.public_id})
    aide = client_for("care_aide")
    assert aide.get(START).status_code == 403
    assert aide.get(url).status_code == 403
    client.force_login(user_b)
    assert client.get(url).status_code == 404
    assert client.post(reverse("rounds:apply",
                               kwargs={"public_id": proposal.public_id})).status_code == 404


def test_a_visit_locked_on_the_proposal_stays_as_planned_in_the_next(
        coordinator, morning, team, day, django_capture_on_commit_callbacks):
    ask(coordinator, day, capture=django_capture_on_commit_callbacks)
    first = Proposal.objects.get()
    page = coordinator.get(reverse("rounds:proposal", kwargs={"public_id": first.public_id}))
    locked = morning["marie-2"]
    assert f'name="locked" value="{locked.pk}"' in page.text
    with django_capture_on_commit_callbacks(execute=True):
        response = coordinator.post(START, {"day": day.isoformat(), "locked": [str(locked.pk)]})
    second = Proposal.objects.exclude(pk=first.pk).get()
    assert response["Location"] == reverse("rounds:proposal",
                                           kwargs={"public_id": second.public_id})
    assert second.locked == [locked.pk] and second.status == Proposal.Status.DONE
    route = next(r for r in second.result["routes"]
                 if any(v["visit"] == locked.pk for v in r["visits"]))
    assert route["worker"] == team["marie"].pk
    assert next(v for v in route["visits"] if v["visit"] == locked.pk)["start"] == 8 * 60 + 30
    page = coordinator.get(response["Location"]).text
    assert f'value="{locked.pk}" id="lock-{locked.pk}" checked' in page


@pytest.mark.parametrize("value", ["abc", "other-day"])
def test_a_lock_on_something_else_is_refused(coordinator, morning, day, value,
                                             django_capture_on_commit_callbacks):
    other = visit(morning["paul"].beneficiary, starts_at=at(day, 9) + timedelta(days=1))
    sent = str(other.pk) if value == "other-day" else value
    with django_capture_on_commit_callbacks(execute=True):
        response = coordinator.post(START, {"day": day.isoformat(), "locked": [sent]})
    assert response.status_code == 400
    assert ("Identifiant de passage invalide." if value == "abc" else
            "Un passage verrouillé n&#x27;est pas un passage prévu de ce jour.") in response.text
    assert not Proposal.objects.exists()


def test_the_night_round_is_asked_for_and_shown(coordinator, crt_a, town, team, day,
                                                django_capture_on_commit_callbacks):
    from maillage.beneficiaries.tests.factories import BeneficiaryFactory
    from maillage.oncall.models import Shift

    Shift.objects.create(crt=crt_a, staff=team["paul"], duty=Shift.Duty.ANSWER_AND_TRAVEL,
                         starts_at=at(day, 20), ends_at=at(day, 32))
    late = visit(BeneficiaryFactory(crt=crt_a, commune=town["lion"]), team["paul"],
                 starts_at=at(day, 23), minutes=20)
    night = visit(BeneficiaryFactory(crt=crt_a, commune=town["cande"]), team["paul"],
                  starts_at=at(day, 26, 30), minutes=20)
    with django_capture_on_commit_callbacks(execute=True):
        response = coordinator.post(START, {"day": day.isoformat(), "night": "on"})
    proposal = Proposal.objects.get()
    assert proposal.night and proposal.status == Proposal.Status.DONE, proposal.error
    page = coordinator.get(response["Location"])
    assert f"<title>Tournées de la nuit du {day:%d/%m/%Y}" in page.text
    rows = [row for route in page.context["routes"] for row in route["rows"]]
    assert {(row["visit"].pk, row["was"]) for row in rows} == {(late.pk, "23:00"),
                                                                (night.pk, "02:30")}
    assert all(0 <= int(row["start"][:2]) < 24 for row in rows)


def test_absent_this_morning_only(coordinator, morning, team, day,
                                  django_capture_on_commit_callbacks):
    bad = coordinator.post(START, {"day": day.isoformat(), "excluded": [str(team["lea"].pk)],
                                   "absent_until": "25:00"})
    assert bad.status_code == 400
    assert "Heure invalide (HH:MM)." in bad.context["form"].errors["absent_until"]
    assert not Proposal.objects.exists()
    with django_capture_on_commit_callbacks(execute=True):
        response = coordinator.post(START, {"day": day.isoformat(),
                                            "excluded": [str(team["lea"].pk)],
                                            "absent_until": "08:45"})
    proposal = Proposal.objects.get()
    assert f"{proposal.absent_until:%H:%M}" == "08:45" and proposal.status == "done"
    # Léa is back at 8:45: whatever she does starts after, her 8:00 visit goes to a colleague.
    lea = next(r for r in proposal.result["routes"] if r["worker"] == team["lea"].pk)
    assert lea["visits"] and all(v["start"] >= 8 * 60 + 45 for v in lea["visits"])
    assert morning["lea-1"].pk not in [v["visit"] for v in lea["visits"]]
    page = coordinator.get(response["Location"]).text
    assert 'name="absent_until" value="08:45"' in page


def test_last_night_may_be_replanned_but_not_yesterday(coordinator, crt_a, team):
    from maillage.oncall.models import Shift

    yesterday = timezone.localdate() - timedelta(days=1)
    Shift.objects.create(crt=crt_a, staff=team["paul"], duty=Shift.Duty.ANSWER_AND_TRAVEL,
                         starts_at=at(yesterday, 20), ends_at=at(yesterday, 32))
    refused = coordinator.post(START, {"day": yesterday.isoformat()})
    assert refused.status_code == 400
    assert "Choisissez aujourd'hui ou un jour à venir." in refused.context["form"].errors["day"]
    accepted = coordinator.post(START, {"day": yesterday.isoformat(), "night": "on"})
    assert accepted.status_code == 302
    assert Proposal.objects.get().night



def test_an_absent_carer_s_visits_only_are_reassigned(coordinator, three_rounds, team, day,
                                                      django_capture_on_commit_callbacks):
    ask(coordinator, day, excluded=[team["marie"].pk],
        capture=django_capture_on_commit_callbacks)
    proposal = Proposal.objects.get()
    response = coordinator.get(reverse("rounds:proposal",
                                       kwargs={"public_id": proposal.public_id}))
    page, text = response.context, visible_text(response)
    # Léa's and Jeanne's rounds stay placed; only Marie's visits may be left out, each with
    # its reason, and fewer than as planned (some fit between her colleagues' visits).
    placed = {row["visit"].pk for route in page["routes"] for row in route["rows"]}
    assert {v.pk for v in three_rounds["lea"] + three_rounds["jeanne"]} <= placed
    assert {u["visit"].pk for u in page["unplaced"]} <= {v.pk for v in three_rounds["marie"]}
    left = page["proposed"]["unplaced"]
    assert page["current"]["unplaced"] == 6 and 0 < left < 6
    assert text.count(" : Pas de place dans les tournées") == left
    gained = 6 - left
    assert ("La proposition fait mieux que le planning actuel : "
            f"{gained} passage{'s' if gained > 1 else ''} non placé{'s' if gained > 1 else ''} "
            "de moins.") in text
    assert "Appliquer cette proposition" in response.text


def test_a_plan_leaving_a_visit_out_is_never_shown_as_a_gain(
        coordinator, morning, day, monkeypatch, django_capture_on_commit_callbacks):
    from maillage.rounds import day as rounds_day

    solve = rounds_day.solve

    def one_left_out(problem, **kwargs):
        """The solver's plan, one visit less: fewer kilometres, no visit late."""
        plan = solve(problem, **kwargs)
        route = max(plan.routes, key=lambda r: len(r.visits))
        plan.unplaced[route.visits.pop().task] = "Pas de place dans les tournées."
        return plan

    monkeypatch.setattr(rounds_day, "solve", one_left_out)
    ask(coordinator, day, capture=django_capture_on_commit_callbacks)
    proposal = Proposal.objects.get()
    response = coordinator.get(reverse("rounds:proposal",
                                       kwargs={"public_id": proposal.public_id}))
    # The day as planned (its two late visits included), nothing to apply.
    assert proposal.result["proposed"] == proposal.result["current"]
    assert ("Le planning actuel est gardé : la meilleure autre organisation trouvée laisserait "
            "1 passage non placé de plus. Il n'y a rien à appliquer.") in visible_text(response)
    assert proposal.result["alternative"]["unplaced"] == 1
    assert "Appliquer cette proposition" not in response.text
    rows = [row for route in response.context["routes"] for row in route["rows"]]
    assert len(rows) == 5 and not any(row["moved"] or row["new_carer"] for row in rows)


def test_the_night_as_planned_is_kept_when_nothing_is_better(
        coordinator, crt_a, town, team, day, django_capture_on_commit_callbacks):
    from maillage.beneficiaries.tests.factories import BeneficiaryFactory
    from maillage.oncall.models import Shift

    Shift.objects.create(crt=crt_a, staff=team["paul"], duty=Shift.Duty.ANSWER_AND_TRAVEL,
                         starts_at=at(day, 20), ends_at=at(day, 32))
    for hour in (23, 26.5):  # 23:00 at Le Lion-d'Angers, 02:30 at Candé
        visit(BeneficiaryFactory(crt=crt_a, commune=town["lion" if hour == 23 else "cande"]),
              team["paul"], starts_at=at(day, 0) + timedelta(hours=hour), minutes=20)
    with django_capture_on_commit_callbacks(execute=True):
        response = coordinator.post(START, {"day": day.isoformat(), "night": "on"})
    page = coordinator.get(response["Location"])
    rows = [row for route in page.context["routes"] for row in route["rows"]]
    assert [(row["was"], row["start"], row["moved"]) for row in rows] == [
        ("23:00", "23:00", False), ("02:30", "02:30", False)]
    assert ("Le planning actuel est gardé : la meilleure autre organisation trouvée ne ferait "
            "pas mieux. Il n'y a rien à appliquer.") in visible_text(page)
    assert "Appliquer cette proposition" not in page.text


def test_the_page_says_who_rests_after_the_night(coordinator, three_rounds, team, day, settings,
                                                 django_capture_on_commit_callbacks):
    from maillage.oncall.models import Shift

    settings.ROUNDS_SOLVER_ITERATIONS = 300
    marie = team["marie"]
    Shift.objects.create(crt=marie.memberships.get().crt, staff=marie,
                         duty=Shift.Duty.ANSWER_AND_TRAVEL,
                         starts_at=at(day - timedelta(days=1), 20), ends_at=at(day, 8))
    ask(coordinator, day, capture=django_capture_on_commit_callbacks)
    proposal = Proposal.objects.get()
    response = coordinator.get(reverse("rounds:proposal",
                                       kwargs={"public_id": proposal.public_id}))
    text = visible_text(response)
    name = marie.get_full_name() or marie.username
    assert (f"{name} : Repos après la nuit jusqu'à 19:00 (fin de son tour d'astreinte à "
            "08:00).") in text
    # Her morning is not hers: nothing of the proposal is given to her.
    assert marie.pk not in {r["worker"] for r in proposal.result["routes"]}
    # Her visits go to her colleagues where they have room; the rest are hers, unplaced.
    assert {int(k) for k in proposal.result["unplaced"]} <= {v.pk for v in three_rounds["marie"]}
    assert page_placed(response) >= {v.pk for v in three_rounds["lea"] + three_rounds["jeanne"]}


def page_placed(response) -> set[int]:
    return {row["visit"].pk for route in response.context["routes"] for row in route["rows"]}


def test_the_page_says_who_rests_after_a_night_for_another_crt_with_nothing_of_it(
        coordinator, three_rounds, crt_b, team, day, settings,
        django_capture_on_commit_callbacks):
    from maillage.beneficiaries.tests.factories import BeneficiaryFactory
    from maillage.core.roles import Role
    from maillage.core.tests.factories import member
    from maillage.territory.tests.factories import CommuneFactory

    settings.ROUNDS_SOLVER_ITERATIONS = 300
    marie = team["marie"]
    member(marie, crt_b, Role.CARE_AIDE)
    # Her night visits in CRT B, at Mr Verrier's in Montreuil-Bellay, the last until 07:00.
    verrier = BeneficiaryFactory(crt=crt_b, birth_name="VERRIER", first_name="Octave",
                                 commune=CommuneFactory(crt=crt_b, name="Montreuil-Bellay"))
    for hour in (23, 29.5):  # 23:00, then 05:30 for an hour and a half
        visit(verrier, marie, starts_at=at(day - timedelta(days=1), 0) + timedelta(hours=hour),
              minutes=90)
    ask(coordinator, day, capture=django_capture_on_commit_callbacks)
    proposal = Proposal.objects.get()
    response = coordinator.get(reverse("rounds:proposal",
                                       kwargs={"public_id": proposal.public_id}))
    text = visible_text(response)
    name = marie.get_full_name() or marie.username
    assert (f"{name} : Repos après la nuit jusqu'à 18:00 (fin de son travail de nuit dans un "
            "autre CRT à 07:00).") in text
    for secret in ("VERRIER", "Octave", "Montreuil", "CRT B"):
        assert secret not in response.text, secret
    # Her visits before 18:00 are not hers any more.
    assert marie.pk not in {r["worker"] for r in proposal.result["routes"]}
