"""The indicators of volet 1 for the engine of ``maillage.core.indicators`` (INDICATORS §2):
T-01, the people in both volets; V1-02 caregivers, V1-04 professional-practice sessions, V1-05
professionals, V1-06 actions per field, V1-08 transport.

A session belongs to a period by its start date (Paris time); a participation counts when the
person was marked present (registrations, absences and cancellations never count)."""

from django.db.models import Case, Count, Exists, F, OuterRef, Q, QuerySet, Sum, Value, When

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

from .access import actions_visible, participations_visible, sessions_visible
from .models import INSTITUTE_FIELDS, Attendee, Field, Participation, Session, SupportAction


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

def _in_period(period: Period, prefix: str = "session__") -> Q:
    return Q(**{f"{prefix}starts_at__date__gte": period.start,
                f"{prefix}starts_at__date__lte": period.end})


def _present(crt, period: Period, kind: str) -> QuerySet[Participation]:
    return Participation.objects.filter(
        _in_period(period), crt=crt, kind=kind, status=Participation.Status.PRESENT)


FIELD_BREAKDOWN = Breakdown(
    "v1_field", "Axe du volet 1", lambda p: "session__action__field", labels=dict(Field.choices),
    exclusive=False)


V1_02 = Indicator(
    code="V1-02",
    name="Nombre d'aidants ayant bénéficié d'une prestation du volet 1",
    definition=(
        "Aidants distincts présents à au moins une séance du volet 1 qui a lieu dans la "
        "période (date de la séance, heure de Paris), inscrits comme aidants. Règle Maillage : "
        "un aidant est compté une fois par fiche ; un aidant enregistré au dossier d'un "
        "bénéficiaire du volet 2 a une seule fiche, liée à celui-ci. Les participants non "
        "identifiés d'une séance ne sont pas comptés ici."
    ),
    unit="aidants",
    population=lambda crt, period: _present(crt, period, Attendee.Kind.CAREGIVER),
    visible=participations_visible,
    counted="attendee",
    breakdowns=(
        FIELD_BREAKDOWN,
        Breakdown("helped_in_volet2", "Personne aidée accompagnée au volet 2",
                  lambda p: "attendee__helps_volet2_beneficiary",
                  labels={True: "Oui", False: "Non", None: "Non renseigné"}),
    ),
)


def _practice_sessions(crt, period: Period) -> QuerySet[Session]:
    return Session.objects.filter(
        _in_period(period, ""), crt=crt, status=Session.Status.HELD,
        action__field=Field.PRACTICES)


def _institutes_invited(period: Period) -> Case:
    invited = Q()
    for name in INSTITUTE_FIELDS.values():
        invited |= Q(**{f"action__{name}": True})
    return Case(When(invited, then=Value(True)), default=Value(False))


V1_04 = Indicator(
    code="V1-04",
    name="Nombre d'actions améliorant les pratiques professionnelles",
    definition=(
        "Séances tenues dans la période (date de la séance, heure de Paris) des actions de "
        "l'axe « amélioration des pratiques professionnelles » : sensibilisation, formation, "
        "partage de pratiques. Règle Maillage : chaque séance tenue compte pour une action "
        "réalisée ; les séances prévues ou annulées ne comptent pas."
    ),
    unit="séances",
    people=False,
    population=_practice_sessions,
    visible=sessions_visible,
    breakdowns=(
        Breakdown("practice_kind", "Type d'action", lambda p: "action__practice_kind",
                  labels=dict(SupportAction.PracticeKind.choices)),
        Breakdown("end_of_life", "Fin de vie / soins palliatifs", lambda p: "action__end_of_life",
                  labels={True: "Oui", False: "Non"}),
        Breakdown("institutes", "Instituts de formation invités", _institutes_invited,
                  labels={True: "Oui", False: "Non"}),
    ),
)

#: The structures V1-05 names apart: home-care services and other EHPAD.
HOME_CARE_OR_EHPAD = (Attendee.EmployerType.HOME_CARE, Attendee.EmployerType.SSIAD,
                      Attendee.EmployerType.OTHER_EHPAD)


def _home_care_or_ehpad(*, crt, period: Period, population) -> list[Extra]:
    n = (population.filter(attendee__employer_type__in=HOME_CARE_OR_EHPAD).order_by()
         .values("attendee").distinct().count())
    return [Extra("dont professionnels d'un service à domicile (SAD, SSIAD) ou d'un autre "
                  "EHPAD", n, "professionnels")]


V1_05 = Indicator(
    code="V1-05",
    name="Nombre de professionnels ayant bénéficié d'une prestation du volet 1",
    definition=(
        "Professionnels distincts présents à au moins une séance du volet 1 qui a lieu dans "
        "la période (date de la séance, heure de Paris), par type de structure qui les "
        "emploie ; dont ceux d'un service à domicile (SAD, SSIAD) ou d'un autre EHPAD. Les "
        "participants non identifiés d'une séance ne sont pas comptés ici."
    ),
    unit="professionnels",
    population=lambda crt, period: _present(crt, period, Attendee.Kind.PROFESSIONAL),
    visible=participations_visible,
    counted="attendee",
    breakdowns=(
        Breakdown("employer_type", "Structure employeuse", lambda p: "attendee__employer_type",
                  labels=dict(Attendee.EmployerType.choices)),
        FIELD_BREAKDOWN,
    ),
    extras=_home_care_or_ehpad,
)


def _held(period: Period) -> Q:
    return _in_period(period, "") & Q(status=Session.Status.HELD)


def _active_actions(crt, period: Period) -> QuerySet[SupportAction]:
    """Actions with at least one session held in the period."""
    held = Session.objects.filter(_held(period), action=OuterRef("pk"))
    return SupportAction.objects.filter(Exists(held), crt=crt)


def _actions_check(*, crt, period: Period, population) -> list[Extra]:
    """Sessions held and people present, then the yearly check: fields without an action, and
    the anti-fall actions (one grouped query for the fields, one for the sessions)."""
    figures = Session.objects.filter(_held(period), crt=crt).aggregate(
        sessions=Count("pk", distinct=True),
        present=Count("participations", filter=Q(
            participations__status=Participation.Status.PRESENT)),
        anonymous=Sum("anonymous_count"))
    by_field = dict(population.order_by().values_list("field").annotate(n=Count("pk")))
    anti_fall = population.filter(anti_fall=True).count()
    return [
        Extra("Séances tenues", figures["sessions"], "séances", people=False),
        Extra("Participations (personnes présentes identifiées)", figures["present"],
              "participations"),
        Extra("Participants non identifiés", figures["anonymous"] or 0, "participants"),
        Extra("Axes sans action (à signaler)",
              sum(1 for f in Field.values if not by_field.get(f)), "axes", people=False),
        Extra("Actions de prévention des chutes (au moins une attendue)", anti_fall,
              "actions", people=False),
    ]


V1_06 = Indicator(
    code="V1-06",
    name="Prestations proposées pour chacun des trois objectifs du volet 1",
    definition=(
        "Actions du volet 1 actives dans la période — au moins une séance tenue dans la "
        "période (date de la séance, heure de Paris) —, par axe, avec les séances tenues et "
        "les participants. Le contrôle annuel signale chaque axe sans action et l'absence "
        "d'action de prévention des chutes. Règle Maillage : une action sans séance tenue "
        "dans la période n'y est pas active, même si elle est en cours."
    ),
    unit="actions",
    people=False,
    population=_active_actions,
    visible=actions_visible,
    breakdowns=(
        Breakdown("v1_field", "Axe du volet 1", lambda p: "field", labels=dict(Field.choices)),
        Breakdown("anti_fall", "Prévention des chutes", lambda p: "anti_fall",
                  labels={True: "Oui", False: "Non"}),
        Breakdown("funding", "Financement", lambda p: "funding",
                  labels=dict(SupportAction.Funding.choices)),
    ),
    extras=_actions_check,
)


def _transport(crt, period: Period) -> QuerySet[Participation]:
    return Participation.objects.filter(_in_period(period), crt=crt).exclude(transport_mode="")


def _transport_cost(*, crt, period: Period, population) -> list[Extra]:
    total = population.order_by().aggregate(total=Sum("transport_cost"))["total"]
    return [Extra("Coût total des transports", quantize(total or 0), "€")]


V1_08 = Indicator(
    code="V1-08",
    name="Prise en charge du transport vers le lieu de réalisation du volet 1",
    definition=(
        "Participations à une séance du volet 1 de la période (date de la séance, heure de "
        "Paris) pour lesquelles le CRT a organisé ou payé le trajet, avec le mode, la raison "
        "pour laquelle la personne n'avait pas d'autre solution (la règle : le transport "
        "n'est pris en charge que dans ce cas) et le coût total. Une inscription annulée "
        "avec un transport reste comptée si le transport a été enregistré."
    ),
    unit="participations",
    population=_transport,
    visible=participations_visible,
    breakdowns=(
        Breakdown("mode", "Mode de transport", lambda p: "transport_mode",
                  labels=dict(Participation.TransportMode.choices)),
        Breakdown("reason", "Aucune autre solution : pourquoi", lambda p: "transport_reason",
                  labels=dict(Participation.TransportReason.choices)),
        Breakdown("kind", "Participant", lambda p: "kind", labels=dict(Attendee.Kind.choices)),
    ),
    extras=_transport_cost,
)

INDICATORS = [T_01, V1_02, V1_04, V1_05, V1_06, V1_08]
