"""Team administration: adding people, their roles, ending and restoring their access, the
single-use links to choose a password, and who may do what."""

import re
from datetime import datetime, timedelta

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.tokens import default_token_generator
from django.core import mail
from django.core.cache import cache
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client
from django.urls import reverse

from maillage.core import services
from maillage.core.errors import DomainError
from maillage.core.models import AuditEvent, Membership
from maillage.core.permissions import can_manage_member, grantable_roles
from maillage.core.roles import CRT_TEAM, PORTAL, Role
from maillage.core.tests.helpers import field_error

from .factories import CrtFactory, member
from .helpers import visible_text

User = get_user_model()
NEW_PASSWORD = "Glycines-en-fleur-2026"


@pytest.fixture(autouse=True)
def _clear_rate_limits(db):
    cache.clear()  # the cache is a database table (maillage_cache)


def invite_data(**changes):
    data = {
        "last_name": "Lemoine", "first_name": "Karine", "username": "karine.lemoine",
        "email": "karine.lemoine@example.fr", "phone": "06 39 98 12 34",
        "title": "Infirmière", "roles": ["nurse"],
    }
    data.update(changes)
    return data


def membership_of(user, crt):
    return Membership.objects.get(user=user, crt=crt)



def set_password_through(client, path, password=NEW_PASSWORD):
    """Open the link, then post the password; returns the final response."""
    opened = client.get(path)
    assert opened.status_code == 302  # the token leaves the address bar
    form_url = opened["Location"]
    assert form_url.endswith("/choisir/")
    return client.post(form_url, {"new_password1": password, "new_password2": password})


# --- Who may give which role ------------------------------------------------------------------


def test_role_granting_rule():
    assert grantable_roles({Role.DIRECTION}) >= CRT_TEAM | {Role.AUDITOR, Role.ARS}
    coordinator = grantable_roles({Role.COORDINATOR})
    assert Role.NURSE in coordinator and Role.PARTNER in coordinator
    assert coordinator & {Role.DIRECTION, Role.AUDITOR, Role.ARS} == set()
    assert grantable_roles({Role.ADMIN_STAFF}) == PORTAL
    assert grantable_roles({Role.NURSE, Role.PARTNER}) == frozenset()
    assert not can_manage_member({Role.COORDINATOR}, {Role.DIRECTION})
    assert can_manage_member({Role.DIRECTION}, {Role.DIRECTION, Role.NURSE})


# --- Adding a person --------------------------------------------------------------------------


def test_invite_creates_account_membership_roles_audit_and_email(
        client, users, crt_a, django_capture_on_commit_callbacks):
    client.force_login(users["coordinator"])
    page = visible_text(client.get(reverse("core:team")))
    assert "Ajouter une personne" in page
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("core:member_add"), invite_data(roles=["nurse",
                                                                             "care_aide"]))
    assert response.status_code == 302 and response["Location"] == reverse("core:team")
    user = User.objects.get(username="karine.lemoine")
    assert not user.has_usable_password()
    assert (user.first_name, user.last_name, user.email, user.phone) == (
        "Karine", "Lemoine", "karine.lemoine@example.fr", "06 39 98 12 34")
    membership = membership_of(user, crt_a)
    assert membership.is_active and membership.title == "Infirmière"
    assert set(membership.roles.values_list("role", flat=True)) == {"nurse", "care_aide"}
    event = AuditEvent.objects.get(action="member.invited")
    assert (event.actor, event.crt, event.object_id) == (
        users["coordinator"], crt_a, str(membership.public_id))
    assert event.details["rôles"] == ["care_aide", "nurse"]
    # The link, emailed and shown once on the team page.
    assert len(mail.outbox) == 1
    email = mail.outbox[0]
    assert email.to == ["karine.lemoine@example.fr"]
    assert "karine.lemoine" in email.body and "3 jours" in email.body
    link = re.search(r"http://testserver(/mot-de-passe/definir/\S+/)", email.body).group(1)
    team = visible_text(client.get(reverse("core:team")))
    assert "Lien pour choisir le mot de passe de Karine Lemoine" in team
    assert f"http://testserver{link}" in team and "expire dans 3 jours" in team
    assert "Lien pour choisir" not in visible_text(client.get(reverse("core:team")))
    assert "Karine Lemoine" in team and "mot de passe pas encore choisi" in team


def test_invite_without_email_sends_nothing(users, crt_a, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        user, path = services.member_invite(
            actor=users["direction"], crt=crt_a, username="t.guerin", first_name="Thomas",
            last_name="Guérin", roles=[Role.ACTIVITY_LEADER])
    assert mail.outbox == []
    assert path.startswith("/mot-de-passe/definir/")
    assert AuditEvent.objects.get(action="member.invited").details[
        "lien_envoyé_par_courriel"] is False


@pytest.mark.parametrize(("changes", "field", "message"), [
    ({"username": "Coordinator"}, "username", "Cet identifiant est déjà pris"),
    ({"username": "karine lemoine"}, "username", "pas d'espace"),
    ({"email": "karine@"}, "email", "Adresse électronique invalide."),
    ({"roles": []}, "roles", "Choisissez au moins un rôle."),
    ({"roles": ["direction"]}, "roles", "la direction, le DPO et l'ARS sont nommés par la "
                                        "direction"),
    ({"roles": ["auditor"]}, "roles", "nommés par la direction"),
    ({"roles": ["caregiver"]}, "roles", "Rôle inconnu"),
    ({"last_name": ""}, "last_name", "Ce champ est obligatoire."),
])
def test_bad_input_is_refused_next_to_the_field_and_nothing_saved(
        client, users, changes, field, message):
    client.force_login(users["coordinator"])
    before = (User.objects.count(), Membership.objects.count(), AuditEvent.objects.count())
    response = client.post(reverse("core:member_add"), invite_data(**changes))
    assert response.status_code == 400
    assert message in field_error(response, field), visible_text(response)
    assert (User.objects.count(), Membership.objects.count(),
            AuditEvent.objects.count()) == before


def test_every_error_of_the_form_shows_at_the_first_submission(client, users):
    """A taken username, a bad e-mail, a bad phone, a bad RPPS and no role: all said at once
    (the username came after the others were mended, the RPPS after that)."""
    client.force_login(users["coordinator"])
    response = client.post(reverse("core:member_add"), invite_data(
        username="coordinator", email="pasunmail", phone="abc", psc_identifier="123",
        roles=[]))
    assert response.status_code == 400
    assert field_error(response, "username").startswith("Cet identifiant est déjà pris")
    assert field_error(response, "email") == "Adresse électronique invalide."
    assert field_error(response, "phone")
    assert field_error(response, "psc_identifier")
    assert field_error(response, "roles") == "Choisissez au moins un rôle."


@pytest.mark.parametrize(("actor", "role", "allowed"), [
    ("coordinator", Role.DIRECTION, False),
    ("coordinator", Role.AUDITOR, False),
    ("coordinator", Role.ARS, False),
    ("coordinator", Role.PARTNER, True),
    ("admin_staff", Role.NURSE, False),
    ("direction", Role.DIRECTION, True),
    ("direction", Role.AUDITOR, True),
    ("direction", Role.ARS, True),
])
def test_service_enforces_who_gives_which_role(users, crt_a, actor, role, allowed):
    def invite():
        return services.member_invite(actor=users[actor], crt=crt_a, username="nouveau",
                                      first_name="Anaïs", last_name="Pineau", roles=[role])

    if allowed:
        user, _ = invite()
        assert membership_of(user, crt_a).roles.get().role == role
    else:
        with pytest.raises(DomainError) as error:
            invite()
        assert error.value.field == "roles"
        assert "Vous ne pouvez pas donner le rôle" in error.value.message
        assert not User.objects.filter(username="nouveau").exists()


def test_a_username_of_another_crt_is_refused_too(users, crt_a, user_b):
    with pytest.raises(DomainError, match="déjà pris"):
        services.member_invite(actor=users["direction"], crt=crt_a, username=user_b.username,
                               first_name="X", last_name="Y", roles=[Role.NURSE])
    assert not Membership.objects.filter(user=user_b, crt=crt_a).exists()


def test_portal_roles_are_not_given_from_the_team_page(users, crt_a):
    with pytest.raises(DomainError, match="depuis le dossier de la personne"):
        services.member_invite(actor=users["direction"], crt=crt_a, username="aidant2",
                               first_name="X", last_name="Y", roles=[Role.CAREGIVER])


# --- The link ----------------------------------------------------------------------------------


@pytest.fixture
def invited(users, crt_a):
    user, path = services.member_invite(
        actor=users["coordinator"], crt=crt_a, username="karine.lemoine", first_name="Karine",
        last_name="Lemoine", roles=[Role.NURSE])
    return user, path


def test_the_link_sets_the_password_once_then_the_person_logs_in(client, invited, crt_a):
    user, path = invited
    form_url = client.get(path)["Location"]
    page = client.get(form_url)
    assert page.status_code == 200
    text = visible_text(page)
    assert "Choisir votre mot de passe" in text and "karine.lemoine" in text
    # The settings' validators, in French, next to the field.
    weak = client.post(form_url, {"new_password1": "123", "new_password2": "123"})
    assert weak.status_code == 400
    assert "Ce mot de passe est trop court" in field_error(weak, "new_password2")
    done = client.post(form_url, {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})
    assert done.status_code == 302 and done["Location"] == reverse("core:login")
    assert "Votre mot de passe est enregistré" in visible_text(client.get(done["Location"]))
    user.refresh_from_db()
    assert user.check_password(NEW_PASSWORD)
    assert AuditEvent.objects.filter(action="auth.password_set", actor=user, crt=crt_a).exists()
    # Used once: the same link is refused, in French.
    again = Client().get(path)
    assert again.status_code == 404
    assert "Lien invalide ou expiré" in visible_text(again)
    # The person logs in and lands on their home page.
    fresh = Client()
    login = fresh.post(reverse("core:login"), {"username": "karine.lemoine",
                                                "password": NEW_PASSWORD})
    assert login.status_code == 302 and login["Location"] == reverse("core:home")
    home = fresh.get(reverse("core:home"))
    assert home.status_code == 200 and "Bonjour Karine" in visible_text(home)


def test_expired_and_forged_links_are_refused(client, invited, monkeypatch):
    user, path = invited
    forged = path.replace(path.rstrip("/").rsplit("/", 1)[1], "abc-0123456789abcdef")
    assert "Lien invalide ou expiré" in visible_text(client.get(forged))
    assert client.get(forged).status_code == 404
    assert client.get("/mot-de-passe/definir/xx/yy/").status_code == 404
    assert client.get("/mot-de-passe/definir/MA/choisir/").status_code == 404
    # Three days later (settings.PASSWORD_RESET_TIMEOUT), the link no longer works.
    later = datetime.now() + timedelta(days=3, minutes=1)  # the generator's own clock
    monkeypatch.setattr(default_token_generator, "_now", lambda: later)
    expired = client.get(path)
    assert expired.status_code == 404
    assert "Lien invalide ou expiré" in visible_text(expired)
    user.refresh_from_db()
    assert not user.has_usable_password()


def test_a_link_dies_with_the_access_it_was_sent_for(client, invited, users, crt_a):
    """Access ended before the link was used: the link is refused (it still let the person
    choose a password, then log in to « Aucun accès actif »); access given back, it works."""
    from maillage.core.models import Membership

    user, path = invited
    membership = Membership.objects.get(user=user, crt=crt_a)
    services.member_deactivate(actor=users["coordinator"], membership=membership)
    form_url = client.get(path)["Location"]
    refused = client.get(form_url)
    assert refused.status_code == 404 and "Lien invalide ou expiré" in visible_text(refused)
    posted = client.post(form_url, {"new_password1": NEW_PASSWORD,
                                    "new_password2": NEW_PASSWORD})
    assert posted.status_code == 404
    user.refresh_from_db()
    assert not user.has_usable_password()
    services.member_reactivate(actor=users["coordinator"], membership=membership)
    fresh = Client()
    assert fresh.get(fresh.get(path)["Location"]).status_code == 200


def test_password_form_needs_csrf(invited):
    user, path = invited
    client = Client(enforce_csrf_checks=True)
    form_url = client.get(path)["Location"]
    response = client.post(form_url, {"new_password1": NEW_PASSWORD,
                                      "new_password2": NEW_PASSWORD})
    assert response.status_code == 403
    user.refresh_from_db()
    assert not user.has_usable_password()


def test_wrong_links_are_rate_limited(client, db):
    for _ in range(20):
        assert client.get("/mot-de-passe/definir/MA/jeton-faux/").status_code == 404
    response = client.get("/mot-de-passe/definir/MA/jeton-faux/")
    assert response.status_code == 429
    assert "Trop de tentatives" in visible_text(response)


def test_renewed_link_replaces_the_unused_one(client, users, crt_a, invited):
    user, old_path = invited  # never chose a password
    client.force_login(users["coordinator"])
    client.post(reverse("core:member_link", args=[membership_of(user, crt_a).public_id]))
    team = visible_text(client.get(reverse("core:team")))
    assert "Nouveau lien créé pour Karine Lemoine." in team
    new_url = re.search(r"http://testserver(/mot-de-passe/definir/\S+/)", team).group(1)
    assert Client().get(old_path).status_code == 404
    assert set_password_through(Client(), new_url).status_code == 302
    assert AuditEvent.objects.filter(action="member.link_renewed").count() == 1


def test_a_colleague_never_sees_the_link_of_an_account_with_a_password(
        client, users, crt_a, invited, django_capture_on_commit_callbacks):
    user, _ = invited
    user.set_password("Ancien-mot-de-passe-1")
    user.save()
    client.force_login(users["coordinator"])
    url = reverse("core:member_link", args=[membership_of(user, crt_a).public_id])
    # No address: refused (the link would otherwise be shown to the colleague).
    client.post(url)
    assert "aucune n'est connue" in visible_text(client.get(reverse("core:team")))
    user.email = "karine@example.fr"
    user.save()
    with django_capture_on_commit_callbacks(execute=True):
        client.post(url)
    team = visible_text(client.get(reverse("core:team")))
    assert "envoyé à Karine Lemoine (karine@example.fr)" in team
    assert "/mot-de-passe/definir/" not in team
    user.refresh_from_db()
    assert user.check_password("Ancien-mot-de-passe-1")  # nothing changed for her
    emailed = re.search(r"(/mot-de-passe/definir/\S+/)", mail.outbox[-1].body).group(1)
    assert set_password_through(Client(), emailed).status_code == 302


def test_no_new_link_for_oneself_an_admin_or_an_account_of_another_crt(users, crt_a, crt_b,
                                                                        make_user):
    with pytest.raises(DomainError, match="Mot de passe"):
        services.invite_link_renew(actor=users["coordinator"], crt=crt_a,
                                   user=users["coordinator"])
    night = make_user(crt_a, Role.NURSE)
    member(night, crt_b, Role.NURSE)
    with pytest.raises(DomainError, match="autre CRT"):
        services.invite_link_renew(actor=users["coordinator"], crt=crt_a, user=night)
    admin = make_user(crt_a, Role.NURSE, is_superuser=True)
    with pytest.raises(DomainError, match="administration"):
        services.invite_link_renew(actor=users["direction"], crt=crt_a, user=admin)
    with pytest.raises(DomainError, match="seule la direction"):
        services.invite_link_renew(actor=users["coordinator"], crt=crt_a,
                                   user=users["direction"])
    for user in (night, admin, users["direction"]):
        user.refresh_from_db()
        assert user.has_usable_password()


# --- Roles, end of access, restoring it -------------------------------------------------------


def test_coordinator_changes_roles_and_title(client, users, crt_a, make_user):
    nurse = make_user(crt_a, Role.NURSE, Role.CAREGIVER)
    membership = membership_of(nurse, crt_a)
    client.force_login(users["coordinator"])
    url = reverse("core:member_edit", args=[membership.public_id])
    page = client.get(url)
    assert page.status_code == 200 and "Direction / pilotage" not in visible_text(page)
    response = client.post(url, {"version": 1, "roles": ["nurse", "care_aide"],
                                 "title": "IDE de nuit"})
    assert response.status_code == 302
    membership.refresh_from_db()
    # The portal role stays: it follows the file, not this page.
    assert set(membership.roles.values_list("role", flat=True)) == {
        "nurse", "care_aide", "caregiver"}
    assert membership.title == "IDE de nuit"
    event = AuditEvent.objects.get(action="member.roles_updated")
    assert event.details["rôles_ajoutés"] == ["care_aide"]
    assert event.details["fonction"] == {"avant": "", "après": "IDE de nuit"}
    bad = client.post(url, {"version": 2, "roles": ["direction"], "title": ""})
    assert bad.status_code == 400
    assert "nommés par la direction" in field_error(bad, "roles")


def test_a_stale_roles_page_does_not_undo_a_role_given_meanwhile(client, users, crt_a,
                                                                  make_user):
    nurse = make_user(crt_a, Role.NURSE)
    membership = membership_of(nurse, crt_a)
    url = reverse("core:member_edit", args=[membership.public_id])
    coordinator = Client()
    coordinator.force_login(users["coordinator"])
    stale = coordinator.get(url)
    assert 'name="version" value="1"' in stale.content.decode()
    client.force_login(users["direction"])
    page = client.get(url)
    assert client.post(url, {"version": 1, "roles": ["nurse", "care_aide"],
                             "title": ""}).status_code == 302
    # The coordinator saves the page loaded before: refused, the role given stays.
    response = coordinator.post(url, {"version": 1, "roles": ["nurse"], "title": "IDE"})
    assert response.status_code == 409
    assert "modifiée par quelqu'un d'autre" in visible_text(response)
    membership.refresh_from_db()
    assert set(membership.roles.values_list("role", flat=True)) == {"nurse", "care_aide"}
    assert membership.title == ""
    assert page.status_code == 200
    # Reloaded, the page carries the new version and saves.
    assert 'name="version" value="2"' in coordinator.get(url).content.decode()
    assert coordinator.post(url, {"version": 2, "roles": ["nurse"],
                                  "title": "IDE"}).status_code == 302


def test_nobody_changes_their_own_roles(client, users, crt_a):
    client.force_login(users["direction"])
    own = membership_of(users["direction"], crt_a)
    assert client.get(reverse("core:member_edit", args=[own.public_id])).status_code == 403
    with pytest.raises(DomainError, match="vos propres rôles"):
        services.member_update_roles(actor=users["direction"], membership=own,
                                     roles=[Role.NURSE])


def test_deactivation_blocks_access_at_the_next_request(client, users, crt_a):
    nurse = users["nurse"]
    nurse_client = Client()
    nurse_client.force_login(nurse)
    assert nurse_client.get(reverse("core:home")).status_code == 200
    client.force_login(users["coordinator"])
    membership = membership_of(nurse, crt_a)
    response = client.post(reverse("core:member_deactivate", args=[membership.public_id]))
    assert response.status_code == 302
    page = visible_text(client.get(reverse("core:team")))
    assert "L'accès de" in page and "a pris fin" in page
    former = page.split("Accès terminés", 1)[1]
    assert nurse.get_full_name() in former and "Rétablir" in former
    blocked = nurse_client.get(reverse("core:home"))
    assert blocked.status_code == 403
    assert "Aucun accès actif" in visible_text(blocked)
    assert AuditEvent.objects.filter(action="member.deactivated",
                                     object_id=str(membership.public_id)).exists()
    # Restored: back in at the next request.
    client.post(reverse("core:member_reactivate", args=[membership.public_id]))
    assert nurse_client.get(reverse("core:home")).status_code == 200
    assert AuditEvent.objects.filter(action="member.reactivated").exists()


def test_nobody_ends_their_own_access(client, users, crt_a):
    client.force_login(users["coordinator"])
    own = membership_of(users["coordinator"], crt_a)
    response = client.post(reverse("core:member_deactivate", args=[own.public_id]),
                           follow=True)
    assert "Vous ne pouvez pas mettre fin à votre propre accès." in visible_text(response)
    own.refresh_from_db()
    assert own.is_active


def test_coordinator_does_not_manage_the_direction(client, users, crt_a):
    client.force_login(users["coordinator"])
    director = membership_of(users["direction"], crt_a)
    for name in ("core:member_deactivate", "core:member_link"):
        assert client.post(reverse(name, args=[director.public_id])).status_code == 403
    assert client.get(reverse("core:member_edit", args=[director.public_id])).status_code == 403
    director.refresh_from_db()
    assert director.is_active
    assert "géré par la direction" in visible_text(client.get(reverse("core:team")))


def test_another_crts_member_answers_404(client, users, user_b, crt_b):
    client.force_login(users["direction"])
    other = membership_of(user_b, crt_b)
    assert client.get(reverse("core:member_edit", args=[other.public_id])).status_code == 404
    assert client.post(reverse("core:member_deactivate",
                               args=[other.public_id])).status_code == 404
    other.refresh_from_db()
    assert other.is_active


@pytest.mark.parametrize("role", ["partner", "care_aide", "admin_staff"])
def test_other_roles_cannot_manage_the_team(client, users, crt_a, role):
    client.force_login(users[role])
    target = membership_of(users["nurse"], crt_a)
    assert client.get(reverse("core:member_add")).status_code == 403
    assert client.post(reverse("core:member_add"), invite_data()).status_code == 403
    assert client.post(reverse("core:member_deactivate",
                               args=[target.public_id])).status_code == 403
    assert not User.objects.filter(username="karine.lemoine").exists()
    target.refresh_from_db()
    assert target.is_active


def test_team_page_leaves_portal_accounts_out_and_stays_within_budget(
        client, users, crt_a, make_user, django_assert_max_num_queries):
    for n in range(5):
        make_user(crt_a, Role.NURSE, username=f"ide{n}")
        member(make_user(None, username=f"parti{n}"), crt_a, Role.CARE_AIDE, is_active=False)
    client.force_login(users["coordinator"])
    # 13: the « Messages » badge of a user without a stored counter yet is its rule (+1).
    with django_assert_max_num_queries(13):
        response = client.get(reverse("core:team"))
    text = visible_text(response)
    assert users["caregiver"].get_full_name() not in text
    assert users["nurse"].get_full_name() in text and "Accès terminés" in text


# --- The first account --------------------------------------------------------------------------


def test_crt_admin_command_gives_the_first_account_the_direction(db, make_user):
    crt = CrtFactory(name="CRT des Mauges")
    first = make_user(None, username="premiere")
    call_command("crt_admin", "premiere", "CRT des Mauges")
    membership = membership_of(first, crt)
    assert membership.is_active
    assert list(membership.roles.values_list("role", flat=True)) == ["direction"]
    call_command("crt_admin", "premiere", "CRT des Mauges")  # idempotent
    assert membership.roles.count() == 1
    with pytest.raises(CommandError, match="Aucun CRT nommé"):
        call_command("crt_admin", "premiere", "CRT inconnu")
    with pytest.raises(CommandError, match="Aucun compte"):
        call_command("crt_admin", "personne", "CRT des Mauges")
