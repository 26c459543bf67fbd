"""The on-call screen lists the open alerts: a telemonitoring measure over its threshold, as
the on-call nurse sees it."""

from datetime import timedelta

from django.urls import reverse
from django.utils import timezone

from maillage.beneficiaries.tests.factories import shared_file
from maillage.beneficiaries.vitals import vital_sign_record, vital_thresholds_set
from maillage.care.models import Alert
from maillage.core.models import AuditEvent
from maillage.core.roles import Role
from maillage.core.tests.helpers import visible_text


def test_the_on_call_nurse_sees_the_telemonitoring_alert(client_for, users, crt_a, crt_b,
                                                         user_b):
    b = shared_file(crt_a, users["doctor"], {Role.DOCTOR})
    vital_thresholds_set(actor=users["doctor"], beneficiary=b, version=0, body_weight_low=62)
    vital_sign_record(actor=users["partner"], beneficiary=b, kind="body_weight", value="61.2",
                      source="telemonitoring",
                      measured_at=timezone.now() - timedelta(hours=1))
    resolved = shared_file(crt_a)
    old = vital_sign_record(actor=users["partner"], beneficiary=resolved, kind="fall",
                            measured_at=timezone.now() - timedelta(days=1))
    alert = Alert.objects.get(vital_sign=old)
    alert.status = Alert.Status.RESOLVED
    alert.save()
    response = client_for("nurse").get(reverse("oncall:screen"))
    assert response.status_code == 200
    text = visible_text(response)
    assert "Alertes en cours" in text
    assert f"{b.display_name} — Constante hors seuil Modérée" in text
    assert "Poids 61,2 kg sous le seuil de 62 kg (télésurveillance, " in text
    assert resolved.display_name not in text
    assert reverse("oncall:person", kwargs={"public_id": b.public_id}) in \
        response.content.decode()
    # The description is clinical text: its read is in the person's access list.
    event = AuditEvent.objects.get(action="alerts.viewed")
    assert (event.actor, event.beneficiary_public_id) == (users["nurse"], b.public_id)
    # Another CRT's on-call screen does not list it; a role without on-call access: 403.
    from django.test import Client

    other = Client()
    other.force_login(user_b)
    assert b.display_name not in visible_text(other.get(reverse("oncall:screen")))
    assert client_for("admin_staff").get(reverse("oncall:screen")).status_code == 403
