"""The demo shows telemonitoring: a connected scale's weights under the doctor's threshold raise
one alert, listed on the on-call screen, and the file draws the series with its threshold."""

from django.test import Client
from django.urls import reverse

from maillage.beneficiaries.models import VitalSign, VitalThresholds
from maillage.care.models import Alert
from maillage.core.models import User
from maillage.core.tests.helpers import visible_text


def test_the_demo_scale_raises_one_alert_seen_on_call(demo_module, db):
    alert = Alert.objects.get(kind="vital_sign", vital_sign__isnull=False)
    b = alert.beneficiary
    assert alert.description.startswith("Poids ") and "sous le seuil de" in alert.description
    assert VitalThresholds.objects.count() == 2
    assert VitalSign.objects.filter(beneficiary=b, source="telemonitoring",
                                    kind="body_weight").count() == 8
    doctor = Client()
    doctor.force_login(User.objects.get(username="doctor"))
    chart = doctor.get(reverse("beneficiaries:vital_charts", args=[b.public_id]),
                       {"jours": "90"})
    assert chart.status_code == 200
    assert 'class="vital-threshold"' in chart.content.decode()
    nurse = Client()
    nurse.force_login(User.objects.get(username="nurse"))
    text = visible_text(nurse.get(reverse("oncall:screen")))
    assert alert.description[:40] in text
