"""« Team member », the one definition the faces of a file rest on: the people whose care team
the user is a current member of (as CRT staff, or as a professional of the directory), found
through the user's own memberships — never by testing each person of the CRT in turn, which
grew with the CRT's size."""

from datetime import date, timedelta

import pytest
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from maillage.beneficiaries.access import beneficiaries_for, file_access
from maillage.beneficiaries.models import CareTeamMember
from maillage.core.roles import Role
from maillage.core.tests.helpers import sqlite_plan, visible_text

from .factories import BeneficiaryFactory, consent, join_care_team

pytestmark = pytest.mark.django_db


def _names(qs):
    return sorted(qs.values_list("birth_name", flat=True))


def test_the_members_files_and_no_other(crt_a, crt_b, users, make_user):
    psychologist = users["psychologist"]
    mine = BeneficiaryFactory(crt=crt_a, birth_name="MIENNE")
    ended = BeneficiaryFactory(crt=crt_a, birth_name="TERMINEE")
    coming = BeneficiaryFactory(crt=crt_a, birth_name="A_VENIR")
    BeneficiaryFactory(crt=crt_a, birth_name="AUTRE")
    join_care_team(mine, psychologist)
    join_care_team(ended, psychologist)
    join_care_team(coming, psychologist)
    today = timezone.localdate()
    CareTeamMember.objects.filter(beneficiary=ended).update(
        start_date=today - timedelta(days=30), end_date=today - timedelta(days=1))
    CareTeamMember.objects.filter(beneficiary=coming).update(start_date=today + timedelta(days=1))
    # Another CRT's team, even with the same user in it, is not this CRT's.
    member_b = make_user(crt_b, Role.PSYCHOLOGIST)
    there = BeneficiaryFactory(crt=crt_b, birth_name="AILLEURS")
    join_care_team(there, member_b)
    join_care_team(there, psychologist)

    health = beneficiaries_for("health", crt=crt_a, user=psychologist,
                               roles={Role.PSYCHOLOGIST})
    assert _names(health) == ["MIENNE"]
    assert _names(beneficiaries_for("liaison", crt=crt_a, user=psychologist,
                                    roles={Role.PSYCHOLOGIST})) == ["MIENNE"]
    assert file_access(user=psychologist, roles={Role.PSYCHOLOGIST}, beneficiary=mine).health
    assert not file_access(user=psychologist, roles={Role.PSYCHOLOGIST},
                           beneficiary=ended).health


def test_a_partner_is_a_member_through_the_directory(crt_a, users):
    partner = users["partner"]
    shared = BeneficiaryFactory(crt=crt_a, birth_name="PARTAGEE")
    consent(shared, share_health=True)
    join_care_team(shared, partner, roles={Role.PARTNER})
    unshared = BeneficiaryFactory(crt=crt_a, birth_name="SANS_CONSENTEMENT")
    CareTeamMember.objects.create(
        crt=crt_a, beneficiary=unshared, role="Médecin traitant", start_date=date(2024, 1, 1),
        professional=CareTeamMember.objects.get(beneficiary=shared).professional)
    BeneficiaryFactory(crt=crt_a, birth_name="AUTRE")

    assert _names(beneficiaries_for(crt=crt_a, user=partner,
                                    roles={Role.PARTNER})) == ["PARTAGEE"]
    access = file_access(user=partner, roles={Role.PARTNER}, beneficiary=shared)
    assert access.identity and access.health and access.key_box


def test_the_home_panel_lists_the_people_accompanied(client, crt_a, users):
    """« Les personnes que vous accompagnez »: a nurse, who may open every file of the CRT,
    sees there only the people of her care teams, ended ones aside."""
    nurse = users["nurse"]
    join_care_team(BeneficiaryFactory(crt=crt_a, birth_name="ACCOMPAGNEE"), nurse)
    ended = BeneficiaryFactory(crt=crt_a, birth_name="TERMINEE")
    join_care_team(ended, nurse)
    today = timezone.localdate()
    CareTeamMember.objects.filter(beneficiary=ended).update(
        start_date=today - timedelta(days=30), end_date=today - timedelta(days=1))
    BeneficiaryFactory(crt=crt_a, birth_name="AUTRE")
    client.force_login(nurse)
    page = visible_text(client.get(reverse("core:home")))
    assert "ACCOMPAGNEE" in page
    assert "TERMINEE" not in page and "AUTRE" not in page


@pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite's plan")
def test_the_rule_reads_the_users_memberships_not_each_persons_team(crt_a, users):
    psychologist = users["psychologist"]
    join_care_team(BeneficiaryFactory(crt=crt_a), psychologist)
    health = beneficiaries_for("health", crt=crt_a, user=psychologist,
                               roles={Role.PSYCHOLOGIST})
    plan = sqlite_plan(*health.query.sql_with_params())
    team = [step for step in plan if "careteammember" in step]
    # Through the member's own indexes (the staff member's, the professional's) ...
    assert team and all("user_id=?" in step or "professional_id=?" in step
                        for step in team), plan
    # ... never once per person of the CRT.
    assert not any("CORRELATED" in step for step in plan), plan
    assert len(health) == 1
