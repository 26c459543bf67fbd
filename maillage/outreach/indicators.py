"""The indicators of volet 1 for the engine of ``maillage.core.indicators`` (INDICATORS §2):
T-01, the people in both volets; V1-01 older people reached and V1-07 their profile, V1-02
caregivers, V1-04 professional-practice sessions, V1-05 professionals, V1-06 actions per field,
V1-08 transport, V1-09 satisfaction (the answers to the sessions' questionnaires, ``surveys``).

A volet 1 person is either a volet 2 beneficiary or a light record (``Attendee``): V1-01 and
V1-07 count a composite key (``person_key``), one per person whichever record names them.

A session belongs to a period by its start date (Paris time); a participation counts when the
person was marked present (registrations, absences and cancellations never count)."""

from django.db.models import (
    Case,
    CharField,
    Count,
    Exists,
    F,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Cast, Concat

from maillage.admissions.indicators import (
    file_active_people,
    file_active_people_visible,
    gir_on_reference_day,
    reference_day,
    stays,
)
from maillage.beneficiaries.identity import Sex
from maillage.beneficiaries.models import AggirEvaluation
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
from maillage.surveys import indicators as survey_indicators

from .access import actions_visible, participations_visible, sessions_visible
from .models import INSTITUTE_FIELDS, Attendee, Field, Participation, Session, SupportAction
from .satisfaction import SUBJECT_KIND as SATISFACTION_KIND


def both_volets(crt, period: Period) -> QuerySet[Participation]:
    """Present participations, in a session of the period, of people of the volet 2 file
    active of the period (counted once per person), each with the person's reference day
    (``ref_day``, as in V2-08)."""
    return Participation.objects.filter(
        period.instants("session__starts_at"), crt=crt, status=Participation.Status.PRESENT,
        beneficiary__isnull=False, beneficiary__in=file_active_people(crt, period).values("pk"),
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
    return [Extra("Part de la file active de la période", share, "%", over=file_active,
                  part=people)]


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
    return period.instants(f"{prefix}starts_at")


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
    held = Session.objects.filter(_held(period), crt=crt)
    figures = held.aggregate(
        sessions=Count("pk", distinct=True),
        present=Count("participations", filter=Q(
            participations__status=Participation.Status.PRESENT)))
    # Summed apart: beside the join on participations, each session's count would be added
    # once per participation.
    figures["anonymous"] = held.aggregate(n=Sum("anonymous_count"))["n"]
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
    """Transports of the sessions held: one booked for a session still to come, or for a
    session cancelled, was not provided."""
    return Participation.objects.filter(_in_period(period), crt=crt,
                                        session__status=Session.Status.HELD
                                        ).exclude(transport_mode="")


def _transport_cost(*, crt, period: Period, population) -> list[Extra]:
    total = population.order_by().aggregate(total=Sum("transport_cost"))["total"]
    return [Extra("Coût total des transports", quantize(total or 0), "€")]


V1_08 = Indicator(
    code="V1-08",
    name="Prise en charge du transport vers le lieu de réalisation du volet 1",
    definition=(
        "Participations à une séance du volet 1 tenue dans la période (date de la séance, "
        "heure de Paris) pour lesquelles le CRT a organisé ou payé le trajet, avec le mode, "
        "la raison pour laquelle la personne n'avait pas d'autre solution (la règle : le "
        "transport n'est pris en charge que dans ce cas) et le coût total. Une inscription "
        "annulée avec un transport reste comptée si le transport a été enregistré ; un "
        "transport prévu pour une séance à venir ou annulée ne l'est pas."
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

# --- V1-01 and V1-07: the older people of the territory, and their profile -------------------


def person_key() -> Concat:
    """The composite key of a volet 1 person: « b<id> » for a volet 2 beneficiary, « a<id> »
    for a light record (a participation names exactly one of them)."""
    return Case(
        When(beneficiary__isnull=False,
             then=Concat(Value("b"), Cast("beneficiary_id", CharField()))),
        default=Concat(Value("a"), Cast("attendee_id", CharField())),
        output_field=CharField())


def older_people(crt, period: Period) -> QuerySet[Participation]:
    """Present participations of older people (volet 2 beneficiaries or light records) in
    sessions of the period."""
    return _present(crt, period, Attendee.Kind.OLDER_PERSON)


def _either(beneficiary, attendee, output_field=None) -> Case:
    """The beneficiary's value when the participant is one, else the light record's."""
    return Case(When(beneficiary__isnull=False, then=beneficiary), default=attendee,
                output_field=output_field or CharField())


def _v1_age_band(period: Period) -> Case:
    return _either(age_band(F("beneficiary__birth_date"), period.end),
                   F("attendee__age_band"))


def _v1_commune(period: Period) -> Case:
    def label(prefix):
        return Concat(F(f"{prefix}__commune__name"), Value(" ("),
                      F(f"{prefix}__commune__insee_code"), Value(")"), output_field=CharField())
    return _either(label("beneficiary"), label("attendee"))


def _v1_living_place(period: Period) -> Case:
    # A volet 2 beneficiary is accompanied at home: « domicile ordinaire ».
    return _either(Value(Attendee.LivingPlace.HOME), F("attendee__living_place"))


def _in_file_active(period: Period) -> Case:
    return Case(When(Exists(stays(period).filter(beneficiary=OuterRef("beneficiary"))),
                     then=Value("oui")), default=Value("non"))


def _v1_gir(period: Period) -> Case:
    """A beneficiary's last AGGIR evaluation dated on or before the period's end; a light
    record's GIR (evaluated or declared)."""
    evaluated = AggirEvaluation.objects.filter(
        beneficiary=OuterRef("beneficiary"), evaluated_on__lte=period.end
    ).order_by("-evaluated_on", "-created_at").values("gir")[:1]
    return _either(Subquery(evaluated, output_field=IntegerField()), F("attendee__gir"),
                   IntegerField())


def _v1_gir_source(period: Period) -> Case:
    evaluated = AggirEvaluation.objects.filter(beneficiary=OuterRef("beneficiary"),
                                               evaluated_on__lte=period.end)
    return Case(
        When(Q(beneficiary__isnull=False) & Exists(evaluated),
             then=Value(Attendee.GirSource.EVALUATED)),
        When(beneficiary__isnull=False, then=Value("")),
        default=F("attendee__gir_source"), output_field=CharField())


YES_NO = {"oui": "Oui", "non": "Non"}
SEX_BREAKDOWN = Breakdown("sex", "Sexe", lambda p: _either(F("beneficiary__sex"),
                                                           F("attendee__sex")),
                          labels=dict(Sex.choices))
AGE_BREAKDOWN = Breakdown(
    "age_band", "Tranche d'âge", _v1_age_band, labels=AGE_BAND_LABELS,
    note="Bénéficiaire du volet 2 : âge au dernier jour de la période ; fiche légère : "
         "tranche déclarée.")
LIVING_PLACE_BREAKDOWN = Breakdown(
    "living_place", "Lieu de vie", _v1_living_place,
    labels=dict(Attendee.LivingPlace.choices),
    note="Valeur actuelle de la fiche ; un bénéficiaire du volet 2 vit à domicile.")


def _anonymous(*, crt, period: Period, population) -> list[Extra]:
    n = Session.objects.filter(_held(period), crt=crt).aggregate(
        n=Sum("anonymous_count"))["n"]
    return [Extra("Participants non identifiés des séances tenues (tous publics, jamais "
                  "ajoutés au nombre de personnes)", n or 0, "participants")]


V1_PERSON_RULE = (
    "Personnes âgées distinctes présentes à au moins une séance du volet 1 qui a lieu dans la "
    "période (date de la séance, heure de Paris) : bénéficiaires du volet 2 et personnes "
    "inscrites sur une fiche légère, chaque personne comptée une fois quelle que soit la "
    "fiche qui la nomme (INDICATORS §1). Règle Maillage : les résidents permanents d'un EHPAD "
    "ne sont pas inscrits comme personnes âgées du territoire (le lieu de vie d'une fiche "
    "légère n'offre pas l'EHPAD) ; les résidences autonomie et seniors sont comprises. Les "
    "participants non identifiés sont donnés sur une ligne à part et jamais ajoutés. "
)

V1_01 = Indicator(
    code="V1-01",
    name="Nombre de personnes âgées du territoire ayant bénéficié d'une prestation du volet 1",
    definition=V1_PERSON_RULE + (
        "Une personne venue à des séances de plusieurs axes figure dans chacun (les lignes "
        "ne s'additionnent pas). Âge : au dernier jour de la période pour un bénéficiaire du "
        "volet 2, tranche déclarée pour une fiche légère ; commune et lieu de vie : valeur "
        "actuelle."),
    unit="personnes",
    population=older_people,
    visible=participations_visible,
    counted=person_key(),
    breakdowns=(
        FIELD_BREAKDOWN,
        Breakdown("anti_fall", "Action de prévention des chutes",
                  lambda p: "session__action__anti_fall", labels={True: "Oui", False: "Non"},
                  exclusive=False),
        Breakdown("end_of_life", "Action fin de vie / soins palliatifs",
                  lambda p: "session__action__end_of_life", labels={True: "Oui", False: "Non"},
                  exclusive=False),
        AGE_BREAKDOWN,
        SEX_BREAKDOWN,
        LIVING_PLACE_BREAKDOWN,
        Breakdown("commune", "Commune", _v1_commune, note="Valeur actuelle de la fiche."),
        Breakdown("in_volet2", "Dans la file active du volet 2 de la période", _in_file_active,
                  labels=YES_NO),
    ),
    extras=_anonymous,
)

V1_07 = Indicator(
    code="V1-07",
    name="Profil des bénéficiaires du volet 1 (GIR, lieu de vie…)",
    definition=V1_PERSON_RULE + (
        "Répartition des personnes de V1-01. GIR : pour un bénéficiaire du volet 2, la "
        "dernière évaluation AGGIR datée au plus tard le dernier jour de la période "
        "(« évalué ») ; pour une fiche légère, le GIR noté, évalué ou déclaré ; sinon « non "
        "évalué »."),
    unit="personnes",
    population=older_people,
    visible=participations_visible,
    counted=person_key(),
    breakdowns=(
        Breakdown("gir", "GIR", _v1_gir, labels=GIR_LABELS),
        Breakdown("gir_source", "GIR évalué ou déclaré", _v1_gir_source,
                  labels={**dict(Attendee.GirSource.choices), "": "Non évalué"}),
        LIVING_PLACE_BREAKDOWN,
        AGE_BREAKDOWN,
        SEX_BREAKDOWN,
    ),
)


# --- V1-09: satisfaction (the sessions' questionnaires, ``surveys``) --------------------------


def _session_collections(crt, period: Period):
    return survey_indicators.collections_in(crt, period, SATISFACTION_KIND)


V1_09 = survey_indicators.satisfaction_indicator(
    code="V1-09",
    name="Satisfaction des personnes ayant bénéficié d'une prestation du volet 1",
    definition=(
        "Questionnaires des séances du volet 1 : une collecte par séance, ouverte le jour de "
        "la séance, un code remis à chaque participant (personne âgée, aidant, "
        "professionnel). Par axe et par action ; par répondant."),
    collections=_session_collections,
    breakdowns=(
        Breakdown("v1_field", "Axe du volet 1", lambda p: "response__collection__category_key",
                  labels=dict(Field.choices)),
        Breakdown("action", "Action", lambda p: "response__collection__group_label",
                  note="L'intitulé de l'action à l'ouverture de la collecte."),
        survey_indicators.RESPONDENT_BREAKDOWN,
    ),
)


INDICATORS = [T_01, V1_01, V1_02, V1_04, V1_05, V1_06, V1_07, V1_08, V1_09]
