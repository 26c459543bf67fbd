"""Referrals: the public form (no reading back, flood protection), internal intake, review
with eligibility and its override, emails to the referrer, the waiting list order."""

from datetime import date, timedelta

import pytest
from django.core.cache import cache
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from maillage.admissions.eligibility import eligibility_checks, priority
from maillage.admissions.models import Enrolment, Referral
from maillage.beneficiaries.tests.factories import BeneficiaryFactory
from maillage.core.models import AuditEvent, OutboxMessage
from maillage.core.tests.helpers import field_error, table_text, visible_text
from maillage.territory.tests.factories import CommuneFactory, OrganizationFactory

from .factories import ReferralFactory


@pytest.fixture(autouse=True)
def _clear_rate_limits(db):
    cache.clear()  # the cache is a database table (maillage_cache)


@pytest.fixture
def cande(crt_a):
    return CommuneFactory(crt=crt_a, name="Candé", travel_minutes=18)


def public_data(**changes):
    data = {
        "referrer_kind": "caregiver", "referrer_name": "Sophie Lemaire",
        "referrer_email": "sophie.lemaire@example.fr", "person_last_name": "Lemaire",
        "person_first_name": "Odette", "person_birth_date": "1936-04-02",
        "person_commune_name": "Candé", "reason": "Ma mère tombe souvent et vit seule.",
        "priority_situations": ["isolation", "no_caregiver_nearby"], "person_agrees": "on",
    }
    data.update(changes)
    return {k: v for k, v in data.items() if v is not None}


class TestPublicForm:
    def url(self, crt):
        return reverse("admissions:public_referral", kwargs={"crt_id": crt.public_id})

    def test_submission_lands_as_received_and_shows_nothing_back(
        self, client, crt_a, cande, mailoutbox, django_capture_on_commit_callbacks
    ):
        with django_capture_on_commit_callbacks(execute=True):  # sent after the commit
            response = client.post(self.url(crt_a), public_data())
        assert response.status_code == 302
        thanks = client.get(response["Location"])
        text = visible_text(thanks)
        assert "Demande envoyée" in text and "Lemaire" not in text and "Odette" not in text
        referral = Referral.objects.get()
        assert (referral.status, referral.source, referral.person_commune) == (
            "received", "public", cande)
        assert referral.priority_situations == ["isolation", "no_caregiver_nearby"]
        assert mailoutbox[0].to == ["sophie.lemaire@example.fr"]
        assert "a bien reçu votre demande" in mailoutbox[0].body
        event = AuditEvent.objects.get(action="referral.received")
        assert event.actor is None and event.crt == crt_a

    def test_bad_input_is_explained_and_nothing_saved(self, client, crt_a):
        response = client.post(self.url(crt_a), public_data(
            person_agrees=None, referrer_email="pas-un-courriel", person_last_name=""))
        assert response.status_code == 400
        text = visible_text(response)
        assert "La demande nécessite l'accord de la personne." in text
        assert "Saisissez une adresse de courriel valide." in text
        assert "Indiquez le nom de la personne." in text
        assert not Referral.objects.exists()

    def test_floods_are_rejected(self, client, crt_a):
        for _ in range(5):
            assert client.post(self.url(crt_a), public_data()).status_code == 302
        response = client.post(self.url(crt_a), public_data())
        assert response.status_code == 429
        assert "Trop de demandes" in visible_text(response)
        assert Referral.objects.count() == 5

    def test_refused_posts_do_not_use_up_the_allowance(self, client, crt_a, monkeypatch):
        from maillage.admissions import views

        # A referrer fixing typos: refused posts (no person's name) are not counted...
        for _ in range(7):
            response = client.post(self.url(crt_a), public_data(person_last_name=""))
            assert response.status_code == 400
            assert "Indiquez le nom de la personne." in visible_text(response)
        response = client.post(self.url(crt_a), public_data())
        assert response.status_code == 302
        assert Referral.objects.count() == 1
        # ... but a flood of invalid posts still meets a (higher) ceiling.
        monkeypatch.setattr(views, "PUBLIC_POST_LIMIT", 10)
        for _ in range(2):
            client.post(self.url(crt_a), public_data(person_last_name=""))
        response = client.post(self.url(crt_a), public_data(person_last_name=""))
        assert response.status_code == 429
        assert "Trop de demandes" in visible_text(response)

    def test_robots_filling_the_honeypot_save_nothing(self, client, crt_a):
        response = client.post(self.url(crt_a), public_data(website="http://spam"))
        assert response.status_code == 302
        assert not Referral.objects.exists()

    def test_the_team_finds_the_link_to_share(self, client, users, crt_a):
        client.force_login(users["coordinator"])
        page = visible_text(client.get(reverse("admissions:referral_list")))
        assert f"/admissions/orientation/{crt_a.public_id}/" in page

    def test_the_public_cannot_read_referrals(self, client, crt_a):
        referral = ReferralFactory(crt=crt_a)
        for name, kwargs in [("admissions:referral_detail", {"public_id": referral.public_id}),
                             ("admissions:waiting_list", {}), ("admissions:referral_list", {})]:
            response = client.get(reverse(name, kwargs=kwargs))
            assert response.status_code == 302 and "/connexion/" in response["Location"]
        page = visible_text(client.get(self.url(crt_a)))
        assert referral.person_last_name not in page


class TestEligibility:
    def test_checks(self, crt_a, cande):
        far = CommuneFactory(crt=crt_a, name="Loin", travel_minutes=50)
        no_v2 = CommuneFactory(crt=crt_a, name="Volet1", covers_volet2=False)
        ok = ReferralFactory.build(crt=crt_a, person_commune=cande, known_gir=3,
                                   person_birth_date=date(1940, 1, 1), person_agrees=True)
        assert eligibility_checks(ok) == []
        cases = [
            ({"person_commune": far}, "travel", "au-delà de 35 min"),
            ({"person_commune": no_v2}, "territory", "n'est pas couverte par le volet 2"),
            ({"person_commune": None}, "territory", "pas dans le territoire"),
            ({"known_gir": 5}, "gir", "GIR 5"),
            ({"lives_in_institution": True}, "home", "vit en établissement"),
            ({"person_birth_date": timezone.localdate() - timedelta(days=365 * 55)}, "age",
             "60 ans"),
        ]
        for changes, code, text in cases:
            referral = ReferralFactory.build(crt=crt_a, person_commune=cande, known_gir=3,
                                             person_birth_date=date(1940, 1, 1),
                                             person_agrees=True)
            for field, value in changes.items():
                setattr(referral, field, value)
            checks = eligibility_checks(referral)
            assert [c.code for c in checks] == [code]
            assert checks[0].blocking and text in checks[0].message

    def test_the_file_opened_for_the_request_is_the_person(self, crt_a, cande):
        """Its commune, birth date and evaluated GIR, rather than what the request said."""
        far = CommuneFactory(crt=crt_a, name="Loin", travel_minutes=50)
        b = BeneficiaryFactory(crt=crt_a, commune=cande, birth_date=date(1940, 1, 1),
                               current_gir=5)
        referral = ReferralFactory.build(crt=crt_a, person_commune=far, known_gir=3,
                                         person_birth_date=None, person_agrees=True,
                                         beneficiary=b)
        checks = eligibility_checks(referral)
        assert [(c.code, c.message) for c in checks] == [
            ("gir", "GIR 5 : le volet 2 accompagne les personnes en GIR 1 à 4.")]
        b.current_gir = None  # not evaluated yet: the request's
        assert eligibility_checks(referral) == []

    def test_priority_is_explained(self, crt_a):
        referral = ReferralFactory.build(
            crt=crt_a, priority_situations=["hospital_return", "isolation"], urgency="urgent",
            hospital_discharge=True, known_gir=2)
        rank = priority(referral)
        assert rank.score == 2 + 2 + 2 + 1
        assert rank.reasons == ["Retour d'hospitalisation", "Isolement de la personne",
                                "Demande urgente",
                                "Admission préconisée en sortie d'hospitalisation", "GIR 2"]


class TestReview:
    def url(self, referral):
        return reverse("admissions:referral_detail", kwargs={"public_id": referral.public_id})

    def decide(self, client, referral, **data):
        return client.post(self.url(referral), {"form": "decision",
                                                "version": referral.version, **data})

    def test_accept_onto_the_waiting_list(self, client, users, crt_a, cande, mailoutbox,
                                          django_capture_on_commit_callbacks):
        referral = ReferralFactory(crt=crt_a, person_commune=cande, known_gir=3,
                                   person_birth_date=date(1940, 1, 1), person_agrees=True)
        client.force_login(users["coordinator"])
        with django_capture_on_commit_callbacks(execute=True):
            response = self.decide(client, referral, decision="accept",
                                   next_step="Visite à domicile avec le SSIAD",
                                   next_step_owner=users["nurse"].public_id)
        assert response.status_code == 302
        referral.refresh_from_db()
        assert referral.status == "waiting" and referral.next_step_owner == users["nurse"]
        # The referrer's address is an MSSanté one: the message leaves by MSSanté, never by
        # the ordinary e-mail backend (core.outbox.outbox_add).
        sent = OutboxMessage.objects.filter(to=referral.referrer_email).latest("pk")
        assert sent.kind == "mssante" and mailoutbox == []
        assert "inscrite sur la liste d'attente" in sent.body
        assert AuditEvent.objects.filter(action="referral.accepted").exists()
        waiting = table_text(client.get(reverse("admissions:waiting_list")))
        assert referral.person_last_name.upper() in waiting
        assert "Visite à domicile avec le SSIAD" in waiting

    def test_out_of_criteria_needs_a_written_justification(self, client, users, crt_a):
        far = CommuneFactory(crt=crt_a, travel_minutes=60)
        referral = ReferralFactory(crt=crt_a, person_commune=far, known_gir=3,
                                   person_agrees=True)
        client.force_login(users["coordinator"])
        response = self.decide(client, referral, decision="accept")
        assert response.status_code == 400
        assert "justifiez par écrit" in visible_text(response)
        referral.refresh_from_db()
        assert referral.status == "received"
        response = self.decide(client, referral, decision="accept",
                               override="Famille s'installe à Segré le mois prochain.")
        assert response.status_code == 302
        referral.refresh_from_db()
        assert referral.eligibility_override == "Famille s'installe à Segré le mois prochain."

    def test_decline_and_redirect_need_a_reason(self, client, users, crt_a, mailoutbox,
                                                django_capture_on_commit_callbacks):
        dac = OrganizationFactory(crt=crt_a, name="DAC 49", kind="dac")
        first, second = ReferralFactory(crt=crt_a), ReferralFactory(crt=crt_a)
        client.force_login(users["coordinator"])
        assert self.decide(client, first, decision="decline").status_code == 400
        assert self.decide(client, second, decision="redirect", reason="Situation complexe"
                           ).status_code == 400
        assert self.decide(client, first, decision="decline", reason="GIR 6.").status_code \
            == 302
        with django_capture_on_commit_callbacks(execute=True):
            assert self.decide(client, second, decision="redirect",
                               reason="Situation complexe",
                               redirected_to=dac.public_id).status_code == 302
        second.refresh_from_db()
        assert (second.status, second.redirected_to) == ("redirected", dac)
        sent = OutboxMessage.objects.filter(to=second.referrer_email).latest("pk")
        assert sent.kind == "mssante" and mailoutbox == []
        assert "réorientée vers DAC 49" in sent.body

    def test_second_review_is_refused(self, client, users, crt_a, make_user):
        referral = ReferralFactory(crt=crt_a)
        first = make_user(crt_a, "coordinator", first_name="Anne", last_name="Aubry")
        first_client = Client()
        first_client.force_login(first)
        client.force_login(users["coordinator"])
        assert client.get(self.url(referral)).status_code == 200  # B opens the request
        self.decide(first_client, referral, decision="decline", reason="Hors territoire")
        # B decides from the page loaded before A's decision: told who decided and when.
        response = self.decide(client, referral, decision="accept")
        assert response.status_code == 409
        referral.refresh_from_db()
        when = timezone.localtime(referral.decided_at)
        assert (f"Cette demande a déjà été traitée par Anne Aubry le "
                f"{when:%d/%m/%Y à %H:%M} (refusée)") in visible_text(response)
        assert "Accès refusé" not in visible_text(response)
        assert (referral.status, referral.decision_reason) == ("declined", "Hors territoire")

    def test_concurrent_next_step_edit(self, client, users, crt_a):
        referral = ReferralFactory(crt=crt_a, status="waiting", next_step="Visite")
        client.force_login(users["coordinator"])
        data = {"form": "next_step", "version": 1, "next_step_owner": users["nurse"].public_id}
        response = client.post(self.url(referral), {**data, "next_step": "Évaluation médicale"},
                               follow=True)
        assert response.redirect_chain[0][1] == 302
        assert "Prochaine étape enregistrée : Évaluation médicale." in visible_text(response)
        response = client.post(self.url(referral), {**data, "next_step": "Commission"})
        assert response.status_code == 409
        referral.refresh_from_db()
        assert referral.next_step == "Évaluation médicale"

    def test_nurse_can_read_but_not_decide(self, client, users, crt_a):
        referral = ReferralFactory(crt=crt_a)
        client.force_login(users["nurse"])
        page = visible_text(client.get(self.url(referral)))
        assert "Examiner la demande" not in page
        assert self.decide(client, referral, decision="decline", reason="x").status_code == 403

    def test_possible_duplicates_are_shown(self, client, users, crt_a):
        BeneficiaryFactory(crt=crt_a, birth_name="LEMAIRE", first_name="Odette",
                           birth_date=date(1936, 4, 2))
        referral = ReferralFactory(crt=crt_a, person_last_name="Lemaire",
                                   person_first_name="Odette",
                                   person_birth_date=date(1936, 4, 2))
        ReferralFactory(crt=crt_a, person_last_name="LEMAIRE", person_first_name="Odette",
                        person_birth_date=date(1936, 4, 2))
        client.force_login(users["coordinator"])
        text = visible_text(client.get(self.url(referral)))
        assert "Doublons possibles" in text and "Dossier : LEMAIRE Odette" in text
        assert "Autre demande" in text


def test_waiting_list_order_and_capacity(client, users, crt_a, django_assert_max_num_queries):
    now = timezone.now()
    old_plain = ReferralFactory(crt=crt_a, status="waiting", person_last_name="Ancienne",
                                received_at=now - timedelta(days=40))
    urgent = ReferralFactory(crt=crt_a, status="waiting", person_last_name="Urgente",
                             urgency="urgent", received_at=now - timedelta(days=2))
    new_plain = ReferralFactory(crt=crt_a, status="waiting", person_last_name="Recente",
                                received_at=now - timedelta(days=3))
    for _ in range(25):
        ReferralFactory(crt=crt_a, status="waiting")
    b = BeneficiaryFactory(crt=crt_a)
    Enrolment.objects.create(crt=crt_a, beneficiary=b, admitted_on=date(2025, 1, 1),
                             referent=users["coordinator"], gir_at_entry=3)
    client.force_login(users["coordinator"])
    # 11: the « Messages » badge of a user without a stored counter yet is its rule (+1).
    with django_assert_max_num_queries(11):
        response = client.get(reverse("admissions:waiting_list"))
    text = table_text(response)
    assert text.index("URGENTE") < text.index("ANCIENNE") < text.index("RECENTE")
    assert "40 jours" in text and "Demande urgente" in text
    assert "File active : 1 / cible 30" in visible_text(response)
    assert {old_plain.status, urgent.status, new_plain.status} == {"waiting"}


def test_waiting_list_is_shared_with_the_partners_who_evaluate(client, users, crt_a):

    from maillage.admissions.models import AdmissionStep
    from maillage.territory.tests.factories import ProfessionalFactory

    ssiad = OrganizationFactory(crt=crt_a, kind="ssiad")
    me = ProfessionalFactory(crt=crt_a, user=users["partner"], organization=ssiad)
    referred = ReferralFactory(crt=crt_a, status="waiting", person_last_name="Orientee",
                               referrer_professional=me)
    visited = ReferralFactory(crt=crt_a, status="waiting", person_last_name="Visitee")
    step = AdmissionStep.objects.create(crt=crt_a, referral=visited, kind="home_visit",
                                        done_on=timezone.localdate(), done_by=users["nurse"])
    step.joint_organizations.set([ssiad])
    ReferralFactory(crt=crt_a, status="waiting", person_last_name="Autre")
    client.force_login(users["partner"])
    response = client.get(reverse("admissions:waiting_list"))
    rows = table_text(response)
    assert "ORIENTEE" in rows and "VISITEE" in rows and "AUTRE" not in rows
    assert 'href="/admissions/demandes/' not in response.content.decode()
    assert client.get(reverse("admissions:referral_detail",
                              kwargs={"public_id": referred.public_id})).status_code == 403
    client.force_login(users["coordinator"])
    assert "AUTRE" in table_text(client.get(reverse("admissions:waiting_list")))


def test_a_request_says_every_error_at_once_next_to_its_field(client, users):
    """A birth date in the future and a GIR of 7: both at the first submission, each in the
    form's words (the date alone came first, then Django's « Assurez-vous que cette valeur
    est inférieure ou égale à 6. »)."""
    client.force_login(users["coordinator"])
    response = client.post(reverse("admissions:referral_create"), {
        "person_last_name": "Lemaire", "person_first_name": "Odette",
        "person_birth_date": "2030-01-01", "known_gir": "7", "referrer_kind": "family",
        "referrer_name": "Sophie Lemaire", "reason": "Chutes répétées", "urgency": "normal"})
    assert response.status_code == 400
    assert field_error(response, "person_birth_date") == (
        "La date de naissance doit être comprise entre le 01/01/1900 et aujourd'hui.")
    assert field_error(response, "known_gir") == "Le GIR va de 1 à 6."
    assert not Referral.objects.exists()
