"""The services catalogue, the basket and the personalised plan (PPCS) through their pages."""

import io
import re
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from pypdf import PdfReader

from maillage.beneficiaries.tests.factories import consent, shared_file
from maillage.care import services
from maillage.care.models import BasketItem, CarePlanVersion, Domain, PlannedAction, Service
from maillage.core.errors import DomainError
from maillage.core.models import AuditEvent
from maillage.core.tests.helpers import field_error, pdf_fonts, table_text, visible_text

from . import factories as f


def plan_url(name, b, **kwargs):
    return reverse(f"care:{name}", kwargs={"public_id": b.public_id, **kwargs})


class TestCatalogue:
    def test_install_the_default_domains(self, client, users, crt_a):
        client.force_login(users["coordinator"])
        assert "Aucun domaine" in visible_text(client.get(reverse("care:catalogue")))
        response = client.post(reverse("care:domains_install"), follow=True)
        assert "5 domaines installés." in visible_text(response)
        names = list(Domain.objects.filter(crt=crt_a).values_list("name", "is_active"))
        assert len(names) == 5 and names[-1] == ("Soutien aux aidants", False)
        response = client.post(reverse("care:domains_install"), follow=True)  # idempotent
        assert "0 domaine installé." in visible_text(response)
        assert Domain.objects.filter(crt=crt_a).count() == 5

    @pytest.mark.parametrize(
        ("funding", "price", "funder", "message"),
        [
            ("forfait", "12", "", "aucun prix ne peut lui être demandé"),
            ("beneficiary", "", "", "Indiquez le prix d'une prestation optionnelle."),
            ("common_law", "", "", "Indiquez le financeur"),
            ("common_law", "5", "apa", "ne mettez pas de prix pour la personne"),
            ("beneficiary", "-2", "", "Le prix ne peut pas être négatif."),
        ],
    )
    def test_funding_rules(self, client, users, crt_a, funding, price, funder, message):
        d = f.domain(crt_a)
        client.force_login(users["coordinator"])
        response = client.post(reverse("care:service_create"), {
            "domain": d.public_id, "name": "Portage de repas", "funding": funding,
            "price": price, "funder": funder, "is_active": "on"})
        assert response.status_code == 400
        assert message in visible_text(response)
        assert not Service.objects.exists()

    def test_optional_service_with_price(self, client, users, crt_a):
        d = f.domain(crt_a)
        client.force_login(users["coordinator"])
        response = client.post(reverse("care:service_create"), {
            "domain": d.public_id, "name": "Portage de repas", "funding": "beneficiary",
            "price": "9,50", "price_unit": "par repas", "is_active": "on"})
        assert response.status_code == 302
        assert Service.objects.get().price == Decimal("9.50")
        assert "9,50 € par repas" in table_text(client.get(reverse("care:catalogue")))

    def test_a_service_s_qualification_for_the_rounds(self, client, users, crt_a):
        d = f.domain(crt_a)
        client.force_login(users["coordinator"])
        response = client.post(reverse("care:service_create"), {
            "domain": d.public_id, "name": "Injection", "funding": "forfait",
            "qualification": "nurse", "is_active": "on"})
        assert response.status_code == 302
        assert Service.objects.get().get_qualification_display() == "Infirmier·ère"
        response = client.post(reverse("care:service_create"), {
            "domain": d.public_id, "name": "Autre", "funding": "forfait",
            "qualification": "doctor", "is_active": "on"})
        assert response.status_code == 400
        assert "Sélectionnez un choix valide" in visible_text(response)

    def test_the_database_refuses_a_priced_socle_service(self, crt_a):
        with pytest.raises(IntegrityError), transaction.atomic():
            Service.objects.create(crt=crt_a, domain=f.domain(crt_a), name="X",
                                   funding="forfait", price=Decimal("1"))


class TestBasket:
    def test_add_and_end(self, client, users, crt_a):
        b = shared_file(crt_a, users["coordinator"])
        svc = f.service(crt_a, name="Téléassistance renforcée")
        client.force_login(users["coordinator"])
        response = client.post(plan_url("basket_add", b), {
            "service": svc.public_id, "start_date": "2025-02-01"})
        assert response.status_code == 302
        again = client.post(plan_url("basket_add", b), {
            "service": svc.public_id, "start_date": "2025-03-01"})
        assert "déjà dans le panier" in visible_text(again)
        item = BasketItem.objects.get()
        end = plan_url("basket_end", b, item_id=item.public_id)
        bad = client.post(end, {"end_date": "2025-01-01", "version": 1})
        assert "La date de fin précède la date de début." in visible_text(bad)
        assert client.post(end, {"end_date": "2025-06-30", "version": 1}).status_code == 302
        item.refresh_from_db()
        assert item.end_date == date(2025, 6, 30)


class TestPlan:
    @pytest.fixture
    def b(self, crt_a, users):
        f.domain(crt_a)
        return shared_file(crt_a, users["coordinator"])

    def test_write_validate_and_revise(self, client, users, crt_a, b):
        client.force_login(users["coordinator"])
        response = client.post(plan_url("plan_start", b))
        draft = CarePlanVersion.objects.get()
        assert response["Location"] == plan_url("plan_version", b, number=1)
        # Validation needs the essentials.
        client.post(plan_url("plan_validate", b, number=1), {"version": 1})
        page = visible_text(client.get(plan_url("plan_version", b, number=1)))
        assert "Avant de valider, renseignez la synthèse de la situation" in page
        client.post(plan_url("plan_edit", b, number=1), {
            "situation_summary": "Vit seule, chutes nocturnes.", "wishes": "Rester chez elle.",
            "referent": users["coordinator"].public_id,
            "next_review_on": (timezone.localdate() + timedelta(days=10)).isoformat(),
            "version": 1})
        client.post(plan_url("plan_add_item", b, number=1, kind="probleme"),
                    {"description": "Chutes nocturnes"})
        client.post(plan_url("plan_add_item", b, number=1, kind="objectif"),
                    {"description": "Aucune chute en 3 mois", "status": "planned"})
        domain = Domain.objects.get()
        response = client.post(plan_url("plan_add_item", b, number=1, kind="action"), {
            "domain": domain.public_id, "description": "Passage du soir",
            "staff": users["care_aide"].public_id, "frequency": "Tous les jours à 19 h"})
        assert response.status_code == 302
        draft.refresh_from_db()
        response = client.post(plan_url("plan_validate", b, number=1),
                               {"version": draft.version})
        assert response.status_code == 302
        draft.refresh_from_db()
        assert draft.is_validated and draft.validated_by == users["coordinator"]
        # A validated version is immutable.
        response = client.post(plan_url("plan_add_item", b, number=1, kind="probleme"),
                               {"description": "Autre"})
        assert response.status_code == 409
        assert draft.problems.count() == 1
        with pytest.raises(DomainError, match="ne peut plus être modifiée"):
            services.careplan_update(actor=users["coordinator"], version=draft,
                                     row_version=draft.version, wishes="x")
        # A new version starts from it; the diff shows what changed.
        client.post(plan_url("plan_start", b))
        second = CarePlanVersion.objects.get(number=2)
        assert second.based_on == draft and second.actions.count() == 1
        action = second.actions.get()
        client.post(plan_url("plan_remove_item", b, number=2, kind="action",
                             item_id=action.public_id))
        client.post(plan_url("plan_add_item", b, number=2, kind="action"), {
            "domain": domain.public_id, "description": "Passage du soir et de nuit",
            "staff": users["care_aide"].public_id, "frequency": "Tous les jours à 19 h et 23 h"})
        client.post(plan_url("plan_edit", b, number=2), {
            "situation_summary": "Vit seule, chutes nocturnes, aidante épuisée.",
            "wishes": "Rester chez elle.", "referent": users["coordinator"].public_id,
            "next_review_on": (timezone.localdate() + timedelta(days=90)).isoformat(),
            "version": second.version})
        diff = visible_text(client.get(plan_url("plan_diff", b) + "?de=1&a=2"))
        assert "aidante épuisée" in diff and "Synthèse de la situation" in diff
        assert "Ajoutée : Sécurisation de l'environnement — Passage du soir et de nuit" in diff
        assert "Retirée : Sécurisation de l'environnement — Passage du soir —" in diff
        assert AuditEvent.objects.filter(action="care_plan.validated").count() == 1

    def test_each_add_form_s_labels_lead_to_its_own_fields(self, client, users, b):
        """The problem, goal and action forms all have a « description »: one id each (three
        inputs shared ``id_description``, every label led to the problem's), and an error
        described on its own field."""
        client.force_login(users["coordinator"])
        client.post(plan_url("plan_start", b))
        html = client.get(plan_url("plan_version", b, number=1)).content.decode()
        ids = re.findall(r'<(?:input|textarea|select)[^>]* id="([^"]+)"', html)
        assert len(ids) == len(set(ids)), sorted(i for i in ids if ids.count(i) > 1)
        for name in ("id_probleme_description", "id_objectif_description", "id_description"):
            assert f'for="{name}"' in html and f'id="{name}"' in html
        response = client.post(plan_url("plan_add_item", b, number=1, kind="objectif"),
                               {"description": "", "status": "planned"})
        assert response.status_code == 400
        page = response.content.decode()
        assert 'aria-describedby="id_objectif_description_errors"' in page
        assert field_error(response, "objectif_description")

    def test_pdf_reopens(self, client, users, crt_a, b):
        version = f.filled(f.plan_version(b, situation_summary="Vit seule à Candé."),
                           users["care_aide"])
        client.force_login(users["nurse"])
        response = client.get(plan_url("plan_pdf", b, number=version.number))
        assert response["Content-Type"] == "application/pdf"
        text = " ".join(" ".join(p.extract_text().split())
                        for p in PdfReader(io.BytesIO(response.content)).pages)
        assert "Plan personnalisé de coordination en santé" in text
        assert "Vit seule à Candé." in text and "Passage du soir" in text
        # The running footer (« Plan personnalisé — … — page 1 / 1 ») in the body's font too.
        assert "page 1 / 1" in text
        assert pdf_fonts(response.content) == {"DejaVu-Sans", "DejaVu-Sans-Bold"}

    def test_bad_action_input(self, client, users, crt_a, b):
        f.plan_version(b)
        client.force_login(users["coordinator"])
        domain = Domain.objects.get()
        response = client.post(plan_url("plan_add_item", b, number=1, kind="action"), {
            "domain": domain.public_id, "description": "Kiné",
            "staff": users["nurse"].public_id, "professional": "",
            "start_date": "2025-05-01", "end_date": "2025-04-01"})
        assert response.status_code == 400
        assert "La fin précède le début." in visible_text(response)
        response = client.post(plan_url("plan_add_item", b, number=1, kind="action"),
                               {"description": ""})
        assert "Choisissez le domaine." in visible_text(response)
        assert not PlannedAction.objects.exists()

    @pytest.mark.parametrize("days, message", [
        (-1, "L'échéance d'un nouvel objectif ne peut pas être passée"),
        (-20000, "L'échéance d'un nouvel objectif ne peut pas être passée"),
        (365 * 5, "Échéance trop lointaine"),
    ])
    def test_a_goal_due_in_the_past_or_too_far(self, client, users, b, days, message):
        from maillage.care.models import Goal

        f.plan_version(b)
        client.force_login(users["coordinator"])
        when = timezone.localdate() + timedelta(days=days)
        response = client.post(plan_url("plan_add_item", b, number=1, kind="objectif"), {
            "description": "Marcher au jardin", "status": "planned",
            "target_date": when.isoformat()})
        assert response.status_code == 400
        assert message in visible_text(response)
        assert 'value="Marcher au jardin"' in response.content.decode()  # the input is kept
        assert not Goal.objects.exists()
        today = timezone.localdate().isoformat()
        response = client.post(plan_url("plan_add_item", b, number=1, kind="objectif"), {
            "description": "Marcher au jardin", "status": "planned", "target_date": today})
        assert response.status_code == 302 and Goal.objects.get().target_date.isoformat() == today

    def test_review_reminders_on_the_home_page(self, client, users, crt_a, b):
        f.plan_version(b, status="validated", referent=users["nurse"],
                       next_review_on=timezone.localdate() - timedelta(days=3))
        other = shared_file(crt_a)
        f.plan_version(other, status="validated",
                       next_review_on=timezone.localdate() + timedelta(days=60))
        client.force_login(users["coordinator"])
        text = visible_text(client.get(reverse("core:home")))
        assert f"{b.display_name} — révision en retard" in text
        assert other.display_name not in text

    def test_partner_needs_planning_consent(self, client, users, crt_a):
        from maillage.beneficiaries.tests.factories import BeneficiaryFactory, join_care_team
        from maillage.core.roles import Role

        b = BeneficiaryFactory(crt=crt_a)
        join_care_team(b, users["partner"], {Role.PARTNER})
        consent(b, share_planning=False)
        client.force_login(users["partner"])
        assert client.get(plan_url("plan", b)).status_code == 403

    def test_plan_attaches_to_the_admission_step(self, client, users, crt_a, b):
        from maillage.admissions.tests.factories import ReferralFactory

        version = f.plan_version(b)
        referral = ReferralFactory(crt=crt_a, status="waiting", beneficiary=b)
        client.force_login(users["coordinator"])
        response = client.post(reverse("admissions:step_add",
                                       kwargs={"public_id": referral.public_id}),
                               {"kind": "plan_drafted", "done_on": timezone.localdate().isoformat(),
                                "outcome": "favourable"})
        assert response.status_code == 302
        assert referral.steps.get().care_plan_version == version
        page = visible_text(client.get(reverse("admissions:referral_detail",
                                               kwargs={"public_id": referral.public_id})))
        assert "Plan personnalisé, version 1" in page

    def test_version_page_budget(self, client, users, crt_a, b,
                                 django_assert_max_num_queries):
        version = f.filled(f.plan_version(b), users["care_aide"])
        for _ in range(20):
            f.filled(version, users["care_aide"])
        client.force_login(users["coordinator"])
        with django_assert_max_num_queries(25):
            assert client.get(plan_url("plan_version", b, number=1)).status_code == 200


def test_an_action_with_nobody_yet_says_so(client, users, crt_a):
    """« Passage AS matin — —, tous les jours » read as a typo: « intervenant à désigner »."""
    from maillage.care.models import PlannedAction

    b = shared_file(crt_a, users["coordinator"])
    version = f.plan_version(b)
    PlannedAction.objects.create(crt=crt_a, version=version, domain=f.domain(crt_a),
                                 description="Passage AS matin", frequency="tous les jours")
    client.force_login(users["coordinator"])
    page = visible_text(client.get(plan_url("plan_version", b, number=version.number)))
    assert "Passage AS matin — intervenant à désigner, tous les jours" in page
    assert "— —" not in page
