"""Telemonitoring in a real browser (issue 16 part 6): the doctor sets a weight threshold in
the file, a connected scale posts a weight under it through the API, the on-call nurse sees
the alert on the on-call screen, the doctor reads the chart with the threshold line. axe-core
on every page."""

import json
from datetime import timedelta

from django.test import Client
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import expect

from maillage.beneficiaries.tests.factories import join_care_team, shared_file
from maillage.core.roles import Role
from maillage.interop.tests.helpers import bearer
from maillage.interop.tests.test_fhir_observation_communication import join_partner


def _logged_in(open_page, user):
    return open_page().sign_in(user)


def test_threshold_alert_on_call_screen_and_chart(transactional_db, open_page, users, crt_a):
    b = shared_file(crt_a, users["doctor"], {Role.DOCTOR})
    join_care_team(b, users["nurse"], {Role.NURSE})
    join_partner(b, users["partner"])

    doctor = _logged_in(open_page, users["doctor"])
    doctor.goto(reverse("beneficiaries:vital_thresholds_edit", args=[b.public_id]))
    doctor.check_accessibility()
    doctor.page.get_by_label("Poids minimal (kg)").fill("70")
    doctor.page.get_by_label("Poids maximal (kg)").fill("65")
    doctor.page.get_by_role("button", name="Enregistrer").click()
    expect(doctor.page.get_by_text("Poids : le seuil bas doit être inférieur au seuil haut."))\
        .to_be_visible()
    doctor.check_accessibility()
    doctor.page.get_by_label("Poids minimal (kg)").fill("62")
    doctor.page.get_by_label("Poids maximal (kg)").fill("")
    doctor.page.get_by_role("button", name="Enregistrer").click()
    expect(doctor.page.get_by_text("Seuils d'alerte enregistrés.")).to_be_visible()

    when = (timezone.now() - timedelta(hours=1)).replace(microsecond=0)
    for value, hours in ((64, 240), (61.2, 1)):
        moment = (timezone.now() - timedelta(hours=hours)).replace(microsecond=0)
        body = {"resourceType": "Observation", "status": "final",
                "identifier": [{"system": "urn:balance", "value": f"m-{hours}"}],
                "code": {"coding": [{"system": "http://loinc.org", "code": "29463-7"}]},
                "subject": {"reference": f"Patient/{b.public_id}"},
                "effectiveDateTime": moment.isoformat(), "device": {"display": "Balance"},
                "valueQuantity": {"value": value, "unit": "kg",
                                  "system": "http://unitsofmeasure.org", "code": "kg"}}
        response = Client().post("/fhir/R4/Observation", json.dumps(body),
                                 content_type="application/fhir+json",
                                 **bearer(users["partner"], crt_a))
        assert response.status_code == 201, response.content

    nurse = _logged_in(open_page, users["nurse"])
    nurse.goto(reverse("oncall:screen"))
    alerts = nurse.page.locator("section", has=nurse.page.locator("#h-alerts"))
    expect(alerts).to_contain_text(f"{b.display_name} — Constante hors seuil")
    expect(alerts).to_contain_text(
        f"Poids 61,2 kg sous le seuil de 62 kg (télésurveillance, "
        f"{timezone.localtime(when):%d/%m/%Y %H:%M})")
    nurse.check_accessibility()

    doctor.goto(reverse("beneficiaries:vital_charts", args=[b.public_id]))
    chart = doctor.page.get_by_role("img", name="Poids (kg) sur 30 jours")
    expect(chart).to_be_visible()
    expect(chart.locator("line.vital-threshold")).to_have_count(1)
    expect(chart.locator("circle")).to_have_count(2)
    doctor.page.get_by_text("Valeurs (2)").click()
    expect(doctor.page.get_by_role("cell", name="61,2 kg")).to_be_visible()
    doctor.check_accessibility()
