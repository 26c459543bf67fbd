"""Per-person alert thresholds (set by the doctor in the medical section) and the charts of the
measures (SVG, thresholds as lines, a table alternative), as the team sees them."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from maillage.beneficiaries.models import VitalThresholds
from maillage.beneficiaries.tests.factories import shared_file
from maillage.beneficiaries.vitals import vital_sign_record, vital_thresholds_set
from maillage.care.models import Alert
from maillage.core.models import AuditEvent
from maillage.core.roles import Role
from maillage.core.tests.helpers import visible_text


@pytest.fixture
def person(users, crt_a):
    b = shared_file(crt_a, users["doctor"], {Role.DOCTOR})
    from maillage.beneficiaries.tests.factories import join_care_team

    join_care_team(b, users["nurse"], {Role.NURSE})
    return b


def _url(b, name="beneficiaries:vital_thresholds_edit"):
    return reverse(name, kwargs={"public_id": b.public_id})


def _form(**values):
    data = {"version": ""}
    data.update({k: str(v) for k, v in values.items()})
    return data


class TestThresholdForm:
    def test_the_doctor_sets_thresholds(self, client_for, person, users):
        client = client_for("doctor")
        page = client.get(_url(person))
        assert page.status_code == 200
        assert "Poids minimal (kg)" in visible_text(page)
        response = client.post(_url(person), _form(body_weight_low="62,5",
                                                    body_weight_high=90), follow=True)
        assert "Seuils d'alerte enregistrés." in visible_text(response)
        saved = VitalThresholds.objects.get(beneficiary=person)
        assert (saved.body_weight_low, saved.body_weight_high, saved.version) == (
            Decimal("62.5"), Decimal(90), 1)
        event = AuditEvent.objects.get(action="vital_thresholds.set")
        assert event.details["champs"] == ["body_weight_high", "body_weight_low"]
        # A measure recorded by the team now below the threshold raises one alert.
        vital_sign_record(actor=users["nurse"], beneficiary=person, kind="body_weight",
                          value=60, measured_at=timezone.now() - timedelta(hours=1))
        assert Alert.objects.get().description.startswith(
            "Poids 60 kg sous le seuil de 62,5 kg (équipe, ")

    @pytest.mark.parametrize("values, field, says", [
        ({"body_weight_low": 80, "body_weight_high": 70}, "body_weight_high",
         "Poids : le seuil bas doit être inférieur au seuil haut."),
        ({"heart_rate_high": 400}, "heart_rate_high",
         "Fréquence cardiaque : un seuil de 400 /min n'est pas plausible (attendu entre 20 et "
         "250 /min)."),
        ({"oxygen_saturation_low": "beaucoup"}, "oxygen_saturation_low", "Saisissez un nombre."),
    ])
    def test_bad_input_is_said_next_to_the_field(self, client_for, person, values, field,
                                                 says):
        response = client_for("doctor").post(_url(person), _form(**values))
        assert response.status_code == 400
        form = response.context["form"]
        assert says in form.errors[field][0]
        assert says in visible_text(response)
        assert not VitalThresholds.objects.exists()

    def test_a_concurrent_edit_is_detected(self, client_for, person, users):
        vital_thresholds_set(actor=users["doctor"], beneficiary=person, version=0,
                             heart_rate_high=110)
        # Loaded before that save (no thresholds yet), submitted after it.
        response = client_for("doctor").post(_url(person), _form(heart_rate_high=120))
        assert response.status_code == 409
        assert "modifiée par quelqu'un d'autre" in visible_text(response)
        assert VitalThresholds.objects.get().heart_rate_high == 110

    def test_forbidden_roles_and_other_crt(self, client, client_for, person, crt_a, user_b,
                                           make_user):
        # The nurse of the care team reads the charts, does not set thresholds.
        nurse = client_for("nurse")
        assert nurse.get(_url(person)).status_code == 403
        assert nurse.post(_url(person), _form(heart_rate_high=120)).status_code == 403
        assert "Seuils d'alerte</a>" not in nurse.get(
            _url(person, "beneficiaries:vital_charts")).content.decode()
        assert client_for("coordinator").get(_url(person)).status_code == 403
        # A doctor outside the care team: no health face.
        client.force_login(make_user(crt_a, Role.DOCTOR, username="autre-medecin"))
        assert client.get(_url(person)).status_code == 403
        assert client.get(_url(person, "beneficiaries:vital_charts")).status_code == 403
        client.force_login(user_b)
        assert client.get(_url(person)).status_code == 404
        assert client.get(_url(person, "beneficiaries:vital_charts")).status_code == 404
        assert not VitalThresholds.objects.exists()


class TestCharts:
    def test_series_threshold_lines_and_table(self, client_for, person, users):
        vital_thresholds_set(actor=users["doctor"], beneficiary=person, version=0,
                             body_weight_low=62, body_temperature_high=38)
        now = timezone.now()
        vital_sign_record(actor=users["nurse"], beneficiary=person, kind="body_temperature",
                          value="37.2", measured_at=now - timedelta(days=3))
        for days, value in ((20, 64), (10, "63.1"), (2, "61.2")):
            vital_sign_record(actor=users["nurse"], beneficiary=person, kind="body_weight",
                              value=value, measured_at=now - timedelta(days=days))
        vital_sign_record(actor=users["nurse"], beneficiary=person, kind="blood_pressure",
                          systolic=150, diastolic=85, measured_at=now - timedelta(days=40))
        vital_sign_record(actor=users["nurse"], beneficiary=person, kind="fall",
                          measured_at=now - timedelta(days=1), device="Bracelet")
        response = client_for("nurse").get(_url(person, "beneficiaries:vital_charts"))
        assert response.status_code == 200
        html = response.content.decode()
        text = visible_text(response)
        # Two charts (the pressure is older than 30 days), their accessible titles and summaries.
        assert html.count("<svg") == 2
        assert "Poids (kg) sur 30 jours" in text
        assert "3 mesures du" in text and "dernière : 61,2 kg" in text
        assert "seuil bas : 62 kg" in text
        assert "1 mesure du" in text and "seuil haut : 38 °C." in text
        assert html.count('class="vital-threshold"') == 2
        assert "Seuil bas : 62 kg" in text
        # The table alternative holds the values, and the fall is listed.
        assert "63,1 kg" in text and "64 kg" in text
        assert "Chutes signalées" in text and "Bracelet" in text
        event = AuditEvent.objects.get(action="beneficiary.vital_series_viewed")
        assert event.beneficiary_public_id == person.public_id
        # 90 days: the pressure too, two lines (systolic, diastolic).
        page = client_for("nurse").get(_url(person, "beneficiaries:vital_charts"),
                                       {"jours": "90"})
        assert page.content.decode().count("<polyline") == 4  # with the temperature's
        assert "Pression artérielle (mmHg) sur 90 jours" in visible_text(page)

    def test_no_measure(self, client_for, person):
        response = client_for("doctor").get(_url(person, "beneficiaries:vital_charts"))
        text = visible_text(response)
        assert "Aucune mesure sur les 30 derniers jours." in text
        assert "Aucun seuil réglé" in text
        assert "Seuils d'alerte" in text  # the doctor's button


class TestUnitsShown:
    def test_the_medical_section_shows_readable_units(self, client_for, person, users):
        now = timezone.now()
        vital_sign_record(actor=users["nurse"], beneficiary=person, kind="blood_pressure",
                          systolic=127, diastolic=79, measured_at=now - timedelta(hours=2))
        vital_sign_record(actor=users["nurse"], beneficiary=person, kind="body_temperature",
                          value="37.2", measured_at=now - timedelta(hours=1))
        for name in ("beneficiaries:medical", "beneficiaries:vital_charts"):
            text = visible_text(client_for("doctor").get(_url(person, name)))
            assert "127/79 mmHg" in text and "37,2 °C" in text, name
            assert "mm[Hg]" not in text and "Cel" not in text, name
