"""The temporary rooms' indicator for the engine of ``maillage.core.indicators``
(INDICATORS §2.3): V2-17, the emergency room and temporary places — stays, occupancy, length.

The nights a stay takes are those of ``occupancy.py`` (a half-open interval from the arrival
day to the departure day; a same-day stay counts one night; a stay going on runs to its
planned departure or to tonight; a planned stay counts from today on; a cancelled one not at
all), written here as database expressions so that every figure is an aggregate.
"""

from datetime import timedelta

from django.db.models import (
    Avg,
    Case,
    CharField,
    Count,
    DateField,
    F,
    Max,
    Q,
    QuerySet,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Coalesce, Greatest, Least
from django.db.models.lookups import GreaterThan

from maillage.core.indicators import (
    Breakdown,
    DaysBetween,
    Extra,
    Indicator,
    Period,
    quantize,
    today,
)

from .access import stays_visible
from .models import Room, Stay
from .selectors import settings_for


def _date(day) -> Value:
    return Value(day, output_field=DateField())


def _first_night(day):
    """The first night a stay takes (counted from ``day``, today, for a planned stay)."""
    return Case(When(status=Stay.Status.PLANNED, then=Greatest("planned_start", _date(day))),
                default=Coalesce("actual_start", "planned_start"), output_field=DateField())


def _after_last_night(day):
    """The morning after the last night (the departure day)."""
    return Case(
        When(status=Stay.Status.ENDED, then=F("actual_end")),
        When(status=Stay.Status.IN_PROGRESS,
             then=Greatest("planned_end", _date(day + timedelta(days=1)))),
        default=F("planned_end"), output_field=DateField())


def stays_taken(crt, period: Period) -> QuerySet[Stay]:
    """Stays that took the room at least one night of the period, each with ``first`` and
    ``after`` (aliases: its first night and its departure day)."""
    now = today()
    return (Stay.objects.filter(crt=crt).exclude(status=Stay.Status.CANCELLED)
            .alias(first=_first_night(now), after=_after_last_night(now))
            .filter(first__lte=period.end)
            .filter(Q(after__gt=period.start) | Q(first__gte=period.start))
            .exclude(status=Stay.Status.PLANNED, planned_end__lte=now))


def _nights_in(period: Period, first: str = "first", after: str = "after"):
    """Nights of the period a stay took (a same-day stay: one)."""
    return Greatest(DaysBetween(Greatest(first, _date(period.start)),
                                Least(after, _date(period.end + timedelta(days=1)))), 1)


def _length(first: str = "first", after: str = "after"):
    """The whole stay's nights (a same-day stay: one)."""
    return Greatest(DaysBetween(first, after), 1)


def _beyond_max():
    return Case(When(GreaterThan(_length(), F("room__max_stay_days")), then=Value("oui")),
                default=Value("non"), output_field=CharField())


def _rooms_of(crt, period: Period, population) -> QuerySet[Room]:
    """The places available in the period: the rooms available today, and those that are
    not any more but took a stay in the period."""
    return Room.objects.filter(Q(is_active=True) | Q(pk__in=population.values("room")),
                               crt=crt)


def _lodging_extras(*, crt, period: Period, population) -> list[Extra]:
    rooms = _rooms_of(crt, period, population)
    places = dict(rooms.order_by().values_list("kind").annotate(n=Count("pk")))
    max_stay = dict(rooms.order_by().values_list("kind").annotate(m=Max("max_stay_days")))
    # An aggregate cannot read an alias: the two dates again, as annotations.
    now = today()
    figures = population.order_by().annotate(
        _first=_first_night(now), _after=_after_last_night(now)).aggregate(
        nights=Sum(_nights_in(period, "_first", "_after")), mean=Avg(_length("_first", "_after")),
        people=Count("beneficiary", distinct=True),
        guests=Count("pk", filter=Q(beneficiary__isnull=True)), stays=Count("pk"))
    available = sum(places.values()) * period.days
    nights = figures["nights"] or 0
    # Places and settings are the CRT's own (not about people, INDICATORS §5 rule 6).
    extras = [Extra(f"Places : {label}", places.get(kind, 0), "places", people=False)
              for kind, label in Room.Kind.choices]
    extras += [
        Extra("Nuits occupées dans la période", nights, "nuits"),
        Extra("Nuits-places disponibles (places × jours de la période)", available, "nuits",
              people=False),
        Extra("Taux d'occupation", quantize(100 * nights / available, "0.1")
              if available else None, "%", over=available, part=nights),
        Extra("Bénéficiaires accueillis", figures["people"], "personnes"),
        Extra("Personnes accueillies non bénéficiaires (aidant indisponible…)",
              figures["guests"], "séjours"),
        Extra("Durée moyenne de séjour", None if figures["mean"] is None
              else quantize(figures["mean"], "0.1"), "nuits", over=figures["stays"]),
    ]
    extras += [Extra(f"Durée maximale de séjour en vigueur : {label}", max_stay[kind], "jours",
                     people=False)
               for kind, label in Room.Kind.choices if kind in max_stay]
    extras.append(Extra("Durée de conservation de la place (réglage du CRT)",
                        settings_for(crt=crt).place_kept_days, "jours", people=False))
    return extras


YES_NO = {"oui": "Oui", "non": "Non"}

V2_17 = Indicator(
    code="V2-17",
    name="Chambre d'urgence temporaire et places d'hébergement temporaire",
    definition=(
        "Séjours en chambre temporaire (chambre d'urgence du CRT, places d'hébergement "
        "temporaire HT et HTSH de partenaires) qui ont occupé la place au moins une nuit de "
        "la période : de l'arrivée au départ (jour d'arrivée compris, jour de départ exclu ; "
        "un séjour d'un jour compte une nuit) ; un séjour en cours court jusqu'à son départ "
        "prévu ou jusqu'à ce soir ; un séjour prévu compte à partir d'aujourd'hui ; un séjour "
        "annulé ne compte pas. Taux d'occupation : nuits occupées dans la période ÷ (places "
        "× jours de la période), les places étant les chambres disponibles aujourd'hui et "
        "celles qui ne le sont plus mais ont servi dans la période (Maillage ne garde pas "
        "l'historique de disponibilité d'une chambre). Durée moyenne : nuits du séjour "
        "entier. Dépassement : séjour plus long que la durée maximale de sa chambre. Pour les "
        "places de partenaires, seuls les séjours organisés par le CRT sont connus."
    ),
    unit="séjours",
    population=stays_taken,
    visible=stays_visible,
    breakdowns=(
        Breakdown("kind", "Type de place", lambda p: "room__kind",
                  labels=dict(Room.Kind.choices)),
        Breakdown("reason", "Motif", lambda p: "reason", labels=dict(Stay.Reason.choices)),
        Breakdown("person", "Personne accueillie", lambda p: Case(
            When(beneficiary__isnull=False, then=Value("beneficiary")),
            default=Value("guest"), output_field=CharField()),
            labels={"beneficiary": "Bénéficiaire du volet 2",
                    "guest": "Personne non bénéficiaire (aidant indisponible…)"}),
        Breakdown("beyond_max", "Au-delà de la durée maximale", lambda p: _beyond_max(),
                  labels=YES_NO),
    ),
    extras=_lodging_extras,
)

INDICATORS = [V2_17]
