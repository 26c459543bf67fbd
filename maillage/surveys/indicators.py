"""The satisfaction indicators (INDICATORS §2.3) of the yearly volet 2 survey (``yearly.py``):
V2-14b (the « service rendu » item), V2-15 (beneficiaries and caregivers), V2-16
(professionals); and the building blocks of V1-09, which ``outreach`` declares for the
questionnaires of its sessions (``surveys`` imports no other domain app).

A satisfaction indicator counts **responses**: its population is the answers to the headline
question of each questionnaire (its first « échelle » question, the one the results pages put
first), of the collections opened in the period. Its value is the share of those graded
« satisfait » or « très satisfait » — the top two grades of the question's own scale: 3 or 4 on
the four-point scale the ARS asks for, 4 or 5 on the five-point scale of the questions asked
before (``Question.points``, ``models.satisfied_q``) — in %; beside it the response rate
(responses ÷ codes handed out), overall and per respondent. All counted by the database."""

from decimal import Decimal

from django.db.models import Case, Count, OuterRef, QuerySet, Subquery, Value, When

from maillage.core.indicators import Breakdown, Extra, Indicator, Period, quantize, share_of

from .access import answers_visible
from .models import (
    SCALES,
    Answer,
    AnswerCode,
    Collection,
    Question,
    Respondent,
    Response,
    satisfied_grades,
    satisfied_q,
)
from .yearly import AUDIENCES, YEARLY_KIND

#: Which grades count, on each scale (fixed labels: the regional views put the CRTs' rows
#: side by side by label).
SATISFIED_RULE = " ; ".join(satisfied_grades(p) for p in SCALES)
SATISFIED_LABELS = {"yes": f"Satisfait ou très satisfait ({SATISFIED_RULE})",
                    "no": "Pas satisfait (1 ou 2 sur 4 ; 1 à 3 sur 5)"}
SCALE_BREAKDOWN_LABELS = {4: "Échelle en 4 points (satisfait : 3 ou 4)",
                          5: "Ancienne échelle en 5 points (satisfait : 4 ou 5)"}

RULE = (
    "Part des réponses « satisfait » ou « très satisfait » à la question d'ensemble du "
    "questionnaire (sa première question à échelle) : 3 ou 4 sur l'échelle en quatre points "
    "(pas du tout, peu, satisfait, très satisfait) ; pour les questions posées auparavant sur "
    "cinq points, dont les réponses gardent leur sens, 4 ou 5 sur 5. Sont comptées les "
    "réponses qui la notent, pour les collectes ouvertes dans la période (date d'ouverture ; "
    "les réponses arrivées depuis comptent). Taux de réponse : réponses reçues ÷ codes remis "
    "pour ces collectes. Les réponses sont anonymes : une personne n'est pas reconnue d'une "
    "réponse à l'autre. "
)


def collections_in(crt, period: Period, subject_kind: str, **filters) -> QuerySet[Collection]:
    return Collection.objects.filter(crt=crt, subject_kind=subject_kind,
                                     opened_on__gte=period.start, opened_on__lte=period.end,
                                     **filters)


def headline_answers(collections: QuerySet[Collection]) -> QuerySet[Answer]:
    """The grades given to the headline question (the first scale question of the
    questionnaire) in the responses to ``collections``."""
    first_scale = Question.objects.filter(
        questionnaire=OuterRef("question__questionnaire"), kind=Question.Kind.SCALE
    ).order_by("position").values("pk")[:1]
    return Answer.objects.filter(response__collection__in=collections.values("pk"),
                                 scale__isnull=False, question_id=Subquery(first_scale))


def satisfied_count(population):
    """``numerator``: the responses graded « satisfait » or « très satisfait »."""
    def numerator(*, crt, period: Period) -> int:
        return population(crt, period).filter(satisfied_q()).order_by().aggregate(
            n=Count("response", distinct=True))["n"]
    return numerator


def _rate(responses: int, codes: int) -> Decimal | None:
    return quantize(Decimal(100) * responses / codes, "0.1") if codes else None


def response_rates(collections):
    """``extras``: responses, codes handed out and the response rate, overall and per
    respondent (two grouped queries)."""
    def extras(*, crt, period: Period, population) -> list[Extra]:
        ids = collections(crt, period).values("pk")
        codes = dict(AnswerCode.objects.filter(collection__in=ids).order_by()
                     .values_list("respondent").annotate(n=Count("pk")))
        responses = dict(Response.objects.filter(collection__in=ids).order_by()
                         .values_list("respondent").annotate(n=Count("pk")))
        graded = population.order_by().aggregate(
            n=Count("response", distinct=True),
            satisfied=Count("response", distinct=True, filter=satisfied_q()))
        satisfied = graded["satisfied"]
        total_codes, total_responses = sum(codes.values()), sum(responses.values())
        # ``over`` / ``part``: outside the CRT, a count whose rest is 1 to 4 (the unsatisfied,
        # the codes not answered) is hidden like that rest (INDICATORS §5).
        rows = [
            Extra(f"Réponses satisfaites ({SATISFIED_RULE})", satisfied, "réponses",
                  over=graded["n"], part=satisfied),
            Extra("Réponses reçues", total_responses, "réponses",
                  over=total_codes, part=total_responses),
            Extra("Codes remis", total_codes, "codes"),
            Extra("Taux de réponse", _rate(total_responses, total_codes), "%",
                  over=total_codes, part=total_responses),
        ]
        for value, label in Respondent.choices:
            if codes.get(value) or responses.get(value):
                rows.append(Extra(f"Taux de réponse — {label.lower()}",
                                  _rate(responses.get(value, 0), codes.get(value, 0)), "%",
                                  over=codes.get(value, 0), part=responses.get(value, 0)))
        return rows
    return extras


def satisfied_breakdown() -> Breakdown:
    return Breakdown("satisfied", "Satisfaction", lambda p: Case(
        When(satisfied_q(), then=Value("yes")), default=Value("no")),
        labels=SATISFIED_LABELS)


#: The scale of the question answered: a period may mix the four-point questionnaires and the
#: five-point ones they replaced.
SCALE_BREAKDOWN = Breakdown(
    "scale", "Échelle de la question", lambda p: "question__points",
    labels=SCALE_BREAKDOWN_LABELS,
    note="Les réponses données sur l'ancienne échelle en cinq points gardent leur sens.")


RESPONDENT_BREAKDOWN = Breakdown(
    "respondent", "Répondant", lambda p: "response__respondent",
    labels={**{v: label for v, label in Respondent.choices if v}, "": "Non précisé"},
    note="Le public du code remis (ou indiqué à la saisie d'une réponse papier).")


def satisfaction_indicator(*, code: str, name: str, definition: str, collections,
                           breakdowns=()) -> Indicator:
    """A satisfaction indicator over the collections ``collections(crt, period)``."""
    def population(crt, period: Period) -> QuerySet[Answer]:
        return headline_answers(collections(crt, period)).filter(crt=crt)

    return Indicator(
        code=code, name=name, definition=RULE + definition, unit="% de satisfaits",
        population=population, visible=answers_visible, counted="response",
        breakdowns=(satisfied_breakdown(), *breakdowns, SCALE_BREAKDOWN),
        numerator=(satisfied := satisfied_count(population)),
        compute=share_of(satisfied), extras=response_rates(collections),
        additive=False,
    )


# --- The yearly volet 2 survey ---------------------------------------------------------------

AUDIENCE_LABELS = {field: audience.label for field, audience in AUDIENCES.items()}
AUDIENCE_BREAKDOWN = Breakdown("audience", "Public de l'enquête",
                               lambda p: "response__collection__category_key",
                               labels=AUDIENCE_LABELS)


def yearly(*audiences: str):
    def collections(crt, period: Period) -> QuerySet[Collection]:
        return collections_in(crt, period, YEARLY_KIND, category_key__in=audiences)
    return collections


V2_14B = satisfaction_indicator(
    code="V2-14b",
    name="Satisfaction du service rendu — enquête annuelle",
    definition=(
        "Règle Maillage : l'item « service rendu » est la question d'ensemble de chacun des "
        "trois questionnaires de l'enquête annuelle du volet 2 (bénéficiaires, aidants, "
        "professionnels partenaires), tous publics réunis ; V2-15 et V2-16 en donnent le "
        "détail par public. La part (a), objectifs du plan atteints, est un autre indicateur."),
    collections=yearly(*AUDIENCES),
    breakdowns=(AUDIENCE_BREAKDOWN,),
)

V2_15 = satisfaction_indicator(
    code="V2-15",
    name="Satisfaction des bénéficiaires / aidants",
    definition=(
        "Réponses des bénéficiaires et des aidants à l'enquête annuelle du volet 2 (au moins "
        "un questionnaire par personne et par an : autant de codes remis que de personnes)."),
    collections=yearly("beneficiaries", "caregivers"),
    breakdowns=(AUDIENCE_BREAKDOWN,),
)

V2_16 = satisfaction_indicator(
    code="V2-16",
    name="Satisfaction des professionnels",
    definition=(
        "Réponses des professionnels à l'enquête annuelle du volet 2. Les réponses étant "
        "anonymes, elles ne disent pas si le professionnel est de l'équipe du CRT ou d'un "
        "partenaire, ni le type de structure : pas de ventilation par type de partenaire."),
    collections=yearly("professionals"),
)

INDICATORS = [V2_14B, V2_15, V2_16]
