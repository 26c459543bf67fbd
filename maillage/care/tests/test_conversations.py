"""Conversations: posting, read marks and unread counts, mentions, the health professionals'
thread, attachments (the document checks), audit, bad input."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from maillage.beneficiaries.access import (
    file_access,
    health_visible_beneficiaries,
    planning_visible_beneficiaries,
)
from maillage.beneficiaries.tests.factories import (
    BeneficiaryFactory,
    consent,
    join_care_team,
    shared_file,
)
from maillage.care.models import Conversation, ConversationRead, Message
from maillage.care.tests.factories import PDF, message
from maillage.core.models import AuditEvent, Notification
from maillage.core.roles import Role
from maillage.core.tests.helpers import visible_text


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


def url(name, b, **kwargs):
    return reverse(f"care:{name}", kwargs={"public_id": b.public_id, **kwargs})


def team(b):
    return url("conversation", b, kind="equipe")


def health(b):
    return url("conversation", b, kind="sante")


def nav(client) -> str:
    """The navigation as the user reads it."""
    text = visible_text(client.get(reverse("core:home")))
    return text[:text.find("Se déconnecter")]


@pytest.fixture
def b(crt_a, users):
    """A person whose care team holds the care aide, the nurse and the partner (their GP)."""
    b = shared_file(crt_a, users["care_aide"])
    join_care_team(b, users["nurse"])
    join_care_team(b, users["partner"], {Role.PARTNER})
    return b


class TestPosting:
    def test_post_shows_author_and_role(self, client, users, b):
        client.force_login(users["care_aide"])
        response = client.post(team(b), {"text": "A bien dormi, moral en hausse."})
        assert response.status_code == 302
        message = Message.objects.get()
        assert message.author_role == "Aide-soignant·e (AS, ASG, AES)"
        assert message.conversation.kind == Conversation.Kind.TEAM
        client.force_login(users["partner"])
        page = visible_text(client.get(team(b)))
        assert "A bien dormi, moral en hausse." in page
        assert f"{users['care_aide'].get_full_name()} , Aide-soignant·e (AS, ASG, AES)" in page

    def test_empty_message_is_refused_next_to_the_field(self, client, users, b):
        client.force_login(users["care_aide"])
        response = client.post(team(b), {"text": "   "})
        assert response.status_code == 400
        assert "Écrivez votre message." in visible_text(response)
        assert 'aria-describedby="id_text_errors"' in response.content.decode()
        assert not Message.objects.exists() and not Conversation.objects.exists()

    def test_unknown_thread_is_404(self, client, users, b):
        client.force_login(users["care_aide"])
        assert client.get(url("conversation", b, kind="autre")).status_code == 404

    def test_outside_the_care_team_cannot_write(self, client, users, crt_a):
        other = shared_file(crt_a)
        # A care aide outside the care team does not even read it; a nurse (on-call service)
        # reads but does not write.
        client.force_login(users["care_aide"])
        assert client.get(team(other)).status_code == 403
        client.force_login(users["nurse"])
        page = visible_text(client.get(team(other)))
        assert "Envoyer" not in page and "Seuls les membres du cercle de soins et la " \
            "coordination écrivent" in page
        response = client.post(team(other), {"text": "Bonjour"})
        assert response.status_code == 400
        assert "Seuls les membres du cercle de soins écrivent" in visible_text(response)
        client.force_login(users["admin_staff"])  # administrative data only: neither reads
        assert client.get(team(other)).status_code == 403
        assert client.post(team(other), {"text": "Bonjour"}).status_code == 403
        client.force_login(users["coordinator"])  # coordination writes in every file
        assert client.post(team(other), {"text": "Point lundi"}).status_code == 302
        assert Message.objects.count() == 1

    def test_partner_outside_the_care_team_gets_404(self, client, users, crt_a):
        other = shared_file(crt_a)
        msg = message(other, users["nurse"], attachment=True)
        client.force_login(users["partner"])
        for address in (team(other), url("conversation_messages", other, kind="equipe"),
                        url("message_attachment", other, item_id=msg.public_id)):
            assert client.get(address).status_code == 404
        assert client.post(team(other), {"text": "x"}).status_code == 404


class TestReadMarks:
    def test_unread_counts_in_the_navigation_and_the_list(self, client, users, b):
        client.force_login(users["care_aide"])
        for text in ("Chute sans gravité ce matin.", "Famille prévenue."):
            client.post(team(b), {"text": text})
        client.force_login(users["nurse"])
        assert "Messages 2 non lus" in nav(client)
        listing = visible_text(client.get(reverse("care:conversations")))
        assert f"{b.display_name} Cercle de soins" in listing and "2 non lus" in listing
        first = visible_text(client.get(team(b)))
        assert first.count("nouveau") == 2
        assert "Messages 2" not in nav(client) and "non lu" not in nav(client)
        again = visible_text(client.get(team(b)))
        assert "nouveau" not in again
        assert "non lu" not in visible_text(client.get(reverse("care:conversations")))
        # Read marks are per reader; the author never has unread messages of their own.
        client.force_login(users["care_aide"])
        assert "non lu" not in nav(client)
        assert AuditEvent.objects.filter(action="conversation.viewed",
                                         actor=users["nurse"]).count() == 2

    def test_the_coordination_follows_the_threads_it_opens(self, client, users, b):
        message(b, users["care_aide"])
        client.force_login(users["coordinator"])  # not in this care team
        assert "non lu" not in nav(client)
        assert b.display_name not in visible_text(client.get(reverse("care:conversations")))
        client.get(team(b))
        message(b, users["care_aide"], text="Encore une chose")
        assert "Messages 1 non lu" in nav(client)

    def test_newest_activity_first(self, client, users, crt_a, b):
        other = shared_file(crt_a, users["nurse"])
        message(b, users["care_aide"], text="Ancien")
        message(other, users["care_aide"], text="Récent")
        client.force_login(users["nurse"])
        listing = visible_text(client.get(reverse("care:conversations")))
        assert listing.index(other.display_name) < listing.index(b.display_name)

    def test_polling_sends_and_traces_only_when_something_came(self, client, users, b):
        """Every 15 s the page asks for what came after the newest message it shows: nothing
        new is a 204 (nothing sent, nothing read again: no trace); a new message redraws the
        box with its new marker, read and traced (the messages it shows)."""
        first = message(b, users["care_aide"], text="Premier")
        client.force_login(users["nurse"])
        page = client.get(team(b)).content.decode()
        assert 'hx-trigger="every 15s"' in page
        poll = url("conversation_messages", b, kind="equipe") + f"?depuis={first.public_id}"
        assert poll in page
        viewed = AuditEvent.objects.filter(action="conversation.viewed")
        assert viewed.count() == 1
        for _ in range(3):
            response = client.get(poll, HTTP_HX_REQUEST="true")
            assert response.status_code == 204 and response.content == b""
        assert viewed.count() == 1
        second = message(b, users["care_aide"], text="Deuxième")
        response = client.get(poll, HTTP_HX_REQUEST="true")
        html = response.content.decode()
        assert response.status_code == 200 and "<html" not in html
        assert f"?depuis={second.public_id}" in html and 'id="messages"' in html
        text = visible_text(response)
        assert text.count("nouveau") == 1 and text.index("nouveau") > text.index("Premier")
        assert viewed.count() == 2
        assert viewed.latest("pk").details["nouveaux messages"] == 1
        assert "non lu" not in nav(client)
        # Without a marker (an older page), the box is sent and traced as before.
        bare = url("conversation_messages", b, kind="equipe")
        assert "Deuxième" in visible_text(client.get(bare, HTTP_HX_REQUEST="true"))
        assert viewed.count() == 3


class TestMentions:
    def test_mentions_notify_with_a_link(self, client, users, b):
        join_care_team(b, users["doctor"])
        client.force_login(users["care_aide"])
        response = client.post(team(b), {
            "text": "Avis de @doctor souhaité sur la toux.",
            "mentions": [str(users["nurse"].public_id)]})
        assert response.status_code == 302
        msg = Message.objects.get()
        assert set(msg.mentions.values_list("username", flat=True)) == {"nurse", "doctor"}
        notified = Notification.objects.filter(user__username__in=["nurse", "doctor"])
        assert notified.count() == 2
        assert not Notification.objects.filter(user=users["care_aide"]).exists()
        note = notified.get(user=users["nurse"])
        assert note.url == team(b) and "toux" not in note.text  # no content in notices
        assert f"vous mentionne dans la conversation de {b.display_name}" in note.text
        client.force_login(users["nurse"])
        assert "Notifications 1" in nav(client)

    def test_only_people_with_access_to_the_thread_can_be_mentioned(self, client, users, b):
        client.force_login(users["care_aide"])
        page = visible_text(client.get(team(b)))
        assert "@nurse" in page and "@partner" in page and "@admin_staff" not in page
        response = client.post(team(b), {"text": "Bonjour",
                                          "mentions": [str(users["admin_staff"].public_id)]})
        assert response.status_code == 400
        assert "n'a pas accès à ce fil" in visible_text(response)
        assert not Message.objects.exists() and not Notification.objects.exists()
        # "@someone" outside the thread is only text: no notice.
        client.post(team(b), {"text": "Vu avec @admin_staff"})
        assert not Notification.objects.exists()


class TestHealthThread:
    def test_opened_by_a_health_professional_of_the_care_team(self, client, users, b):
        client.force_login(users["nurse"])
        assert "Ouvrir un fil réservé aux professionnels de santé" in visible_text(
            client.get(team(b)))
        assert client.get(health(b)).status_code == 404  # not opened yet
        response = client.post(url("conversation_open_health", b))
        assert response.status_code == 302 and response["Location"] == health(b)
        assert AuditEvent.objects.filter(action="conversation.opened").count() == 1
        assert client.post(health(b), {"text": "INR à 3,2 : dose adaptée."}).status_code == 302
        assert Message.objects.get().conversation.kind == Conversation.Kind.HEALTH
        assert "Fil des professionnels de santé" in visible_text(client.get(team(b)))
        client.force_login(users["care_aide"])  # a health professional of the team
        assert "INR à 3,2" in visible_text(client.get(health(b)))

    def test_hidden_from_other_roles(self, client, users, b):
        join_care_team(b, users["admin_staff"])
        message(b, users["nurse"], kind=Conversation.Kind.HEALTH, text="INR à 3,2")
        for role in ("admin_staff", "coordinator", "direction"):
            client.force_login(users[role])
            assert client.get(health(b)).status_code == 403, role
            page = visible_text(client.get(team(b)))
            assert "professionnels de santé" not in page, role
            assert "Professionnels de santé" not in visible_text(
                client.get(reverse("care:conversations")))
        assert "non lu" not in nav(client)
        client.force_login(users["coordinator"])
        assert client.post(url("conversation_open_health", b)).status_code == 302
        assert client.post(health(b), {"text": "x"}).status_code == 403

    def test_coordination_cannot_open_it(self, client, users, crt_a):
        other = shared_file(crt_a, users["coordinator"])
        client.force_login(users["coordinator"])
        response = client.post(url("conversation_open_health", other), follow=True)
        assert "Seul un professionnel de santé du cercle de soins" in visible_text(response)
        assert not Conversation.objects.exists()

    def test_partner_needs_the_health_consent(self, client, users, crt_a):
        b = BeneficiaryFactory(crt=crt_a)
        sharing = consent(b)  # planning shared, health not
        join_care_team(b, users["partner"], {Role.PARTNER})
        join_care_team(b, users["nurse"])
        message(b, users["nurse"], kind=Conversation.Kind.HEALTH, text="INR à 3,2")
        client.force_login(users["partner"])
        assert client.get(team(b)).status_code == 200
        assert client.get(health(b)).status_code == 403
        assert "non lu" not in nav(client)
        sharing.share_health = True
        sharing.save()
        assert "INR à 3,2" in visible_text(client.get(health(b)))

    def test_every_refresh_of_the_health_messages_is_traced(self, client, users, crt_a, b):
        """A refresh that sends the last messages (no marker, or something new) is a read of
        health data, in the person's « qui a consulté mon dossier »; refused roles and
        another CRT get nothing and leave no read."""
        message(b, users["nurse"], kind=Conversation.Kind.HEALTH, text="INR à 3,2")
        poll = url("conversation_messages", b, kind="sante")
        viewed = AuditEvent.objects.filter(action="conversation.viewed",
                                           beneficiary_public_id=b.public_id)
        client.force_login(users["care_aide"])
        for expected in (1, 2, 3):
            response = client.get(poll, HTTP_HX_REQUEST="true")
            assert "INR à 3,2" in visible_text(response)
            assert viewed.filter(actor=users["care_aide"]).count() == expected
        client.force_login(users["coordinator"])
        assert client.get(poll, HTTP_HX_REQUEST="true").status_code == 403
        assert not viewed.filter(actor=users["coordinator"]).exists()

    def test_health_refresh_from_another_crt(self, client, users, b, user_b):
        message(b, users["nurse"], kind=Conversation.Kind.HEALTH, text="INR à 3,2")
        client.force_login(user_b)
        response = client.get(url("conversation_messages", b, kind="sante"))
        assert response.status_code == 404 and "INR" not in response.content.decode()
        assert not AuditEvent.objects.filter(action="conversation.viewed").exists()

    def test_mentions_in_the_health_thread_only_reach_health_professionals(
            self, client, users, b):
        join_care_team(b, users["admin_staff"])
        message(b, users["nurse"], kind=Conversation.Kind.HEALTH)
        client.force_login(users["nurse"])
        page = visible_text(client.get(health(b)))
        assert "@care_aide" in page and "@admin_staff" not in page
        response = client.post(health(b), {"text": "x",
                                            "mentions": [str(users["admin_staff"].public_id)]})
        assert response.status_code == 400


class TestAttachments:
    def test_accepted_and_downloaded_through_a_checked_view(self, client, users, b):
        client.force_login(users["care_aide"])
        upload = SimpleUploadedFile("ordonnance.pdf", PDF, content_type="application/pdf")
        response = client.post(team(b), {"text": "Nouvelle ordonnance", "attachment": upload})
        assert response.status_code == 302
        msg = Message.objects.get()
        assert (msg.attachment_name, msg.attachment_type) == ("ordonnance.pdf",
                                                              "application/pdf")
        assert msg.attachment.name.endswith(str(msg.public_id))  # never the uploaded name
        client.force_login(users["partner"])
        page = visible_text(client.get(team(b)))
        assert "Pièce jointe : ordonnance.pdf" in page
        download = client.get(url("message_attachment", b, item_id=msg.public_id))
        assert download.status_code == 200
        assert b"".join(download.streaming_content) == PDF
        assert download["Cache-Control"] == "private, no-store"
        assert AuditEvent.objects.filter(action="message.attachment_downloaded",
                                         actor=users["partner"]).exists()

    @pytest.mark.parametrize(("name", "content", "error"), [
        ("virus.pdf", b"MZ\x90\x00 not a pdf", "Type de fichier refusé"),
        ("grand.pdf", PDF + b"0" * 2048, "dépasse la taille maximale"),
    ])
    def test_refused_like_documents(self, client, users, b, settings, name, content, error):
        settings.DOCUMENT_MAX_BYTES = 1024
        client.force_login(users["care_aide"])
        response = client.post(team(b), {
            "text": "Voir pièce jointe",
            "attachment": SimpleUploadedFile(name, content, content_type="application/pdf")})
        assert response.status_code == 400
        assert error in visible_text(response)
        assert 'aria-describedby="id_attachment_errors"' in response.content.decode()
        assert not Message.objects.exists()

    def test_health_thread_attachment_needs_health_access(self, client, users, b):
        join_care_team(b, users["admin_staff"])
        msg = message(b, users["nurse"], kind=Conversation.Kind.HEALTH, attachment=True)
        client.force_login(users["admin_staff"])
        assert client.get(url("message_attachment", b, item_id=msg.public_id)).status_code \
            == 403
        client.force_login(users["care_aide"])
        assert client.get(url("message_attachment", b, item_id=msg.public_id)).status_code \
            == 200


def test_audit_of_posting(client, users, b):
    client.force_login(users["care_aide"])
    client.post(team(b), {"text": "Tout va bien"})
    event = AuditEvent.objects.get(action="message.posted")
    assert event.beneficiary_public_id == b.public_id and event.actor == users["care_aide"]
    assert "Tout va bien" not in event.object_label  # the content stays out of the trail
    assert ConversationRead.objects.filter(user=users["care_aide"]).exists()


@pytest.mark.parametrize("share_health", [False, True])
@pytest.mark.parametrize("in_team", [False, True])
@pytest.mark.parametrize("role", ["partner", "nurse", "coordinator", "admin_staff"])
def test_list_rules_match_the_file_rules(users, crt_a, role, in_team, share_health):
    """The querysets behind the lists and the badge decide as ``file_access`` does."""
    b = BeneficiaryFactory(crt=crt_a)
    consent(b, share_health=share_health)
    roles = frozenset({role})
    if in_team:
        join_care_team(b, users[role], roles)
    access = file_access(user=users[role], roles=roles, beneficiary=b)
    planning = planning_visible_beneficiaries(crt=crt_a, user=users[role], roles=roles)
    health = health_visible_beneficiaries(crt=crt_a, user=users[role], roles=roles)
    assert planning.filter(pk=b.pk).exists() == access.planning
    assert health.filter(pk=b.pk).exists() == access.health


def test_pages_stay_flat_as_threads_grow(client, users, crt_a, django_assert_max_num_queries):
    files = [shared_file(crt_a, users["nurse"]) for _ in range(12)]
    for b in files:
        join_care_team(b, users["care_aide"])
        for i in range(4):
            message(b, users["care_aide"], attachment=i == 0).mentions.add(users["nurse"])
    client.force_login(users["nurse"])
    client.get(reverse("care:conversations"))
    # Session, user, memberships, notifications, badge, count + page, 3 for the session refresh.
    with django_assert_max_num_queries(10):
        response = client.get(reverse("care:conversations"))
    assert response.status_code == 200 and "4 non lus" in visible_text(response)
    for _ in range(40):
        message(files[0], users["care_aide"]).mentions.add(users["nurse"])
    # Shell: session, user, memberships, notifications, badge, 3 for the session refresh.
    # Page: the file and its access (3), the threads, the mention candidates (team,
    # memberships, roles, one per other member, the form's choices), whether the user may write
    # (care team), a page of messages (count, rows, mentions), the read mark (read, update,
    # whether one exists, first insert) and the unread counter recomputed with it in one
    # transaction (savepoint, count, upsert, release), audit.
    with django_assert_max_num_queries(30):
        response = client.get(team(files[0]))
    assert visible_text(response).count("nouveau") == 44
