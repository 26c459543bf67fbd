"""Writes of the core app: the people of a CRT (accounts, memberships, roles) and the links
they use to choose their password.

Who may give which role is decided by ``permissions.grantable_roles``; the actor's roles are
read from the database here, never taken from the caller. A new account has no usable password:
the person chooses one through a single-use link (Django's password-reset token, valid
``settings.PASSWORD_RESET_TIMEOUT``), shown once to whoever created the account and emailed to
the person when an address is known.
"""

from collections.abc import Iterable

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.tokens import default_token_generator
from django.contrib.auth.validators import UnicodeUsernameValidator
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from .audit import audit_log
from .errors import ConflictError, DomainError
from .models import Crt, Membership, MembershipRole
from .notify import send_email
from .permissions import TEAM_PAGE_ROLES, can_manage_member, grantable_roles
from .roles import PORTAL, Role
from .validators import validate_psc_identifier
from .versioning import validate

User = get_user_model()

#: What the apps keep per member and must follow when a member's roles or access change (the
#: unread-messages counter of ``care``): ``fn(crt=, user=)``, called in the transaction of the
#: change. Registered by the apps (core imports none of them).
MEMBERSHIP_CHANGED: list = []


def on_membership_changed(fn):
    """Register ``fn(crt=, user=)`` to run when a member's roles or access change."""
    MEMBERSHIP_CHANGED.append(fn)
    return fn


def _membership_changed(membership: Membership) -> None:
    for fn in MEMBERSHIP_CHANGED:
        fn(crt=membership.crt, user=membership.user)


# --- Helpers ---------------------------------------------------------------------------------


def link_validity() -> str:
    """How long a password link stays valid, in French: "3 jours", "12 heures"."""
    seconds = int(settings.PASSWORD_RESET_TIMEOUT)
    days, rest = divmod(seconds, 86400)
    if days and not rest:
        return f"{days} jour{'s' if days > 1 else ''}"
    hours = max(1, round(seconds / 3600))
    return f"{hours} heure{'s' if hours > 1 else ''}"


def password_link_path(user) -> str:
    """The path of a single-use link for ``user`` to choose their password."""
    uid = urlsafe_base64_encode(force_bytes(user.pk))
    token = default_token_generator.make_token(user)
    return reverse("core:password_set", kwargs={"uidb64": uid, "token": token})


def actor_roles(actor, crt: Crt) -> frozenset[str]:
    """The roles ``actor`` holds in ``crt`` through an active membership, from the database."""
    if actor is None or not getattr(actor, "is_authenticated", False):
        return frozenset()
    return frozenset(
        MembershipRole.objects.filter(
            membership__user=actor, membership__crt=crt, membership__is_active=True
        ).values_list("role", flat=True)
    )


def _role_codes(membership: Membership) -> set[str]:
    return set(membership.roles.values_list("role", flat=True))


def _who_gives(role: str) -> str:
    return ("la direction ou la coordination" if role in grantable_roles({Role.COORDINATOR})
            else "la direction")


def _check_roles(roles: Iterable[str], *, granter_roles: frozenset[str],
                 scope: frozenset[str]) -> set[str]:
    """The roles to give, validated: known, within ``scope``, at least one, each one grantable
    by someone holding ``granter_roles``."""
    wanted = {str(r) for r in roles}
    unknown = wanted - {r.value for r in Role}
    if unknown:
        raise DomainError(f"Rôle inconnu : {', '.join(sorted(unknown))}.", field="roles")
    if not wanted:
        raise DomainError("Choisissez au moins un rôle.", field="roles")
    outside = wanted - scope
    if outside & PORTAL:
        raise DomainError(
            "Les accès au portail (bénéficiaire, aidant) se donnent depuis le dossier de la "
            "personne, page « Accès au portail ».", field="roles")
    if outside:
        labels = ", ".join(Role(r).label for r in sorted(outside))
        raise DomainError(f"Ce rôle ne se donne pas ici : {labels}.", field="roles")
    forbidden = sorted(wanted - grantable_roles(granter_roles))
    if forbidden:
        role = forbidden[0]
        raise DomainError(
            f"Vous ne pouvez pas donner le rôle « {Role(role).label} » : seule "
            f"{_who_gives(role)} le peut.", field="roles", code="forbidden")
    return wanted


def _check_can_manage(actor, membership: Membership, roles: set[str] | None = None) -> None:
    held = _role_codes(membership) if roles is None else roles
    if not can_manage_member(actor_roles(actor, membership.crt), held):
        raise DomainError(
            "Votre rôle ne vous permet pas de gérer l'accès de cette personne : seule la "
            "direction le peut.", code="forbidden")


def _send_link(*, user, crt: Crt, url: str, new: bool) -> bool:
    """Email the link through the outbox (sent after the commit; nothing when it rolls back)."""
    if not user.email:
        return False
    hello = f"Bonjour {user.first_name}," if user.first_name else "Bonjour,"
    what = ("Un accès à Maillage vient de vous être ouvert" if new
            else "Un nouveau lien vient d'être créé pour votre accès à Maillage")
    body = (
        f"{hello}\n\n{what}, l'outil du {crt.name}.\n"
        f"Votre identifiant : {user.username}\n\n"
        f"Pour choisir votre mot de passe, ouvrez ce lien (valable {link_validity()}, "
        f"une seule fois) :\n{url}\n\n"
        "Si vous n'attendiez pas ce message, ignorez-le"
        + (f" ou appelez le CRT au {crt.phone}." if crt.phone else ".")
    )
    send_email(crt=crt, to=user.email, subject=f"{crt.name} : votre accès à Maillage",
               body=body)
    return True


# --- Team: invite, roles, end and restore access, new link ---------------------------------


@transaction.atomic
def member_invite(
    *,
    actor,
    crt: Crt,
    username: str,
    first_name: str,
    last_name: str,
    email: str = "",
    phone: str = "",
    title: str = "",
    roles: Iterable[str],
    scope: frozenset[str] = TEAM_PAGE_ROLES,
    base_url: str = "",
    psc_identifier: str = "",
) -> tuple:
    """Create a person's account (no usable password), their membership of ``crt`` and roles.

    Returns the user and the path of their single-use link to choose a password; the link is
    also emailed when ``email`` is given (``base_url`` makes it absolute).

    An existing username is refused, even when its account belongs to another CRT: reusing it
    would let this CRT hand out a password link to an account that opens another CRT.
    ``scope`` is the roles this path may give: the team page gives the team's, partners', the
    DPO's and the ARS's; the file gives the portal's. ``psc_identifier`` (RPPS or ADELI) lets
    the person log in with Pro Santé Connect (``_psc_identifier_set``).
    """
    username = (username or "").strip()
    first_name, last_name = (first_name or "").strip(), (last_name or "").strip()
    email, phone, title = (email or "").strip(), (phone or "").strip(), (title or "").strip()
    wanted = _check_roles(roles, granter_roles=actor_roles(actor, crt), scope=scope)
    if (problem := username_problem(username)) is not None:
        raise DomainError(problem, field="username")
    if not last_name:
        raise DomainError("Indiquez le nom de la personne.", field="last_name")
    if email:
        try:
            validate_email(email)
        except ValidationError as exc:
            raise DomainError("Adresse électronique invalide.", field="email") from exc

    user = User(username=username, first_name=first_name, last_name=last_name, email=email,
                phone=phone)
    user.set_unusable_password()
    _psc_identifier_set(user, psc_identifier)
    validate(user)
    try:
        with transaction.atomic():
            user.save()
    except IntegrityError as exc:  # the same username, created at the same moment
        raise DomainError("Cet identifiant est déjà pris : choisissez-en un autre.",
                          field="username") from exc
    membership = Membership(user=user, crt=crt, title=title)
    validate(membership)
    membership.save()
    MembershipRole.objects.bulk_create(
        [MembershipRole(membership=membership, role=role) for role in sorted(wanted)])
    _membership_changed(membership)
    path = password_link_path(user)
    emailed = _send_link(user=user, crt=crt, url=base_url.rstrip("/") + path, new=True)
    audit_log(actor=actor, action="member.invited", crt=crt, obj=membership,
              object_label=f"{user.get_full_name()} ({username})",
              details={"identifiant": username, "rôles": sorted(wanted),
                       "lien_envoyé_par_courriel": emailed,
                       **({"rpps_adeli": user.psc_identifier} if user.psc_identifier else {})})
    return user, path


def username_problem(username: str) -> str | None:
    """Why ``username`` cannot be a new account's (in French), or None. The invitation form
    asks it too, so that every error shows at the first submission."""
    if not username:
        return "Indiquez un identifiant."
    if len(username) > 150:
        return "L'identifiant ne peut pas dépasser 150 caractères."
    try:
        UnicodeUsernameValidator()(username)
    except ValidationError:
        return ("L'identifiant ne peut contenir que des lettres, des chiffres et les signes "
                "@ . + - _ (pas d'espace).")
    if get_user_model().objects.filter(username__iexact=username).exists():
        return ("Cet identifiant est déjà pris : choisissez-en un autre (par exemple en "
                "ajoutant un chiffre).")
    return None


def psc_identifier_problem(value: str, *, user=None) -> str | None:
    """Why ``value`` cannot be the RPPS/ADELI number of ``user`` (a new account: None), or
    None. One number opens one account only."""
    value = "".join((value or "").split())
    if not value:
        return None
    try:
        validate_psc_identifier(value)
    except ValidationError as exc:
        return exc.messages[0]
    others = get_user_model().objects.filter(psc_identifier=value)
    if user is not None:
        others = others.exclude(pk=user.pk)
    if others.exists():
        return "Ce numéro RPPS ou ADELI est déjà celui d'un autre compte Maillage."
    return None


def _check_psc_change_allowed(user, crt: Crt) -> None:
    """The number decides who may open the account with Pro Santé Connect: like a password
    link, this CRT does not change it for an administrator account or for an account that also
    opens another CRT (this CRT would otherwise hold a way into the other one)."""
    if user.is_superuser or user.is_staff:
        raise DomainError("C'est un compte d'administration de Maillage : son numéro RPPS ou "
                          "ADELI ne se modifie pas depuis un CRT.", field="psc_identifier")
    if Membership.objects.filter(user=user).exclude(crt=crt).exists():
        raise DomainError("Ce compte donne aussi accès à un autre CRT : son numéro RPPS ou ADELI "
                          "ne peut être modifié que par l'administrateur de Maillage.",
                          field="psc_identifier")


def _psc_identifier_set(user, value: str | None) -> bool:
    """Put the RPPS/ADELI number for Pro Santé Connect on ``user`` (not saved); True if it
    changed. A changed number forgets the PSC identity linked with the old one: the next PSC
    login with the new number links again. One number opens one account only."""
    value = "".join((value or "").split())
    if value == user.psc_identifier:
        return False
    if (problem := psc_identifier_problem(value, user=user if user.pk else None)) is not None:
        raise DomainError(problem, field="psc_identifier")
    user.psc_identifier = value
    user.psc_sub = ""
    user.psc_linked_at = None
    return True


@transaction.atomic
def member_update_roles(*, actor, membership: Membership, roles: Iterable[str],
                        title: str = "", psc_identifier: str | None = None,
                        version: int | None = None) -> Membership:
    """Give ``membership`` exactly ``roles`` among the team page's roles, and its title.

    Portal roles it holds stay (they follow the file). Nobody changes their own roles: a
    director could otherwise lock the CRT out of its own administration. ``psc_identifier``
    (None: unchanged) is the RPPS/ADELI number for Pro Santé Connect. ``version`` is the one
    the page was loaded at (the roles page always sends it): a stale page is refused with a
    ``ConflictError`` instead of silently undoing someone else's change.
    """
    membership = Membership.objects.select_for_update().select_related("user", "crt").get(
        pk=membership.pk)
    if version is not None and membership.version != version:
        raise ConflictError()
    if membership.user_id == getattr(actor, "pk", None):
        raise DomainError("Vous ne pouvez pas modifier vos propres rôles : demandez-le à un "
                          "autre membre de la direction.", field="roles", code="forbidden")
    current = _role_codes(membership)
    _check_can_manage(actor, membership, current)
    wanted = _check_roles(roles, granter_roles=actor_roles(actor, membership.crt),
                          scope=TEAM_PAGE_ROLES)
    final = wanted | (current & PORTAL)
    added, removed = sorted(final - current), sorted(current - final)
    title = (title or "").strip()
    old_title = membership.title
    membership.title = title
    validate(membership)
    user = membership.user
    old_psc = user.psc_identifier
    psc_changed = psc_identifier is not None and _psc_identifier_set(user, psc_identifier)
    if psc_changed:
        _check_psc_change_allowed(user, membership.crt)
    if not added and not removed and title == old_title and not psc_changed:
        return membership
    if psc_changed:
        validate(user)
        user.save(update_fields=["psc_identifier", "psc_sub", "psc_linked_at"])
    MembershipRole.objects.filter(membership=membership, role__in=removed).delete()
    MembershipRole.objects.bulk_create(
        [MembershipRole(membership=membership, role=role) for role in added])
    membership.version += 1
    membership.save(update_fields=["title", "version", "updated_at"])
    details: dict = {"rôles_ajoutés": added, "rôles_retirés": removed}
    if title != old_title:
        details["fonction"] = {"avant": old_title, "après": title}
    if psc_changed:
        details["rpps_adeli"] = {"avant": old_psc, "après": user.psc_identifier}
    audit_log(actor=actor, action="member.roles_updated", obj=membership,
              object_label=_label(membership), details=details)
    _membership_changed(membership)
    return membership


def _label(membership: Membership) -> str:
    user = membership.user
    return f"{user.get_full_name()} ({user.username})"[:200]


@transaction.atomic
def member_deactivate(*, actor, membership: Membership) -> Membership:
    """End a person's access to this CRT (the next request they make is refused).

    The account and its history stay; their other CRTs are untouched."""
    membership = Membership.objects.select_for_update().select_related("user", "crt").get(
        pk=membership.pk)
    if membership.user_id == getattr(actor, "pk", None):
        raise DomainError("Vous ne pouvez pas mettre fin à votre propre accès.",
                          code="forbidden")
    _check_can_manage(actor, membership)
    if not membership.is_active:
        raise DomainError("L'accès de cette personne est déjà terminé.")
    membership.is_active = False
    membership.save(update_fields=["is_active", "updated_at"])
    audit_log(actor=actor, action="member.deactivated", obj=membership,
              object_label=_label(membership))
    _membership_changed(membership)
    return membership


@transaction.atomic
def member_reactivate(*, actor, membership: Membership) -> Membership:
    membership = Membership.objects.select_for_update().select_related("user", "crt").get(
        pk=membership.pk)
    _check_can_manage(actor, membership)
    if membership.is_active:
        raise DomainError("Cette personne a déjà accès au CRT.")
    membership.is_active = True
    membership.save(update_fields=["is_active", "updated_at"])
    audit_log(actor=actor, action="member.reactivated", obj=membership,
              object_label=_label(membership))
    _membership_changed(membership)
    return membership


@transaction.atomic
def invite_link_renew(*, actor, crt: Crt, user, base_url: str = "") -> str:
    """A new password link for a member of ``crt`` who lost theirs or forgot their password.

    For a portal account, or an account that never chose a password: the password and every
    earlier link stop working (open sessions end) and the link is returned, to be shown once.
    For a team account that already has a password, the link is only emailed to the person and
    nothing is returned (an empty string): the colleague who renews it cannot use it.

    Refused for one's own account (the "Mot de passe" page is there for that), for an
    administrator account, and for an account that also opens another CRT (this CRT would
    otherwise hold a way into the other one).
    """
    membership = (Membership.objects.select_related("user", "crt")
                  .filter(crt=crt, user=user).first())
    if membership is None:
        raise DomainError("Cette personne n'a pas d'accès à ce CRT.")
    user = User.objects.select_for_update().get(pk=user.pk)
    if user.pk == getattr(actor, "pk", None):
        raise DomainError("Pour changer votre propre mot de passe, utilisez la page "
                          "« Mot de passe » du menu.", code="forbidden")
    _check_can_manage(actor, membership)
    if user.is_superuser or user.is_staff:
        raise DomainError("C'est un compte d'administration de Maillage : son mot de passe ne "
                          "se renouvelle pas depuis un CRT.", code="forbidden")
    if Membership.objects.filter(user=user).exclude(crt=crt).exists():
        raise DomainError("Ce compte donne aussi accès à un autre CRT : son mot de passe ne peut "
                          "être renouvelé que par l'administrateur de Maillage.",
                          code="forbidden")
    team_account = MembershipRole.objects.filter(membership=membership).exclude(
        role__in=PORTAL).exists()
    if team_account and user.has_usable_password():
        # A team account that already has a password: whoever renews the link must not be
        # able to use it (they would act under that person's name, with their rights). The
        # link goes only to the person's own address; the password is left as it is.
        if not user.email:
            raise DomainError("Ce compte a déjà un mot de passe : un nouveau lien ne peut être "
                              "envoyé qu'à l'adresse de courriel de la personne, et aucune "
                              "n'est connue. Demandez-lui de changer son mot de passe elle-même, "
                              "ou faites appel à l'administrateur de Maillage.",
                              code="forbidden")
        path = password_link_path(user)
        _send_link(user=user, crt=crt, url=base_url.rstrip("/") + path, new=False)
        audit_log(actor=actor, action="member.link_renewed", crt=crt, obj=membership,
                  object_label=_label(membership),
                  details={"lien_envoyé_par_courriel": True, "lien_affiché": False})
        return ""
    user.set_unusable_password()
    user.save(update_fields=["password"])
    path = password_link_path(user)
    emailed = _send_link(user=user, crt=crt, url=base_url.rstrip("/") + path, new=False)
    audit_log(actor=actor, action="member.link_renewed", crt=crt, obj=membership,
              object_label=_label(membership),
              details={"lien_envoyé_par_courriel": emailed, "lien_affiché": True})
    return path


# --- The link itself -------------------------------------------------------------------------


@transaction.atomic
def password_set_from_link(*, user, password: str) -> None:
    """The person chose their password through their link (already checked by the view, with
    the password validators of the settings). The link stops working: its token depends on
    the password."""
    user.set_password(password)
    user.save(update_fields=["password"])
    crts = [m.crt for m in Membership.objects.filter(user=user, is_active=True)
            .select_related("crt")] or [None]
    for crt in crts:
        audit_log(actor=user, action="auth.password_set", crt=crt, obj=user,
                  object_label=user.username)


# --- The very first account ------------------------------------------------------------------


@transaction.atomic
def crt_admin_grant(*, user, crt: Crt) -> Membership:
    """Give ``user`` an active membership of ``crt`` with the direction role: how the first
    account of a new CRT (made by ``createsuperuser``) gets in. Used by ``maillage crt_admin``.
    """
    membership, created = Membership.objects.get_or_create(user=user, crt=crt)
    if not membership.is_active:
        membership.is_active = True
        membership.save(update_fields=["is_active", "updated_at"])
    MembershipRole.objects.get_or_create(membership=membership, role=Role.DIRECTION)
    audit_log(actor=None, action="member.direction_granted", crt=crt, obj=membership,
              object_label=f"{user.get_full_name()} ({user.username})"[:200],
              details={"commande": "crt_admin", "appartenance_créée": created})
    return membership


#: The settings of a CRT its direction edits (``core:crt_settings``).
CRT_SETTINGS_FIELDS = ("phone", "email", "file_active_target", "places", "max_travel_minutes",
                       "plan_review_months")


@transaction.atomic
def crt_settings_update(*, actor, crt: Crt, version: int, **fields) -> Crt:
    """Change the CRT's settings, refusing a stale page (someone saved since it was loaded)."""
    from django.db.models import F
    from django.utils import timezone

    from .errors import ConflictError
    from .versioning import changes, snapshot

    unknown = set(fields) - set(CRT_SETTINGS_FIELDS)
    if unknown:
        raise DomainError(f"Champ non modifiable : {', '.join(sorted(unknown))}.")
    if "phone" in fields and not (fields["phone"] or "").strip():
        raise DomainError("Indiquez le numéro unique du CRT : le DLU et le portail le donnent "
                          "comme joignable 24 h/24.", field="phone")
    before = snapshot(crt, CRT_SETTINGS_FIELDS)
    for field, value in fields.items():
        setattr(crt, field, value)
    validate(crt, exclude=[f for f in (f.name for f in Crt._meta.fields)
                           if f not in CRT_SETTINGS_FIELDS])
    now = timezone.now()
    if Crt.objects.filter(pk=crt.pk, version=version).update(
            version=F("version") + 1, updated_at=now, **fields) != 1:
        raise ConflictError()
    crt.version, crt.updated_at = version + 1, now
    audit_log(actor=actor, action="crt.settings_updated", crt=crt, obj=crt,
              details=changes(before, crt))
    return crt
