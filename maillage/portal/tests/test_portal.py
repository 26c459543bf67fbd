"""The portal: a beneficiary and a caregiver see the coming visits (who, when), the notes shared
with the caregiver, their contacts and the CRT's number; the caregiver writes to the team.
Nothing else of the file, no other person, no other CRT."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from maillage.beneficiaries.models import CareTeamMember
from maillage.beneficiaries.tests.factories import CaregiverFactory, join_care_team, shared_file
from maillage.care.models import LiaisonNote
from maillage.core.audit import audit_log
from maillage.core.errors import DomainError
from maillage.core.models import AuditEvent, Notification
from maillage.core.roles import Role
from maillage.core.tests.factories import member
from maillage.core.tests.helpers import visible_text
from maillage.portal import services
from maillage.visits.models import Visit
from maillage.visits.tests.factories import visit


def _note(b, author, visibility, text):
    return LiaisonNote.objects.create(crt=b.crt, beneficiary=b, author=author, text=text,
                                      visibility=visibility, author_role="Aide-soignante")


def _at(days: int, hour: int):
    """An aware datetime ``days`` from today at ``hour``:00, Paris time."""
    day = timezone.localdate() + timedelta(days=days)
    return timezone.make_aware(timezone.datetime(day.year, day.month, day.day, hour))


@pytest.fixture
def aide(crt_a, make_user):
    return make_user(crt_a, Role.CARE_AIDE, first_name="Sandrine", last_name="Bouvier",
                     phone="06 39 98 11 22")


@pytest.fixture
def jeanne(crt_a, users, aide):
    """Jeanne, her own portal account, her son (the ``caregiver`` account), her care team,
    visits and notes of every visibility."""
    b = shared_file(crt_a)
    b.first_name, b.birth_name = "Jeanne", "HAMON"
    b.portal_user = users["beneficiary"]
    b.save()
    CaregiverFactory(crt=crt_a, beneficiary=b, user=users["caregiver"], first_name="Michel",
                     last_name="Hamon", relation="fils")
    member = join_care_team(b, aide)
    CareTeamMember.objects.filter(pk=member.pk).update(role="Aide-soignante référente",
                                                       is_referent=True)
    visit(b, aide, starts_at=_at(1, 8), minutes=30)
    visit(b, aide, starts_at=_at(-2, 8))  # past: not shown
    visit(b, aide, starts_at=_at(2, 18), status=Visit.Status.CANCELLED)  # cancelled: not shown
    _note(b, aide, LiaisonNote.Visibility.CAREGIVER, "Belle promenade au jardin ce matin.")
    _note(b, aide, LiaisonNote.Visibility.TEAM, "Réservé au cercle de soins.")
    _note(b, aide, LiaisonNote.Visibility.HEALTH, "Rougeur au talon droit.")
    return b


def page_text(client, user, url):
    client.force_login(user)
    response = client.get(url)
    assert response.status_code == 200, response.status_code
    return visible_text(response)


class TestWhatThePortalShows:
    def test_caregiver_lands_on_the_portal(self, client, users, jeanne):
        text = page_text(client, users["caregiver"], reverse("core:home"))
        assert "L'accompagnement de HAMON Jeanne" in text
        assert "Chiffres clés" not in text
        assert "un seul numéro" in text and "02 61 91 00 01" in text
        # The same page under its own address, in the menu.
        assert "Mon espace" in text
        assert "L'accompagnement de HAMON Jeanne" in page_text(
            client, users["caregiver"], reverse("portal:home"))

    def test_coming_visits_who_and_when_only(self, client, users, jeanne):
        text = page_text(client, users["caregiver"], reverse("portal:home"))
        start = _at(1, 8)
        assert f"{start:%d/%m/%Y} 08:00 – 08:30 : Sandrine Bouvier" in text
        assert f"{_at(-2, 8):%d/%m/%Y}" not in text
        assert f"{_at(2, 18):%d/%m/%Y}" not in text

    def test_only_notes_shared_with_the_caregiver(self, client, users, jeanne):
        for role in ("caregiver", "beneficiary"):
            text = page_text(client, users[role], reverse("portal:home"))
            assert "Belle promenade au jardin ce matin." in text
            assert "Réservé au cercle de soins." not in text
            assert "Rougeur au talon droit." not in text

    def test_contacts_names_and_roles_only(self, client, users, jeanne):
        text = page_text(client, users["beneficiary"], reverse("portal:home"))
        assert "Mon accompagnement" in text
        # Her role already says « référente »: said once (« référente référent·e » before).
        assert "Sandrine Bouvier — Aide-soignante référente Vos aidants" in text
        CareTeamMember.objects.filter(is_referent=True).update(role="Aide-soignante")
        text = page_text(client, users["beneficiary"], reverse("portal:home"))
        assert "Sandrine Bouvier — Aide-soignante référent·e" in text
        assert "06 39 98 11 22" not in text  # staff phones: the CRT's number is the one to call
        assert "Vos aidants" in text and "Michel Hamon — fils" in text
        # Nothing else of the file.
        assert "1234A" not in text  # key-box code
        assert "Pénicilline" not in text  # medical section
        assert "Écrire à l'équipe" not in text  # the caregiver writes, not the beneficiary

    def test_reading_the_portal_is_audited(self, client, users, jeanne):
        page_text(client, users["caregiver"], reverse("portal:file", args=[jeanne.public_id]))
        event = AuditEvent.objects.get(action="portal.viewed")
        assert event.actor == users["caregiver"]
        assert event.beneficiary_public_id == jeanne.public_id

    def test_another_persons_visits_and_notes_never_show(self, client, users, jeanne, crt_a,
                                                         aide):
        other = shared_file(crt_a)
        visit(other, aide, starts_at=_at(1, 14))
        _note(other, aide, LiaisonNote.Visibility.CAREGIVER, "Note d'une autre personne.")
        text = page_text(client, users["caregiver"], reverse("portal:home"))
        assert "14:00 –" not in text and "Note d'une autre personne." not in text
        client.force_login(users["caregiver"])
        for name in ("portal:file", "portal:note_add"):
            assert client.get(reverse(name, args=[other.public_id])).status_code == 404

    def test_a_caregiver_of_several_people_chooses(self, client, users, jeanne, crt_a):
        other = shared_file(crt_a)
        other.birth_name = "LEROY"
        other.save()
        CaregiverFactory(crt=crt_a, beneficiary=other, user=users["caregiver"])
        text = page_text(client, users["caregiver"], reverse("core:home"))
        assert "Les personnes que vous accompagnez" in text
        assert "HAMON Jeanne" in text and "LEROY Jeanne" in text
        text = page_text(client, users["caregiver"],
                         reverse("portal:file", args=[other.public_id]))
        assert "L'accompagnement de LEROY Jeanne" in text
        assert "Belle promenade" not in text

    def test_an_account_linked_to_nobody(self, client, users, crt_a):
        text = page_text(client, users["caregiver"], reverse("portal:home"))
        assert "Aucun dossier n'est encore relié à votre compte." in text
        assert "02 61 91 00 01" in text

    def test_query_budget(self, client, users, jeanne, aide, django_assert_max_num_queries):
        for days in range(2, 12):
            visit(jeanne, aide, starts_at=_at(days, 9))
            _note(jeanne, aide, LiaisonNote.Visibility.CAREGIVER, f"Note {days}")
        client.force_login(users["caregiver"])
        url = reverse("portal:file", args=[jeanne.public_id])
        # Session, user, memberships, notifications, file, count, caregiver, visits, notes,
        # care team, audit, session refresh, the temporary exit (visits suspended).
        with django_assert_max_num_queries(15):
            assert client.get(url).status_code == 200


class TestNothingElseOfTheFile:
    @pytest.mark.parametrize("role", [Role.CAREGIVER, Role.BENEFICIARY])
    @pytest.mark.parametrize("name", [
        "beneficiaries:detail", "beneficiaries:medical", "care:notes", "care:plan",
        "care:alerts", "care:conversation", "visits:beneficiary",
    ])
    def test_the_file_itself_is_refused(self, client, users, jeanne, role, name):
        client.force_login(users[role])
        kwargs = {"public_id": jeanne.public_id}
        if name == "care:conversation":
            kwargs["kind"] = "equipe"
        response = client.get(reverse(name, kwargs=kwargs))
        assert response.status_code in {403, 404}
        assert "Réservé au cercle de soins." not in response.content.decode()

    @pytest.mark.parametrize("name", ["beneficiaries:list", "visits:team_day",
                                      "care:conversations", "care:open_alerts"])
    def test_lists_are_refused(self, client, users, jeanne, name):
        client.force_login(users["caregiver"])
        assert client.get(reverse(name)).status_code == 403

    def test_caregiver_of_another_crt_sees_nothing(self, client, jeanne, crt_b, make_user):
        stranger = make_user(crt_b, Role.CAREGIVER, username="aidant-b")
        # Even linked by mistake to a person of CRT A, they see nothing of CRT A.
        CaregiverFactory(crt=jeanne.crt, beneficiary=jeanne, user=stranger)
        text = page_text(client, stranger, reverse("portal:home"))
        assert "HAMON" not in text and "Belle promenade" not in text
        assert "02 61 91 00 02" in text  # their own CRT's number
        for name in ("portal:file", "portal:note_add"):
            response = client.get(reverse(name, args=[jeanne.public_id]))
            assert response.status_code == 404

    def test_membership_in_both_crts_follows_the_current_one(self, client, users, jeanne,
                                                             crt_b):
        member(users["caregiver"], crt_b, Role.CAREGIVER)
        client.force_login(users["caregiver"])
        client.post(reverse("core:crt_choose"), {"crt": str(crt_b.public_id)})
        assert client.get(reverse("portal:file", args=[jeanne.public_id])).status_code == 404


class TestWhoReadMyFile:
    """The person's right to know who read or changed their file (SPEC §3), on their own
    portal account."""

    def url(self, b):
        return reverse("portal:access_log", args=[b.public_id])

    def test_the_person_sees_who_read_their_file(self, client, users, jeanne, aide):
        client.force_login(aide)
        assert client.get(reverse("beneficiaries:detail", args=[jeanne.public_id])) \
            .status_code == 200
        audit_log(actor=users["nurse"], action="beneficiary.medical_viewed", obj=jeanne,
                  beneficiary=jeanne, reason="Chute à 3 h, appel d'astreinte.",
                  emergency=True)
        home = page_text(client, users["beneficiary"], reverse("portal:home"))
        assert "Vos droits Qui a consulté mon dossier" in home
        text = page_text(client, users["beneficiary"], self.url(jeanne))
        assert "Qui a consulté mon dossier" in text
        assert "Sandrine Bouvier · Aide-soignant" in text
        assert "(nurse)" not in text and "(user" not in text  # names, not logins
        assert "Consultation du dossier" in text
        assert ("Accès d'urgence Motif : Chute à 3 h, appel d'astreinte.") in text
        # The person's own visits to the portal are not listed; this one is traced.
        assert "Consultation du portail" not in text
        assert AuditEvent.objects.filter(action="portal.access_log_viewed",
                                         actor=users["beneficiary"],
                                         beneficiary_public_id=jeanne.public_id).exists()
        # Newest first.
        assert text.index("Accès d'urgence") < text.index("Consultation du dossier")

    def test_a_caregiver_and_another_person_are_refused(self, client, users, jeanne, crt_a,
                                                        user_b):
        client.force_login(users["caregiver"])
        assert "Qui a consulté" not in visible_text(client.get(reverse("portal:home")))
        assert client.get(self.url(jeanne)).status_code == 403
        other = shared_file(crt_a)
        client.force_login(users["beneficiary"])
        assert client.get(self.url(other)).status_code == 404
        client.force_login(user_b)  # every role, in CRT B
        assert client.get(self.url(jeanne)).status_code == 404
        for role in ("coordinator", "auditor"):
            client.force_login(users[role])
            assert client.get(self.url(jeanne)).status_code == 403
        assert not AuditEvent.objects.filter(action="portal.access_log_viewed").exists()


class TestCaregiverWritesToTheTeam:
    def url(self, b):
        return reverse("portal:note_add", args=[b.public_id])

    def test_post_a_note(self, client, users, jeanne, aide, make_user, crt_a):
        partner = make_user(crt_a, Role.PARTNER)
        join_care_team(jeanne, partner, {Role.PARTNER})
        client.force_login(users["caregiver"])
        form = client.get(self.url(jeanne))
        assert "Votre message à l'équipe" in visible_text(form)
        response = client.post(self.url(jeanne), {"text": "  Maman a mal dormi cette nuit.  "})
        assert response.status_code == 302
        assert response["Location"] == reverse("portal:file", args=[jeanne.public_id])
        note = LiaisonNote.objects.get(author=users["caregiver"])
        assert note.text == "Maman a mal dormi cette nuit."
        assert note.visibility == LiaisonNote.Visibility.CAREGIVER
        assert note.category == LiaisonNote.Category.GENERAL
        assert note.author_role == "Aidant, fils"
        assert AuditEvent.objects.filter(action="portal.note_posted",
                                         beneficiary_public_id=jeanne.public_id).count() == 1
        notified = set(Notification.objects.values_list("user__username", flat=True))
        assert notified == {aide.username, "coordinator"}  # not the partner, not the author
        # The caregiver finds it on their page; the team in the notebook.
        text = visible_text(client.get(response["Location"]))
        assert "Votre message a été transmis à l'équipe." in text
        assert "Maman a mal dormi cette nuit." in text
        text = page_text(client, aide, reverse("care:notes", args=[jeanne.public_id]))
        assert "Maman a mal dormi cette nuit." in text and "Aidant, fils" in text

    @pytest.mark.parametrize("text, error", [
        ("", "Écrivez votre message."),
        ("   ", "Écrivez votre message."),
        ("x" * 4001, "Votre message ne peut pas dépasser 4000 caractères (il en compte 4001)."),
    ])
    def test_bad_input(self, client, users, jeanne, text, error):
        client.force_login(users["caregiver"])
        response = client.post(self.url(jeanne), {"text": text})
        assert response.status_code == 400
        html = response.content.decode()
        assert 'id="id_text_errors"' in html and 'aria-invalid="true"' in html
        assert error in visible_text(response)
        assert not LiaisonNote.objects.filter(author=users["caregiver"]).exists()
        assert not Notification.objects.exists()

    def test_beneficiary_account_does_not_post(self, client, users, jeanne):
        client.force_login(users["beneficiary"])
        assert client.post(self.url(jeanne), {"text": "Bonjour"}).status_code == 403
        assert not LiaisonNote.objects.filter(author=users["beneficiary"]).exists()

    def test_service_refuses_someone_else(self, users, jeanne):
        caregiver = jeanne.caregivers.get()
        with pytest.raises(DomainError):
            services.caregiver_note_post(actor=users["beneficiary"], caregiver=caregiver,
                                         text="Bonjour")
        assert not LiaisonNote.objects.filter(author=users["beneficiary"]).exists()

    def test_unlinked_caregiver_loses_access(self, client, users, jeanne):
        jeanne.caregivers.update(user=None)
        client.force_login(users["caregiver"])
        assert client.get(self.url(jeanne)).status_code == 404
        assert client.get(reverse("portal:file", args=[jeanne.public_id])).status_code == 404

    def test_own_account_with_the_caregiver_role_does_not_post_for_oneself(
            self, client, jeanne, crt_a, make_user):
        """A person holding both portal roles reaches their own file, but writes to the team
        only as someone's caregiver."""
        both = make_user(crt_a, Role.BENEFICIARY, Role.CAREGIVER)
        jeanne.portal_user = both
        jeanne.save(update_fields=["portal_user"])
        text = page_text(client, both, reverse("portal:home"))
        assert "Mon accompagnement" in text and "Écrire à l'équipe" not in text
        assert client.post(self.url(jeanne), {"text": "Bonjour"}).status_code == 403
        assert not LiaisonNote.objects.filter(author=both).exists()
