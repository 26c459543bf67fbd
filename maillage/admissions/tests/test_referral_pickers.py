"""The review of a referral finds people and structures by name (search-as-you-type): who takes
the next step, the referent at admission, the structure a referral is redirected to. The page
never lists the whole team or directory; the fragment endpoint is bounded and guarded like the
review; a typed name works without JavaScript."""

import pytest
from django.urls import reverse
from django.utils import timezone

from maillage.admissions.models import Enrolment
from maillage.admissions.tests.factories import ReferralFactory
from maillage.admissions.tests.test_checklist import all_steps_but_agreement, do
from maillage.beneficiaries.tests.factories import BeneficiaryFactory, consent
from maillage.core.pickers import PICKER_LIMIT
from maillage.core.roles import Role
from maillage.core.tests.helpers import visible_text
from maillage.territory.tests.factories import OrganizationFactory

HX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def many(crt_a, make_user):
    team = [make_user(crt_a, Role.NURSE, first_name="Léa", last_name=f"Kervellazq{i:02d}")
            for i in range(25)]
    orgs = [OrganizationFactory(crt=crt_a, name=f"Résidence Tanguyxw {i:02d}")
            for i in range(25)]
    return team, orgs


def url(name, referral):
    return reverse(f"admissions:{name}", kwargs={"public_id": referral.public_id})


def test_review_lists_nobody_until_a_name_is_typed(client, users, crt_a, many):
    referral = ReferralFactory(crt=crt_a)
    client.force_login(users["coordinator"])
    page = client.get(url("referral_detail", referral))
    assert page.status_code == 200
    text = visible_text(page)
    assert "Kervellazq" not in text and "Résidence Tanguyxw" not in text
    assert f'hx-get="{url("referral_pick", referral)}"' in page.content.decode()


def test_endpoint_allowed_bounded_forbidden_and_other_crt(client, users, crt_a, crt_b, many,
                                                          user_b):
    referral = ReferralFactory(crt=crt_a)
    pick = url("referral_pick", referral)
    client.force_login(users["coordinator"])  # referral.review
    response = client.get(pick, {"champ": "next_step_owner", "next_step_owner_q": "kervellazq"})
    assert response.status_code == 200
    assert response.content.decode().count('name="next_step_owner"') == PICKER_LIMIT + 1
    referent = client.get(pick, {"champ": "referent", "referent_q": "kervellazq07"})
    assert "Léa Kervellazq07" in visible_text(referent)
    orgs = client.get(pick, {"champ": "redirected_to", "redirected_to_q": "tanguyxw 03"})
    assert visible_text(orgs).count("Résidence Tanguyxw") == 1
    # A structure is searched, not a person: the answer says so.
    none = client.get(pick, {"champ": "redirected_to", "redirected_to_q": "zzyzx"})
    assert visible_text(none) == "Aucune structure ne correspond à « zzyzx »."
    assert client.get(pick, {"champ": "decision"}).status_code == 400
    client.force_login(users["nurse"])  # reads referrals, does not review them
    assert client.get(pick, {"next_step_owner_q": "a"}).status_code == 403
    client.force_login(user_b)
    assert client.get(pick, {"next_step_owner_q": "a"}).status_code == 404
    client.force_login(users["coordinator"])
    other = url("referral_pick", ReferralFactory(crt=crt_b))
    assert client.get(other, {"next_step_owner_q": "a"}).status_code == 404


def test_decision_with_typed_names(client, users, crt_a, many):
    team, orgs = many
    client.force_login(users["coordinator"])
    redirected = ReferralFactory(crt=crt_a)
    data = {"form": "decision", "version": redirected.version, "decision": "redirect",
            "reason": "Situation complexe"}
    # Several structures match: said next to the field, the matches offered.
    response = client.post(url("referral_detail", redirected),
                           {**data, "redirected_to_q": "Tanguyxw"})
    assert response.status_code == 400
    text = visible_text(response)
    assert "Plusieurs structures correspondent : choisissez dans la liste." in text
    assert response.content.decode().count('type="radio" name="redirected_to"') \
        == PICKER_LIMIT + 1
    response = client.post(url("referral_detail", redirected),
                           {**data, "redirected_to_q": "Zzyzx"})
    assert response.status_code == 400
    assert "Aucune structure ne correspond à « Zzyzx »" in visible_text(response)
    # Without JavaScript: a typed name matching one structure.
    response = client.post(url("referral_detail", redirected),
                           {**data, "redirected_to_q": "tanguyxw 12"})
    assert response.status_code == 302
    redirected.refresh_from_db()
    assert redirected.redirected_to == orgs[12]
    # The next step's owner, typed then chosen.
    waiting = ReferralFactory(crt=crt_a, status="waiting", next_step="Visite")
    data = {"form": "next_step", "version": waiting.version, "next_step": "Commission"}
    response = client.post(url("referral_detail", waiting),
                           {**data, "next_step_owner_q": "Léa Kervellazq04"})
    assert response.status_code == 302
    waiting.refresh_from_db()
    assert waiting.next_step_owner == team[4]
    response = client.post(url("referral_detail", waiting),
                           {**data, "version": waiting.version,
                            "next_step_owner": team[9].public_id})
    assert response.status_code == 302
    waiting.refresh_from_db()
    assert waiting.next_step_owner == team[9]


def test_admission_referent_typed(client, users, crt_a, many):
    team, _ = many
    b = BeneficiaryFactory(crt=crt_a, birth_name="LEMAIRE", first_name="Odette",
                           current_gir=3)
    consent(b)
    waiting = ReferralFactory(crt=crt_a, status="waiting", beneficiary=b, known_gir=3)
    all_steps_but_agreement(users["coordinator"], waiting)
    do(users["coordinator"], waiting, "agreement", agreed_by="person", agreement_method="oral")
    waiting.refresh_from_db()
    client.force_login(users["coordinator"])
    form = client.get(url("admit", waiting), **HX)
    text = visible_text(form)
    assert users["coordinator"].get_full_name() in text  # the default: whoever admits
    assert "Kervellazq" not in text
    data = {"admitted_on": timezone.localdate().isoformat(), "version": waiting.version}
    response = client.post(url("admit", waiting), {**data, "referent_q": "Kervellazq"}, **HX)
    assert response.status_code == 400
    assert "Plusieurs personnes correspondent" in visible_text(response)
    response = client.post(url("admit", waiting), {**data, "referent_q": "kervellazq21"}, **HX)
    assert response.status_code == 200
    assert Enrolment.objects.get(beneficiary=b).referent == team[21]


def test_a_required_picker_offers_no_aucun(client, users, crt_a, many):
    """« Qui s'en charge » of the next step is required: its matches come without « Aucun »
    (which the form then refused), as the page shows it; the decision's, optional, keep it."""
    referral = ReferralFactory(crt=crt_a, status="waiting")
    pick = url("referral_pick", referral)
    client.force_login(users["coordinator"])
    page = client.get(url("referral_detail", referral)).content.decode()
    assert f'hx-get="{pick}?formulaire=etape"' in page
    step = client.get(pick, {"formulaire": "etape", "champ": "next_step_owner",
                             "next_step_owner_q": "kervellazq0"})
    assert "Léa Kervellazq01" in visible_text(step) and "Aucun" not in visible_text(step)
    decision = client.get(pick, {"champ": "next_step_owner", "next_step_owner_q": "kervellazq0"})
    assert visible_text(decision).startswith("Aucun ")
