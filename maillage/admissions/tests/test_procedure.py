"""The admission procedure through its pages: steps, contract PDF, decision (normal and
emergency path), file active, temporary and definitive exits."""

import io
import re
from datetime import date, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from pypdf import PdfReader

from maillage.admissions.forfait import forfait_months_refresh
from maillage.admissions.models import AdmissionStep, Contract, Enrolment, Suspension
from maillage.beneficiaries.models import Beneficiary, Document
from maillage.beneficiaries.tests.factories import BeneficiaryFactory, consent, join_care_team
from maillage.core.models import AuditEvent
from maillage.core.roles import Role
from maillage.core.tests.helpers import table_text, visible_text
from maillage.territory.tests.factories import CommuneFactory, OrganizationFactory

from .factories import ReferralFactory, enrolment

TODAY = timezone.localdate()


@pytest.fixture
def waiting(crt_a):
    b = BeneficiaryFactory(crt=crt_a, birth_name="LEMAIRE", first_name="Odette",
                           current_gir=3)
    consent(b)
    return ReferralFactory(crt=crt_a, status="waiting", beneficiary=b, known_gir=3,
                           person_last_name="Lemaire", person_first_name="Odette")


def referral_url(name, referral, **extra):
    return reverse(f"admissions:{name}", kwargs={"public_id": referral.public_id, **extra})


def record(client, referral, kind, **data):
    return client.post(referral_url("step_add", referral), {
        "kind": kind, "done_on": TODAY.isoformat(), "outcome": "favourable", **data})


def agree(client, referral):
    return record(client, referral, "agreement", agreed_by="person", agreement_method="oral")


def plan(client, referral):
    return record(client, referral, "plan_drafted", plan_summary="Passages matin et soir.")


class TestSteps:
    def test_home_visit_with_joint_structures(self, client, users, crt_a, waiting):
        ssiad = OrganizationFactory(crt=crt_a, kind="ssiad", name="SSIAD du Segréen")
        client.force_login(users["nurse"])
        response = record(client, waiting, "home_visit", joint_organizations=[ssiad.public_id])
        assert response.status_code == 302
        step = waiting.steps.get()
        assert list(step.joint_organizations.all()) == [ssiad]
        waiting.refresh_from_db()
        assert waiting.next_step == "Évaluation médicale"
        page = visible_text(client.get(referral_url("referral_detail", waiting)))
        assert "Visite à domicile d'évaluation" in page and "avec SSIAD du Segréen" in page
        assert waiting.beneficiary.timeline.filter(kind="admission.home_visit").exists()

    def test_step_rules(self, client, users, waiting):
        client.force_login(users["doctor"])
        response = record(client, waiting, "plan_drafted")
        assert response.status_code == 400
        assert "Résumez le plan d'accompagnement élaboré" in visible_text(response)
        response = record(client, waiting, "contract_signed")
        assert "Générez d'abord le contrat" in visible_text(response)
        response = record(client, waiting, "home_visit",
                          done_on=(TODAY + timedelta(days=2)).isoformat())
        assert "La date est dans le futur." in visible_text(response)
        assert record(client, waiting, "medical_evaluation", gp_associated="on").status_code \
            == 302
        # Once done, a step is no longer offered.
        response = record(client, waiting, "medical_evaluation")
        assert response.status_code == 400
        assert AdmissionStep.objects.count() == 1

    def test_care_aide_cannot_record_steps(self, client, users, waiting):
        client.force_login(users["care_aide"])
        assert record(client, waiting, "home_visit").status_code == 403

    @pytest.mark.parametrize("role", ["occupational_therapist", "psychologist", "nurse",
                                      "coordinator"])
    def test_the_medical_evaluation_is_the_doctors(self, client, users, waiting, role):
        """SPEC §4.2: the medical evaluation by the coordinating doctor, with the GP."""
        client.force_login(users[role])
        response = record(client, waiting, "medical_evaluation", notes="Vu à domicile.")
        assert response.status_code == 403
        assert ("L'étape « Évaluation médicale » est enregistrée par : médecin coordonnateur."
                in visible_text(response))
        # Nor is it offered among the steps to choose from.
        chooser = visible_text(client.get(referral_url("step_add", waiting)))
        assert "Visite à domicile d'évaluation" in chooser
        assert "Évaluation médicale" not in chooser
        assert not AdmissionStep.objects.exists()

    def test_no_opinion_is_chosen_in_advance(self, client, users, waiting):
        client.force_login(users["doctor"])
        form = client.get(referral_url("step_add", waiting) + "?etape=medical_evaluation")
        assert form.status_code == 200
        assert "checked" not in form.content.decode()
        response = client.post(referral_url("step_add", waiting), {
            "kind": "medical_evaluation", "done_on": TODAY.isoformat(),
            "notes": "MMS 18/30."})
        assert response.status_code == 400
        assert "Indiquez l'avis." in visible_text(response)
        assert not AdmissionStep.objects.exists()
        assert record(client, waiting, "medical_evaluation").status_code == 302
        step = AdmissionStep.objects.get()
        assert (step.kind, step.done_by) == ("medical_evaluation", users["doctor"])

    def test_clinical_text_for_the_coordination_nurses_and_those_involved(
            self, client, users, waiting):
        waiting.reason = "Chutes répétées, MMS 18/30."
        waiting.save()
        for role in ("coordinator", "doctor", "nurse"):
            client.force_login(users[role])
            assert "Chutes répétées" in visible_text(
                client.get(referral_url("referral_detail", waiting)))
        client.force_login(users["psychologist"])
        page = visible_text(client.get(referral_url("referral_detail", waiting)))
        assert "Chutes répétées" not in page
        assert "réservé à la coordination, aux infirmiers et au cercle de soins" in page
        # Once they took part in the admission (a step recorded), they read it.
        assert record(client, waiting, "home_visit", notes="Escaliers raides.").status_code \
            == 302
        page = visible_text(client.get(referral_url("referral_detail", waiting)))
        assert "Chutes répétées" in page and "Escaliers raides." in page
        # A care aide of the person's care team reads it too; another does not.
        client.force_login(users["care_aide"])
        page = visible_text(client.get(referral_url("referral_detail", waiting)))
        assert "Chutes répétées" not in page and "Escaliers raides." not in page
        join_care_team(waiting.beneficiary, users["care_aide"])
        page = visible_text(client.get(referral_url("referral_detail", waiting)))
        assert "Chutes répétées" in page and "Escaliers raides." in page


class TestContract:
    def test_pdf_is_generated_and_reopens(self, client, users, waiting):
        client.force_login(users["coordinator"])
        plan(client, waiting)
        response = client.post(referral_url("contract_generate", waiting), {
            "optional_services": "Portage de repas ; 9,50 ; CCAS de Candé\nCoiffure à domicile;"
                                 "18"})
        assert response.status_code == 302
        contract = Contract.objects.get()
        assert contract.optional_services[0] == {"label": "Portage de repas", "price": "9.50",
                                                 "provider": "CCAS de Candé"}
        download = client.get(referral_url("contract_download", waiting,
                                           item_id=contract.public_id))
        pdf = b"".join(download.streaming_content)
        pages = PdfReader(io.BytesIO(pdf)).pages
        text = " ".join(" ".join(p.extract_text().split()) for p in pages)
        assert "Contrat d'accompagnement renforcé à domicile" in text
        assert "LEMAIRE Odette" in text and "CRT A" in text
        assert "Aucune participation financière ne peut être demandée" in text
        assert "Portage de repas" in text and "9,50 €" in text
        assert "Information et non-opposition au partage" in text
        assert Document.objects.filter(beneficiary=waiting.beneficiary,
                                       category="contract").exists()
        assert AuditEvent.objects.filter(action="contract.downloaded").exists()
        # Signing records the date on the contract; a signed contract is never regenerated.
        assert record(client, waiting, "contract_signed").status_code == 302
        contract.refresh_from_db()
        assert contract.signed_on == TODAY
        response = client.post(referral_url("contract_generate", waiting), {})
        assert "déjà signé" in visible_text(response), visible_text(response)[-700:]

    def test_bad_optional_service_lines(self, client, users, waiting):
        client.force_login(users["coordinator"])
        plan(client, waiting)
        for text, message in [("Repas", "Ligne 1 : écrivez"), ("Repas ; dix", "n'est pas un "
                              "nombre"), ("Repas ; -3", "ne peut pas être négatif")]:
            response = client.post(referral_url("contract_generate", waiting),
                                   {"optional_services": text})
            assert response.status_code == 400
            assert message in visible_text(response)
        assert not Contract.objects.exists()


class TestDecision:
    def admit(self, client, referral, **data):
        return client.post(referral_url("admit", referral), {
            "admitted_on": TODAY.isoformat(), **data})

    def test_normal_path_needs_every_step(self, client, users, waiting):
        client.force_login(users["coordinator"])
        response = self.admit(client, waiting, referent=users["nurse"].public_id)
        assert response.status_code == 400
        assert "Étapes restant à réaliser avant la décision" in visible_text(response)
        record(client, waiting, "home_visit")
        client.force_login(users["doctor"])  # the coordinating doctor's step (SPEC §4.2)
        assert record(client, waiting, "medical_evaluation").status_code == 302
        client.force_login(users["coordinator"])
        record(client, waiting, "team_opinion")
        plan(client, waiting)
        client.post(referral_url("contract_generate", waiting), {})
        record(client, waiting, "contract_signed")
        agree(client, waiting)
        response = self.admit(client, waiting, referent=users["nurse"].public_id)
        assert response.status_code == 302
        e = Enrolment.objects.get()
        assert (e.referent, e.gir_at_entry, e.emergency_path) == (users["nurse"], 3, False)
        waiting.refresh_from_db()
        assert waiting.status == "admitted"

    def test_unfavourable_opinion_blocks(self, client, users, waiting):
        client.force_login(users["coordinator"])
        waiting.hospital_discharge = True
        waiting.save()
        record(client, waiting, "team_opinion", outcome="unfavourable")
        agree(client, waiting)
        response = self.admit(client, waiting, referent=users["nurse"].public_id)
        assert "avis défavorable" in visible_text(response)
        assert not Enrolment.objects.exists()

    def test_emergency_path_admits_first(self, client, users, waiting):
        waiting.hospital_discharge = True
        waiting.save()
        client.force_login(users["coordinator"])
        page = visible_text(client.get(referral_url("admit", waiting)))
        assert "Parcours d'urgence" in page
        agree(client, waiting)
        response = self.admit(client, waiting, referent=users["coordinator"].public_id)
        assert response.status_code == 302
        e = Enrolment.objects.get()
        assert e.emergency_path
        detail = visible_text(client.get(response["Location"]))
        assert "Étapes d'admission restant dues" in detail
        assert "Visite à domicile d'évaluation" in detail
        # The steps can still be completed after admission.
        assert record(client, waiting, "home_visit").status_code == 302

    def test_a_file_is_needed(self, client, users, crt_a):
        referral = ReferralFactory(crt=crt_a, status="waiting", hospital_discharge=True)
        client.force_login(users["coordinator"])
        response = self.admit(client, referral, referent=users["nurse"].public_id)
        assert "Ouvrez ou reliez d'abord le dossier" in visible_text(response)

    def test_open_the_file_from_the_referral(self, client, users, crt_a):
        cande = CommuneFactory(crt=crt_a, name="Candé")
        referral = ReferralFactory(crt=crt_a, status="waiting", person_last_name="Morin",
                                   person_first_name="Hélène Rose",
                                   person_birth_date=date(1937, 2, 3), person_commune=cande)
        client.force_login(users["coordinator"])
        url = reverse("beneficiaries:create") + f"?demande={referral.public_id}"
        page = client.get(url).content.decode()
        assert 'value="Morin"' in page and 'value="Hélène"' in page
        response = client.post(url, {
            "birth_name": "Morin", "first_names": "Hélène Rose", "first_name": "Hélène",
            "birth_date": "1937-02-03", "sex": "F", "birth_place_code": "49331",
            "identity_status": "PROV", "address": "1 rue Haute", "commune": cande.public_id,
            "demande": referral.public_id})
        assert response.status_code == 302
        referral.refresh_from_db()
        assert referral.beneficiary == Beneficiary.objects.get(birth_name="Morin")
        # The link followed again (back button, another tab, the form posted twice): the
        # file already opened, said so (it was « Page introuvable »); no second file.
        for again in (client.get(url), client.post(url, {"demande": referral.public_id})):
            assert again.status_code == 302
            assert again["Location"] == reverse(
                "beneficiaries:detail", kwargs={"public_id": referral.beneficiary.public_id})
        text = visible_text(client.get(again["Location"]))
        assert "Le dossier de cette demande est déjà ouvert : celui de MORIN Hélène." in text
        assert Beneficiary.objects.filter(birth_name="Morin").count() == 1

    def test_the_file_opened_for_a_referral_leads_back_to_it(self, client, users, crt_a):
        """« Annuler » and the breadcrumb of the new file's form return to the referral the
        file is opened for (they led to the list of files, the referral's page lost)."""
        referral = ReferralFactory(crt=crt_a, status="waiting", person_last_name="Morin",
                                   person_first_name="Hélène")
        client.force_login(users["coordinator"])
        page = client.get(reverse("beneficiaries:create") + f"?demande={referral.public_id}")
        back = referral_url("referral_detail", referral)
        links = re.findall(r'<a [^>]*href="([^"]+)"[^>]*>([^<]+)</a>',
                           page.content.decode().split("<main", 1)[1])
        assert (back, "Annuler") in links
        assert (back, "Demande de MORIN Hélène") in links
        assert (reverse("beneficiaries:list"), "Annuler") not in links
        # Without a referral, the form still leads back to the list of files.
        page = client.get(reverse("beneficiaries:create"))
        assert f'href="{reverse("beneficiaries:list")}">Annuler' in page.content.decode()


class TestExits:
    @pytest.fixture
    def stay(self, crt_a, users):
        return enrolment(BeneficiaryFactory(crt=crt_a), referent=users["coordinator"],
                         admitted_on=TODAY - timedelta(days=200))

    def suspend(self, client, stay, **data):
        return client.post(reverse("admissions:suspension_add",
                                   kwargs={"public_id": stay.public_id}),
                           {"kind": "hospitalisation", "reason": "Chute, fracture", **data})

    def test_the_persons_file_leads_to_the_admission_and_tells_the_absence(self, client,
                                                                          users, stay):
        """From the person's file, the coordination reaches the admission's page, where a
        hospitalisation and the return home are recorded (the file said nothing of the file
        active); the file also says that the person is away and the visits suspended."""
        b = stay.beneficiary
        consent(b)
        file_url = reverse("beneficiaries:detail", kwargs={"public_id": b.public_id})
        stay_url = reverse("admissions:enrolment_detail", kwargs={"public_id": stay.public_id})
        client.force_login(users["coordinator"])
        page = client.get(file_url)
        text = visible_text(page)
        assert (f"Volet 2 : dans la file active depuis le {stay.admitted_on:%d/%m/%Y}"
                in text)
        assert f'href="{stay_url}">admission et sorties temporaires</a>' in \
            page.content.decode()
        assert client.get(stay_url).status_code == 200
        assert "Passages suspendus" not in text
        # A partner of the care team reads the file, not the admission: no line, no link.
        join_care_team(b, users["partner"], roles={Role.PARTNER})
        client.force_login(users["partner"])
        page = client.get(file_url)
        assert page.status_code == 200 and "Volet 2 : dans la file active" not in \
            visible_text(page) and stay_url not in page.content.decode()
        client.force_login(users["coordinator"])
        assert self.suspend(client, stay, start_date=TODAY.isoformat(),
                            place="CHU d'Angers").status_code == 302
        assert (f"Hospitalisé·e depuis le {TODAY:%d/%m/%Y} (CHU d'Angers) — date de retour "
                "inconnue. Passages suspendus.") in visible_text(client.get(file_url))
        # After the definitive exit, the file no longer says the person is in the file active.
        Enrolment.objects.filter(pk=stay.pk).update(ended_on=TODAY, exit_reason="death")
        assert "Volet 2 : dans la file active" not in visible_text(client.get(file_url))

    def test_long_hospitalisation_proposes_an_exit(self, client, users, stay):
        client.force_login(users["nurse"])
        start = TODAY - timedelta(days=120)
        assert self.suspend(client, stay, start_date=start.isoformat(),
                            place="CHU d'Angers").status_code == 302
        detail = visible_text(client.get(reverse("admissions:enrolment_detail",
                                                 kwargs={"public_id": stay.public_id})))
        assert "Hospitalisation de plus de 3 mois : une sortie définitive est proposée" in detail
        listing = table_text(client.get(reverse("admissions:file_active"),
                                        {"suspendu": "oui"}))
        assert stay.beneficiary.display_name in listing and "Hospitalisation" in listing

    def test_suspension_rules(self, client, users, stay):
        client.force_login(users["nurse"])
        before = (stay.admitted_on - timedelta(days=1)).isoformat()
        assert "commence avant l'admission" in visible_text(
            self.suspend(client, stay, start_date=before))
        start = (TODAY - timedelta(days=20)).isoformat()
        assert self.suspend(client, stay, start_date=start).status_code == 302
        response = self.suspend(client, stay, start_date=(TODAY - timedelta(days=10)).isoformat())
        assert response.status_code == 400
        assert "chevauche une autre sortie temporaire" in visible_text(response)
        s = Suspension.objects.get()
        url = reverse("admissions:suspension_end", kwargs={"public_id": stay.public_id,
                                                          "item_id": s.public_id})
        response = client.post(url, {"end_date": (TODAY - timedelta(days=30)).isoformat(),
                                     "version": 1})
        assert "La date de fin précède la date de début." in visible_text(response)
        assert client.post(url, {"end_date": TODAY.isoformat(), "version": 1}).status_code \
            == 302

    def test_definitive_exit_and_readmission(self, client, users, stay):
        client.force_login(users["coordinator"])
        self.suspend(client, stay, start_date=(TODAY - timedelta(days=5)).isoformat())
        url = reverse("admissions:enrolment_exit", kwargs={"public_id": stay.public_id})
        data = {"ended_on": TODAY.isoformat(), "exit_reason": "criteria",
                "health_related": "on", "version": 1}
        response = client.post(url, data)
        assert "l'avis du médecin est requis" in visible_text(response)
        response = client.post(url, {**data, "exit_reason": "institution"})
        assert "Indiquez l'établissement d'accueil." in visible_text(response)
        response = client.post(url, {**data, "exit_reason": "institution",
                                     "destination": "EHPAD du Val d'Erdre"})
        assert response.status_code == 302
        stay.refresh_from_db()
        assert (stay.ended_on, stay.exit_reason) == (TODAY, "institution")
        assert stay.suspensions.get().end_date == TODAY  # the open suspension is closed
        assert stay.beneficiary.display_name not in table_text(
            client.get(reverse("admissions:file_active")))
        # A later re-admission is a new enrolment.
        again = enrolment(stay.beneficiary, referent=users["coordinator"], admitted_on=TODAY)
        page = visible_text(client.get(reverse("admissions:enrolment_detail",
                                               kwargs={"public_id": again.public_id})))
        assert "Autres séjours dans le dispositif" in page


def test_file_active_filters_and_budget(client, users, crt_a, django_assert_max_num_queries):
    for i in range(40):
        b = BeneficiaryFactory(crt=crt_a, current_gir=1 + i % 4)
        enrolment(b, referent=users["coordinator"] if i % 2 else users["nurse"],
                  admitted_on=date(TODAY.year, 1, 1))
    forfait_months_refresh(crt=crt_a)  # what the services do (the factory does not)
    client.force_login(users["coordinator"])
    # incl. the « Messages » badge (its stored counter, and its rule while there is none) and
    # the temporary exits' figures
    with django_assert_max_num_queries(13):
        response = client.get(reverse("admissions:file_active"))
    assert "40 personnes affichées" in visible_text(response)
    months = TODAY.month
    assert f"{40 * months} mois-forfait en {TODAY.year}" in visible_text(response)
    by_gir = visible_text(client.get(reverse("admissions:file_active"), {"gir": "2"}))
    assert "10 personnes affichées" in by_gir
    by_referent = visible_text(client.get(reverse("admissions:file_active"),
                                          {"referent": users["nurse"].public_id}))
    assert "20 personnes affichées" in by_referent


def test_file_active_sorted_by_the_name_shown(client, users, crt_a):
    """« Trier par : Nom » sorts by the name the page shows (the used name, else the birth
    name, whatever its case; then the first name shown), in the database (the list is
    paginated)."""
    people = [
        # (birth name, used name, first name, used first name) → shown as
        ("AUBERT", "Vasseur", "Paulette", ""),  # VASSEUR Paulette
        ("MARTIN", "", "Yvette", "Alice"),  # MARTIN Alice
        ("ZIMMER", "Martin", "Berthe", ""),  # MARTIN Berthe
        ("bernard", "", "Odile", ""),  # BERNARD Odile
    ]
    for birth_name, used_name, first_name, used_first_name in people:
        enrolment(BeneficiaryFactory(crt=crt_a, birth_name=birth_name, used_name=used_name,
                                     first_name=first_name, used_first_name=used_first_name),
                  referent=users["coordinator"])
    client.force_login(users["coordinator"])
    rows = table_text(client.get(reverse("admissions:file_active"), {"tri": "nom"}))
    shown = ["BERNARD Odile", "MARTIN Alice", "MARTIN Berthe", "VASSEUR Paulette"]
    assert [rows.index(name) for name in shown] == sorted(rows.index(name) for name in shown)
    # The same order when the people are admitted on the same day (the second key).
    rows = table_text(client.get(reverse("admissions:file_active"), {"tri": "admission"}))
    assert [rows.index(name) for name in shown] == sorted(rows.index(name) for name in shown)
