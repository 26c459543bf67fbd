"""The DPO's « who read this file » for one person, and the access report (PDF) the person is
entitled to (RGPD right of access; SPEC §3)."""

import io

import pytest
from django.urls import reverse
from django.utils import timezone
from pypdf import PdfReader

from maillage.beneficiaries.tests.factories import shared_file
from maillage.core.audit import audit_log
from maillage.core.models import AuditEvent
from maillage.core.tests.helpers import table_text, visible_text

#: An object label written before labels were made safe (the trail is append-only: it stays).
OLD_LABEL = "Plaie du talon infectée, antibiotique"


@pytest.fixture
def trail(crt_a, users, client):
    b = shared_file(crt_a, users["doctor"])
    client.force_login(users["doctor"])
    client.get(reverse("beneficiaries:detail", args=[b.public_id]))
    client.get(reverse("beneficiaries:medical", args=[b.public_id]))
    client.logout()
    audit_log(actor=users["care_aide"], action="oncall.person_viewed", crt=crt_a, obj=b,
              beneficiary=b, emergency=True, reason="Appel de nuit : chute, pas de réponse")
    AuditEvent.objects.create(occurred_at=timezone.now(), crt=crt_a, actor=users["nurse"],
                              actor_label="Ancienne Infirmière (old)", action="note.added",
                              object_label=OLD_LABEL, beneficiary_public_id=b.public_id)
    return b


def _history(b):
    return reverse("beneficiaries:access_history", args=[b.public_id])


def _report(b):
    return reverse("beneficiaries:access_report", args=[b.public_id])


def test_the_dpo_reads_who_accessed_the_file(client, users, trail):
    client.force_login(users["auditor"])
    response = client.get(_history(trail))
    assert response.status_code == 200
    rows = table_text(response)
    assert users["doctor"].username in rows and "Médecin coordonnateur" in rows
    assert "Consultation du volet médical" in rows and "Consultation du dossier" in rows
    # The emergency access, flagged, with its reason.
    assert "Consultation de la fiche d'urgence (astreinte)" in rows
    assert "accès d'urgence" in rows and "Appel de nuit : chute, pas de réponse" in rows
    # Who/when/what only: no object label, so no health text (even an old one).
    assert OLD_LABEL not in visible_text(response)
    assert "Transmission au cahier de liaison" in rows
    # The DPO's reading is itself traced.
    assert AuditEvent.objects.filter(action="beneficiary.access_log_viewed",
                                     actor=users["auditor"],
                                     beneficiary_public_id=trail.public_id).count() == 1


def test_the_access_report_pdf_is_audited_and_lists_readers_in_french(client, users, trail):
    client.force_login(users["auditor"])
    response = client.get(_report(trail))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    text = " ".join(p.extract_text() for p in PdfReader(io.BytesIO(response.content)).pages)
    text = " ".join(text.split())
    assert "Relevé des accès au dossier" in text and trail.display_name in text
    for user in (users["doctor"], users["care_aide"], users["auditor"]):
        assert user.get_full_name() in text
    assert "Consultation du volet médical" in text
    assert "Consultation de la fiche d'urgence (astreinte)" in text
    assert "Appel de nuit : chute, pas de réponse" in text
    assert "Impression du relevé des accès au dossier" in text  # its own printing is listed
    assert OLD_LABEL not in text and "beneficiary.viewed" not in text
    event = AuditEvent.objects.get(action="beneficiary.access_report_printed")
    assert (event.actor, event.beneficiary_public_id) == (users["auditor"], trail.public_id)


@pytest.mark.parametrize("role", ["nurse", "coordinator", "direction", "admin_staff"])
def test_only_the_dpo_opens_them(client, users, trail, role):
    client.force_login(users[role])
    assert client.get(_history(trail)).status_code == 403
    assert client.get(_report(trail)).status_code == 403
    assert not AuditEvent.objects.filter(action="beneficiary.access_report_printed").exists()


def test_another_crts_person_is_not_found(client, users, crt_b, user_b):
    other = shared_file(crt_b, user_b)
    client.force_login(users["auditor"])
    assert client.get(_history(other)).status_code == 404
    assert client.get(_report(other)).status_code == 404


def test_the_audit_list_searches_and_names_persons(client, users, trail, crt_a):
    other = shared_file(crt_a, users["nurse"])
    for b, name in ((trail, "Verdier"), (other, "Lambert")):
        b.birth_name, b.used_name = name, ""
        b.save()
    audit_log(actor=users["nurse"], action="beneficiary.viewed", crt=crt_a, obj=other,
              beneficiary=other)
    client.force_login(users["auditor"])
    response = client.get(reverse("core:audit_list"), {"person": " verd "})
    rows = table_text(response)
    assert trail.display_name in rows and other.display_name not in rows
    assert str(trail.public_id) not in rows
    # From the list, the person's name opens their access history.
    assert _history(trail) in response.content.decode()
    # Back from the history: that person's events, named.
    one = client.get(reverse("core:audit_list"), {"beneficiary": trail.public_id})
    assert "Événements concernant VERDIER" in visible_text(one)
    assert other.display_name not in table_text(one)
    nobody = client.get(reverse("core:audit_list"), {"person": "Zzyzx"})
    assert "Aucun événement ne correspond" in visible_text(nobody)


def test_the_20_year_purge_keeps_its_trace_and_the_earlier_accesses(client, users, crt_a):
    """The purge deletes health data, never the trail: the DPO still reads who accessed the
    file before, and the purge itself, in French."""
    from datetime import date

    from maillage.beneficiaries.retention import purge
    from maillage.beneficiaries.tests.test_retention import discharged

    b = discharged(crt_a, date(2004, 6, 30))
    audit_log(actor=users["doctor"], action="beneficiary.medical_viewed", crt=crt_a, obj=b,
              beneficiary=b)
    assert purge(beneficiary=b, today=date(2024, 7, 1)) is not None
    client.force_login(users["auditor"])
    rows = table_text(client.get(_history(b)))
    assert ("Suppression des données de santé (durée de conservation de 20 ans échue)"
            in rows)
    assert "Traitement automatique" in rows  # no actor: the purge command
    assert "Consultation du volet médical" in rows and users["doctor"].username in rows
    assert AuditEvent.objects.filter(action="retention.purged",
                                     beneficiary_public_id=b.public_id).count() == 1
