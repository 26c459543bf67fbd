"""Writes of volet 1: actions, sessions, light records, registrations, attendance, transport.

Rules:
- the flags follow their field (anti-fall: access to care and prevention; end of life:
  professional practices); at least one audience;
- no double funding (see ``SupportAction``): own budget → no other funder; co-funded → the
  funder, its amount and the total cost, the amount not above the cost;
- in person → a commune (the map counts sessions per commune); remote → no place;
- a session ends after it starts; it cannot start in the past unless it is *recorded* after it
  took place (``record_held``: then it must be over, and it is held);
- a session's place defaults to its action's; facilitators are team members of the CRT and
  professionals of its directory;
- one registration per person and session (a cancelled one is taken up again); not beyond the
  capacity; not to a cancelled session; presence or absence only once the session has begun;
- transport: how, by whom, and its cost (Decimal), for a registration that is not cancelled,
  and the rule checked — only when the person has no other way to come (the reason; « autre »
  with a detail);
- training institutes invited: only for the field « pratiques professionnelles »;
- a GIR of a light record says whether it is evaluated or declared, and a source needs a GIR;
- a caregiver recorded on a volet 2 file is registered through one light record of their own
  (created on first registration, then reused), linked to them; the link is traced on the
  helped person's file, whose content is never shown;
- a light record is not created when the person may already be known (a light record of the
  same kind, a volet 2 beneficiary or caregiver the actor may see, with the same names:
  ``selectors.attendee_possible_duplicates``) unless the user confirmed it is someone else
  (``duplicates_checked``): each person counts once in V1-01 whatever the record;
- nor is a person registered to a session where someone of the same kind and names already is
  (a light record and a volet 2 beneficiary of one person), without the same confirmation;
- two light records of one person are merged, and a light record is joined to the person's
  volet 2 file: ``merge.py``.
"""

from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from maillage.core.audit import audit_log, audit_log_many
from maillage.core.errors import DomainError
from maillage.core.models import Crt
from maillage.core.selectors import member_roles, team_member_users
from maillage.core.versioning import changes, save_versioned, snapshot, validate

from . import selectors
from .models import (
    GIR_SOURCE_NEEDS_GIR,
    INSTITUTE_FIELDS,
    NAME_KEY_FIELDS,
    Attendee,
    Field,
    Participation,
    Session,
    SupportAction,
)

ACTION_FIELDS = ("title", "description", "field", "anti_fall", "end_of_life", "practice_kind",
                 *INSTITUTE_FIELDS.values(),
                 "for_older_people", "for_caregivers", "for_professionals", "funding",
                 "total_cost", "co_funder", "co_funding_amount", "is_remote", "commune",
                 "address", "status")
SESSION_FIELDS = ("starts_at", "ends_at", "is_remote", "commune", "address", "capacity",
                  "anonymous_count")
ATTENDEE_FIELDS = ("kind", "last_name", "first_name", "phone", "commune", "age_band", "sex",
                   "lives_alone", "living_place", "gir", "gir_source",
                   "helps_volet2_beneficiary", "organization", "organization_name",
                   "employer_type")
TRANSPORT_FIELDS = ("transport_mode", "transport_provider", "transport_cost", "transport_from",
                    "transport_reason", "transport_reason_detail")
_EXCLUDE = ["crt", "created_by", "updated_by"]


def _refuse_unknown(fields: dict, allowed) -> None:
    unknown = set(fields) - set(allowed)
    if unknown:
        raise DomainError(f"Champ non modifiable : {', '.join(sorted(unknown))}.")


def _same_crt(obj, crt_id, field: str, message: str = "Élément inconnu.") -> None:
    if obj is not None and obj.crt_id != crt_id:
        raise DomainError(message, field=field)


# --- Actions ---------------------------------------------------------------------------------


def _check_action(action: SupportAction) -> None:
    action.title = (action.title or "").strip()
    action.co_funder = (action.co_funder or "").strip()
    action.address = (action.address or "").strip()
    if action.field not in Field.values:
        raise DomainError("Choisissez l'axe du volet 1.", field="field")
    if action.anti_fall and action.field != Field.CARE_PREVENTION:
        raise DomainError("Une action de prévention des chutes relève de l'axe « accès aux "
                          "soins et à la prévention ».", field="anti_fall")
    if action.end_of_life and action.field != Field.PRACTICES:
        raise DomainError("Le repère « fin de vie » concerne l'axe « amélioration des "
                          "pratiques professionnelles ».", field="end_of_life")
    if action.practice_kind and action.field != Field.PRACTICES:
        raise DomainError("Le type d'action (sensibilisation, formation…) concerne l'axe "
                          "« amélioration des pratiques professionnelles ».",
                          field="practice_kind")
    if action.training_institutes and action.field != Field.PRACTICES:
        raise DomainError("Les instituts de formation invités concernent l'axe « amélioration "
                          "des pratiques professionnelles ».", field="training_institutes")
    if not (action.for_older_people or action.for_caregivers or action.for_professionals):
        raise DomainError("Choisissez au moins un public.", field="for_older_people")
    # No double funding (rule in the model's docstring).
    if action.funding == SupportAction.Funding.OWN_BUDGET:
        if action.co_funder or action.co_funding_amount is not None:
            raise DomainError("Une action sur le budget propre du CRT n'a pas d'autre "
                              "financeur : choisissez « cofinancée » ou videz ces champs.",
                              field="co_funder")
    elif action.funding == SupportAction.Funding.CO_FUNDED:
        if not action.co_funder:
            raise DomainError("Indiquez l'autre financeur.", field="co_funder")
        if action.co_funding_amount is None:
            raise DomainError("Indiquez le montant versé par l'autre financeur.",
                              field="co_funding_amount")
        if action.total_cost is None:
            raise DomainError("Indiquez le coût total de l'action : la part du CRT en est "
                              "déduite.", field="total_cost")
        if action.co_funding_amount > action.total_cost:
            raise DomainError(
                "Double financement : l'autre financeur ne peut pas payer plus que le coût "
                "total de l'action (la part du CRT ne peut pas être négative).",
                field="co_funding_amount")
    else:
        raise DomainError("Choisissez le financement.", field="funding")
    if action.is_remote:
        if action.commune_id or action.address:
            raise DomainError("Une action à distance n'a pas de lieu : videz la commune et "
                              "l'adresse.", field="commune")
    elif action.commune_id is None:
        raise DomainError("Indiquez la commune où se tient l'action (ou « à distance »).",
                          field="commune")
    _same_crt(action.commune, action.crt_id, "commune", "Commune inconnue.")
    validate(action, exclude=[*_EXCLUDE, "partners", "commune"])


def _set_partners(action: SupportAction, partners) -> None:
    partners = list(partners)
    for p in partners:
        _same_crt(p, action.crt_id, "partners", "Structure partenaire inconnue.")
    action.partners.set(partners)


@transaction.atomic
def action_create(*, actor, crt: Crt, partners=(), **fields) -> SupportAction:
    _refuse_unknown(fields, ACTION_FIELDS)
    action = SupportAction(crt=crt, created_by=actor, updated_by=actor, **fields)
    _check_action(action)
    action.save()
    _set_partners(action, partners)
    audit_log(actor=actor, action="support_action.created", obj=action)
    return action


@transaction.atomic
def action_update(*, actor, action: SupportAction, version: int, partners=None,
                  **fields) -> SupportAction:
    _refuse_unknown(fields, ACTION_FIELDS)
    before = snapshot(action, ACTION_FIELDS)
    for name, value in fields.items():
        setattr(action, name, value)
    _check_action(action)
    save_versioned(action, actor=actor, version=version, fields=ACTION_FIELDS)
    details = changes(before, action)
    if partners is not None:
        old = sorted(p.name for p in action.partners.all())
        _set_partners(action, partners)
        new = sorted(p.name for p in partners)
        if old != new:
            details["partners"] = {"avant": ", ".join(old), "après": ", ".join(new)}
    audit_log(actor=actor, action="support_action.updated", obj=action, details=details)
    return action


# --- Sessions --------------------------------------------------------------------------------


def _check_session(session: Session, *, now: datetime, record_held: bool,
                   start_changed: bool) -> None:
    session.address = (session.address or "").strip()
    action = session.action
    if action.crt_id != session.crt_id:
        raise DomainError("Action inconnue.")
    if action.status == SupportAction.Status.CANCELLED:
        raise DomainError("Cette action est annulée : on ne peut plus y ajouter de séance.")
    if session.starts_at is None:
        raise DomainError("Indiquez le début de la séance.", field="starts_at")
    if session.ends_at is None:
        raise DomainError("Indiquez la fin de la séance.", field="ends_at")
    if session.ends_at <= session.starts_at:
        raise DomainError("La fin de la séance doit être après son début.", field="ends_at")
    if record_held:
        if session.ends_at > now:
            raise DomainError("Une séance enregistrée après coup doit être terminée : "
                              "vérifiez la date et l'heure de fin.", field="ends_at")
        opened = session.crt.opened_on
        if opened and timezone.localtime(session.starts_at).date() < opened:
            raise DomainError(f"Le CRT a ouvert le {opened:%d/%m/%Y} : une séance tenue avant "
                              "cette date ne s'enregistre pas ici. Vérifiez la date.",
                              field="starts_at")
    elif start_changed and session.starts_at < now:
        raise DomainError(
            "Cette date est passée. Pour une séance qui a déjà eu lieu, cochez « enregistrer "
            "une séance déjà tenue ».", field="starts_at")
    if session.is_remote:
        if session.commune_id or session.address:
            raise DomainError("Une séance à distance n'a pas de lieu : videz la commune et "
                              "l'adresse.", field="commune")
    elif session.commune_id is None:
        raise DomainError("Indiquez la commune de la séance (ou « à distance »).",
                          field="commune")
    _same_crt(session.commune, session.crt_id, "commune", "Commune inconnue.")
    validate(session, exclude=[*_EXCLUDE, "action", "commune", "facilitators",
                               "partner_facilitators"])


def _set_facilitators(session: Session, facilitators, partner_facilitators) -> None:
    facilitators = list(facilitators)
    if facilitators:
        team = set(team_member_users(crt=session.crt).filter(
            pk__in=[u.pk for u in facilitators]).values_list("pk", flat=True))
        if any(u.pk not in team for u in facilitators):
            raise DomainError("Un animateur choisi n'est pas membre de l'équipe du CRT.",
                              field="facilitators")
    partner_facilitators = list(partner_facilitators)
    for p in partner_facilitators:
        _same_crt(p, session.crt_id, "partner_facilitators", "Professionnel inconnu.")
    session.facilitators.set(facilitators)
    session.partner_facilitators.set(partner_facilitators)


@transaction.atomic
def session_create(*, actor, action: SupportAction, starts_at: datetime, ends_at: datetime,
                   record_held: bool = False, is_remote: bool | None = None, commune=None,
                   address: str = "", capacity: int | None = None, anonymous_count: int = 0,
                   facilitators=(), partner_facilitators=()) -> Session:
    """A session of ``action``. Without a place (``is_remote`` None, no commune, no address),
    it takes the action's. ``record_held``: a session that took place, recorded afterwards."""
    if is_remote is None and commune is None and not address:
        is_remote, commune, address = action.is_remote, action.commune, action.address
    session = Session(crt=action.crt, action=action, starts_at=starts_at, ends_at=ends_at,
                      is_remote=bool(is_remote), commune=commune, address=address,
                      capacity=capacity, anonymous_count=anonymous_count or 0,
                      recorded_after=record_held,
                      status=Session.Status.HELD if record_held else Session.Status.PLANNED,
                      created_by=actor, updated_by=actor)
    _check_session(session, now=timezone.now(), record_held=record_held, start_changed=True)
    if session.anonymous_count and not record_held:
        raise DomainError("Les participants non identifiés se comptent une fois la séance "
                          "tenue.", field="anonymous_count")
    session.save()
    _set_facilitators(session, facilitators, partner_facilitators)
    if action.status == SupportAction.Status.PLANNED:
        SupportAction.objects.filter(pk=action.pk).update(status=SupportAction.Status.ACTIVE)
        action.status = SupportAction.Status.ACTIVE
    audit_log(actor=actor, action="session.recorded" if record_held else "session.created",
              obj=session)
    return session


@transaction.atomic
def session_update(*, actor, session: Session, version: int, facilitators=None,
                   partner_facilitators=None, status: str | None = None,
                   **fields) -> Session:
    _refuse_unknown(fields, SESSION_FIELDS)
    before = snapshot(session, [*SESSION_FIELDS, "status"])
    for name, value in fields.items():
        setattr(session, name, value)
    if status is not None:
        if status not in Session.Status.values:
            raise DomainError("État inconnu.", field="status")
        session.status = status
    start_changed = session.starts_at != before["starts_at"]
    _check_session(session, now=timezone.now(), record_held=False,
                   start_changed=start_changed and not session.recorded_after)
    if session.capacity is not None and session.capacity != before["capacity"]:
        # Registrations lock the session (``_register``): none is taken meanwhile.
        Session.objects.select_for_update().filter(pk=session.pk).first()
        taken = Participation.objects.filter(session=session).exclude(
            status=Participation.Status.CANCELLED).count()
        if session.capacity < taken:
            raise DomainError(f"{taken} personnes sont déjà inscrites : la capacité ne peut pas "
                              f"être inférieure. Désinscrivez d'abord celles qui ne viendront "
                              f"pas.", field="capacity")
    save_versioned(session, actor=actor, version=version, fields=[*SESSION_FIELDS, "status"])
    if facilitators is not None or partner_facilitators is not None:
        _set_facilitators(
            session, session.facilitators.all() if facilitators is None else facilitators,
            session.partner_facilitators.all() if partner_facilitators is None
            else partner_facilitators)
    audit_log(actor=actor, action="session.updated", obj=session,
              details=changes(before, session))
    return session


# --- Light records ---------------------------------------------------------------------------


def _check_attendee(a: Attendee) -> None:
    for f in ("last_name", "first_name", "phone", "organization_name"):
        setattr(a, f, (getattr(a, f) or "").strip())
    if a.kind not in Attendee.Kind.values:
        raise DomainError("Choisissez le type de personne.", field="kind")
    if not a.last_name:
        raise DomainError("Indiquez le nom de la personne.", field="last_name")
    _same_crt(a.commune, a.crt_id, "commune", "Commune inconnue.")
    _same_crt(a.organization, a.crt_id, "organization", "Structure inconnue.")
    if a.kind != Attendee.Kind.OLDER_PERSON:
        # What describes an older person stays empty for the others.
        if (a.age_band or a.lives_alone is not None or a.living_place or a.gir is not None
                or a.gir_source):
            raise DomainError("Tranche d'âge, lieu de vie, GIR : seulement pour une personne "
                              "âgée.", field="age_band")
    if a.gir is not None and not a.gir_source:
        raise DomainError("Indiquez si le GIR est évalué (grille AGGIR, par un professionnel) "
                          "ou déclaré (par la personne ou un proche).", field="gir_source")
    if a.gir_source and a.gir is None:
        raise DomainError(GIR_SOURCE_NEEDS_GIR, field="gir_source")
    if a.gir_source and a.gir_source not in Attendee.GirSource.values:
        raise DomainError("Choisissez « évalué » ou « déclaré ».", field="gir_source")
    if a.caregiver_id is not None:
        _same_crt(a.caregiver, a.crt_id, "caregiver", "Aidant inconnu.")
        if a.kind != Attendee.Kind.CAREGIVER:
            raise DomainError("Seul un aidant est lié à un aidant du volet 2.", field="kind")
        if a.helps_volet2_beneficiary is not True:
            raise DomainError("Cet aidant est celui d'un bénéficiaire du volet 2 : la personne "
                              "aidée est accompagnée au volet 2.",
                              field="helps_volet2_beneficiary")
    if a.kind != Attendee.Kind.CAREGIVER and a.helps_volet2_beneficiary is not None:
        raise DomainError("« Personne aidée accompagnée au volet 2 » : seulement pour un "
                          "aidant.", field="helps_volet2_beneficiary")
    if a.kind == Attendee.Kind.PROFESSIONAL:
        if not (a.organization_id or a.organization_name):
            raise DomainError("Indiquez la structure du professionnel (annuaire ou saisie).",
                              field="organization_name")
        if a.organization_id and a.organization_name:
            raise DomainError("Choisissez la structure dans l'annuaire ou tapez-la, pas les "
                              "deux.", field="organization_name")
        if not a.employer_type:
            raise DomainError("Indiquez le type de structure du professionnel.",
                              field="employer_type")
    elif a.organization_id or a.organization_name or a.employer_type:
        raise DomainError("La structure ne concerne que les professionnels.",
                          field="organization_name")
    validate(a, exclude=[*_EXCLUDE, "commune", "organization", "caregiver"])


POSSIBLE_DUPLICATE = ("Cette personne a peut-être déjà une fiche : inscrivez-la depuis la liste "
                      "proposée, ou cochez « Ce n'est pas la même personne » pour créer une "
                      "nouvelle fiche.")


@transaction.atomic
def attendee_create(*, actor, crt: Crt, duplicates_checked: bool = False,
                    **fields) -> Attendee:
    """A new light record. Refused (``code="possible_duplicate"``) when the person may already
    be known — ``selectors.attendee_possible_duplicates`` for the actor —, unless
    ``duplicates_checked``: the user saw them and confirmed it is someone else."""
    _refuse_unknown(fields, ATTENDEE_FIELDS)
    attendee = Attendee(crt=crt, created_by=actor, updated_by=actor, **fields)
    _check_attendee(attendee)
    if not duplicates_checked and selectors.attendee_possible_duplicates(
            crt=crt, user=actor, roles=member_roles(user=actor, crt=crt), kind=attendee.kind,
            last_name=attendee.last_name, first_name=attendee.first_name):
        raise DomainError(POSSIBLE_DUPLICATE, field="duplicates_checked",
                          code="possible_duplicate")
    attendee.save()
    audit_log(actor=actor, action="attendee.created", obj=attendee,
              object_label=attendee.display_name)
    return attendee


@transaction.atomic
def attendee_update(*, actor, attendee: Attendee, version: int, **fields) -> Attendee:
    _refuse_unknown(fields, ATTENDEE_FIELDS)
    if "kind" in fields and fields["kind"] != attendee.kind:
        raise DomainError("Le type d'une fiche ne change pas : créez-en une autre.",
                          field="kind")
    before = snapshot(attendee, ATTENDEE_FIELDS)
    for name, value in fields.items():
        setattr(attendee, name, value)
    _check_attendee(attendee)
    attendee.refresh_name_keys()
    save_versioned(attendee, actor=actor, version=version,
                   fields=[*ATTENDEE_FIELDS, *NAME_KEY_FIELDS])
    audit_log(actor=actor, action="attendee.updated", obj=attendee,
              object_label=attendee.display_name, details=changes(before, attendee))
    return attendee


@transaction.atomic
def attendee_for_caregiver(*, actor, crt: Crt, caregiver) -> Attendee:
    """The light record of a volet 2 caregiver (``beneficiaries.Caregiver``): the one already
    linked, or a new one with their identity only (name, phone) and « the helped person is
    followed in volet 2 »."""
    _same_crt(caregiver, crt.pk, "caregiver", "Aidant inconnu.")
    existing = Attendee.objects.select_for_update().filter(crt=crt, caregiver=caregiver).first()
    if existing is not None:
        return existing
    attendee = Attendee(crt=crt, kind=Attendee.Kind.CAREGIVER, caregiver=caregiver,
                        last_name=caregiver.last_name, first_name=caregiver.first_name,
                        phone=caregiver.phone, helps_volet2_beneficiary=True,
                        created_by=actor, updated_by=actor)
    _check_attendee(attendee)
    attendee.save()
    audit_log(actor=actor, action="attendee.created", obj=attendee,
              object_label=attendee.display_name)
    return attendee


# --- Registrations and attendance ------------------------------------------------------------


def _lock(session: Session) -> Session:
    """Serialise the registrations of one session (capacity, duplicates)."""
    return Session.objects.select_for_update().get(pk=session.pk)


def _record_label(person) -> str:
    """« GOHIER Simone (fiche du volet 1) », « … (bénéficiaire du volet 2) »."""
    record = "fiche du volet 1" if isinstance(person, Attendee) else "bénéficiaire du volet 2"
    return f"{person.display_name} ({record})"


def same_name_message(rows: Sequence[Participation]) -> str:
    """The warning when ``rows`` (``selectors.session_same_name``) are already registered."""
    names = ", ".join(_record_label(p.beneficiary or p.attendee) for p in rows)
    return (f"Une personne de même nom est déjà inscrite à cette séance : {names}. Si c'est "
            "la même personne, ne l'inscrivez pas une seconde fois (elle serait comptée deux "
            "fois). Sinon, cochez « Ce n'est pas la même personne » et inscrivez à nouveau.")


def same_names_message(found: Sequence[selectors.SameName]) -> str:
    """The warning when people to register together (``selectors.session_same_names``) have
    namesakes registered already or in the same list; one person with registered namesakes
    only: ``same_name_message``."""
    if len(found) == 1 and not found[0].listed:
        return same_name_message(found[0].registered)

    lines = []
    for one in found:
        said = []
        if one.registered:
            said.append("déjà inscrite : " + ", ".join(
                _record_label(p.beneficiary or p.attendee) for p in one.registered))
        if one.listed:
            said.append("aussi dans la liste : " + ", ".join(_record_label(o) for o in one.listed))
        lines.append(f"{_record_label(one.person)}, {' et '.join(said)}")
    return ("Des personnes de même nom sont déjà inscrites à cette séance ou dans la liste : "
            f"{' ; '.join(lines)}. Si c'est la même personne, ne l'inscrivez pas une seconde "
            "fois (elle serait comptée deux fois). Sinon, cochez « Ce n'est pas la même "
            "personne » et inscrivez à nouveau.")


@transaction.atomic
def participation_register(*, actor, session: Session, beneficiary=None,
                           attendee: Attendee | None = None,
                           duplicates_checked: bool = False) -> Participation:
    """Register a volet 2 beneficiary (an older person) or a light record to ``session``
    (``participations_register`` for one person, the same-name check included)."""
    if (beneficiary is None) == (attendee is None):
        raise DomainError("Choisissez une personne : un bénéficiaire du volet 2 ou une fiche "
                          "(ou créez-en une).", field="attendee")
    return participations_register(actor=actor, session=session,
                                   people=[beneficiary or attendee],
                                   duplicates_checked=duplicates_checked)[0]


@transaction.atomic
def participations_register(*, actor, session: Session, people: Sequence,
                            duplicates_checked: bool = False) -> list[Participation]:
    """Register several people to ``session`` at once — volet 2 beneficiaries (older people)
    and light records (``Attendee``) —, in their order: all of them or none. The checks are
    made once for the group: the session is not cancelled, nobody is registered twice, the
    places left suffice. A cancelled registration is taken up again. Refused
    (``code="same_name_in_session"``) when one of them has the same kind and names as someone
    registered already or listed before them (``selectors.session_same_names``: one person
    under a light record and a volet 2 file), unless ``duplicates_checked``: the user
    confirmed they are other people."""
    people = list(people)
    for person in people:
        if isinstance(person, Attendee):
            _same_crt(person, session.crt_id, "attendee", "Personne inconnue.")
        else:
            _same_crt(person, session.crt_id, "beneficiary", "Bénéficiaire inconnu.")
    keys = [("attendee" if isinstance(p, Attendee) else "beneficiary", p.pk) for p in people]
    for index, key in enumerate(keys):
        if key in keys[:index]:
            raise DomainError(f"{people[index].display_name} figure deux fois dans la liste.",
                              field=key[0])
    locked = _lock(session)
    if locked.status == Session.Status.CANCELLED:
        raise DomainError("Cette séance est annulée : on ne peut plus s'y inscrire.")
    existing = {(("beneficiary", p.beneficiary_id) if p.beneficiary_id
                 else ("attendee", p.attendee_id)): p
                for p in Participation.objects.filter(session=session).filter(
                    Q(beneficiary__in=[pk for f, pk in keys if f == "beneficiary"])
                    | Q(attendee__in=[pk for f, pk in keys if f == "attendee"]))}
    for person, key in zip(people, keys, strict=True):
        if key in existing and existing[key].status != Participation.Status.CANCELLED:
            raise DomainError(f"{person.display_name} est déjà inscrit·e à cette séance.",
                              field=key[0])
    if not duplicates_checked and (
            same := selectors.session_same_names(session=session, people=people)):
        raise DomainError(same_names_message(same), field="duplicates_checked",
                          code="same_name_in_session")
    if locked.capacity is not None:
        taken = Participation.objects.filter(session=session).exclude(
            status=Participation.Status.CANCELLED).count()
        if taken + len(people) > locked.capacity:
            left = max(locked.capacity - taken, 0)
            raise DomainError(f"La séance est complète ({locked.capacity} places)." if not left
                              else f"Il reste {left} place{'s' if left > 1 else ''} sur "
                                   f"{locked.capacity} : {len(people)} inscriptions demandées.")
    registered, new = [], []
    for person, key in zip(people, keys, strict=True):
        if key in existing:  # a cancelled registration taken up again
            again = existing[key]
            again.status = Participation.Status.REGISTERED
            save_versioned(again, actor=actor, version=again.version, fields=["status"])
            registered.append(again)
            continue
        participation = Participation(
            crt=session.crt, session=session, kind=(
                person.kind if isinstance(person, Attendee) else Attendee.Kind.OLDER_PERSON),
            beneficiary=None if isinstance(person, Attendee) else person,
            attendee=person if isinstance(person, Attendee) else None,
            created_by=actor, updated_by=actor)
        validate(participation, exclude=[*_EXCLUDE, "session", "beneficiary", "attendee",
                                         "transport_from"])
        new.append(participation)
        registered.append(participation)
    Participation.objects.bulk_create(new)
    audit_log_many(actor=actor, events=[_registered_event(p) for p in registered])
    return registered


def _registered_event(participation: Participation) -> dict:
    """The trace of a registration: on the volet 2 file it links (who registered whom, when),
    on the helped person's file for a caregiver of a volet 2 file, else on the light record."""
    if participation.beneficiary_id is not None:
        return {"action": "participation.beneficiary_linked", "obj": participation,
                "beneficiary": participation.beneficiary}
    attendee = participation.attendee
    if attendee.caregiver_id is not None:
        return {"action": "participation.caregiver_linked", "obj": participation,
                "object_label": attendee.display_name,
                "beneficiary": attendee.caregiver.beneficiary}
    return {"action": "participation.created", "obj": participation,
            "object_label": attendee.display_name}


@transaction.atomic
def attendance_record(*, actor, session: Session, version: int, statuses: dict,
                      anonymous_count: int | None = None) -> Session:
    """Record who came: ``statuses`` maps participations of ``session`` to a status."""
    started = session.starts_at <= timezone.now()
    before = snapshot(session, ["status", "anonymous_count"])
    if session.status == Session.Status.CANCELLED:
        raise DomainError("Cette séance est annulée.")
    marked = False
    for participation, status in statuses.items():
        if participation.session_id != session.pk:
            raise DomainError("Inscription inconnue.")
        if status not in Participation.Status.values:
            raise DomainError("Présence inconnue.")
        if status in (Participation.Status.PRESENT, Participation.Status.ABSENT):
            if not started:
                raise DomainError("La séance n'a pas encore commencé : les présences se "
                                  "notent le jour même ou après.")
            marked = True
        if status != participation.status:
            old = participation.status
            participation.status = status
            save_versioned(participation, actor=actor, version=participation.version,
                           fields=["status"])
            audit_log(actor=actor, action="participation.updated", obj=participation,
                      beneficiary=participation.beneficiary,
                      details={"status": {"avant": old, "après": status}})
    if anonymous_count is not None:
        if anonymous_count and not started:
            raise DomainError("La séance n'a pas encore commencé.", field="anonymous_count")
        session.anonymous_count = anonymous_count
    if marked or session.anonymous_count:
        session.status = Session.Status.HELD
    validate(session, exclude=[*_EXCLUDE, "action", "commune", "facilitators",
                               "partner_facilitators"])
    save_versioned(session, actor=actor, version=version, fields=["status", "anonymous_count"])
    details = changes(before, session)
    if details:
        audit_log(actor=actor, action="session.updated", obj=session, details=details)
    return session


@transaction.atomic
def participation_transport_set(*, actor, participation: Participation, version: int,
                                transport_mode: str = "", transport_provider: str = "",
                                transport_cost: Decimal | None = None,
                                transport_from=None, transport_reason: str = "",
                                transport_reason_detail: str = "") -> Participation:
    """Transport organised for a participant (or none, with an empty mode), with the rule
    checked: the person has no other way to come (``transport_reason``)."""
    before = snapshot(participation, TRANSPORT_FIELDS)
    transport_provider = (transport_provider or "").strip()
    transport_reason_detail = (transport_reason_detail or "").strip()
    if participation.status == Participation.Status.CANCELLED and transport_mode:
        raise DomainError("Cette inscription est annulée.", field="transport_mode")
    if not transport_mode:
        if transport_provider or transport_cost is not None or transport_from is not None:
            raise DomainError("Choisissez le mode de transport, ou videz les autres champs.",
                              field="transport_mode")
        if transport_reason or transport_reason_detail:
            raise DomainError("Le motif va avec un transport organisé : choisissez le mode "
                              "de transport, ou videz le motif.", field="transport_reason")
    else:
        if transport_mode not in Participation.TransportMode.values:
            raise DomainError("Mode de transport inconnu.", field="transport_mode")
        if not transport_provider:
            raise DomainError("Indiquez qui a assuré le transport.",
                              field="transport_provider")
        if transport_cost is None:
            raise DomainError("Indiquez le coût du transport (0 s'il est gratuit).",
                              field="transport_cost")
        if not transport_reason:
            raise DomainError("Le CRT organise le transport seulement quand la personne n'a "
                              "aucune autre solution : indiquez pourquoi.",
                              field="transport_reason")
        if transport_reason not in Participation.TransportReason.values:
            raise DomainError("Motif inconnu.", field="transport_reason")
        if transport_reason == Participation.TransportReason.OTHER:
            if not transport_reason_detail:
                raise DomainError("Précisez pourquoi la personne n'a pas d'autre solution.",
                                  field="transport_reason_detail")
        elif transport_reason_detail:
            transport_reason_detail = ""  # a detail only goes with « autre »
    _same_crt(transport_from, participation.crt_id, "transport_from", "Commune inconnue.")
    participation.transport_reason = transport_reason
    participation.transport_reason_detail = transport_reason_detail
    participation.transport_mode = transport_mode
    participation.transport_provider = transport_provider
    participation.transport_cost = transport_cost
    participation.transport_from = transport_from
    validate(participation, exclude=[*_EXCLUDE, "session", "beneficiary", "attendee",
                                     "transport_from"])
    save_versioned(participation, actor=actor, version=version, fields=TRANSPORT_FIELDS)
    audit_log(actor=actor, action="participation.transport", obj=participation,
              beneficiary=participation.beneficiary, details=changes(before, participation))
    return participation
