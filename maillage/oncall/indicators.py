"""The on-call service's indicators for the engine of ``maillage.core.indicators``
(INDICATORS §2): V2-10, the on-call organisation over a past period (turns of the rota,
hours with nobody to answer or to travel, hours per qualification), and V2-11, the activity
of the on-call nursing service."""

from datetime import datetime, time, timedelta
from decimal import Decimal

from django.db.models import (
    Case,
    CharField,
    Count,
    DateTimeField,
    DurationField,
    Exists,
    ExpressionWrapper,
    F,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Coalesce, Concat, Greatest, Least
from django.utils import timezone

from maillage.admissions.indicators import forfait_months
from maillage.core.indicators import Breakdown, Extra, Indicator, Period, quantiles, quantize
from maillage.organisation.models import Position
from maillage.territory.models import Professional

from .access import calls_visible, shifts_visible
from .models import Arrangement, Call, Shift


def _calls(crt, period: Period) -> QuerySet[Call]:
    return Call.objects.filter(period.instants("received_at"), crt=crt)


def _activity(*, crt, period: Period, population) -> list[Extra]:
    """Call-outs, their outcome at home, escalations (one aggregate), and the calls per 100
    mois-forfait of the period."""
    figures = population.order_by().aggregate(
        call_outs=Count("pk", filter=Q(call_out=True), distinct=True),
        stayed_home=Count("pk", filter=Q(call_out=True, outcome=Call.Outcome.STAYED_HOME),
                          distinct=True),
        hospitalised=Count("pk", filter=Q(outcome=Call.Outcome.HOSPITALISED), distinct=True),
        escalated=Count("pk", filter=Q(escalations__isnull=False), distinct=True),
        calls=Count("pk", distinct=True))
    months = forfait_months(crt, period).count()
    per_100 = quantize(100 * figures["calls"] / months, "0.1") if months else None
    return [
        # The calls without a call-out are the « Non » row of the « Déplacement » breakdown:
        # outside the CRT, hidden there when 1 to 4, so here too (INDICATORS §5 rule 3).
        Extra("Déplacements (levées de doute)", figures["call_outs"], "appels",
              over=figures["calls"], part=figures["call_outs"]),
        Extra("dont maintien à domicile après le déplacement", figures["stayed_home"],
              "appels"),
        Extra("Hospitalisations", figures["hospitalised"], "appels"),
        Extra("Appels avec un recours (médecin, 15, 18…)", figures["escalated"], "appels"),
        Extra("Appels pour 100 mois-forfait", per_100, "appels"),
    ]


# --- V2-11's delays --------------------------------------------------------------------------


def _minutes(delta) -> Decimal | None:
    return None if delta is None else quantize(delta.total_seconds() / 60, "0.1")


def _delays(*, crt, period: Period, population) -> list[Extra]:
    """Median delays from the call to the answer and, for call-outs, to the arrival at the
    home, by the database (``quantiles``)."""
    answer = ExpressionWrapper(F("answered_at") - F("received_at"), output_field=DurationField())
    arrival = ExpressionWrapper(F("arrived_at") - F("received_at"),
                                output_field=DurationField())
    answered = population.filter(answered_at__isnull=False)
    arrived = population.filter(call_out=True, arrived_at__isnull=False)
    # How many calls each median is over (INDICATORS §5 rule 4 outside the CRT).
    n = population.order_by().aggregate(
        answered=Count("pk", filter=Q(answered_at__isnull=False)),
        arrived=Count("pk", filter=Q(call_out=True, arrived_at__isnull=False)))
    return [
        Extra("Délai médian de réponse", _minutes(quantiles(answered, answer, (0.5,))[0]),
              "minutes", over=n["answered"]),
        Extra("Délai médian d'arrivée au domicile (déplacements)",
              _minutes(quantiles(arrived, arrival, (0.5,))[0]), "minutes",
              over=n["arrived"]),
    ]


def _activity_and_delays(*, crt, period: Period, population) -> list[Extra]:
    return _activity(crt=crt, period=period, population=population) + _delays(
        crt=crt, period=period, population=population)


V2_11 = Indicator(
    code="V2-11",
    name="Activité de l'astreinte soignante",
    definition=(
        "Appels reçus par l'astreinte dans la période (date de réception, heure de Paris), "
        "par origine, motif et issue ; les déplacements (levées de doute), les maintiens à "
        "domicile qui les suivent, les hospitalisations et les appels avec un recours "
        "(médecin, 15, 18), et les appels pour 100 mois-forfait de la période (V2-01c). Les "
        "délais médians de réponse (du reçu au décroché) et d'arrivée au domicile (du "
        "reçu à l'arrivée, pour les déplacements), calculés par la base."
    ),
    unit="appels",
    population=_calls,
    visible=calls_visible,
    breakdowns=(
        Breakdown("source", "Appel de", lambda p: "source", labels=dict(Call.Source.choices)),
        Breakdown("reason", "Motif", lambda p: "reason", labels=dict(Call.Reason.choices)),
        Breakdown("outcome", "Issue", lambda p: "outcome", labels=dict(Call.Outcome.choices),
                  missing="Appel en cours ou sans issue notée"),
        Breakdown("call_out", "Déplacement", lambda p: "call_out",
                  labels={True: "Oui", False: "Non"}),
    ),
    extras=_activity_and_delays,
)



# --- V2-10 the on-call organisation over a past period ---------------------------------------


def _bounds(period: Period) -> tuple[datetime, datetime]:
    """The period as instants: from midnight of its first day to midnight after its last
    (Paris time)."""
    return (timezone.make_aware(datetime.combine(period.start, time.min)),
            timezone.make_aware(datetime.combine(period.end + timedelta(days=1), time.min)))


def shifts_during(crt, period: Period) -> QuerySet[Shift]:
    start, end = _bounds(period)
    return Shift.objects.filter(crt=crt, starts_at__lt=end, ends_at__gt=start)


def _instant(moment: datetime) -> Value:
    return Value(moment, output_field=DateTimeField())


def uncovered(crt, period: Period, duties) -> timedelta:
    """Time of the period when no turn of ``duties`` was on the rota, by the database: a gap
    begins at the period's start or at the end of a turn when no turn covers that instant,
    and lasts until the next turn starts (or the period ends). One aggregate over the ends of
    turns, one query for the period's start."""
    start, end = _bounds(period)
    shifts = Shift.objects.filter(crt=crt, duty__in=duties)

    def covering(instant):
        return shifts.filter(starts_at__lte=instant, ends_at__gt=instant)

    def next_start(instant):
        return Subquery(shifts.filter(starts_at__gt=instant).order_by("starts_at")
                        .values("starts_at")[:1], output_field=DateTimeField())

    gap_end = Least(Coalesce(next_start(OuterRef("ends_at")), _instant(end)), _instant(end))
    after_turns = (
        shifts.filter(ends_at__gt=start, ends_at__lt=end)
        # Turns ending at the same instant open one gap.
        .exclude(Exists(shifts.filter(ends_at=OuterRef("ends_at"), pk__lt=OuterRef("pk"))))
        .exclude(Exists(covering(OuterRef("ends_at"))))
        .aggregate(t=Sum(ExpressionWrapper(gap_end - F("ends_at"),
                                           output_field=DurationField())))["t"]
        or timedelta())
    at_start = timedelta()
    if not covering(start).exists():
        first = shifts.filter(starts_at__gt=start).order_by("starts_at").values_list(
            "starts_at", flat=True).first()
        at_start = min(first or end, end) - start
    return after_turns + at_start


def _hours(delta: timedelta | None) -> Decimal:
    return quantize((delta or timedelta()).total_seconds() / 3600, "0.1")


QUALIFICATION_LABELS = {
    **dict(Position.Profession.choices),
    **{f"pro_{k}": f"{v} (partenaire)" for k, v in Professional.Profession.choices},
}


def _qualification(period: Period):
    """A turn's qualification: the profession of the team member's position in the CRT, or
    the partner professional's profession."""
    position = Position.objects.filter(crt=OuterRef("crt"), holder=OuterRef("staff")) \
        .order_by("-starts_on").values("profession")[:1]
    return Coalesce(Subquery(position, output_field=CharField()),
                    Concat(Value("pro_"), F("professional__profession"),
                           output_field=CharField()))


def _organisation(*, crt, period: Period, population) -> list[Extra]:
    start, end = _bounds(period)
    clipped = ExpressionWrapper(Least("ends_at", _instant(end)) - Greatest("starts_at",
                                                                           _instant(start)),
                                output_field=DurationField())
    in_force = (Arrangement.objects.filter(crt=crt, start_date__lte=period.end)
                .filter(Q(end_date__isnull=True) | Q(end_date__gte=period.start))
                .order_by("-start_date").first())
    extras = [Extra("Organisation en vigueur : " + (
        in_force.get_model_display() if in_force else "aucune organisation déclarée"), None)]
    if in_force is not None and in_force.model == Arrangement.Model.SHARED_NIGHT_NURSE:
        extras.append(Extra("Convention du dispositif IDE de nuit signée le "
                            + (f"{in_force.agreement_signed_on:%d/%m/%Y}"
                               if in_force.agreement_signed_on else "— non signée"), None))
        extras.append(Extra("Accord écrit du porteur du dispositif IDE de nuit",
                            1 if in_force.carrier_written_consent else 0, "oui = 1",
                            people=False))
    # The CRT's own organisation (INDICATORS §5 rule 6), not people: never « < 5 ».
    extras += [
        Extra("Heures de la période", _hours(end - start), "heures", people=False),
        Extra("Heures sans personne d'astreinte pour répondre",
              _hours(uncovered(crt, period, Shift.ANSWERS)), "heures", people=False),
        Extra("Heures sans personne pour se déplacer au domicile",
              _hours(uncovered(crt, period, Shift.TRAVELS)), "heures", people=False),
    ]
    per_qualification = (population.filter(duty__in=set(Shift.ANSWERS + Shift.TRAVELS))
                         .order_by().annotate(q=_qualification(period)).values("q")
                         .annotate(t=Sum(clipped)).order_by("q"))
    total = sum((row["t"] for row in per_qualification), timedelta())
    for row in per_qualification:
        label = QUALIFICATION_LABELS.get(row["q"], "Qualification non renseignée")
        extras.append(Extra(f"Part des heures d'astreinte (réponse, déplacement) : {label}",
                            quantize(100 * row["t"] / total, "0.1") if total else None, "%"))
    return extras


V2_10 = Indicator(
    code="V2-10",
    name="Organisation de l'astreinte de nuit 24 h/24 et 7 j/7 (IDE/AS)",
    definition=(
        "Tours d'astreinte du planning qui touchent la période (heure de Paris), par rôle, "
        "par intervenant (équipe du CRT ou professionnel partenaire) et par organisation "
        "(modèle 1 interne, modèle 2 IDE de nuit mutualisé). À côté : l'organisation en "
        "vigueur (la plus récente qui touche la période) et, pour le modèle 2, la convention "
        "et l'accord écrit du porteur ; les heures de la période sans personne pour répondre "
        "et sans personne pour se déplacer (un tour « répond et se déplace » compte pour les "
        "deux) ; la part des heures d'astreinte (réponse, déplacement) par qualification : "
        "la profession du poste du membre de l'équipe (T-02), ou celle du professionnel "
        "partenaire. Les heures sans astreinte ne sont pas ventilées par créneau (jour, nuit, "
        "week-end, férié). Règle Maillage."
    ),
    unit="tours d'astreinte",
    population=shifts_during,
    visible=shifts_visible,
    breakdowns=(
        Breakdown("duty", "Rôle", lambda p: "duty", labels=dict(Shift.Duty.choices)),
        Breakdown("actor", "Assuré par", lambda p: Case(
            When(staff__isnull=False, then=Value("crt")),
            When(professional__isnull=False, then=Value("partner")),
            default=Value(""), output_field=CharField()),
            labels={"crt": "Équipe du CRT", "partner": "Professionnel partenaire"},
            missing="Personne désignée"),
        Breakdown("arrangement", "Organisation", lambda p: "arrangement__model",
                  labels=dict(Arrangement.Model.choices),
                  missing="Hors organisation déclarée"),
    ),
    extras=_organisation,
)

INDICATORS = [V2_10, V2_11]
