"""The access policies of the on-call service (SPEC §3, §4.4), each with both faces — the check
for one object and the queryset of what a user may see — which must agree (tested for every
user × object in ``tests/test_policy_agreement.py``). Views, selectors, home panels and the
file's page call only these.

**Calls** (their clinical text: assessment, advice, actions, outcome, follow-up) are read by:

- the professional on call at that time: who answered it, who travels for it, and whoever was
  on the rota when the call came in (any duty, e.g. the nurse called for advice);
- the coordinator (IDEC), who organises the service and reads the night's calls;
- the health professionals of the person's care team, when they may read the person's health
  data (``file_access(...).health``: care team + consent to share) and the person agreed that
  the care team be informed of on-call interventions (consent ``oncall_information``).

The direction sees figures only (``selectors.figures``), never a call's text.

**Emergency data** (DLU, allergies, treatments, directives) is read by the health professionals
of the care team (``file_access(...).health``), or through **break-the-glass**: a professional
on the rota at that moment (a shift covering now that answers or travels) who answered or
travels for an *open* call about *that* person, stating a reason. The access is audited as an
emergency access and lasts until the end of the call + 2 hours; it is listed for the
coordinator and the auditor to review with the call.

Of the medical section, each reads the fields of ``beneficiaries.access.medical_fields``,
under break-the-glass too (``EmergencyAccess.medical_fields``): a care aide on call reads the
DLU without the history and the medical synthesis, as in the file."""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils import timezone

from maillage.beneficiaries.access import (
    beneficiaries_for,
    file_access,
    health_visible_beneficiaries,
    medical_fields,
    users_with_access,
)
from maillage.beneficiaries.models import Beneficiary, CareTeamMember, Consent
from maillage.core.permissions import has_permission
from maillage.core.roles import HEALTH_PROFESSIONALS, Role

from .models import BreakGlass, Call, EmergencyFile, Shift

#: Roles that read every call of their CRT.
READ_ALL_CALLS = frozenset({Role.COORDINATOR})
#: How long a break-the-glass access outlives its call (writing up, the way back).
GLASS_AFTER_CALL = timedelta(hours=2)
#: The duties of the rota that may break the glass: who answers, who travels.
GLASS_DUTIES = tuple(dict.fromkeys(Shift.ANSWERS + Shift.TRAVELS))


def _responder(roles) -> bool:
    return has_permission(roles, "oncall.respond")


def _shifts_of(user) -> QuerySet[Shift]:
    if not getattr(user, "is_authenticated", False):
        return Shift.objects.none()
    return Shift.objects.filter(Q(staff=user) | Q(professional__user=user))


def _informed(beneficiary_ref) -> QuerySet[Consent]:
    """The person's active agreement that the care team be told of on-call interventions."""
    return Consent.objects.filter(beneficiary=beneficiary_ref,
                                  kind=Consent.Kind.ONCALL_INFORMATION, granted=True,
                                  withdrawn_at__isnull=True)


# --- The rota --------------------------------------------------------------------------------


def shifts_visible(*, crt, user, roles) -> QuerySet[Shift]:
    """The rota's turns: the whole CRT team sees the rota (``oncall.rota.view``), as on its
    page; partners, the DPO and the ARS see none."""
    if has_permission(roles, "oncall.rota.view"):
        return Shift.objects.filter(crt=crt)
    return Shift.objects.none()


def can_view_shift(*, user, roles, shift: Shift) -> bool:
    return has_permission(roles, "oncall.rota.view")


# --- Calls -----------------------------------------------------------------------------------


def calls_visible(*, crt, user, roles) -> QuerySet[Call]:
    """The calls of ``crt`` whose content ``user`` may read (see the module's docstring)."""
    qs = Call.objects.filter(crt=crt)
    if roles & READ_ALL_CALLS:
        return qs
    allowed = Q(pk__in=[])
    if _responder(roles):
        on_rota = _shifts_of(user).filter(crt=crt, starts_at__lte=OuterRef("received_at"),
                                          ends_at__gt=OuterRef("received_at"))
        allowed |= Q(answered_by=user) | Q(travelled_by=user) | Exists(on_rota)
    team = health_visible_beneficiaries(crt=crt, user=user, roles=roles)
    allowed |= Q(beneficiary__in=team.values("pk")) & Exists(_informed(OuterRef("beneficiary")))
    return qs.filter(allowed)


def calls_shown_on_file(*, roles, beneficiary) -> bool:
    """May a reader of this person's health data read the on-call entries of the file's
    timeline (« Appel d'astreinte : chute… »)? The rule of ``calls_visible`` for a file: the
    coordinator always, the care team only when the person agreed that it be informed (an
    objection holds on every page, not only in the call journal). The entry does not say which
    call it was, so a responder outside that rule reads the call in the journal instead."""
    return bool(roles & READ_ALL_CALLS) or _informed(beneficiary).exists()


def can_view_call(*, user, roles, call: Call) -> bool:
    """May ``user`` read this call (its clinical text included)? ``roles`` are the user's roles
    in the call's CRT."""
    if roles & READ_ALL_CALLS:
        return True
    if _responder(roles):
        if user.pk is not None and user.pk in (call.answered_by_id, call.travelled_by_id):
            return True
        if _shifts_of(user).filter(crt_id=call.crt_id, starts_at__lte=call.received_at,
                                   ends_at__gt=call.received_at).exists():
            return True
    if call.beneficiary_id is None or not _informed(call.beneficiary_id).exists():
        return False
    return file_access(user=user, roles=roles, beneficiary=call.beneficiary).health


@dataclass(frozen=True)
class CallInformed:
    """Who is told that a call about a person was closed (``call_informed``)."""

    #: Those who may open the call itself (its page).
    readers: tuple = ()
    #: Those told who may open only the person's file.
    others: tuple = ()


def call_informed(*, call: Call, exclude=None) -> CallInformed:
    """The care team informed the next morning of a call about a person (SPEC §4.4), when the
    person agreed that it be (consent ``oncall_information``): the current members of the
    person's care team who have an account and may read the coordination of the file (the
    ``liaison`` face, as for an alert: consent included for a partner), ``exclude`` (the
    author) apart. Split between those who may open the call (``can_view_call`` and the call
    page's permission) and the others."""
    from maillage.core.selectors import members_roles

    b = call.beneficiary
    if b is None or not _informed(b).exists():
        return CallInformed()
    members = (CareTeamMember.objects.active().filter(beneficiary=b)
               .select_related("user", "professional__user"))
    accounts = [m.user or (m.professional.user if m.professional else None) for m in members]
    told = users_with_access("liaison", beneficiary=b, users=[
        u for u in accounts if u is not None and u != exclude])
    if not told:
        return CallInformed()
    roles = members_roles(crt=b.crt, user_ids=[u.pk for u in told])
    readers = tuple(u for u in told if has_permission(roles[u.pk], "oncall.calls.view")
                    and can_view_call(user=u, roles=roles[u.pk], call=call))
    return CallInformed(readers=readers, others=tuple(u for u in told if u not in readers))


def can_edit_call(*, user, roles, call: Call) -> bool:
    """Completing a call: the professional who took it, or the coordinator."""
    if not _responder(roles) or not can_view_call(user=user, roles=roles, call=call):
        return False
    return call.answered_by_id == user.pk or bool(roles & READ_ALL_CALLS)


# --- Break the glass -------------------------------------------------------------------------


def glass_valid_until(call: Call) -> datetime | None:
    """When the glass broken on this call stops opening the file: None while the call is
    open (it lasts as long), else its closing + 2 hours."""
    if call.status == Call.Status.OPEN:
        return None
    return (call.closed_at or call.received_at) + GLASS_AFTER_CALL


def _valid_glass_q(now: datetime, prefix: str = "") -> Q:
    """The break-the-glass records still opening their file at ``now`` (on ``BreakGlass``)."""
    return (Q(**{f"{prefix}call__status": Call.Status.OPEN})
            | Q(**{f"{prefix}call__status": Call.Status.CLOSED,
                   f"{prefix}call__closed_at__gt": now - GLASS_AFTER_CALL}))


def on_rota_now(*, user, crt, at: datetime | None = None) -> bool:
    """Is ``user`` on the rota at ``at`` (now), on a shift that answers or travels?"""
    at = at or timezone.now()
    return _shifts_of(user).filter(crt=crt, duty__in=GLASS_DUTIES, starts_at__lte=at,
                                   ends_at__gt=at).exists()


def glass_call(*, user, roles, beneficiary, at: datetime | None = None) -> Call | None:
    """The open call on which ``user`` may break the glass for ``beneficiary`` now: about that
    person, taken or travelled for by ``user``, who is on the rota at this moment."""
    if not _responder(roles) or not on_rota_now(user=user, crt=beneficiary.crt_id, at=at):
        return None
    return (Call.objects.filter(Q(answered_by=user) | Q(travelled_by=user),
                                crt_id=beneficiary.crt_id, beneficiary=beneficiary,
                                status=Call.Status.OPEN)
            .order_by("-received_at").first())


def valid_glass(*, user, roles, beneficiary, at: datetime | None = None) -> BreakGlass | None:
    """The break-the-glass access of ``user`` to ``beneficiary`` still valid at ``at``."""
    if not _responder(roles):
        return None
    at = at or timezone.now()
    return (BreakGlass.objects.filter(_valid_glass_q(at), user=user, beneficiary=beneficiary,
                                      call__beneficiary=beneficiary)
            .select_related("call").order_by("-created_at").first())


def glass_beneficiaries(*, crt, user, roles, at: datetime | None = None
                        ) -> QuerySet[Beneficiary]:
    """The people ``user`` currently has break-the-glass access to (queryset face of
    ``valid_glass``)."""
    qs = Beneficiary.objects.filter(crt=crt)
    if not _responder(roles):
        return qs.none()
    at = at or timezone.now()
    glasses = BreakGlass.objects.filter(_valid_glass_q(at), user=user,
                                        beneficiary=OuterRef("pk"),
                                        call__beneficiary=OuterRef("pk"))
    return qs.filter(Exists(glasses))


def emergency_beneficiaries(*, crt, user, roles, at: datetime | None = None
                            ) -> QuerySet[Beneficiary]:
    """The people whose emergency data ``user`` may read now (queryset face of
    ``emergency_access(...).health``): the care team's health access, or a valid glass."""
    health = health_visible_beneficiaries(crt=crt, user=user, roles=roles).values("pk")
    glass = glass_beneficiaries(crt=crt, user=user, roles=roles, at=at).values("pk")
    return Beneficiary.objects.filter(crt=crt).filter(Q(pk__in=health) | Q(pk__in=glass))


def emergency_files_visible(*, crt, user, roles, at: datetime | None = None
                            ) -> QuerySet[EmergencyFile]:
    """The DLUs ``user`` may read now (queryset face of the DLU pages' rule,
    ``views_dlu._read``): ``dlu.view``, the person's emergency data (``emergency_beneficiaries``:
    care team or a valid glass) and identity. The FHIR API's DocumentReference and Binary."""
    if not has_permission(roles, "dlu.view"):
        return EmergencyFile.objects.none()
    identity = beneficiaries_for("identity", crt=crt, user=user, roles=roles).values("pk")
    emergency = emergency_beneficiaries(crt=crt, user=user, roles=roles, at=at).values("pk")
    return EmergencyFile.objects.filter(crt=crt, beneficiary__in=identity).filter(
        beneficiary__in=emergency)


@dataclass(frozen=True)
class EmergencyAccess:
    health: bool
    break_glass: BreakGlass | None = None
    #: The open call on which this user may break the glass for this person, if any.
    open_call: Call | None = None
    #: The fields of the medical section this user reads here (none without ``health``).
    medical_fields: frozenset = frozenset()

    @property
    def may_break_glass(self) -> bool:
        return not self.health and self.open_call is not None


def emergency_access(*, user, roles, beneficiary, at: datetime | None = None
                     ) -> EmergencyAccess:
    """May ``user`` read ``beneficiary``'s emergency data now, and how."""
    files = file_access(user=user, roles=roles, beneficiary=beneficiary)
    if files.health:
        return EmergencyAccess(health=True, medical_fields=files.medical_fields)
    glass = valid_glass(user=user, roles=roles, beneficiary=beneficiary, at=at)
    if glass is not None:
        return EmergencyAccess(health=True, break_glass=glass, medical_fields=medical_fields(
            crt=beneficiary.crt_id, user=user, roles=roles))
    return EmergencyAccess(health=False, open_call=glass_call(user=user, roles=roles,
                                                              beneficiary=beneficiary, at=at))


def break_glasses(*, crt, user, roles, beneficiaries) -> dict:
    """``emergency_access`` for many people at once (the API's pages of DLUs): person pk → the
    break-the-glass access their emergency data are read under, for those outside the user's
    health face (one query, plus one per such person: a responder's open calls, a handful)."""
    people = {b.pk: b for b in beneficiaries}
    team = set(health_visible_beneficiaries(crt=crt, user=user, roles=roles)
               .filter(pk__in=list(people)).values_list("pk", flat=True))
    return {pk: valid_glass(user=user, roles=roles, beneficiary=b)
            for pk, b in people.items() if pk not in team}


def access_doc() -> list[tuple[str, dict[str, str]]]:
    """The rules above as rows for the "Access and audit" page (``maillage access_doc``)."""
    responders = [role for role in Role if has_permission({role}, "oncall.respond")]
    calls = {role: "les appels pris, ceux où il ou elle se déplace, ceux reçus pendant son "
                   "tour d'astreinte" for role in responders}
    for role in Role:
        if role in HEALTH_PROFESSIONALS:
            calls[role] = calls.get(role, "") + (" ; " if role in calls else "") + (
                "ceux des personnes de son cercle de soins (avec consentement à l'information "
                "du cercle de soins)")
    calls.update({role: "tous les appels du CRT" for role in READ_ALL_CALLS})
    glass = {role: "pendant son tour d'astreinte (réponse ou déplacement), pour la personne "
                   "d'un appel en cours qu'il ou elle a pris ou pour lequel il ou elle se "
                   "déplace, avec un motif ; jusqu'à la fin de l'appel + "
                   f"{int(GLASS_AFTER_CALL.total_seconds() // 3600)} h" for role in responders}
    review = {role: "toutes les ouvertures en urgence, avec l'appel" for role in Role
              if has_permission({role}, "oncall.break_glass.review")}
    rota = {role: "tous les tours d'astreinte du CRT" for role in Role
            if has_permission({role}, "oncall.rota.view")}
    return [
        ("Tours d'astreinte (planning)", rota),
        ("Appels d'astreinte (texte clinique)", calls),
        ("Accès en urgence au dossier (bris de glace)", glass),
        ("Revue des accès en urgence", review),
    ]
