"""The 20-year retention purge of health data (SPEC §3): who is due, what goes, what stays."""

from datetime import date, datetime
from io import StringIO
from zoneinfo import ZoneInfo

import pytest
from django.core.files.storage import default_storage
from django.core.management import call_command
from django.urls import reverse

from maillage.admissions.tests.factories import ReferralFactory, enrolment
from maillage.beneficiaries.models import (
    AggirEvaluation,
    Beneficiary,
    Document,
    FreeEvaluation,
    IcopeScreening,
    MedicalRecord,
    TimelineEvent,
    VitalSign,
)
from maillage.beneficiaries.retention import add_years, eligible
from maillage.beneficiaries.services import timeline_add
from maillage.care.models import Conversation, LiaisonNote, Message, TelehealthAct
from maillage.care.tests.factories import message, telehealth_act
from maillage.core.models import AuditEvent, OutboxMessage
from maillage.core.outbox import outbox_add
from maillage.core.tests.factories import UserFactory
from maillage.core.tests.helpers import visible_text
from maillage.interop.models import MssanteSending
from maillage.oncall.models import Call, EmergencyFile
from maillage.oncall.tests.factories import call
from maillage.visits.tests.factories import visit

from .factories import BeneficiaryFactory, CaregiverFactory, consent, document, join_care_team

PARIS = ZoneInfo("Europe/Paris")


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


def at(y, m, d, hour=10):
    return datetime(y, m, d, hour, tzinfo=PARIS)


def discharged(crt, ended_on, admitted_on=None):
    b = BeneficiaryFactory(crt=crt)
    enrolment(b, admitted_on=admitted_on or date(ended_on.year - 1, 1, 1), ended_on=ended_on)
    return b


def due(crt, today):
    return [c.beneficiary for c in eligible(today=today, crt=crt)]


def run(*args):
    out = StringIO()
    call_command("retention_purge", *args, stdout=out)
    return out.getvalue()


class TestSelection:
    def test_calendar_years_and_leap_day(self):
        assert add_years(date(2004, 6, 30), 20) == date(2024, 6, 30)
        assert add_years(date(2004, 2, 29), 20) == date(2024, 2, 29)
        assert add_years(date(2080, 2, 29), 20) == date(2100, 2, 28)

    def test_exact_20_year_boundary(self, crt_a):
        b = discharged(crt_a, date(2004, 6, 30))
        assert due(crt_a, date(2024, 6, 30)) == []
        assert due(crt_a, date(2024, 7, 1)) == [b]

    def test_leap_day_becomes_28_february(self, crt_a):
        b = discharged(crt_a, date(2080, 2, 29))
        assert due(crt_a, date(2100, 2, 28)) == []
        assert due(crt_a, date(2100, 3, 1)) == [b]

    def test_open_enrolment_is_never_due(self, crt_a):
        b = BeneficiaryFactory(crt=crt_a)
        enrolment(b, admitted_on=date(1990, 1, 1))
        call(crt_a, UserFactory(), b, received_at=at(1991, 1, 1))
        assert due(crt_a, date(2100, 1, 1)) == []

    def test_never_enrolled_with_only_an_old_referral(self, crt_a):
        b = BeneficiaryFactory(crt=crt_a)
        ReferralFactory(crt=crt_a, beneficiary=b, status="declined",
                        received_at=at(2000, 3, 1), decided_at=at(2000, 3, 15))
        assert due(crt_a, date(2020, 3, 15)) == []
        assert due(crt_a, date(2020, 3, 16)) == [b]
        [candidate] = eligible(today=date(2020, 3, 16), crt=crt_a)
        assert candidate.last_episode == date(2000, 3, 15)

    def test_undecided_referral_counts_from_reception(self, crt_a):
        b = BeneficiaryFactory(crt=crt_a)
        ReferralFactory(crt=crt_a, beneficiary=b, received_at=at(2001, 5, 2))
        assert due(crt_a, date(2021, 5, 2)) == []
        assert due(crt_a, date(2021, 5, 3)) == [b]

    def test_a_later_call_or_visit_is_the_last_episode(self, crt_a):
        by_call = discharged(crt_a, date(2000, 1, 10))
        call(crt_a, UserFactory(), by_call, received_at=at(2003, 4, 1))
        by_visit = discharged(crt_a, date(2000, 1, 10))
        visit(by_visit, UserFactory(), starts_at=at(2004, 9, 1))
        assert due(crt_a, date(2023, 4, 1)) == []
        assert due(crt_a, date(2023, 4, 2)) == [by_call]
        assert set(due(crt_a, date(2024, 9, 2))) == {by_call, by_visit}

    def test_a_call_counts_by_its_paris_date(self, crt_a):
        b = BeneficiaryFactory(crt=crt_a)
        # 31/12/2004 23:30 UTC is 01/01/2005 in Paris.
        call(crt_a, UserFactory(), b, received_at=datetime(2004, 12, 31, 23, 30,
                                                            tzinfo=ZoneInfo("UTC")))
        assert due(crt_a, date(2025, 1, 1)) == []
        assert due(crt_a, date(2025, 1, 2)) == [b]

    def test_a_file_with_no_episode_is_never_due(self, crt_a):
        BeneficiaryFactory(crt=crt_a)
        assert due(crt_a, date(2100, 1, 1)) == []


def mssante_sent(b, doc, staff):
    """``doc`` sent by MSSanté, its message still in the outbox (with the document)."""
    message = outbox_add(crt=b.crt, to="dr@medecin.mssante.fr", subject="Document", body="",
                         kind=OutboxMessage.Kind.MSSANTE,
                         attachments=[("cr.pdf", b"%PDF-1.4", "application/pdf")])
    return MssanteSending.objects.create(
        crt=b.crt, beneficiary=b, created_by=staff, recipient_kind="professional",
        recipient_address="dr@medecin.mssante.fr", recipient_label="Dr X",
        document_kind="document", document_id=doc.public_id, document_title=doc.title,
        outbox=message)


def full_file(crt, ended_on=date(2004, 6, 30)):
    """A person discharged on ``ended_on`` with health data of every kind, and the data that
    must stay (identity, caregiver, administrative document, team note and message)."""
    b = discharged(crt, ended_on)
    MedicalRecord.objects.filter(beneficiary=b).update(history="Infarctus 1998",
                                                       treatments="Kardegic")
    staff = UserFactory()
    AggirEvaluation.objects.create(crt=crt, beneficiary=b, evaluated_on=date(2003, 1, 1),
                                   evaluator=staff, inputs={}, codes="CCCCCCCCCC",
                                   illustrative_codes="CCCCCCC", rang=1, gir=1)
    IcopeScreening.objects.create(crt=crt, beneficiary=b, screened_on=date(2003, 1, 1),
                                  screened_by=staff, answers={})
    VitalSign.objects.create(crt=crt, beneficiary=b, kind="body_weight", value=61, unit="kg",
                             measured_at=at(2003, 1, 1), recorded_by=staff)
    FreeEvaluation.objects.create(crt=crt, beneficiary=b, kind="falls",
                                  evaluated_on=date(2003, 1, 1), author=staff,
                                  title="Risque de chute", findings="Risque élevé")
    medical_doc = document(b, Document.Category.MEDICAL, "Compte rendu d'hospitalisation")
    admin_doc = document(b, Document.Category.ADMINISTRATIVE, "Notification APA")
    telehealth_act(b, staff, performed_at=at(2003, 2, 1))
    LiaisonNote.objects.create(crt=crt, beneficiary=b, author=staff, text="INR à 4,2",
                               visibility=LiaisonNote.Visibility.HEALTH)
    LiaisonNote.objects.create(crt=crt, beneficiary=b, author=staff, text="Clé chez la voisine",
                               visibility=LiaisonNote.Visibility.TEAM)
    health_msg = message(b, staff, Conversation.Kind.HEALTH, "Bilan sanguin", attachment=True)
    mssante_sent(b, medical_doc, staff)
    message(b, staff, Conversation.Kind.TEAM, "Passage décalé à 10 h")
    EmergencyFile.objects.create(crt=crt, beneficiary=b, important_info="Porteuse d'un "
                                 "pacemaker")
    call(crt, staff, b, received_at=at(2004, 3, 1), assessment="Chute, douleur hanche",
         advice="Ne pas se relever seule", actions="Relevage", outcome_notes="Radio au CH",
         hospital="CH de Segré", follow_up="Prévenir le médecin traitant")
    call(crt, staff, b, received_at=at(2004, 4, 1))  # no text at all
    timeline_add(beneficiary=b, kind="aggir.recorded", title="Évaluation AGGIR : GIR 1",
                 health=True)
    timeline_add(beneficiary=b, kind="file.updated", title="Identité modifiée")
    CaregiverFactory(crt=crt, beneficiary=b)
    return b, medical_doc, admin_doc, health_msg


class TestPurge:
    def test_deletes_exactly_the_health_data_and_keeps_the_identity(
            self, crt_a, django_capture_on_commit_callbacks):
        b, medical_doc, admin_doc, health_msg = full_file(crt_a)
        files = [medical_doc.file.name, health_msg.attachment.name]
        assert all(default_storage.exists(f) for f in files)
        old_record = b.medical.pk
        identity = (b.birth_name, b.first_name, b.birth_date, b.address)

        with django_capture_on_commit_callbacks(execute=True):
            out = run("--confirm", "--today", "2024-07-01")

        b.refresh_from_db()
        assert b.health_data_purged_on == date(2024, 7, 1)
        assert (b.birth_name, b.first_name, b.birth_date, b.address) == identity
        assert b.caregivers.count() == 1 and b.enrolments.count() == 1
        # Health data: gone (an empty medical record replaces the old one).
        record = MedicalRecord.objects.get(beneficiary=b)
        assert record.pk != old_record and record.history == record.treatments == ""
        for model in (AggirEvaluation, IcopeScreening, FreeEvaluation, TelehealthAct,
                      EmergencyFile, VitalSign):
            assert not model.objects.filter(beneficiary=b).exists(), model
        assert list(Document.objects.filter(beneficiary=b)) == [admin_doc]
        assert [n.text for n in LiaisonNote.objects.filter(beneficiary=b)] == [
            "Clé chez la voisine"]
        assert [m.text for m in Message.objects.filter(conversation__beneficiary=b)] == [
            "Passage décalé à 10 h"]
        assert not Conversation.objects.filter(beneficiary=b, kind="health").exists()
        assert not TimelineEvent.objects.filter(beneficiary=b, is_health_data=True).exists()
        # Files: removed from storage, the administrative one stays.
        assert not any(default_storage.exists(f) for f in files)
        assert default_storage.exists(admin_doc.file.name)
        # Calls: rows kept (figures), health text blanked.
        calls = Call.objects.filter(beneficiary=b).order_by("received_at")
        assert calls.count() == 2
        first = calls[0]
        assert (first.assessment, first.advice, first.actions, first.outcome_notes) == (
            "", "", "", "")
        assert (first.reason, first.hospital) == ("fall", "CH de Segré")
        # One audit event, one timeline entry.
        event = AuditEvent.objects.get(action="retention.purged")
        assert (event.crt, event.beneficiary_public_id, event.actor) == (crt_a, b.public_id,
                                                                         None)
        assert event.details == {
            "volet_medical": 1, "evaluations_aggir": 1, "reperages_icope": 1,
            "evaluations_libres": 1, "constantes": 1, "documents_medicaux": 1,
            "actes_telesante": 1, "transmissions_sante": 1, "messages_sante": 1, "dlu": 1,
            "appels_anonymises": 1, "chronologie_sante": 1, "envois_mssante": 1,
            "dernier_episode": "2004-06-30",
        }
        # The MSSanté sending and its outbox message (the document, the XDM) are gone.
        assert not MssanteSending.objects.filter(beneficiary=b).exists()
        assert not OutboxMessage.objects.filter(kind="mssante").exists()
        assert TimelineEvent.objects.filter(
            beneficiary=b, kind="retention.purged", is_health_data=False,
            title="Données de santé supprimées : durée de conservation de 20 ans échue",
        ).count() == 1
        # Output: the public id and the last episode, never the name.
        assert f"{b.public_id} (CRT A) — dernier épisode le 30/06/2004" in out
        assert "DUPONT" not in out and "Jeanne" not in out
        assert "1 personne : données de santé supprimées" in out
        assert "1 document médical, " in out and "(s)" not in out

    def test_a_second_run_does_nothing(self, crt_a):
        full_file(crt_a)
        run("--confirm", "--today", "2024-07-01")
        out = run("--confirm", "--today", "2030-01-01")
        assert "0 personne : données de santé supprimées (aucune" in out
        assert AuditEvent.objects.filter(action="retention.purged").count() == 1

    def test_dry_run_and_no_flag_change_nothing(self, crt_a):
        b, *_ = full_file(crt_a)
        for args in ((), ("--dry-run",)):
            out = run(*args, "--today", "2024-07-01")
            assert f"{b.public_id} (CRT A) — dernier épisode le 30/06/2004 — à supprimer" in out
            assert "Simulation : rien n'a été supprimé" in out
        b.refresh_from_db()
        assert b.health_data_purged_on is None
        assert MedicalRecord.objects.get(beneficiary=b).history == "Infarctus 1998"
        assert AggirEvaluation.objects.filter(beneficiary=b).exists()
        assert Call.objects.filter(beneficiary=b).exclude(assessment="").exists()
        assert not AuditEvent.objects.filter(action="retention.purged").exists()

    def test_not_yet_due_is_untouched(self, crt_a):
        b, *_ = full_file(crt_a)
        assert "0 personne : " in run("--confirm", "--today", "2024-06-30")
        assert AggirEvaluation.objects.filter(beneficiary=b).exists()

    def test_other_crt_untouched_with_crt(self, crt_a, crt_b):
        a, *_ = full_file(crt_a)
        other, *_ = full_file(crt_b)
        out = run("--confirm", "--today", "2024-07-01", "--crt", "CRT A")
        assert str(a.public_id) in out and str(other.public_id) not in out
        assert Beneficiary.objects.get(pk=a.pk).health_data_purged_on is not None
        assert Beneficiary.objects.get(pk=other.pk).health_data_purged_on is None
        assert AggirEvaluation.objects.filter(beneficiary=other).exists()
        assert EmergencyFile.objects.filter(beneficiary=other).exists()

    def test_unknown_crt_is_an_error(self, crt_a):
        from django.core.management.base import CommandError

        with pytest.raises(CommandError, match="CRT inconnu"):
            run("--crt", "Nulle part")

    def test_a_new_episode_after_the_purge_starts_a_new_retention(self, crt_a):
        b, *_ = full_file(crt_a)
        run("--confirm", "--today", "2024-07-01")
        call(crt_a, UserFactory(), b, received_at=at(2025, 1, 5), assessment="Malaise")
        assert due(crt_a, date(2045, 1, 5)) == []
        assert due(crt_a, date(2045, 1, 6)) == [b]

    def test_the_file_pages_say_when_the_health_data_was_purged(self, crt_a, users, client):
        b, *_ = full_file(crt_a)
        consent(b, share_health=True)
        join_care_team(b, users["doctor"])
        run("--confirm", "--today", "2024-07-01")
        client.force_login(users["doctor"])
        for name in ("detail", "medical"):
            page = client.get(reverse(f"beneficiaries:{name}",
                                      kwargs={"public_id": b.public_id}))
            assert page.status_code == 200
            text = visible_text(page)
            assert "Données de santé supprimées le 01/07/2024" in text
            assert "Infarctus" not in text
