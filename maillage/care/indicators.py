"""Coordination's indicators for the engine of ``maillage.core.indicators`` (INDICATORS §2):
V1-03, the telehealth acts done or accompanied by EHPAD staff."""

from django.db.models import Case, Q, QuerySet, Value, When

from maillage.core.indicators import Breakdown, Extra, Indicator, Period
from maillage.core.models import Crt

from .access import telehealth_acts_visible
from .models import TelehealthAct


def ehpad_employers(crt) -> list[str]:
    """The performers' employers that are an EHPAD: a partner EHPAD, and the carrier when it
    is one."""
    employers = [TelehealthAct.PerformerEmployer.PARTNER_EHPAD]
    if crt.carrier_type == Crt.CarrierType.EHPAD:
        employers.append(TelehealthAct.PerformerEmployer.CARRIER)
    return employers


def _acts(crt, period: Period) -> QuerySet[TelehealthAct]:
    return TelehealthAct.objects.filter(
        crt=crt, performed_at__date__gte=period.start, performed_at__date__lte=period.end)


def by_ehpad_staff(crt, period: Period) -> QuerySet[TelehealthAct]:
    return _acts(crt, period).filter(performer_employer__in=ehpad_employers(crt))


def _all_acts(*, crt, period: Period, population) -> list[Extra]:
    return [Extra("Tous les actes de télésanté de la période (quel que soit l'employeur)",
                  _acts(crt, period).count(), "actes")]


V1_03 = Indicator(
    code="V1-03",
    name="Nombre de prestations de télésanté réalisées par un professionnel de l'EHPAD",
    definition=(
        "Actes de télésanté de la période (date de l'acte, heure de Paris) — téléconsultation "
        "accompagnée, téléexpertise, télésoin — réalisés ou accompagnés par un professionnel "
        "d'un EHPAD : la structure porteuse du CRT quand c'est un EHPAD, ou un EHPAD "
        "partenaire, pour des personnes âgées qui ne vivent pas en EHPAD (les bénéficiaires "
        "du volet 2, à domicile, et les personnes âgées du territoire). Les actes dont "
        "l'employeur n'est pas renseigné (enregistrés avant la question) ne sont pas comptés."
    ),
    unit="actes",
    population=by_ehpad_staff,
    visible=telehealth_acts_visible,
    breakdowns=(
        Breakdown("kind", "Type d'acte", lambda p: "kind", labels=dict(TelehealthAct.Kind.choices)),
        Breakdown("volet", "Personne", lambda p: Case(
            When(Q(beneficiary__isnull=False), then=Value("volet2")), default=Value("volet1")),
            labels={"volet2": "Bénéficiaire du volet 2",
                    "volet1": "Personne âgée du territoire (volet 1)"}),
        Breakdown("requester", "Demandé par", lambda p: "requester",
                  labels=dict(TelehealthAct.Requester.choices)),
    ),
    extras=_all_acts,
)

INDICATORS = [V1_03]
