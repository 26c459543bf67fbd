"""The DLU-domicile: content assembled from the file, who may read it (care team, break the
glass on a call, partner within consent), the key-box code, the PDFs, updates (bad input,
concurrent edits), the yearly review and its reminder on the coordinator's home page."""

import io
import re
from datetime import date, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from pypdf import PdfReader

from maillage.admissions.tests.factories import enrolment
from maillage.beneficiaries import services as file_services
from maillage.beneficiaries.access import MEDICAL_FIELDS
from maillage.beneficiaries.models import Caregiver, CareTeamMember, Consent, MedicalRecord
from maillage.beneficiaries.tests.factories import (
    BeneficiaryFactory,
    CaregiverFactory,
    consent,
    join_care_team,
)
from maillage.care.tests import factories as care
from maillage.core.errors import DomainError
from maillage.core.models import AuditEvent
from maillage.core.roles import Role
from maillage.core.tests.helpers import field_error, visible_text
from maillage.oncall import dlu
from maillage.oncall.models import BreakGlass, Call, EmergencyFile, Escalation
from maillage.territory.tests.factories import OrganizationFactory, ProfessionalFactory
from maillage.visits.tests import factories as visits

from . import factories as oncall


def url(name, b, **extra):
    return reverse(f"oncall:{name}", kwargs={"public_id": b.public_id, **extra})


def pdf_text(response) -> tuple[str, int]:
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")
    reader = PdfReader(io.BytesIO(response.content))
    text = " ".join(" ".join(page.extract_text().split()) for page in reader.pages)
    return text, len(reader.pages)


@pytest.fixture
def gp(crt_a, users):
    """The GP, a partner with an account."""
    msp = OrganizationFactory(crt=crt_a, name="MSP du Haut-Anjou")
    return ProfessionalFactory(crt=crt_a, user=users["partner"], profession="gp",
                               first_name="Anne", last_name="Besnard", organization=msp,
                               phone="02 61 91 30 31")


@pytest.fixture
def b(crt_a, users, gp):
    """Jeanne Hamon: lives alone, key box, a son, a GP, a nurse and a care aide of the CRT who
    visit, meals delivered, a care aide every morning, and a DLU reviewed by the doctor."""
    person = BeneficiaryFactory(
        crt=crt_a, birth_name="HAMON", first_names="Jeanne Louise", first_name="Jeanne",
        living_situation="alone", housing_type="house", floor=0, has_teleassistance=True,
        teleassistance_provider="Présence Verte", has_key_box=True, key_box_code="A4821Z",
        has_grab_bars=True, access_notes="Portail vert au fond de l'impasse",
        trusted_person_name="Michel Hamon", trusted_person_relation="fils",
        trusted_person_phone="06 39 98 12 34", protection_measure="curatorship",
        protection_contact="UDAF 49", current_gir=2, ins_matricule="238054933101299",
        ins_oid="1.2.250.1.213.1.4.8",
        identity_status="QUAL",
    )
    MedicalRecord.objects.filter(beneficiary=person).update(
        allergies_status="documented", allergies="Pénicilline (œdème de Quincke)",
        treatments_status="documented", treatments="Apixaban 2,5 mg 2/j",
        history="Fibrillation atriale, fracture du poignet en 2023",
        advance_directives_status="documented",
        advance_directives="Le 12/03/2024, copie dans la pochette",
        resuscitation_status="limited",
        resuscitation_decision="Pas d'intubation ni de massage cardiaque",
        usual_state="Orientée, marche avec un déambulateur", has_palliative_sheet=True,
    )
    consent(person, share_health=True)
    join_care_team(person, users["nurse"])
    join_care_team(person, users["care_aide"])
    CareTeamMember.objects.create(crt=crt_a, beneficiary=person, professional=gp,
                                  role="Médecin traitant", is_gp=True, visits_home=False,
                                  start_date=date(2024, 1, 1))
    CaregiverFactory(crt=crt_a, beneficiary=person, first_name="Michel", last_name="Hamon",
                     relation="fils", phone="06 39 98 12 34", is_main=True)
    meals = care.service(crt_a, name="Portage de repas",
                         provider=OrganizationFactory(crt=crt_a, name="ADMR de Segré"))
    care.basket_item(person, meals)
    visits.series_visit(person, users["care_aide"])
    EmergencyFile.objects.create(
        crt=crt_a, beneficiary=person, important_info="Porteuse d'un pacemaker",
        communication="Malentendante, appareils auditifs à emporter",
        preferred_hospital="CHU d'Angers", annexes=["prescriptions", "ecg"],
        kept_at="Pochette rouge sur le réfrigérateur", medical_validated_by="Dr Anne Besnard",
        medical_validated_on=timezone.localdate() - timedelta(days=40),
        reviewed_at=timezone.now() - timedelta(days=30), reviewed_by=users["doctor"],
        next_review_on=timezone.localdate() + timedelta(days=335),
    )
    return person


def break_glass(user, b, *, status=Call.Status.OPEN, closed_at=None):
    call = oncall.call(b.crt, user, b, status=status, closed_at=closed_at)
    return BreakGlass.objects.create(crt=b.crt, call=call, user=user, beneficiary=b,
                                     reason="Chute, la personne ne répond plus")


def form_data(b, **changes):
    medical = MedicalRecord.objects.get(beneficiary=b)
    ef = EmergencyFile.objects.filter(beneficiary=b).first()
    data = {f: getattr(medical, f) for f in dlu.MEDICAL_FIELDS}
    data.update({f: getattr(ef, f) if ef else "" for f in dlu.DLU_FIELDS})
    data["has_palliative_sheet"] = "on" if medical.has_palliative_sheet else ""
    data["medical_validated_on"] = (ef.medical_validated_on.isoformat()
                                    if ef and ef.medical_validated_on else "")
    data["annexes"] = ef.annexes if ef else []
    data["version"], data["medical_version"] = (ef.version if ef else 0), medical.version
    data.update(changes)
    return {k: v for k, v in data.items() if v is not None}


class TestContent:
    def test_every_section_comes_from_the_file(self, client, users, b):
        client.force_login(users["nurse"])
        response = client.get(url("dlu", b))
        assert response.status_code == 200
        text = visible_text(response)
        # Identity
        assert "HAMON Jeanne" in text and "GIR 2" in text and "INS 238054933101299" in text
        # Medical synthesis
        for expected in ["Allergies : Pénicilline (œdème de Quincke)", "Apixaban 2,5 mg 2/j",
                         "Fibrillation atriale", "Rédigées — Le 12/03/2024",
                         "Fiche « urgence pallia » établie",
                         "Limitation des thérapeutiques actives (LATA) : Pas d'intubation ni "
                         "de massage cardiaque",
                         "Orientée, marche avec un déambulateur",
                         "À savoir d'emblée : Porteuse d'un pacemaker",
                         "Malentendante, appareils auditifs à emporter", "CHU d'Angers"]:
            assert expected in text, expected
        # Environmental synthesis
        for expected in ["Vit seul·e", "Portail vert au fond de l'impasse",
                         "Curatelle simple — UDAF 49", "Michel Hamon (fils) — 06 39 98 12 34",
                         "aidant principal", "Anne Besnard — 02 61 91 30 31",
                         users["nurse"].get_full_name(), "Portage de repas (ADMR de Segré)",
                         "tous les jours à 08:00", "Téléassistance (Présence Verte)",
                         "Barres d'appui", "02 61 91 00 01",
                         "DLU rangé : Pochette rouge sur le réfrigérateur",
                         "Ordonnances en cours, ECG de référence"]:
            assert expected in text, expected
        # Freshness: the last update and who did it, the GP's validation, the next review.
        ef = b.emergency_file
        assert (f"Validé le {timezone.localtime(ef.reviewed_at):%d/%m/%Y} par "
                f"{users['doctor'].get_full_name()}") in text
        assert f"volet médical validé le {ef.medical_validated_on:%d/%m/%Y}" in text
        assert f"Prochaine revue le {ef.next_review_on:%d/%m/%Y}" in text
        assert "À compléter" not in text and "DLU incomplet" not in text
        assert "à revalider" not in text

    def test_builder(self, b):
        result = dlu.build(beneficiary=b, show_key_box=False, medical_fields=MEDICAL_FIELDS)
        assert result.key_box_code is None
        assert result.gp.name == "Anne Besnard" and "MSP du Haut-Anjou" in result.gp.role
        assert [c.name for c in result.caregivers] == ["Michel Hamon"]
        assert result.trusted_person.phone == "06 39 98 12 34"
        assert result.lives_alone and result.floor_label == "rez-de-chaussée"
        assert result.services == ["Portage de repas (ADMR de Segré)"]
        assert result.annexes == ["Ordonnances en cours", "ECG de référence"]
        assert not result.review_overdue and result.missing == []
        assert not result.incomplete and not result.to_revalidate
        assert dlu.build(beneficiary=b, show_key_box=True,
                         medical_fields=MEDICAL_FIELDS).key_box_code == "A4821Z"

    def test_ins_travels_only_when_qualified(self, b):
        b.identity_status = "VALI"
        assert dlu.build(beneficiary=b, show_key_box=False, medical_fields=MEDICAL_FIELDS).ins == ""

    def test_an_empty_file_says_what_is_missing(self, client, crt_a, users):
        bare = BeneficiaryFactory(crt=crt_a)
        MedicalRecord.objects.filter(beneficiary=bare).update(allergies="", allergies_status="")
        join_care_team(bare, users["nurse"])
        client.force_login(users["nurse"])
        text = visible_text(client.get(url("dlu", bare)))
        assert "Allergies : non renseignées" in text and "DLU incomplet" in text
        assert "n'a encore jamais été relu" in text and "Validation à faire" in text
        assert "Pas de médecin traitant dans le cercle de soins." in text
        assert "Volet médical non validé par le médecin traitant." in text

    def test_file_page_links_to_the_dlu_for_health_data_readers(self, client, users, b):
        client.force_login(users["nurse"])
        page = client.get(reverse("beneficiaries:detail", kwargs={"public_id": b.public_id}))
        assert url("dlu", b) in page.content.decode()
        client.force_login(users["admin_staff"])
        page = client.get(reverse("beneficiaries:detail", kwargs={"public_id": b.public_id}))
        assert url("dlu", b) not in page.content.decode()

    def test_query_budget(self, client, users, b, django_assert_max_num_queries):
        client.force_login(users["nurse"])
        with django_assert_max_num_queries(22):
            assert client.get(url("dlu", b)).status_code == 200


class TestHealthRule:
    def test_care_team_read_is_audited(self, client, users, b):
        client.force_login(users["care_aide"])
        assert client.get(url("dlu", b)).status_code == 200
        event = AuditEvent.objects.get(action="dlu.viewed")
        assert event.actor == users["care_aide"] and event.beneficiary_public_id == b.public_id
        assert not event.is_emergency_access

    @pytest.mark.parametrize("name", ["dlu", "dlu_pdf"])
    def test_nurse_outside_the_care_team_is_refused(self, client, crt_a, make_user, b, name):
        outsider = make_user(crt_a, Role.NURSE)
        client.force_login(outsider)
        response = client.get(url(name, b))
        assert response.status_code == 403
        text = visible_text(response)
        assert "Accès refusé" in text and "Pénicilline" not in text
        assert not AuditEvent.objects.filter(action__startswith="dlu.").exists()

    def test_an_open_call_without_broken_glass_is_not_enough(self, client, crt_a, make_user,
                                                             b):
        outsider = make_user(crt_a, Role.NURSE)
        oncall.shift(crt_a, outsider)
        oncall.call(crt_a, outsider, b)
        client.force_login(outsider)
        response = client.get(url("dlu", b))
        assert response.status_code == 403
        assert "l'écran d'astreinte" in visible_text(response)

    def test_break_glass_on_an_open_call_opens_it_flagged(self, client, crt_a, make_user, b):
        outsider = make_user(crt_a, Role.NURSE)
        break_glass(outsider, b)
        client.force_login(outsider)
        response = client.get(url("dlu", b))
        assert response.status_code == 200
        text = visible_text(response)
        assert "Pénicilline" in text and "bris de glace" in text
        # The one who travels needs the key-box code.
        assert "A4821Z" in text
        event = AuditEvent.objects.get(action="dlu.viewed")
        assert event.is_emergency_access and event.actor == outsider
        assert event.reason == "Chute, la personne ne répond plus"
        assert event.details == {"code_boite_a_cles": True}

    def test_break_glass_ends_with_the_call(self, client, crt_a, make_user, b):
        outsider = make_user(crt_a, Role.NURSE)
        glass = break_glass(outsider, b, status=Call.Status.CLOSED,
                            closed_at=timezone.now() - timedelta(minutes=30))
        client.force_login(outsider)
        assert client.get(url("dlu", b)).status_code == 200  # 2 hours to write it up
        Call.objects.filter(pk=glass.call_id).update(
            closed_at=timezone.now() - timedelta(hours=2, minutes=1))
        assert client.get(url("dlu", b)).status_code == 403

    def test_break_glass_does_not_allow_editing(self, client, crt_a, make_user, b):
        outsider = make_user(crt_a, Role.NURSE)
        break_glass(outsider, b)
        client.force_login(outsider)
        assert client.get(url("dlu_edit", b)).status_code == 403
        assert client.post(url("dlu_review", b), {"version": 1, "medical_version": 1}
                           ).status_code == 403


HISTORY = "Fibrillation atriale, fracture du poignet en 2023"
SYNTHESIS = "Fragilité cardiaque, chutes répétées à surveiller"
WITHHELD = "Réservé aux médecins et infirmiers"


class TestCareAide:
    """A care aide reads the DLU without the history and the medical synthesis (SPEC §3,
    ``beneficiaries.access.medical_fields``): on its page, its PDF, its CDA, the « fiche aller »
    and the on-call screen, in the care team or under break-the-glass alike."""

    @pytest.fixture(autouse=True)
    def synthesis(self, b):
        MedicalRecord.objects.filter(beneficiary=b).update(synthesis=SYNTHESIS)

    def test_the_page_of_a_care_aide_of_the_team(self, client, users, b):
        client.force_login(users["care_aide"])
        text = visible_text(client.get(url("dlu", b)))
        for expected in ["Pénicilline (œdème de Quincke)", "Apixaban 2,5 mg 2/j",
                         "Rédigées — Le 12/03/2024", "Pas d'intubation",
                         "Fiche « urgence pallia » établie",
                         "Orientée, marche avec un déambulateur", f"Antécédents {WITHHELD}"]:
            assert expected in text, expected
        assert "Fibrillation" not in text and "Fragilité cardiaque" not in text
        # No « Envoyer par MSSanté »: the DLU leaves only with its whole medical section.
        assert "Envoyer par MSSanté" not in text
        client.force_login(users["nurse"])
        text = visible_text(client.get(url("dlu", b)))
        assert HISTORY in text and SYNTHESIS in text and WITHHELD not in text
        assert "Envoyer par MSSanté" in text

    def test_the_pdf_and_the_cda_of_a_care_aide(self, client, users, b):
        client.force_login(users["care_aide"])
        text, _ = pdf_text(client.get(url("dlu_pdf", b)))
        assert "Pénicilline" in text and "Apixaban" in text and WITHHELD in text
        assert "Fibrillation" not in text and "Fragilité cardiaque" not in text
        cda = client.get(url("dlu_cda", b)).content.decode()
        assert "Pénicilline" in cda and WITHHELD in cda
        assert "Fibrillation" not in cda and "Fragilité cardiaque" not in cda

    def test_a_care_aide_on_call_under_break_the_glass(self, client, crt_a, make_user, b):
        aide = make_user(crt_a, Role.CARE_AIDE)
        glass = break_glass(aide, b)
        client.force_login(aide)
        for page in (client.get(url("dlu", b)),
                     client.get(reverse("oncall:person", kwargs={"public_id": b.public_id}))):
            assert page.status_code == 200
            text = visible_text(page)
            assert "Pénicilline" in text and "Apixaban" in text and WITHHELD in text
            assert "Fibrillation" not in text
        sheet, _ = pdf_text(client.get(reverse("oncall:fiche_aller",
                                               kwargs={"call_id": glass.call.public_id})))
        assert "Pénicilline" in sheet and "Fibrillation" not in sheet
        sheet_cda = client.get(reverse("oncall:fiche_aller_cda",
                                       kwargs={"call_id": glass.call.public_id}))
        assert "Pénicilline" in sheet_cda.content.decode()
        assert "Fibrillation" not in sheet_cda.content.decode()

    def test_a_nurse_on_call_under_break_the_glass_reads_it_all(self, client, crt_a, make_user,
                                                                b):
        nurse = make_user(crt_a, Role.NURSE)
        break_glass(nurse, b)
        client.force_login(nurse)
        text = visible_text(client.get(reverse("oncall:person",
                                               kwargs={"public_id": b.public_id})))
        assert HISTORY in text and WITHHELD not in text


class TestKeyBox:
    def test_shown_to_those_who_visit_the_home(self, client, users, b):
        client.force_login(users["nurse"])
        assert "A4821Z" in visible_text(client.get(url("dlu", b)))
        assert AuditEvent.objects.get(action="dlu.viewed").details == {
            "code_boite_a_cles": True}

    def test_hidden_from_those_who_do_not(self, client, users, b):
        join_care_team(b, users["psychologist"], visits_home=False)
        client.force_login(users["psychologist"])
        response = client.get(url("dlu", b))
        text = visible_text(response)
        assert response.status_code == 200 and "Pénicilline" in text
        assert "A4821Z" not in text and "code réservé aux intervenants à domicile" in text
        assert AuditEvent.objects.get(action="dlu.viewed").details == {}


class TestPartner:
    def test_gp_in_the_care_team_with_health_consent(self, client, users, b):
        client.force_login(users["partner"])
        response = client.get(url("dlu", b))
        text = visible_text(response)
        assert response.status_code == 200 and "Pénicilline" in text
        assert "A4821Z" not in text  # the GP does not visit the home
        assert "Modifier" not in text and "Relu, toujours exact" not in text

    def test_without_health_consent(self, client, users, b):
        file_services.consent_record(
            actor=users["coordinator"], beneficiary=b, kind=Consent.Kind.CARE_TEAM_SHARING,
            granted=True, collected_on=timezone.localdate(), method="oral", share_health=False)
        client.force_login(users["partner"])
        response = client.get(url("dlu", b))
        assert response.status_code == 403 and "Pénicilline" not in visible_text(response)
        assert client.get(url("dlu_pdf", b)).status_code == 403

    def test_outside_the_care_team(self, client, crt_a, make_user, b):
        stranger = make_user(crt_a, Role.PARTNER)
        ProfessionalFactory(crt=crt_a, user=stranger, profession="gp")
        client.force_login(stranger)
        assert client.get(url("dlu", b)).status_code == 404


class TestPdf:
    def test_dlu_pdf_reopens_on_one_page(self, client, users, b):
        client.force_login(users["nurse"])
        text, pages = pdf_text(client.get(url("dlu_pdf", b)))
        assert pages == 1
        for expected in ["DOSSIER DE LIAISON D'URGENCE — DOMICILE", "HAMON Jeanne",
                         "Pénicilline (œdème de Quincke)", "Apixaban 2,5 mg 2/j",
                         "Pas d'intubation", "Michel Hamon", "Anne Besnard",
                         "02 61 91 00 01", "A4821Z", "GIR 2"]:
            assert expected in text, expected
        assert f"par {users['doctor'].get_full_name()}" in text
        assert AuditEvent.objects.filter(action="dlu.printed", actor=users["nurse"]).exists()

    def test_phone_numbers_never_wrap(self, client, users, b):
        """Whatever the length of the name before it, a phone number stays on one line."""
        client.force_login(users["nurse"])
        caregiver = Caregiver.objects.get(beneficiary=b)
        for padding in range(14, 32, 2):
            Caregiver.objects.filter(pk=caregiver.pk).update(first_name="M" * (6 + padding))
            response = client.get(url("dlu_pdf", b))
            assert response.status_code == 200
            raw = PdfReader(io.BytesIO(response.content)).pages[0].extract_text()
            lines = [" ".join(line.split()) for line in raw.splitlines()]
            # The trusted person's and the caregiver's numbers, each whole on its line.
            assert sum(line.count("06 39 98 12 34") for line in lines) == 2, padding

    def test_fiche_aller_for_a_call(self, client, crt_a, users, b):
        call = oncall.call(crt_a, users["nurse"], b,
                           assessment="Retrouvée au sol, douleur de hanche droite",
                           actions="Appel du 15, SMUR envoyé", hospital="CHU d'Angers")
        Escalation.objects.create(crt=crt_a, call=call, to=Escalation.To.SAMU,
                                  at=timezone.now())
        client.force_login(users["nurse"])
        response = client.get(reverse("oncall:fiche_aller", kwargs={"call_id": call.public_id}))
        text, _ = pdf_text(response)
        for expected in ["FICHE DE LIAISON D'URGENCE « ALLER »", "HAMON Jeanne", "Chute",
                         "Retrouvée au sol, douleur de hanche droite", "SMUR envoyé",
                         "SAMU – centre 15", "Pénicilline (œdème de Quincke)",
                         "Apixaban 2,5 mg 2/j", "Orientée, marche avec un déambulateur",
                         "Michel Hamon", "02 61 91 00 01", users["nurse"].get_full_name()]:
            assert expected in text, expected
        assert "A4821Z" not in text  # the sheet travels to the hospital: no key-box code
        event = AuditEvent.objects.get(action="dlu.transfer_sheet_printed")
        assert event.object_id == str(call.public_id) and event.details == {}

    def test_fiche_aller_needs_the_health_access(self, client, crt_a, make_user, b):
        aide = make_user(crt_a, Role.CARE_AIDE)
        call = oncall.call(crt_a, aide, b)
        client.force_login(aide)
        sheet = reverse("oncall:fiche_aller", kwargs={"call_id": call.public_id})
        assert client.get(sheet).status_code == 403
        BreakGlass.objects.create(crt=crt_a, call=call, user=aide, beneficiary=b,
                                  reason="Chute")
        assert client.get(sheet).status_code == 200
        assert AuditEvent.objects.get(action="dlu.transfer_sheet_printed").is_emergency_access

    def test_the_call_links_its_fiche_aller_only_to_who_may_read_it(self, client, crt_a,
                                                                     users, make_user, b):
        """The call's page offers the « fiche aller » (PDF, CDA) to a reader of the person's
        DLU; the coordination outside the care team reads the call without a link that is
        refused, and so does a care aide on the call until she opens it in an emergency."""
        def urls(call):
            return (reverse("oncall:call", kwargs={"call_id": call.public_id}),
                    reverse("oncall:fiche_aller", kwargs={"call_id": call.public_id}))

        aide = make_user(crt_a, Role.CARE_AIDE)
        taken_by_nurse, taken_by_aide = oncall.call(crt_a, users["nurse"], b), oncall.call(
            crt_a, aide, b)
        for user, call, shown in [(users["nurse"], taken_by_nurse, True),
                                  (users["coordinator"], taken_by_nurse, False),
                                  (aide, taken_by_aide, False)]:
            page_url, sheet = urls(call)
            client.force_login(user)
            page = client.get(page_url)
            assert page.status_code == 200
            assert ("Fiche aller pour les urgences (PDF)" in visible_text(page)) is shown, user
            assert (sheet in page.content.decode()) is shown, user
            assert client.get(sheet).status_code == (200 if shown else 403), user
        BreakGlass.objects.create(crt=crt_a, call=taken_by_aide, user=aide, beneficiary=b,
                                  reason="Chute")
        page = client.get(page_url)
        assert "Fiche aller pour les urgences (PDF)" in visible_text(page)
        assert client.get(sheet).status_code == 200

    def test_fiche_aller_of_a_call_without_a_person(self, client, crt_a, users):
        call = oncall.call(crt_a, users["nurse"])
        client.force_login(users["nurse"])
        response = client.get(reverse("oncall:fiche_aller", kwargs={"call_id": call.public_id}))
        assert response.status_code == 404


class TestEdit:
    def test_update_saves_both_parts(self, client, users, b):
        client.force_login(users["nurse"])
        page = client.get(url("dlu_edit", b))
        assert page.status_code == 200 and "Pénicilline" in visible_text(page)
        response = client.post(url("dlu_edit", b), form_data(
            b, allergies="Pénicilline, iode", preferred_hospital="CH de Segré",
            annexes=["prescriptions", "cards"], action="validate"))
        assert response.status_code == 302
        assert MedicalRecord.objects.get(beneficiary=b).allergies == "Pénicilline, iode"
        ef = EmergencyFile.objects.get(beneficiary=b)
        assert ef.preferred_hospital == "CH de Segré" and ef.annexes == ["prescriptions", "cards"]
        assert ef.reviewed_by == users["nurse"] and ef.version == 2
        assert ef.next_review_on == timezone.localdate() + timedelta(days=365)
        assert AuditEvent.objects.filter(action="beneficiary.medical_updated").count() == 1
        event = AuditEvent.objects.get(action="dlu.updated")
        assert event.details["volet_medical"] == ["allergies"]
        assert event.details["validation"] is True
        text = visible_text(client.get(url("dlu", b)))
        assert "Pénicilline, iode" in text and "Carte Vitale et carte de mutuelle" in text

    def test_first_dlu_is_created_as_a_draft(self, client, crt_a, users):
        person = BeneficiaryFactory(crt=crt_a)
        join_care_team(person, users["doctor"])
        client.force_login(users["doctor"])
        response = client.post(url("dlu_edit", person), form_data(
            person, kept_at="Sur le réfrigérateur", medical_validated_by="Dr Besnard",
            medical_validated_on=timezone.localdate().isoformat(), action="draft"))
        assert response.status_code == 302
        ef = EmergencyFile.objects.get(beneficiary=person)
        assert ef.kept_at == "Sur le réfrigérateur" and ef.updated_by == users["doctor"]
        # A draft: not validated, no yearly review set.
        assert ef.reviewed_at is None and ef.next_review_on is None
        text = visible_text(client.get(url("dlu", person)))
        assert "Brouillon : ce DLU n'a encore jamais été validé" in text
        assert "DLU enregistré comme brouillon" in text
        # The medical part did not change: no empty « medical updated » event.
        assert not AuditEvent.objects.filter(action="beneficiary.medical_updated").exists()

    @pytest.mark.parametrize(("changes", "field", "message"), [
        ({"medical_validated_on": (timezone.localdate() + timedelta(days=3)).isoformat()},
         "medical_validated_on", "La date de validation est dans le futur."),
        ({"medical_validated_by": ""}, "medical_validated_by",
         "Indiquez le médecin qui a validé le volet médical."),
        ({"medical_validated_on": "31/02/2025"}, "medical_validated_on", "Date invalide"),
        ({"annexes": ["passeport"]}, "annexes", "Document inconnu"),
        ({"preferred_hospital": "x" * 151}, "preferred_hospital", "au plus 150 caractères"),
    ])
    def test_bad_input(self, client, users, b, changes, field, message):
        before = EmergencyFile.objects.get(beneficiary=b)
        client.force_login(users["nurse"])
        response = client.post(url("dlu_edit", b),
                               form_data(b, allergies="Aucune connue", **changes))
        assert response.status_code == 400
        html = response.content.decode()
        errors = re.search(rf'id="id_{field}_errors"[^>]*>(.*?)</div>', html, re.S)
        assert errors and message in errors.group(1)
        assert MedicalRecord.objects.get(beneficiary=b).allergies.startswith("Pénicilline")
        after = EmergencyFile.objects.get(beneficiary=b)
        assert (after.version, after.reviewed_by) == (before.version, users["doctor"])
        assert not AuditEvent.objects.filter(action__in=["dlu.updated",
                                                         "beneficiary.medical_updated"]).exists()

    def test_concurrent_edit_of_the_medical_part(self, client, users, b):
        client.force_login(users["nurse"])
        stale = form_data(b, allergies="Aucune connue")
        record = MedicalRecord.objects.get(beneficiary=b)
        file_services.medical_update(actor=users["doctor"], record=record,
                                     version=record.version, allergies="Pénicilline, latex")
        response = client.post(url("dlu_edit", b), stale)
        assert response.status_code == 409
        assert "modifiée par quelqu'un d'autre" in visible_text(response)
        assert MedicalRecord.objects.get(beneficiary=b).allergies == "Pénicilline, latex"
        assert EmergencyFile.objects.get(beneficiary=b).version == 1

    def test_concurrent_edit_of_the_dlu(self, client, users, b):
        client.force_login(users["nurse"])
        stale = form_data(b, kept_at="Dans l'entrée")
        assert client.post(url("dlu_edit", b), form_data(b, kept_at="Sur la table")
                           ).status_code == 302
        response = client.post(url("dlu_edit", b), stale)
        assert response.status_code == 409
        assert EmergencyFile.objects.get(beneficiary=b).kept_at == "Sur la table"


def home_section(client, user) -> str:
    client.force_login(user)
    html = client.get(reverse("core:home")).content.decode()
    match = re.search(r'id="dlu-revues".*?</section>', html, re.S)
    return match.group(0) if match else ""


class TestReview:
    def test_review_updates_date_and_who_and_clears_the_reminder(self, client, crt_a, users,
                                                                 b):
        enrolment(b)
        EmergencyFile.objects.filter(beneficiary=b).update(
            next_review_on=timezone.localdate() - timedelta(days=10))
        missing = BeneficiaryFactory(crt=crt_a, birth_name="SANSDLU")
        enrolment(missing)
        BeneficiaryFactory(crt=crt_a, birth_name="HORSFILE")  # not in the file active
        section = home_section(client, users["coordinator"])
        assert "HAMON Jeanne" in section and "en retard" in section
        assert "SANSDLU" in section and "DLU à établir" in section
        assert "HORSFILE" not in section

        ef = EmergencyFile.objects.get(beneficiary=b)
        client.force_login(users["nurse"])
        response = client.post(url("dlu_review", b), {
            "version": ef.version, "medical_version": b.medical.version})
        assert response.status_code == 302
        ef.refresh_from_db()
        assert ef.reviewed_by == users["nurse"]
        assert ef.reviewed_at > timezone.now() - timedelta(minutes=1)
        assert ef.next_review_on == timezone.localdate() + timedelta(days=365)
        assert AuditEvent.objects.filter(action="dlu.reviewed", actor=users["nurse"]).exists()
        text = visible_text(client.get(url("dlu", b)))
        today = timezone.localdate()
        assert f"Validé le {today:%d/%m/%Y} par {users['nurse'].get_full_name()}" \
            in text

        section = home_section(client, users["coordinator"])
        assert "HAMON Jeanne" not in section and "SANSDLU" in section

    def test_review_of_a_dlu_changed_meanwhile(self, client, users, b):
        ef = EmergencyFile.objects.get(beneficiary=b)
        record = b.medical
        file_services.medical_update(actor=users["doctor"], record=record,
                                     version=record.version, treatments="Apixaban arrêté")
        client.force_login(users["nurse"])
        response = client.post(url("dlu_review", b), {"version": ef.version,
                                                      "medical_version": 1})
        assert response.status_code == 409
        assert "modifiée par quelqu'un d'autre" in visible_text(response)
        assert EmergencyFile.objects.get(beneficiary=b).reviewed_by == users["doctor"]

    def test_review_with_bad_input(self, client, users, b):
        client.force_login(users["nurse"])
        response = client.post(url("dlu_review", b), {"version": "abc"})
        assert response.status_code == 400
        assert EmergencyFile.objects.get(beneficiary=b).reviewed_by == users["doctor"]

    def test_reminder_is_one_query(self, crt_a, b, django_assert_num_queries):
        enrolment(b)
        with django_assert_num_queries(1):
            assert dlu.reviews_due(crt=crt_a, within_days=400)[0].beneficiary == b


class TestDemo:
    def test_every_beneficiary_gets_a_deterministic_dlu(self, crt_a, users, b,
                                                        django_assert_max_num_queries):
        from random import Random

        from maillage.core.demo import DemoContext
        from maillage.oncall import demo_dlu

        EmergencyFile.objects.all().delete()
        others = [BeneficiaryFactory(crt=crt_a) for _ in range(8)]
        ctx = DemoContext(rng=Random(1), scale=1, crts={"anjou_bleu": crt_a})

        def snapshot():
            return list(EmergencyFile.objects.order_by("beneficiary_id").values_list(
                "beneficiary_id", "important_info", "annexes", "reviewed_by",
                "next_review_on", "medical_validated_by"))

        with django_assert_max_num_queries(8):
            demo_dlu.load(ctx)
        first = snapshot()
        assert len(first) == 1 + len(others)
        # Jeanne's DLU: reviewed by the nurse of her care team, validated by her GP.
        jeanne = EmergencyFile.objects.get(beneficiary=b)
        assert jeanne.reviewed_by == users["nurse"]
        assert jeanne.medical_validated_by == "Dr Anne Besnard"
        assert "anticoagulant" in jeanne.important_info
        # Some are overdue: the reminder shows.
        assert any(row[4] < timezone.localdate() for row in first)
        EmergencyFile.objects.all().delete()
        demo_dlu.load(ctx)
        assert snapshot() == first


# --- Completeness: the four essentials, validation, « à revalider » ---------------------------

ESSENTIALS = {
    "allergies_status": ("allergies", "Allergies non renseignées"),
    "treatments_status": ("treatments", "Traitements en cours non renseignés"),
    "advance_directives_status": ("advance_directives",
                                  "Directives anticipées non renseignées"),
    "resuscitation_status": ("resuscitation_decision",
                             "Décision de réanimation non renseignée"),
}


def unset(b, *status_fields):
    """Leave essentials of ``b`` without an answer (and without text), as a team filling the
    file over time."""
    MedicalRecord.objects.filter(beneficiary=b).update(
        **{f: "" for f in status_fields}, **{ESSENTIALS[f][0]: "" for f in status_fields})


def medical_values(b, **changes) -> dict:
    record = MedicalRecord.objects.get(beneficiary=b)
    return {**{f: getattr(record, f) for f in dlu.MEDICAL_FIELDS}, **changes}


def save(b, actor, *, validate, medical=None, **fields):
    record = MedicalRecord.objects.get(beneficiary=b)
    ef = EmergencyFile.objects.filter(beneficiary=b).first()
    current = {f: getattr(ef, f) for f in dlu.DLU_FIELDS} if ef else {}
    return dlu.emergency_file_save(
        actor=actor, beneficiary=b, version=ef.version if ef else 0,
        medical_version=record.version, medical=medical or medical_values(b),
        validate=validate, **{**current, **fields})



class TestValidationService:
    @pytest.mark.parametrize("status_field", list(ESSENTIALS))
    def test_refused_while_an_essential_is_unset(self, users, b, status_field):
        unset(b, status_field)
        before = EmergencyFile.objects.get(beneficiary=b)
        with pytest.raises(dlu.DluIncompleteError) as refused:
            save(b, users["doctor"], validate=True, kept_at="Dans l'entrée")
        assert list(refused.value.missing) == [status_field]
        assert refused.value.missing[status_field].startswith(ESSENTIALS[status_field][1])
        # The yearly review (« relu, toujours exact ») is refused the same way.
        with pytest.raises(dlu.DluIncompleteError):
            dlu.emergency_file_review(actor=users["doctor"], beneficiary=b,
                                      version=before.version,
                                      medical_version=b.medical.version)
        after = EmergencyFile.objects.get(beneficiary=b)
        assert (after.version, after.kept_at, after.reviewed_at) == (
            before.version, before.kept_at, before.reviewed_at)
        assert not AuditEvent.objects.filter(action__in=["dlu.updated", "dlu.reviewed"]
                                             ).exists()

    def test_every_missing_essential_is_listed(self, users, b):
        unset(b, *ESSENTIALS)
        with pytest.raises(dlu.DluIncompleteError) as refused:
            save(b, users["doctor"], validate=True)
        assert list(refused.value.missing) == list(ESSENTIALS)
        result = dlu.build(beneficiary=b, show_key_box=False, medical_fields=MEDICAL_FIELDS)
        assert result.incomplete and list(result.essentials_missing) == list(ESSENTIALS)
        assert result.missing[:4] == list(result.essentials_missing.values())

    def test_no_known_allergy_is_an_answer(self, users, b):
        unset(b, "allergies_status")
        ef = save(b, users["doctor"], validate=True,
                  medical=medical_values(b, allergies_status="none_known"))
        assert ef.reviewed_by == users["doctor"]
        assert ef.next_review_on == timezone.localdate() + timedelta(days=365)
        record = MedicalRecord.objects.get(beneficiary=b)
        assert record.allergies_status == "none_known"
        assert record.allergies_summary == "Aucune allergie connue"
        assert not dlu.build(beneficiary=b, show_key_box=False,
                             medical_fields=MEDICAL_FIELDS).incomplete

    def test_a_draft_with_missing_answers_is_saved(self, users, b):
        unset(b, "allergies_status", "resuscitation_status")
        ef = save(b, users["nurse"], validate=False, kept_at="Dans l'entrée")
        assert ef.kept_at == "Dans l'entrée"
        assert ef.reviewed_by == users["doctor"]  # the validation stays as it was
        assert AuditEvent.objects.get(action="dlu.updated").details["validation"] is False

    @pytest.mark.parametrize(("changes", "field", "message"), [
        ({"allergies_status": "none_known", "allergies": "Iode"}, "allergies",
         "effacez ce texte"),
        ({"allergies_status": "documented", "allergies": "  "}, "allergies",
         "Précisez les allergies"),
        ({"treatments_status": "none", "treatments": "Doliprane"}, "treatments",
         "Aucun traitement en cours"),
        ({"resuscitation_status": "limited", "resuscitation_decision": ""},
         "resuscitation_decision", "Précisez la limitation décidée"),
        ({"advance_directives_status": "documented", "advance_directives": ""},
         "advance_directives", "où les trouver"),
        ({"allergies_status": "peut-être"}, "allergies_status", "Choix inconnu"),
    ])
    def test_an_answer_at_odds_with_its_text_is_refused(self, users, b, changes, field,
                                                        message):
        record = MedicalRecord.objects.get(beneficiary=b)
        with pytest.raises(DomainError) as refused:
            file_services.medical_update(actor=users["doctor"], record=record,
                                         version=record.version, **changes)
        assert refused.value.field == field and message in refused.value.message
        assert MedicalRecord.objects.get(beneficiary=b).version == record.version

    def test_a_text_without_its_answer_is_documented(self, users, b):
        unset(b, "allergies_status", "resuscitation_status")
        record = MedicalRecord.objects.get(beneficiary=b)
        file_services.medical_update(actor=users["doctor"], record=record,
                                     version=record.version, allergies=" Iode ",
                                     resuscitation_decision="À discuter")
        record.refresh_from_db()
        assert (record.allergies_status, record.allergies) == ("documented", "Iode")
        # A resuscitation text does not tell « oui » from a limitation: still to be chosen.
        assert record.resuscitation_status == ""
        assert record.resuscitation_summary == "non renseignée (à confirmer : À discuter)"


class TestRevalidation:
    def test_a_treatment_change_flags_the_dlu(self, users, b):
        assert not dlu.build(beneficiary=b, show_key_box=False,
                             medical_fields=MEDICAL_FIELDS).to_revalidate
        record = MedicalRecord.objects.get(beneficiary=b)
        file_services.medical_update(actor=users["doctor"], record=record,
                                     version=record.version,
                                     treatments="Apixaban 2,5 mg 2/j ; Furosémide 20 mg")
        result = dlu.build(beneficiary=b, show_key_box=False, medical_fields=MEDICAL_FIELDS)
        assert result.to_revalidate
        assert result.revalidation == [
            f"allergies ou traitements modifiés le {timezone.localdate():%d/%m/%Y} après la "
            "dernière validation"]
        # Validating again clears it.
        ef = EmergencyFile.objects.get(beneficiary=b)
        dlu.emergency_file_review(actor=users["doctor"], beneficiary=b, version=ef.version,
                                  medical_version=record.version)
        assert not dlu.build(beneficiary=b, show_key_box=False,
                             medical_fields=MEDICAL_FIELDS).to_revalidate

    def test_an_allergy_answer_change_flags_it_too(self, users, b):
        record = MedicalRecord.objects.get(beneficiary=b)
        file_services.medical_update(actor=users["doctor"], record=record,
                                     version=record.version, allergies_status="none_known",
                                     allergies="")
        assert dlu.build(beneficiary=b, show_key_box=False,
                         medical_fields=MEDICAL_FIELDS).to_revalidate

    def test_other_changes_do_not(self, users, b):
        record = MedicalRecord.objects.get(beneficiary=b)
        file_services.medical_update(actor=users["doctor"], record=record,
                                     version=record.version, history="Fibrillation atriale")
        assert not dlu.build(beneficiary=b, show_key_box=False,
                             medical_fields=MEDICAL_FIELDS).to_revalidate

    def test_a_change_in_a_dlu_draft_flags_it_and_validating_clears_it(self, users, b):
        save(b, users["nurse"], validate=False,
             medical=medical_values(b, allergies="Pénicilline, iode"))
        assert dlu.build(beneficiary=b, show_key_box=False,
                         medical_fields=MEDICAL_FIELDS).to_revalidate
        save(b, users["doctor"], validate=True)
        assert not dlu.build(beneficiary=b, show_key_box=False,
                             medical_fields=MEDICAL_FIELDS).to_revalidate

    def test_the_overdue_yearly_review_flags_it(self, b):
        EmergencyFile.objects.filter(beneficiary=b).update(
            next_review_on=timezone.localdate() - timedelta(days=3))
        result = dlu.build(beneficiary=b, show_key_box=False, medical_fields=MEDICAL_FIELDS)
        due = timezone.localdate() - timedelta(days=3)
        assert result.revalidation == [f"revue annuelle en retard depuis le {due:%d/%m/%Y}"]

    def test_never_validated_is_to_establish_not_to_revalidate(self, crt_a):
        person = BeneficiaryFactory(crt=crt_a)
        assert not dlu.build(beneficiary=person, show_key_box=False,
                             medical_fields=MEDICAL_FIELDS).to_revalidate

    def test_shown_on_the_dlu_the_home_panel_and_the_oncall_screen(self, client, crt_a,
                                                                    users, b):
        enrolment(b)
        client.force_login(users["nurse"])
        page = client.get(reverse("beneficiaries:medical_edit",
                                  kwargs={"public_id": b.public_id}))
        assert page.status_code == 200
        record = MedicalRecord.objects.get(beneficiary=b)
        data = {f: getattr(record, f) for f in file_services.MEDICAL_FIELDS}
        data.update(version=record.version, has_palliative_sheet="on",
                    treatments="Apixaban 2,5 mg 2/j ; Furosémide 20 mg 1/j")
        assert client.post(reverse("beneficiaries:medical_edit",
                                   kwargs={"public_id": b.public_id}), data
                           ).status_code == 302
        today = f"{timezone.localdate():%d/%m/%Y}"
        text = visible_text(client.get(url("dlu", b)))
        assert (f"DLU à revalider : allergies ou traitements modifiés le {today} après la "
                "dernière validation") in text
        person = visible_text(client.get(reverse("oncall:person",
                                                 kwargs={"public_id": b.public_id})))
        assert "DLU à revalider" in person and "Furosémide 20 mg 1/j" in person
        section = home_section(client, users["coordinator"])
        assert "HAMON Jeanne" in section
        plain = " ".join(re.sub(r"<[^>]+>", "", section).split())
        assert f"à revalider : allergies ou traitements modifiés le {today}" in plain
        [row] = [r for r in dlu.reviews_due(crt=crt_a) if r.beneficiary == b]
        assert row.to_revalidate and row.changed_at is not None

    def test_home_panel_lists_incomplete_and_draft_dlus(self, client, crt_a, users, b):
        enrolment(b)
        unset(b, "allergies_status")
        draft = BeneficiaryFactory(crt=crt_a, birth_name="BROUILLON")
        enrolment(draft)
        EmergencyFile.objects.create(crt=crt_a, beneficiary=draft, kept_at="Entrée")
        section = home_section(client, users["coordinator"])
        assert "HAMON Jeanne" in section and "DLU incomplet" in section
        assert "BROUILLON" in section and "(brouillon non validé)" in section


class TestCompletenessPages:
    def test_validation_refused_lists_what_is_missing_next_to_the_fields(self, client,
                                                                         users, b):
        unset(b, "allergies_status", "treatments_status")
        before = EmergencyFile.objects.get(beneficiary=b)
        client.force_login(users["doctor"])
        join_care_team(b, users["doctor"])
        response = client.post(url("dlu_edit", b), form_data(
            b, kept_at="Dans l'entrée", action="validate"))
        assert response.status_code == 400
        assert "Allergies non renseignées" in field_error(response, "allergies_status")
        assert "Traitements en cours non renseignés" in field_error(response,
                                                                     "treatments_status")
        assert field_error(response, "advance_directives_status") == ""
        html = response.content.decode()
        summary = re.search(r'id="dlu-missing".*?</ul>', html, re.S).group(0)
        assert "Allergies non renseignées" in summary and "Traitements" in summary
        # Nothing half-saved.
        after = EmergencyFile.objects.get(beneficiary=b)
        assert (after.version, after.kept_at) == (before.version, before.kept_at)
        assert not AuditEvent.objects.filter(action="dlu.updated").exists()

    def test_a_draft_shows_dlu_incomplet_with_the_list(self, client, users, b):
        unset(b, "allergies_status")
        client.force_login(users["nurse"])
        response = client.post(url("dlu_edit", b), form_data(b, kept_at="Dans l'entrée",
                                                             action="draft"))
        assert response.status_code == 302
        text = visible_text(client.get(url("dlu", b)))
        assert "DLU incomplet" in text and "Allergies : non renseignées" in text
        assert "Allergies non renseignées : précisez-les, ou choisissez « Aucune allergie " \
               "connue »." in text
        assert "Relu, toujours exact" not in text  # cannot be validated as it is

    def test_bad_answer_in_the_dlu_form(self, client, users, b):
        client.force_login(users["nurse"])
        response = client.post(url("dlu_edit", b), form_data(
            b, allergies_status="none_known", action="draft"))
        assert response.status_code == 400
        assert "effacez ce texte" in field_error(response, "allergies")
        assert MedicalRecord.objects.get(beneficiary=b).allergies_status == "documented"

    def test_bad_answer_in_the_medical_section_form(self, client, users, b):
        client.force_login(users["nurse"])
        record = MedicalRecord.objects.get(beneficiary=b)
        data = {f: getattr(record, f) for f in file_services.MEDICAL_FIELDS}
        data.update(version=record.version, resuscitation_status="sans doute",
                    has_palliative_sheet="on")
        medical_edit = reverse("beneficiaries:medical_edit", kwargs={"public_id": b.public_id})
        response = client.post(medical_edit, data)
        assert response.status_code == 400
        assert "Choix inconnu" in field_error(response, "resuscitation_status")
        data.update(resuscitation_status="limited", resuscitation_decision="")
        response = client.post(medical_edit, data)
        assert response.status_code == 400
        assert "Précisez la limitation décidée" in field_error(response,
                                                                "resuscitation_decision")
        assert MedicalRecord.objects.get(beneficiary=b).version == record.version

    def test_review_refused_while_incomplete(self, client, users, b):
        unset(b, "resuscitation_status")
        ef = EmergencyFile.objects.get(beneficiary=b)
        client.force_login(users["nurse"])
        response = client.post(url("dlu_review", b), {"version": ef.version,
                                                      "medical_version": b.medical.version})
        assert response.status_code == 400
        text = visible_text(response)
        assert "Le DLU ne peut pas être validé tant que ces réponses manquent" in text
        assert "Décision de réanimation non renseignée" in text
        assert EmergencyFile.objects.get(beneficiary=b).reviewed_by == users["doctor"]

    def test_the_oncall_screen_tells_none_from_unknown(self, client, users, b):
        unset(b, "allergies_status")
        client.force_login(users["nurse"])
        page = reverse("oncall:person", kwargs={"public_id": b.public_id})
        text = visible_text(client.get(page))
        assert "Allergies : non renseignées" in text and "DLU incomplet" in text
        MedicalRecord.objects.filter(beneficiary=b).update(allergies_status="none_known")
        text = visible_text(client.get(page))
        assert "Allergies : Aucune allergie connue" in text and "DLU incomplet" not in text

    def test_pdf_tells_none_from_unknown(self, client, users, b):
        client.force_login(users["nurse"])
        MedicalRecord.objects.filter(beneficiary=b).update(allergies_status="none_known",
                                                           allergies="")
        text, pages = pdf_text(client.get(url("dlu_pdf", b)))
        assert "Aucune allergie connue" in text and "DLU INCOMPLET" not in text.upper()
        assert pages == 1
        unset(b, "allergies_status")
        text, _ = pdf_text(client.get(url("dlu_pdf", b)))
        assert "ALLERGIES : non renseignées" in text
        assert "DLU INCOMPLET : Allergies non renseignées" in text
        assert "Aucune allergie connue »" in text  # the message says what to choose


class TestDataMigration:
    def test_texts_become_answers_and_empty_stays_unknown(self, crt_a):
        import importlib

        from django.apps import apps

        migration = importlib.import_module(
            "maillage.beneficiaries.migrations.0005_medical_essentials_status")
        people = {}
        for key, texts in {
            "written": {"allergies": "Iode", "treatments": "Kardégic",
                        "advance_directives": "Rédigées en 2023",
                        "resuscitation_decision": "Pas d'intubation"},
            "empty": {"allergies": "  ", "treatments": "", "advance_directives": "",
                      "resuscitation_decision": ""},
            "no_limit": {"resuscitation_decision": "Pas de limitation des soins."},
            "said_none": {"allergies": "Aucune connue", "treatments": "aucun",
                          "advance_directives": "Pas de directives rédigées",
                          "resuscitation_decision": "LATA : pas de massage cardiaque"},
        }.items():
            person = BeneficiaryFactory(crt=crt_a)
            MedicalRecord.objects.filter(beneficiary=person).update(
                **{"allergies": "", "allergies_status": "", **texts})
            people[key] = person
        migration.statuses_from_texts(apps, None)

        def statuses(key):
            return MedicalRecord.objects.filter(beneficiary=people[key]).values_list(
                "allergies_status", "treatments_status", "advance_directives_status",
                "resuscitation_status").get()

        # An ambiguous resuscitation text is left for the doctor to choose (its words kept).
        assert statuses("written") == ("documented", "documented", "documented", "")
        assert statuses("said_none") == ("none_known", "none", "none", "limited")
        assert statuses("empty") == ("", "", "", "")  # unknown, never "none"
        assert statuses("no_limit")[3] == "full"
