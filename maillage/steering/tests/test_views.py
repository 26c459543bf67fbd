"""The budget pages: the year's figures (F-01 to F-03), expenses, allocation, mapping, the
« Compte analytique » export; who may see and keep them; another CRT's rows."""

import re
from datetime import date
from decimal import Decimal
from io import BytesIO

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from maillage.admissions.forfait import forfait_months_refresh
from maillage.admissions.tests.factories import enrolment
from maillage.beneficiaries.tests.factories import shared_file
from maillage.care.tests.factories import domain
from maillage.core.models import AuditEvent
from maillage.core.tests.helpers import field_error, table_text, visible_text
from maillage.steering import selectors
from maillage.steering.access import (
    allocations_visible,
    can_view_budget,
    expenses_visible,
    fec_imports_visible,
    mappings_visible,
)
from maillage.steering.models import AccountMapping, Allocation, Expense, prorata

from .factories import allocation, expense, mapping

D = Decimal


def fr(text: str) -> str:
    """Thousands grouped as the pages print them (narrow no-break space)."""
    return re.sub(r"(?<=\d) (?=\d{3}\b)", "\u202f", text)
BUDGET = reverse("steering:budget") + "?annee=2026"


def expense_data(**changes):
    values = {"spent_on": "2026-03-10", "label": "Tablettes de télésanté", "amount": "2389.90",
              "nature": "digital_equipment", "volet": "2", "domain": "", "piece_ref": "FA12"}
    values.update(changes)
    return values


@pytest.fixture
def year_2026(crt_a):
    """Allocation and expenses of 2026 in CRT A; a 2025 one and another CRT's left out."""
    suivi = domain(crt_a, code="suivi", name="Suivi renforcé", position=3)
    allocation(crt_a, earmarked_amount=D("15000.00"), earmarked_label="Crédits d'amorçage")
    expense(crt_a, amount=D("1000.00"), nature="staff_care", volet="2", domain=suivi)
    expense(crt_a, amount=D("250.50"), nature="software", volet="2")
    expense(crt_a, amount=D("400.00"), nature="premises_vehicles", volet="2")  # outside F-03
    expense(crt_a, amount=D("300.00"), nature="external_providers", volet="1",
            spent_on=date(2026, 5, 2))
    expense(crt_a, amount=D("-50.00"), nature="transport", volet="shared",
            label="Avoir carburant")
    expense(crt_a, amount=D("999.00"), spent_on=date(2025, 12, 31))
    return suivi


class TestBudgetPage:
    def test_the_year_figures(self, client, users, crt_a, crt_b, year_2026,
                              django_assert_max_num_queries):
        expense(crt_b, amount=D("77777.00"))
        b = enrolment(shared_file(crt_a), admitted_on=date(2026, 1, 15))
        forfait_months_refresh(crt=crt_a)
        client.force_login(users["coordinator"])
        with django_assert_max_num_queries(16):
            response = client.get(BUDGET)
        assert response.status_code == 200
        text = visible_text(response)
        assert fr("Montant notifié 400 000,00 €") in text
        assert fr("Dépensé 1 900,50 €") in text
        assert fr("Reste 413 099,50 €") in text  # 400 000 + 15 000 earmarked - 1 900,50
        assert "77 777" not in text and "999,00" not in text
        rows = table_text(response)
        assert fr("Personnel soignant et d'accompagnement (IDE, AS, ASG, AES) fonctionnement "
                  "0,00 1 000,00 0,00 1 000,00") in rows
        # F-03: volet 2 without premises: 1 000 running, 250,50 investment.
        assert fr("Fonctionnement 1 000,00 € (80,0 %)") in text
        assert "Investissement 250,50 € (20,0 %)" in text
        assert fr("Suivi renforcé 1 000,00 €") in text
        months = selectors.forfait_figures(crt=crt_a, year=2026, today=date(2026, 12, 4))[0]
        assert b.ended_on is None and months == 12
        assert "Nouvelle dépense" not in text  # the coordination reads only

    def test_forfait_value_uses_the_month_rule(self, users, crt_a):
        enrolment(shared_file(crt_a), admitted_on=date(2026, 3, 31))
        forfait_months_refresh(crt=crt_a)
        figures = selectors.budget_year(crt=crt_a, user=users["direction"],
                                        roles={"direction"}, year=2026,
                                        today=date(2026, 6, 10))
        assert (figures.forfait_months, figures.people) == (4, 1)  # March to June
        assert figures.forfait_value == D("3600.00")
        assert figures.volet2_envelope == D("900") * 12 * crt_a.file_active_target

    def test_first_year_prorata_is_a_check_beside_the_typed_amount(self, client, users,
                                                                   crt_a):
        crt_a.opened_on = date(2026, 7, 1)
        crt_a.save()
        assert prorata(D("400000"), date(2026, 7, 1), 2026) == D("201643.84")
        allocation(crt_a, notified_amount=D("200000.00"), volet1_planned=D("40000"),
                   volet2_planned=D("160000"))
        client.force_login(users["direction"])
        text = visible_text(client.get(BUDGET))
        assert fr("Montant notifié 200 000,00 €") in text
        assert fr("la dotation annuelle donne 201 643,84 € (écart avec le montant notifié)") in text

    def test_bad_year_is_ignored(self, client, users):
        client.force_login(users["direction"])
        response = client.get(reverse("steering:budget") + "?annee=abc")
        assert response.status_code == 200


class TestExport:
    def test_the_workbook_reopens_with_the_page_numbers(self, client, users, crt_a,
                                                         year_2026):
        expense(crt_a, amount=D("10.00"), label="=HYPERLINK(\"http://x\")")
        client.force_login(users["coordinator"])
        response = client.get(reverse("steering:budget_export") + "?annee=2026")
        assert response.status_code == 200
        assert response["Content-Disposition"] == \
            'attachment; filename="compte-analytique-2026.xlsx"'
        wb = load_workbook(BytesIO(response.content))
        ws = wb["Volet × nature"]
        figures = selectors.budget_year(crt=crt_a, user=users["coordinator"],
                                        roles={"coordinator"}, year=2026)
        rows = {r[1]: r for r in ws.iter_rows(min_row=3, values_only=True)}
        care = rows["staff_care"]
        assert care[3:6] == (0, 1000, 0)
        assert isinstance(care[4], int | float)
        total = rows[None]
        assert total[0] == "Total" and total[3].startswith("=SUM(D3:D")
        data_sum = sum(r[3] + r[4] + r[5] for code, r in rows.items() if code)
        assert D(str(round(data_sum, 2))) == figures.spent == D("1910.50")
        sheet = wb["Dépenses"]
        values = list(sheet.iter_rows(min_row=2, values_only=True))
        assert values[-1][0] == "Total" and values[-1][2] == f"=SUM(C2:C{len(values)})"
        assert D(str(round(sum(v[2] for v in values[:-1]), 2))) == figures.spent
        assert "'=HYPERLINK(\"http://x\")" in [v[1] for v in values]  # no formula injected
        assert AuditEvent.objects.filter(action="budget.exported", crt=crt_a).exists()


class TestExpenses:
    def test_the_director_types_an_expense(self, client, users, crt_a):
        suivi = domain(crt_a, code="suivi", name="Suivi renforcé")
        client.force_login(users["direction"])
        response = client.post(reverse("steering:expense_create"),
                               expense_data(domain=str(suivi.public_id)))
        assert response.status_code == 302, visible_text(response)
        e = Expense.objects.get(crt=crt_a)
        assert (e.amount, e.domain, e.source, e.version) == (D("2389.90"), suivi, "typed", 1)
        text = visible_text(client.get(response["Location"]))
        assert fr("Tablettes de télésanté (FA12) 2 389,90 €") in text
        assert AuditEvent.objects.filter(action="expense.created", crt=crt_a).exists()

    def test_an_expense_paid_from_the_starter_credits(self, client, users, crt_a):
        """F-06: the box of the expense form marks it; unticked, it is not."""
        client.force_login(users["direction"])
        client.post(reverse("steering:expense_create"),
                    expense_data(on_starter_credits="on"))
        client.post(reverse("steering:expense_create"), expense_data(label="Autre"))
        assert dict(Expense.objects.filter(crt=crt_a).values_list(
            "label", "on_starter_credits")) == {"Tablettes de télésanté": True, "Autre": False}

    @pytest.mark.parametrize(("changes", "message"), [
        ({"amount": "abc"}, "Indiquez un montant en euros, par exemple 1250,50."),
        ({"amount": "12.345"}, "Deux décimales au plus (les centimes)."),
        ({"amount": "0"}, "Le montant ne peut pas être nul."),
        ({"spent_on": "2099-01-01"}, "La date de la dépense est dans le futur."),
        ({"spent_on": ""}, "Indiquez la date de la dépense."),
        ({"nature": "staff"}, "Choisissez une nature dans la liste."),
        ({"label": ""}, "Indiquez le libellé de la dépense."),
        ({"volet": "1", "domain": "DOMAIN"},
         "Un domaine d'intervention ne s'applique qu'au volet 2"),
    ])
    def test_bad_input(self, client, users, crt_a, changes, message):
        suivi = domain(crt_a, code="suivi")
        if changes.get("domain") == "DOMAIN":
            changes["domain"] = str(suivi.public_id)
        client.force_login(users["direction"])
        response = client.post(reverse("steering:expense_create"), expense_data(**changes))
        assert response.status_code == 400
        assert message in visible_text(response)
        assert not Expense.objects.exists()

    def test_another_crt_domain_is_refused(self, client, users, crt_a, crt_b):
        theirs = domain(crt_b, code="suivi")
        client.force_login(users["direction"])
        response = client.post(reverse("steering:expense_create"),
                               expense_data(domain=str(theirs.public_id)))
        assert response.status_code == 400
        assert "Choisissez un domaine dans la liste." in visible_text(response)

    def test_stale_edit_detected(self, client, users, crt_a):
        e = expense(crt_a)
        client.force_login(users["direction"])
        url = reverse("steering:expense_edit", args=[e.public_id])
        form = expense_data(version="1")
        assert client.post(url, form).status_code == 302
        stale = client.post(url, {**form, "label": "Autre libellé"})
        assert stale.status_code == 409
        e.refresh_from_db()
        assert (e.label, e.version) == ("Tablettes de télésanté", 2)

    def test_imported_line_keeps_its_amount(self, client, users, crt_a):
        from maillage.steering.models import FecImport

        record = FecImport.objects.create(
            crt=crt_a, file_name="f.txt", file_hash="x" * 64, period_start=date(2026, 1, 1),
            period_end=date(2026, 1, 31), lines_read=1, expenses_created=1,
            amount_imported=D("312.00"))
        e = expense(crt_a, source="fec", fec_import=record, fec_line=5, account="61100000")
        client.force_login(users["direction"])
        url = reverse("steering:expense_edit", args=[e.public_id])
        assert "Ligne 5 du FEC « f.txt », compte 61100000." in visible_text(client.get(url))
        response = client.post(url, expense_data(amount="1.00", nature="subcontracting",
                                                 version="1"))
        assert response.status_code == 302
        e.refresh_from_db()
        assert (e.amount, e.nature) == (D("312.00"), "subcontracting")

    def test_list_filters_and_pagination(self, client, users, crt_a,
                                         django_assert_max_num_queries):
        for i in range(60):
            expense(crt_a, label=f"Dépense {i}", spent_on=date(2026, 1 + i % 3, 5))
        expense(crt_a, label="Logiciel", nature="software", spent_on=date(2026, 2, 1))
        client.force_login(users["coordinator"])
        url = reverse("steering:expense_list")
        with django_assert_max_num_queries(12):
            response = client.get(url + "?annee=2026")
        assert "61 dépenses" in visible_text(response) and "Page 1 sur 2" in \
            visible_text(response)
        text = visible_text(client.get(url + "?annee=2026&nature=software"))
        assert "1 dépense · total 312,00 €" in text and "Logiciel" in text
        text = visible_text(client.get(url + "?annee=2026&mois=2&volet=2"))
        assert "21 dépenses" in text
        assert client.get(url + "?annee=2026&mois=13&volet=x").status_code == 200


class TestAllocationAndMapping:
    def test_the_director_records_the_allocation(self, client, users, crt_a):
        client.force_login(users["direction"])
        data = {"year": "2026", "notified_amount": "400000", "notified_on": "2026-02-01",
                "volet1_planned": "76000", "volet2_planned": "324000",
                "earmarked_amount": "0", "earmarked_label": ""}
        response = client.post(reverse("steering:allocation_create"), data)
        assert response.status_code == 302, visible_text(response)
        a = Allocation.objects.get(crt=crt_a)
        assert a.notified_amount == D("400000")
        again = client.post(reverse("steering:allocation_create"), data)
        assert again.status_code == 400
        assert "La dotation 2026 est déjà enregistrée" in visible_text(again)
        bad = client.post(reverse("steering:allocation_edit", args=[a.public_id]),
                          {**data, "volet2_planned": "330000", "version": "1"})
        assert bad.status_code == 400
        assert "La répartition prévue (volet 1 + volet 2 = 406 000,00 €) dépasse le montant " \
               "notifié (400 000,00 €)." in visible_text(bad)
        bad = client.post(reverse("steering:allocation_edit", args=[a.public_id]),
                          {**data, "earmarked_amount": "15000", "version": "1"})
        assert "Indiquez l'objet des crédits fléchés" in visible_text(bad)
        ok = client.post(reverse("steering:allocation_edit", args=[a.public_id]),
                         {**data, "earmarked_amount": "15000", "version": "1",
                          "earmarked_label": "Crédits d'amorçage"})
        assert ok.status_code == 302
        a.refresh_from_db()
        assert a.starter_amount == 0  # left out of the form: none
        bad = client.post(reverse("steering:allocation_edit", args=[a.public_id]),
                          {**data, "starter_amount": "-5", "version": "2"})
        assert bad.status_code == 400
        assert "Le montant ne peut pas être négatif." in field_error(bad, "starter_amount")
        ok = client.post(reverse("steering:allocation_edit", args=[a.public_id]),
                         {**data, "starter_amount": "15000", "version": "2"})
        assert ok.status_code == 302
        a.refresh_from_db()
        assert (a.starter_amount, a.total) == (D("15000"), D("415000"))
        stale = client.post(reverse("steering:allocation_edit", args=[a.public_id]),
                            {**data, "version": "1"})
        assert stale.status_code == 409
        assert AuditEvent.objects.filter(action="allocation.updated", crt=crt_a).count() == 2

    def test_each_wrong_amount_is_said_next_to_its_field(self, client, users, crt_a):
        client.force_login(users["direction"])
        data = {"year": "2019", "notified_amount": "-1000", "notified_on": "2026-02-01",
                "volet1_planned": "76000", "volet2_planned": "-1",
                "earmarked_amount": "0", "earmarked_label": ""}
        bad = client.post(reverse("steering:allocation_create"), data)
        assert bad.status_code == 400
        negative = "Le montant ne peut pas être négatif."
        assert negative in field_error(bad, "notified_amount")
        assert negative in field_error(bad, "volet2_planned")
        assert "entre 2020 et 2100" in field_error(bad, "year")
        assert field_error(bad, "volet1_planned") == ""
        assert "La répartition prévue" not in visible_text(bad)
        assert not Allocation.objects.exists()

    def test_mapping(self, client, users, crt_a):
        client.force_login(users["direction"])
        url = reverse("steering:mapping_create")
        data = {"prefix": "6411", "label": "Salaires", "nature": "staff_care", "volet": "2",
                "domain": ""}
        assert client.post(url, data).status_code == 302
        again = client.post(url, data)
        assert "Le préfixe 6411 a déjà une correspondance." in visible_text(again)
        bad = client.post(url, {**data, "prefix": "401"})
        assert "Seuls les comptes de charges (classe 6)" in visible_text(bad)
        assert AccountMapping.objects.filter(crt=crt_a).count() == 1
        m = AccountMapping.objects.get()
        edit = reverse("steering:mapping_edit", args=[m.public_id])
        assert client.post(edit, {**data, "nature": "staff_other", "version": "1"}
                           ).status_code == 302
        assert client.post(edit, {**data, "version": "1"}).status_code == 409
        text = visible_text(client.get(reverse("steering:mapping_list")))
        assert "6411 Salaires Autres personnels" in text


class TestAccess:
    PAGES = ["steering:budget", "steering:budget_export", "steering:expense_list",
             "steering:mapping_list", "steering:fec_import_list"]
    MANAGE = ["steering:expense_create", "steering:allocation_create",
              "steering:mapping_create", "steering:fec_import"]

    def test_roles(self, client, users):
        for role in ("direction", "coordinator"):
            client.force_login(users[role])
            for name in self.PAGES:
                assert client.get(reverse(name)).status_code == 200, (role, name)
        client.force_login(users["direction"])
        for name in self.MANAGE:
            assert client.get(reverse(name)).status_code == 200, name
        client.force_login(users["coordinator"])
        for name in self.MANAGE:
            assert client.get(reverse(name)).status_code == 403, name
        for role in ("nurse", "admin_staff", "partner", "ars", "auditor", "activity_leader"):
            client.force_login(users[role])
            for name in self.PAGES:
                assert client.get(reverse(name)).status_code == 403, (role, name)

    def test_another_crt(self, client, users, crt_b):
        client.force_login(users["direction"])
        for name, obj in [("steering:expense_edit", expense(crt_b)),
                          ("steering:allocation_edit", allocation(crt_b)),
                          ("steering:mapping_edit", mapping(crt_b))]:
            assert client.get(reverse(name, args=[obj.public_id])).status_code == 404, name

    def test_both_faces_agree(self, users, crt_a, crt_b):
        rows = [expense(crt_a), expense(crt_b), allocation(crt_a), allocation(crt_b),
                mapping(crt_a), mapping(crt_b)]
        for role, user in users.items():
            roles = frozenset({role})
            visible = (set(expenses_visible(crt=crt_a, user=user, roles=roles))
                       | set(allocations_visible(crt=crt_a, user=user, roles=roles))
                       | set(mappings_visible(crt=crt_a, user=user, roles=roles))
                       | set(fec_imports_visible(crt=crt_a, user=user, roles=roles)))
            for obj in rows:
                allowed = obj.crt_id == crt_a.id and can_view_budget(user=user, roles=roles,
                                                                     obj=obj)
                assert (obj in visible) == allowed, (role, obj)


class TestForms:
    def test_allocation_form_shows_the_prorata_check(self, client, users, crt_a):
        crt_a.opened_on = date(2026, 7, 1)
        crt_a.save()
        client.force_login(users["direction"])
        text = visible_text(client.get(reverse("steering:allocation_create") + "?annee=2026"))
        assert fr("ouverture le 01/07/2026, le prorata aux jours de la dotation annuelle donne "
                  "201 643,84 € pour 2026.") in text
        text = visible_text(client.get(reverse("steering:allocation_create") + "?annee=2027"))
        assert "prorata" not in text

    def test_mapping_form_prefilled_from_an_unmapped_account(self, client, users):
        client.force_login(users["direction"])
        response = client.get(reverse("steering:mapping_create") + "?compte=64510000")
        assert 'value="64510000"' in response.content.decode()
