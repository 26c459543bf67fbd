"""The stay form finds the beneficiary and the referral by name (search-as-you-type): the page
never lists every file or referral of the CRT; the fragment endpoint is bounded and guarded
like the form; a typed name works without JavaScript."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from maillage.admissions.tests.factories import ReferralFactory, enrolment
from maillage.beneficiaries.tests.factories import BeneficiaryFactory
from maillage.core.pickers import PICKER_LIMIT
from maillage.core.tests.helpers import visible_text
from maillage.lodging.models import Stay

from .factories import room

TODAY = timezone.localdate()


@pytest.fixture
def many(crt_a):
    # Surnames no generated name can be (the fixtures' users have random French surnames: a
    # coordinator named « Tanguy » made the page show the name it must not).
    people = [BeneficiaryFactory(crt=crt_a, birth_name=f"KERVELLAZQ{i:02d}", first_name="Léa")
              for i in range(25)]
    referrals = [ReferralFactory(crt=crt_a, person_last_name=f"Tanguyxw{i:02d}",
                                 person_first_name="Hugo") for i in range(25)]
    return people, referrals


def stay_data(r, **fields):
    return {"room": str(r.public_id), "reason": "crisis",
            "planned_start": (TODAY + timedelta(days=7)).isoformat(),
            "planned_end": (TODAY + timedelta(days=10)).isoformat(), **fields}


def test_form_lists_nobody_until_a_name_is_typed(client, users, many):
    client.force_login(users["coordinator"])
    page = client.get(reverse("lodging:stay_create"))
    assert page.status_code == 200
    text = visible_text(page)
    assert "KERVELLAZQ" not in text and "Tanguyxw" not in text
    assert f'hx-get="{reverse("lodging:stay_pick")}"' in page.content.decode()


def test_endpoint_allowed_bounded_forbidden_and_other_crt(client, users, many, user_b):
    pick = reverse("lodging:stay_pick")
    client.force_login(users["nurse"])  # lodging.manage
    response = client.get(pick, {"champ": "beneficiary", "beneficiary_q": "kervellazq"})
    assert response.status_code == 200
    assert response.content.decode().count('name="beneficiary"') == PICKER_LIMIT + 1
    referrals = client.get(pick, {"champ": "referral", "referral_q": "tanguyxw03"})
    assert visible_text(referrals).count("TANGUYXW03") + \
        visible_text(referrals).count("Tanguyxw03") == 1
    assert client.get(pick, {"champ": "room", "room_q": "a"}).status_code == 400
    client.force_login(users["care_aide"])  # no lodging.manage
    assert client.get(pick, {"beneficiary_q": "kervellazq"}).status_code == 403
    client.force_login(user_b)  # another CRT finds nobody of CRT A
    response = client.get(pick, {"champ": "beneficiary", "beneficiary_q": "kervellazq"})
    assert response.status_code == 200
    assert visible_text(response) == "Personne ne correspond à « kervellazq »."
    # A request is searched, not a person: the answer says so.
    response = client.get(pick, {"champ": "referral", "referral_q": "tanguyxw03"})
    assert visible_text(response) == "Aucune demande ne correspond à « tanguyxw03 »."


def test_round_trip_typed_and_chosen(client, users, crt_a, many):
    people, referrals = many
    enrolment(people[17], admitted_on=TODAY - timedelta(days=30))
    r = room(crt_a, name="Chambre d'urgence")
    client.force_login(users["coordinator"])
    add = reverse("lodging:stay_create")
    # Several match: said next to the field, the matches offered, nothing saved.
    response = client.post(add, stay_data(r, beneficiary_q="Kervellazq"))
    assert response.status_code == 400
    assert "Plusieurs personnes correspondent : choisissez dans la liste." in \
        visible_text(response)
    assert response.content.decode().count('type="radio" name="beneficiary"') \
        == PICKER_LIMIT + 1
    response = client.post(add, stay_data(r, beneficiary_q="Kervellazq17",
                                          referral_q="Zzyzx"))
    assert response.status_code == 400
    assert "Aucune demande ne correspond à « Zzyzx »" in visible_text(response)
    assert not Stay.objects.exists()
    # Without JavaScript: typed names matching one person and one referral.
    response = client.post(add, stay_data(r, beneficiary_q="Kervellazq17",
                                          referral_q="Hugo Tanguyxw05"))
    assert response.status_code == 302
    stay = Stay.objects.get()
    assert (stay.beneficiary, stay.referral) == (people[17], referrals[5])
    # The edit form shows the chosen ones only.
    page = client.get(reverse("lodging:stay_edit", kwargs={"public_id": stay.public_id}))
    text = visible_text(page)
    assert "KERVELLAZQ17" in text.upper() and "KERVELLAZQ16" not in text.upper()


def test_people_offered_come_from_the_file_policy(client, users, crt_a, many, monkeypatch):
    """The picker and the form offer the people whose identity the file policy grants (today
    every person of the CRT for the roles that book stays): a narrower policy narrows them, and
    a person outside it is refused next to the field."""
    from maillage.beneficiaries import access as file_policy
    from maillage.lodging import views

    people, _ = many
    calls = []

    def narrowed(face, *, crt, user, roles):
        calls.append(face)
        return file_policy.beneficiaries_for(face, crt=crt, user=user, roles=roles).filter(
            pk=people[3].pk)

    monkeypatch.setattr(views, "beneficiaries_for", narrowed, raising=False)
    client.force_login(users["coordinator"])
    response = client.get(reverse("lodging:stay_pick"),
                          {"champ": "beneficiary", "beneficiary_q": "kervellazq"})
    assert visible_text(response).upper().count("KERVELLAZQ") == 1
    assert "KERVELLAZQ03" in visible_text(response).upper()
    r = room(crt_a, name="Chambre d'urgence")
    response = client.post(reverse("lodging:stay_create"),
                           stay_data(r, beneficiary=str(people[4].public_id)))
    assert response.status_code == 400
    assert "Bénéficiaire inconnu." in visible_text(response)
    assert not Stay.objects.exists() and set(calls) == {"identity"}
