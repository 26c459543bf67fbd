"""Every role's home shows real items and no dead link: for each role, with a realistic CRT (a
person followed at home, whose care team holds the field roles and a partner doctor, visits
today, an alert, a night call, a plan and a DLU due, a waiting list), the home page shows the
role's own items, within a query budget, and every internal link on it opens (no 403, 404 or
500)."""

import re
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from maillage.admissions.models import Referral
from maillage.admissions.tests.factories import ReferralFactory, enrolment
from maillage.beneficiaries.models import Document
from maillage.beneficiaries.tests.factories import (
    BeneficiaryFactory,
    CaregiverFactory,
    consent,
    document,
    join_care_team,
)
from maillage.care.models import Alert
from maillage.care.tests.factories import plan_version
from maillage.core.audit import audit_log
from maillage.core.roles import Role
from maillage.oncall.tests.factories import call
from maillage.visits.services import local_dt
from maillage.visits.tests.factories import visit

from .helpers import visible_text

#: Today's visit of each field role, at its own time.
VISIT_TIMES = {
    Role.CARE_AIDE: "09:15", Role.NURSE: "10:30", Role.DOCTOR: "11:45",
    Role.PSYCHOLOGIST: "13:00", Role.OCCUPATIONAL_THERAPIST: "14:15",
    Role.ACTIVITY_LEADER: "15:30", Role.PARTNER: "16:45",
}
PERSON = "DURAND Lucienne"

#: What each role's home shows of the CRT's life (besides the person's name where it belongs).
EXPECTED = {
    Role.DIRECTION: ["File active (volet 2) 1 / cible 30", "1 en liste d'attente",
                     "Plans à réviser", "DLU à établir", "1 appel"],
    Role.COORDINATOR: ["chute", "Plans à réviser", "DLU à établir", PERSON,
                       "Perte de poids"],
    Role.DOCTOR: ["Mes passages aujourd'hui", "11:45", PERSON, "DLU à établir",
                  "Perte de poids"],
    Role.NURSE: ["Mes passages aujourd'hui", "10:30", PERSON, "Perte de poids",
                 "Astreinte depuis hier 8 h", f"{PERSON} : chute — en cours"],
    Role.CARE_AIDE: ["Mes passages aujourd'hui", "09:15", PERSON],
    Role.PSYCHOLOGIST: ["Mes passages aujourd'hui", "13:00", PERSON],
    Role.OCCUPATIONAL_THERAPIST: ["Mes passages aujourd'hui", "14:15", PERSON],
    Role.ACTIVITY_LEADER: ["Mes passages aujourd'hui", "15:30", PERSON],
    Role.ADMIN_STAFF: ["File active (volet 2) 1 / cible 30", "1 en liste d'attente",
                       "Équipe du CRT"],
    Role.PARTNER: ["Les personnes que vous accompagnez", PERSON, "16:45"],
    Role.AUDITOR: ["Journal d'audit", "Accès d'urgence 1 sur 30 jours"],
    Role.ARS: ["File active (volet 2) < 5 / cible 30", "Dotation annuelle", "Passages de"],
    Role.CAREGIVER: ["un seul numéro", "02 61 91 00 01"],
    Role.BENEFICIARY: ["un seul numéro", "02 61 91 00 01"],
}

#: Queries of the home page, per role (session, user, memberships, notifications and the
#: navigation's badge included; one query per panel: the coordinator's agreements ending soon
#: and overdue decisions, the activity leader's volet 1 figures and check; the nurse's night
#: calls, as the coordinator's). « Mes passages aujourd'hui » asks for the reader's on-call turns
#: (the night shown with today's visits, ``visits.selectors.my_today``): +1 for the coordinator,
#: the nurse and the activity leader, who had no query to spare; +1 for the roles with a day of
#: visits (the direction to the activity leader): the reader's night hours, which extend that
#: night as a turn does (``rounds.rest.night_hours``).
BUDGET = {
    Role.DIRECTION: 21, Role.COORDINATOR: 24, Role.DOCTOR: 19, Role.NURSE: 19,
    Role.CARE_AIDE: 16, Role.PSYCHOLOGIST: 16, Role.OCCUPATIONAL_THERAPIST: 16,
    Role.ACTIVITY_LEADER: 16, Role.ADMIN_STAFF: 13, Role.PARTNER: 17, Role.AUDITOR: 8,
    Role.ARS: 10, Role.CAREGIVER: 14, Role.BENEFICIARY: 15,
}


@pytest.fixture
def crt_life(crt_a, users):
    today = timezone.localdate()
    b = BeneficiaryFactory(crt=crt_a, birth_name="Durand", first_name="Lucienne",
                           portal_user=users[Role.BENEFICIARY])
    consent(b, share_health=True, user=users[Role.COORDINATOR])
    consent(b, kind="oncall_information", user=users[Role.COORDINATOR])
    CaregiverFactory(crt=crt_a, beneficiary=b, user=users[Role.CAREGIVER], is_main=True)
    for role in VISIT_TIMES:
        join_care_team(b, users[role], roles=(role,))
    for role, at in VISIT_TIMES.items():
        visit(b, users[role], roles=(role,), starts_at=local_dt(today, at))
    enrolment(b, referent=users[Role.NURSE])  # file active; its DLU is to establish
    ReferralFactory(crt=crt_a, status=Referral.Status.WAITING)
    Alert.objects.create(crt=crt_a, beneficiary=b, kind=Alert.Kind.WEIGHT_LOSS,
                         description="Perte de poids de 3 kg en un mois",
                         raised_by=users[Role.CARE_AIDE])
    plan_version(b, status="validated", next_review_on=today + timedelta(days=3),
                 referent=users[Role.COORDINATOR])
    call(crt_a, users[Role.NURSE], b, received_at=timezone.now() - timedelta(minutes=30))
    document(b)
    document(b, category=Document.Category.MEDICAL, title="Compte rendu de consultation mémoire")
    audit_log(actor=users[Role.NURSE], action="dlu.viewed", crt=crt_a, obj=b, beneficiary=b,
              emergency=True)
    return b


def internal_links(response) -> list[str]:
    logout = reverse("core:logout")
    links = re.findall(r'href="(/[^"]*)"', response.content.decode())
    return sorted({link.replace("&amp;", "&") for link in links
                   if not link.startswith(("/static/", "/media/")) and link != logout})


def dead_links(client, response) -> dict[str, int]:
    """The internal links of the page that answer 403, 404 or an error, with their status."""
    statuses = {link: client.get(link).status_code for link in internal_links(response)}
    return {link: status for link, status in statuses.items()
            if status in (403, 404) or status >= 500}


@pytest.mark.parametrize("role", list(Role))
def test_home_shows_real_items_and_no_dead_link(role, client, users, crt_life,
                                                django_assert_max_num_queries):
    client.force_login(users[role])
    url = reverse("core:home")
    client.get(url)  # the session's first request refreshes it; count the next one
    with django_assert_max_num_queries(BUDGET[role]):
        response = client.get(url)
    assert response.status_code == 200
    text = visible_text(response)
    for expected in EXPECTED[role]:
        assert expected in text, (role, expected)
    assert "s'afficheront ici" not in text and "Aucune visite planifiée" not in text
    if role == Role.ARS:
        assert PERSON.upper() not in text.upper()  # figures only, nobody named (the whole name:
        # a random user of the page may be called Durand too)
    assert not dead_links(client, response), role


def test_doctor_dlu_links_open_or_lead_to_the_file(client, users, crt_a, crt_life):
    """The DLU list links to the DLU only for whoever may read it (a health professional of the
    person's care team); others reach the person's file: never a refusal."""
    outside = BeneficiaryFactory(crt=crt_a, birth_name="Marchal", first_name="Odette")
    enrolment(outside)
    client.force_login(users[Role.DOCTOR])
    page = client.get(reverse("core:home")).content.decode()
    assert reverse("oncall:dlu", kwargs={"public_id": crt_life.public_id}) in page
    assert reverse("oncall:dlu", kwargs={"public_id": outside.public_id}) not in page
    assert reverse("beneficiaries:detail", kwargs={"public_id": outside.public_id}) in page
    client.force_login(users[Role.COORDINATOR])
    page = client.get(reverse("core:home")).content.decode()
    assert "/astreinte/dlu/" not in page


@pytest.mark.parametrize("role", list(Role))
def test_the_file_page_has_no_dead_link(role, client, users, crt_life):
    """A person's file offers only what the role may open: its buttons (Transmissions, Alertes,
    Conversation… once led the administrative staff to a refusal) and every other link."""
    client.force_login(users[role])
    response = client.get(reverse("beneficiaries:detail",
                                  kwargs={"public_id": crt_life.public_id}))
    if response.status_code != 200:
        assert response.status_code == 403, role  # roles that read no file
        return
    assert PERSON in visible_text(response)
    assert not dead_links(client, response), role


@pytest.mark.parametrize("role", list(Role))
def test_the_pages_the_file_links_to_have_no_dead_link(role, client, users, crt_life):
    """One step further than the file page: each of the person's pages it links to (its
    sections, the notebook, the alerts, the plan, the visits…) offers only what the role may
    open (the menu's pages are the homes' test)."""
    client.force_login(users[role])
    response = client.get(reverse("beneficiaries:detail",
                                  kwargs={"public_id": crt_life.public_id}))
    if response.status_code != 200:
        assert response.status_code == 403, role  # roles that read no file
        return
    statuses: dict[str, int] = {}
    dead = {}
    for page in internal_links(response):
        if str(crt_life.public_id) not in page:
            continue
        answer = client.get(page)
        statuses[page] = answer.status_code
        if answer.status_code != 200 or "text/html" not in answer["Content-Type"]:
            continue
        for link in internal_links(answer):
            if link not in statuses:
                statuses[link] = client.get(link).status_code
            if statuses[link] in (403, 404) or statuses[link] >= 500:
                dead[link] = (page, statuses[link])
    assert not dead, (role, dead)


def test_a_medical_document_is_named_to_the_coordination_without_a_link(client, users,
                                                                        crt_life):
    """The coordination knows the document is there (``access.liaison``) but may not open it:
    its title without a link, said so (the link led to a refusal)."""
    medical = Document.objects.get(beneficiary=crt_life, category=Document.Category.MEDICAL)
    link = reverse("beneficiaries:document_download",
                   kwargs={"public_id": crt_life.public_id, "item_id": medical.public_id})
    client.force_login(users[Role.COORDINATOR])
    response = client.get(reverse("beneficiaries:detail", kwargs={"public_id": crt_life.public_id}))
    assert link not in response.content.decode()
    assert ("Compte rendu de consultation mémoire (réservé aux professionnels de santé du cercle "
            "de soins)") in visible_text(response)
    client.force_login(users[Role.NURSE])
    response = client.get(reverse("beneficiaries:detail", kwargs={"public_id": crt_life.public_id}))
    assert link in response.content.decode()
    assert client.get(link).status_code == 200


@pytest.mark.parametrize("role", list(Role))
def test_the_medical_section_has_no_dead_link(role, client, users, crt_life):
    """The medical section offers only what the role may record: « Nouvelle évaluation AGGIR »
    and « Ajouter une évaluation » led the care aide and the partner to a refusal, « Nouveau
    repérage » the partner."""
    client.force_login(users[role])
    response = client.get(reverse("beneficiaries:medical",
                                  kwargs={"public_id": crt_life.public_id}))
    if response.status_code != 200:
        assert response.status_code in (403, 404), role  # roles that read no health data
        return
    assert "Volet médical" in visible_text(response)
    assert not dead_links(client, response), role


def test_the_month_s_visits_are_counted_for_the_direction_and_masked_for_the_ars(
        client, users, crt_life):
    """Each visit is about one person: the ARS reads 1 to 4 of them as « < 5 » (INDICATORS §5
    rule 2); the direction reads the counts (rule 7)."""
    from maillage.visits.models import Visit

    three = Visit.objects.filter(beneficiary=crt_life).order_by("starts_at")[:3]
    Visit.objects.filter(pk__in=list(three.values_list("pk", flat=True))).update(
        status=Visit.Status.DONE)
    client.force_login(users[Role.DIRECTION])
    assert "3 réalisés" in visible_text(client.get(reverse("core:home")))
    client.force_login(users[Role.ARS])
    text = visible_text(client.get(reverse("core:home")))
    assert "< 5 réalisés" in text and "3 réalisés" not in text
    assert "« < 5 » : de 1 à 4 passages" in text


def test_a_refusal_sends_each_reader_to_someone_else(client, users, crt_life):
    """« Contactez la coordination » was said to the coordination itself: it is sent to the
    direction, and the direction to nobody."""
    medical = Document.objects.get(beneficiary=crt_life, category=Document.Category.MEDICAL)
    link = reverse("beneficiaries:document_download",
                   kwargs={"public_id": crt_life.public_id, "item_id": medical.public_id})
    expected = {Role.COORDINATOR: "contactez la direction de votre CRT.",
                Role.ADMIN_STAFF: "contactez la coordination de votre CRT.",
                Role.DIRECTION: None}
    for role, sentence in expected.items():
        client.force_login(users[role])
        response = client.get(link)
        assert response.status_code == 403, role
        text = visible_text(response)
        assert "Accès refusé" in text
        if sentence is None:
            assert "Si vous pensez" not in text
        else:
            assert f"Si vous pensez qu'il s'agit d'une erreur, {sentence}" in text, role
