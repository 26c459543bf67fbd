"""The CRT's own organisation's indicators for the engine of ``maillage.core.indicators``
(INDICATORS §2): T-02, the team's composition (FTE and qualifications)."""

from decimal import Decimal

from django.db.models import DateField, DecimalField, ExpressionWrapper, F, Q, QuerySet, Sum, Value
from django.db.models.functions import Coalesce, Greatest, Least

from maillage.core.indicators import Breakdown, DaysBetween, Extra, Indicator, Period, quantize

from .access import positions_visible
from .models import Position


def held_positions(crt, period: Period) -> QuerySet[Position]:
    """Positions with a holder, in post on at least one day of the period."""
    return Position.objects.filter(crt=crt, holder__isnull=False, starts_on__lte=period.end) \
        .filter(Q(ends_on__isnull=True) | Q(ends_on__gte=period.start))


def _days_in_post(period: Period) -> DaysBetween:
    start = Value(period.start, output_field=DateField())
    end = Value(period.end, output_field=DateField())
    return DaysBetween(Greatest("starts_on", start), Least(Coalesce("ends_on", end), end)) + 1


def _fte_over(population, field: str, period: Period) -> Decimal:
    """Σ ``field`` × days in post ÷ days of the period (one aggregate)."""
    weighted = ExpressionWrapper(F(field) * _days_in_post(period),
                                 output_field=DecimalField(max_digits=12, decimal_places=2))
    total = population.order_by().aggregate(total=Sum(weighted))["total"] or 0
    return quantize(Decimal(str(total)) / period.days)


def dedicated_fte(*, crt, period: Period, count: int) -> Decimal:
    return _fte_over(held_positions(crt, period), "fte", period)


def _split(*, crt, period: Period, population) -> list[Extra]:
    made_available = population.filter(employment=Position.Employment.MADE_AVAILABLE)
    vacant = Position.objects.filter(crt=crt, holder__isnull=True, starts_on__lte=period.end) \
        .filter(Q(ends_on__isnull=True) | Q(ends_on__gte=period.start))
    return [
        Extra("dont volet 1", _fte_over(population, "fte_volet1", period), "ETP"),
        Extra("dont volet 2", _fte_over(population, "fte_volet2", period), "ETP"),
        Extra("dont coordination", _fte_over(population, "fte_coordination", period), "ETP"),
        Extra("dont mis à disposition par un partenaire",
              _fte_over(made_available, "fte", period), "ETP"),
        Extra("Postes vacants (ETP, au prorata des jours)", _fte_over(vacant, "fte", period),
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

INDICATORS = [T_02]
