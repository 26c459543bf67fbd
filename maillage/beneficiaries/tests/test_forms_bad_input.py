"""Every form of the file refuses bad input with a French message and saves nothing."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from maillage.beneficiaries.models import (
    Caregiver,
    CareTeamMember,
    Consent,
    FreeEvaluation,
)
from maillage.core.models import AuditEvent
from maillage.core.tests.helpers import visible_text

from .factories import CaregiverFactory, shared_file

FUTURE = (timezone.localdate() + timedelta(days=3)).isoformat()


def url(name, b, **extra):
    return reverse(f"beneficiaries:{name}", kwargs={"public_id": b.public_id, **extra})


@pytest.fixture
def b(crt_a, users):
    return shared_file(crt_a, users["doctor"])


CASES = [
    ("caregiver_add", {"first_name": "Paul"}, "Indiquez le nom de l'aidant.", Caregiver),
    ("caregiver_add", {"last_name": "Martin"}, "Indiquez le lien avec la personne.", Caregiver),
    ("care_team_add", {"role": "IDEL", "start_date": "2025-01-01"},
     "Choisissez soit un membre de l'équipe du CRT, soit un professionnel partenaire.",
     CareTeamMember),
    ("care_team_add", {"start_date": "2025-01-01"}, "Indiquez le rôle", CareTeamMember),
    ("consent_add", {"kind": "partner_sharing", "granted": "on", "collected_on": "2025-01-01",
                     "method": "oral"}, "Indiquez le partenaire concerné", Consent),
    ("consent_add", {"kind": "contract", "collected_on": FUTURE, "method": "oral"},
     "La date de recueil est dans le futur.", Consent),
    ("consent_add", {"collected_on": "2025-01-01", "method": "oral"},
     "Choisissez l'objet du consentement.", Consent),
    ("free_evaluation_create", {"kind": "falls", "evaluated_on": "2025-01-01", "title": "Chutes"},
     "Décrivez les constats.", FreeEvaluation),
    ("free_evaluation_create", {"kind": "falls", "evaluated_on": FUTURE, "title": "Chutes",
                                "findings": "…"}, "dans le futur", FreeEvaluation),
]


@pytest.mark.parametrize(("name", "data", "message", "model"), CASES,
                         ids=[f"{c[0]}-{i}" for i, c in enumerate(CASES)])
def test_bad_input(client, users, b, name, data, message, model):
    # The care team is changed by the coordination alone (care_team.manage).
    client.force_login(users["coordinator" if name.startswith("care_team") else "doctor"])
    before = model.objects.count()
    events = AuditEvent.objects.count()
    response = client.post(url(name, b), data)
    assert response.status_code == 400
    assert message in visible_text(response)
    assert model.objects.count() == before
    assert AuditEvent.objects.count() == events


def test_situation_bad_floor_and_conflict(client, users, b):
    client.force_login(users["coordinator"])
    response = client.post(url("situation_edit", b), {"floor": "99", "version": b.version})
    assert response.status_code == 400
    assert "inférieure ou égale à 30" in visible_text(response)
    ok = client.post(url("situation_edit", b), {"floor": "2", "version": b.version})
    assert ok.status_code == 302
    stale = client.post(url("situation_edit", b), {"floor": "3", "version": b.version})
    assert stale.status_code == 409
    b.refresh_from_db()
    assert b.floor == 2


def test_caregiver_concurrent_edit(client, users, b):
    caregiver = CaregiverFactory(crt=b.crt, beneficiary=b)
    client.force_login(users["coordinator"])
    target = url("caregiver_edit", b, item_id=caregiver.public_id)
    data = {"last_name": "Martin", "relation": "fils", "version": 1}
    assert client.post(target, {**data, "phone": "06 39 98 00 01"}).status_code == 302
    response = client.post(target, {**data, "phone": "06 39 98 00 02"})
    assert response.status_code == 409
    caregiver.refresh_from_db()
    assert caregiver.phone == "06 39 98 00 01"


def test_medical_concurrent_edit(client, users, b):
    client.force_login(users["doctor"])
    target = url("medical_edit", b)
    assert client.post(target, {"allergies": "Iode", "version": 1}).status_code == 302
    response = client.post(target, {"allergies": "Latex", "version": 1})
    assert response.status_code == 409
    b.medical.refresh_from_db()
    assert b.medical.allergies == "Iode"


def test_withdraw_needs_a_reason_and_happens_once(client, users, b):
    sharing = b.consents.get()
    client.force_login(users["coordinator"])
    target = url("consent_withdraw", b, item_id=sharing.public_id)
    response = client.post(target, {"reason": ""})
    assert "Indiquez le motif ou les circonstances du retrait." in visible_text(response)
    assert client.post(target, {"reason": "Refus exprimé au téléphone"}).status_code == 302
    response = client.post(target, {"reason": "Encore"})
    assert response.status_code in {400, 409}
    assert "déjà été retiré" in visible_text(response)


def test_free_evaluation_by_the_occupational_therapist(client, users, crt_a):
    b = shared_file(crt_a, users["occupational_therapist"])
    client.force_login(users["occupational_therapist"])
    response = client.post(url("free_evaluation_create", b), {
        "kind": "occupational", "evaluated_on": "2025-05-02", "title": "Visite du logement",
        "findings": "Baignoire à remplacer par une douche de plain-pied."})
    assert response.status_code == 302
    page = visible_text(client.get(url("medical", b)))
    assert "Visite du logement" in page and "douche de plain-pied" in page
    # The medical section itself was not edited: the message says what was recorded.
    assert "Évaluation enregistrée." in page and "Volet médical enregistré" not in page
