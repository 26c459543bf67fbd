"""The CRT's own organisation's indicators for the engine of ``maillage.core.indicators``
(INDICATORS §2): T-02, the team's composition (FTE and qualifications), and T-03, the
partners active in the period and the governance held with them."""

from decimal import Decimal

from django.db.models import (
    Avg,
    Count,
    DateField,
    DecimalField,
    Exists,
    ExpressionWrapper,
    F,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
)
from django.db.models.functions import Coalesce, Greatest, Least

from maillage.core.indicators import Breakdown, DaysBetween, Extra, Indicator, Period, quantize
from maillage.territory.access import organizations_visible
from maillage.territory.models import Organization

from .access import positions_visible
from .models import Meeting, Position
from .selectors import meetings_held


def held_positions(crt, period: Period) -> QuerySet[Position]:
    """Positions with a holder, in post on at least one day of the period."""
    return Position.objects.filter(crt=crt, holder__isnull=False, starts_on__lte=period.end) \
        .filter(Q(ends_on__isnull=True) | Q(ends_on__gte=period.start))


def _days_in_post(period: Period) -> DaysBetween:
    start = Value(period.start, output_field=DateField())
    end = Value(period.end, output_field=DateField())
    return DaysBetween(Greatest("starts_on", start), Least(Coalesce("ends_on", end), end)) + 1


def fte_over(population, field: str, period: Period) -> Decimal:
    """Σ ``field`` × days in post ÷ days of the period (one aggregate)."""
    weighted = ExpressionWrapper(F(field) * _days_in_post(period),
                                 output_field=DecimalField(max_digits=12, decimal_places=2))
    total = population.order_by().aggregate(total=Sum(weighted))["total"] or 0
    return quantize(Decimal(str(total)) / period.days)


def dedicated_fte(*, crt, period: Period, count: int) -> Decimal:
    return fte_over(held_positions(crt, period), "fte", period)


def _split(*, crt, period: Period, population) -> list[Extra]:
    made_available = population.filter(employment=Position.Employment.MADE_AVAILABLE)
    vacant = Position.objects.filter(crt=crt, holder__isnull=True, starts_on__lte=period.end) \
        .filter(Q(ends_on__isnull=True) | Q(ends_on__gte=period.start))
    return [
        Extra("dont volet 1", fte_over(population, "fte_volet1", period), "ETP"),
        Extra("dont volet 2", fte_over(population, "fte_volet2", period), "ETP"),
        Extra("dont coordination", fte_over(population, "fte_coordination", period), "ETP"),
        Extra("dont mis à disposition par un partenaire",
              fte_over(made_available, "fte", period), "ETP"),
        Extra("Postes vacants (ETP, au prorata des jours)", fte_over(vacant, "fte", period),
              "ETP"),
    ]


T_02 = Indicator(
    code="T-02",
    name="Composition de l'équipe du CRT (ETP et qualifications)",
    definition=(
        "ETP consacrés au CRT sur la période : pour chaque poste pourvu, l'ETP dédié au CRT "
        "multiplié par les jours en poste dans la période et divisé par le nombre de jours de "
        "la période, additionnés ; répartis en volet 1, volet 2 et coordination, les "
        "personnels mis à disposition par un partenaire à part. La ventilation compte les "
        "postes par profession et par statut. Règle Maillage : un poste est pourvu ou vacant "
        "selon son titulaire actuel (l'historique des titulaires n'est pas tenu)."
    ),
    unit="ETP",
    people=False,
    population=held_positions,
    visible=positions_visible,
    breakdowns=(
        Breakdown("profession", "Profession (postes)", lambda p: "profession",
                  labels=dict(Position.Profession.choices)),
        Breakdown("employment", "Statut (postes)", lambda p: "employment",
                  labels=dict(Position.Employment.choices)),
    ),
    compute=dedicated_fte,
    extras=_split,
)



# --- T-03 partners and governance ------------------------------------------------------------

ACTIVITY_LABELS = {
    "care_team": "Membre d'un cercle de soins",
    "agreement": "Convention en vigueur",
    "referral": "Orientation d'une demande d'admission",
    "volet1": "Partenaire d'une action du volet 1 (séance tenue)",
    "provider": "Prestataire d'une prestation au panier",
    "oncall": "Porteur du dispositif IDE de nuit",
}


def _activity(period: Period) -> dict[str, Exists]:
    """Each way a partner organisation is active in the period, as a condition on it."""
    from maillage.admissions.models import Referral
    from maillage.beneficiaries.models import CareTeamMember
    from maillage.care.indicators import in_force
    from maillage.care.models import BasketItem
    from maillage.oncall.models import Arrangement
    from maillage.outreach.models import Session
    from maillage.territory.selectors import agreements_in_force_during

    org = OuterRef("pk")
    return {
        "care_team": Exists(CareTeamMember.objects.filter(
            in_force(period), professional__organization=org)),
        "agreement": Exists(agreements_in_force_during(
            crt=OuterRef("crt"), start=period.start, end=period.end).filter(
            organizations=org)),
        "referral": Exists(Referral.objects.filter(
            period.instants("received_at"), referrer_organization=org)),
        "volet1": Exists(Session.objects.filter(
            period.instants("starts_at"), action__partners=org,
            status=Session.Status.HELD)),
        "provider": Exists(BasketItem.objects.filter(in_force(period), service__provider=org)),
        "oncall": Exists(Arrangement.objects.filter(in_force(period), partner=org)),
    }


def active_partners(crt, period: Period) -> QuerySet[Organization]:
    any_activity = Q()
    for condition in _activity(period).values():
        any_activity |= Q(condition)
    return Organization.objects.filter(crt=crt).filter(any_activity)


def _governance(*, crt, period: Period, population) -> list[Extra]:
    """Meetings held in the period per body, their mean attendance (team members and partner
    professionals, plus the representatives typed), and the steering committees with users'
    representatives: one grouped aggregate."""
    team = Meeting.team_participants.through.objects.filter(meeting=OuterRef("pk")) \
        .order_by().values("meeting").annotate(n=Count("pk")).values("n")
    partners = Meeting.partner_participants.through.objects.filter(meeting=OuterRef("pk")) \
        .order_by().values("meeting").annotate(n=Count("pk")).values("n")
    present = (Coalesce(Subquery(team, output_field=IntegerField()), Value(0))
               + Coalesce(Subquery(partners, output_field=IntegerField()), Value(0)))
    rows = {row["kind"]: row for row in (
        meetings_held(crt=crt, start=period.start, end=period.end)
        .order_by().annotate(present=present).values("kind")
        .annotate(n=Count("pk"), mean=Avg("present"),
                  with_users=Count("pk", filter=~Q(representatives=[])))
        .order_by())}
    # Meetings are the CRT's own organisation (INDICATORS §5 rule 6), not people: a count of
    # 1 to 4 meetings is shown as it is.
    extras = []
    for kind, label in Meeting.Kind.choices:
        row = rows.get(kind, {"n": 0, "mean": None, "with_users": 0})
        extras.append(Extra(f"Réunions tenues : {label}", row["n"], "réunions", people=False))
        extras.append(Extra(f"Participants de l'équipe et partenaires par réunion : {label}",
                            None if row["mean"] is None else quantize(row["mean"], "0.1"),
                            "participants"))
    extras.append(Extra("COPIL avec des représentants des usagers ou d'autres participants",
                        rows.get(Meeting.Kind.COPIL, {"with_users": 0})["with_users"],
                        "réunions", people=False))
    return extras


T_03 = Indicator(
    code="T-03",
    name="Liste des partenaires du CRT et gouvernance mise en place avec eux",
    definition=(
        "Structures partenaires de l'annuaire actives dans la période : membre d'un cercle "
        "de soins en fonction au moins un jour de la période, partie à une convention en "
        "vigueur, orienteur d'une demande d'admission reçue dans la période, partenaire d'une "
        "action du volet 1 dont une séance s'est tenue dans la période, prestataire d'une "
        "prestation au panier en vigueur, ou porteur du dispositif IDE de nuit de "
        "l'astreinte ; par type et par commune (une structure compte dans chaque forme "
        "d'activité qu'elle a eue). Gouvernance : les réunions tenues dans la période par "
        "instance (COPIL, commission d'admission), leur participation moyenne (membres de "
        "l'équipe et professionnels partenaires enregistrés) et les COPIL où des "
        "représentants des usagers ou d'autres participants sont notés. Règle Maillage."
    ),
    unit="structures partenaires",
    # Partner organisations, not people (INDICATORS §5 rule 2 masks counts of people): the
    # CRT's own network, shown as it is outside the CRT, its communes never grouped « of 1 to
    # 4 people » (rule 5).
    people=False,
    population=active_partners,
    visible=organizations_visible,
    breakdowns=(
        Breakdown("partner_type", "Type de structure", lambda p: "kind",
                  labels=dict(Organization.Kind.choices)),
        Breakdown("activity", "Activité avec le CRT", None, conditions=_activity,
                  labels=ACTIVITY_LABELS, exclusive=False),
        Breakdown("commune", "Commune", lambda p: "commune__name",
                  missing="Commune non renseignée"),
    ),
    extras=_governance,
)

INDICATORS = [T_02, T_03]
