"""Demo governance of CRT Anjou Bleu over the demo's history: an admission commission on the
first Tuesday of every month, two steering committees (COPIL, with users' representatives),
their decisions (the older ones done, a few open, some overdue), and what the commissions
examined: the demo's admissions, refused and redirected requests and team opinions linked to
the commission that decided or gave them (the last one held on or before the admission, the
decision or the opinion, within a month). Run after the admissions' history (INSTALLED_APPS
order)."""

from datetime import date, timedelta
from random import Random

from django.utils import timezone

from maillage.admissions.models import AdmissionStep, Enrolment, Referral
from maillage.core.demo import DemoContext
from maillage.core.models import Membership
from maillage.core.roles import Role
from maillage.territory.models import Professional

from . import services
from .models import Meeting

COPIL_AGENDA = ("1. Bilan d'activité du volet 1 et du volet 2\n2. Conventions avec les "
                "partenaires\n3. Questions des représentants des usagers")
COMMISSION_AGENDA = "Examen des demandes en liste d'attente et des évaluations réalisées."
REPRESENTATIVES = [
    {"name": "Jeanne Roux", "quality": "représentante des usagers (CDCA)"},
    {"name": "Marcel Biotteau", "quality": "représentant des familles"},
    {"name": "Odile Gasnier", "quality": "élue, CCAS de Segré-en-Anjou Bleu"},
]
# (text, owner role, due (days after the meeting), done (days after the meeting) or None)
COPIL_DECISIONS = [
    [("Présenter le bilan du premier trimestre à l'ARS", Role.DIRECTION, 30, 21),
     ("Signer la convention avec le SSIAD du Segréen", Role.COORDINATOR, 45, 38),
     ("Lancer les ateliers de prévention des chutes", Role.ACTIVITY_LEADER, 60, 55)],
    [("Renouveler la convention avec le DAC avant son échéance", Role.COORDINATOR, 60, None),
     ("Proposer une convention d'intervention quotidienne au SAD du Haut-Anjou",
      Role.COORDINATOR, 20, None),
     ("Recruter l'aide-soignant·e du poste vacant", Role.DIRECTION, 120, None),
     ("Diffuser le questionnaire de satisfaction annuel", Role.ADMIN_STAFF, 30, 25)],
]


def _first_tuesday(year: int, month: int) -> date:
    day = date(year, month, 1)
    return day + timedelta(days=(1 - day.weekday()) % 7)


def load(ctx: DemoContext) -> None:
    crt = ctx.crts["anjou_bleu"]
    rng = Random(f"organisation-history-{ctx.scale}")
    by_role: dict[str, list] = {}
    for m in (Membership.objects.filter(crt=crt, is_active=True).select_related("user")
              .prefetch_related("roles").order_by("user__username")):
        for r in m.roles.all():
            by_role.setdefault(r.role, []).append(m.user)
    coordinator, direction = by_role[Role.COORDINATOR][0], by_role[Role.DIRECTION][0]
    pros = list(Professional.objects.filter(crt=crt, organization__isnull=False)
                .select_related("organization").order_by("pk"))
    dac_ssiad = [p for p in pros if p.organization.kind in {"dac", "ssiad"}][:2]
    commission_team = [coordinator, by_role[Role.DOCTOR][0], by_role[Role.NURSE][0],
                       by_role[Role.PSYCHOLOGIST][0]]

    start = ctx.history_start
    commissions = []
    year, month = start.year, start.month
    while True:
        held_on = _first_tuesday(year, month)
        if held_on > ctx.today:
            break
        if held_on >= start:
            with ctx.at(held_on):
                commissions.append(services.meeting_create(
                    actor=coordinator, crt=crt, kind=Meeting.Kind.ADMISSION_COMMISSION,
                    held_on=held_on, place="Salle de réunion du CRT", agenda=COMMISSION_AGENDA,
                    representatives=[], team_participants=commission_team,
                    partner_participants=dac_ssiad))
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    # The commission's follow-up: the older ones done, the last two open (one overdue).
    nurse = by_role[Role.NURSE][0]
    for index, meeting in enumerate(commissions):
        last = index >= len(commissions) - 2
        due = meeting.held_on + timedelta(days=14)
        with ctx.at(meeting.held_on):
            decision = services.decision_add(
                actor=coordinator, meeting=meeting,
                text="Programmer les visites d'évaluation des nouvelles demandes",
                owner=nurse, due_on=due)
        if not last and due <= ctx.today:
            done_on = meeting.held_on + timedelta(days=rng.randint(5, 13))
            with ctx.at(done_on):
                services.decision_done(actor=nurse, decision=decision,
                                       version=decision.version, done_on=done_on,
                                       done_note="Visites programmées")

    # Two steering committees: a quarter after the opening, and six weeks ago.
    copil_dates = [crt.opened_on + timedelta(days=100), ctx.today - timedelta(days=42)]
    for held_on, decisions in zip(copil_dates, COPIL_DECISIONS, strict=True):
        held_on = held_on - timedelta(days=(held_on.weekday() - 3) % 7)  # a Thursday
        with ctx.at(held_on):
            meeting = services.meeting_create(
                actor=direction, crt=crt, kind=Meeting.Kind.COPIL, held_on=held_on,
                place="EHPAD de Segré-en-Anjou Bleu, salle du conseil",
                agenda=COPIL_AGENDA, representatives=REPRESENTATIVES,
                team_participants=[direction, coordinator, by_role[Role.DOCTOR][0],
                                   by_role[Role.ACTIVITY_LEADER][0]],
                partner_participants=pros[:4])
        for text, role, due, done in decisions:
            owner = by_role[role][0]
            with ctx.at(held_on):
                decision = services.decision_add(actor=direction, meeting=meeting, text=text,
                                                 owner=owner,
                                                 due_on=held_on + timedelta(days=due))
            if done is not None and held_on + timedelta(days=done) <= ctx.today:
                done_on = held_on + timedelta(days=done)
                with ctx.at(done_on):
                    services.decision_done(actor=owner, decision=decision,
                                           version=decision.version, done_on=done_on)
    _link_examined(crt, commissions)


def _commission_of(commissions: list[Meeting], day, received) -> Meeting | None:
    """The last commission held on or before ``day``, within 31 days, and not before the
    request came in (``received``, a moment): the demo's dates are not the commissions' own."""
    since = timezone.localdate(received)
    held = [m for m in commissions
            if since <= m.held_on <= day <= m.held_on + timedelta(days=31)]
    return held[-1] if held else None


def _link(model, field: str, rows, commissions: list[Meeting]) -> None:
    """``field`` of each ``(pk, day, received)`` row set to the commission of that day (the
    request received at ``received``), one UPDATE per commission (a link only: the rows'
    dates and versions are left as they are)."""
    groups: dict[int, list[int]] = {}
    for pk, day, received in rows:
        if (commission := _commission_of(commissions, day, received)) is not None:
            groups.setdefault(commission.pk, []).append(pk)
    for meeting_pk, pks in groups.items():
        model.objects.filter(pk__in=pks).update(**{f"{field}_id": meeting_pk})


def _link_examined(crt, commissions: list[Meeting]) -> None:
    """What the commissions examined: each admission decided after a referral; the requests
    refused or redirected (by the day of the decision); the team opinions (by their day), on
    the requests admitted since and on those still waiting."""
    _link(Enrolment, "admission_meeting", Enrolment.objects.filter(
        crt=crt, referral__isnull=False).values_list(
        "pk", "admitted_on", "referral__received_at"), commissions)
    refused = Referral.objects.filter(
        crt=crt, status__in=[Referral.Status.DECLINED, Referral.Status.REDIRECTED],
        decided_at__isnull=False).values_list("pk", "decided_at", "received_at")
    _link(Referral, "decision_meeting",
          [(pk, timezone.localdate(at), received) for pk, at, received in refused],
          commissions)
    _link(AdmissionStep, "meeting", AdmissionStep.objects.filter(
        crt=crt, kind=AdmissionStep.Kind.TEAM_OPINION).values_list(
        "pk", "done_on", "referral__received_at"), commissions)


def summary(ctx: DemoContext) -> str:
    crts = ctx.crts.values()
    meetings = Meeting.objects.filter(crt__in=crts)
    linked = Enrolment.objects.filter(crt__in=crts, admission_meeting__isnull=False).count()
    reviewed = Referral.objects.filter(crt__in=crts, decision_meeting__isnull=False).count()
    opinions = AdmissionStep.objects.filter(crt__in=crts, meeting__isnull=False).count()
    return (f"Gouvernance… {meetings.filter(kind='copil').count()} COPIL, "
            f"{meetings.filter(kind='admission_commission').count()} commissions d'admission, "
            f"{linked} admissions, {reviewed} refus ou réorientations et {opinions} avis "
            "reliés à leur commission")
