"""The territory's indicators for the engine of ``maillage.core.indicators`` (INDICATORS §2):
T-04, the agreements with the other actors of the sector, and T-05, the territory covered."""

from datetime import timedelta

from django.db.models import (
    Case,
    CharField,
    Count,
    Exists,
    OuterRef,
    Q,
    QuerySet,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Substr

from maillage.core.indicators import Breakdown, Extra, Indicator, Period

from .access import agreements_visible, listed_communes
from .models import Agreement, Commune, Organization
from .selectors import REMINDER_DAYS, agreements_in_force_during

ENDED, TO_RENEW, IN_FORCE = "ended", "to_renew", "in_force"


def _state_at_end(period: Period) -> Case:
    """Where each agreement stands on the last day of the period: ended (expired, terminated
    or past its end without tacit renewal), to renew (its end within the 90 days after,
    without tacit renewal: the reminders' horizon) or in force."""
    end, horizon = period.end, period.end + timedelta(days=REMINDER_DAYS[0])
    ended = (Q(terminated_on__lte=end)
             | Q(status__in=[Agreement.Status.EXPIRED, Agreement.Status.TERMINATED],
                 ends_on__lte=end)
             | Q(ends_on__lt=end, tacit_renewal=False))
    return Case(
        When(ended, then=Value(ENDED)),
        When(Q(ends_on__lte=horizon, tacit_renewal=False), then=Value(TO_RENEW)),
        default=Value(IN_FORCE))


T_04 = Indicator(
    code="T-04",
    name="Nombre de conventions passées avec d'autres acteurs de la filière",
    definition=(
        "Conventions signées en vigueur au moins un jour de la période : commencées au plus "
        "tard le dernier jour, ni échues ni résiliées avant le premier (une convention à "
        "reconduction tacite continue). Ventilées par objet, par type de structure "
        "partenaire (une convention peut lier plusieurs structures) et selon leur état au "
        "dernier jour de la période. Règle Maillage : « à renouveler » = échéance dans les "
        "90 jours qui suivent, sans reconduction tacite (l'horizon des rappels)."
    ),
    unit="conventions",
    people=False,
    population=lambda crt, period: agreements_in_force_during(
        crt=crt, start=period.start, end=period.end),
    visible=agreements_visible,
    breakdowns=(
        Breakdown("subject", "Objet", lambda p: "subject", labels=dict(Agreement.Subject.choices)),
        Breakdown("partner_type", "Type de structure partenaire",
                  lambda p: "organizations__kind", labels=dict(Organization.Kind.choices),
                  exclusive=False),
        Breakdown("state", "État à la fin de la période", _state_at_end,
                  labels={IN_FORCE: "En vigueur", TO_RENEW: "À renouveler (sous 90 jours)",
                          ENDED: "Échue ou résiliée"}),
    ),
)


# --- T-05 territory --------------------------------------------------------------------------


def covered_communes(crt, period: Period) -> QuerySet[Commune]:
    """The communes the CRT covers, for volet 1 or volet 2 (today's coverage)."""
    return Commune.objects.filter(Q(covers_volet1=True) | Q(covers_volet2=True), crt=crt)


def _volet_rows(period: Period) -> dict[str, Q]:
    return {"volet1": Q(covers_volet1=True), "volet2": Q(covers_volet2=True)}


def _territory_extras(*, crt, period: Period, population) -> list[Extra]:
    from maillage.admissions.indicators import file_active_people, stays

    limit = crt.max_travel_minutes
    communes = population.order_by().aggregate(
        v1=Count("pk", filter=Q(covers_volet1=True)),
        v2=Count("pk", filter=Q(covers_volet2=True)),
        v2_far=Count("pk", filter=Q(covers_volet2=True, travel_minutes__gt=limit)),
        v1_pop=Sum("population", filter=Q(covers_volet1=True)),
        v2_pop=Sum("population", filter=Q(covers_volet2=True)))
    people = file_active_people(crt, period)
    derogation = stays(period).filter(crt=crt, beneficiary=OuterRef("pk"),
                                      referral__eligibility_override__gt="")
    figures = people.order_by().aggregate(
        far=Count("pk", filter=Q(commune__travel_minutes__gt=limit)),
        far_derogation=Count("pk", filter=Q(commune__travel_minutes__gt=limit)
                             & Q(Exists(derogation))),
        outside=Count("pk", filter=Q(commune__isnull=True) | Q(commune__covers_volet2=False)))
    return [
        Extra("Communes du volet 1", communes["v1"], "communes"),
        Extra("Communes du volet 2", communes["v2"], "communes"),
        Extra(f"Communes du volet 2 au-delà du trajet maximal ({limit} min)",
              communes["v2_far"], "communes"),
        Extra("Population municipale des communes du volet 1 (INSEE, si renseignée)",
              communes["v1_pop"] or 0, "habitants"),
        Extra("Population municipale des communes du volet 2 (INSEE, si renseignée)",
              communes["v2_pop"] or 0, "habitants"),
        Extra(f"Personnes de la file active vivant au-delà du trajet maximal ({limit} min)",
              figures["far"], "personnes"),
        Extra("dont admises avec une dérogation justifiée", figures["far_derogation"],
              "personnes"),
        Extra("Personnes de la file active hors des communes du volet 2", figures["outside"],
              "personnes"),
    ]


def _travel_band(period: Period):
    return Case(When(travel_minutes__lte=15, then=Value("le15")),
                When(travel_minutes__lte=30, then=Value("le30")),
                When(travel_minutes__lte=45, then=Value("le45")),
                default=Value("gt45"), output_field=CharField())


T_05 = Indicator(
    code="T-05",
    name="Territoire d'intervention",
    definition=(
        "Communes couvertes par le CRT, pour le volet 1 ou le volet 2 (une commune couverte "
        "par les deux compte dans chaque volet), par département (les deux premiers "
        "caractères du code INSEE) et par temps de trajet depuis le site. À côté : le nombre "
        "de communes de chaque volet, celles du volet 2 au-delà du trajet maximal du CRT, la "
        "population municipale couverte, et les personnes de la file active de la période "
        "(V2-01a) qui vivent au-delà du trajet maximal (dont celles admises avec une "
        "dérogation justifiée) ou hors des communes du volet 2. La couverture et la commune "
        "d'une personne sont les valeurs actuelles (Maillage n'en garde pas l'historique) ; "
        "l'EPCI n'est pas enregistré."
    ),
    unit="communes",
    population=covered_communes,
    visible=listed_communes,
    breakdowns=(
        Breakdown("volet", "Volet", None, conditions=_volet_rows, exclusive=False,
                  labels={"volet1": "Volet 1", "volet2": "Volet 2"}),
        Breakdown("department", "Département", lambda p: Substr("insee_code", 1, 2)),
        Breakdown("travel", "Temps de trajet depuis le site", _travel_band,
                  labels={"le15": "15 min ou moins", "le30": "16 à 30 min",
                          "le45": "31 à 45 min", "gt45": "Plus de 45 min"}),
    ),
    extras=_territory_extras,
)

INDICATORS = [T_04, T_05]
