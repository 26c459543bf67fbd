"""Query budgets with the demo ×4: the pages stay flat as data grows.

×4 is enough for every list to hold more than one full page (the file active's 50 rows: ≈ 140
people in the first CRT; the waiting list's 25: ≈ 60; the team day's 15 professionals), so a
query per row would show; the query counts do not change from ×4 to ×10 or ×50 (``maillage
bench --scale 10`` prints them at both sizes). A ×10 load would triple this file's time."""

import pytest
from django.core.management import call_command
from django.test import Client
from django.urls import reverse

from maillage.admissions.models import Enrolment, Referral
from maillage.beneficiaries.models import Beneficiary
from maillage.core.management.commands.demo import load_demo

SCALE = 4


@pytest.fixture(scope="module")
def big_demo(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock():
        load_demo(scale=SCALE)
        yield
        call_command("flush", interactive=False, verbosity=0)


def client_for(username: str) -> Client:
    from django.contrib.auth import get_user_model

    client = Client()
    client.force_login(get_user_model().objects.get(username=username))
    return client


# Every page of a role that may read conversations pays one query for the unread-messages badge
# of the navigation; a reader with unread notifications about a person (the demo's coordinator,
# nurses, care aides, partners) pays one more for the notifications badge: the unread ones by
# face, then the file policy for those faces only (``core.notifications.unread_count``).
PAGES = [
    # +1: DLUs to review; +2: the night's on-call calls and the rota's coverage; +2: the
    # panels contributed by the apps (the coordinator's visits of the day, the calls it may
    # read), +2: volet 1 (the year's figures and check), +3: agreements ending soon (and their
    # partners), overdue decisions — bounded panels, whatever the size of the CRT; +1: the
    # reader's on-call turns (« Mes passages » of today keeps the night worked in one piece),
    # +1: the reader's night hours, which extend that night as a turn does.
    ("coordinator", "core:home", {}, 28),
    # The night's calls on the nurse's home too (+2, as the coordinator's), and her turns and
    # night hours (+2).
    ("nurse", "core:home", {}, 23),
    ("coordinator", "beneficiaries:list", {}, 11),
    # +1: the year's temporary-exit figures (one grouped query).
    ("coordinator", "admissions:file_active", {}, 13),
    ("coordinator", "admissions:waiting_list", {}, 11),
    ("coordinator", "admissions:referral_list", {}, 11),
    ("coordinator", "territory:organization_list", {}, 11),
    ("coordinator", "territory:professional_list", {}, 11),
    ("coordinator", "care:conversations", {}, 10),
    ("direction", "care:telehealth_overview", {}, 12),
    # +5: one audit event per older person of the page (the demo's 8 acts are about 5 people).
    ("nurse", "care:telehealth_territory", {}, 16),
    ("auditor", "core:audit_list", {}, 12),
    ("partner", "beneficiaries:list", {}, 11),
    # The team's day (≈ 400 visits at this scale) and a care aide's day on her phone.
    # +1: who visits that day (one grouped query) picks the page of 15 professionals whose
    # visits are loaded; +1: the day's totals counted by the database.
    ("coordinator", "visits:team_day", {}, 13),
    ("coordinator", "visits:professional_week", {}, 12),
    # +1 on « Mes passages »: the reader's on-call turns, for the night shown with today's
    # visits (``visits.selectors.my_today``); +1: the reader's night hours, which extend that
    # night as a turn does (``rounds.rest.night_hours``).
    ("care_aide", "visits:my_day", {}, 13),
    ("partner", "visits:my_day", {}, 12),
]


@pytest.mark.parametrize(("username", "name", "kwargs", "budget"), PAGES,
                         ids=[f"{u}-{n}" for u, n, _, _ in PAGES])
def test_list_pages_stay_within_budget(big_demo, db, django_assert_max_num_queries, username,
                                       name, kwargs, budget):
    client = client_for(username)
    with django_assert_max_num_queries(budget):
        response = client.get(reverse(name, kwargs=kwargs))
    assert response.status_code == 200


def test_on_call_search_stays_within_budget(big_demo, db, django_assert_max_num_queries):
    nurse = client_for("nurse")
    b = Beneficiary.objects.filter(crt__name="CRT Anjou Bleu").exclude(phone="").first()
    for query in (b.birth_name, b.phone, b.birth_date.strftime("%d/%m/%Y")):
        # Session, user, memberships, notifications, badge, the search, its audit event,
        # who is on call, the escalation contacts, the open calls, the open alerts (at most 15)
        # and their audit events (one insert), session refresh.
        with django_assert_max_num_queries(16):
            response = nurse.get(reverse("oncall:screen"), {"q": query})
        assert response.status_code == 200
        assert b.display_name in response.content.decode()


def test_the_threads_a_nurse_follows_stay_within_budget(big_demo, db,
                                                       django_assert_max_num_queries):
    """The coordinator of the budget table follows no thread: the nurse of the demo follows
    the threads of her care teams (four files with a thread per unit of scale, hers first)."""
    nurse = client_for("nurse")
    with django_assert_max_num_queries(11):
        response = nurse.get(reverse("care:conversations"))
    page = response.content.decode()
    threads = page.count('data-label="Personne"')
    assert threads >= 10, page
    assert "Aucune conversation." not in page


def test_the_demo_is_really_big(big_demo, db):
    assert Enrolment.objects.filter(crt__name="CRT Anjou Bleu", ended_on__isnull=True).count() \
        > 2 * 50  # two pages of the file active
    assert Referral.objects.filter(status="waiting").count() > 2 * 25  # of the waiting list


def test_file_pages_stay_within_budget(big_demo, db, django_assert_max_num_queries):
    doctor = client_for("doctor")
    b = Beneficiary.objects.filter(crt__name="CRT Anjou Bleu").order_by("pk").first()
    enrolment = Enrolment.objects.filter(beneficiary=b).first()
    for url, budget in [
        # +2: the person's stay in the file active, and their current absence (the banner).
        (reverse("beneficiaries:detail", kwargs={"public_id": b.public_id}), 24),
        (reverse("beneficiaries:medical", kwargs={"public_id": b.public_id}), 17),
        # +1: the steps of the referral behind the admission (every demo admission has one).
        (reverse("admissions:enrolment_detail", kwargs={"public_id": enrolment.public_id}), 17),
        (reverse("visits:beneficiary", kwargs={"public_id": b.public_id}), 15),
    ]:
        with django_assert_max_num_queries(budget):
            assert doctor.get(url).status_code == 200
