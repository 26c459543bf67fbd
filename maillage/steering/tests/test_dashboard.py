"""The steering dashboard: the indicators of the CRT for a period, one indicator with its
breakdowns and charts, the records behind a figure; who may see them, another CRT, the audit
of the records read, the query budget and bad period input."""

import json
import re
from datetime import date
from decimal import Decimal
from html import unescape
from urllib.parse import urlencode

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from maillage.admissions.forfait import forfait_months_refresh
from maillage.admissions.tests.factories import enrolment
from maillage.beneficiaries.tests.factories import BeneficiaryFactory
from maillage.core import indicators as engine
from maillage.core.indicators import Period
from maillage.core.models import AuditEvent
from maillage.core.roles import Role
from maillage.core.tests.helpers import visible_text
from maillage.oncall.tests.factories import call
from maillage.steering.dashboard import number, with_unit
from maillage.steering.forms import last_full_month

DASHBOARD = reverse("steering:dashboard")
MARCH = "periode=mois&annee=2025&mois=3"
PERIOD = Period.month(2025, 3)


def detail(code: str) -> str:
    return reverse("steering:indicator", kwargs={"code": code})


def records(code: str) -> str:
    return reverse("steering:indicator_records", kwargs={"code": code})


def row_text(response, row_id: str) -> str:
    """The visible text of the table row ``row_id`` of the page."""
    html = response.content.decode()
    found = re.search(rf'<tr id="{re.escape(row_id)}">(.*?)</tr>', html, re.S)
    assert found, row_id
    return re.sub(r"[ \t\n\r\f]+", " ", unescape(re.sub(r"<[^>]+>", " ", found.group(1)))).strip()


def person(crt, birth_name, **fields):
    return BeneficiaryFactory(crt=crt, birth_name=birth_name, used_name="", **fields)


@pytest.fixture
def scenario(crt_a, crt_b, users):
    """CRT A, March 2025 (February the previous period):

    - AUBIN (F): admitted 10/01/2025, open — in February and March;
    - BARDET (M): admitted 15/02/2025, exit 20/03/2025 (death) — February and March;
    - CHARRIER (F): admitted 05/03/2025, open — March only;
    - one on-call call about AUBIN on 12/03/2025;
    - in CRT B, DURTALIN (F) admitted 01/03/2025.

    V2-01a March: 3 people (February: 2) — ▲ +1 (+50,0 %); V2-02: 1 entry; V2-03: 1 exit."""
    people = {
        "AUBIN": person(crt_a, "AUBIN", sex="F"),
        "BARDET": person(crt_a, "BARDET", sex="M"),
        "CHARRIER": person(crt_a, "CHARRIER", sex="F"),
        "DURTALIN": person(crt_b, "DURTALIN", sex="F"),
    }
    enrolment(people["AUBIN"], admitted_on=date(2025, 1, 10))
    enrolment(people["BARDET"], admitted_on=date(2025, 2, 15), ended_on=date(2025, 3, 20),
              exit_reason="death")
    enrolment(people["CHARRIER"], admitted_on=date(2025, 3, 5))
    enrolment(people["DURTALIN"], admitted_on=date(2025, 3, 1))
    call(crt_a, users["nurse"], people["AUBIN"],
         received_at=timezone.make_aware(timezone.datetime(2025, 3, 12, 22, 30)))
    forfait_months_refresh(crt=crt_a)
    forfait_months_refresh(crt=crt_b)
    return people


@pytest.fixture
def director_b(crt_b, make_user):
    return make_user(crt_b, Role.DIRECTION, username="direction-b")


# --- The dashboard -------------------------------------------------------------------------


class TestDashboard:
    def test_the_figures_are_the_engines(self, client, users, crt_a, scenario):
        client.force_login(users["direction"])
        response = client.get(f"{DASHBOARD}?{MARCH}")
        assert response.status_code == 200
        text = visible_text(response)
        assert "Indicateurs — mars 2025" in text
        # Counted by hand (the fixture's docstring).
        assert row_text(response, "indicator-V2-01a").endswith(
            "3 personnes 2 personnes février 2025 ▲ En hausse : +1 (+50,0 %)")
        assert "1 admission " in row_text(response, "indicator-V2-02")
        assert "1 sortie " in row_text(response, "indicator-V2-03")
        # Every registered indicator, with the engine's value and previous value.
        for code, indicator in engine.registry().items():
            result = engine.compute(indicator, crt=crt_a, period=PERIOD)
            row = row_text(response, f"indicator-{code}")
            assert row.startswith(f"{code} {indicator.name}"), code
            assert f" {with_unit(result.value, indicator.unit)} " in f" {row} ", code
            assert f" {with_unit(result.previous_value, indicator.unit)} " in f" {row} ", code

    def test_sections_by_code_prefix(self, client, users, scenario):
        client.force_login(users["coordinator"])
        text = visible_text(client.get(f"{DASHBOARD}?{MARCH}"))
        positions = [text.index(title) for title in (
            "Transversal", "Volet 1 — appui", "Volet 2 — accompagnement", "Finances")]
        assert positions == sorted(positions)
        assert text.index("T-01") < text.index("Volet 1 — appui") < text.index("V1-02")
        assert text.index("Finances") < text.index("F-02")

    def test_default_period_is_the_last_full_month(self, client, users, scenario):
        client.force_login(users["direction"])
        expected = last_full_month(timezone.localdate())
        text = visible_text(client.get(DASHBOARD))
        assert f"Indicateurs — {expected.label}" in text
        assert expected.previous().label in text  # the month before, beside each figure

    @pytest.mark.parametrize("query, label", [
        ("periode=semestre&annee=2025&semestre=1", "1er semestre 2025"),
        ("periode=annee&annee=2024", "année 2024"),
        ("periode=dates&du=2025-03-01&au=2025-03-31", "mars 2025"),
        ("periode=dates&du=2025-03-10&au=2025-03-19", "du 10/03/2025 au 19/03/2025"),
    ])
    def test_periods(self, client, users, scenario, query, label):
        client.force_login(users["direction"])
        response = client.get(f"{DASHBOARD}?{query}")
        assert response.status_code == 200
        assert f"Période : {label}" in visible_text(response)

    @pytest.mark.parametrize("query, field, message", [
        ("periode=dates&du=2025-02-30&au=2025-03-31", "du",
         "Indiquez une date de début valide (jj/mm/aaaa)."),
        ("periode=dates&du=2025-03-31&au=2025-03-01", "au",
         "La date de fin précède la date de début."),
        ("periode=dates&du=2025-03-01", "au", "Indiquez la date de fin."),
        ("periode=dates&du=1800-03-01&au=2025-03-01", "du",
         "Date hors des limites acceptées : indiquez une année entre 1900 et 2100."),
        ("periode=dates&du=2015-01-01&au=2025-03-01", "au",
         "Choisissez une période de 5 ans au plus."),
        ("periode=mois&annee=2025", "mois", "Choisissez le mois."),
        ("periode=mois&annee=2025&mois=13", "mois", "Choisissez un mois dans la liste."),
        ("periode=annee&annee=deux", "annee", "Indiquez une année en chiffres, par exemple 2026."),
        ("periode=annee&annee=1999", "annee", "Indiquez une année entre 2000 et 2100."),
        ("periode=trimestre&annee=2025", "periode",
         "Choisissez un type de période dans la liste."),
    ])
    def test_bad_period_gives_a_french_message_next_to_the_field(
            self, client, users, scenario, query, field, message):
        client.force_login(users["direction"])
        for url in (DASHBOARD, detail("V2-01a"), records("V2-01a")):
            response = client.get(f"{url}?{query}")
            assert response.status_code == 400, url
            html = response.content.decode()
            errors = re.search(rf'id="id_{field}_errors"[^>]*>(.*?)</div>', html, re.S)
            assert errors and message in errors.group(1), (url, html[:0])
            assert f'aria-describedby="id_{field}_errors"' in html
            assert "AUBIN" not in visible_text(response)  # nothing computed nor listed

    def test_bounded_queries_whatever_the_data(self, client, users, crt_a, scenario):
        client.force_login(users["direction"])
        url = f"{DASHBOARD}?{MARCH}"
        client.get(url)  # the session and the registry warmed up
        with CaptureQueriesContext(connection) as before:
            client.get(url)
        for i in range(6):
            b = person(crt_a, f"NOUVEAU{i}", sex="M")
            enrolment(b, admitted_on=date(2025, 2, 1 + i), ended_on=date(2025, 3, 2 + i),
                      exit_reason="death")
            call(crt_a, users["nurse"], b,
                 received_at=timezone.make_aware(timezone.datetime(2025, 3, 2 + i, 10)))
        forfait_months_refresh(crt=crt_a)
        with CaptureQueriesContext(connection) as after:
            response = client.get(url)
        assert "9 personnes" in row_text(response, "indicator-V2-01a")
        assert len(after) == len(before)
        # Two aggregates per indicator (the period and the previous one) and what a computed
        # figure needs (one more aggregate each time, e.g. an amount's sum, a share's
        # numerator), plus the session: a fixed number.
        computed = [i for i in engine.registry().values() if not i.is_count]
        assert len(after) <= 2 * len(engine.registry()) + 2 * len(computed) + 15


# --- One indicator -------------------------------------------------------------------------


class TestIndicatorPage:
    def test_definition_value_previous_extras_and_every_breakdown(self, client, users, crt_a,
                                                                   scenario):
        client.force_login(users["direction"])
        response = client.get(f"{detail('V2-03')}?{MARCH}")
        assert response.status_code == 200
        text = visible_text(response)
        indicator = engine.get("V2-03")
        result = engine.compute(indicator, crt=crt_a, period=PERIOD)
        assert indicator.definition in text
        assert f"Version {indicator.version} de la définition" in text
        assert "Valeur 1 sortie " in text
        assert "Période précédente (février 2025) 0 sortie " in text
        assert "Évolution ▲ En hausse : +1" in text
        assert "Durée moyenne d'accompagnement 33,0 jours" in text  # 15/02 → 20/03
        for b in result.breakdowns:
            assert f"{b.label} — mars 2025 (sorties)" in text
            for row in b.rows:
                assert f"{row.label} {number(row.value)}" in text
        assert "Décès 1 100,0 %" in text

    def test_every_chart_is_drawn_from_its_tables_rows(self, client, users, crt_a, scenario):
        client.force_login(users["coordinator"])
        response = client.get(f"{detail('V2-01a')}?{MARCH}")
        html = response.content.decode()
        result = engine.compute(engine.get("V2-01a"), crt=crt_a, period=PERIOD)
        assert "vendor/chartjs-4.6.1/chart.umd.min.js" in html
        for index, b in enumerate(result.breakdowns):
            assert f'<canvas data-chart="chart-data-{index}" role="img"' in html
            data = re.search(rf'<script id="chart-data-{index}" type="application/json">'
                             r"(.*?)</script>", html, re.S)
            chart = json.loads(data.group(1))
            assert chart["labels"] == [r.label for r in b.rows]
            assert chart["values"] == [r.value for r in b.rows]
        assert "Sexe Nombre Part Dossiers Femme 2 66,7 % Dossiers : Sexe, Femme" in \
            visible_text(response)

    def test_breakdown_filter(self, client, users, scenario):
        client.force_login(users["direction"])
        response = client.get(f"{detail('V2-01a')}?{MARCH}&ventilation=sex")
        text = visible_text(response)
        assert "Sexe — mars 2025" in text
        assert "Tranche d'âge — mars 2025" not in text
        bad = client.get(f"{detail('V2-01a')}?{MARCH}&ventilation=couleur")
        assert bad.status_code == 400
        assert "Choisissez une ventilation dans la liste." in visible_text(bad)
        assert "Tranche d'âge — mars 2025" in visible_text(bad)  # all shown meanwhile

    def test_unknown_code_404(self, client, users):
        client.force_login(users["direction"])
        for url in (detail("V9-99"), records("V9-99")):
            assert client.get(url).status_code == 404

    def test_counts_only_when_the_records_are_not_open_to_the_viewer(self, client, users,
                                                                     scenario):
        # The call log is the coordination's and the on-call team's, not the direction's.
        client.force_login(users["direction"])
        response = client.get(f"{detail('V2-11')}?{MARCH}")
        text = visible_text(response)
        assert "Valeur 1 appel " in text
        assert "Chiffres seulement" in text and "Voir les dossiers" not in text
        assert "?ventilation" not in response.content.decode() or \
            records("V2-11") not in response.content.decode()
        listed = client.get(f"{records('V2-11')}?{MARCH}")
        assert "Enregistrements comptés : 1. Vous pouvez en consulter 0." in \
            visible_text(listed)
        assert "AUBIN" not in visible_text(listed)
        client.force_login(users["coordinator"])
        text = visible_text(client.get(f"{detail('V2-11')}?{MARCH}"))
        assert "Voir les dossiers derrière ce chiffre (1 que vous pouvez consulter)" in text


# --- The records behind a figure -----------------------------------------------------------


class TestRecords:
    def test_the_records_count_is_the_figure_and_rows_link_to_the_file(self, client, users,
                                                                         scenario):
        client.force_login(users["direction"])
        response = client.get(f"{records('V2-01a')}?{MARCH}")
        assert response.status_code == 200
        text = visible_text(response)
        assert "Enregistrements comptés : 3. Vous pouvez en consulter 3." in text
        for name in ("AUBIN", "BARDET", "CHARRIER"):
            assert name in text
        assert "DURTALIN" not in text
        html = response.content.decode()
        assert reverse("beneficiaries:detail",
                       kwargs={"public_id": scenario["AUBIN"].public_id}) in html

    def test_each_breakdown_row_drills_down_to_its_count(self, client, users, crt_a,
                                                          scenario):
        client.force_login(users["direction"])
        for code in ("V2-01a", "V2-02", "V2-03", "V2-01c"):
            indicator = engine.get(code)
            result = engine.compute(indicator, crt=crt_a, period=PERIOD)
            page = client.get(f"{detail(code)}?{MARCH}").content.decode()
            for b in result.breakdowns:
                for row in b.rows:
                    if not row.value:
                        continue
                    key = "" if row.key is None else str(row.key)
                    url = f"{records(code)}?{MARCH}&" + urlencode(
                        {"ventilation": b.code, "cle": key})
                    assert url.replace("&", "&amp;") in page, (code, b.code, key)
                    text = visible_text(client.get(url))
                    assert (f"Ligne « {row.label} » de la ventilation « {b.label} » : "
                            f"{row.value}. Vous pouvez en consulter {row.value}.") in text

    def test_bad_row_or_breakdown_404(self, client, users, scenario):
        client.force_login(users["direction"])
        for query in ("ventilation=couleur&cle=bleu", "ventilation=sex&cle=X",
                      "ventilation=sex"):
            assert client.get(f"{records('V2-01a')}?{MARCH}&{query}").status_code == 404

    def test_the_read_is_audited(self, client, users, scenario):
        client.force_login(users["direction"])
        client.get(f"{records('V2-01a')}?{MARCH}&ventilation=sex&cle=F")
        page = AuditEvent.objects.get(action="indicator.drilldown_viewed")
        assert page.actor == users["direction"]
        assert page.object_id == "V2-01a"
        assert page.details["période"] == "mars 2025"
        assert page.details["ventilation"] == "Sexe : Femme"
        assert page.details["dossiers affichés"] == 2
        people = AuditEvent.objects.filter(action="indicator.person_viewed")
        assert {e.beneficiary_public_id for e in people} == {
            scenario["AUBIN"].public_id, scenario["CHARRIER"].public_id}
        # The person's access history lists it.
        client.force_login(users["coordinator"])
        history = visible_text(client.get(reverse(
            "beneficiaries:access_log", kwargs={"public_id": scenario["AUBIN"].public_id})))
        assert "Personne listée parmi les dossiers derrière un indicateur" in history

    def test_bounded_queries_whatever_the_data(self, client, users, crt_a, scenario):
        client.force_login(users["direction"])
        url = f"{records('V2-01a')}?{MARCH}"
        client.get(url)

        def measure():
            with CaptureQueriesContext(connection) as queries:
                response = client.get(url)
            audits = [q for q in queries if 'INSERT INTO "core_auditevent"' in q["sql"]]
            return len(queries) - len(audits), len(audits), response

        before, audits_before, _ = measure()
        for i in range(5):
            enrolment(person(crt_a, f"NOUVEAU{i}"), admitted_on=date(2025, 3, 1 + i))
        after, audits_after, response = measure()
        assert "Vous pouvez en consulter 8." in visible_text(response)
        assert after == before <= 20
        # One event for the page and one per person listed (a page: 50 at most).
        assert (audits_before, audits_after) == (1 + 3, 1 + 8)


# --- Who may see it ------------------------------------------------------------------------


class TestAccess:
    @pytest.mark.parametrize("role", ["doctor", "nurse", "activity_leader", "admin_staff",
                                      "partner", "auditor", "ars", "caregiver"])
    def test_forbidden_roles_403(self, client, users, scenario, role):
        client.force_login(users[role])
        for url in (DASHBOARD, detail("V2-01a"), records("V2-01a")):
            response = client.get(f"{url}?{MARCH}")
            assert response.status_code == 403, (role, url)
            assert "AUBIN" not in response.content.decode()

    def test_another_crt_sees_its_own_figures_and_records(self, client, director_b,
                                                          scenario):
        client.force_login(director_b)
        assert row_text(client.get(f"{DASHBOARD}?{MARCH}"), "indicator-V2-01a").endswith(
            "1 personne 0 personne février 2025 ▲ En hausse : +1")
        assert "Valeur 1 personne " in visible_text(client.get(f"{detail('V2-01a')}?{MARCH}"))
        for url in (f"{records('V2-01a')}?{MARCH}",
                    f"{records('V2-01a')}?{MARCH}&ventilation=sex&cle=F",
                    f"{records('V2-01c')}?{MARCH}", f"{records('V2-03')}?{MARCH}"):
            text = visible_text(client.get(url))
            for name in ("AUBIN", "BARDET", "CHARRIER"):
                assert name not in text, url
        assert "DURTALIN" in visible_text(client.get(f"{records('V2-01a')}?{MARCH}"))

    def test_navigation_and_budget_link(self, client, users):
        client.force_login(users["direction"])
        home = client.get(reverse("core:home")).content.decode()
        assert f'href="{DASHBOARD}"' in home and ">Indicateurs<" in home
        budget = client.get(reverse("steering:budget")).content.decode()
        assert f'href="{DASHBOARD}' in budget
        client.force_login(users["nurse"])
        assert f'href="{DASHBOARD}"' not in client.get(reverse("core:home")).content.decode()


def test_the_indicator_page_has_a_bounded_query_count(client, users, crt_a, scenario):
    client.force_login(users["direction"])
    url = f"{detail('V2-01a')}?{MARCH}"
    client.get(url)
    with CaptureQueriesContext(connection) as before:
        client.get(url)
    for i in range(6):
        enrolment(person(crt_a, f"NOUVEAU{i}", sex="M"), admitted_on=date(2025, 3, 1 + i))
    with CaptureQueriesContext(connection) as after:
        response = client.get(url)
    assert "Valeur 9 personnes" in visible_text(response)
    # The value, the previous one, one grouped query per breakdown, the viewer's count.
    assert len(after) == len(before) <= 20


def test_records_are_listed_by_the_name_shown(client, users, crt_a, scenario):
    scenario["AUBIN"].used_name = "ZOLA"
    scenario["AUBIN"].save()
    client.force_login(users["direction"])
    text = visible_text(client.get(f"{records('V2-01a')}?{MARCH}"))
    assert text.index("BARDET") < text.index("CHARRIER") < text.index("ZOLA")


def test_a_model_without_presenter_is_listed_by_type_date_and_short_id(crt_a):
    """An indicator another app adds later, over a model this page does not know, still lists
    its records (no link, no field that could be free text)."""
    from maillage.steering import drilldown
    from maillage.territory.models import Commune
    from maillage.territory.tests.factories import CommuneFactory

    commune = CommuneFactory(crt=crt_a, name="Candé")
    presenter = drilldown.presenter_for(Commune)
    assert presenter is drilldown.GENERIC
    [row] = drilldown.rows(drilldown.ordered(Commune.objects.filter(pk=commune.pk), presenter),
                           presenter, {Role.DIRECTION})
    created = timezone.localtime(commune.created_at)
    assert row.cells == (f"Commune du {created:%d/%m/%Y} ({str(commune.public_id)[:8]})",)
    assert row.url is None


@pytest.mark.parametrize(("value", "unit", "shown"), [
    (1, "sorties", "1 sortie"), (0, "personnes", "0 personne"), (2, "sorties", "2 sorties"),
    (1, "sorties temporaires", "1 sortie temporaire"),
    (1, "personnes (moyenne mensuelle)", "1 personne (moyenne mensuelle)"),
    (1, "mois-forfait", "1 mois-forfait"), (1, "ETP", "1 ETP"), (1, "€", "1 €"),
    (1234, "actes", "1\u202f234 actes"),
    # A share: the people after « % » stay plural (not « 0,0 % de satisfait »).
    (Decimal("0.0"), "% de satisfaits", "0,0 % de satisfaits"),
    (Decimal("1.5"), "% des objectifs échus", "1,5 % des objectifs échus"),
    (1, "réunions", "1 réunion"), (0, "heures", "0 heure"), (1, "séances", "1 séance"),
])
def test_a_figure_under_two_reads_in_the_singular(value, unit, shown):
    assert with_unit(value, unit) == shown
