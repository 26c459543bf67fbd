"""Team positions: FTE and its split per volet, vacancies, the team composition table."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.urls import reverse

from maillage.core.errors import DomainError
from maillage.core.models import AuditEvent
from maillage.core.tests.helpers import table_text, visible_text
from maillage.organisation import selectors, services
from maillage.organisation.access import can_view_position, positions_visible
from maillage.organisation.models import Position

from .factories import position

D = Decimal


def data(users, **changes):
    values = {
        "profession": "nurse", "qualification": "IDE", "employment": "salaried",
        "fte": "0.80", "fte_volet1": "0.20", "fte_volet2": "0.50", "fte_coordination": "0.10",
        "starts_on": "2025-01-01", "ends_on": "", "holder": str(users["nurse"].public_id),
        "notes": "",
    }
    values.update(changes)
    return values


class TestRecording:
    def test_coordinator_records_a_position(self, client, users, crt_a):
        client.force_login(users["coordinator"])
        response = client.post(reverse("organisation:position_create"), data(users))
        assert response.status_code == 302, visible_text(response)
        p = Position.objects.get(crt=crt_a)
        assert (p.fte, p.fte_volet1, p.fte_volet2, p.fte_coordination, p.holder) == (
            D("0.80"), D("0.20"), D("0.50"), D("0.10"), users["nurse"])
        text = visible_text(client.get(response["Location"]))
        assert "Infirmier·ère (IDE)" in text and "V1 0,20 · V2 0,50 · coord. 0,10" in text
        assert AuditEvent.objects.filter(action="position.created", crt=crt_a).exists()

    @pytest.mark.parametrize(("changes", "message"), [
        ({"fte_volet2": "0.60"}, "La répartition (volet 1 + volet 2 + coordination = 0,90 ETP) "
                                 "doit être égale à l'ETP du poste (0,80 ETP)."),
        ({"fte": "1.20"}, "Un ETP va de 0 à 1."),
        ({"fte": "abc"}, "Indiquez un nombre, par exemple 0,5."),
        ({"fte_volet1": "0.123"}, "Deux décimales au plus"),
        ({"ends_on": "2024-12-31"}, "La fin du poste ne peut pas précéder son début."),
        ({"starts_on": ""}, "Indiquez la date de début."),
        ({"profession": ""}, "Choisissez la profession."),
    ])
    def test_bad_input(self, client, users, crt_a, changes, message):
        client.force_login(users["direction"])
        response = client.post(reverse("organisation:position_create"), data(users, **changes))
        assert response.status_code == 400
        assert message in visible_text(response)
        assert not Position.objects.exists()

    def test_holder_of_another_crt_refused(self, users, crt_a, user_b):
        with pytest.raises(DomainError) as error:
            services.position_create(
                actor=users["coordinator"], crt=crt_a, profession="nurse", fte=D("1"),
                fte_volet2=D("1"), starts_on=date(2025, 1, 1), holder=user_b)
        assert error.value.field == "holder"

    def test_a_past_holder_who_left_stays_on_the_position(self, users, crt_a, make_user):
        gone = make_user(crt_a, "nurse", username="partie")
        p = position(crt_a, holder=gone, ends_on=date(2025, 6, 30))
        gone.memberships.update(is_active=False)
        services.position_update(actor=users["coordinator"], position=p, version=p.version,
                                 notes="Départ le 30/06/2025")
        with pytest.raises(DomainError):
            services.position_create(actor=users["coordinator"], crt=crt_a,
                                     profession="nurse", fte=D("1"), fte_volet2=D("1"),
                                     starts_on=date(2025, 7, 1), holder=gone)

    def test_a_vacant_position_and_a_stale_edit(self, client, users, crt_a):
        p = position(crt_a, holder=users["care_aide"], profession="care_aide")
        client.force_login(users["coordinator"])
        url = reverse("organisation:position_edit", args=[p.public_id])
        form = data(users, profession="care_aide", fte="1.00", fte_volet1="0",
                    fte_volet2="1.00", fte_coordination="0", holder="", version=str(p.version))
        assert client.post(url, form).status_code == 302
        p.refresh_from_db()
        assert p.is_vacant and p.version == 2
        assert "Poste vacant" in visible_text(client.get(reverse("organisation:position_list")))
        stale = client.post(url, {**form, "qualification": "Autre"})
        assert stale.status_code == 409
        p.refresh_from_db()
        assert p.qualification == "IDE"


class TestComposition:
    def test_the_table_by_profession(self, users, crt_a, crt_b):
        on = date(2026, 3, 1)
        position(crt_a, holder=users["nurse"], fte=D("1"), fte_volet2=D("1"))
        position(crt_a, holder=None, fte=D("0.5"), fte_volet2=D("0.3"),
                 fte_volet1=D("0.2"))
        position(crt_a, profession="activity_leader", holder=users["activity_leader"],
                 fte=D("0.8"), fte_volet1=D("0.8"), fte_volet2=D("0"))
        position(crt_a, holder=users["doctor"], profession="doctor", fte=D("0.2"),
                 fte_volet2=D("0.1"), fte_coordination=D("0.1"))
        # Not in post on that day, or another CRT's: left out.
        position(crt_a, holder=users["nurse"], starts_on=on + timedelta(days=1))
        position(crt_a, holder=users["nurse"], ends_on=on - timedelta(days=1))
        position(crt_b)
        table = selectors.team_composition(crt=crt_a, on=on)
        rows = {r.profession: (r.positions, r.fte, r.fte_volet1, r.fte_volet2,
                               r.fte_coordination, r.vacancies, r.vacant_fte)
                for r in table.rows}
        assert rows == {
            "doctor": (1, D("0.20"), D("0.00"), D("0.10"), D("0.10"), 0, D("0.00")),
            "nurse": (2, D("1.50"), D("0.20"), D("1.30"), D("0.00"), 1, D("0.50")),
            "activity_leader": (1, D("0.80"), D("0.80"), D("0.00"), D("0.00"), 0, D("0.00")),
        }
        assert [r.profession for r in table.rows] == ["doctor", "nurse", "activity_leader"]
        assert (table.total.positions, table.total.fte, table.total.vacancies) == (
            4, D("2.50"), 1)

    def test_the_page_and_its_query_budget(self, client, users, crt_a,
                                           django_assert_max_num_queries):
        for _ in range(30):
            position(crt_a, holder=users["nurse"])
        position(crt_a, holder=None, profession="care_aide")
        client.force_login(users["admin_staff"])
        with django_assert_max_num_queries(12):
            response = client.get(reverse("organisation:position_list"))
        text = table_text(response)
        assert "Aide-soignant·e (AS) 1 1,00 0,00 1,00 0,00 1 (1,00 ETP)" in text
        # Its total counts the vacant posts, T-02 the filled ones: the caption says which.
        assert ("(postes en cours, pourvus et vacants ; ETP dédiés au CRT : l'indicateur T-02 "
                "compte les postes pourvus)") in visible_text(response)
        assert "Nouveau poste" not in visible_text(response)  # the secretariat reads only


class TestAccess:
    def test_forbidden_roles_and_other_crt(self, client, users, crt_b):
        for role in ("nurse", "partner", "ars", "activity_leader", "auditor"):
            client.force_login(users[role])
            assert client.get(reverse("organisation:position_list")).status_code == 403
        client.force_login(users["admin_staff"])
        assert client.get(reverse("organisation:position_create")).status_code == 403
        client.force_login(users["coordinator"])
        theirs = position(crt_b)
        assert client.get(reverse("organisation:position_edit", args=[theirs.public_id])) \
            .status_code == 404

    def test_both_faces_agree(self, users, crt_a, crt_b):
        rows = [position(crt_a), position(crt_a, holder=None), position(crt_b)]
        for role, user in users.items():
            roles = frozenset({role})
            visible = set(positions_visible(crt=crt_a, user=user, roles=roles))
            for p in rows:
                allowed = p.crt_id == crt_a.id and can_view_position(user=user, roles=roles,
                                                                     position=p)
                assert (p in visible) == allowed, (role, p)
