"""The reachable hours of an escalation contact: at night a daytime-only doctor is not one of
the red call buttons of the on-call screen, but comes after them, greyed, said unreachable."""

import re
from datetime import datetime, time
from html import unescape

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from maillage.core.errors import DomainError
from maillage.core.tests.helpers import field_error, visible_text
from maillage.oncall import services
from maillage.oncall.models import EscalationContact

from .factories import contact

DOCTOR = "Médecin coordonnateur du CRT (avis)"
DAYTIME = "joignable de 08:00 à 20:00 — pas à cette heure"


def paris(*args) -> datetime:
    return timezone.make_aware(datetime(*args))


@pytest.fixture
def chain(crt_a):
    contact(crt_a, level=EscalationContact.Level.NURSE, label="Infirmière d'astreinte",
            phone="06 39 98 20 01", position=1)
    contact(crt_a, level=EscalationContact.Level.DOCTOR, label=DOCTOR, phone="06 39 98 20 02",
            position=2, available_from=time(8), available_until=time(20))
    contact(crt_a, label="SAMU – centre 15", phone="15", position=3)


def _buttons(response) -> list[str]:
    """The labels of the red call buttons of the on-call screen."""
    html = response.content.decode()
    return [unescape(re.sub(r"\s+", " ", m)) for m in
            re.findall(r'class="btn btn-outline-danger[^"]*" href="tel:[^"]*">([^<]*)</a>', html)]


def test_at_night_the_daytime_doctor_comes_last_greyed(chain, users, client):
    with time_machine.travel(paris(2027, 2, 10, 23, 0), tick=False):
        client.force_login(users["nurse"])
        response = client.get(reverse("oncall:screen"))
        page = visible_text(response)
        assert _buttons(response) == ["Infirmière d'astreinte — 06 39 98 20 01",
                                      "SAMU – centre 15 — 15"]
        recours = page[page.index("Recours"):]
        assert recours.index("SAMU – centre 15") < recours.index(DOCTOR)
        assert f"{DOCTOR} — 06 39 98 20 02 {DAYTIME}" in recours
        assert 'href="tel:06 39 98 20 02"' in response.content.decode()  # still callable

        client.force_login(users["coordinator"])
        page = visible_text(client.get(reverse("oncall:rota")))
        chain_text = page[page.index("Recours (chaîne d'escalade)"):]
        assert chain_text.index("SAMU – centre 15") < chain_text.index(DOCTOR)
        assert f"{DOCTOR} — 06 39 98 20 02 (joignable de 08:00 à 20:00 — pas à cette heure)" \
            in chain_text


def test_by_day_the_doctor_is_a_call_button_in_its_place(chain, users, client):
    with time_machine.travel(paris(2027, 2, 10, 10, 0), tick=False):
        client.force_login(users["nurse"])
        response = client.get(reverse("oncall:screen"))
        assert _buttons(response) == ["Infirmière d'astreinte — 06 39 98 20 01",
                                      f"{DOCTOR} — 06 39 98 20 02", "SAMU – centre 15 — 15"]
        assert "pas à cette heure" not in visible_text(response)


def test_overnight_hours(crt_a, users, client):
    contact(crt_a, level=EscalationContact.Level.NURSE, label="IDE de nuit mutualisé",
            phone="06 11 22 33 44", available_from=time(20), available_until=time(8))
    for hour, reachable in ((23, True), (3, True), (7, True), (8, False), (14, False),
                            (20, True)):
        with time_machine.travel(paris(2027, 2, 10, hour, 0), tick=False):
            client.force_login(users["nurse"])
            response = client.get(reverse("oncall:screen"))
            assert (_buttons(response) == ["IDE de nuit mutualisé — 06 11 22 33 44"]) \
                is reachable, hour
            assert ("joignable de 20:00 à 08:00 — pas à cette heure"
                    in visible_text(response)) is not reachable, hour


def test_overnight_hours_saved_from_the_form(crt_a, users, client):
    client.force_login(users["coordinator"])
    response = client.post(reverse("oncall:contact_add"), {
        "level": "nurse", "label": "IDE de nuit", "phone": "06 11 22 33 44",
        "available_from": "20:00", "available_until": "08:00"})
    assert response.status_code == 302
    item = EscalationContact.objects.get(crt=crt_a)
    assert (item.available_from, item.available_until) == (time(20), time(8))


@pytest.mark.parametrize(("data", "field", "message"), [
    ({"available_from": "08:00"}, "available_until",
     "Indiquez aussi l'heure de fin, ou aucune des deux si le recours est joignable jour et "
     "nuit."),
    ({"available_until": "20:00"}, "available_from",
     "Indiquez aussi l'heure de début, ou aucune des deux si le recours est joignable jour et "
     "nuit."),
    ({"available_from": "08:00", "available_until": "08:00"}, "available_until",
     "Le début et la fin sont identiques : laissez les deux heures vides si le recours est "
     "joignable jour et nuit."),
])
def test_the_form_refuses_one_bound_or_equal_bounds(crt_a, users, client, data, field,
                                                    message):
    client.force_login(users["coordinator"])
    response = client.post(reverse("oncall:contact_add"), {
        "level": "doctor", "label": DOCTOR, "phone": "06 39 98 20 02", **data})
    assert response.status_code == 400
    assert field_error(response, field) == message
    assert f'value="{DOCTOR}"' in response.content.decode()  # what was typed is kept
    assert not EscalationContact.objects.filter(crt=crt_a).exists()


def test_hours_edited_with_a_version(chain, crt_a, users, client):
    doctor = EscalationContact.objects.get(crt=crt_a, label=DOCTOR)
    url = reverse("oncall:contact_edit", kwargs={"contact_id": doctor.public_id})
    client.force_login(users["coordinator"])
    form = {"level": "doctor", "label": DOCTOR, "phone": "06 39 98 20 02",
            "available_from": "08:00", "available_until": "", "version": doctor.version}
    response = client.post(url, form)
    assert response.status_code == 400
    assert field_error(response, "available_until").startswith("Indiquez aussi l'heure de fin")
    response = client.post(url, {**form, "available_until": "18:30"})
    assert response.status_code == 302
    doctor.refresh_from_db()
    assert (doctor.available_until, doctor.version) == (time(18, 30), 2)
    response = client.post(url, {**form, "available_until": "19:00"})  # a stale page
    assert response.status_code == 409
    doctor.refresh_from_db()
    assert doctor.available_until == time(18, 30)


def test_the_service_checks_the_hours_too(crt_a, users):
    with pytest.raises(DomainError) as error:
        services.contact_add(actor=users["coordinator"], crt=crt_a, level="doctor",
                             label=DOCTOR, phone="06 39 98 20 02", available_from=time(8))
    assert error.value.field == "available_until"
    with pytest.raises(DomainError) as error:
        services.contact_add(actor=users["coordinator"], crt=crt_a, level="doctor",
                             label=DOCTOR, phone="06 39 98 20 02", available_from=time(8),
                             available_until=time(8))
    assert error.value.field == "available_until"
    assert not EscalationContact.objects.filter(crt=crt_a).exists()
