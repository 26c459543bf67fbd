"""The indicators of volet 1 for the engine of ``maillage.core.indicators`` (INDICATORS §2):
T-01, the people in both volets."""

from django.db.models import F, QuerySet

from maillage.admissions.indicators import (
    file_active_people,
    file_active_people_visible,
    gir_on_reference_day,
    reference_day,
    stays,
)
from maillage.core.indicators import (
    AGE_BAND_LABELS,
    GIR_LABELS,
    Breakdown,
    Extra,
    Indicator,
    Period,
    age_band,
    quantize,
)

from .access import participations_visible
from .models import Field, Participation


def both_volets(crt, period: Period) -> QuerySet[Participation]:
    """Present participations, in a session of the period, of people of the volet 2 file
    active of the period (counted once per person), each with the person's reference day
    (``ref_day``, as in V2-08)."""
    return Participation.objects.filter(
        crt=crt, status=Participation.Status.PRESENT, beneficiary__isnull=False,
        beneficiary__in=file_active_people(crt, period).values("pk"),
        session__starts_at__date__gte=period.start, session__starts_at__date__lte=period.end,
    ).alias(ref_day=reference_day(period, "beneficiary"))


def _visible(*, crt, user, roles) -> QuerySet[Participation]:
    """Participations the viewer may see (volet 1 policy), of people they may see in the file
    active (volet 2 policies)."""
    return participations_visible(crt=crt, user=user, roles=roles).filter(
        beneficiary__in=file_active_people_visible(crt=crt, user=user, roles=roles))


def _share(*, crt, period: Period, population) -> list[Extra]:
    people = population.order_by().values("beneficiary").distinct().count()
    file_active = file_active_people(crt, period).count()
    share = quantize(100 * people / file_active, "0.1") if file_active else None
    return [Extra("Part de la file active de la période", share, "%")]


T_01 = Indicator(
    code="T-01",
    name="Personnes bénéficiant à la fois du volet 1 et du volet 2",
    definition=(
        "Personnes de la file active du volet 2 sur la période (V2-01a) présentes à au moins "
        "une séance du volet 1 qui a lieu dans la période (date de la séance, heure de "
        "Paris). Une personne venue à des séances de plusieurs axes figure dans chacun : les "
        "lignes de la ventilation par axe ne s'additionnent pas. Âge et GIR sont lus au jour "
        "de référence de la personne, comme pour V2-08. Aussi en part de la file active de "
        "la période."
    ),
    unit="personnes",
    population=both_volets,
    visible=_visible,
    counted="beneficiary",
    breakdowns=(
        Breakdown("v1_field", "Axe du volet 1", lambda p: "session__action__field",
                  labels=dict(Field.choices), exclusive=False),
        Breakdown("age_band", "Tranche d'âge",
                  lambda p: age_band(F("beneficiary__birth_date"), F("ref_day")),
                  labels=AGE_BAND_LABELS),
        Breakdown("gir", "GIR", lambda p: gir_on_reference_day(stays(p), "beneficiary"),
                  labels=GIR_LABELS),
    ),
    extras=_share,
)

INDICATORS = [T_01]
