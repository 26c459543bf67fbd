"""Telehealth acts for the older people of the territory (volet 1 light records, issue 13 §3,
V1-03): one person per act, recorded and read by the CRT's health professionals only, every
read audited; counted by kind over both volets for the direction."""

import re
from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.http import HttpResponse
from django.urls import reverse
from django.utils import timezone

from maillage.beneficiaries.tests.factories import shared_file as shared
from maillage.care import access, services
from maillage.care.models import TelehealthAct
from maillage.care.tests.factories import telehealth_act, territory_telehealth_act
from maillage.core.errors import DomainError
from maillage.core.models import AuditEvent
from maillage.core.roles import Role
from maillage.core.tests.helpers import visible_text
from maillage.outreach.models import Attendee
from maillage.outreach.tests.factories import attendee

ONE_PERSON = "Un acte de télésanté concerne une seule personne"


def person_url(name, person):
    return reverse(f"care:{name}", kwargs={"public_id": person.public_id})


def local(dt) -> str:
    return timezone.localtime(dt).strftime("%Y-%m-%dT%H:%M")


@pytest.fixture
def form(users):
    def make(**fields):
        data = {
            "kind": "telecare", "performed_at": local(timezone.now() - timedelta(hours=3)),
            "staff": str(users["nurse"].public_id), "professional": "",
            "professional_name": "Mme Roux, orthophoniste", "requester": "person",
            "requester_detail": "", "performer_employer": "partner_ehpad",
            "reason": "Troubles de la déglutition", "outcome": "Exercices à poursuivre",
            "notes": "",
        }
        data.update(fields)
        return data

    return make


@pytest.fixture
def odette(crt_a):
    return attendee(crt_a, last_name="Lemaire", first_name="Odette")


# --- The model: exactly one person -------------------------------------------------------------


@pytest.mark.parametrize("both", [True, False], ids=["both", "neither"])
def test_an_act_is_about_exactly_one_person(crt_a, users, odette, both):
    act = TelehealthAct(crt=crt_a, kind="telecare", performed_at=timezone.now(),
                        staff=users["nurse"], professional_name="Mme Roux",
                        requester="person", performer_employer="carrier", reason="Motif",
                        outcome="Suites", attendee=odette if both else None,
                        beneficiary=shared(crt_a) if both else None)
    with pytest.raises(ValidationError) as refused:
        act.full_clean()
    assert ONE_PERSON in " ".join(refused.value.messages)
    with pytest.raises(IntegrityError), transaction.atomic():
        act.save()


def test_acts_recorded_before_keep_an_unknown_requester(crt_a):
    act = telehealth_act(shared(crt_a), requester="", performer_employer="")
    assert act.requester_label == "Non renseigné"


# --- Recording from the person's page ----------------------------------------------------------


def test_nurse_records_an_act_for_an_older_person_of_the_territory(client, users, odette,
                                                                   form):
    client.force_login(users["nurse"])
    page = visible_text(client.get(person_url("telehealth_person", odette)))
    assert "Télésanté — LEMAIRE Odette" in page and "Aucun acte de télésanté." in page
    assert "Nouvel acte" in page
    response = client.post(person_url("telehealth_person_add", odette), form())
    assert response.status_code == 302
    assert response["Location"] == person_url("telehealth_person", odette)
    act = TelehealthAct.objects.get()
    assert (act.attendee, act.beneficiary, act.kind, act.requester, act.performer_employer) == (
        odette, None, "telecare", "person", "partner_ehpad")
    page = visible_text(client.get(person_url("telehealth_person", odette)))
    assert "Télésoin" in page and "Exercices à poursuivre" in page
    assert "La personne ou son aidant" in page and "Un EHPAD partenaire" in page
    events = AuditEvent.objects.filter(object_id__in=[str(odette.public_id),
                                                      str(act.public_id)])
    assert set(events.values_list("action", flat=True)) == {"telehealth.recorded",
                                                            "telehealth.person_viewed"}
    assert events.filter(action="telehealth.person_viewed", actor=users["nurse"]).count() == 2


@pytest.mark.parametrize(("fields", "field", "message"), [
    ({"requester": ""}, "requester", "Indiquez qui a demandé l'acte."),
    ({"requester": "other"}, "requester_detail", "Précisez qui a demandé l'acte."),
    ({"performer_employer": ""}, "performer_employer",
     "Indiquez pour quelle structure travaille la personne"),
    ({"performed_at": "in-future"}, "performed_at", "La date de l'acte est dans le futur"),
    ({"kind": ""}, "kind", "Choisissez le type d'acte."),
    ({"professional_name": ""}, "professional", "Indiquez le professionnel consulté"),
])
def test_bad_input_is_refused_next_to_the_field(client, users, odette, form, fields, field,
                                                message):
    if fields.get("performed_at") == "in-future":
        fields["performed_at"] = local(timezone.now() + timedelta(days=1))
    client.force_login(users["doctor"])
    response = client.post(person_url("telehealth_person_add", odette),
                           form(staff=str(users["doctor"].public_id), **fields))
    assert response.status_code == 400
    assert message in visible_text(response)
    assert re.search(rf'aria-describedby="[^"]*\bid_{field}_errors"', response.content.decode())
    assert not TelehealthAct.objects.exists()


# --- Recording from the territory's list (the person chosen by name) --------------------------


def test_the_person_is_chosen_among_the_older_people_of_the_crt(client, users, crt_a, crt_b,
                                                                  odette, form):
    helper = attendee(crt_a, kind=Attendee.Kind.CAREGIVER, last_name="Lemaire",
                      first_name="Paul")
    elsewhere = attendee(crt_b, last_name="Lemaire", first_name="Jeanne")
    client.force_login(users["nurse"])
    pick = reverse("care:telehealth_territory_pick")
    found = client.get(pick, {"champ": "attendee", "attendee_q": "lemaire"}).content.decode()
    assert str(odette.public_id) in found
    assert str(helper.public_id) not in found and str(elsewhere.public_id) not in found
    add = reverse("care:telehealth_territory_add")
    for other in (helper, elsewhere):
        response = client.post(add, form(attendee=str(other.public_id)))
        assert response.status_code == 400
        assert "Choisissez une personne dans la liste." in visible_text(response)
    assert not TelehealthAct.objects.exists()
    # A name typed, nobody ticked (« Aucun » ticked is a choice).
    response = client.post(add, form(attendee_q="Lemaire Odette"))
    assert response.status_code == 302
    assert TelehealthAct.objects.get().attendee == odette


# --- Who may see and record -------------------------------------------------------------------


@pytest.mark.parametrize("role", ["nurse", "doctor", "care_aide", "psychologist",
                                  "occupational_therapist"])
def test_health_professionals_of_the_crt_see_the_acts(client, users, odette, role):
    territory_telehealth_act(odette)
    client.force_login(users[role])
    assert "Troubles de la déglutition" in visible_text(
        client.get(person_url("telehealth_person", odette)))
    assert "LEMAIRE Odette" in visible_text(client.get(reverse("care:telehealth_territory")))


@pytest.mark.parametrize("role", ["activity_leader", "admin_staff", "partner", "direction",
                                  "coordinator", "ars", "auditor", "caregiver"])
def test_other_roles_see_and_record_nothing(client, users, odette, form, role):
    territory_telehealth_act(odette)
    client.force_login(users[role])
    for name in ("telehealth_person", "telehealth_person_add"):
        assert client.get(person_url(name, odette)).status_code == 403
    assert client.post(person_url("telehealth_person_add", odette), form()).status_code == 403
    for name in ("telehealth_territory", "telehealth_territory_add",
                 "telehealth_territory_pick"):
        assert client.get(reverse(f"care:{name}")).status_code == 403
    assert TelehealthAct.objects.count() == 1
    assert not AuditEvent.objects.filter(action__in=["telehealth.person_viewed",
                                                     "telehealth.territory_viewed"]).exists()


def test_another_crts_person_is_not_found(client, users, crt_b, form):
    theirs = attendee(crt_b)
    territory_telehealth_act(theirs)
    client.force_login(users["nurse"])
    assert client.get(person_url("telehealth_person", theirs)).status_code == 404
    assert client.post(person_url("telehealth_person_add", theirs), form()).status_code == 404
    assert TelehealthAct.objects.count() == 1
    assert "LEMAIRE" not in visible_text(client.get(reverse("care:telehealth_territory")))


def test_a_caregiver_or_professional_record_has_no_telehealth_page(client, users, crt_a):
    client.force_login(users["nurse"])
    for kind in (Attendee.Kind.CAREGIVER, Attendee.Kind.PROFESSIONAL):
        assert client.get(person_url("telehealth_person",
                                     attendee(crt_a, kind=kind))).status_code == 404


def test_service_refuses_roles_outside_the_policy(users, odette):
    with pytest.raises(DomainError, match="professionnels de santé du CRT"):
        services.telehealth_record_for_attendee(
            actor=users["activity_leader"], roles=frozenset({Role.ACTIVITY_LEADER}),
            attendee=odette, kind="telecare", performed_at=timezone.now(),
            staff=users["activity_leader"], professional_name="Mme Roux", reason="Motif",
            outcome="Suites", requester="person", performer_employer="carrier")
    assert not TelehealthAct.objects.exists()


def test_policies_agree(users, crt_a, crt_b, odette):
    acts = [territory_telehealth_act(odette), territory_telehealth_act(attendee(crt_b)),
            telehealth_act(shared(crt_a))]
    people = [odette, attendee(crt_a, kind=Attendee.Kind.CAREGIVER), attendee(crt_b)]
    seen = set()
    for role, user in users.items():
        roles = frozenset({role})
        visible_acts = set(access.territory_acts_visible(crt=crt_a, user=user, roles=roles))
        for act in acts:
            allowed = act.crt_id == crt_a.id and access.can_view_territory_act(
                user=user, roles=roles, act=act)
            assert (act in visible_acts) == allowed, (role, act.pk)
        visible_people = set(access.territory_people_visible(crt=crt_a, user=user, roles=roles))
        for person in people:
            allowed = person.crt_id == crt_a.id and access.can_view_territory_person(
                user=user, roles=roles, attendee=person)
            assert (person in visible_people) == allowed, (role, person.pk)
            if allowed:
                seen.add(role)
    assert seen == {"nurse", "doctor", "care_aide", "psychologist", "occupational_therapist"}


# --- The territory's list -----------------------------------------------------------------------


def test_territory_list_is_paginated_and_audited_per_person(client, users, crt_a, crt_b,
                                                            django_assert_max_num_queries):
    people = [attendee(crt_a, last_name=f"Personne{i:02d}", first_name="Jeanne")
              for i in range(31)]
    for i, person in enumerate(people):
        territory_telehealth_act(person, performed_at=timezone.now() - timedelta(hours=i))
    b = shared(crt_a)
    telehealth_act(b)
    territory_telehealth_act(attendee(crt_b, last_name="Ailleurs"))
    client.force_login(users["nurse"])
    # One audit event per person of the page (30), and a dozen reads (session, membership,
    # navigation, the page and its count): no query per row.
    with django_assert_max_num_queries(42):
        response = client.get(reverse("care:telehealth_territory"))
    text = visible_text(response)
    assert "PERSONNE00 Jeanne" in text and "PERSONNE29 Jeanne" in text
    assert "PERSONNE30" not in text and "Page 1 sur 2" in text
    assert b.display_name not in text
    assert "AILLEURS" not in text
    events = AuditEvent.objects.filter(action="telehealth.territory_viewed")
    assert set(events.values_list("object_id", flat=True)) == {
        str(p.public_id) for p in people[:30]}
    second = visible_text(client.get(reverse("care:telehealth_territory"), {"page": 2}))
    assert "PERSONNE30 Jeanne" in second


# --- The overview: counts by kind over both volets ---------------------------------------------


def test_overview_counts_by_kind_over_both_volets(client, users, crt_a, crt_b, odette):
    b = shared(crt_a)
    when = timezone.now() - timedelta(days=2)
    for kind, employer in [("teleconsultation", "carrier"), ("teleconsultation", "other"),
                           ("teleexpertise", "partner_ehpad")]:
        telehealth_act(b, kind=kind, performed_at=when, performer_employer=employer)
    for kind, employer in [("teleconsultation", "partner_ehpad"), ("telecare", "carrier"),
                           ("telecare", "other")]:
        territory_telehealth_act(odette, kind=kind, performed_at=when,
                                 performer_employer=employer)
    territory_telehealth_act(odette, performed_at=when - timedelta(days=500))  # before
    territory_telehealth_act(attendee(crt_b), performed_at=when)  # another CRT
    client.force_login(users["direction"])
    response = client.get(reverse("care:telehealth_overview"))
    assert response.status_code == 200
    html = response.content.decode()
    table = html[html.index('id="telehealth-by-kind"'):]
    table = visible_text(HttpResponse(table[:table.index("</table>")]))
    # Volet 2, volet 1, total, of which by EHPAD staff (the CRT's carrier is an EHPAD).
    assert "Téléconsultation accompagnée 2 1 3 2" in table
    assert "Téléexpertise 1 0 1 1" in table
    assert "Télésoin 0 2 2 1" in table
    assert "Total 3 3 6 4" in table
    text = visible_text(response)
    assert odette.display_name not in text and "Troubles de la déglutition" not in text
    # A period without any act.
    day = (timezone.localdate() - timedelta(days=200)).isoformat()
    empty = visible_text(client.get(reverse("care:telehealth_overview"),
                                    {"debut": day, "fin": day}))
    assert "Total 0 0 0 0" in empty


def test_overview_period_is_checked(client, users):
    client.force_login(users["coordinator"])
    response = client.get(reverse("care:telehealth_overview"),
                          {"debut": "2026-05-01", "fin": "2026-04-01"})
    assert response.status_code == 400
    assert "La date de fin précède la date de début." in visible_text(response)
    response = client.get(reverse("care:telehealth_overview"), {"debut": "hier"})
    assert "Indiquez une date de début valide" in visible_text(response)


def test_the_demo_has_acts_for_both_volets_across_the_year(demo, client):
    from django.contrib.auth import get_user_model

    acts = TelehealthAct.objects.filter(crt__name="CRT Anjou Bleu")
    territory = acts.filter(attendee__isnull=False)
    assert territory.count() == 8 and acts.filter(beneficiary__isnull=False).count() == 12
    assert not acts.filter(requester="").exists()
    assert not acts.filter(performer_employer="").exists()
    oldest = territory.order_by("performed_at").first().performed_at
    assert timezone.now() - oldest > timedelta(days=300)
    client.force_login(get_user_model().objects.get(username="nurse"))
    text = visible_text(client.get(reverse("care:telehealth_territory")))
    assert "Télésoin" in text and "Médecin traitant" in text
