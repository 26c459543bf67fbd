"""Volet 1 rows written directly (the services are tested on their own)."""

from datetime import datetime, time, timedelta

from django.utils import timezone

from maillage.outreach.models import Attendee, Participation, Session, SupportAction
from maillage.territory.tests.factories import CommuneFactory, ProfessionalFactory


def at(days: int, hour: int = 14) -> datetime:
    """``days`` from today at ``hour`` (local time)."""
    day = timezone.localdate() + timedelta(days=days)
    return timezone.make_aware(datetime.combine(day, time(hour)))


def action(crt, **fields) -> SupportAction:
    fields.setdefault("title", "Atelier équilibre")
    fields.setdefault("field", "care_prevention")
    fields.setdefault("for_older_people", True)
    if not fields.get("is_remote"):
        fields.setdefault("commune", CommuneFactory(crt=crt))
    return SupportAction.objects.create(crt=crt, **fields)


def session(crt, action_=None, *, days: int = 7, partner_user=None, **fields) -> Session:
    """A session in ``days`` days; facilitated by the partner of ``partner_user`` when given
    (a directory professional linked to that account)."""
    action_ = action_ or action(crt)
    fields.setdefault("starts_at", at(days))
    fields.setdefault("ends_at", fields["starts_at"] + timedelta(hours=2))
    fields.setdefault("commune", action_.commune)
    s = Session.objects.create(crt=crt, action=action_, **fields)
    if partner_user is not None:
        s.partner_facilitators.add(ProfessionalFactory(crt=crt, user=partner_user))
    return s


def attendee(crt, kind=Attendee.Kind.OLDER_PERSON, **fields) -> Attendee:
    fields.setdefault("last_name", "Lemaire")
    fields.setdefault("first_name", "Odette")
    if kind == Attendee.Kind.PROFESSIONAL:
        fields.setdefault("organization_name", "ADMR du Segréen")
        fields.setdefault("employer_type", Attendee.EmployerType.HOME_CARE)
    return Attendee.objects.create(crt=crt, kind=kind, **fields)


def participation(session_, attendee_=None, beneficiary=None, **fields) -> Participation:
    if beneficiary is None and attendee_ is None:
        attendee_ = attendee(session_.crt)
    kind = attendee_.kind if attendee_ is not None else Attendee.Kind.OLDER_PERSON
    return Participation.objects.create(crt=session_.crt, session=session_, kind=kind,
                                        attendee=attendee_, beneficiary=beneficiary, **fields)
