"""The volet 2 indicators owned by the file active (INDICATORS §2.3): V2-01 (three codes,
V2-01a/b/c), V2-02, V2-03 and V2-08. Declared for the engine of ``maillage.core.indicators``.

The common definitions of INDICATORS §1 are written once here, as database expressions:
the file active over a period and on a day, a person's reference day, their GIR on that day.
The mois-forfait rule is not written again: V2-01c reads the months stored by
``forfait.forfait_months_refresh`` from the rule of ``periods.py``.
"""

from datetime import date

from django.db.models import (
    Avg,
    Case,
    CharField,
    Count,
    DateField,
    DurationField,
    Exists,
    ExpressionWrapper,
    F,
    IntegerField,
    Min,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    TextField,
    Value,
    When,
)
from django.db.models.functions import Cast, Coalesce, Concat, Least, StrIndex, TruncDate
from django.db.models.lookups import GreaterThan, LessThanOrEqual

from maillage.beneficiaries.access import beneficiaries_for
from maillage.beneficiaries.identity import Sex
from maillage.beneficiaries.models import AggirEvaluation, Beneficiary
from maillage.core.indicators import (
    AGE_BAND_LABELS,
    GIR_LABELS,
    MONTHS,
    Breakdown,
    DaysBetween,
    Extra,
    Indicator,
    Period,
    age_band,
    quantiles,
    quantize,
    today,
)
from maillage.core.selectors import FORFAIT_MONTHLY

from .access import enrolments_visible
from .models import Enrolment, ForfaitMonth, PrioritySituation, ReferrerKind, Suspension
from .periods import hospitalisation_exceeds_three_months

#: The minimum average monthly file active of 001 §IV.2.1.
FILE_ACTIVE_MINIMUM = 30

# --- The file active (INDICATORS §1) ---------------------------------------------------------


def stays(period: Period) -> QuerySet[Enrolment]:
    """Enrolments open on at least one day of the period (temporary exits included)."""
    return Enrolment.objects.filter(admitted_on__lte=period.end).filter(
        Q(ended_on__isnull=True) | Q(ended_on__gte=period.start))


def stays_on(day: date) -> QuerySet[Enrolment]:
    """Enrolments open on ``day`` (the day of exit included)."""
    return stays(Period.custom(day, day))


def last_day(period: Period) -> date:
    """The day the stock V2-01b is read on: the last day of the period, or today while the
    period is not over."""
    return min(period.end, today())


def reference_day(period: Period, person: str = "pk") -> Subquery:
    """A person's reference day: the earlier of the period end and their exit date (the exit
    of their latest stay of the period; none while it is open). ``person``: the field of the
    outer query naming the person (``pk`` on people, ``beneficiary`` on their records)."""
    latest = stays(period).filter(beneficiary=OuterRef(person)).order_by("-admitted_on", "-pk")
    return Subquery(latest.annotate(_day=Case(
        When(ended_on__lt=period.end, then=F("ended_on")), default=Value(period.end),
        output_field=DateField())).values("_day")[:1], output_field=DateField())


def file_active_people(crt, period: Period) -> QuerySet[Beneficiary]:
    """The distinct people of the file active over the period (a person re-admitted counts
    once), each with ``ref_day`` (an alias for the breakdowns)."""
    return Beneficiary.objects.filter(
        crt=crt, pk__in=stays(period).filter(crt=crt).values("beneficiary")
    ).alias(ref_day=reference_day(period))


def people_on_last_day(crt, period: Period) -> QuerySet[Beneficiary]:
    day = last_day(period)
    return Beneficiary.objects.filter(
        crt=crt, pk__in=stays_on(day).filter(crt=crt).values("beneficiary")
    ).alias(ref_day=Value(day, output_field=DateField()))


def gir_on_reference_day(stays_of: QuerySet[Enrolment], person: str = "pk"):
    """A person's GIR on their reference day (``ref_day``): the last AGGIR evaluation dated on
    or before it; failing that the GIR at entry of their latest stay in ``stays_of``; failing
    that none (« non évalué »). Never ``Beneficiary.current_gir`` (today's value)."""
    evaluated = AggirEvaluation.objects.filter(
        beneficiary=OuterRef(person), evaluated_on__lte=OuterRef("ref_day")
    ).order_by("-evaluated_on", "-created_at").values("gir")[:1]
    at_entry = stays_of.filter(beneficiary=OuterRef(person)).order_by(
        "-admitted_on", "-pk").values("gir_at_entry")[:1]
    return Coalesce(Subquery(evaluated), Subquery(at_entry), output_field=IntegerField())


def _commune():
    return Concat(F("commune__name"), Value(" ("), F("commune__insee_code"), Value(")"),
                  output_field=CharField())


TODAY_ONLY = "Valeur actuelle du dossier : Maillage n'en garde pas l'historique."


def _person_breakdowns(stays_of, *, living_situation: bool = False) -> tuple[Breakdown, ...]:
    """Age band, sex, GIR and commune of people read on their reference day."""
    rows = [
        Breakdown("age_band", "Tranche d'âge",
                  lambda p: age_band(F("birth_date"), F("ref_day")), labels=AGE_BAND_LABELS),
        Breakdown("sex", "Sexe", lambda p: "sex", labels=dict(Sex.choices)),
        Breakdown("gir", "GIR", lambda p: gir_on_reference_day(stays_of(p)),
                  labels=GIR_LABELS),
    ]
    if living_situation:
        rows.append(Breakdown(
            "living_situation", "Situation au domicile", lambda p: "living_situation",
            labels={**dict(Beneficiary.LivingSituation.choices), "": "Non renseignée"},
            note=TODAY_ONLY))
    rows.append(Breakdown("commune", "Commune", lambda p: _commune(), note=TODAY_ONLY))
    return tuple(rows)


# --- Access: the drill-down goes through the policies of the file active and of the file ----


def file_active_people_visible(*, crt, user, roles) -> QuerySet[Beneficiary]:
    """People whose identity the viewer may see, among those whose stays they may see."""
    return beneficiaries_for("identity", crt=crt, user=user, roles=roles).filter(
        pk__in=enrolments_visible(crt=crt, user=user, roles=roles).values("beneficiary"))


def _enrolments_visible(*, crt, user, roles) -> QuerySet[Enrolment]:
    return enrolments_visible(crt=crt, user=user, roles=roles).filter(
        beneficiary__in=beneficiaries_for("identity", crt=crt, user=user, roles=roles))


def _forfait_months_visible(*, crt, user, roles) -> QuerySet[ForfaitMonth]:
    return ForfaitMonth.objects.filter(
        crt=crt, enrolment__in=_enrolments_visible(crt=crt, user=user, roles=roles))


# --- V2-01 -----------------------------------------------------------------------------------


def forfait_months(crt, period: Period) -> QuerySet[ForfaitMonth]:
    """The mois-forfait of the months the period touches: one stored row per person and month
    (two enrolments of one person in one month count once: the first row stands for both)."""
    rows = ForfaitMonth.objects.filter(crt=crt, month__gte=period.start.replace(day=1),
                                       month__lte=period.end)
    first = rows.order_by().values("beneficiary", "month").annotate(first=Min("pk")).values(
        "first")
    return ForfaitMonth.objects.filter(pk__in=first)


def months_counted(period: Period) -> int:
    """The months of the period that have begun (a month to come has no mois-forfait yet)."""
    return len([m for m in period.months() if m <= today()])


def average_file_active(*, crt, period: Period, count: int):
    months = months_counted(period)
    return quantize(count / months) if months else quantize(0)


def _average_extras(*, crt, period: Period, population) -> list[Extra]:
    return [
        Extra("Mois de la période pris en compte", months_counted(period), "mois",
              people=False),
        Extra("Cible de file active du CRT", crt.file_active_target, "personnes", people=False),
        Extra("Minimum attendu (001 §IV.2.1)", FILE_ACTIVE_MINIMUM, "personnes", people=False),
    ]


def _month_labels(period: Period) -> dict[date, str]:
    return {m: f"{MONTHS[m.month - 1]} {m.year}" for m in period.months()}


FILE_ACTIVE_RULE = (
    "Personnes distinctes ayant une admission au volet 2 ouverte au moins un jour de la "
    "période : admise au plus tard le dernier jour et non sortie avant le premier jour. Les "
    "personnes en sortie temporaire en font partie ; une personne réadmise dans la période "
    "compte une fois. Âge, GIR et commune sont lus au jour de référence de la personne (le "
    "dernier jour de la période, ou sa date de sortie si elle est antérieure). GIR : dernière "
    "évaluation AGGIR datée au plus tard ce jour-là, à défaut le GIR à l'entrée, à défaut "
    "« non évalué ». Règle Maillage (INDICATORS §1)."
)

V2_01A = Indicator(
    code="V2-01a",
    name="Nombre de personnes dans la file active — sur la période",
    definition=FILE_ACTIVE_RULE,
    unit="personnes",
    population=file_active_people,
    visible=file_active_people_visible,
    breakdowns=_person_breakdowns(stays),
)

V2_01B = Indicator(
    code="V2-01b",
    name="Nombre de personnes dans la file active — au dernier jour de la période",
    definition=(
        "Personnes dont l'admission au volet 2 est ouverte le dernier jour de la période (un "
        "stock ; aujourd'hui tant que la période n'est pas finie), sorties temporaires "
        "comprises. Âge et GIR sont lus ce jour-là (GIR : dernière évaluation AGGIR datée au "
        "plus tard ce jour-là, à défaut le GIR à l'entrée). Règle Maillage (INDICATORS §1)."
    ),
    unit="personnes",
    population=people_on_last_day,
    visible=file_active_people_visible,
    breakdowns=_person_breakdowns(lambda p: stays_on(last_day(p))),
)

V2_01C = Indicator(
    code="V2-01c",
    name="File active mensuelle moyenne (mois-forfait ÷ mois)",
    definition=(
        "Somme des mois-forfait de la période divisée par le nombre de mois de la période "
        "déjà commencés. Un mois civil compte pour une personne quand, au moins un jour de ce "
        "mois, elle était admise et pas en sortie temporaire ; plusieurs admissions d'une "
        "personne dans un mois comptent une fois (règle Maillage, INDICATORS §1). Pour une "
        "période qui ne commence pas le 1er d'un mois, les mois qu'elle touche comptent en "
        "entier. C'est le chiffre comparé au minimum de 30 (001 §IV.2.1) et à la cible du "
        "CRT, car c'est ce que paie le forfait. La ventilation par mois donne la file active "
        "de chaque mois (mois-forfait du mois)."
    ),
    unit="personnes (moyenne mensuelle)",
    population=forfait_months,
    visible=_forfait_months_visible,
    breakdowns=(Breakdown("month", "Mois", lambda p: "month", labels=_month_labels),),
    compute=average_file_active,
    extras=_average_extras,
)


# --- V2-02 entries ---------------------------------------------------------------------------


def entries(crt, period: Period) -> QuerySet[Enrolment]:
    return Enrolment.objects.filter(crt=crt, admitted_on__gte=period.start,
                                    admitted_on__lte=period.end)


YES_NO = {"oui": "Oui", "non": "Non"}


def _yes_if(condition) -> Case:
    return Case(When(condition, then=Value("oui")), default=Value("non"),
                output_field=CharField())


def _readmission():
    earlier = Enrolment.objects.filter(beneficiary=OuterRef("beneficiary"),
                                       admitted_on__lt=OuterRef("admitted_on"))
    return _yes_if(Exists(earlier))


NO_PRIORITY = "none"


def _priority_rows(period: Period) -> dict[str, object]:
    """One condition per priority situation, read from the JSON text of the referral's list
    (as the waiting list's score does: a list holds each situation once), and one for none
    (no situation, or no referral)."""
    text = Cast("referral__priority_situations", TextField())
    rows = {value: GreaterThan(Coalesce(StrIndex(text, Value(f'"{value}"')), Value(0)), 0)
            for value in PrioritySituation.values}
    any_situation = Q()
    for condition in rows.values():
        any_situation |= Q(condition)
    rows[NO_PRIORITY] = ~any_situation
    return rows


def _referral_delay():
    """Whole days from the day the referral was received (Paris time) to the admission."""
    return DaysBetween(TruncDate("referral__received_at"), "admitted_on")


def _entry_extras(*, crt, period: Period, population) -> list[Extra]:
    """Days from the referral to the admission, for the entries with a referral: mean (one
    aggregate) and median (``quantiles``)."""
    referred = population.filter(referral__isnull=False)
    figures = referred.order_by().aggregate(n=Count("pk"), mean=Avg(_referral_delay()))
    median = quantiles(referred, _referral_delay(), (0.5,), n=figures["n"])[0]
    return [
        Extra("Admissions précédées d'une demande enregistrée", figures["n"], "admissions"),
        Extra("Délai moyen de la demande à l'admission", None if figures["mean"] is None
              else quantize(figures["mean"], "0.1"), "jours", over=figures["n"]),
        Extra("Délai médian de la demande à l'admission", None if median is None
              else quantize(median, "0.1"), "jours", over=figures["n"]),
    ]


V2_02 = Indicator(
    code="V2-02",
    name="Nombre d'entrées — motifs d'admission",
    definition=(
        "Admissions au volet 2 dont la date d'admission tombe dans la période. Une réadmission "
        "est une nouvelle entrée, signalée (la personne avait une admission antérieure). "
        "Sortie d'hospitalisation : la demande était préconisée en sortie d'hospitalisation "
        "par un médecin hospitalier, ou l'admission est passée par le circuit d'urgence. "
        "Orienté par : le type d'orienteur de la demande (« sans demande enregistrée » pour "
        "une admission saisie sans demande). Situations prioritaires : celles notées sur la "
        "demande, plusieurs par admission (les lignes ne s'additionnent pas). Délai : jours "
        "entiers du jour de réception de la demande (heure de Paris) au jour d'admission, "
        "moyenne et médiane, pour les admissions précédées d'une demande."
    ),
    unit="admissions",
    population=entries,
    visible=_enrolments_visible,
    breakdowns=(
        Breakdown("gir", "GIR à l'entrée", lambda p: "gir_at_entry",
                  labels={k: v for k, v in GIR_LABELS.items() if k is not None}),
        Breakdown("referrer_kind", "Orienté par", lambda p: "referral__referrer_kind",
                  labels={**dict(ReferrerKind.choices), None: "Sans demande enregistrée"}),
        Breakdown("hospital_discharge", "Sortie d'hospitalisation",
                  lambda p: _yes_if(Q(emergency_path=True) | Q(referral__hospital_discharge=True)),
                  labels=YES_NO),
        Breakdown("readmission", "Réadmission", lambda p: _readmission(), labels=YES_NO),
        Breakdown("priority", "Situation prioritaire", None, conditions=_priority_rows,
                  exclusive=False, labels={
                      **dict(PrioritySituation.choices),
                      NO_PRIORITY: "Aucune situation prioritaire (ou sans demande)"}),
    ),
    extras=_entry_extras,
)


# --- V2-03 definitive exits ------------------------------------------------------------------


def exits(crt, period: Period) -> QuerySet[Enrolment]:
    return Enrolment.objects.filter(crt=crt, ended_on__gte=period.start,
                                    ended_on__lte=period.end)


def _length_days():
    """Time from admission to exit, computed by the database (SQLite and PostgreSQL)."""
    return ExpressionWrapper(F("ended_on") - F("admitted_on"), output_field=DurationField())


def _exit_extras(*, crt, period: Period, population) -> list[Extra]:
    """Mean and median length of the accompaniments that ended (whole days from admission to
    exit), by the database: the mean in one aggregate, the median from the one or two middle
    rows in sorted order."""
    lengths = population.order_by().annotate(length=_length_days())
    figures = lengths.aggregate(n=Count("pk"), mean=Avg("length"))
    n = figures["n"]
    if not n:
        return [Extra("Durée moyenne d'accompagnement", None, "jours"),
                Extra("Durée médiane d'accompagnement", None, "jours")]
    middle = list(lengths.order_by("length").values_list("length", flat=True)[
        (n - 1) // 2:n // 2 + 1])
    median = sum(d.days for d in middle) / len(middle)
    return [Extra("Durée moyenne d'accompagnement", quantize(figures["mean"].total_seconds()
                                                             / 86400, "0.1"), "jours", over=n),
            Extra("Durée médiane d'accompagnement", quantize(median, "0.1"), "jours", over=n)]


def _gir_at_exit():
    """The GIR on the day of exit: the last AGGIR evaluation dated on or before it, failing
    that the GIR at entry of the stay."""
    evaluated = AggirEvaluation.objects.filter(
        beneficiary=OuterRef("beneficiary"), evaluated_on__lte=OuterRef("ended_on")
    ).order_by("-evaluated_on", "-created_at").values("gir")[:1]
    return Coalesce(Subquery(evaluated), F("gir_at_entry"), output_field=IntegerField())


V2_03 = Indicator(
    code="V2-03",
    name="Nombre de sorties définitives — motifs de sortie",
    definition=(
        "Admissions au volet 2 dont la date de sortie définitive tombe dans la période, par "
        "motif de sortie. Durée d'accompagnement : jours entiers de la date d'admission à la "
        "date de sortie ; moyenne et médiane (règle Maillage, INDICATORS §1). GIR à la "
        "sortie : dernière évaluation AGGIR datée au plus tard le jour de sortie, à défaut le "
        "GIR à l'entrée."
    ),
    unit="sorties",
    population=exits,
    visible=_enrolments_visible,
    breakdowns=(
        Breakdown("exit_reason", "Motif de sortie", lambda p: "exit_reason",
                  labels={**dict(Enrolment.ExitReason.choices), "": "Motif non renseigné"}),
        Breakdown("gir", "GIR à la sortie", lambda p: _gir_at_exit(),
                  labels={k: v for k, v in GIR_LABELS.items() if k is not None}),
    ),
    extras=_exit_extras,
)


# --- V2-08 profile ---------------------------------------------------------------------------

V2_08 = Indicator(
    code="V2-08",
    name="Typologie des bénéficiaires : âge, sexe, situation au domicile, GIR",
    definition=(
        "Répartition des personnes de la file active de la période (V2-01a), chacune lue à "
        "son jour de référence : le dernier jour de la période, ou sa date de sortie si elle "
        "est antérieure. GIR : dernière évaluation AGGIR datée au plus tard ce jour-là, à "
        "défaut le GIR à l'entrée, à défaut « non évalué ». La situation au domicile et la "
        "commune sont les valeurs actuelles du dossier (Maillage n'en garde pas l'historique)."
    ),
    unit="personnes",
    population=file_active_people,
    visible=file_active_people_visible,
    breakdowns=_person_breakdowns(stays, living_situation=True),
)

# --- V2-04 temporary exits -------------------------------------------------------------------


def temporary_exits(crt, period: Period) -> QuerySet[Suspension]:
    """Temporary exits begun in the period."""
    return Suspension.objects.filter(crt=crt, start_date__gte=period.start,
                                     start_date__lte=period.end)


def _suspensions_visible(*, crt, user, roles) -> QuerySet[Suspension]:
    return Suspension.objects.filter(
        crt=crt, enrolment__in=_enrolments_visible(crt=crt, user=user, roles=roles))


def days_away(period: Period) -> DaysBetween:
    """Whole days from the exit to the return home, cut at the period's end (an exit going on
    counts up to that day)."""
    end = Value(period.end, output_field=DateField())
    return DaysBetween("start_date", Least(Coalesce("end_date", end), end))


LENGTH_BANDS = {"le7": "7 jours ou moins", "le30": "8 à 30 jours", "le90": "31 à 90 jours",
                "gt90": "Plus de 90 jours"}


def _length_band(period: Period) -> Case:
    days = days_away(period)
    return Case(When(LessThanOrEqual(days, 7), then=Value("le7")),
                When(LessThanOrEqual(days, 30), then=Value("le30")),
                When(LessThanOrEqual(days, 90), then=Value("le90")),
                default=Value("gt90"))


def _exits_figures(*, crt, period: Period, population) -> list[Extra]:
    """People concerned and days away (one aggregate); hospitalisations of more than 3 months
    by the rule of ``periods`` over the few that reach 89 days (the database narrows them)."""
    figures = population.order_by().aggregate(
        people=Count("enrolment__beneficiary", distinct=True),
        days=Sum(days_away(period)))
    long_ones = (population.filter(kind=Suspension.Kind.HOSPITALISATION)
                 .alias(days=days_away(period)).filter(days__gte=89)
                 .values_list("start_date", "end_date"))
    cut = min(period.end, today())
    over_three_months = sum(
        1 for start, end in long_ones
        if hospitalisation_exceeds_three_months(start, min(end or cut, cut)))
    return [
        Extra("Personnes concernées", figures["people"], "personnes"),
        Extra("Jours d'absence (arrêtés à la fin de la période)", figures["days"] or 0,
              "jours"),
        Extra("Hospitalisations de plus de 3 mois (sortie définitive à proposer)",
              over_three_months, "sorties temporaires"),
    ]


V2_04 = Indicator(
    code="V2-04",
    name="Nombre de sorties temporaires — motifs et durée",
    definition=(
        "Sorties temporaires commencées dans la période, par type et par durée d'absence : "
        "jours entiers du départ au retour à domicile, une sortie en cours étant arrêtée au "
        "dernier jour de la période (INDICATORS §1). Aussi : les personnes concernées, le "
        "total des jours d'absence et les hospitalisations de plus de 3 mois, pour "
        "lesquelles une sortie définitive est à proposer (001 §IV.2.1). Le motif, en texte "
        "libre, n'est pas ventilé."
    ),
    unit="sorties temporaires",
    population=temporary_exits,
    visible=_suspensions_visible,
    breakdowns=(
        Breakdown("kind", "Type", lambda p: "kind", labels=dict(Suspension.Kind.choices)),
        Breakdown("length", "Durée d'absence", _length_band, labels=LENGTH_BANDS),
        Breakdown("ongoing", "En cours à la fin de la période", lambda p: Case(
            When(Q(end_date__isnull=True) | Q(end_date__gt=p.end), then=Value("oui")),
            default=Value("non")), labels=YES_NO),
    ),
    extras=_exits_figures,
)


# --- F-02 the forfait's value ----------------------------------------------------------------


def forfait_value(*, crt, period: Period, count: int):
    return quantize(count * FORFAIT_MONTHLY)


def _envelope(*, crt, period: Period, population) -> list[Extra]:
    """The volet 2 envelope of the period: 900 € × the CRT's target × the months of the
    period (001 §III.3: 900 € × 12 × 30 = 324,000 € a year)."""
    from maillage.steering.indicators import volet2_spent  # the budget, which reads us

    months = len(period.months())
    envelope = quantize(FORFAIT_MONTHLY * crt.file_active_target * months)
    forfait_months_ = population.count()
    spent = volet2_spent(crt, period)
    return [
        Extra("Mois-forfait de la période", forfait_months_, "mois-forfait"),
        Extra(f"Enveloppe du volet 2 ({crt.file_active_target} personnes × 900 € × {months} "
              "mois)", envelope, "€", people=False),
        Extra("Dépenses du volet 2 de la période (budget)", spent, "€", people=False),
        Extra("Forfait moins dépenses du volet 2",
              quantize(forfait_months_ * FORFAIT_MONTHLY) - spent, "€"),
    ]


F_02 = Indicator(
    code="F-02",
    name="Valorisation du forfait volet 2 (mois-forfait × 900 €)",
    definition=(
        "Somme des mois-forfait des mois que la période touche (la règle de V2-01c : un mois "
        "compte pour une personne admise et pas en sortie temporaire au moins un jour de ce "
        "mois, une fois par personne) multipliée par 900 € (001 §III.3), comparée à "
        "l'enveloppe du volet 2 de la période : 900 € × la cible de file active du CRT × les "
        "mois de la période, et aux dépenses du volet 2 datées dans la période (budget, "
        "toutes natures)."
    ),
    unit="€",
    population=forfait_months,
    visible=_forfait_months_visible,
    breakdowns=(Breakdown("month", "Mois", lambda p: "month", labels=_month_labels),),
    compute=forfait_value,
    extras=_envelope,
)

INDICATORS = [V2_01A, V2_01B, V2_01C, V2_02, V2_03, V2_04, V2_08, F_02]
