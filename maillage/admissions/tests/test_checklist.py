"""Admission as one checklist (issue 11, item 2): the rules between steps (no contract before
the plan, no decision without the recorded agreement), the capacity, each step's own fields,
the forms opened in place (htmx) and concurrent edits."""

import html as html_lib
import re

import pytest
from django.urls import reverse
from django.utils import timezone

from maillage.admissions import services
from maillage.admissions.models import AdmissionStep, Contract, Enrolment, Referral
from maillage.admissions.tests.factories import ReferralFactory, enrolment
from maillage.beneficiaries.models import Consent
from maillage.beneficiaries.tests.factories import BeneficiaryFactory, consent
from maillage.care.tests.factories import plan_version
from maillage.core.errors import ConflictError, DomainError
from maillage.core.models import AuditEvent
from maillage.core.tests.helpers import visible_text
from maillage.territory.tests.factories import OrganizationFactory

TODAY = timezone.localdate()
HX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def waiting(crt_a):
    b = BeneficiaryFactory(crt=crt_a, birth_name="LEMAIRE", first_name="Odette",
                           current_gir=3)
    consent(b)
    return ReferralFactory(crt=crt_a, status="waiting", beneficiary=b, known_gir=3,
                           person_last_name="Lemaire", person_first_name="Odette")


def url(name, referral):
    return reverse(f"admissions:{name}", kwargs={"public_id": referral.public_id})


def do(actor, referral, kind, **fields):
    referral.refresh_from_db()
    return services.step_record(actor=actor, referral=referral, kind=kind, done_on=TODAY,
                                outcome="favourable", **fields)


def all_steps_but_agreement(actor, referral):
    for kind in ("home_visit", "medical_evaluation", "team_opinion"):
        do(actor, referral, kind)
    do(actor, referral, "plan_drafted", plan_summary="Passages matin et soir.")
    services.contract_generate(actor=actor, referral=referral)
    do(actor, referral, "contract_signed")


def decide(actor, referral, **fields):
    referral.refresh_from_db()
    return services.admission_decide(actor=actor, referral=referral, admitted_on=TODAY,
                                      referent=actor, **fields)


class TestRules:
    def test_no_contract_before_the_plan(self, users, waiting):
        coordinator = users["coordinator"]
        with pytest.raises(DomainError, match="élaborez d'abord le plan"):
            services.contract_generate(actor=coordinator, referral=waiting)
        assert not Contract.objects.exists()
        do(coordinator, waiting, "plan_drafted", plan_summary="Aide-soignante matin et soir.")
        assert services.contract_generate(actor=coordinator, referral=waiting)

    def test_a_care_plan_version_is_enough_for_the_contract(self, users, waiting):
        plan_version(waiting.beneficiary)
        assert services.contract_blocker(waiting) == ""
        assert services.contract_generate(actor=users["coordinator"], referral=waiting)

    def test_no_decision_without_the_agreement(self, users, waiting):
        coordinator = users["coordinator"]
        all_steps_but_agreement(coordinator, waiting)
        with pytest.raises(DomainError, match="accord de la personne ou de son représentant"):
            decide(coordinator, waiting)
        # Not even on the emergency path (admission first, steps after).
        Referral.objects.filter(pk=waiting.pk).update(hospital_discharge=True)
        with pytest.raises(DomainError, match="accord de la personne"):
            decide(coordinator, waiting)
        assert not Enrolment.objects.exists()
        do(coordinator, waiting, "agreement", agreed_by="person", agreement_method="written")
        assert decide(coordinator, waiting).beneficiary == waiting.beneficiary

    def test_agreement_is_kept_in_the_file_and_audited(self, users, waiting):
        coordinator = users["coordinator"]
        step = do(coordinator, waiting, "agreement", agreed_by="person",
                  agreement_method="oral")
        assert (step.agreed_by, step.agreement_method) == ("person", "oral")
        kept = Consent.objects.get(beneficiary=waiting.beneficiary, kind="contract")
        assert kept.granted and kept.method == "oral" and kept.collected_on == TODAY
        assert "la personne elle-même" in kept.scope_notes
        event = AuditEvent.objects.get(action="admission_step.recorded")
        assert event.details["accord de"] == "La personne elle-même"
        assert event.beneficiary_public_id == waiting.beneficiary.public_id
        assert waiting.beneficiary.timeline.filter(kind="admission.agreement").exists()

    def test_legal_representative_must_be_named_in_the_file(self, users, waiting):
        coordinator = users["coordinator"]
        with pytest.raises(DomainError, match="n'indique pas de représentant légal"):
            do(coordinator, waiting, "agreement", agreed_by="legal_representative",
               agreement_method="written")
        assert not AdmissionStep.objects.exists()
        b = waiting.beneficiary
        b.protection_measure, b.protection_contact = "guardianship", "UDAF 49, M. Garnier"
        b.save()
        step = do(coordinator, waiting, "agreement", agreed_by="legal_representative",
                  agreement_method="written")
        assert step.agreed_by_name == "UDAF 49, M. Garnier"
        kept = Consent.objects.get(beneficiary=b, kind="contract")
        assert kept.method == "representative" and "UDAF 49" in kept.scope_notes

    def test_agreement_needs_who_and_how(self, users, waiting):
        with pytest.raises(DomainError) as error:
            do(users["coordinator"], waiting, "agreement", agreed_by="", agreement_method="oral")
        assert error.value.field == "agreed_by"

    def test_above_capacity_needs_a_justification_audited(self, users, crt_a, waiting):
        coordinator = users["coordinator"]
        crt_a.places = 2
        crt_a.save()
        for _ in range(2):
            enrolment(BeneficiaryFactory(crt=crt_a), referent=coordinator)
        all_steps_but_agreement(coordinator, waiting)
        do(coordinator, waiting, "agreement", agreed_by="person", agreement_method="oral")
        with pytest.raises(DomainError) as error:
            decide(coordinator, waiting)
        assert error.value.field == "capacity_justification"
        assert "Capacité atteinte : 2 personnes accompagnées pour 2 places." in \
            error.value.message
        e = decide(coordinator, waiting,
                   capacity_justification="Sortie d'hospitalisation sans autre solution.")
        assert e.capacity_justification == "Sortie d'hospitalisation sans autre solution."
        event = AuditEvent.objects.get(action="enrolment.opened")
        assert event.details == {
            "capacité": "Capacité atteinte : 2 personnes accompagnées pour 2 places.",
            "justification": "Sortie d'hospitalisation sans autre solution."}

    def test_below_capacity_needs_nothing(self, users, waiting):
        coordinator = users["coordinator"]
        all_steps_but_agreement(coordinator, waiting)
        do(coordinator, waiting, "agreement", agreed_by="person", agreement_method="oral")
        e = decide(coordinator, waiting, capacity_justification="inutile")
        assert e.capacity_justification == ""
        assert AuditEvent.objects.get(action="enrolment.opened").details == {}

    def test_a_stale_version_is_a_conflict(self, users, waiting):
        coordinator = users["coordinator"]
        version = waiting.version
        do(coordinator, waiting, "home_visit", version=version)
        with pytest.raises(ConflictError):
            do(coordinator, waiting, "medical_evaluation", version=version)
        assert list(waiting.steps.values_list("kind", flat=True)) == ["home_visit"]


class TestChecklistPage:
    def test_states_and_blocked_steps_say_why(self, client, users, waiting):
        client.force_login(users["coordinator"])
        do(users["nurse"], waiting, "home_visit")
        page = visible_text(client.get(url("referral_detail", waiting)))
        assert "Admission : les étapes" in page
        assert "2 étapes faites sur 8." in page  # was « 2 sur 8 faits. »
        assert "Dossier de la personne (ouvert ou relié) Fait LEMAIRE Odette" in page
        assert f"Visite à domicile d'évaluation Fait le {TODAY:%d/%m/%Y} par " \
               f"{users['nurse'].get_full_name()} — avis : favorable" in page
        # The medical evaluation is the coordinating doctor's (SPEC §4.2).
        assert ("Évaluation médicale À faire Enregistrée par le médecin coordonnateur."
                in page)
        assert "Enregistrer : Évaluation médicale" not in page
        client.force_login(users["doctor"])
        page = visible_text(client.get(url("referral_detail", waiting)))
        assert "Évaluation médicale À faire Enregistrer : Évaluation médicale" in page
        client.force_login(users["coordinator"])
        page = visible_text(client.get(url("referral_detail", waiting)))
        assert "Contrat d'accompagnement (généré puis signé) Bloqué Le plan " \
               "d'accompagnement n'existe pas encore" in page
        assert "Décision d'admission Bloqué L'accord de la personne ou de son représentant " \
               "légal n'est pas enregistré." in page
        assert "Décider l'admission" not in page and "Générer le contrat" not in page

    def test_each_step_shows_its_own_fields(self, client, users, crt_a, waiting):
        OrganizationFactory(crt=crt_a, kind="ssiad", name="SSIAD du Segréen")
        client.force_login(users["coordinator"])
        home = client.get(url("step_add", waiting) + "?etape=home_visit", **HX).content.decode()
        assert 'name="joint_organizations"' in home and 'name="outcome"' in home
        assert 'name="plan_summary"' not in home and 'name="gp_associated"' not in home
        team = client.get(url("step_add", waiting) + "?etape=team_opinion", **HX)
        assert 'name="joint_organizations"' not in team.content.decode()
        plan = client.get(url("step_add", waiting) + "?etape=plan_drafted", **HX)
        assert "<html" not in plan.content.decode()  # a fragment, opened in place
        plan = plan.content.decode()
        assert 'name="plan_summary"' in plan and 'name="outcome"' not in plan
        agreement = visible_text(client.get(url("step_add", waiting) + "?etape=agreement",
                                            **HX))
        assert "La personne elle-même" in agreement
        assert "aucun n'est indiqué dans le dossier" in agreement
        assert "Avis" not in agreement and "Synthèse" not in agreement

    @pytest.mark.parametrize("kind", ["%", "%s", "%25", "home_visit%d", "<b>x</b>"])
    def test_an_unknown_step_is_answered_not_a_500(self, client, users, waiting, kind):
        """The step's kind comes from the request: an unknown one (a « % » broke the ids'
        pattern) offers the steps still due, and is refused next to the field, nothing saved."""
        client.force_login(users["coordinator"])
        response = client.get(url("step_add", waiting), {"etape": kind}, **HX)
        assert response.status_code == 200
        assert 'id="id_step_kind"' in response.content.decode()
        assert "Étape d'admission" in visible_text(response)
        response = client.post(url("step_add", waiting), {
            "kind": kind, "done_on": TODAY.isoformat(), "outcome": "favorable",
            "version": waiting.version}, **HX)
        assert response.status_code == 400
        error = html_lib.unescape(response.content.decode()).split(
            'id="id_step_kind_errors"')[1].split("</div>")[0]
        assert "Cette étape est déjà enregistrée ou n'existe pas." in error
        assert not AdmissionStep.objects.exists()

    def test_a_step_saved_in_place_redraws_the_checklist(self, client, users, waiting):
        client.force_login(users["coordinator"])
        response = client.post(url("step_add", waiting), {
            "kind": "team_opinion", "done_on": TODAY.isoformat(), "outcome": "reserved",
            "version": waiting.version}, **HX)
        assert response.status_code == 200
        assert response["HX-Retarget"] == "#admission"
        page = visible_text(response)
        assert page.startswith("Admission : les étapes Étape enregistrée : Avis de "
                               "l'équipe / commission d'admission.")
        assert "avis : favorable avec réserves" in page

    def test_bad_input_answered_in_place_nothing_saved(self, client, users, waiting):
        client.force_login(users["coordinator"])
        response = client.post(url("step_add", waiting), {
            "kind": "agreement", "done_on": "31/02/2026", "agreed_by": "",
            "version": waiting.version}, **HX)
        assert response.status_code == 400
        html = response.content.decode()
        assert 'class="inline-step-form' in html and "<html" not in html
        page = visible_text(response)
        assert "Date invalide (jj/mm/aaaa)." in page
        assert "Indiquez qui a donné son accord." in page
        assert "Indiquez comment l'accord a été donné." in page
        # The first field in error takes the focus when it swaps in.
        done_on = re.search(r"<input[^>]*name=\"done_on\"[^>]*>", html).group(0)
        assert "autofocus" in done_on and 'aria-invalid="true"' in done_on
        assert 'aria-describedby="id_agreement_done_on_errors"' in done_on
        assert 'id="id_agreement_done_on_errors"' in html
        assert not AdmissionStep.objects.exists()

    def test_concurrent_edit_is_detected(self, client, users, waiting):
        client.force_login(users["coordinator"])
        stale = waiting.version
        do(users["nurse"], waiting, "home_visit")
        response = client.post(url("step_add", waiting), {
            "kind": "team_opinion", "done_on": TODAY.isoformat(),
            "outcome": "favourable", "version": stale}, **HX)
        assert response.status_code == 409
        assert "modifiée par quelqu'un d'autre" in visible_text(response)
        assert waiting.steps.count() == 1

    def test_decision_page_above_capacity(self, client, users, crt_a, waiting):
        client.force_login(users["coordinator"])
        crt_a.places = 1
        crt_a.save()
        page = visible_text(client.get(url("admit", waiting), **HX))
        assert "Justification" not in page  # below capacity: no extra field
        enrolment(BeneficiaryFactory(crt=crt_a), referent=users["coordinator"])
        page = visible_text(client.get(url("admit", waiting), **HX))
        assert "Capacité atteinte : 1 personne accompagnée pour 1 place." in page
        assert "Justification de l'admission au-delà de la capacité" in page
        all_steps_but_agreement(users["coordinator"], waiting)
        do(users["coordinator"], waiting, "agreement", agreed_by="person",
           agreement_method="oral")
        waiting.refresh_from_db()
        response = client.post(url("admit", waiting), {
            "admitted_on": TODAY.isoformat(), "referent": users["coordinator"].public_id,
            "version": waiting.version}, **HX)
        assert response.status_code == 400
        assert "Justifiez l'admission au-delà de la capacité." in visible_text(response)
        response = client.post(url("admit", waiting), {
            "admitted_on": TODAY.isoformat(), "referent": users["coordinator"].public_id,
            "capacity_justification": "Retour d'hospitalisation, aucun autre service.",
            "version": waiting.version}, **HX)
        assert response.status_code == 200
        page = visible_text(response)
        assert "LEMAIRE Odette est admis·e dans la file active." in page
        assert "Décision d'admission Fait admis·e le" in page
        assert Enrolment.objects.get(beneficiary=waiting.beneficiary).capacity_justification

    def test_a_withdrawn_agreement_stops_the_decision(self, client, users, waiting):
        """The agreement step recorded, then the consent to the contract it kept in the file
        withdrawn: withdrawing takes effect at once, so the admission cannot be decided."""
        client.force_login(users["coordinator"])
        all_steps_but_agreement(users["coordinator"], waiting)
        do(users["coordinator"], waiting, "agreement", agreed_by="person",
           agreement_method="oral")
        kept = Consent.objects.get(beneficiary=waiting.beneficiary, kind=Consent.Kind.CONTRACT)
        response = client.post(reverse("beneficiaries:consent_withdraw",
                                       args=[waiting.beneficiary.public_id, kept.public_id]),
                               {"reason": "La personne ne souhaite plus être accompagnée."})
        assert response.status_code == 302
        page = visible_text(client.get(url("referral_detail", waiting)))
        assert (f"Accord de la personne non — consentement au contrat d'accompagnement retiré "
                f"le {TODAY:%d/%m/%Y}") in page
        assert ("Accord de la personne ou de son représentant légal Bloqué le "
                f"{TODAY:%d/%m/%Y} par") in page
        assert ("Décision d'admission Bloqué L'accord de la personne n'est plus en vigueur "
                "(consentement au contrat d'accompagnement retiré le") in page
        assert "Décider l'admission" not in page
        waiting_list = visible_text(client.get(reverse("admissions:waiting_list")))
        assert "L'accord de la personne n'est pas encore recueilli." in waiting_list
        waiting.refresh_from_db()
        response = client.post(url("admit", waiting), {
            "admitted_on": TODAY.isoformat(), "referent": users["coordinator"].public_id,
            "version": waiting.version}, **HX)
        assert response.status_code == 400
        assert "L'accord de la personne n'est plus en vigueur" in visible_text(response)
        assert not Enrolment.objects.filter(beneficiary=waiting.beneficiary).exists()
        # A new consent to the contract, recorded in the file, is the agreement again.
        consent(waiting.beneficiary, kind=Consent.Kind.CONTRACT)
        page = visible_text(client.get(url("referral_detail", waiting)))
        assert "Accord de la personne oui — accord de la personne elle-même" in page
        assert "Décider l'admission" in page
        waiting_list = visible_text(client.get(reverse("admissions:waiting_list")))
        assert "pas encore recueilli" not in waiting_list

    def test_a_refusal_in_the_file_outweighs_the_request(self, client, users, waiting):
        waiting.person_agrees = True
        waiting.save()
        client.force_login(users["coordinator"])
        assert "Accord de la personne oui, d'après la demande" in visible_text(
            client.get(url("referral_detail", waiting)))
        consent(waiting.beneficiary, kind=Consent.Kind.CONTRACT, granted=False)
        page = visible_text(client.get(url("referral_detail", waiting)))
        assert ("Accord de la personne non — la personne refuse le contrat d'accompagnement "
                f"(recueilli le {TODAY:%d/%m/%Y})") in page
        waiting_list = visible_text(client.get(reverse("admissions:waiting_list")))
        assert "L'accord de la personne n'est pas encore recueilli." in waiting_list


class TestAccess:
    def test_allowed_forbidden_and_other_crt(self, client, users, user_b, waiting):
        client.force_login(users["coordinator"])
        assert client.get(url("step_add", waiting) + "?etape=home_visit", **HX) \
            .status_code == 200
        assert client.get(url("admit", waiting), **HX).status_code == 200
        client.force_login(users["care_aide"])
        assert client.get(url("step_add", waiting) + "?etape=home_visit", **HX) \
            .status_code == 403
        client.force_login(users["nurse"])
        assert client.get(url("admit", waiting), **HX).status_code == 403
        client.force_login(user_b)
        for name in ("referral_detail", "step_add", "admit", "contract_generate"):
            assert client.get(url(name, waiting), **HX).status_code == 404


def next_step_form(html: str) -> dict:
    """The fields of the page's « Prochaine étape » form, as the browser would post them."""
    match = re.search(r'<form[^>]*>(?:(?!</form>).)*name="form" value="next_step"'
                      r'(?:(?!</form>).)*</form>', html, re.S)
    assert match, "no « Prochaine étape » form"
    form = match.group(0)
    fields = {}
    for name in ("csrfmiddlewaretoken", "form", "version", "next_step"):
        tag = re.search(rf'<input[^>]*name="{name}"[^>]*>', form).group(0)
        value = re.search(r'value="([^"]*)"', tag)
        fields[name] = html_lib.unescape(value.group(1)) if value else ""
    return fields


class TestPageStaysCurrent:
    """A step saved in place changes the request (its next step, its version, its state): the
    parts of the page that show them are redrawn with the checklist (htmx out of band), so the
    user's next action works without reloading."""

    def test_next_step_saved_after_a_step_saved_in_place(self, client, users, waiting):
        Referral.objects.filter(pk=waiting.pk).update(  # accepted onto the waiting list
            decided_at=timezone.now(), decided_by=users["coordinator"],
            next_step="Visite à domicile d'évaluation")
        waiting.refresh_from_db()
        client.force_login(users["coordinator"])
        page = client.get(url("referral_detail", waiting)).content.decode()
        assert next_step_form(page)["version"] == str(waiting.version)
        response = client.post(url("step_add", waiting), {
            "kind": "home_visit", "done_on": TODAY.isoformat(), "outcome": "favourable",
            "version": waiting.version}, **HX)
        assert response.status_code == 200
        html = response.content.decode()
        waiting.refresh_from_db()
        assert waiting.next_step == "Évaluation médicale"
        fields = next_step_form(html)  # redrawn with the checklist
        assert fields["version"] == str(waiting.version)
        assert fields["next_step"] == "Évaluation médicale"
        assert 'id="referral-next-step" hx-swap-oob="true"' in html
        assert "Prochaine étape : Évaluation médicale" in visible_text(response)
        # The user changes the next step and saves it: no conflict.
        fields.update(next_step="Évaluation médicale avec le médecin traitant",
                      next_step_owner=users["nurse"].public_id)
        response = client.post(url("referral_detail", waiting), fields)
        assert response.status_code == 302
        waiting.refresh_from_db()
        assert waiting.next_step == "Évaluation médicale avec le médecin traitant"

    def test_admitted_in_place_the_header_says_so_and_no_next_step_is_offered(
            self, client, users, waiting):
        coordinator = users["coordinator"]
        all_steps_but_agreement(coordinator, waiting)
        do(coordinator, waiting, "agreement", agreed_by="person", agreement_method="oral")
        waiting.refresh_from_db()
        client.force_login(coordinator)
        response = client.post(url("admit", waiting), {
            "admitted_on": TODAY.isoformat(), "referent": coordinator.public_id,
            "version": waiting.version}, **HX)
        assert response.status_code == 200
        html = response.content.decode()
        status = re.search(r'<p id="referral-status" hx-swap-oob="true">(.*?)</p>', html,
                           re.S)
        assert status and status.group(1).startswith("Admise")
        assert "En liste d'attente" not in visible_text(response)
        # The next-step form is swapped out for nothing.
        assert re.search(r'<div id="referral-next-step" hx-swap-oob="true">\s*</div>', html)
        assert 'value="next_step"' not in html


class TestFileOpenedFromTheRequest:
    """Once the file is opened from the request (and the agreement recorded), the page reads
    the file: it does not list it as a possible duplicate of itself, nor says the agreement is
    missing or the commune out of the territory."""

    @pytest.fixture
    def opened(self, client, users, crt_a):
        from datetime import date

        from maillage.territory.tests.factories import CommuneFactory

        bouille = CommuneFactory(crt=crt_a, name="Bouillé-Ménard")
        # A public request: the commune typed did not match one of the territory.
        referral = ReferralFactory(
            crt=crt_a, status="waiting", source="public", person_last_name="Rabouin",
            person_first_name="Armandine", person_birth_date=date(1934, 6, 9),
            person_commune=None, person_commune_name="Bouille Menard", known_gir=3,
            person_agrees=False)
        client.force_login(users["coordinator"])
        response = client.post(
            reverse("beneficiaries:create") + f"?demande={referral.public_id}", {
                "birth_name": "Rabouin", "first_names": "Armandine", "first_name": "Armandine",
                "birth_date": "1934-06-09", "sex": "F", "birth_place_code": "49054",
                "identity_status": "PROV", "address": "12 rue des Tisserands",
                "commune": bouille.public_id, "demande": referral.public_id})
        assert response.status_code == 302
        referral.refresh_from_db()
        assert referral.beneficiary.commune == bouille
        return referral

    def test_the_file_is_not_its_own_duplicate(self, client, opened):
        page = visible_text(client.get(url("referral_detail", opened)))
        assert "Doublons possibles" not in page
        # Another file for the same person still is.
        other = BeneficiaryFactory(crt=opened.crt, birth_name="RABOUIN", first_name="Armandine",
                                   birth_date=opened.person_birth_date)
        page = visible_text(client.get(url("referral_detail", opened)))
        assert f"Doublons possibles Dossier : {other}" in page
        assert page.count("Dossier : RABOUIN") == 1

    def test_the_agreement_recorded_is_the_persons_agreement(self, client, users, opened):
        page = visible_text(client.get(url("referral_detail", opened)))
        assert "Accord de la personne non recueilli" in page
        assert "À vérifier : L'accord de la personne n'est pas encore recueilli." in page
        response = client.post(url("step_add", opened), {
            "kind": "agreement", "done_on": TODAY.isoformat(), "agreed_by": "person",
            "agreement_method": "oral", "version": opened.version}, **HX)
        assert response.status_code == 200
        expected = (f"Accord de la personne oui — accord de la personne elle-même, oralement, "
                    f"le {TODAY:%d/%m/%Y}")
        for page in (visible_text(response),  # redrawn in place
                     visible_text(client.get(url("referral_detail", opened)))):
            assert expected in page
            assert "pas encore recueilli" not in page
            assert "accord de la personne elle-même, oralement" in page  # the checklist's
        waiting = visible_text(client.get(reverse("admissions:waiting_list")))
        assert "pas encore recueilli" not in waiting

    def test_a_contract_consent_in_the_file_is_the_agreement(self, client, opened):
        consent(opened.beneficiary, kind=Consent.Kind.CONTRACT)
        page = visible_text(client.get(url("referral_detail", opened)))
        assert f"Accord de la personne oui — consentement au contrat d'accompagnement " \
               f"recueilli le {TODAY:%d/%m/%Y} (recueilli oralement)" in page
        assert "pas encore recueilli" not in page

    def test_the_criteria_read_the_files_commune(self, client, opened):
        page = visible_text(client.get(url("referral_detail", opened)))
        assert "Hors critère" not in page and "pas dans le territoire" not in page
        assert "Critères d'éligibilité À vérifier : L'accord de la personne" in page
        waiting = visible_text(client.get(reverse("admissions:waiting_list")))
        assert "RABOUIN Armandine" in waiting and "pas dans le territoire" not in waiting
        # The file's commune out of volet 2: said, with its name.
        commune = opened.beneficiary.commune
        commune.covers_volet2 = False
        commune.save()
        page = visible_text(client.get(url("referral_detail", opened)))
        assert "Hors critère : Bouillé-Ménard n'est pas couverte par le volet 2" in page
