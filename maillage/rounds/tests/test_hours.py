"""The carers' hours for the rounds: the coordination sets a carer's week (a split day, from
home); bad input is refused next to its field with nothing saved, a concurrent edit is
detected; a care aide may not, another CRT sees nothing."""

from datetime import time

import pytest
from django.urls import reverse

from maillage.core.models import AuditEvent
from maillage.core.tests.helpers import table_text, visible_text
from maillage.rounds.models import CarerHours

LIST = reverse("rounds:hours")


def edit_url(user):
    return reverse("rounds:hours_edit", kwargs={"public_id": user.public_id})


@pytest.fixture
def coordinator(client_for):
    return client_for("coordinator")


def week(stamp="", **days):
    data = {"start_from": "base", "vehicle": "car", "stamp": stamp}
    for number, (starts, ends, *pause) in days.items():
        n = number[1:]
        data.update({f"d{n}_works": "on", f"d{n}_starts": starts, f"d{n}_ends": ends})
        if pause:
            data.update({f"d{n}_break_start": pause[0], f"d{n}_break_end": pause[1]})
    return data


def test_the_coordination_sets_a_carer_s_split_week_from_home(coordinator, team, town, crt_a):
    page = coordinator.get(LIST)
    assert "Autour de ses passages" in table_text(page)
    assert coordinator.get(edit_url(team["lea"])).status_code == 200
    data = week(d0=("07:00", "19:30", "12:00", "17:00"), d2=("07:00", "13:00"))
    data.update(start_from="home", home_commune=town["ombree"].insee_code,
                max_working_minutes="420", vehicle="bike")
    response = coordinator.post(edit_url(team["lea"]), data)
    assert response.status_code == 302
    monday, wednesday = CarerHours.objects.filter(user=team["lea"]).order_by("weekday")
    assert (monday.weekday, monday.starts, monday.break_start, monday.break_end, monday.ends) \
        == (0, time(7), time(12), time(17), time(19, 30))
    assert (wednesday.weekday, wednesday.break_start) == (2, None)
    assert monday.home_commune == town["ombree"] and monday.max_working_minutes == 420
    text = table_text(coordinator.get(LIST))
    assert "lundi 07:00–12:00, 17:00–19:30 ; mercredi 07:00–13:00" in text
    assert "Domicile (Ombrée d'Anjou) · vélo à assistance électrique" in text
    assert monday.vehicle == CarerHours.Vehicle.BIKE
    event = AuditEvent.objects.get(action="rounds.carer_hours")
    assert event.details["jours travaillés"] == 2
    # Wednesday dropped: the week is replaced whole.
    form = coordinator.get(edit_url(team["lea"])).context["form"]
    response = coordinator.post(edit_url(team["lea"]), week(
        stamp=form.initial["stamp"], d0=("08:00", "16:00")))
    assert response.status_code == 302
    assert list(CarerHours.objects.filter(user=team["lea"]).values_list(
        "weekday", "starts", "start_from", "home_commune")) == [(0, time(8), "base", None)]


@pytest.mark.parametrize(("days", "extra", "field", "message"), [
    ({"d1": ("09:00", "09:00")}, {}, "d1_ends", "La fin doit différer du début."),
    # 23 hours on end: a typing error, not night hours.
    ({"d1": ("09:00", "08:00")}, {}, "d1_ends",
     "Une fin avant le début se lit le lendemain matin : ici plus de 16 heures d'affilée."),
    ({"d1": ("20:00", "08:00", "09:00", "10:00")}, {}, "d1_break_start",
     "La coupure doit tenir dans la journée"),
    ({"d1": ("08:00", "12:00", "11:00", "13:00")}, {}, "d1_break_start",
     "La coupure doit tenir dans la journée"),
    ({"d1": ("08:00", "12:00", "10:00", "")}, {}, "d1_break_end",
     "Indiquez le début et la fin de la coupure."),
    ({"d1": ("", "12:00")}, {}, "d1_starts", "Indiquez l'heure de début du mardi."),
    ({"d1": ("8h75", "12:00")}, {}, "d1_starts", "Heure invalide (HH:MM)."),
    ({"d1": ("08:00", "12:00")}, {"start_from": "home"}, "home_commune",
     "Indiquez la commune de son domicile."),
    ({"d1": ("08:00", "12:00")}, {"max_working_minutes": "5"}, "max_working_minutes",
     "Trente minutes au moins."),
    ({"d1": ("08:00", "12:00")}, {"vehicle": "avion"}, "vehicle",
     "Sélectionnez un choix valide"),
])
def test_bad_hours_are_refused_next_to_their_field(coordinator, team, days, extra, field,
                                                    message):
    response = coordinator.post(edit_url(team["lea"]), {**week(**days), **extra})
    assert response.status_code == 400
    assert message in " ".join(response.context["form"].errors[field])
    assert message in visible_text(response)
    assert not CarerHours.objects.exists()


def test_a_week_changed_meanwhile_is_refused(coordinator, team, crt_a):
    stale = coordinator.get(edit_url(team["lea"])).context["form"].initial["stamp"]
    CarerHours.objects.create(crt=crt_a, user=team["lea"], weekday=4, starts=time(6),
                              ends=time(12))
    response = coordinator.post(edit_url(team["lea"]), week(stamp=stale, d0=("08:00", "16:00")))
    assert response.status_code == 409
    assert "modifiés par quelqu'un d'autre" in visible_text(response)
    assert list(CarerHours.objects.values_list("weekday", flat=True)) == [4]


def test_a_care_aide_may_not_and_another_crt_sees_nothing(client, client_for, team, user_b):
    aide = client_for("care_aide")
    assert aide.get(LIST).status_code == 403
    assert aide.post(edit_url(team["lea"]), week(d0=("08:00", "16:00"))).status_code == 403
    client.force_login(user_b)
    assert team["lea"].get_full_name() not in client.get(LIST).text
    assert client.get(edit_url(team["lea"])).status_code == 404
    assert client.post(edit_url(team["lea"]), week(d0=("08:00", "16:00"))).status_code == 404
    assert not CarerHours.objects.exists()


def test_someone_who_does_not_visit_has_no_hours(coordinator, users):
    assert coordinator.get(edit_url(users["admin_staff"])).status_code == 404


def test_the_hours_page_costs_the_same_with_more_carers(coordinator, crt_a, make_user, town,
                                                       django_assert_max_num_queries):
    from maillage.core.roles import Role

    def add(count):
        for i in range(count):
            aide = make_user(crt_a, Role.CARE_AIDE, username=f"aide{CarerHours.objects.count()}")
            CarerHours.objects.create(crt=crt_a, user=aide, weekday=i % 7, starts=time(7),
                                      ends=time(13), start_from="home",
                                      home_commune=town["cande"])

    add(2)
    coordinator.get(LIST)
    with django_assert_max_num_queries(12) as few:
        coordinator.get(LIST)
    add(20)
    with django_assert_max_num_queries(len(few.captured_queries)):
        page = coordinator.get(LIST)
    assert table_text(page).count("Domicile (Candé)") == 22


def test_night_hours_end_the_next_morning(coordinator, team):
    # Monday night 20:00 → Tuesday 08:00; Friday night with a break across midnight.
    response = coordinator.post(edit_url(team["lea"]), week(
        d0=("20:00", "08:00"), d4=("21:00", "07:00", "23:30", "00:30")))
    assert response.status_code == 302, response.context["form"].errors
    monday, friday = CarerHours.objects.filter(user=team["lea"]).order_by("weekday")
    assert (monday.starts, monday.ends, monday.overnight) == (time(20), time(8), True)
    assert (friday.break_start, friday.break_end) == (time(23, 30), time(0, 30))
    assert ("lundi 20:00–08:00 (le lendemain) ; vendredi 21:00–23:30, 00:30–07:00 "
            "(le lendemain)") in table_text(coordinator.get(LIST))
