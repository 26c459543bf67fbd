"""Journey, on a phone: the activity leader finds Odette Lemaire twice on a session's list (two
light records, created before the duplicate check), opens the first record, « Fusionner avec un
doublon… », keeps it, takes the other record's phone number and merges: one person, one
registration. Then she registers the light record of a volet 2 beneficiary already registered:
warned, she does not. axe-core on every page."""

from django.conf import settings
from django.test import Client
from django.urls import reverse
from playwright.sync_api import expect

from maillage.beneficiaries.tests.factories import BeneficiaryFactory
from maillage.outreach.models import Attendee, Participation
from maillage.outreach.tests.factories import attendee, participation, session
from maillage.territory.tests.factories import CommuneFactory


def test_activity_leader_merges_two_records_of_one_person(transactional_db, open_page, users,
                                                          crt_a):
    commune = CommuneFactory(crt=crt_a, name="Segré", insee_code="49331")
    s = session(crt_a, days=-1)
    kept = attendee(crt_a, last_name="Lemaire", first_name="Odette", commune=commune,
                    age_band="85_94")
    duplicate = attendee(crt_a, last_name="LEMAIRE", first_name="Odette",
                         phone="02 41 92 11 22")
    participation(s, kept, status="absent")
    participation(s, duplicate, status="present")
    participation(session(crt_a, days=-8), duplicate, status="present")
    client = Client()
    client.force_login(users["activity_leader"])
    p = open_page(width=390, height=844)
    p.page.context.add_cookies([{"name": settings.SESSION_COOKIE_NAME,
                                 "value": client.cookies[settings.SESSION_COOKIE_NAME].value,
                                 "url": p.base_url}])
    page = p.page
    p.goto(reverse("outreach:session_detail", kwargs={"public_id": s.public_id}))
    expect(page.locator("#participants").get_by_role("link", name="LEMAIRE Odette",
                                                     exact=True)).to_have_count(2)
    p.goto(reverse("outreach:attendee_edit", kwargs={"public_id": kept.public_id}))
    expect(page.locator("h1")).to_contain_text("Fiche de LEMAIRE Odette")
    p.check_accessibility()

    page.get_by_role("link", name="Fusionner avec un doublon…").click()
    expect(page.locator("h1")).to_have_text(
        "Fusionner la fiche de LEMAIRE Odette avec un doublon")
    expect(page.locator("#doublons")).to_contain_text(
        "LEMAIRE Odette — personne âgée, 02 41 92 11 22")
    expect(page.locator("#doublons")).to_contain_text("2 inscriptions")
    p.check_accessibility()
    page.get_by_role("link", name="Conserver la fiche ouverte et y fusionner celle-ci").click()
    expect(page.locator("h1")).to_have_text("Fusionner deux fiches")
    expect(page.locator("#seances-communes")).to_contain_text(
        "Inscrite sous les deux fiches à 1 séance")
    # What differs, each with the kept value chosen unless it is empty.
    expect(page.get_by_label("02 41 92 11 22 — fiche en double")).to_be_checked()
    expect(page.get_by_label("Segré — fiche conservée")).to_be_checked()
    page.get_by_label("LEMAIRE — fiche en double").check()
    p.check_accessibility()
    page.get_by_role("button", name="Fusionner les deux fiches").click()
    expect(page.get_by_text("Fiches fusionnées : LEMAIRE Odette a 2 inscriptions. La fiche en "
                            "double est supprimée.")).to_be_visible()
    p.check_accessibility()
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    assert not Attendee.objects.filter(pk=duplicate.pk).exists()
    assert Participation.objects.get(session=s).status == "present"

    # A volet 2 beneficiary and a light record of the same name in one session.
    other = session(crt_a)
    participation(other, beneficiary=BeneficiaryFactory(crt=crt_a, birth_name="Lemaire",
                                                         first_name="Odette"))
    p.goto(reverse("outreach:session_register", kwargs={"public_id": other.public_id}))
    page.locator("#id_attendee_q").fill("lemai")
    page.locator("#id_attendee_results").get_by_label(
        "LEMAIRE Odette — personne âgée, Segré").check()
    page.get_by_role("button", name="Inscrire", exact=True).click()
    expect(page.get_by_role("heading", name="Une personne de même nom est déjà inscrite à "
                                             "cette séance :")).to_be_visible()
    expect(page.get_by_label("Ce n'est pas la même personne : l'inscrire quand même")
           ).not_to_be_checked()
    p.check_accessibility()
    assert Participation.objects.filter(session=other).count() == 1
