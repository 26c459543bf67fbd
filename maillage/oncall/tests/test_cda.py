"""The DLU and the « fiche aller » as CDA documents (CI-SIS volet DLU 2022.01): valid against the
CDA schema and the ANS schematrons, the validator can fail, the INS only for a qualified
identity, the download (who may, audit, other CRT) and the ``dlu export-cda`` command.

The demo-wide check (every demo DLU and transfer sheet) is in ``test_cda_demo.py``."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone
from lxml import etree

from maillage.beneficiaries.access import MEDICAL_FIELDS
from maillage.beneficiaries.identity import IdentityStatus, InsOid
from maillage.beneficiaries.models import MedicalRecord, VitalSign
from maillage.core.models import AuditEvent
from maillage.core.roles import Role
from maillage.oncall import cda
from maillage.oncall import dlu as dlu_module
from maillage.oncall.models import BreakGlass, Call, Escalation
from tests import cda_validation as v

from . import factories as oncall
from .test_dlu import b, gp  # noqa: F401  (fixtures: Jeanne Hamon and her GP)

NS = {"h": "urn:hl7-org:v3"}
needs_ans = pytest.mark.skipif(
    not v.available(), reason="Fixtures ANS absentes (tests/fixtures/ans_cda, voir ORIGIN.md)")


def xml(content: bytes):
    return etree.fromstring(content)


def texts(doc, path: str) -> list[str]:
    return [" ".join("".join(n.itertext()).split()) for n in doc.xpath(path, namespaces=NS)]


def section_text(doc, template: str) -> str:
    found = texts(doc, f"//h:section[h:templateId/@root='{template}']/h:text")
    assert len(found) == 1, template
    return found[0]


def dlu_document(b, author, **kwargs) -> bytes:  # noqa: F811
    built = dlu_module.build(beneficiary=b, show_key_box=False, medical_fields=MEDICAL_FIELDS)
    return cda.dlu_cda(built, crt=b.crt, author=author, **kwargs)


def transfer_document(call, author) -> bytes:
    built = dlu_module.build(beneficiary=call.beneficiary, show_key_box=False,
                             medical_fields=MEDICAL_FIELDS)
    return cda.transfer_cda(call, built, crt=call.crt, author=author)


@pytest.fixture
def hospital_call(crt_a, users, b):  # noqa: F811
    call = oncall.call(crt_a, users["nurse"], b, assessment="Retrouvée au sol, douleur de "
                       "hanche droite", actions="Appel du 15, SMUR envoyé",
                       hospital="CHU d'Angers", outcome=Call.Outcome.HOSPITALISED)
    Escalation.objects.create(crt=crt_a, call=call, to=Escalation.To.SAMU, at=timezone.now())
    return call


# --- content ---------------------------------------------------------------------------------


class TestDluContent:
    def test_header_and_sections_follow_the_volet(self, users, b):  # noqa: F811
        doc = xml(dlu_document(b, users["nurse"]))
        assert doc.xpath("h:templateId[@root='1.2.250.1.213.1.1.1.22']/@extension",
                         namespaces=NS) == ["2022.01"]
        assert doc.xpath("h:code/@code", namespaces=NS) == ["74207-2"]
        assert doc.xpath("h:confidentialityCode/@code", namespaces=NS) == ["N"]
        assert doc.xpath("h:languageCode/@code", namespaces=NS) == ["fr-FR"]
        assert doc.xpath("h:documentationOf/h:serviceEvent/h:code/@code",
                         namespaces=NS) == ["34117-2"]
        # Birth names, used names, INSEE code of the birth place, birth date.
        name = doc.xpath("//h:patient/h:name", namespaces=NS)[0]
        assert texts(name, "h:family[@qualifier='BR']") == ["HAMON"]
        assert texts(name, "h:given[not(@qualifier)]") == ["Jeanne Louise"]
        assert texts(name, "h:given[@qualifier='BR']") == ["Jeanne"]
        assert doc.xpath("//h:patient/h:birthTime/@value", namespaces=NS) == [
            f"{b.birth_date:%Y%m%d}"]
        assert texts(doc, "//h:birthplace//h:county") == [b.birth_place_code]
        # The author is the person exporting, for the CRT; the CRT keeps the document.
        assert texts(doc, "h:author//h:assignedPerson/h:name/h:family") == [
            users["nurse"].last_name]
        assert texts(doc, "h:custodian//h:name") == ["CRT A"]
        assert doc.xpath("h:custodian//h:id/@extension", namespaces=NS) == [f"1{b.crt.finess}"]
        # The GP, informant of the DLU (PCP); the son, the trusted person.
        assert texts(doc, "h:participant[@typeCode='INF'][h:functionCode/@code='PCP']"
                          "//h:associatedPerson/h:name") == ["Anne Besnard"]
        assert texts(doc, "h:informant/h:relatedEntity[@classCode='NOK']//h:name") == [
            "Michel Hamon"]
        # What the emergency doctor reads, section by section.
        assert "CHU d'Angers" in section_text(doc, "1.3.6.1.4.1.19376.1.5.3.1.1.13.2.10")
        assert "Pénicilline (œdème de Quincke)" in section_text(
            doc, "1.3.6.1.4.1.19376.1.5.3.1.3.13")
        assert "Apixaban 2,5 mg 2/j" in section_text(doc, "1.3.6.1.4.1.19376.1.5.3.1.3.19")
        directives = section_text(doc, "1.3.6.1.4.1.19376.1.5.3.1.3.35")
        assert "Pas d'intubation ni de massage cardiaque" in directives
        assert "Fiche « urgence pallia » établie" in directives
        assert doc.xpath("//h:observation[h:templateId/@root='1.2.250.1.213.1.1.3.54']"
                         "/h:value/@value", namespaces=NS) == ["true"]
        events = section_text(doc, "1.3.6.1.4.1.19376.1.7.3.1.1.13.7")
        assert "Porteuse d'un pacemaker" in events and "Malentendante" in events
        assert section_text(doc, "1.3.6.1.4.1.19376.1.5.3.1.3.28") == (
            "Portage de bactérie multirésistante : non renseigné dans le dossier du CRT.")
        annexes = section_text(doc, "1.2.250.1.213.1.1.2.37")
        assert "Pochette rouge sur le réfrigérateur" in annexes
        assert "par Dr Anne Besnard" in annexes
        assert "UDAF 49" in section_text(doc, "1.3.6.1.4.1.19376.1.4.1.2.16")
        assert b"A4821Z" not in etree.tostring(doc)  # never the key-box code

    def test_the_gp_rpps_when_known(self, users, b, gp):  # noqa: F811
        pcp = "h:participant[h:functionCode/@code='PCP']/h:associatedEntity/h:id"
        doc = xml(dlu_document(b, users["nurse"]))
        assert doc.xpath(f"{pcp}/@nullFlavor", namespaces=NS) == ["NI"]
        gp.rpps = "10003456789"
        gp.save()
        doc = xml(dlu_document(b, users["nurse"]))
        assert doc.xpath(f"{pcp}/@root", namespaces=NS) == ["1.2.250.1.71.4.2.1"]
        assert doc.xpath(f"{pcp}/@extension", namespaces=NS) == ["810003456789"]

    def test_set_id_is_stable_and_the_document_id_new(self, users, b):  # noqa: F811
        one, two = xml(dlu_document(b, users["nurse"])), xml(dlu_document(b, users["nurse"]))
        assert one.xpath("h:setId/@root", namespaces=NS) == two.xpath("h:setId/@root",
                                                                       namespaces=NS)
        assert one.xpath("h:id/@root", namespaces=NS) != two.xpath("h:id/@root", namespaces=NS)

    def test_oid_root_setting(self, settings, users, b):  # noqa: F811
        settings.CDA_OID_ROOT = "1.2.250.1.999.1"
        doc = xml(dlu_document(b, users["nurse"], document_id="42"))
        assert doc.xpath("h:id/@root", namespaces=NS) == ["1.2.250.1.999.1.2"]
        assert doc.xpath("h:id/@extension", namespaces=NS) == ["42"]
        assert doc.xpath("//h:patientRole/h:id[@root='1.2.250.1.999.1.1']/@extension",
                         namespaces=NS) == [str(b.public_id)]

    def test_control_characters_of_a_free_text_are_dropped(self, users, b):  # noqa: F811
        b.emergency_file.important_info = "Pacemaker\x0b (bip)\x1f"
        b.emergency_file.save()
        doc = xml(dlu_document(b, users["nurse"]))
        assert "Pacemaker (bip)" in section_text(doc, "1.3.6.1.4.1.19376.1.7.3.1.1.13.7")


@pytest.mark.parametrize("status", list(IdentityStatus))
def test_ins_only_for_a_qualified_identity(status, users, b, hospital_call):  # noqa: F811
    b.identity_status, b.ins_oid = status, InsOid.NIR
    b.save()
    for content in (dlu_document(b, users["nurse"]), transfer_document(hospital_call,
                                                                       users["nurse"])):
        doc = xml(content)
        ins = doc.xpath("//h:patientRole/h:id[@root='1.2.250.1.213.1.4.8']/@extension",
                        namespaces=NS)
        local = doc.xpath(f"//h:patientRole/h:id[@root='{str(b.public_id).upper()}']",
                          namespaces=NS)
        assert len(local) == 1  # the local id, always
        if status == IdentityStatus.QUAL:
            assert ins == ["238054933101299"]
        else:
            assert ins == [] and b"238054933101299" not in content


class TestTransferContent:
    def test_the_call_and_the_vitals(self, users, b, hospital_call):  # noqa: F811
        VitalSign.objects.create(crt=b.crt, beneficiary=b, kind=VitalSign.Kind.HEART_RATE,
                                 value=Decimal("92"), unit="/min", recorded_by=users["nurse"],
                                 measured_at=timezone.now() - timedelta(hours=2))
        VitalSign.objects.create(crt=b.crt, beneficiary=b, kind=VitalSign.Kind.BODY_WEIGHT,
                                 value=Decimal("61"), unit="kg", recorded_by=users["nurse"],
                                 measured_at=timezone.now() - timedelta(days=20))
        VitalSign.objects.create(crt=b.crt, beneficiary=b, kind=VitalSign.Kind.BLOOD_PRESSURE,
                                 systolic=152, diastolic=88, unit="mm[Hg]",
                                 recorded_by=users["nurse"],
                                 measured_at=timezone.now() - timedelta(hours=1))
        doc = xml(transfer_document(hospital_call, users["nurse"]))
        assert doc.xpath("h:templateId[@root='1.2.250.1.213.1.1.1.23']", namespaces=NS)
        assert doc.xpath("h:documentationOf/h:serviceEvent/h:code/@code",
                         namespaces=NS) == ["28651-8"]
        transfer = section_text(doc, "1.3.6.1.4.1.19376.1.7.3.1.1.13.7")
        for expected in ("Chute — Retrouvée au sol, douleur de hanche droite",
                         "SMUR envoyé", "SAMU – centre 15", "CHU d'Angers",
                         "joignable 24 h/24 au 02 61 91 00 01"):
            assert expected in transfer, expected
        # The reason, coded as the example does: LOINC 57277-6, the text as original text.
        assert texts(doc, "//h:content[@ID='transfert-motif']") == [
            "Chute — Retrouvée au sol, douleur de hanche droite"]
        # The transfer itself, to the named hospital.
        assert texts(doc, "//h:act[h:code/@code='80413-8']/h:participant[@typeCode='DST']"
                          "//h:playingEntity/h:name") == ["CHU d'Angers"]
        vitals = section_text(doc, "1.3.6.1.4.1.19376.1.5.3.1.3.25")
        assert "Fréquence cardiaque 92 /min" in vitals
        assert "Pression artérielle 152/88 mmHg" in vitals  # narrative: as read; coded: UCUM
        assert "Poids" not in vitals  # 20 days old: not a constant of the day
        # Coded too (FR-Signe-vital-observe: LOINC, UCUM), as the ANS example.
        coded = {o.xpath("h:code/@code", namespaces=NS)[0]: (
            o.xpath("h:value/@value", namespaces=NS)[0], o.xpath("h:value/@unit", namespaces=NS)[0])
            for o in doc.xpath("//h:organizer/h:component/h:observation", namespaces=NS)}
        assert coded == {"8867-4": ("92", "/min"), "8480-6": ("152", "mm[Hg]"),
                         "8462-4": ("88", "mm[Hg]")}
        # Consciousness: required by the volet, unknown to the CRT.
        assert doc.xpath("//h:observation[h:code/@code='DLU_002']/h:value/@nullFlavor",
                         namespaces=NS) == ["UNK"]
        assert "Apixaban 2,5 mg 2/j" in section_text(doc, "1.3.6.1.4.1.19376.1.5.3.1.3.19")
        assert section_text(doc, "1.3.6.1.4.1.19376.1.7.3.1.1.13.5") == (
            "Date et heure du dernier repas : non renseignées dans le dossier du CRT.")
        assert section_text(doc, "1.2.250.1.213.1.1.2.53") == (
            "Prothèses et objets personnels confiés : non renseignés dans le dossier du CRT.")
        assert b"A4821Z" not in etree.tostring(doc)

    def test_no_vitals(self, users, hospital_call):
        doc = xml(transfer_document(hospital_call, users["nurse"]))
        assert "Aucune constante enregistrée" in section_text(
            doc, "1.3.6.1.4.1.19376.1.5.3.1.3.25")


# --- validation ------------------------------------------------------------------------------


@needs_ans
class TestValidation:
    def test_ans_examples_pass(self):
        for name, sch in (("DLU", v.DLU_SCH), ("FLUDT", v.FLUDT_SCH)):
            example = (v.FIXTURES / "ExemplesCDA" / f"DLU-EHPAD-{name}_2022.01.xml").read_bytes()
            report = v.validate(example, sch)
            assert report.ok, str(report)

    def test_our_documents_pass(self, users, b, hospital_call):  # noqa: F811
        VitalSign.objects.create(crt=b.crt, beneficiary=b, kind=VitalSign.Kind.BLOOD_PRESSURE,
                                 systolic=152, diastolic=88, unit="mm[Hg]",
                                 recorded_by=users["nurse"],
                                 measured_at=timezone.now() - timedelta(hours=1))
        b.identity_status, b.used_name = IdentityStatus.PROV, "MARTIN"
        b.save()
        report = v.validate(dlu_document(b, users["nurse"]), v.DLU_SCH)
        assert report.ok, str(report)
        report = v.validate(transfer_document(hospital_call, users["nurse"]), v.FLUDT_SCH)
        assert report.ok, str(report)
        report = v.validate(dlu_document(b, None), v.DLU_SCH)  # exported by the command
        assert report.ok, str(report)

    def test_a_dlu_with_nothing_kept_at_home(self, users, b):  # noqa: F811
        """No preferred hospital, no document with the DLU: the volet's schematron passes; the
        ANS section profile wants a coded attached document, which we cannot invent (known
        gap, docs/cda.md)."""
        b.emergency_file.annexes, b.emergency_file.preferred_hospital = ["ecg"], ""
        b.emergency_file.save()
        MedicalRecord.objects.filter(beneficiary=b).update(advance_directives_status="none")
        content = dlu_document(b, users["nurse"])
        assert v.validate(content, v.DLU_SCH, profiles=False).ok
        assert v.schematron_errors(content, v.PROFILES[1]) == []
        errors = v.schematron_errors(content, v.PROFILES[0])
        assert len(errors) == 1
        assert "L'entrée Document attaché (1.2.250.1.213.1.1.3.18) est obligatoirement" in errors[0]
        doc = xml(content)
        assert texts(doc, "//h:content[@ID='document-1']") == ["ECG de référence"]
        assert texts(doc, "//h:content[@ID='etablissement-prefere']") == [
            "Non renseigné dans le dossier du CRT."]
        assert doc.xpath("//h:observation[h:templateId/@root='1.2.250.1.213.1.1.3.54']"
                         "/h:value/@value", namespaces=NS) == ["false"]

    def test_documents_kept_at_home_are_coded(self, users, b):  # noqa: F811
        b.emergency_file.annexes = ["prescriptions", "ecg", "cards"]
        b.emergency_file.save()
        doc = xml(dlu_document(b, users["nurse"]))
        coded = doc.xpath("//h:observation[h:templateId/@root='1.2.250.1.213.1.1.3.48.18']"
                          "/h:value/@code", namespaces=NS)
        assert coded == ["DLU_011", "DLU_006", "DLU_007"]
        assert v.validate(etree.tostring(doc), v.DLU_SCH).ok

    def test_wrong_template_and_code_fail(self, users, b):  # noqa: F811
        content = dlu_document(b, users["nurse"])
        broken = content.replace(b'root="1.2.250.1.213.1.1.1.22"', b'root="1.2.250.1.213.1.1.1.99"')
        broken = broken.replace(b'code="74207-2"', b'code="11488-4"')
        errors = v.schematron_errors(broken, v.DLU_SCH)
        assert len(errors) == 2
        assert 'Le templateId "1.2.250.1.213.1.1.1.22"' in errors[0]
        assert 'L\'élément code doit avoir @code ="74207-2"' in errors[1]

    def test_missing_sections_fail(self, users, b, hospital_call):  # noqa: F811
        doc = xml(dlu_document(b, users["nurse"]))
        for section in doc.xpath("//h:section[h:templateId/@root="
                                 "'1.3.6.1.4.1.19376.1.5.3.1.3.19']", namespaces=NS):
            section.getparent().getparent().remove(section.getparent())
        errors = v.schematron_errors(etree.tostring(doc), v.DLU_SCH)
        assert len(errors) == 1 and 'La section "Traitements" doit être présente' in errors[0]
        doc = xml(transfer_document(hospital_call, users["nurse"]))
        entry = doc.xpath("//h:observation[h:code/@code='DLU_002']", namespaces=NS)[0]
        entry.getparent().getparent().remove(entry.getparent())
        errors = v.schematron_errors(etree.tostring(doc), v.FLUDT_SCH)
        assert len(errors) == 1 and "'DLU_002' ou 'DLU_003'" in errors[0]

    def test_a_code_outside_the_value_set_fails(self):
        example = (v.FIXTURES / "ExemplesCDA" / "DLU-EHPAD-FLUDT_2022.01.xml").read_bytes()
        broken = example.replace(b'code="Q021003"', b'code="Q999999"')
        errors = v.schematron_errors(broken, v.FLUDT_SCH)
        assert len(errors) == 1 and "doit faire partie du jeu de valeurs" in errors[0]

    def test_schema_errors(self, users, b):  # noqa: F811
        content = dlu_document(b, users["nurse"])
        broken = content.replace(b"<languageCode", b"<unknownElement/><languageCode", 1)
        errors = v.schema_errors(broken)
        assert errors and "unknownElement" in errors[0]


# --- download --------------------------------------------------------------------------------


def cda_url(b):  # noqa: F811
    return reverse("oncall:dlu_cda", kwargs={"public_id": b.public_id})


def fludt_url(call):
    return reverse("oncall:fiche_aller_cda", kwargs={"call_id": call.public_id})


class TestDownload:
    def test_care_team_downloads_the_dlu(self, client, users, b):  # noqa: F811
        client.force_login(users["nurse"])
        page = client.get(reverse("oncall:dlu", kwargs={"public_id": b.public_id}))
        assert cda_url(b) in page.content.decode() and "Télécharger (CDA)" in page.content.decode()
        response = client.get(cda_url(b))
        assert response.status_code == 200
        assert response["Content-Type"] == "application/xml; charset=utf-8"
        assert response["Content-Disposition"].startswith('attachment; filename="dlu-')
        doc = xml(response.content)
        assert "Pénicilline (œdème de Quincke)" in section_text(
            doc, "1.3.6.1.4.1.19376.1.5.3.1.3.13")
        assert b"A4821Z" not in response.content  # the nurse may see it on screen, not here
        event = AuditEvent.objects.get(action="dlu.cda_downloaded")
        assert event.actor == users["nurse"] and event.beneficiary_public_id == b.public_id
        assert not event.is_emergency_access

    def test_forbidden_role(self, client, users, b):  # noqa: F811
        client.force_login(users["admin_staff"])
        response = client.get(cda_url(b))
        assert response.status_code == 403 and b"Quincke" not in response.content
        assert not AuditEvent.objects.filter(action="dlu.cda_downloaded").exists()

    def test_no_health_access_without_break_glass(self, client, crt_a, make_user, b):  # noqa: F811
        aide = make_user(crt_a, Role.CARE_AIDE)
        client.force_login(aide)
        response = client.get(cda_url(b))
        assert response.status_code == 403 and b"Quincke" not in response.content
        assert not AuditEvent.objects.filter(action="dlu.cda_downloaded").exists()

    def test_other_crt(self, client, user_b, b):  # noqa: F811
        client.force_login(user_b)
        assert client.get(cda_url(b)).status_code == 404

    def test_transfer_sheet(self, client, users, hospital_call):
        client.force_login(users["nurse"])
        call_page = client.get(reverse("oncall:call", kwargs={"call_id": hospital_call.public_id}))
        assert fludt_url(hospital_call) in call_page.content.decode()
        assert "Télécharger la fiche aller (CDA)" in call_page.content.decode()
        response = client.get(fludt_url(hospital_call))
        assert response.status_code == 200
        assert response["Content-Disposition"].startswith('attachment; filename="fiche-aller-')
        doc = xml(response.content)
        assert "CHU d'Angers" in section_text(doc, "1.3.6.1.4.1.19376.1.7.3.1.1.13.7")
        event = AuditEvent.objects.get(action="dlu.transfer_sheet_cda_downloaded")
        assert event.object_id == str(hospital_call.public_id)

    def test_transfer_sheet_under_break_glass(self, client, crt_a, make_user, b):  # noqa: F811
        aide = make_user(crt_a, Role.CARE_AIDE)
        call = oncall.call(crt_a, aide, b)
        client.force_login(aide)
        assert client.get(fludt_url(call)).status_code == 403
        BreakGlass.objects.create(crt=crt_a, call=call, user=aide, beneficiary=b,
                                  reason="Chute")
        assert client.get(fludt_url(call)).status_code == 200
        event = AuditEvent.objects.get(action="dlu.transfer_sheet_cda_downloaded")
        assert event.is_emergency_access and event.reason == "Chute"

    def test_transfer_sheet_other_crt(self, client, user_b, hospital_call):
        client.force_login(user_b)
        assert client.get(fludt_url(hospital_call)).status_code == 404


# --- command ---------------------------------------------------------------------------------


class TestCommand:
    def test_export_writes_one_file_per_person_with_a_dlu(self, tmp_path, capsys, users,
                                                          b, hospital_call):  # noqa: F811
        oncall.call(b.crt, users["nurse"], b, outcome=Call.Outcome.STAYED_HOME)  # no transfer
        call_command("dlu", "export-cda", "--out", str(tmp_path / "cda"), "--crt", "CRT A")
        files = sorted(p.name for p in (tmp_path / "cda").iterdir())
        assert files == [f"{b.public_id}-DLU.xml", f"{b.public_id}-FLUDT.xml"]
        fludt = xml((tmp_path / "cda" / f"{b.public_id}-FLUDT.xml").read_bytes())
        assert "CHU d'Angers" in section_text(fludt, "1.3.6.1.4.1.19376.1.7.3.1.1.13.7")
        dlu_doc = xml((tmp_path / "cda" / f"{b.public_id}-DLU.xml").read_bytes())
        assert texts(dlu_doc, "h:author//h:softwareName") == ["Maillage"]
        out = capsys.readouterr().out
        assert "CRT A : 1 DLU, 1 fiche de liaison aller." in out
        assert "2 fichiers écrits dans " in out and ": 1 DLU et 1 fiche de liaison aller." in out
        assert AuditEvent.objects.filter(action="dlu.cda_exported",
                                         beneficiary_public_id=b.public_id).count() == 2

    def test_unknown_crt(self, tmp_path, b):  # noqa: F811
        from django.core.management.base import CommandError

        with pytest.raises(CommandError, match="CRT inconnu : « CRT Z »"):
            call_command("dlu", "export-cda", "--out", str(tmp_path), "--crt", "CRT Z")
