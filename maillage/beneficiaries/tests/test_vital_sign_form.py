"""« Enregistrer une mesure » on the charts page: the team records a vital sign or a fall
(``vitals.vital_sign_record``, source « équipe »), with the service's checks next to the
fields; only with the file's health face and ``vital_sign.record``."""

import re
from datetime import timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from maillage.beneficiaries.models import VitalSign
from maillage.beneficiaries.tests.factories import join_care_team, shared_file
from maillage.beneficiaries.vitals import vital_thresholds_set
from maillage.care.models import Alert
from maillage.core.models import AuditEvent
from maillage.core.roles import Role
from maillage.core.tests.helpers import visible_text


@pytest.fixture
def person(users, crt_a):
    b = shared_file(crt_a, users["doctor"], {Role.DOCTOR})
    join_care_team(b, users["nurse"], {Role.NURSE})
    join_care_team(b, users["care_aide"], {Role.CARE_AIDE})
    return b


def charts_url(b, **query):
    url = reverse("beneficiaries:vital_charts", kwargs={"public_id": b.public_id})
    return url + ("?" + "&".join(f"{k}={v}" for k, v in query.items()) if query else "")


def add_url(b):
    return reverse("beneficiaries:vital_sign_add", kwargs={"public_id": b.public_id})


def local(moment) -> str:
    """A moment as the datetime-local field sends it."""
    return timezone.localtime(moment).strftime("%Y-%m-%dT%H:%M")


def measure(kind, *, ago=timedelta(hours=1), **fields):
    data = {"kind": kind, "value": "", "systolic": "", "diastolic": "", "device": "",
            "measured_at": local(timezone.now() - ago)}
    data.update({k: str(v) for k, v in fields.items()})
    return data


def page_key(response) -> str:
    found = re.search(r'name="submission_key" value="([0-9a-f-]{36})"',
                      response.content.decode())
    assert found, "the form carries no submission key"
    return found.group(1)


class TestRecord:
    def test_the_nurse_records_a_weight_below_the_threshold(self, client_for, person, users):
        vital_thresholds_set(actor=users["doctor"], beneficiary=person, version=0,
                             body_weight_low=62)
        client = client_for("nurse")
        page = client.get(charts_url(person))
        text = visible_text(page)
        assert "Enregistrer une mesure" in text
        for label in ("Poids", "Pression artérielle", "Température", "Chute", "Mesurée le",
                      "Appareil"):
            assert label in text
        html = page.content.decode()
        assert f'action="{add_url(person)}"' in html
        # « Mesurée le » defaults to now (to the minute).
        assert f'value="{local(timezone.now())}"' in html or \
            f'value="{local(timezone.now() - timedelta(minutes=1))}"' in html

        response = client.post(add_url(person), measure(
            "body_weight", value="60,4", device="Pèse-personne", submission_key=page_key(page)))
        assert response.status_code == 302
        assert response["Location"] == charts_url(person)
        page = client.get(response["Location"])
        text = visible_text(page)
        assert "Mesure enregistrée." in text
        assert "Une alerte a été créée pour le cercle de soins et l'astreinte." in text
        # In the chart's table of values, with its source and device.
        assert "60,4 kg" in text and "Équipe du CRT — Pèse-personne" in text

        sign = VitalSign.objects.get()
        assert (sign.kind, sign.value, sign.source, sign.recorded_by) == (
            "body_weight", Decimal("60.4"), "team", users["nurse"])
        alert = Alert.objects.get(vital_sign=sign)
        assert alert.description.startswith("Poids 60,4 kg sous le seuil de 62 kg (équipe, ")
        alerts = visible_text(client.get(reverse("care:alerts",
                                                 kwargs={"public_id": person.public_id})))
        assert "Poids 60,4 kg sous le seuil de 62 kg" in alerts
        # The write is audited (kind and source, never the value).
        event = AuditEvent.objects.get(action="vital_sign.recorded")
        assert (event.actor, event.beneficiary_public_id, event.object_id) == (
            users["nurse"], person.public_id, str(sign.public_id))
        assert event.details == {"mesure": "Poids", "source": "Équipe du CRT"}
        assert "60" not in str(event.details)

    def test_the_care_aide_records_a_blood_pressure_and_a_fall(self, client_for, person):
        client = client_for("care_aide")
        response = client.post(add_url(person), measure("blood_pressure", systolic=135,
                                                        diastolic=85), follow=True)
        text = visible_text(response)
        assert "Mesure enregistrée." in text and "Une alerte" not in text
        assert "135/85 mmHg" in text
        response = client.post(add_url(person), measure("fall", device="Bracelet"),
                               follow=True)
        text = visible_text(response)
        assert "Mesure enregistrée. Une alerte a été créée" in text
        assert "Chutes signalées" in text and "Bracelet" in text
        assert Alert.objects.get().kind == "fall"
        assert VitalSign.objects.count() == 2

    def test_a_partner_of_the_care_team_records_as_partner(self, client, person, users):
        join_care_team(person, users["partner"], {Role.PARTNER})
        client.force_login(users["partner"])
        response = client.post(add_url(person), measure("heart_rate", value=64), follow=True)
        assert "Mesure enregistrée." in visible_text(response)
        assert VitalSign.objects.get().source == "partner"

    def test_an_older_measure_is_shown_over_90_days(self, client_for, person):
        client = client_for("nurse")
        response = client.post(add_url(person), measure("body_temperature", value="37.8",
                                                        ago=timedelta(days=40)))
        assert response["Location"] == charts_url(person, jours=90)
        assert "37,8 °C" in visible_text(client.get(response["Location"]))

    def test_the_same_page_posted_twice_saves_once(self, client_for, person):
        client = client_for("nurse")
        key = page_key(client.get(charts_url(person)))
        data = measure("heart_rate", value=72, submission_key=key)
        first = client.post(add_url(person), data)
        again = client.post(add_url(person), data, follow=True)
        assert first.status_code == 302
        assert "Déjà enregistré" in visible_text(again)
        assert VitalSign.objects.count() == 1


class TestBadInput:
    @pytest.mark.parametrize("data, field, says", [
        (measure("body_temperature", value=80), "value",
         "Température : 80 °C n'est pas une valeur plausible (attendu entre 30 et 45 °C)."),
        (measure("blood_pressure", systolic=300, diastolic=20), "systolic",
         "Pression artérielle : une pression systolique de 300 mmHg n'est pas plausible "
         "(attendu entre 50 et 260 mmHg)."),
        (measure("heart_rate"), "value", "Fréquence cardiaque : la valeur manque."),
        (measure("blood_pressure", systolic=140), "diastolic",
         "Pression artérielle : la pression diastolique manque."),
        (measure("body_weight", value="soixante"), "value",
         "Indiquez un nombre, par exemple 37,5."),
        (measure("", value=60), "kind", "Choisissez la mesure."),
        (measure("body_weight", value=60, ago=-timedelta(hours=2)), "measured_at",
         "La date de la mesure est dans le futur."),
        (measure("body_weight", value=60, measured_at=""), "measured_at",
         "Indiquez la date et l'heure de la mesure."),
    ], ids=["temperature-80", "pressure-300-20", "no-value", "no-diastolic", "not-a-number",
            "no-kind", "future", "no-moment"])
    def test_said_next_to_the_field_nothing_saved(self, client_for, person, data, field,
                                                  says):
        response = client_for("nurse").post(add_url(person), data)
        assert response.status_code == 400
        assert says in response.context["form"].errors[field][0]
        assert says in visible_text(response)
        html = response.content.decode()
        # The message is tied to its field, the input kept.
        assert f'id="id_{field}_errors"' in html
        for name in ("value", "systolic", "diastolic"):
            if data[name]:
                assert f'name="{name}" value="{data[name]}"' in html
        assert not VitalSign.objects.exists()
        assert not AuditEvent.objects.filter(action="vital_sign.recorded").exists()

    def test_before_the_birth(self, client_for, person):
        born = person.birth_date
        response = client_for("nurse").post(add_url(person), measure(
            "body_weight", value=60, measured_at=f"{born - timedelta(days=1):%Y-%m-%d}T10:00"))
        assert response.status_code == 400
        assert ("La date de la mesure précède la naissance de la personne "
                f"({born:%d/%m/%Y})") in response.context["form"].errors["measured_at"][0]
        assert not VitalSign.objects.exists()


class TestAccess:
    def test_without_the_health_face_no_form_and_403(self, client, client_for, person, crt_a,
                                                     make_user):
        data = measure("body_weight", value=60)
        # The secretariat: neither the charts nor the form.
        admin = client_for("admin_staff")
        assert admin.get(charts_url(person)).status_code == 403
        assert admin.get(add_url(person)).status_code == 403
        assert admin.post(add_url(person), data).status_code == 403
        # A psychologist outside the care team: no health face.
        client.force_login(make_user(crt_a, Role.PSYCHOLOGIST, username="psy-hors-cercle"))
        page = client.get(charts_url(person))
        assert page.status_code == 403
        assert "Enregistrer une mesure" not in page.content.decode()
        assert client.post(add_url(person), data).status_code == 403
        assert not VitalSign.objects.exists()

    def test_another_crt_gets_404(self, client, person, user_b):
        client.force_login(user_b)
        assert client.get(add_url(person)).status_code == 404
        assert client.post(add_url(person), measure("body_weight", value=60)).status_code == 404
        assert not VitalSign.objects.exists()


class TestVisitLink:
    """The visit page of a visit of today offers the form to whoever may record."""

    @staticmethod
    def detail(client, v):
        return client.get(reverse("visits:detail", kwargs={"visit_id": v.public_id}))

    def test_offered_on_a_visit_of_today(self, client_for, person, users):
        from maillage.visits.tests.factories import visit

        today = visit(person, users["care_aide"], starts_at=timezone.now())
        response = self.detail(client_for("care_aide"), today)
        assert "Enregistrer une mesure" in visible_text(response)
        assert f'href="{add_url(person)}"' in response.content.decode()
        older = visit(person, users["care_aide"], starts_at=timezone.now() - timedelta(days=2))
        assert "Enregistrer une mesure" not in visible_text(
            self.detail(client_for("care_aide"), older))

    def test_not_offered_without_the_health_face(self, client, person, crt_a, make_user):
        from maillage.visits.tests.factories import visit

        outsider = make_user(crt_a, Role.CARE_AIDE, username="aide-hors-cercle")
        today = visit(person, outsider, starts_at=timezone.now())
        client.force_login(outsider)
        response = self.detail(client, today)
        assert response.status_code == 200
        assert "Enregistrer une mesure" not in visible_text(response)
        assert client.get(add_url(person)).status_code == 403
