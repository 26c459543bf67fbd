"""The audit trail: append-only at every level, the auditor's page, filters and CSV export."""

import csv
import io
from datetime import timedelta
from pathlib import Path

import pytest
from django.db import DatabaseError, connection, transaction
from django.urls import reverse
from django.utils import timezone

from maillage.core.audit import audit_log
from maillage.core.models import AuditEvent

from .helpers import table_text, visible_text

DLU_VIEWED = "Consultation du DLU (dossier de liaison d'urgence)"
BULK = ["beneficiary.viewed", "notes.viewed", "alerts.viewed", "visit.viewed", "dlu.viewed",
        "care_plan.viewed", "stay.viewed"]


@pytest.fixture
def event(crt_a, users):
    return audit_log(actor=users["coordinator"], action="commune.updated", crt=crt_a)


class TestAppendOnly:
    def test_model_refuses_update(self, event):
        event.action = "autre"
        with pytest.raises(PermissionError):
            event.save()

    def test_model_refuses_delete(self, event):
        with pytest.raises(PermissionError):
            event.delete()

    def test_queryset_refuses_update_and_delete(self, event):
        with pytest.raises(PermissionError):
            AuditEvent.objects.filter(pk=event.pk).update(action="autre")
        with pytest.raises(PermissionError):
            AuditEvent.objects.filter(pk=event.pk).delete()
        with pytest.raises(PermissionError):
            AuditEvent.objects.bulk_update([event], ["action"])

    def test_database_refuses_update(self, event):
        with pytest.raises(DatabaseError), transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute(
                    "UPDATE core_auditevent SET action = %s WHERE id = %s", ["x", event.pk]
                )
        event.refresh_from_db()
        assert event.action == "commune.updated"

    def test_database_refuses_delete(self, event):
        with pytest.raises(DatabaseError), transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute("DELETE FROM core_auditevent WHERE id = %s", [event.pk])
        assert AuditEvent.objects.filter(pk=event.pk).exists()

    def test_no_view_accepts_a_write_on_the_trail(self, client, users, event):
        client.force_login(users["auditor"])
        for name in ("core:audit_list", "core:audit_export"):
            response = client.post(reverse(name), {"action": "x"})
            assert response.status_code == 405
        assert AuditEvent.objects.get(pk=event.pk).action == "commune.updated"


def test_audit_log_records_context(client, users, crt_a):
    client.force_login(users["coordinator"])
    client.post(
        reverse("core:password_change"),
        {
            "old_password": "mot-de-passe-test-1",
            "new_password1": "Un-nouveau-mot-2026",
            "new_password2": "Un-nouveau-mot-2026",
        },
        REMOTE_ADDR="203.0.113.7",
        HTTP_USER_AGENT="Firefox test",
    )
    event = AuditEvent.objects.get(action="auth.password_changed")
    assert event.crt == crt_a
    assert event.actor == users["coordinator"]
    assert event.roles == "coordinator"
    assert event.ip_address == "203.0.113.7"
    assert event.user_agent == "Firefox test"


class TestAuditPage:
    @pytest.fixture
    def trail(self, crt_a, crt_b, users, user_b):
        now = timezone.now()
        import uuid

        benef = type("B", (), {"public_id": uuid.uuid4()})()
        events = {
            "old": audit_log(actor=users["nurse"], action="beneficiary.viewed", crt=crt_a,
                             beneficiary=benef),
            "emergency": audit_log(actor=users["nurse"], action="dlu.viewed", crt=crt_a,
                                   emergency=True, reason="Appel de nuit, chute"),
            "coord": audit_log(actor=users["coordinator"], action="commune.updated", crt=crt_a),
            "other_crt": audit_log(actor=user_b, action="referral.viewed", crt=crt_b),
        }
        # Back-date one event (bypassing the append-only guard is not possible: create it so).
        AuditEvent.objects.create(
            occurred_at=now - timedelta(days=40), crt=crt_a, actor=users["doctor"],
            actor_label="Docteur", action="old.action",
        )
        return events, benef

    def test_auditor_sees_own_crt_events_only(self, client, users, trail):
        client.force_login(users["auditor"])
        text = table_text(client.get(reverse("core:audit_list")))
        assert "Consultation du dossier" in text and "Modification d'une commune" in text
        assert "Consultation d'une demande" not in text  # CRT B's event
        assert "beneficiary.viewed" not in text  # French labels, not codes
        assert "Appel de nuit, chute" in text

    def test_filters(self, client, users, trail):
        events, benef = trail
        client.force_login(users["auditor"])
        url = reverse("core:audit_list")
        by_actor = table_text(client.get(url, {"actor": users["coordinator"].public_id}))
        assert "Modification d'une commune" in by_actor and DLU_VIEWED not in by_actor
        by_benef = table_text(client.get(url, {"beneficiary": benef.public_id}))
        assert "Consultation du dossier" in by_benef
        assert "Modification d'une commune" not in by_benef
        by_action = client.get(url, {"action": "dlu.viewed"})
        assert "1 événement" in visible_text(by_action)
        assert DLU_VIEWED in table_text(by_action)
        emergency = table_text(client.get(url, {"emergency_only": "on"}))
        assert DLU_VIEWED in emergency and "Modification d'une commune" not in emergency
        today = timezone.localdate()
        period = table_text(
            client.get(url, {"date_from": (today - timedelta(days=41)).isoformat(),
                             "date_to": (today - timedelta(days=39)).isoformat()})
        )
        assert "old.action" in period and "Modification d'une commune" not in period

    def test_bad_filters_get_french_messages(self, client, users, trail):
        client.force_login(users["auditor"])
        response = client.get(
            reverse("core:audit_list"),
            {"beneficiary": "pas-un-uuid", "date_from": "2026-05-10", "date_to": "2026-05-01",
             "actor": "00000000-0000-0000-0000-000000000000", "action": "pas.une_action"},
        )
        assert response.status_code == 200
        text = visible_text(response)
        assert "Ce lien vers une personne n'est pas valide." in text
        assert "Choisissez une action de la liste." in text
        assert "La date de fin doit être après la date de début." in text
        assert "Sélectionnez un choix valide" in text
        assert table_text(response) == ""

    def test_csv_export_is_filtered_and_audited(self, client, users, trail):
        client.force_login(users["auditor"])
        response = client.get(reverse("core:audit_export"), {"emergency_only": "on"})
        assert response.status_code == 200
        assert response["Content-Type"].startswith("text/csv")
        body = b"".join(response.streaming_content).decode("utf-8-sig")
        rows = list(csv.reader(io.StringIO(body), delimiter=";"))
        assert rows[0][:4] == ["Date", "Auteur", "Rôles", "Action"]
        assert [r[3:5] for r in rows[1:]] == [[DLU_VIEWED, "dlu.viewed"]]
        assert rows[1][-1] == "Appel de nuit, chute"
        assert rows[1][-2] == "oui"
        exported = AuditEvent.objects.get(action="audit.exported")
        assert exported.actor == users["auditor"]
        assert exported.details == {"filtres": {"emergency_only": "on"}}

    def test_roles_are_shown_in_french(self, client, crt_a, users):
        AuditEvent.objects.create(occurred_at=timezone.now(), crt=crt_a, actor=users["doctor"],
                                  actor_label="Philippe Lebrun", action="beneficiary.viewed",
                                  roles="doctor,occupational_therapist")
        client.force_login(users["auditor"])
        text = table_text(client.get(reverse("core:audit_list")))
        assert "Médecin coordonnateur, Ergothérapeute" in text
        assert "doctor" not in text and "occupational_therapist" not in text
        response = client.get(reverse("core:audit_export"))
        body = b"".join(response.streaming_content).decode("utf-8-sig")
        rows = list(csv.reader(io.StringIO(body), delimiter=";"))
        assert [r[1:3] for r in rows[1:] if r[1] == "Philippe Lebrun"] == [
            ["Philippe Lebrun", "Médecin coordonnateur, Ergothérapeute"]]

    def test_nobody_else_reads_the_trail(self, client, users, trail):
        for role in users:
            if role == "auditor":
                continue
            client.force_login(users[role])
            assert client.get(reverse("core:audit_list")).status_code == 403
            assert client.get(reverse("core:audit_export")).status_code == 403

    def test_query_budget(self, client, users, trail, django_assert_max_num_queries, crt_a):
        for i in range(120):
            audit_log(actor=users["nurse"], action=BULK[i % len(BULK)], crt=crt_a)
        client.force_login(users["auditor"])
        with django_assert_max_num_queries(12):
            response = client.get(reverse("core:audit_list"))
        assert "50 événements affichés" in visible_text(response)
        assert "Plus anciens" in visible_text(response)

    def test_keyset_pages_walk_the_whole_trail_both_ways(self, client, users, crt_a):
        """"Plus anciens" then "Plus récents": every event once, newest first, even when many
        share the same instant (the id breaks the tie); the filters are carried along."""
        import re
        from html import unescape

        at = timezone.now() - timedelta(hours=1)
        for i in range(60):  # same instant: only the id orders them
            AuditEvent.objects.create(occurred_at=at, crt=crt_a, actor=users["nurse"],
                                      actor_label=f"Infirmière {i:03d}", action="notes.viewed")
        for i in range(55):
            AuditEvent.objects.create(occurred_at=at - timedelta(minutes=i + 1), crt=crt_a,
                                      actor=users["nurse"], actor_label=f"Infirmière {60 + i:03d}",
                                      action="notes.viewed")
        audit_log(actor=users["coordinator"], action="commune.updated", crt=crt_a)
        client.force_login(users["auditor"])
        url = reverse("core:audit_list")

        def labels(response):
            return re.findall(r"Infirmière (\d{3})", response.content.decode())

        def link(response, text):
            found = re.search(r'href="([^"]*)">' + text + "<", response.content.decode())
            return unescape(found.group(1)) if found else None

        pages, response = [], client.get(url, {"action": "notes.viewed"})
        while True:
            pages.append(labels(response))
            assert "Modification d'une commune" not in table_text(response)
            older = link(response, "Plus anciens")
            if older is None:
                break
            assert "action=notes.viewed" in older
            response = client.get(url + older)
        assert [len(p) for p in pages] == [50, 50, 15]
        seen = [int(n) for p in pages for n in p]
        assert seen == list(range(59, -1, -1)) + list(range(60, 115))
        newer = link(response, "Plus récents")
        back = client.get(url + newer)
        assert labels(back) == pages[1]
        assert "Plus anciens" in visible_text(back) and "Plus récents" in visible_text(back)
        first = client.get(url + link(back, "Plus récents"))
        assert labels(first) == pages[0] and link(first, "Plus récents") is None

    def test_author_is_found_by_name_not_listed(self, client, users, trail, crt_a, crt_b,
                                                make_user, user_b):
        from maillage.core.pickers import PICKER_LIMIT
        from maillage.core.roles import Role

        for i in range(25):
            make_user(crt_a, Role.NURSE, first_name="Inès", last_name=f"Morvanzq{i:02d}")
        make_user(crt_b, Role.NURSE, first_name="Inès", last_name="MorvanzqAilleurs")
        client.force_login(users["auditor"])
        page = client.get(reverse("core:audit_list"))
        assert "Morvanzq" not in visible_text(page)
        pick = reverse("core:audit_actor_pick")
        assert f'hx-get="{pick}"' in page.content.decode()
        found = client.get(pick, {"champ": "actor", "actor_q": "morvanzq"})
        assert found.status_code == 200
        assert found.content.decode().count('name="actor"') == PICKER_LIMIT + 1
        assert "Ailleurs" not in visible_text(client.get(pick, {"actor_q": "morvanzqailleurs"}))
        # Without JavaScript: the typed name filters when one account matches.
        coord = users["coordinator"]
        by_name = client.get(reverse("core:audit_list"), {"actor_q": coord.last_name})
        assert "Modification d'une commune" in table_text(by_name)
        assert DLU_VIEWED not in table_text(by_name)
        several = client.get(reverse("core:audit_list"), {"actor_q": "Morvanzq"})
        assert ("Plusieurs personnes correspondent : choisissez dans la liste."
                in visible_text(several))
        for role in ("coordinator", "doctor"):
            client.force_login(users[role])
            assert client.get(pick, {"actor_q": "morvanzq"}).status_code == 403

    def test_unknown_cursor_gives_the_newest_page(self, client, users, trail):
        client.force_login(users["auditor"])
        response = client.get(reverse("core:audit_list"), {"before": "pas-un-curseur"})
        assert response.status_code == 200
        assert "Modification d'une commune" in table_text(response)


def test_every_action_written_by_the_code_is_declared_with_a_french_label():
    """Audit pages read in French: each action the code writes is declared by an app (its
    ``audit_actions.py``) with a French label."""
    import re
    from pathlib import Path

    from maillage.core.audit import declared_actions

    declared = declared_actions()
    root = Path(__file__).resolve().parents[2]
    written = set()
    for path in root.rglob("*.py"):
        if "tests" in path.parts or "migrations" in path.parts:
            continue
        written |= set(re.findall(r'action="([a-z_]+\.[a-z_]+)"', path.read_text()))
    assert len(written) > 50, "no audited action found: the pattern is wrong"
    assert sorted(a for a in written if a not in declared) == []
    for code, info in declared.items():
        assert info.label and info.label != code and info.label[0].isupper(), code


def test_the_action_filter_s_groups_read_cleanly():
    """The groups of the audit page's action filter are the apps' names: none with stray
    spaces (« Volet 1 » came with one)."""
    from maillage.core.audit import action_choices

    groups = [group for group, _ in action_choices()]
    assert "Volet 1" in groups
    assert [g for g in groups if g != g.strip() or "  " in g] == []


def test_actions_are_declared_by_their_app_not_by_core():
    from maillage.core.audit import declared_actions

    core = {c for c, i in declared_actions().items() if i.module.startswith("maillage.core.")}
    assert {c.split(".")[0] for c in core} == {"auth", "crt", "member", "audit", "outbox"}
    owners = {i.module.split(".")[1] for i in declared_actions().values()}
    assert {"beneficiaries", "care", "oncall", "visits", "admissions"} <= owners
    source = (Path(__file__).resolve().parents[1] / "audit.py").read_text()
    assert "beneficiary." not in source and "oncall" not in source


def test_an_undeclared_action_is_refused(crt_a, users):
    from maillage.core.audit import UnknownAuditActionError

    with pytest.raises(UnknownAuditActionError, match="audit_actions.py"):
        audit_log(actor=users["nurse"], action="beneficiary.viewd", crt=crt_a)
    assert not AuditEvent.objects.exists()
    # A declared action passes as its enumeration member too.
    from maillage.beneficiaries.audit_actions import BeneficiaryAction

    event = audit_log(actor=users["nurse"], action=BeneficiaryAction.BENEFICIARY_VIEWED,
                      crt=crt_a)
    assert event.action == "beneficiary.viewed"
    assert event.action_label == "Consultation du dossier"


def test_diffs_on_health_data_keep_no_free_text(crt_a, users):
    """An on-call call's clinical text never reaches the trail, its structured fields do; a
    model holding no health data (a commune) keeps its diff."""
    from maillage.beneficiaries.tests.factories import BeneficiaryFactory
    from maillage.oncall.tests.factories import call
    from maillage.territory.tests.factories import CommuneFactory

    item = call(crt_a, users["nurse"], BeneficiaryFactory(crt=crt_a))
    event = audit_log(actor=users["nurse"], action="oncall_call.updated", obj=item, details={
        "assessment": {"avant": "", "après": "Douleur thoracique, sueurs"},
        "hospital": {"avant": "", "après": "CH de Segré"},
        "outcome": {"avant": "", "après": "Hospitalisation"},
    })
    assert event.details == {
        "assessment": {"avant": "", "après": "(texte non repris dans le journal)"},
        "hospital": {"avant": "", "après": "(texte non repris dans le journal)"},
        "outcome": {"avant": "", "après": "Hospitalisation"},
    }
    assert event.object_label.startswith("Appel d")
    assert "Douleur" not in event.object_label
    commune = CommuneFactory(crt=crt_a)
    diff = {"name": {"avant": "Candé", "après": "Candé-sur-Loire"}}
    assert audit_log(actor=users["coordinator"], action="commune.updated", obj=commune,
                     details=diff).details == diff
