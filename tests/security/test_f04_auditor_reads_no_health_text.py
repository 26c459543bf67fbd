"""Finding 4: the auditor read health text through the audit trail.

``audit_log`` labelled each object with ``str(obj)``, and a liaison note's or an alert's
``__str__`` is its free text: the DPO read « what the nurse wrote » in the audit list and in its
CSV export. Objects are now labelled by their type, a date and a short id; ``details`` diffs
keep no free text."""

import csv
import io

import pytest
from django.urls import reverse

from maillage.beneficiaries.tests.factories import shared_file
from maillage.core.models import AuditEvent
from maillage.core.tests.helpers import visible_text

NOTE_TEXT = "Escarre sacrée stade 2, pansement hydrocolloïde refait ce matin"
ALERT_TEXT = "Idées suicidaires exprimées devant sa fille hier soir"
OUTCOME_TEXT = "Psychiatre de liaison appelé, hospitalisation programmée"
SECRETS = (NOTE_TEXT, ALERT_TEXT, OUTCOME_TEXT, "Escarre", "suicidaires", "Psychiatre")


@pytest.fixture
def written(crt_a, users, client):
    """A nurse of the care team writes a note, raises an alert; the coordinator resolves it."""
    b = shared_file(crt_a, users["nurse"], {"nurse"})
    client.force_login(users["nurse"])
    response = client.post(reverse("care:notes", kwargs={"public_id": b.public_id}),
                           {"text": NOTE_TEXT, "category": "care", "visibility": "team"})
    assert response.status_code == 302, visible_text(response)
    response = client.post(reverse("care:alert_add", kwargs={"public_id": b.public_id}),
                           {"kind": "behaviour", "severity": "high", "description": ALERT_TEXT})
    assert response.status_code == 302, visible_text(response)
    alert = b.alerts.get()
    client.force_login(users["coordinator"])
    response = client.post(
        reverse("care:alert_resolve", kwargs={"public_id": b.public_id,
                                              "item_id": alert.public_id}),
        {"outcome": OUTCOME_TEXT, "version": alert.version})
    assert response.status_code == 302, visible_text(response)
    client.logout()
    return b


def test_the_audit_list_shows_who_did_what_but_not_the_text(written, users, client):
    client.force_login(users["auditor"])
    response = client.get(reverse("core:audit_list"))
    assert response.status_code == 200
    text = visible_text(response)
    # Never what was written…
    for secret in SECRETS:
        assert secret not in text
    # …but the events are there, in French, with the object's type and date.
    assert "Transmission au cahier de liaison" in text
    assert "Alerte signalée" in text and "Alerte résolue" in text
    assert "Transmission du " in text


def test_the_audit_csv_export_carries_no_health_text(written, users, client):
    client.force_login(users["auditor"])
    response = client.get(reverse("core:audit_export"))
    assert response.status_code == 200
    body = b"".join(response.streaming_content).decode("utf-8-sig")
    for secret in SECRETS:
        assert secret not in body
    rows = list(csv.reader(io.StringIO(body), delimiter=";"))
    assert any("Transmission au cahier de liaison" in row for row in rows)


def test_no_audit_event_stores_the_text(written):
    for event in AuditEvent.objects.all():
        stored = f"{event.object_label} {event.details} {event.reason}"
        for secret in SECRETS:
            assert secret not in stored, event.action
