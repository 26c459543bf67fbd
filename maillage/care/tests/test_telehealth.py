"""Telehealth acts: recorded by the health professionals of the care team, health data, on the
timeline, audited; counted by kind and month for the direction."""

import re
from datetime import datetime, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from maillage.beneficiaries.tests.factories import BeneficiaryFactory, consent, join_care_team
from maillage.beneficiaries.tests.factories import shared_file as shared
from maillage.care.models import TelehealthAct
from maillage.care.selectors import telehealth_by_month
from maillage.care.tests.factories import telehealth_act
from maillage.core.models import AuditEvent
from maillage.core.roles import Role
from maillage.core.tests.helpers import table_text, visible_text
from maillage.territory.tests.factories import ProfessionalFactory


def url(name, b):
    return reverse(f"care:{name}", kwargs={"public_id": b.public_id})


def local(dt) -> str:
    return timezone.localtime(dt).strftime("%Y-%m-%dT%H:%M")


@pytest.fixture
def form(users):
    def make(**fields):
        data = {
            "kind": "teleconsultation", "performed_at": local(timezone.now() - timedelta(hours=2)),
            "staff": str(users["nurse"].public_id), "professional": "",
            "professional_name": "Dr Martin, cardiologue, CHU d'Angers",
            "requester": "attending_doctor", "requester_detail": "",
            "performer_employer": "carrier",
            "reason": "Avis sur un souffle cardiaque", "outcome": "Échographie prescrite",
            "notes": "",
        }
        data.update(fields)
        return data

    return make


def test_nurse_records_an_accompanied_teleconsultation(client, users, crt_a, form):
    b = shared(crt_a, users["nurse"])
    client.force_login(users["nurse"])
    page = client.get(url("telehealth_add", b))
    assert f'value="{users["nurse"].public_id}" checked' in page.content.decode()
    response = client.post(url("telehealth_add", b), form())
    assert response.status_code == 302
    act = TelehealthAct.objects.get()
    assert (act.kind, act.staff, act.professional_name) == (
        "teleconsultation", users["nurse"], "Dr Martin, cardiologue, CHU d'Angers")
    event = b.timeline.get(kind="telehealth.recorded")
    assert event.is_health_data
    assert event.title == "Téléconsultation accompagnée : Dr Martin, cardiologue, CHU d'Angers"
    listing = visible_text(client.get(url("telehealth", b)))
    assert "Téléconsultation accompagnée" in listing and "Échographie prescrite" in listing
    assert set(AuditEvent.objects.filter(beneficiary_public_id=b.public_id).values_list(
        "action", flat=True)) >= {"telehealth.recorded", "telehealth.viewed"}


def test_professional_from_the_directory(client, users, crt_a, form):
    b = shared(crt_a, users["doctor"])
    pro = ProfessionalFactory(crt=crt_a, last_name="Durand", first_name="Luc",
                              profession="geriatrician")
    client.force_login(users["doctor"])
    response = client.post(url("telehealth_add", b), form(
        kind="teleexpertise", professional=str(pro.public_id), professional_name=""))
    assert response.status_code == 302
    assert TelehealthAct.objects.get().remote_professional == "Luc Durand (Médecin gériatre)"


@pytest.mark.parametrize(("fields", "field", "message"), [
    ({"performed_at": "in-future"}, "performed_at", "La date de l'acte est dans le futur"),
    ({"performed_at": "pas une date"}, "performed_at", "Date ou heure invalide."),
    ({"kind": ""}, "kind", "Choisissez le type d'acte."),
    ({"professional_name": ""}, "professional", "Indiquez le professionnel consulté à distance"),
    ({"reason": " "}, "reason", "Indiquez le motif."),
    ({"outcome": ""}, "outcome", "Indiquez le résultat et les suites."),
    ({"requester": ""}, "requester", "Indiquez qui a demandé l'acte."),
    ({"requester": "voisin"}, "requester", "Choisissez le demandeur dans la liste."),
    ({"requester": "other"}, "requester_detail", "Précisez qui a demandé l'acte."),
    ({"performer_employer": ""}, "performer_employer",
     "Indiquez pour quelle structure travaille la personne qui a réalisé ou accompagné"),
])
def test_bad_input_is_refused_next_to_the_field(client, users, crt_a, form, fields, field,
                                                message):
    if fields.get("performed_at") == "in-future":
        fields["performed_at"] = local(timezone.now() + timedelta(days=1))
    b = shared(crt_a, users["nurse"])
    client.force_login(users["nurse"])
    response = client.post(url("telehealth_add", b), form(**fields))
    assert response.status_code == 400
    assert message in visible_text(response)
    # The error is linked to its field (after the field's help, when it has one).
    assert re.search(rf'aria-describedby="[^"]*\bid_{field}_errors"', response.content.decode())
    assert not TelehealthAct.objects.exists()


def test_both_professionals_is_refused(client, users, crt_a, form):
    b = shared(crt_a, users["nurse"])
    pro = ProfessionalFactory(crt=crt_a)
    client.force_login(users["nurse"])
    response = client.post(url("telehealth_add", b), form(professional=str(pro.public_id)))
    assert response.status_code == 400
    assert "dans l'annuaire ou écrivez son nom, pas les deux" in visible_text(response)


class TestAccess:
    def test_health_professionals_outside_the_care_team_see_nothing(self, client, users,
                                                                      crt_a, form):
        b = shared(crt_a)
        telehealth_act(b)
        client.force_login(users["nurse"])
        assert client.get(url("telehealth", b)).status_code == 403
        assert client.post(url("telehealth_add", b), form()).status_code == 403
        assert TelehealthAct.objects.count() == 1

    @pytest.mark.parametrize("role", ["coordinator", "admin_staff", "direction"])
    def test_not_for_non_health_roles_even_in_the_care_team(self, client, users, crt_a, role):
        b = shared(crt_a, users[role])
        client.force_login(users[role])
        assert client.get(url("telehealth", b)).status_code == 403

    def test_partner_reads_with_the_health_consent_only(self, client, users, crt_a):
        b = BeneficiaryFactory(crt=crt_a)
        sharing = consent(b)
        join_care_team(b, users["partner"], {Role.PARTNER})
        telehealth_act(b)
        client.force_login(users["partner"])
        assert client.get(url("telehealth", b)).status_code == 403
        sharing.share_health = True
        sharing.save()
        page = visible_text(client.get(url("telehealth", b)))
        assert "Avis sur un souffle cardiaque" in page
        assert "Enregistrer un acte" not in page  # partners read, the CRT records

    def test_link_from_the_file_for_health_professionals_only(self, client, users, crt_a):
        b = shared(crt_a, users["nurse"])
        join_care_team(b, users["admin_staff"])
        client.force_login(users["nurse"])
        detail = reverse("beneficiaries:detail", kwargs={"public_id": b.public_id})
        assert "Télésanté" in visible_text(client.get(detail))
        client.force_login(users["admin_staff"])
        assert "Télésanté" not in visible_text(client.get(detail))


def test_counts_by_kind_and_month_for_the_direction(client, users, crt_a, crt_b):
    b = shared(crt_a)
    now = timezone.localtime()
    this_month = now.replace(day=1, hour=10)
    last_month = (this_month - timedelta(days=3)).replace(day=2)
    for when, kind in [(this_month, "teleconsultation"), (this_month, "teleconsultation"),
                       (this_month, "telecare"), (last_month, "teleexpertise")]:
        telehealth_act(b, performed_at=when, kind=kind)
    telehealth_act(b, performed_at=this_month - timedelta(days=400))  # outside the window
    telehealth_act(shared(crt_b), performed_at=this_month)  # another CRT
    client.force_login(users["direction"])
    response = client.get(reverse("care:telehealth_overview"))
    assert response.status_code == 200
    rows = table_text(response)
    # Newest month first: teleconsultations, tele-expertises, telecare, total.
    assert rows.endswith("0 1 0 1") and " 2 0 1 3 " in rows
    text = visible_text(response)
    assert "Total 2 1 1 4" in text
    assert "Avis sur un souffle cardiaque" not in text and b.display_name not in text
    assert AuditEvent.objects.filter(action="telehealth.overview_viewed").exists()
    client.force_login(users["nurse"])
    assert client.get(reverse("care:telehealth_overview")).status_code == 403


def test_month_boundaries_follow_paris_time(crt_a):
    """An act at 00:30 on the 1st in Paris (still the previous month in UTC) counts for the
    new month."""
    b = shared(crt_a)
    today = timezone.localdate()
    first = datetime(today.year, today.month, 1, 0, 30,
                     tzinfo=timezone.get_current_timezone())
    telehealth_act(b, performed_at=first)
    result = telehealth_by_month(crt=crt_a, since=first - timedelta(days=40))
    assert [(r["month"], r["total"]) for r in result] == [(first.date(), 1)]


def test_accompanied_by_a_member_of_the_crt_team(client, users, crt_a, form):
    b = shared(crt_a, users["nurse"])
    client.force_login(users["nurse"])
    # Found by name (search-as-you-type), among the CRT's staff only.
    page = client.get(url("telehealth_add", b)).content.decode()
    assert str(users["nurse"].public_id) in page  # the user, chosen by default
    assert str(users["care_aide"].public_id) not in page  # nobody listed before typing
    pick = url("telehealth_pick", b)
    found = client.get(pick, {"champ": "staff", "staff_q": users["care_aide"].last_name})
    assert str(users["care_aide"].public_id) in found.content.decode()
    partner = client.get(pick, {"champ": "staff", "staff_q": users["partner"].last_name})
    assert str(users["partner"].public_id) not in partner.content.decode()  # not CRT staff
    data = form(staff_q=users["care_aide"].get_full_name())
    del data["staff"]  # a name typed, nobody ticked (« Aucun » ticked is a choice)
    typed = client.post(url("telehealth_add", b), data)
    assert typed.status_code == 302
    assert TelehealthAct.objects.get().staff == users["care_aide"]
    TelehealthAct.objects.all().delete()
    client.force_login(users["coordinator"])  # not a health professional
    assert client.get(pick, {"staff_q": "a"}).status_code == 403
    client.force_login(users["nurse"])
    response = client.post(url("telehealth_add", b),
                           form(staff=str(users["caregiver"].public_id)))
    assert response.status_code == 400
    assert not TelehealthAct.objects.exists()


def test_service_refuses_someone_outside_the_team(users, crt_a):
    from maillage.beneficiaries.access import FileAccess
    from maillage.care import services
    from maillage.core.errors import DomainError

    b = shared(crt_a, users["nurse"])
    with pytest.raises(DomainError, match="membre de l'équipe du CRT"):
        services.telehealth_record(
            actor=users["nurse"], beneficiary=b, access=FileAccess(health=True),
            kind="telecare", performed_at=timezone.now(), staff=users["partner"],
            professional_name="M. Hardy, kinésithérapeute", reason="Rééducation",
            outcome="Séance faite", requester="crt_team", performer_employer="carrier")
