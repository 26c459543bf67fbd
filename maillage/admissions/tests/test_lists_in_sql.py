"""The file active and the waiting list computed by the database: the SQL forfait-months and
priority order equal the Python rules (``periods.forfait_months``, ``eligibility.priority``),
and both pages paginate with their filters and totals over every row."""

import random
from datetime import date, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from maillage.admissions.eligibility import priority
from maillage.admissions.forfait import forfait_months_refresh
from maillage.admissions.models import Enrolment, PrioritySituation, Referral, Suspension
from maillage.admissions.periods import forfait_months
from maillage.admissions.selectors import (
    file_active,
    file_active_figures,
    forfait_months_annotation,
    forfait_months_expression,
    waiting_counts,
    waiting_list,
)
from maillage.beneficiaries.tests.factories import BeneficiaryFactory
from maillage.core.roles import Role
from maillage.core.tests.helpers import order_in, table_text, visible_text

from .factories import ReferralFactory, enrolment

TODAY = timezone.localdate()


def _suspend(e, start, end=None):
    return Suspension.objects.create(crt=e.crt, enrolment=e, kind="hospitalisation",
                                     start_date=start, end_date=end, reason="Chute")


# --- Forfait-months ---------------------------------------------------------------------------

D = date
# (admitted_on, ended_on, suspensions): hand-made calendars around the edges of the rule.
CALENDARS = [
    (D(2024, 6, 1), None, []),
    (D(2025, 3, 31), None, []),
    (D(2025, 1, 1), D(2025, 3, 1), []),
    (D(2025, 1, 1), D(2025, 2, 28), []),
    (D(2025, 1, 1), None, [(D(2025, 2, 20), D(2025, 4, 2))]),
    (D(2025, 1, 1), None, [(D(2025, 3, 1), D(2025, 3, 30))]),
    (D(2025, 1, 1), None, [(D(2025, 3, 2), None)]),
    (D(2025, 1, 1), None, [(D(2025, 3, 1), None)]),
    (D(2025, 1, 1), None, [(D(2025, 3, 1), D(2025, 3, 15)), (D(2025, 3, 16), D(2025, 4, 3))]),
    (D(2025, 1, 1), None, [(D(2025, 3, 1), D(2025, 3, 14)), (D(2025, 3, 16), D(2025, 4, 3))]),
    (D(2025, 3, 20), None, [(D(2025, 3, 20), D(2025, 4, 10))]),
    # Overlapping and nested suspensions; one ending the day before the exit.
    (D(2024, 12, 1), None, [(D(2025, 5, 1), D(2025, 6, 30)), (D(2025, 5, 10), D(2025, 5, 20)),
                            (D(2025, 6, 15), D(2025, 7, 31))]),
    (D(2025, 1, 1), D(2025, 5, 10), [(D(2025, 5, 1), D(2025, 5, 9))]),
    (D(2025, 1, 1), D(2025, 5, 10), [(D(2025, 5, 1), D(2025, 5, 10))]),
    # Suspended all year from before it began; and a suspension ending on the last day.
    (D(2024, 1, 1), None, [(D(2024, 12, 1), None)]),
    (D(2025, 1, 1), None, [(D(2025, 1, 1), D(2025, 1, 31))]),
    (D(2025, 1, 1), None, [(D(2024, 11, 1), D(2025, 1, 30))]),
]


def _random_calendars(count: int, seed: int = 12):
    rng = random.Random(seed)
    start = D(2024, 10, 1)
    for _ in range(count):
        admitted = start + timedelta(days=rng.randrange(400))
        ended = admitted + timedelta(days=rng.randrange(300)) if rng.random() < 0.3 else None
        suspensions = []
        for _ in range(rng.randrange(4)):
            s = admitted + timedelta(days=rng.randrange(-10, 300))
            e = s + timedelta(days=rng.randrange(0, 60)) if rng.random() < 0.8 else None
            suspensions.append((s, e))
        yield admitted, ended, suspensions


@pytest.mark.parametrize("today", [D(2025, 11, 20), D(2025, 3, 15), D(2025, 1, 1),
                                   D(2025, 12, 31)])
def test_sql_forfait_months_equal_the_python_rule(crt_a, users, today):
    enrolments = []
    for admitted, ended, suspensions in [*CALENDARS, *_random_calendars(60)]:
        e = enrolment(BeneficiaryFactory(crt=crt_a), referent=users["nurse"],
                      admitted_on=admitted, ended_on=ended)
        for s, end in suspensions:
            _suspend(e, s, end)
        enrolments.append(e)
    expected = forfait_months(Enrolment.objects.prefetch_related("suspensions"),
                              year=today.year, today=today)
    got = dict(Enrolment.objects.annotate(
        months=forfait_months_expression(year=today.year, today=today))
        .values_list("beneficiary_id", "months"))
    assert got == {e.beneficiary_id: expected.get(e.beneficiary_id, 0) for e in enrolments}
    # The stored months as the daily task left them yesterday: the current month, which may
    # have started counting today, is computed live for those lacking its row.
    forfait_months_refresh(crt=crt_a, today=today - timedelta(days=1))
    stored = dict(Enrolment.objects.annotate(
        months=forfait_months_annotation(year=today.year, today=today))
        .values_list("beneficiary_id", "months"))
    assert stored == got
    # Up to date today: the same; and the file active (open enrolments) and its total.
    forfait_months_refresh(crt=crt_a, today=today)
    assert dict(Enrolment.objects.annotate(
        months=forfait_months_annotation(year=today.year, today=today))
        .values_list("beneficiary_id", "months")) == got
    qs, _ = file_active(crt=crt_a, today=today)
    open_ = [e for e in enrolments if e.ended_on is None]
    assert file_active_figures(qs) == (
        len(open_), sum(expected.get(e.beneficiary_id, 0) for e in open_))


# --- Waiting list -----------------------------------------------------------------------------


def test_sql_priority_order_equals_the_python_priority(crt_a, users):
    now = timezone.now()
    situations = list(PrioritySituation.values)
    variants = [{}]
    variants += [{"priority_situations": [s]} for s in situations]
    variants += [{"priority_situations": situations}, {"priority_situations": situations[:2]}]
    variants += [{"urgency": "urgent"}, {"hospital_discharge": True}]
    variants += [{"known_gir": g} for g in (1, 2, 3, 4, 5, 6)]
    variants += [{"urgency": "urgent", "hospital_discharge": True, "known_gir": 1,
                  "priority_situations": situations}]
    variants += [{"priority_situations": ["unknown_situation"]}]  # not counted
    referrals = []
    for i, fields in enumerate(variants * 2):  # twice: ties broken by the date of the request
        referrals.append(ReferralFactory(crt=crt_a, status="waiting",
                                         received_at=now - timedelta(days=(i * 7) % 40, hours=i),
                                         **fields))
    ReferralFactory(crt=crt_a, status="received", urgency="urgent")  # not on the list
    team = {"crt": crt_a, "user": users["coordinator"], "roles": frozenset({Role.COORDINATOR})}
    rows = list(waiting_list(**team))
    assert [r.score for r in rows] == [priority(r).score for r in rows]
    expected = sorted(referrals, key=lambda r: (-priority(r).score, r.received_at))
    assert [r.pk for r in rows] == [r.pk for r in expected]
    assert max(r.score for r in rows) == 5 + 2 + 2 + 1
    assert waiting_counts(waiting_list(**team), crt=crt_a) == (len(referrals), 0)


# --- Pages ------------------------------------------------------------------------------------


@pytest.fixture
def big_file_active(crt_a, users):
    people = []
    for i in range(55):
        b = BeneficiaryFactory(crt=crt_a, birth_name=f"NOM{i:02d}", first_name="Jeanne",
                               current_gir=1 + i % 2)
        people.append(enrolment(b, referent=users["nurse"],
                                admitted_on=D(TODAY.year, 1, 1) + timedelta(days=i % 3)))
    forfait_months_refresh(crt=crt_a)  # what the services do (the factory does not)
    return people


def test_file_active_second_page_keeps_filters_and_totals(client, users, big_file_active):
    client.force_login(users["coordinator"])
    url = reverse("admissions:file_active")
    first = client.get(url)
    assert "55 personnes affichées" in visible_text(first)
    assert f"{55 * TODAY.month} mois-forfait en {TODAY.year}" in visible_text(first)
    assert "Page 1 sur 2" in visible_text(first)
    euros = f"{55 * TODAY.month * 900:,}".replace(",", "\u202f")
    assert f"soit {euros} €" in visible_text(first).replace("\xa0", "\u202f")
    assert "NOM00" in table_text(first) and "NOM50" not in table_text(first)
    second = client.get(url, {"page": 2})
    text = table_text(second)
    assert "NOM50" in text and "NOM54" in text and "NOM49" not in text
    # The totals are over every row, not the page.
    assert f"{55 * TODAY.month} mois-forfait" in visible_text(second)
    # Filters are kept from page to page.
    gir = client.get(url, {"gir": "1"})
    assert "28 personnes affichées" in visible_text(gir)
    assert "Page 1 sur" not in visible_text(gir)  # no pagination (a name may hold « Page »)
    ordered = client.get(url, {"tri": "admission", "page": 2})
    assert 'href="?tri=admission&amp;page=1"' in ordered.content.decode()


def test_file_active_suspended_filter_and_situation(client, users, crt_a):
    home = enrolment(BeneficiaryFactory(crt=crt_a, birth_name="DOMICILE"),
                     admitted_on=D(TODAY.year, 1, 1))
    away = enrolment(BeneficiaryFactory(crt=crt_a, birth_name="HOPITAL"),
                     admitted_on=D(TODAY.year, 1, 1))
    _suspend(away, TODAY - timedelta(days=3))
    _suspend(home, TODAY - timedelta(days=30), TODAY - timedelta(days=20))  # over
    client.force_login(users["coordinator"])
    url = reverse("admissions:file_active")
    both = table_text(client.get(url))
    assert f"Hospitalisation depuis le {TODAY - timedelta(days=3):%d/%m/%Y}" in both
    assert "À domicile" in both
    only_away = table_text(client.get(url, {"suspendu": "oui"}))
    assert "HOPITAL" in only_away and "DOMICILE" not in only_away
    at_home = table_text(client.get(url, {"suspendu": "non"}))
    assert "DOMICILE" in at_home and "HOPITAL" not in at_home


def test_file_active_ordering(client, users, crt_a):
    enrolment(BeneficiaryFactory(crt=crt_a, birth_name="ANCIEN"), admitted_on=D(2024, 1, 1))
    enrolment(BeneficiaryFactory(crt=crt_a, birth_name="ZNOUVEAU"), admitted_on=TODAY)
    client.force_login(users["coordinator"])
    url = reverse("admissions:file_active")
    by_name = table_text(client.get(url))
    assert by_name.index("ANCIEN") < by_name.index("ZNOUVEAU")
    by_admission = table_text(client.get(url, {"tri": "admission"}))
    assert by_admission.index("ZNOUVEAU") < by_admission.index("ANCIEN")
    # By the name the page shows, in the French order: « ÉTIENNE » among the E's, « MARTIN
    # (née AZÉMA) » among the M's.
    enrolment(BeneficiaryFactory(crt=crt_a, birth_name="ÉTIENNE"), admitted_on=TODAY)
    enrolment(BeneficiaryFactory(crt=crt_a, birth_name="AZÉMA", used_name="MARTIN"),
              admitted_on=TODAY)
    shown = table_text(client.get(url))
    assert order_in(shown, ["ANCIEN", "ÉTIENNE", "MARTIN", "ZNOUVEAU"]) == [
        "ANCIEN", "ÉTIENNE", "MARTIN", "ZNOUVEAU"]
    # An unknown order falls back to the name.
    assert client.get(url, {"tri": "n'importe"}).status_code == 200


def test_lists_forbidden_role_and_other_crt(client, users, user_b, big_file_active, crt_a):
    ReferralFactory(crt=crt_a, status="waiting", person_last_name="Attente")
    client.force_login(users["activity_leader"])
    assert client.get(reverse("admissions:file_active")).status_code == 403
    assert client.get(reverse("admissions:waiting_list")).status_code == 403
    client.force_login(user_b)
    other = client.get(reverse("admissions:file_active"))
    assert other.status_code == 200 and "NOM" not in table_text(other)
    assert "0 personne affichée" in visible_text(other)
    waiting = client.get(reverse("admissions:waiting_list"))
    assert waiting.status_code == 200 and "ATTENTE" not in visible_text(waiting)


def test_waiting_list_second_page_ranks_on(client, users, crt_a):
    now = timezone.now()
    for i in range(53):
        ReferralFactory(crt=crt_a, status="waiting", person_last_name=f"Attente{i:02d}",
                        received_at=now - timedelta(days=100 - i))
    ReferralFactory(crt=crt_a, status="waiting", person_last_name="Urgente", urgency="urgent",
                    received_at=now)
    client.force_login(users["coordinator"])
    url = reverse("admissions:waiting_list")
    first = client.get(url)
    text = table_text(first)
    assert text.index("URGENTE") < text.index("ATTENTE00")
    assert "54 personnes en attente" in visible_text(first)
    # 25 rows a page: the urgent request, then ATTENTE00 to ATTENTE23.
    assert "Page 1 sur 3" in visible_text(first)
    assert "ATTENTE23" in text and "ATTENTE24" not in text
    second = table_text(client.get(url, {"page": 2}))
    assert "ATTENTE24" in second and "ATTENTE48" in second and "URGENTE" not in second
    assert "ATTENTE49" not in second
    assert "26" in second.split()  # the rank goes on from the first page
    third = table_text(client.get(url, {"page": 3}))
    assert "ATTENTE49" in third and "ATTENTE52" in third
    assert Referral.objects.filter(status="waiting").count() == 54


def test_waiting_counts_of_a_list_nobody_may_see(crt_a, users):
    ReferralFactory(crt=crt_a, status="waiting")
    nobody = waiting_list(crt=crt_a, user=users["caregiver"], roles=frozenset({Role.CAREGIVER}))
    assert waiting_counts(nobody, crt=crt_a) == (0, 0)
