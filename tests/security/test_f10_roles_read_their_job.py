"""Finding 10: the secretariat saw the referral's medical reason, admission observations and
hospitalisation reasons; the activity leader read the liaison notes and alerts of people outside
their care team, even when the person objected to sharing. Roles now read what their job needs
(SPEC §3): administrative data for the secretariat, counts and plans for the direction, the
people they accompany — nothing clinical — for the activity leader."""

from datetime import date

import pytest
from django.urls import reverse

from maillage.admissions.services import suspension_start
from maillage.admissions.tests.factories import ReferralFactory, enrolment
from maillage.beneficiaries.models import Consent
from maillage.beneficiaries.tests.factories import (
    BeneficiaryFactory,
    consent,
    join_care_team,
    shared_file,
)
from maillage.care.models import LiaisonNote
from maillage.care.services.liaison import alert_raise
from maillage.core.tests.helpers import visible_text

REASON = "Démence évoluée, escarres sacrées"
HOSPITAL = "Décompensation cardiaque sur insuffisance mitrale"


@pytest.fixture
def referral(crt_a):
    return ReferralFactory(crt=crt_a, reason=REASON)


@pytest.mark.parametrize(("role", "reads"), [
    ("admin_staff", False), ("direction", False), ("coordinator", True), ("doctor", True),
])
def test_referral_reason(client, users, referral, role, reads):
    client.force_login(users[role])
    response = client.get(reverse("admissions:referral_detail",
                                  kwargs={"public_id": referral.public_id}))
    assert response.status_code == 200
    text = visible_text(response)
    assert (REASON in text) is reads
    assert referral.person_last_name.upper() in text  # identity stays visible


@pytest.mark.parametrize(("role", "reads"), [
    ("admin_staff", False), ("direction", False), ("coordinator", True), ("nurse", True),
])
def test_hospitalisation_reason(client, users, crt_a, role, reads):
    b = BeneficiaryFactory(crt=crt_a)
    e = enrolment(b, referent=users["coordinator"])
    suspension_start(actor=users["coordinator"], enrolment=e, kind="hospitalisation",
                     start_date=date(2025, 3, 1), reason=HOSPITAL, place="CHU d'Angers")
    client.force_login(users[role])
    text = visible_text(client.get(reverse("admissions:enrolment_detail",
                                           kwargs={"public_id": e.public_id})))
    assert "CHU d'Angers" in text
    assert (HOSPITAL in text) is reads


def _note(b, author, text):
    return LiaisonNote.objects.create(crt=b.crt, beneficiary=b, author=author, text=text,
                                      category="general", visibility="team",
                                      created_by=author, updated_by=author)


@pytest.mark.parametrize("role", ["admin_staff", "direction"])
def test_no_clinical_notebook_for_administration(client, users, crt_a, role):
    b = shared_file(crt_a, users["care_aide"])
    _note(b, users["care_aide"], "Selles noires ce matin")
    alert_raise(actor=users["care_aide"], beneficiary=b, kind="fall", severity="high",
                description="Chute nocturne, hématome frontal")
    client.force_login(users[role])
    assert client.get(reverse("care:notes", kwargs={"public_id": b.public_id})).status_code \
        == 403
    assert client.get(reverse("care:alerts", kwargs={"public_id": b.public_id})).status_code \
        == 403
    detail = visible_text(client.get(reverse("beneficiaries:detail",
                                             kwargs={"public_id": b.public_id})))
    assert "Alerte : chute" not in detail
    assert "hématome" not in visible_text(client.get(reverse("care:open_alerts")))


def test_activity_leader_only_the_people_they_accompany(client, users, crt_a):
    leader = users["activity_leader"]
    outside = shared_file(crt_a)
    _note(outside, users["nurse"], "Moral très bas, idées noires")
    accompanied = shared_file(crt_a)
    join_care_team(accompanied, leader)
    _note(accompanied, users["nurse"], "Aime les jeux de cartes")
    opposed = BeneficiaryFactory(crt=crt_a)
    consent(opposed, granted=False)
    join_care_team(opposed, leader)
    _note(opposed, users["nurse"], "Refuse l'atelier mémoire")

    client.force_login(leader)
    notes = lambda b: client.get(reverse("care:notes", kwargs={"public_id": b.public_id}))  # noqa: E731
    assert notes(outside).status_code == 404
    assert notes(opposed).status_code == 404
    assert "Aime les jeux de cartes" in visible_text(notes(accompanied))
    listing = visible_text(client.get(reverse("beneficiaries:list")))
    assert accompanied.birth_name in listing
    assert outside.birth_name not in listing and opposed.birth_name not in listing
    assert "idées noires" not in visible_text(client.get(reverse("care:open_alerts")))
    # Nothing clinical even for the people they accompany.
    medical = client.get(reverse("beneficiaries:medical", kwargs={"public_id":
                                                                   accompanied.public_id}))
    assert medical.status_code == 403
    assert Consent.objects.filter(beneficiary=opposed, granted=False).exists()
