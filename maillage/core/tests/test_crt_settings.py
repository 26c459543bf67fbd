"""The CRT settings page of the direction: the plan review delay (issue 11, item 4) and the
other operational settings, with French errors and concurrent edits detected."""

import pytest
from django.urls import reverse

from maillage.core.errors import ConflictError, DomainError
from maillage.core.models import AuditEvent, Crt
from maillage.core.services import crt_settings_update
from maillage.core.tests.helpers import field_error, visible_text

URL = reverse("core:crt_settings")


def data(crt, **changes):
    return {"phone": crt.phone, "email": crt.email or "",
            "file_active_target": crt.file_active_target, "places": crt.places,
            "max_travel_minutes": crt.max_travel_minutes,
            "plan_review_months": crt.plan_review_months, "version": crt.version, **changes}


def test_the_direction_sets_the_plan_review_delay(client, users, crt_a):
    client.force_login(users["direction"])
    page = visible_text(client.get(URL))
    assert "Délai de révision des plans (mois)" in page
    response = client.post(URL, data(crt_a, plan_review_months=4))
    assert response.status_code == 302
    crt_a.refresh_from_db()
    assert crt_a.plan_review_months == 4 and crt_a.version == 2
    event = AuditEvent.objects.get(action="crt.settings_updated")
    assert event.details["plan_review_months"] == {"avant": "6", "après": "4"}
    assert "Paramètres du CRT" in visible_text(client.get(reverse("core:home")))


@pytest.mark.parametrize(("value", "message"), [
    ("0", "Le délai est d'au moins 1 mois."),
    ("13", "Le délai est d'au plus 12 mois."),
    ("", "Indiquez le délai de révision des plans."),
])
def test_bad_delay_refused_in_french(client, users, crt_a, value, message):
    client.force_login(users["direction"])
    response = client.post(URL, data(crt_a, plan_review_months=value, phone="01 02"))
    assert response.status_code == 400
    assert message in visible_text(response)
    crt_a.refresh_from_db()
    assert crt_a.plan_review_months == 6 and crt_a.phone == "02 61 91 00 01"


def test_concurrent_edit_detected(client, users, crt_a):
    crt_settings_update(actor=users["direction"], crt=Crt.objects.get(pk=crt_a.pk), version=1,
                        plan_review_months=3)
    with pytest.raises(ConflictError):
        crt_settings_update(actor=users["direction"], crt=crt_a, version=1,
                            plan_review_months=5)
    client.force_login(users["direction"])
    response = client.post(URL, data(crt_a, plan_review_months=5, version=1))
    assert response.status_code == 409
    assert "modifiée par quelqu'un d'autre" in visible_text(response)
    crt_a.refresh_from_db()
    assert crt_a.plan_review_months == 3


def test_other_roles_and_crts(client, users, crt_a, crt_b, user_b):
    for role in ("coordinator", "admin_staff", "auditor"):
        client.force_login(users[role])
        assert client.get(URL).status_code == 403
    client.force_login(user_b)  # their own CRT's settings, never CRT A's
    client.post(URL, data(crt_b, plan_review_months=2))
    crt_a.refresh_from_db()
    crt_b.refresh_from_db()
    assert (crt_a.plan_review_months, crt_b.plan_review_months) == (6, 2)


@pytest.mark.parametrize(("value", "message"), [
    ("0", "Le CRT compte au moins une place."),
    ("", "Indiquez le nombre de places."),
    ("beaucoup", "Indiquez un nombre de places."),
])
def test_bad_places_refused_in_french(client, users, crt_a, value, message):
    client.force_login(users["direction"])
    response = client.post(URL, data(crt_a, places=value, phone="01 02"))
    assert response.status_code == 400
    assert message in visible_text(response)
    crt_a.refresh_from_db()
    assert crt_a.places == 40 and crt_a.phone == "02 61 91 00 01"


def test_the_places_are_the_admission_capacity(client, users, crt_a):
    """The file active target (at least 30) is an objective; the number of places set here is
    what the admission decision compares the file active with."""
    from maillage.admissions.services import capacity

    client.force_login(users["direction"])
    assert client.post(URL, data(crt_a, places=12)).status_code == 302
    crt_a.refresh_from_db()
    assert capacity(crt_a).places == 12


def test_the_single_number_cannot_be_cleared(client, users, crt_a):
    client.force_login(users["direction"])
    response = client.post(URL, data(crt_a, phone="", plan_review_months=4))
    assert response.status_code == 400
    assert "Indiquez le numéro unique du CRT" in field_error(response, "phone")
    crt_a.refresh_from_db()
    assert (crt_a.phone, crt_a.plan_review_months) == ("02 61 91 00 01", 6)
    with pytest.raises(DomainError, match="numéro unique"):
        crt_settings_update(actor=users["direction"], crt=crt_a, version=1, phone="  ")
