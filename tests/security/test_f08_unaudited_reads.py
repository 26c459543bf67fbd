"""Finding 8: reads that left no trace — the medical edit form (GET), the situation form (it
shows the key-box code), the on-call person page, the identity, caregiver and visit edit forms.
Every one of them now writes an audit event naming the person (the walk of every page against
the health-data registry is ``test_audit_coverage.py``)."""

import pytest
from django.urls import reverse

from maillage.beneficiaries.tests.factories import CaregiverFactory, shared_file
from maillage.core.models import AuditEvent
from maillage.core.roles import Role
from maillage.visits.tests import factories as visits


def _events(user, b):
    return AuditEvent.objects.filter(actor=user, beneficiary_public_id=b.public_id)


@pytest.mark.parametrize(("role", "name", "action"), [
    ("doctor", "beneficiaries:medical_edit", "beneficiary.form_opened"),
    ("nurse", "beneficiaries:situation_edit", "beneficiary.form_opened"),
    ("admin_staff", "beneficiaries:identity_edit", "beneficiary.form_opened"),
    ("nurse", "oncall:person", "oncall.person_viewed"),
    ("care_aide", "oncall:person", "oncall.person_viewed"),
])
def test_file_forms_and_pages(client, users, crt_a, role, name, action):
    user = users[role]
    # On call, the person is usually outside the responder's care team: the page shows the
    # identity and phones (no health data without breaking the glass) — still a read.
    b = shared_file(crt_a) if name == "oncall:person" else shared_file(crt_a, user, {Role(role)})
    client.force_login(user)
    response = client.get(reverse(name, kwargs={"public_id": b.public_id}))
    assert response.status_code == 200
    event = _events(user, b).get()
    assert event.action == action
    if name == "beneficiaries:situation_edit":
        assert "1234A" in response.content.decode()  # the key-box code is in the form…
        assert event.details["code_boite_a_cles"] is True  # …and its read is on record


def test_caregiver_form(client, users, crt_a):
    b = shared_file(crt_a)
    caregiver = CaregiverFactory(crt=crt_a, beneficiary=b)
    client.force_login(users["admin_staff"])
    response = client.get(reverse("beneficiaries:caregiver_edit",
                                  kwargs={"public_id": b.public_id, "item_id":
                                          caregiver.public_id}))
    assert response.status_code == 200
    assert _events(users["admin_staff"], b).get().details["formulaire"] == "aidant"


def test_posting_a_form_is_not_counted_as_a_second_read(client, users, crt_a):
    b = shared_file(crt_a)
    client.force_login(users["admin_staff"])
    url = reverse("beneficiaries:identity_edit", kwargs={"public_id": b.public_id})
    client.post(url, {"birth_name": ""})  # refused: no write, no "form opened" either
    assert not _events(users["admin_staff"], b).filter(action="beneficiary.form_opened").exists()


def test_visit_forms(client, users, crt_a):
    b = shared_file(crt_a, users["care_aide"])
    visit = visits.visit(b, users["care_aide"])
    for user, name in ((users["coordinator"], "visits:edit"),
                       (users["care_aide"], "visits:trace_done")):
        client.force_login(user)
        response = client.get(reverse(name, kwargs={"visit_id": visit.public_id}))
        assert response.status_code == 200, name
        assert _events(user, b).filter(action="visit.form_opened").count() == 1, name
