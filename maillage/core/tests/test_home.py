"""Each role's home page: what it shows, what it hides, and a bounded number of queries."""

import pytest
from django.urls import reverse

from maillage.core.audit import audit_log
from maillage.core.roles import Role
from maillage.territory.tests.factories import CommuneFactory

from .helpers import visible_text


@pytest.fixture
def territory(crt_a):
    CommuneFactory(crt=crt_a, name="Candé", travel_minutes=20)
    CommuneFactory(crt=crt_a, name="Loiré", travel_minutes=28, covers_volet2=False)


def home_text(client, user):
    client.force_login(user)
    response = client.get(reverse("core:home"))
    assert response.status_code == 200
    return visible_text(response)


def test_coordinator_sees_key_figures(client, users, territory):
    text = home_text(client, users["coordinator"])
    assert "Chiffres clés du CRT" in text
    assert "2 communes" in text and "1 en volet 2, 2 en volet 1" in text
    assert "trajet le plus long en volet 2 : 20 min" in text
    assert "400\u202f000 €" in text
    assert "324\u202f000 € de forfaits volet 2" in text and "76\u202f000 € pour le volet 1" in text
    assert "Équipe du CRT" in text
    assert "File active (volet 2) 0 / cible 30" in text
    assert "Journal d'audit" not in text  # neither the menu entry nor the figures


@pytest.mark.parametrize("role", [Role.DIRECTION, Role.COORDINATOR])
def test_who_steers_sees_the_annual_allocation(client, users, role):
    text = home_text(client, users[role])
    assert "Dotation annuelle 400\u202f000 €" in text


@pytest.mark.parametrize("role", [Role.CARE_AIDE, Role.NURSE, Role.DOCTOR, Role.ADMIN_STAFF,
                                  Role.PSYCHOLOGIST, Role.ACTIVITY_LEADER, Role.PARTNER])
def test_field_staff_home_shows_no_allocation(client, users, role):
    """The CRT's allocation is read by who steers (``budget.view``); a care aide's or a nurse's
    home shows their day, not « Dotation annuelle 400 000 € »."""
    text = home_text(client, users[role])
    assert "Dotation annuelle" not in text and "400\u202f000 €" not in text


def test_navigation_shows_only_what_the_role_may_use(client, users):
    coordinator = home_text(client, users["coordinator"])
    assert "Territoire" in coordinator and "Équipe" in coordinator
    auditor = home_text(client, users["auditor"])
    assert "Journal d'audit" in auditor
    assert "Territoire" not in auditor and "Chiffres clés" not in auditor
    nurse = home_text(client, users["nurse"])
    assert "Mes passages aujourd'hui" in nurse and "Équipe du CRT" not in nurse


def test_auditor_home_counts_events(client, users, crt_a):
    audit_log(actor=None, action="auth.login_failed", crt=crt_a)
    audit_log(actor=users["nurse"], action="dlu.viewed", crt=crt_a, emergency=True)
    text = home_text(client, users["auditor"])
    assert "Connexions échouées 1 sur 7 jours" in text
    assert "Accès d'urgence 1 sur 30 jours" in text


def test_ars_sees_no_person_and_no_team(client, users):
    text = home_text(client, users["ars"])
    assert "Dotation annuelle" in text
    assert "Équipe du CRT" not in text and "Territoire" not in text


def test_ars_home_hides_counts_of_one_to_four_people(client, users, crt_a):
    """INDICATORS §5 rule 2: the ARS reads « < 5 » where the CRT reads the count (rule 7)."""
    from maillage.admissions.models import Referral
    from maillage.admissions.tests.factories import ReferralFactory

    for _ in range(3):
        ReferralFactory(crt=crt_a, status=Referral.Status.WAITING)
    ReferralFactory(crt=crt_a, status=Referral.Status.RECEIVED)
    text = home_text(client, users["ars"])
    assert "File active (volet 2) 0 / cible 30" in text  # 0 is shown
    assert "< 5 en liste d'attente, < 5 demandes à examiner." in text
    assert "3 en liste d'attente" not in text
    coordinator = home_text(client, users["coordinator"])
    assert "3 en liste d'attente" in coordinator and "1 demande à examiner" in coordinator
    for _ in range(2):
        ReferralFactory(crt=crt_a, status=Referral.Status.WAITING)
    assert "5 en liste d'attente, < 5 demandes" in home_text(client, users["ars"])


@pytest.mark.parametrize("role", [Role.BENEFICIARY, Role.CAREGIVER])
def test_portal_home_shows_the_single_number(client, users, role):
    text = home_text(client, users[role])
    assert "un seul numéro" in text and "02 61 91 00 01" in text
    assert "Chiffres clés" not in text


def test_partner_home(client, users):
    text = home_text(client, users["partner"])
    assert "Les personnes que vous accompagnez" in text
    assert "Chiffres clés" not in text


def test_home_query_budget(client, users, territory, django_assert_max_num_queries, crt_a):
    for _ in range(30):
        CommuneFactory(crt=crt_a)
    client.force_login(users["coordinator"])
    # Session, user, memberships, notifications, 2 territory, 2 team, 2 admissions,
    # plan reviews, DLU reviews, open alerts, the night's on-call calls (and those the reader
    # may open), the on-call rota's coverage, the user's own visits of the day (and their
    # on-call turns, for the night shown with them: ``visits.selectors.my_today``), unread messages
    # (navigation badge: the stored counter, and the rule while the user has none yet), 3 for
    # the session refresh, 2 for volet 1 (the year's figures and check), agreements ending
    # within 90 days, overdue decisions; +1: the user's night hours, which extend the night
    # shown as an on-call turn does (``rounds.rest.night_hours``).
    with django_assert_max_num_queries(27):
        assert client.get(reverse("core:home")).status_code == 200
    client.force_login(users["auditor"])
    with django_assert_max_num_queries(8):
        assert client.get(reverse("core:home")).status_code == 200


def test_team_page(client, users):
    client.force_login(users["direction"])
    response = client.get(reverse("core:team"))
    text = visible_text(response)
    assert users["nurse"].get_full_name() in text
    assert "Infirmier·ère" in text


def test_a_care_aide_sees_her_day_before_the_crt_s_figures(client, users, territory):
    """On a phone, the day comes first: the CRT's key figures (its budget) are below it."""
    text = home_text(client, users["care_aide"])
    assert "Mes passages aujourd'hui" in text and "Chiffres clés du CRT" in text
    assert text.index("Mes passages aujourd'hui") < text.index("Chiffres clés du CRT")
