"""« Corriger » and « Retirer (saisie erronée) » on the charts page: a measure entered by mistake
is corrected (``vitals.vital_sign_update``: its value first entered kept in its history) or
retracted (``vitals.vital_sign_retract``: out of the charts, listed as « retirée »), with a
reason, a one-time key and the version the page showed; by whoever recorded it, or the doctor,
with the file's health face."""

from datetime import timedelta
from decimal import Decimal
from html.parser import HTMLParser

import pytest
from django.urls import reverse
from django.utils import timezone

from maillage.beneficiaries.access import can_correct_vital_sign, vital_signs_correctable
from maillage.beneficiaries.models import VitalSign, VitalSignRevision
from maillage.beneficiaries.tests.factories import join_care_team, shared_file, vital_sign
from maillage.beneficiaries.vitals import vital_sign_retract, vital_thresholds_set
from maillage.care.models import Alert
from maillage.core.models import AuditEvent
from maillage.core.roles import Role
from maillage.core.tests.helpers import field_error, visible_text


@pytest.fixture
def person(users, crt_a):
    b = shared_file(crt_a, users["doctor"], {Role.DOCTOR})
    join_care_team(b, users["nurse"], {Role.NURSE})
    join_care_team(b, users["care_aide"], {Role.CARE_AIDE})
    join_care_team(b, users["activity_leader"], {Role.ACTIVITY_LEADER})
    return b


def charts_url(b):
    return reverse("beneficiaries:vital_charts", kwargs={"public_id": b.public_id})


def correct_url(sign):
    return reverse("beneficiaries:vital_sign_correct",
                   kwargs={"public_id": sign.beneficiary.public_id, "item_id": sign.public_id})


def retract_url(sign):
    return reverse("beneficiaries:vital_sign_retract",
                   kwargs={"public_id": sign.beneficiary.public_id, "item_id": sign.public_id})


def local(moment) -> str:
    return timezone.localtime(moment).strftime("%d/%m/%Y %H:%M")


class _Form(HTMLParser):
    """The fields of the page's form with their values, as the browser would post them."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.data, self._in_form, self._area = {}, False, None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form" and attrs.get("method") == "post":
            self._in_form = True
        elif self._in_form and tag == "input" and attrs.get("name"):
            self.data[attrs["name"]] = attrs.get("value") or ""
        elif self._in_form and tag == "textarea":
            self._area = attrs["name"]
            self.data[self._area] = ""

    def handle_endtag(self, tag):
        if tag == "form":
            self._in_form = False
        elif tag == "textarea":
            self._area = None

    def handle_data(self, data):
        if self._area:
            self.data[self._area] += data


def page_form(response, **changes) -> dict:
    assert response.status_code == 200, response.status_code
    parser = _Form()
    parser.feed(response.content.decode())
    data = {k: v for k, v in parser.data.items() if k != "csrfmiddlewaretoken"}
    assert data.get("submission_key"), "the form carries no one-time key"
    assert "version" in data, "the form carries no version"
    data.update({k: str(v) for k, v in changes.items()})
    return data


def fever(person, nurse):
    """38,9 °C typed instead of 36,9, over the doctor's 38 °C threshold: an alert."""
    return vital_sign(person, nurse, value="38.9")


@pytest.fixture
def thresholds(person, users):
    return vital_thresholds_set(actor=users["doctor"], beneficiary=person, version=0,
                                body_temperature_high=38)


class TestCorrect:
    def test_the_nurse_corrects_her_typo(self, client_for, person, users, thresholds):
        sign = fever(person, users["nurse"])
        assert Alert.objects.filter(vital_sign=sign).exists()
        client = client_for("nurse")
        charts = client.get(charts_url(person))
        text = visible_text(charts)
        assert "38,9 °C" in text and "Corriger" in text and "Retirer (saisie erronée)" in text
        html = charts.content.decode()
        assert f'href="{correct_url(sign)}"' in html and f'href="{retract_url(sign)}"' in html

        page = client.get(correct_url(sign))
        text = visible_text(page)
        assert "Corriger une mesure" in text and "Valeur enregistrée 38,9 °C" in text
        assert "Motif de la correction" in text
        # The form shows the value to correct; opening it is a read of the file.
        assert 'name="value" value="38,9"' in page.content.decode()
        assert AuditEvent.objects.filter(action="beneficiary.form_opened",
                                         object_id=str(sign.public_id)).exists()

        response = client.post(correct_url(sign), page_form(
            page, value="36,9", reason="Faute de frappe : 36,9 et non 38,9"))
        assert response.status_code == 302
        assert response["Location"] == charts_url(person)
        charts = client.get(response["Location"])
        text = visible_text(charts)
        assert "Mesure corrigée ; la valeur d'origine reste dans son historique." in text
        assert ("La valeur corrigée est dans les seuils : l'alerte de cette mesure est close, "
                "avec votre motif.") in text
        # The corrected value in the chart's table, marked, the first one in its history.
        assert "36,9 °C corrigée" in text
        assert (f"par {users['nurse'].get_full_name()} : 38,9 °C, mesurée le "
                f"{local(sign.measured_at)} — motif : Faute de frappe : 36,9 et non 38,9") in text
        assert "dernière : 36,9 °C le" in charts.content.decode()

        sign.refresh_from_db()
        assert (sign.value, sign.status, sign.version) == (Decimal("36.9"), "amended", 2)
        kept = VitalSignRevision.objects.get()
        assert (kept.sign, kept.change, kept.version, kept.value, kept.status,
                kept.created_by) == (sign, "amended", 1, Decimal("38.9"), "final",
                                     users["nurse"])
        # The latest measures of the medical section show the corrected one.
        medical = visible_text(client.get(reverse("beneficiaries:medical",
                                                  kwargs={"public_id": person.public_id})))
        assert "36,9 °C corrigée" in medical and "38,9" not in medical
        # Audited: the fields changed, never the values nor the reason.
        event = AuditEvent.objects.get(action="vital_sign.updated")
        assert (event.actor, event.object_id, event.beneficiary_public_id) == (
            users["nurse"], str(sign.public_id), person.public_id)
        assert event.details == {"mesure": "Température", "champs": ["status", "value"]}
        assert "36" not in str(event.details) and not event.reason

    def test_a_corrected_value_over_the_threshold_raises_the_alert(self, client_for, person,
                                                                     users, thresholds):
        sign = vital_sign(person, users["nurse"], value="37.5")
        assert not Alert.objects.exists()
        client = client_for("nurse")
        response = client.post(correct_url(sign), page_form(
            client.get(correct_url(sign)), value="39,2", reason="Lu trop vite"), follow=True)
        assert ("Mesure corrigée ; la valeur d'origine reste dans son historique. Une alerte "
                "est ouverte pour cette mesure") in visible_text(response)
        alert = Alert.objects.get(vital_sign=sign)
        assert alert.description.startswith("Température 39,2 °C au-dessus du seuil de 38 °C")

    def test_a_blood_pressure_and_a_fall(self, client_for, person, users):
        pressure = vital_sign(person, users["care_aide"], kind="blood_pressure", systolic=185,
                              diastolic=80)
        fall = vital_sign(person, users["care_aide"], kind="fall")
        client = client_for("care_aide")
        page = client.get(correct_url(pressure))
        html = page.content.decode()
        assert 'name="systolic" value="185"' in html and 'name="value"' not in html
        response = client.post(correct_url(pressure), page_form(
            page, systolic=135, reason="Inversion de chiffres"), follow=True)
        text = visible_text(response)
        assert "135/80 mmHg corrigée" in text and ": 185/80 mmHg, mesurée le" in text

        page = client.get(correct_url(fall))
        html = page.content.decode()
        assert 'name="value"' not in html and 'name="systolic"' not in html
        earlier = timezone.now() - timedelta(hours=3)
        response = client.post(correct_url(fall), page_form(
            page, measured_at=timezone.localtime(earlier).strftime("%Y-%m-%dT%H:%M"),
            reason="Heure de la chute mal saisie"), follow=True)
        text = visible_text(response)
        assert f"{local(earlier)} — Équipe du CRT corrigée" in text
        assert f"chute signalée, mesurée le {local(fall.measured_at)}" in text

    def test_a_correction_through_the_api_keeps_the_old_value_too(self, client_for, person,
                                                                  users):
        from maillage.beneficiaries.vitals import vital_sign_update

        sign = vital_sign(person, users["partner"], kind="heart_rate", value=150)
        vital_sign_update(actor=users["partner"], sign=sign, version=1, kind="heart_rate",
                          value=50, measured_at=sign.measured_at)
        text = visible_text(client_for("doctor").get(charts_url(person)))
        assert "50 /min corrigée" in text
        assert (f"par {users['partner'].get_full_name()} : 150 /min, mesurée le "
                f"{local(sign.measured_at)} Équipe du CRT") in text

    def test_the_same_page_posted_twice_corrects_once(self, client_for, person, users):
        sign = vital_sign(person, users["nurse"], value="38.9")
        client = client_for("nurse")
        data = page_form(client.get(correct_url(sign)), value="36,9", reason="Faute de frappe")
        assert client.post(correct_url(sign), data).status_code == 302
        again = client.post(correct_url(sign), data, follow=True)
        assert "Déjà enregistré" in visible_text(again)
        assert VitalSignRevision.objects.count() == 1
        assert VitalSign.objects.get().version == 2

    def test_a_change_made_meanwhile_is_not_overwritten(self, client, person, users):
        sign = vital_sign(person, users["nurse"], value="38.9")
        client.force_login(users["nurse"])
        mine = page_form(client.get(correct_url(sign)), value="36,9", reason="Faute de frappe")
        client.force_login(users["doctor"])
        theirs = page_form(client.get(correct_url(sign)), value="37,1", reason="Relu")
        assert client.post(correct_url(sign), theirs).status_code == 302
        client.force_login(users["nurse"])
        response = client.post(correct_url(sign), mine)
        assert response.status_code == 409
        assert ("Cette mesure a été corrigée ou retirée par quelqu'un d'autre depuis "
                "l'ouverture de cette page") in visible_text(response)
        sign.refresh_from_db()
        assert sign.value == Decimal("37.1")
        assert VitalSignRevision.objects.count() == 1

    @pytest.mark.parametrize("changes, field, says", [
        ({"value": "80"}, "value",
         "Température : 80 °C n'est pas une valeur plausible (attendu entre 30 et 45 °C)."),
        ({"value": "trente-sept"}, "value", "Indiquez un nombre, par exemple 37,5."),
        ({"value": ""}, "value", "Température : la valeur manque."),
        ({"reason": ""}, "reason", "Indiquez le motif de la correction."),
        ({"measured_at": ""}, "measured_at", "Indiquez la date et l'heure de la mesure."),
        ({"measured_at": (timezone.localtime() + timedelta(days=1)).strftime(
            "%Y-%m-%dT%H:%M")}, "measured_at", "La date de la mesure est dans le futur."),
    ], ids=["temperature-80", "not-a-number", "no-value", "no-reason", "no-moment", "future"])
    def test_bad_input_said_next_to_the_field(self, client_for, person, users, changes, field,
                                              says):
        sign = vital_sign(person, users["nurse"], value="38.9")
        client = client_for("nurse")
        data = page_form(client.get(correct_url(sign)), **{"reason": "Faute de frappe",
                                                           **changes})
        response = client.post(correct_url(sign), data)
        assert response.status_code == 400
        assert field_error(response, field) == says
        assert says in visible_text(response)
        sign.refresh_from_db()
        assert (sign.value, sign.status, sign.version) == (Decimal("38.9"), "final", 1)
        assert not VitalSignRevision.objects.exists()
        assert not AuditEvent.objects.filter(action="vital_sign.updated").exists()

    def test_a_pressure_out_of_order(self, client_for, person, users):
        sign = vital_sign(person, users["nurse"], kind="blood_pressure", systolic=130,
                          diastolic=80)
        client = client_for("nurse")
        response = client.post(correct_url(sign), page_form(
            client.get(correct_url(sign)), diastolic=140, reason="Erreur"))
        assert response.status_code == 400
        assert field_error(response, "diastolic") == (
            "Pression artérielle : la pression diastolique doit être inférieure à la "
            "systolique.")
        assert VitalSign.objects.get().diastolic == 80


class TestRetract:
    def test_the_nurse_retracts_a_measure_of_the_wrong_person(self, client_for, person, users,
                                                             thresholds):
        sign = fever(person, users["nurse"])
        kept = vital_sign(person, users["nurse"], value="36.6", ago=timedelta(hours=2))
        client = client_for("nurse")
        page = client.get(retract_url(sign))
        text = visible_text(page)
        assert "Retirer une mesure (saisie erronée)" in text and "Motif du retrait" in text
        response = client.post(retract_url(sign), page_form(
            page, reason="Mesure prise chez la voisine, saisie dans ce dossier"))
        assert response.status_code == 302
        charts = client.get(response["Location"])
        text = visible_text(charts)
        assert "Mesure retirée : elle n'apparaît plus dans les courbes" in text
        # Out of the chart (one value left) but listed, as « retirée », with the reason.
        assert "Valeurs (1)" in text and "36,6 °C" in text
        assert "Mesures retirées (saisies erronées)" in text
        assert (f"{local(sign.measured_at)} Température 38,9 °C retirée Retirée le ") in text
        assert (f"par {users['nurse'].get_full_name()} Motif : Mesure prise chez la voisine, "
                "saisie dans ce dossier") in text
        assert f'href="{correct_url(sign)}"' not in charts.content.decode()
        assert f'href="{correct_url(kept)}"' in charts.content.decode()
        # Gone from the latest measures; its alert closed (kept).
        medical = visible_text(client.get(reverse("beneficiaries:medical",
                                                  kwargs={"public_id": person.public_id})))
        assert "36,6 °C" in medical and "38,9" not in medical
        alert = Alert.objects.get(vital_sign=sign)
        assert alert.status == Alert.Status.RESOLVED
        sign.refresh_from_db()
        assert (sign.status, sign.deleted_at is not None) == ("entered-in-error", True)
        event = AuditEvent.objects.get(action="vital_sign.retracted")
        assert (event.actor, event.object_id) == (users["nurse"], str(sign.public_id))
        assert "voisine" not in str(event.details) + event.reason

    def test_a_fall_is_retracted_from_the_falls_list(self, client_for, person, users):
        fall = vital_sign(person, users["care_aide"], kind="fall")
        client = client_for("care_aide")
        charts = client.get(charts_url(person))
        assert f'href="{retract_url(fall)}"' in charts.content.decode()
        response = client.post(retract_url(fall), page_form(
            client.get(retract_url(fall)), reason="Bracelet tombé, pas la personne"),
            follow=True)
        text = visible_text(response)
        assert "Aucune chute signalée sur la période." in text
        assert "Chute chute signalée retirée" in text and "Bracelet tombé" in text

    def test_without_a_reason_nothing_is_retracted(self, client_for, person, users):
        sign = vital_sign(person, users["nurse"])
        client = client_for("nurse")
        response = client.post(retract_url(sign), page_form(client.get(retract_url(sign))))
        assert response.status_code == 400
        assert field_error(response, "reason") == "Indiquez le motif du retrait."
        sign.refresh_from_db()
        assert sign.deleted_at is None

    def test_once_retracted_neither_retracted_again_nor_corrected(self, client_for, person,
                                                                  users):
        sign = vital_sign(person, users["nurse"], value="38.9")
        client = client_for("nurse")
        correction = page_form(client.get(correct_url(sign)), value="36,9", reason="Typo")
        retraction = page_form(client.get(retract_url(sign)), reason="Mauvaise personne")
        assert client.post(retract_url(sign), retraction).status_code == 302
        # The page posted again (the browser's Back): nothing more.
        assert "Déjà enregistré" in visible_text(client.post(retract_url(sign), retraction,
                                                             follow=True))
        # A correction page opened before the retraction is refused.
        response = client.post(correct_url(sign), correction)
        assert response.status_code == 409
        assert "Cette mesure a été retirée : elle ne se modifie plus." in visible_text(response)
        # Opening either page again says where the measure went.
        again = client.get(correct_url(sign), follow=True)
        assert "Cette mesure a déjà été retirée" in visible_text(again)
        assert VitalSign.objects.get().value == Decimal("38.9")
        assert VitalSignRevision.objects.get().change == "retracted"

    def test_a_retraction_after_a_correction_made_meanwhile(self, client_for, person, users):
        sign = vital_sign(person, users["nurse"], value="38.9")
        client = client_for("nurse")
        retraction = page_form(client.get(retract_url(sign)), reason="Mauvaise personne")
        client.post(correct_url(sign), page_form(client.get(correct_url(sign)), value="36,9",
                                                 reason="Typo"))
        response = client.post(retract_url(sign), retraction)
        assert response.status_code == 409
        assert "corrigée ou retirée par quelqu'un d'autre" in visible_text(response)
        sign.refresh_from_db()
        assert sign.deleted_at is None

    def test_a_retraction_by_the_api_is_listed_without_a_reason(self, client_for, person,
                                                                users):
        sign = vital_sign(person, users["partner"], kind="heart_rate", value=150)
        vital_sign_retract(actor=users["partner"], sign=sign, version=1)
        text = visible_text(client_for("doctor").get(charts_url(person)))
        assert "Fréquence cardiaque 150 /min retirée Retirée le" in text
        assert "Motif" not in text


def alerts_url(b):
    return reverse("care:alerts", kwargs={"public_id": b.public_id})


def alert_items(response) -> list[str]:
    """The alerts page's items, each as its visible text."""
    import re
    from html import unescape

    items = re.findall(r'<li class="border rounded p-2 mb-2">(.*?)</li>',
                       response.content.decode(), re.S)
    return [" ".join(unescape(re.sub(r"<[^>]+>", " ", item)).split()) for item in items]


class TestTheMeasuresAlert:
    """What a correction or a retraction does to the alert the measure raised, as the care
    team reads it on the person's alerts page."""

    def test_corrected_into_range_its_open_alert_is_closed_saying_why(
            self, client_for, person, users, thresholds):
        sign = fever(person, users["nurse"])
        client = client_for("nurse")
        client.post(correct_url(sign), page_form(
            client.get(correct_url(sign)), value="36,9",
            reason="Faute de frappe : 36,9 et non 38,9"))
        nurse = users["nurse"].get_full_name()
        [item] = alert_items(client.get(alerts_url(person)))
        assert "Constante hors seuil — gravité modérée — Résolue" in item
        assert (f"Suites : Mesure corrigée par {nurse}, désormais dans les seuils de la "
                f"personne : Faute de frappe : 36,9 et non 38,9 ({nurse}, ") in item
        # Closed as a member closes one: audited, in the file's timeline, off the on-call
        # screen's open alerts.
        alert = Alert.objects.get()
        assert (alert.status, alert.resolved_by) == ("resolved", users["nurse"])
        event = AuditEvent.objects.get(action="alert.resolved")
        assert (event.actor, event.object_id) == (users["nurse"], str(alert.public_id))
        # Who reads the alerts but not the measures sees it closed, not the reason.
        [item] = alert_items(client_for("activity_leader").get(alerts_url(person)))
        assert "Résolue" in item and "Suites : réservées à ses professionnels de santé" in item
        assert "Faute de frappe" not in item

    def test_retracted_its_open_alert_is_closed_saying_why(self, client_for, person, users,
                                                          thresholds):
        sign = fever(person, users["nurse"])
        client = client_for("nurse")
        response = client.post(retract_url(sign), page_form(
            client.get(retract_url(sign)), reason="Mesure d'une autre personne"), follow=True)
        assert ("Mesure retirée : elle n'apparaît plus dans les courbes ; elle reste dans les "
                "mesures retirées, avec le motif. L'alerte de cette mesure est close, avec "
                "votre motif.") in visible_text(response)
        nurse = users["nurse"].get_full_name()
        [item] = alert_items(client.get(alerts_url(person)))
        assert "Résolue" in item
        assert (f"Suites : Mesure retirée (saisie erronée) par {nurse} : Mesure d'une autre "
                f"personne ({nurse}, ") in item
        assert AuditEvent.objects.filter(action="alert.resolved", actor=users["nurse"]).exists()

    def test_out_of_range_again_after_its_alert_was_closed_raises_a_new_one(
            self, client_for, person, users, thresholds):
        sign = fever(person, users["nurse"])
        client = client_for("nurse")
        client.post(correct_url(sign), page_form(client.get(correct_url(sign)), value="36,9",
                                                 reason="Faute de frappe"))
        response = client.post(correct_url(sign), page_form(
            client.get(correct_url(sign)), value="39,4", reason="Relu sur le thermomètre"),
            follow=True)
        assert "Une alerte est ouverte pour cette mesure" in visible_text(response)
        opened, closed = alert_items(client.get(alerts_url(person)))
        assert "Ouverte" in opened and "Température 39,4 °C au-dessus du seuil de 38 °C" in opened
        assert "Résolue" in closed and "Température 38,9 °C" in closed
        assert Alert.objects.filter(vital_sign=sign).count() == 2

    def test_corrected_to_another_value_out_of_range_its_open_alert_reads_the_new_value(
            self, client_for, person, users, thresholds):
        sign = fever(person, users["nurse"])
        client = client_for("nurse")
        client.post(correct_url(sign), page_form(client.get(correct_url(sign)), value="39,6",
                                                 reason="Relu sur le thermomètre"))
        nurse = users["nurse"].get_full_name()
        [item] = alert_items(client.get(alerts_url(person)))
        assert "Ouverte" in item
        assert ("Température 39,6 °C au-dessus du seuil de 38 °C" in item
                and f"mesure corrigée par {nurse}" in item)
        assert "38,9" not in item
        assert Alert.objects.filter(vital_sign=sign).count() == 1
        event = AuditEvent.objects.get(action="alert.corrected")
        assert event.actor == users["nurse"] and "39" not in str(event.details)

    def test_an_alert_taken_in_charge_is_left_to_whoever_took_it(self, client_for, person,
                                                                  users, thresholds):
        from maillage.care.services.liaison import alert_acknowledge

        sign = fever(person, users["nurse"])
        alert = Alert.objects.get()
        alert_acknowledge(actor=users["doctor"], alert=alert, version=alert.version)
        client = client_for("nurse")
        response = client.post(correct_url(sign), page_form(
            client.get(correct_url(sign)), value="36,9", reason="Faute de frappe"), follow=True)
        assert ("Son alerte, déjà prise en charge, reste en cours : clôturez-la depuis les "
                "alertes de la personne si elle n'a plus lieu d'être.") in visible_text(response)
        response = client.post(retract_url(sign), page_form(
            client.get(retract_url(sign)), reason="Autre personne"), follow=True)
        assert ("Son alerte, déjà prise en charge, reste en cours : clôturez-la depuis les "
                "alertes de la personne.") in visible_text(response)
        [item] = alert_items(client.get(alerts_url(person)))
        assert "Prise en charge" in item and "Suites" not in item
        alert.refresh_from_db()
        assert (alert.status, alert.outcome, alert.version) == ("acknowledged", "", 2)
        assert not AuditEvent.objects.filter(action="alert.resolved").exists()

    def test_an_alert_resolved_by_the_team_is_neither_changed_nor_doubled(
            self, client_for, person, users, thresholds):
        from maillage.care.services.liaison import alert_resolve

        sign = fever(person, users["nurse"])
        alert = Alert.objects.get()
        alert_resolve(actor=users["doctor"], alert=alert, version=alert.version,
                      outcome="Paracétamol, recontrôle à 18 h")
        client = client_for("nurse")
        for value in ("39,5", "36,9", "39,1"):  # still over; back in range; over again
            client.post(correct_url(sign), page_form(client.get(correct_url(sign)),
                                                     value=value, reason="Relu"))
        sign.refresh_from_db()
        assert sign.version == 4
        # Back over the threshold after being in range: a new alert, the team's one kept.
        opened, handled = alert_items(client.get(alerts_url(person)))
        assert "Ouverte" in opened and "39,1 °C" in opened
        doctor = users["doctor"].get_full_name()
        assert f"Suites : Paracétamol, recontrôle à 18 h ({doctor}, " in handled
        alert.refresh_from_db()
        assert (alert.status, alert.resolved_by, alert.version) == ("resolved",
                                                                    users["doctor"], 2)

    def test_a_devices_interpretation_goes_with_the_value_it_described(
            self, client_for, person, users):
        """No thresholds: the sender's « H » raised the alert; the doctor corrects the value,
        the « H » no longer describes it and the alert is closed."""
        sign = vital_sign(person, users["partner"], kind="heart_rate", value=150,
                          interpretation="H", device="Montre connectée")
        assert Alert.objects.get().status == "open"
        client = client_for("doctor")
        client.post(correct_url(sign), page_form(client.get(correct_url(sign)), value="75",
                                                 reason="Capteur mal placé, recontrôlé à 75"))
        sign.refresh_from_db()
        assert (sign.value, sign.interpretation) == (75, "")
        assert VitalSignRevision.objects.get().interpretation == "H"
        alert = Alert.objects.get()
        assert alert.status == "resolved" and alert.outcome.startswith(
            f"Mesure corrigée par {users['doctor'].get_full_name()}")

    def test_nothing_half_saved_when_the_alert_cannot_be_closed(self, person, users,
                                                                thresholds, monkeypatch):
        from maillage.beneficiaries.vitals import vital_sign_update
        from maillage.care.services import liaison

        sign = fever(person, users["nurse"])

        def broken(**_):
            raise RuntimeError("panne")

        monkeypatch.setattr(liaison, "alert_resolve", broken)
        with pytest.raises(RuntimeError):
            vital_sign_update(actor=users["nurse"], sign=sign, version=1, kind=sign.kind,
                              measured_at=sign.measured_at, value="36.9", reason="Typo")
        sign.refresh_from_db()
        assert (sign.value, sign.version, sign.status) == (Decimal("38.9"), 1, "final")
        assert not VitalSignRevision.objects.exists()
        assert Alert.objects.get().status == "open"


class TestAccess:
    def test_links_on_the_readers_own_measures_the_doctor_on_all(self, client_for, person,
                                                                 users):
        own = vital_sign(person, users["nurse"])
        other = vital_sign(person, users["care_aide"], kind="heart_rate", value=70)
        device = vital_sign(person, users["partner"], kind="body_weight", value=61,
                            source=VitalSign.Source.TELEMONITORING)
        html = client_for("nurse").get(charts_url(person)).content.decode()
        assert f'href="{correct_url(own)}"' in html
        for sign in (other, device):
            assert f'href="{correct_url(sign)}"' not in html
            assert f'href="{retract_url(sign)}"' not in html
        html = client_for("doctor").get(charts_url(person)).content.decode()
        for sign in (own, other, device):
            assert f'href="{correct_url(sign)}"' in html
            assert f'href="{retract_url(sign)}"' in html

    def test_the_nurse_cannot_change_a_colleagues_measure(self, client_for, person, users):
        other = vital_sign(person, users["care_aide"], value="38.9")
        client = client_for("nurse")
        for url in (correct_url(other), retract_url(other)):
            response = client.get(url)
            assert response.status_code == 403
            assert ("Seule la personne qui a saisi cette mesure, ou le médecin, peut la"
                    in visible_text(response))
        client.post(correct_url(other), {"value": "36,9", "reason": "x", "version": 1,
                                         "measured_at": "2026-01-01T10:00", "device": ""})
        client.post(retract_url(other), {"reason": "x", "version": 1})
        other.refresh_from_db()
        assert (other.value, other.deleted_at, other.version) == (Decimal("38.9"), None, 1)

    def test_the_doctor_corrects_the_nurses_measure(self, client_for, person, users):
        sign = vital_sign(person, users["nurse"], value="38.9")
        client = client_for("doctor")
        response = client.post(correct_url(sign), page_form(
            client.get(correct_url(sign)), value="36,9", reason="Vérifié avec l'IDE"),
            follow=True)
        assert (f"par {users['doctor'].get_full_name()} : 38,9 °C"
                in visible_text(response))
        assert VitalSign.objects.get().value == Decimal("36.9")

    @pytest.mark.parametrize("role", ["admin_staff", "activity_leader", "coordinator",
                                      "direction"])
    def test_roles_without_the_permission_are_refused(self, client_for, person, users, role):
        sign = vital_sign(person, users["nurse"], value="38.9")
        client = client_for(role)
        for url in (correct_url(sign), retract_url(sign)):
            assert client.get(url).status_code == 403
        assert client.post(correct_url(sign), {"value": "36,9", "reason": "x",
                                                "version": 1}).status_code == 403
        assert client.post(retract_url(sign), {"reason": "x", "version": 1}).status_code == 403
        sign.refresh_from_db()
        assert (sign.value, sign.deleted_at) == (Decimal("38.9"), None)

    def test_an_author_who_left_the_care_team_is_refused(self, client, person, users, crt_a,
                                                         make_user):
        psy = make_user(crt_a, Role.PSYCHOLOGIST, username="psy-parti")
        member = join_care_team(person, psy, {Role.PSYCHOLOGIST})
        sign = vital_sign(person, psy, kind="body_weight", value=60)
        client.force_login(psy)
        assert client.get(correct_url(sign)).status_code == 200
        member.end_date = timezone.localdate() - timedelta(days=1)
        member.save()
        for url in (correct_url(sign), retract_url(sign)):
            assert client.get(url).status_code == 403
        assert client.post(retract_url(sign), {"reason": "x", "version": 1}).status_code == 403
        assert VitalSign.objects.get().deleted_at is None

    def test_another_crt_gets_404(self, client, person, users, user_b):
        sign = vital_sign(person, users["nurse"], value="38.9")
        client.force_login(user_b)
        for url in (correct_url(sign), retract_url(sign)):
            assert client.get(url).status_code == 404
        assert client.post(retract_url(sign), {"reason": "x", "version": 1}).status_code == 404
        assert VitalSign.objects.get().deleted_at is None

    def test_both_faces_of_the_policy_agree(self, person, users, crt_a):
        signs = [vital_sign(person, users["nurse"]),
                 vital_sign(person, users["care_aide"], kind="heart_rate", value=70),
                 vital_sign(person, users["partner"], kind="body_weight", value=61)]
        retracted = vital_sign(person, users["nurse"], kind="heart_rate", value=71)
        vital_sign_retract(actor=users["nurse"], sign=retracted, version=1)
        for role in ("nurse", "care_aide", "doctor", "admin_staff", "activity_leader",
                     "coordinator"):
            roles = frozenset({role})
            from maillage.beneficiaries.access import file_access

            health = file_access(user=users[role], roles=roles, beneficiary=person).health
            queryset = set(vital_signs_correctable(crt=crt_a, user=users[role], roles=roles))
            one_by_one = {s for s in [*signs, retracted] if can_correct_vital_sign(
                user=users[role], roles=roles, sign=s, health=health)}
            assert queryset == one_by_one, role
        assert set(vital_signs_correctable(crt=crt_a, user=users["nurse"],
                                           roles=frozenset({"nurse"}))) == {signs[0]}
        assert set(vital_signs_correctable(crt=crt_a, user=users["doctor"],
                                           roles=frozenset({"doctor"}))) == set(signs)
