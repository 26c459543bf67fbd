"""Journey: a caregiver logs in on a phone, sees the coming visit and the note shared with them
(not the team's), and writes to the team. axe-core on every page."""

from datetime import timedelta

import pytest
from django.utils import timezone

from maillage.beneficiaries.models import CareTeamMember
from maillage.beneficiaries.tests.factories import CaregiverFactory, join_care_team, shared_file
from maillage.care.models import LiaisonNote
from maillage.core.demo import DEMO_PASSWORD
from maillage.core.models import Notification
from maillage.core.roles import Role
from maillage.core.tests.factories import CrtFactory, UserFactory, member
from maillage.visits.tests.factories import visit

from .test_login_journeys import log_in


@pytest.fixture
def family(transactional_db):
    crt = CrtFactory(name="CRT Anjou Bleu", phone="02 61 91 49 50")
    michel = UserFactory(username="michel", first_name="Michel", last_name="Hamon")
    michel.set_password(DEMO_PASSWORD)
    michel.save()
    member(michel, crt, Role.CAREGIVER)
    coordinator = UserFactory(username="claire", first_name="Claire", last_name="Moreau")
    member(coordinator, crt, Role.COORDINATOR)
    aide = UserFactory(first_name="Sandrine", last_name="Bouvier")
    member(aide, crt, Role.CARE_AIDE)
    jeanne = shared_file(crt)
    jeanne.birth_name, jeanne.first_name = "HAMON", "Jeanne"
    jeanne.save()
    CaregiverFactory(crt=crt, beneficiary=jeanne, user=michel, first_name="Michel",
                     last_name="Hamon", relation="fils")
    in_team = join_care_team(jeanne, aide)
    CareTeamMember.objects.filter(pk=in_team.pk).update(role="Aide-soignante")
    tomorrow = timezone.localdate() + timedelta(days=1)
    starts = timezone.make_aware(
        timezone.datetime(tomorrow.year, tomorrow.month, tomorrow.day, 8, 0))
    visit(jeanne, aide, starts_at=starts, minutes=30)
    for visibility, text in [
        (LiaisonNote.Visibility.CAREGIVER, "Belle promenade au jardin ce matin."),
        (LiaisonNote.Visibility.TEAM, "Réservé au cercle de soins."),
    ]:
        LiaisonNote.objects.create(crt=crt, beneficiary=jeanne, author=aide, text=text,
                                   visibility=visibility, author_role="Aide-soignante")
    return {"jeanne": jeanne, "michel": michel, "starts": starts}


def test_caregiver_on_a_phone(family, open_page):
    p = open_page(width=360, height=740)
    log_in(p, "michel")
    page = p.page
    assert page.locator("h1").inner_text() == "L'accompagnement de HAMON Jeanne"
    main = page.locator("main")
    assert main.get_by_text("02 61 91 49 50").is_visible()
    starts = family["starts"]
    visits = page.get_by_role("region", name="Prochains passages")
    assert visits.get_by_role("heading", name=f"{starts:%d/%m/%Y}").is_visible()
    assert visits.get_by_role("listitem").filter(has_text="08:00 – 08:30").filter(
        has_text="Sandrine Bouvier").is_visible()
    notes = page.get_by_role("region", name="Messages de l'équipe")
    assert notes.get_by_text("Belle promenade au jardin ce matin.").is_visible()
    assert main.get_by_text("Réservé au cercle de soins.").count() == 0
    p.check_accessibility()
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")

    page.get_by_role("link", name="Écrire à l'équipe").click()
    page.wait_for_url("**/message/")
    p.check_accessibility()
    page.get_by_role("button", name="Envoyer").click()
    assert page.get_by_text("Écrivez votre message.").is_visible()
    p.check_accessibility()
    page.get_by_label("Votre message à l'équipe").fill("Maman a mal dormi cette nuit.")
    page.get_by_role("button", name="Envoyer").click()
    page.wait_for_url(f"**/portail/{family['jeanne'].public_id}/")
    assert page.get_by_text("Votre message a été transmis à l'équipe.").is_visible()
    assert notes.get_by_text("Maman a mal dormi cette nuit.").is_visible()
    p.check_accessibility()
    note = LiaisonNote.objects.get(author=family["michel"])
    assert note.visibility == LiaisonNote.Visibility.CAREGIVER
    assert Notification.objects.filter(user__username="claire").count() == 1
