"""Portal accounts given from the file ("Accès au portail"): the person's own account and each
caregiver's, created with a single-use password link, renewed, removed; who may do it."""

import re

import pytest
from django.contrib.auth import get_user_model
from django.core import mail
from django.core.cache import cache
from django.test import Client
from django.urls import reverse

from maillage.beneficiaries.tests.factories import CaregiverFactory, shared_file
from maillage.core.errors import DomainError
from maillage.core.models import AuditEvent, Membership
from maillage.core.roles import Role
from maillage.core.tests.factories import UserFactory
from maillage.core.tests.helpers import visible_text
from maillage.portal import services
from maillage.portal.selectors import portal_files

User = get_user_model()
PASSWORD = "Glycines-en-fleur-2026"


@pytest.fixture(autouse=True)
def _clear_rate_limits(db):
    cache.clear()  # the cache is a database table (maillage_cache)


@pytest.fixture
def lucienne(crt_a):
    """Lucienne, her daughter Sophie (an email in the file), no account yet."""
    b = shared_file(crt_a)
    b.first_name, b.birth_name, b.email = "Lucienne", "GOHIER", ""
    b.save()
    sophie = CaregiverFactory(crt=crt_a, beneficiary=b, first_name="Sophie",
                              last_name="Gohier", relation="fille",
                              email="sophie.gohier@example.fr", phone="06 39 98 44 55")
    return b, sophie


def access_url(b):
    return reverse("portal:access", args=[b.public_id])


def create_url(b, caregiver=None):
    if caregiver is None:
        return reverse("portal:access_create_self", args=[b.public_id])
    return reverse("portal:access_create_caregiver", args=[b.public_id, caregiver.public_id])


def shown_link(text: str) -> str:
    return re.search(r"http://testserver(/mot-de-passe/definir/\S+/)", text).group(1)


def choose_password(path: str, password: str = PASSWORD):
    browser = Client()
    form_url = browser.get(path)["Location"]
    response = browser.post(form_url, {"new_password1": password, "new_password2": password})
    assert response.status_code == 302, visible_text(response)


def test_coordinator_gives_a_caregiver_access_and_she_sees_only_her_mother(
        client, users, crt_a, lucienne, django_capture_on_commit_callbacks):
    b, sophie = lucienne
    other = shared_file(crt_a)  # someone else of the CRT: never on Sophie's portal
    client.force_login(users["coordinator"])
    detail = client.get(reverse("beneficiaries:detail", args=[b.public_id])).content.decode()
    assert f'href="{access_url(b)}"' in detail
    page = visible_text(client.get(access_url(b)))
    assert "Sophie Gohier — fille" in page and "Aucun accès au portail." in page
    form = client.get(create_url(b, sophie))
    html = form.content.decode()
    assert 'value="sophie.gohier"' in html and 'value="sophie.gohier@example.fr"' in html
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(create_url(b, sophie), {
            "last_name": "Gohier", "first_name": "Sophie", "username": "sophie.gohier",
            "email": "sophie.gohier@example.fr", "phone": "06 39 98 44 55"})
    assert response.status_code == 302 and response["Location"] == access_url(b)
    sophie.refresh_from_db()
    user = sophie.user
    assert user.username == "sophie.gohier" and not user.has_usable_password()
    membership = Membership.objects.get(user=user, crt=crt_a)
    assert list(membership.roles.values_list("role", flat=True)) == ["caregiver"]
    assert membership.title == "Aidant (fille)"
    event = AuditEvent.objects.get(action="portal_access.created")
    assert event.beneficiary_public_id == b.public_id
    assert event.object_id == str(sophie.public_id)
    assert len(mail.outbox) == 1 and mail.outbox[0].to == ["sophie.gohier@example.fr"]
    # The link, shown once, with how long it lasts.
    page = visible_text(client.get(access_url(b)))
    assert "L'accès au portail de Sophie Gohier est créé." in page
    assert "expire dans 3 jours" in page and "mot de passe pas encore choisi" in page
    path = shown_link(page)
    assert "Lien pour choisir" not in visible_text(client.get(access_url(b)))
    # Sophie chooses her password, logs in and lands on her mother's page, nobody else's.
    choose_password(path)
    sophie_client = Client()
    login = sophie_client.post(reverse("core:login"), {"username": "sophie.gohier",
                                                        "password": PASSWORD})
    assert login.status_code == 302
    home = sophie_client.get(reverse("core:home"))
    assert home.status_code == 200
    assert "L'accompagnement de GOHIER Lucienne" in visible_text(home)
    assert sophie_client.get(reverse("portal:file", args=[other.public_id])).status_code == 404
    assert sophie_client.get(reverse("beneficiaries:list")).status_code == 403


def test_the_person_gets_her_own_account(client, users, crt_a, lucienne):
    b, _ = lucienne
    client.force_login(users["admin_staff"])
    form = client.get(create_url(b)).content.decode()
    assert 'value="lucienne.gohier"' in form and 'value="Gohier"' in form
    response = client.post(create_url(b), {"last_name": "Gohier", "first_name": "Lucienne",
                                           "username": "lucienne.gohier"})
    assert response.status_code == 302
    b.refresh_from_db()
    assert b.portal_user.username == "lucienne.gohier"
    assert Membership.objects.get(user=b.portal_user).roles.get().role == "beneficiary"
    assert mail.outbox == []  # no address in the file: the link is given by hand
    choose_password(shown_link(visible_text(client.get(access_url(b)))))
    own = Client()
    own.post(reverse("core:login"), {"username": "lucienne.gohier", "password": PASSWORD})
    home = own.get(reverse("core:home"))
    assert home.status_code == 200 and "Mon accompagnement" in visible_text(home)


def test_suggested_username_avoids_taken_ones(client, users, lucienne, make_user):
    b, sophie = lucienne
    make_user(None, username="sophie.gohier")
    client.force_login(users["coordinator"])
    assert 'value="sophie.gohier2"' in client.get(create_url(b, sophie)).content.decode()


@pytest.mark.parametrize(("changes", "message"), [
    ({"username": "coordinator"}, "Cet identifiant est déjà pris"),
    ({"username": "sophie gohier"}, "pas d'espace"),
    ({"last_name": ""}, "Indiquez le nom de la personne."),
    ({"email": "sophie@"}, "Adresse électronique invalide."),
])
def test_bad_input_is_refused_and_nothing_saved(client, users, lucienne, changes, message):
    b, sophie = lucienne
    client.force_login(users["coordinator"])
    data = {"last_name": "Gohier", "first_name": "Sophie", "username": "sophie.gohier",
            "email": "", "phone": "", **changes}
    before = (User.objects.count(), Membership.objects.count(), AuditEvent.objects.count())
    response = client.post(create_url(b, sophie), data)
    assert response.status_code == 400
    assert message in visible_text(response)
    sophie.refresh_from_db()
    assert sophie.user is None
    assert (User.objects.count(), Membership.objects.count(),
            AuditEvent.objects.count()) == before


def test_an_account_is_not_created_twice(client, users, lucienne):
    b, sophie = lucienne
    client.force_login(users["coordinator"])
    data = {"last_name": "Gohier", "first_name": "Sophie", "username": "sophie.gohier"}
    assert client.post(create_url(b, sophie), data).status_code == 302
    again = client.post(create_url(b, sophie), {**data, "username": "sophie.gohier2"})
    assert again.status_code == 400
    assert "a déjà un accès au portail" in visible_text(again)
    assert not User.objects.filter(username="sophie.gohier2").exists()
    assert client.get(create_url(b, sophie)).status_code == 302


def test_removing_access_ends_the_account_at_the_next_request(client, users, crt_a, lucienne):
    b, sophie = lucienne
    user, _ = services.portal_access_create(
        actor=users["coordinator"], beneficiary=b, caregiver=sophie, username="sophie.gohier",
        first_name="Sophie", last_name="Gohier")
    sophie_client = Client()
    sophie_client.force_login(user)
    assert sophie_client.get(reverse("core:home")).status_code == 200
    client.force_login(users["admin_staff"])
    url = reverse("portal:access_remove_caregiver", args=[b.public_id, sophie.public_id])
    page = visible_text(client.post(url, follow=True))
    assert "L'accès au portail de Sophie Gohier est retiré et son compte est fermé." in page
    sophie.refresh_from_db()
    assert sophie.user is None
    assert not Membership.objects.get(user=user, crt=crt_a).is_active
    blocked = sophie_client.get(reverse("core:home"))
    assert blocked.status_code == 403 and "Aucun accès actif" in visible_text(blocked)
    assert AuditEvent.objects.get(action="portal_access.removed").details["accès_terminé"]


def test_a_caregiver_of_two_people_keeps_one_account(client, users, crt_a, lucienne):
    """Sophie also helps her father: the same account is linked to his file; removing one
    access keeps the other."""
    b, sophie = lucienne
    user, _ = services.portal_access_create(
        actor=users["coordinator"], beneficiary=b, caregiver=sophie, username="sophie.gohier",
        first_name="Sophie", last_name="Gohier")
    father = shared_file(crt_a)
    father.first_name, father.birth_name = "René", "GOHIER"
    father.save()
    as_daughter = CaregiverFactory(crt=crt_a, beneficiary=father, first_name="Sophie",
                                   last_name="Gohier", relation="fille")
    client.force_login(users["coordinator"])
    response = client.post(create_url(father, as_daughter),
                           {"username": "sophie.gohier", "link_existing": "on"})
    assert response.status_code == 302
    assert "est relié à ce dossier" in visible_text(client.get(response["Location"]))
    as_daughter.refresh_from_db()
    assert as_daughter.user == user
    assert User.objects.filter(username__startswith="sophie.gohier").count() == 1
    sophie_client = Client()
    sophie_client.force_login(user)
    home = visible_text(sophie_client.get(reverse("core:home")))
    assert "GOHIER Lucienne" in home and "GOHIER René" in home
    ended = services.portal_access_remove(actor=users["coordinator"], beneficiary=b,
                                          caregiver=sophie)
    assert ended is False
    assert Membership.objects.get(user=user, crt=crt_a).is_active
    home = visible_text(sophie_client.get(reverse("core:home")))
    assert "GOHIER René" in home and "GOHIER Lucienne" not in home


def test_only_a_portal_account_of_this_crt_can_be_linked(users, crt_a, lucienne, user_b):
    b, sophie = lucienne
    for username in ("nurse", user_b.username, "inconnu"):
        with pytest.raises(DomainError, match="Aucun compte du portail de ce CRT"):
            services.portal_access_link_existing(actor=users["coordinator"], beneficiary=b,
                                                 caregiver=sophie, username=username)
    sophie.refresh_from_db()
    assert sophie.user is None


def test_new_link_for_a_caregiver(client, users, crt_a, lucienne):
    b, sophie = lucienne
    user, old = services.portal_access_create(
        actor=users["coordinator"], beneficiary=b, caregiver=sophie, username="sophie.gohier",
        first_name="Sophie", last_name="Gohier")
    client.force_login(users["admin_staff"])
    url = reverse("portal:access_link_caregiver", args=[b.public_id, sophie.public_id])
    page = visible_text(client.post(url, follow=True))
    assert "Nouveau lien créé pour Sophie Gohier." in page
    new = shown_link(page)
    assert new != old
    assert Client().get(old).status_code == 404
    choose_password(new)
    user.refresh_from_db()
    assert user.check_password(PASSWORD)


def test_the_secretariat_gives_portal_roles_only(users, crt_a):
    from maillage.core.services import member_invite

    with pytest.raises(DomainError, match="Vous ne pouvez pas donner le rôle"):
        member_invite(actor=users["admin_staff"], crt=crt_a, username="x", first_name="X",
                      last_name="Y", roles=[Role.NURSE])


@pytest.mark.parametrize("role", ["partner", "care_aide", "nurse", "caregiver"])
def test_other_roles_get_403(client, users, lucienne, role):
    b, sophie = lucienne
    client.force_login(users[role])
    assert client.get(access_url(b)).status_code == 403
    assert client.post(create_url(b, sophie), {"username": "sophie.gohier",
                                               "last_name": "Gohier"}).status_code == 403
    sophie.refresh_from_db()
    assert sophie.user is None


def test_the_file_links_to_the_page_only_for_those_who_manage_accounts(client, users,
                                                                       lucienne):
    b, _ = lucienne
    client.force_login(users["nurse"])
    assert access_url(b) not in client.get(
        reverse("beneficiaries:detail", args=[b.public_id])).content.decode()


def test_another_crts_file_answers_404(client, lucienne, user_b):
    b, sophie = lucienne
    client.force_login(user_b)
    assert client.get(access_url(b)).status_code == 404
    assert client.post(create_url(b, sophie), {"username": "x", "last_name": "Y"}
                       ).status_code == 404
    sophie.refresh_from_db()
    assert sophie.user is None


def test_viewing_the_page_is_audited(client, users, lucienne):
    b, _ = lucienne
    client.force_login(users["coordinator"])
    client.get(access_url(b))
    assert AuditEvent.objects.get(action="portal_access.viewed").beneficiary_public_id == (
        b.public_id)


def test_a_caregivers_files_come_by_the_name_shown(users, crt_a):
    """A caregiver of two people reads their files by the name the portal shows: « MARTIN
    (née ABADIE) » before « ZOLA », not after the people who have no used name."""
    helper = UserFactory(username="aidante.deux")
    for birth_name, used_name in (("ZOLA", ""), ("ABADIE", "MARTIN")):
        person = shared_file(crt_a)
        person.birth_name, person.used_name = birth_name, used_name
        person.save()
        CaregiverFactory(crt=crt_a, beneficiary=person, user=helper)
    files = portal_files(crt=crt_a, user=helper, roles=frozenset({Role.CAREGIVER}))
    assert [b.display_name.split()[0] for b in files] == ["MARTIN", "ZOLA"]
