"""A CRT's day with what the plan and the team say beyond the visits' times: windows agreed
with the person, two-person visits, a service's qualification, the carers' own hours (a split
day, from home)."""

from datetime import time

import pytest

from maillage.beneficiaries.tests.factories import BeneficiaryFactory
from maillage.care.tests.factories import service
from maillage.core.roles import Role
from maillage.rounds.day import current_plan, day_problem, propose, summary
from maillage.rounds.models import CarerHours
from maillage.visits.tests.factories import visit

from .conftest import at

pytestmark = pytest.mark.django_db


def task_of(dp, v):
    return next(t for t in dp.problem.tasks if t.key == str(v.pk))


def placed(plan):
    return {v.task: (r.worker, v.start) for r in plan.routes for v in r.visits}


def test_the_window_agreed_with_the_person_bounds_the_visit(crt_a, town, team, day):
    person = BeneficiaryFactory(crt=crt_a, commune=town["cande"])
    wide = visit(person, team["marie"], starts_at=at(day, 8),
                 window_start=at(day, 7, 30), window_end=at(day, 9))
    plain = visit(person, team["marie"], starts_at=at(day, 11))
    dp = day_problem(crt=crt_a, day=day)
    assert (task_of(dp, wide).earliest, task_of(dp, wide).latest) == (7 * 60 + 30, 9 * 60)
    assert (task_of(dp, plain).earliest, task_of(dp, plain).latest) == (10 * 60 + 30,
                                                                        11 * 60 + 30)


def test_a_two_person_visit_gets_two_carers_at_one_time(crt_a, town, team, day):
    person = BeneficiaryFactory(crt=crt_a, commune=town["lion"])
    halves = [visit(person, team[name], starts_at=at(day, 9), minutes=40, two_person=True)
              for name in ("marie", "lea")]
    visit(BeneficiaryFactory(crt=crt_a, commune=town["cande"]), team["marie"],
          starts_at=at(day, 8, 15), minutes=45)
    dp, current, proposal = propose(crt=crt_a, day=day, seconds=3, iterations=500)
    assert proposal.unplaced == {}
    (w1, s1), (w2, s2) = (placed(proposal)[str(v.pk)] for v in halves)
    assert w1 != w2 and s1 == s2 and {w1, w2} == {str(team["marie"].pk), str(team["lea"].pk)}
    assert task_of(dp, halves[0]).together == task_of(dp, halves[1]).together != ""


def test_a_two_person_visit_with_one_carer_says_why(crt_a, town, team, day):
    person = BeneficiaryFactory(crt=crt_a, commune=town["lion"])
    halves = [visit(person, team[name], starts_at=at(day, 9), minutes=40, two_person=True)
              for name in ("marie", "lea")]
    _, _, proposal = propose(crt=crt_a, day=day, seconds=2, iterations=300,
                             exclude=frozenset({team["lea"].pk}))
    why = ("Visite à deux : il faut deux intervenant·es qualifié·es disponibles en même temps, "
           "une seule personne peut la faire ce jour-là.")
    assert proposal.unplaced == {str(v.pk): why for v in halves}
    assert placed(proposal) == {}


def test_half_a_two_person_visit_is_not_planned(crt_a, town, team, day):
    person = BeneficiaryFactory(crt=crt_a, commune=town["lion"])
    half = visit(person, team["marie"], starts_at=at(day, 9), two_person=True)
    other = visit(person, team["lea"], starts_at=at(day, 9, 20), two_person=True)
    _, _, proposal = propose(crt=crt_a, day=day, seconds=1, iterations=100)
    assert set(proposal.unplaced) == {str(half.pk), str(other.pk)}
    assert proposal.unplaced[str(half.pk)].startswith(
        "Visite à deux dont le second passage n'est pas prévu à la même heure")


def test_a_service_s_qualification_decides_who_may_do_it(crt_a, town, team, day):
    injection = service(crt_a, name="Injection", qualification=Role.NURSE)
    person = BeneficiaryFactory(crt=crt_a, commune=town["lion"])
    # Planned with an aide by mistake: only the nurse may do it.
    v = visit(person, team["marie"], starts_at=at(day, 9), service=injection)
    visit(person, team["paul"], starts_at=at(day, 10))
    dp, _, proposal = propose(crt=crt_a, day=day, seconds=2, iterations=300)
    assert task_of(dp, v).skills == {"nurse"}
    assert placed(proposal)[str(v.pk)][0] == str(team["paul"].pk)


def test_a_carer_s_hours_split_her_day_and_start_from_home(crt_a, town, team, day):
    CarerHours.objects.create(crt=crt_a, user=team["lea"], weekday=day.weekday(),
                              starts=time(7), ends=time(20), break_start=time(12),
                              break_end=time(17), start_from=CarerHours.StartFrom.HOME,
                              home_commune=town["ombree"], max_working_minutes=300)
    morning = visit(BeneficiaryFactory(crt=crt_a, commune=town["ombree"]), team["marie"],
                    starts_at=at(day, 8))
    noon = visit(BeneficiaryFactory(crt=crt_a, commune=town["cande"]), team["marie"],
                 starts_at=at(day, 13))
    dp = day_problem(crt=crt_a, day=day)
    lea = [w for w in dp.problem.workers if w.key == str(team["lea"].pk)]
    home = task_of(dp, morning).place
    assert [(w.shift_start, w.shift_end, w.start_place, w.max_working) for w in lea] == [
        (7 * 60, 12 * 60, home, 300), (17 * 60, 20 * 60, home, 300)]
    # Léa, who lives there, takes the morning visit; nobody can do 13:00 but Marie.
    _, current, proposal = propose(crt=crt_a, day=day, seconds=2, iterations=300)
    assert placed(proposal)[str(morning.pk)][0] == str(team["lea"].pk)
    assert placed(proposal)[str(noon.pk)][0] == str(team["marie"].pk)
    assert summary(dp, proposal).kilometres < summary(dp, current).kilometres


def test_the_night_round_is_the_on_call_nurse_s_keeping_time_for_the_calls(crt_a, town, team,
                                                                           day):
    from datetime import timedelta

    from maillage.oncall.models import Call, Shift

    Shift.objects.create(crt=crt_a, staff=team["paul"], duty=Shift.Duty.ANSWER_AND_TRAVEL,
                         starts_at=at(day, 20), ends_at=at(day, 32))
    # Two nights ago, a call-out took 70 minutes on the road; one night without a call.
    for back in (2, 3):
        Shift.objects.create(crt=crt_a, staff=team["paul"], duty=Shift.Duty.ANSWER_AND_TRAVEL,
                             starts_at=at(day - timedelta(days=back), 20),
                             ends_at=at(day - timedelta(days=back), 32))
    Call.objects.create(crt=crt_a, received_at=at(day - timedelta(days=2), 23),
                        reason=Call.Reason.FALL, call_out=True, answered_by=team["paul"],
                        departed_at=at(day - timedelta(days=2), 23, 5),
                        left_at=at(day - timedelta(days=2), 24, 15))
    person = BeneficiaryFactory(crt=crt_a, commune=town["lion"])
    late = visit(person, team["paul"], starts_at=at(day, 23), minutes=20)
    early = visit(BeneficiaryFactory(crt=crt_a, commune=town["cande"]), team["paul"],
                  starts_at=at(day, 27), minutes=20)  # 03:00 the next morning
    visit(person, team["marie"], starts_at=at(day, 9))  # the day's: not the night's
    dp, current, proposal = propose(crt=crt_a, day=day, night=True, seconds=2, iterations=300)
    assert set(dp.visits) == {str(late.pk), str(early.pk)}
    assert dp.reserve == 45  # 70 minutes over two nights, rounded up to a quarter of an hour
    (nurse,) = dp.problem.workers
    assert (nurse.key, nurse.shift_start, nurse.shift_end, nurse.max_working) == (
        str(team["paul"].pk), 20 * 60, 32 * 60, 12 * 60 - 45)
    assert task_of(dp, early).earliest == 27 * 60 - 30
    assert proposal.unplaced == {}
    assert {k: w for k, (w, _) in placed(proposal).items()} == {
        str(late.pk): str(team["paul"].pk), str(early.pk): str(team["paul"].pk)}


def test_a_night_without_an_on_call_turn_that_travels_says_so(crt_a, town, team, day):
    from maillage.rounds.solver import ProblemError

    visit(BeneficiaryFactory(crt=crt_a, commune=town["lion"]), team["paul"],
          starts_at=at(day, 23))
    with pytest.raises(ProblemError, match="Aucun tour d'astreinte de nuit qui se déplace"):
        day_problem(crt=crt_a, day=day, night=True)


def test_a_carer_on_a_bicycle_keeps_the_near_visits(crt_a, town, team, day):
    # Léa cycles from her home in Candé until 11:30; Marie drives from the base. The far visit
    # (Ombrée, 28 min by car, 70 by bicycle) would bring Léa home at 11:50: it goes to the car;
    # the one next door goes to the bicycle.
    CarerHours.objects.create(crt=crt_a, user=team["lea"], weekday=day.weekday(),
                              starts=time(7), ends=time(11, 30), start_from="home",
                              home_commune=town["cande"], vehicle=CarerHours.Vehicle.BIKE)
    near = visit(BeneficiaryFactory(crt=crt_a, commune=town["cande"]), team["marie"],
                 starts_at=at(day, 9))
    far = visit(BeneficiaryFactory(crt=crt_a, commune=town["ombree"]), team["lea"],
                starts_at=at(day, 9, 40))
    dp, _, proposal = propose(crt=crt_a, day=day, seconds=2, iterations=300)
    lea = next(w for w in dp.problem.workers if w.key == str(team["lea"].pk))
    assert lea.slowness == 2.5
    cande, ombree = task_of(dp, near).place, task_of(dp, far).place
    assert lea.travel(dp.problem, cande, ombree) == round(dp.problem.duration[cande][ombree]
                                                          * 2.5)
    assert placed(proposal)[str(near.pk)][0] == str(team["lea"].pk)
    assert placed(proposal)[str(far.pk)][0] == str(team["marie"].pk)


def test_a_carer_ill_this_morning_keeps_her_afternoon(crt_a, town, team, day):
    person = BeneficiaryFactory(crt=crt_a, commune=town["lion"])
    morning = visit(person, team["marie"], starts_at=at(day, 8))
    afternoon = visit(BeneficiaryFactory(crt=crt_a, commune=town["cande"]), team["marie"],
                      starts_at=at(day, 15))
    visit(BeneficiaryFactory(crt=crt_a, commune=town["lion"]), team["lea"],
          starts_at=at(day, 9))
    dp, current, proposal = propose(crt=crt_a, day=day, seconds=2, iterations=300,
                                    exclude=frozenset({team["marie"].pk}),
                                    absent_until=11 * 60)
    marie = [w for w in dp.problem.workers if w.key == str(team["marie"].pk)]
    assert [w.shift_start for w in marie] == [11 * 60]
    assert placed(proposal)[str(morning.pk)][0] == str(team["lea"].pk)
    assert placed(proposal)[str(afternoon.pk)][0] == str(team["marie"].pk)
    assert proposal.unplaced == {}


def test_night_hours_are_worked_until_the_next_morning(crt_a, town, team, day):
    from datetime import timedelta

    # Léa works nights from this day's evening, 20:00 → 08:00; nobody is on call.
    CarerHours.objects.create(crt=crt_a, user=team["lea"], weekday=day.weekday(),
                              starts=time(20), ends=time(8))
    evening = visit(BeneficiaryFactory(crt=crt_a, commune=town["cande"]), team["lea"],
                    starts_at=at(day, 21))
    night = visit(BeneficiaryFactory(crt=crt_a, commune=town["lion"]), team["lea"],
                  starts_at=at(day, 26, 30), minutes=20)  # 02:30 the next morning
    morning = visit(BeneficiaryFactory(crt=crt_a, commune=town["lion"]), team["lea"],
                    starts_at=at(day, 30, 30))  # 06:30 the next morning
    # The day: her evening, to the next morning.
    dp = day_problem(crt=crt_a, day=day)
    assert set(dp.visits) == {str(evening.pk)}
    assert [(w.shift_start, w.shift_end) for w in dp.problem.workers] == [(20 * 60, 32 * 60)]
    # The night (from 22:00): her round.
    dp, _, proposal = propose(crt=crt_a, day=day, night=True, seconds=2, iterations=300)
    assert set(dp.visits) == {str(night.pk)}
    assert [(w.key, w.shift_start, w.shift_end) for w in dp.problem.workers] == [
        (str(team["lea"].pk), 20 * 60, 32 * 60)]
    assert placed(proposal)[str(night.pk)][0] == str(team["lea"].pk)
    # The next day: the end of her night, until 08:00.
    dp = day_problem(crt=crt_a, day=day + timedelta(days=1))
    assert set(dp.visits) == {str(morning.pk)}
    assert [(w.shift_start, w.shift_end) for w in dp.problem.workers] == [(0, 8 * 60)]


def test_a_carer_on_call_tonight_is_not_given_day_visits_during_her_turn(crt_a, town, team,
                                                                       day):
    from datetime import timedelta

    from maillage.oncall.models import Shift

    # Marie works 7:00–22:00 but is on call from 19:00 tonight; Paul was on call until 9:30
    # (then rests until 20:30: ``test_no_visit_during_the_rest_after_a_travelling_turn``).
    CarerHours.objects.create(crt=crt_a, user=team["marie"], weekday=day.weekday(),
                              starts=time(7), ends=time(22))
    Shift.objects.create(crt=crt_a, staff=team["marie"], duty=Shift.Duty.ANSWER_AND_TRAVEL,
                         starts_at=at(day, 19), ends_at=at(day, 31))
    Shift.objects.create(crt=crt_a, staff=team["paul"], duty=Shift.Duty.TRAVEL,
                         starts_at=at(day - timedelta(days=1), 21), ends_at=at(day, 9, 30))
    own = visit(BeneficiaryFactory(crt=crt_a, commune=town["cande"]), team["marie"],
                starts_at=at(day, 9))
    during = visit(BeneficiaryFactory(crt=crt_a, commune=town["cande"]), team["marie"],
                   starts_at=at(day, 20))
    colleague = visit(BeneficiaryFactory(crt=crt_a, commune=town["cande"]), team["lea"],
                      starts_at=at(day, 19, 30))
    visit(BeneficiaryFactory(crt=crt_a, commune=town["lion"]), team["paul"],
          starts_at=at(day, 10))
    dp, _, proposal = propose(crt=crt_a, day=day, seconds=2, iterations=300,
                              exclude=frozenset({team["lea"].pk}))
    shifts = {(w.key, w.shift_start, w.shift_end) for w in dp.problem.workers}
    # Her day ends when her turn begins; his visit falls in his rest after his turn.
    assert shifts == {(str(team["marie"].pk), 7 * 60, 19 * 60)}
    assert dp.rests[str(team["paul"].pk)].label() == "Repos après la nuit jusqu'à 20:30"
    # Her visit during her turn is the night round's; Léa's at 19:30 finds nobody.
    assert str(during.pk) not in dp.visits
    assert placed(proposal)[str(own.pk)][0] == str(team["marie"].pk)
    assert proposal.unplaced[str(colleague.pk)].startswith(
        "Hors des horaires de service de tous les intervenant·es qualifié·es")


def test_no_visit_during_the_rest_after_a_travelling_turn(crt_a, town, team, day):
    from datetime import timedelta

    from maillage.oncall.models import Shift

    # Marie works 7:00–22:00; she was on call, travelling, from last night until 08:00.
    CarerHours.objects.create(crt=crt_a, user=team["marie"], weekday=day.weekday(),
                              starts=time(7), ends=time(22))
    Shift.objects.create(crt=crt_a, staff=team["marie"], duty=Shift.Duty.ANSWER_AND_TRAVEL,
                         starts_at=at(day - timedelta(days=1), 20), ends_at=at(day, 8))
    morning = visit(BeneficiaryFactory(crt=crt_a, commune=town["cande"]), team["marie"],
                    starts_at=at(day, 9))
    evening = visit(BeneficiaryFactory(crt=crt_a, commune=town["cande"]), team["marie"],
                    starts_at=at(day, 19, 30))
    visit(BeneficiaryFactory(crt=crt_a, commune=town["lion"]), team["lea"],
          starts_at=at(day, 10))
    dp, current, proposal = propose(crt=crt_a, day=day, seconds=2, iterations=300)
    # 08:00 + 11 hours: nothing before 19:00.
    marie = [(w.shift_start, w.shift_end) for w in dp.problem.workers
             if w.key == str(team["marie"].pk)]
    assert marie == [(19 * 60, 22 * 60)]
    assert dp.rests[str(team["marie"].pk)].label(day) == "Repos après la nuit jusqu'à 19:00"
    assert current.unplaced[str(morning.pk)] == (
        "Intervenant·e au repos après la nuit jusqu'à 19:00.")
    assert placed(proposal)[str(morning.pk)][0] == str(team["lea"].pk)
    assert placed(proposal)[str(evening.pk)][0] == str(team["marie"].pk)
    assert all(start >= 19 * 60 for key, (worker, start) in placed(proposal).items()
               if worker == str(team["marie"].pk))


def test_a_telephone_turn_limits_the_next_day_only_through_her_outings(crt_a, town, team, day):
    from datetime import timedelta

    from maillage.oncall.models import Call, Shift

    # Marie answered the telephone from last night until 08:00; Léa travelled until 08:00.
    CarerHours.objects.create(crt=crt_a, user=team["marie"], weekday=day.weekday(),
                              starts=time(7), ends=time(22))
    Shift.objects.create(crt=crt_a, staff=team["marie"], duty=Shift.Duty.ANSWER,
                         starts_at=at(day - timedelta(days=1), 20), ends_at=at(day, 8))
    visit(BeneficiaryFactory(crt=crt_a, commune=town["cande"]), team["marie"],
          starts_at=at(day, 9))

    def marie():
        dp = day_problem(crt=crt_a, day=day)
        return dp, [(w.shift_start, w.shift_end) for w in dp.problem.workers
                    if w.key == str(team["marie"].pk)]

    # No outing: on call by telephone is rest, her day is whole.
    dp, shifts = marie()
    assert shifts == [(7 * 60, 22 * 60)] and dp.rests == {}
    # A call answered by telephone only changes nothing either.
    Call.objects.create(crt=crt_a, received_at=at(day, 1), reason=Call.Reason.ANXIETY,
                        answered_by=team["marie"])
    assert marie()[1] == [(7 * 60, 22 * 60)]
    # She went out at 03:00 until 03:40: rest until 14:40.
    Call.objects.create(crt=crt_a, received_at=at(day, 3), reason=Call.Reason.FALL,
                        answered_by=team["marie"], call_out=True, travelled_by=team["marie"],
                        departed_at=at(day, 3, 5), arrived_at=at(day, 3, 20),
                        left_at=at(day, 3, 40))
    dp, shifts = marie()
    assert shifts == [(14 * 60 + 40, 22 * 60)]
    rest = dp.rests[str(team["marie"].pk)]
    assert (rest.label(day), rest.why(day)) == (
        "Repos après la nuit jusqu'à 14:40", "fin de son déplacement d'astreinte à 03:40")
    # Out again at 05:00, the end not written yet: until the end of her turn, 08:00.
    Call.objects.create(crt=crt_a, received_at=at(day, 5), reason=Call.Reason.FALL,
                        answered_by=team["marie"], call_out=True, travelled_by=team["marie"],
                        departed_at=at(day, 5, 5))
    assert marie()[1] == [(19 * 60, 22 * 60)]


def test_no_visit_during_the_rest_after_night_hours_or_night_visits(crt_a, town, team, day):
    from datetime import timedelta

    # Léa works nights, 20:00 → 08:00 from the evening before, and 17:00–22:00 this day.
    CarerHours.objects.create(crt=crt_a, user=team["lea"],
                              weekday=(day - timedelta(days=1)).weekday(),
                              starts=time(20), ends=time(8))
    CarerHours.objects.create(crt=crt_a, user=team["lea"], weekday=day.weekday(),
                              starts=time(17), ends=time(22))
    # Marie has no hours; she did a visit at 04:30–05:00 this night.
    visit(BeneficiaryFactory(crt=crt_a, commune=town["lion"]), team["marie"],
          starts_at=at(day, 4, 30), minutes=30)
    late = visit(BeneficiaryFactory(crt=crt_a, commune=town["cande"]), team["marie"],
                 starts_at=at(day, 15, 30))
    ok = visit(BeneficiaryFactory(crt=crt_a, commune=town["cande"]), team["marie"],
               starts_at=at(day, 17))
    dp = day_problem(crt=crt_a, day=day)
    shifts = {w.key: [] for w in dp.problem.workers}
    for w in dp.problem.workers:
        shifts[w.key].append((w.shift_start, w.shift_end))
    # Léa: the end of her night, then nothing until 19:00.
    assert shifts[str(team["lea"].pk)] == [(0, 8 * 60), (19 * 60, 22 * 60)]
    assert dp.rests[str(team["lea"].pk)].why(day) == "fin de ses horaires de nuit à 08:00"
    # Marie: her round around her visits (14:30–18:30) from 16:00 only.
    assert shifts[str(team["marie"].pk)] == [(16 * 60, 18 * 60 + 30)]
    assert dp.rests[str(team["marie"].pk)].label(day) == "Repos après la nuit jusqu'à 16:00"
    assert current_plan(dp).unplaced == {
        str(late.pk): "Intervenant·e au repos après la nuit jusqu'à 16:00."}
    assert str(ok.pk) in dp.visits


def test_no_visit_during_the_rest_after_a_night_worked_for_another_crt(crt_a, crt_b, town, team,
                                                                       day):
    from datetime import timedelta

    from maillage.core.tests.factories import member
    from maillage.oncall.models import Shift

    # Marie and Léa work 7:00–22:00 here; both travelled on call for CRT B until 07:00, but
    # Léa no longer works there (nor does Paul, who was never a member of it).
    for name in ("marie", "lea"):
        CarerHours.objects.create(crt=crt_a, user=team[name], weekday=day.weekday(),
                                  starts=time(7), ends=time(22))
        member(team[name], crt_b, Role.CARE_AIDE, is_active=name == "marie")
        Shift.objects.create(crt=crt_b, staff=team[name], duty=Shift.Duty.ANSWER_AND_TRAVEL,
                             starts_at=at(day - timedelta(days=1), 20), ends_at=at(day, 7))
    morning = visit(BeneficiaryFactory(crt=crt_a, commune=town["cande"]), team["marie"],
                    starts_at=at(day, 9))
    visit(BeneficiaryFactory(crt=crt_a, commune=town["cande"]), team["marie"],
          starts_at=at(day, 18, 30))
    dp, current, proposal = propose(crt=crt_a, day=day, seconds=2, iterations=300)
    shifts = {w.key: (w.shift_start, w.shift_end) for w in dp.problem.workers}
    # 07:00 + 11 hours: nothing before 18:00 for her; Léa's day is whole.
    assert shifts[str(team["marie"].pk)] == (18 * 60, 22 * 60)
    assert shifts[str(team["lea"].pk)] == (7 * 60, 22 * 60)
    rest = dp.rests[str(team["marie"].pk)]
    assert (rest.label(day), rest.why(day)) == (
        "Repos après la nuit jusqu'à 18:00",
        "fin de son travail de nuit dans un autre CRT à 07:00")
    assert set(dp.rests) == {str(team["marie"].pk)}
    assert current.unplaced[str(morning.pk)] == (
        "Intervenant·e au repos après la nuit jusqu'à 18:00.")
    assert placed(proposal)[str(morning.pk)][0] == str(team["lea"].pk)
    assert all(start >= 18 * 60 for worker, start in placed(proposal).values()
               if worker == str(team["marie"].pk))
