"""Writes of the liaison notebook and the alerts."""

from django.db import transaction
from django.utils import timezone

from maillage.beneficiaries.models import Beneficiary
from maillage.beneficiaries.services import timeline_add
from maillage.core.audit import audit_log
from maillage.core.errors import DomainError
from maillage.core.selectors import is_team_member
from maillage.core.versioning import save_versioned, validate

from ..models import Alert, LiaisonNote, LiaisonNoteRead


def author_role(roles) -> str:
    """The author's roles as shown next to what they write (a snapshot: roles change)."""
    from maillage.core.roles import Role

    labels = dict(Role.choices)
    return ", ".join(labels[r] for r in sorted(roles) if r in labels)[:120]


def check_care_team_writer(*, actor, roles, beneficiary, access, refusal: str) -> None:
    """Who writes about a person (notebook, conversation): the care team within the consent,
    and the coordination. ``refusal`` says what was refused."""
    from maillage.core.permissions import is_in_care_team
    from maillage.core.roles import Role

    if not access.liaison:
        raise DomainError("Le consentement de la personne ne couvre pas ce partage.")
    if not (is_in_care_team(actor, beneficiary) or roles & {Role.COORDINATOR, Role.DIRECTION}):
        raise DomainError(refusal)


def may_write_about(*, actor, roles, beneficiary, access) -> bool:
    """Whether ``check_care_team_writer`` lets ``actor`` write about this person: a form is
    offered only then (a post still gets the service's reason)."""
    try:
        check_care_team_writer(actor=actor, roles=roles, beneficiary=beneficiary,
                               access=access, refusal="")
    except DomainError:
        return False
    return True


@transaction.atomic
def note_add(*, actor, roles, beneficiary: Beneficiary, access, category: str,
             visibility: str, text: str) -> LiaisonNote:
    check_care_team_writer(
        actor=actor, roles=roles, beneficiary=beneficiary, access=access,
        refusal="Seuls les membres du cercle de soins écrivent dans le cahier de liaison.")
    if not text.strip():
        raise DomainError("Écrivez la transmission.", field="text")
    if visibility == LiaisonNote.Visibility.HEALTH and not access.health:
        raise DomainError("Seul un professionnel de santé du cercle de soins peut réserver une "
                          "transmission aux professionnels de santé.", field="visibility")
    note = LiaisonNote(
        crt=beneficiary.crt, beneficiary=beneficiary, author=actor, category=category,
        visibility=visibility, text=text.strip(), created_by=actor, updated_by=actor,
        author_role=author_role(roles))
    validate(note, exclude=["crt", "beneficiary", "author", "created_by", "updated_by"])
    note.save()
    LiaisonNoteRead.objects.create(note=note, user=actor)
    audit_log(actor=actor, action="note.added", obj=note, beneficiary=beneficiary,
              details={"catégorie": note.get_category_display()})
    return note


def notes_mark_read(*, user, notes) -> None:
    LiaisonNoteRead.objects.bulk_create(
        [LiaisonNoteRead(note=n, user=user) for n in notes], ignore_conflicts=True)


def _alert_recipients(beneficiary: Beneficiary):
    from maillage.beneficiaries.models import CareTeamMember
    from maillage.core.models import Membership
    from maillage.core.roles import Role

    members = CareTeamMember.objects.active().filter(beneficiary=beneficiary).select_related(
        "user", "professional__user")
    users = [m.user or (m.professional.user if m.professional else None) for m in members]
    coordinators = [m.user for m in Membership.objects.filter(
        crt=beneficiary.crt, is_active=True, roles__role=Role.COORDINATOR).select_related(
        "user")]
    from maillage.beneficiaries.access import users_with_access

    # Told only if they may read the alert now (consent withdrawn: no longer told).
    return users_with_access("liaison", beneficiary=beneficiary, users=users + coordinators)


@transaction.atomic
def alert_raise(*, actor, beneficiary: Beneficiary, kind: str, severity: str,
                description: str, assignee=None, vital_sign=None) -> Alert:
    from django.urls import reverse

    from maillage.core.notifications import notify

    if not description.strip():
        raise DomainError("Décrivez la situation.", field="description")
    if assignee is not None and not is_team_member(assignee, beneficiary.crt):
        raise DomainError("Cette personne n'est pas membre de l'équipe du CRT.",
                          field="assignee")
    alert = Alert(crt=beneficiary.crt, beneficiary=beneficiary, kind=kind, severity=severity,
                  description=description.strip(), raised_by=actor, assignee=assignee,
                  created_by=actor, updated_by=actor, vital_sign=vital_sign)
    validate(alert, exclude=["crt", "beneficiary", "raised_by", "assignee", "created_by",
                             "updated_by", "acknowledged_by", "resolved_by", "vital_sign"])
    alert.save()
    audit_log(actor=actor, action="alert.raised", obj=alert, beneficiary=beneficiary,
              details={"type": alert.get_kind_display(), "gravité": alert.get_severity_display()})
    timeline_add(beneficiary=beneficiary, kind="alert.raised", actor=actor,
                 title=f"Alerte : {alert.get_kind_display().lower()} "
                       f"({alert.get_severity_display().lower()})")
    notify(crt=beneficiary.crt, users=_alert_recipients(beneficiary), exclude=actor,
           text=f"Alerte {alert.get_severity_display().lower()} — "
                f"{alert.get_kind_display().lower()} : {beneficiary.display_name}",
           url=reverse("care:alerts", kwargs={"public_id": beneficiary.public_id}),
           beneficiary=beneficiary, face="liaison")
    return alert


@transaction.atomic
def alert_acknowledge(*, actor, alert: Alert, version: int) -> Alert:
    if alert.status != Alert.Status.OPEN:
        raise DomainError("Cette alerte est déjà prise en charge.", code="conflict")
    alert.status, alert.acknowledged_at, alert.acknowledged_by = (
        Alert.Status.ACKNOWLEDGED, timezone.now(), actor)
    if alert.assignee_id is None:
        alert.assignee = actor
    save_versioned(alert, actor=actor, version=version,
                   fields=["status", "acknowledged_at", "acknowledged_by", "assignee"])
    audit_log(actor=actor, action="alert.acknowledged", obj=alert,
              beneficiary=alert.beneficiary)
    return alert


@transaction.atomic
def alert_resolve(*, actor, alert: Alert, version: int, outcome: str) -> Alert:
    if alert.status == Alert.Status.RESOLVED:
        raise DomainError("Cette alerte est déjà résolue.", code="conflict")
    if not outcome.strip():
        raise DomainError("Indiquez les suites données.", field="outcome")
    alert.status, alert.resolved_at, alert.resolved_by = (
        Alert.Status.RESOLVED, timezone.now(), actor)
    alert.outcome = outcome.strip()
    if alert.acknowledged_at is None:
        alert.acknowledged_at, alert.acknowledged_by = alert.resolved_at, actor
    save_versioned(alert, actor=actor, version=version,
                   fields=["status", "resolved_at", "resolved_by", "outcome",
                           "acknowledged_at", "acknowledged_by"])
    audit_log(actor=actor, action="alert.resolved", obj=alert, beneficiary=alert.beneficiary)
    timeline_add(beneficiary=alert.beneficiary, kind="alert.resolved", actor=actor,
                 title=f"Alerte résolue : {alert.get_kind_display().lower()}")
    return alert


# --- Alerts raised by measures (telemonitoring, thresholds) --------------------------------
def alert_for_measure(*, sign, actor, alert_kind: str, severity: str,
                      description: str, **_) -> Alert | None:
    """Called by ``beneficiaries.vitals.check_alarm``: ONE alert per measure (a measure
    posted again raises none more), for the care team and the on-call screen."""
    if Alert.objects.filter(vital_sign=sign).exists():
        return None
    return alert_raise(actor=actor, beneficiary=sign.beneficiary, kind=alert_kind,
                       severity=severity, description=description, vital_sign=sign)


def _who(user) -> str:
    return user.get_full_name() or user.get_username()


def _latest_measure_alert(sign) -> Alert | None:
    """The measure's latest alert, locked until the end of the transaction: a member taking
    it in charge meanwhile is waited for, and then seen (their alert is left as it is)."""
    return (Alert.objects.select_for_update().filter(vital_sign=sign)
            .order_by("-created_at", "-id").first())


def _close_measure_alert(*, alert: Alert, actor, outcome: str) -> None:
    """Resolve an alert the team has not handled yet (still « ouverte »): one taken in
    charge or resolved by someone is theirs, and left as it is."""
    if alert is not None and alert.status == Alert.Status.OPEN:
        alert_resolve(actor=actor, alert=alert, version=alert.version, outcome=outcome)


def _with_reason(text: str, reason: str) -> str:
    reason = (reason or "").strip()
    return f"{text} : {reason}" if reason else f"{text}."


def alert_measure_corrected(*, sign, actor, alarm, was_alarming: bool, reason: str = "",
                            **_) -> None:
    """Called by ``beneficiaries.vitals.vital_sign_update`` once the corrected measure is
    saved, in its transaction. ``alarm``: ``vitals.alarm_for`` the corrected measure (kind,
    severity, description) or None; ``was_alarming``: whether the measure as it was called
    for one.

    Back into range: its alert still « ouverte » is resolved, the outcome saying who corrected
    it and why. Out of range: the alert is raised as recording the measure would have, unless
    the measure already has one unresolved, or it was already out of range (the alert it
    raised stands for it, whatever the team made of it); if that alert is still « ouverte »,
    it then reads the corrected value and its severity, saying who corrected it (no one has
    acted on the old value yet). An alert taken in charge or resolved by someone is never
    reopened nor changed."""
    alert = _latest_measure_alert(sign)
    if alarm is None:
        _close_measure_alert(alert=alert, actor=actor, outcome=_with_reason(
            f"Mesure corrigée par {_who(actor)}, désormais dans les seuils de la personne",
            reason))
        return
    alert_kind, severity, description = alarm
    if alert is None or (alert.status == Alert.Status.RESOLVED and not was_alarming):
        alert_raise(actor=actor, beneficiary=sign.beneficiary, kind=alert_kind,
                    severity=severity, description=description, vital_sign=sign)
    elif alert.status == Alert.Status.OPEN:
        corrected = f"{description} — mesure corrigée par {_who(actor)}"
        if (alert.description, alert.severity) != (corrected, severity):
            before = {"gravité": alert.get_severity_display()}
            alert.description, alert.severity = corrected, severity
            save_versioned(alert, actor=actor, version=alert.version,
                           fields=["description", "severity"])
            # The values are health data: the audit says what changed, not to what value.
            audit_log(actor=actor, action="alert.corrected", obj=alert,
                      beneficiary=alert.beneficiary,
                      details={**before, "gravité après": alert.get_severity_display()})


def alert_measure_retracted(*, sign, actor, reason: str = "", **_) -> None:
    """Called by ``beneficiaries.vitals.vital_sign_retract`` when a measure is retracted as a
    wrong entry: the alert it raised, if still « ouverte », is resolved with an outcome
    saying who retracted it and why (kept, not deleted). One taken in charge or resolved by
    someone is left as it is: they close it themselves."""
    _close_measure_alert(alert=_latest_measure_alert(sign), actor=actor, outcome=_with_reason(
        f"Mesure retirée (saisie erronée) par {_who(actor)}", reason))
