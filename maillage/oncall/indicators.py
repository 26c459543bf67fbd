"""The on-call service's indicators for the engine of ``maillage.core.indicators``
(INDICATORS §2): V2-11, the activity of the on-call nursing service."""

from django.db.models import Count, Q, QuerySet

from maillage.admissions.indicators import forfait_months
from maillage.core.indicators import Breakdown, Extra, Indicator, Period, quantize

from .access import calls_visible
from .models import Call


def _calls(crt, period: Period) -> QuerySet[Call]:
    return Call.objects.filter(crt=crt, received_at__date__gte=period.start,
                               received_at__date__lte=period.end)


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
        Extra("Déplacements (levées de doute)", figures["call_outs"], "appels"),
        Extra("dont maintien à domicile après le déplacement", figures["stayed_home"],
              "appels"),
        Extra("Hospitalisations", figures["hospitalised"], "appels"),
        Extra("Appels avec un recours (médecin, 15, 18…)", figures["escalated"], "appels"),
        Extra("Appels pour 100 mois-forfait", per_100, "appels"),
    ]


V2_11 = Indicator(
    code="V2-11",
    name="Activité de l'astreinte soignante",
    definition=(
        "Appels reçus par l'astreinte dans la période (date de réception, heure de Paris), "
        "par origine, motif et issue ; les déplacements (levées de doute), les maintiens à "
        "domicile qui les suivent, les hospitalisations et les appels avec un recours "
        "(médecin, 15, 18), et les appels pour 100 mois-forfait de la période (V2-01c). Les "
        "délais médians de réponse et d'arrivée sont sur la page de l'astreinte ; ils "
        "rejoindront ces chiffres avec le calcul des médianes par la base."
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
    extras=_activity,
)

INDICATORS = [V2_11]
