"""A carer who worked the night rests 11 hours after it (``rounds.rest``, the rule the rounds
follow too): booking her a visit inside that rest asks for the same confirmation as a double
booking (« Planifier malgré l'avertissement »), it is not refused outright."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from maillage.beneficiaries.tests.factories import shared_file
from maillage.core.errors import DomainError
from maillage.core.roles import Role
from maillage.core.tests.helpers import field_error
from maillage.oncall.models import Call, Shift
from maillage.visits import services
from maillage.visits.models import Visit
from maillage.visits.services import local_dt

from .factories import visit

TODAY = timezone.localdate()
TOMORROW = TODAY + timedelta(days=1)
EXPECTED = ("Repos après la nuit jusqu'à 19:00 pour Marie Durand (fin de son tour d'astreinte "
            "à 08:00, 11 heures de repos quotidien).")

pytestmark = pytest.mark.django_db


@pytest.fixture
def aide(crt_a, make_user):
    return make_user(crt_a, Role.CARE_AIDE, first_name="Marie", last_name="Durand")


@pytest.fixture
def person(crt_a, aide):
    return shared_file(crt_a, aide)


def on_call(crt, aide, duty=Shift.Duty.ANSWER_AND_TRAVEL):
    """Her turn from this evening 20:00 to tomorrow 08:00."""
    return Shift.objects.create(crt=crt, staff=aide, duty=duty,
                                starts_at=local_dt(TODAY, "20:00"),
                                ends_at=local_dt(TOMORROW, "08:00"))


def book(users, person, aide, at, **extra):
    start = local_dt(TOMORROW, at)
    return services.visit_create(actor=users["coordinator"], beneficiary=person, staff=aide,
                                 starts_at=start, ends_at=start + timedelta(minutes=30),
                                 **extra)


def test_a_visit_in_her_rest_after_a_travelling_turn_asks_for_a_confirmation(
        crt_a, users, aide, person):
    on_call(crt_a, aide)
    with pytest.raises(DomainError) as error:
        book(users, person, aide, "10:00")
    assert error.value.field == "allow_overlap"
    assert EXPECTED in error.value.message
    assert "cochez « Planifier malgré l'avertissement »" in error.value.message
    assert not Visit.objects.exists()
    book(users, person, aide, "10:00", allow_overlap=True)
    # Her rest over, nothing to confirm.
    book(users, person, aide, "19:00")
    assert Visit.objects.count() == 2


def test_the_night_round_during_her_own_turn_is_her_work_not_her_rest(
        crt_a, users, aide, person):
    on_call(crt_a, aide)
    for at in ("23:00", "07:15"):  # tonight, and tomorrow before her turn ends
        start = local_dt(TODAY if at == "23:00" else TOMORROW, at)
        services.visit_create(actor=users["coordinator"], beneficiary=person, staff=aide,
                              starts_at=start, ends_at=start + timedelta(minutes=30))
    assert Visit.objects.count() == 2
    # Her rest still follows the end of her turn.
    with pytest.raises(DomainError) as error:
        book(users, person, aide, "10:00")
    assert EXPECTED in error.value.message


def test_the_plan_form_says_it_next_to_the_confirmation(client, crt_a, users, aide, person):
    on_call(crt_a, aide)
    client.force_login(users["coordinator"])
    url = reverse("visits:plan", kwargs={"public_id": person.public_id})
    data = {"start_date": TOMORROW, "times": "09:30", "duration_minutes": 30,
            "staff": aide.public_id, "place": "home", "recurrence": "once"}
    response = client.post(url, data)
    assert response.status_code == 400
    assert EXPECTED in field_error(response, "allow_overlap")
    assert not Visit.objects.exists()
    assert client.post(url, {**data, "allow_overlap": "on"}).status_code == 302
    assert timezone.localtime(Visit.objects.get(staff=aide).starts_at).strftime(
        "%H:%M") == "09:30"


def test_a_series_warns_for_the_morning_after_her_night_only(crt_a, users, aide, person):
    on_call(crt_a, aide)
    with pytest.raises(DomainError, match="Repos après la nuit jusqu'à 19:00 pour Marie"):
        services.series_create(actor=users["coordinator"], beneficiary=person, staff=aide,
                               frequency="daily", times="10:00", duration_minutes=30,
                               start_date=TOMORROW, end_date=TOMORROW + timedelta(days=3))
    # The same series from the day after: no night before it.
    services.series_create(actor=users["coordinator"], beneficiary=person, staff=aide,
                           frequency="daily", times="10:00", duration_minutes=30,
                           start_date=TOMORROW + timedelta(days=1),
                           end_date=TOMORROW + timedelta(days=3))


def test_on_call_by_telephone_limits_only_once_she_went_out(crt_a, users, aide, person):
    on_call(crt_a, aide, duty=Shift.Duty.ANSWER)
    book(users, person, aide, "09:00")
    # She went out at 03:00 until 04:10: rest until 15:10.
    Call.objects.create(crt=crt_a, received_at=local_dt(TOMORROW, "03:00"),
                        reason=Call.Reason.FALL, answered_by=aide, call_out=True,
                        travelled_by=aide, departed_at=local_dt(TOMORROW, "03:05"),
                        arrived_at=local_dt(TOMORROW, "03:25"),
                        left_at=local_dt(TOMORROW, "04:10"))
    with pytest.raises(DomainError) as error:
        book(users, person, aide, "15:00")
    assert ("Repos après la nuit jusqu'à 15:10 pour Marie Durand (fin de son déplacement "
            "d'astreinte à 04:10") in error.value.message
    book(users, person, aide, "15:10")


def test_moving_her_night_visit_to_the_morning_is_not_her_night_any_more(crt_a, users, aide,
                                                                         person):
    night = visit(person, aide, starts_at=local_dt(TODAY, "23:00"))
    other_night = visit(person, aide, starts_at=local_dt(TODAY, "23:45"))
    start = local_dt(TOMORROW, "09:00")
    # With her other night visit (until 00:15), 09:00 is in her rest (until 11:15).
    with pytest.raises(DomainError, match="Repos après la nuit jusqu'à 11:15"):
        services.visit_update(actor=users["coordinator"], visit=night, version=night.version,
                              starts_at=start, ends_at=start + timedelta(minutes=30))
    other_night.delete()
    night.refresh_from_db()
    services.visit_update(actor=users["coordinator"], visit=night, version=night.version,
                          starts_at=start, ends_at=start + timedelta(minutes=30))
