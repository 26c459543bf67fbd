"""Demo data of the satisfaction questionnaires: every CRT has the default questionnaires; the
first CRT (Anjou Bleu) ran its yearly volet 2 survey last year (closed, all three audiences
answered) and has this year's open with the first answers. The volet 1 demo adds the answers of
its sessions through ``demo_responses_add``. Draws come from the seeded ``rng``; dates from the
demo clock."""

from datetime import date, timedelta

from django.db.models import Count, Q

from maillage.core.demo import DemoContext
from maillage.core.models import Membership
from maillage.core.roles import Role

from . import services
from .defaults import default_questionnaires_install
from .models import Collection, Question, Questionnaire, Response
from .yearly import YEARLY_KIND, yearly_survey_open

#: How satisfied a respondent is overall, on the four-point scale of the default questionnaires
#: (mostly satisfied, as in the CRTs' real surveys).
MOODS = [4] * 38 + [3] * 45 + [2] * 13 + [1] * 4

COMMENTS = {
    Questionnaire.Usage.SESSION: [
        "Très bon moment, l'animatrice explique bien.",
        "Les exercices d'équilibre étaient adaptés, je vais les refaire chez moi.",
        "Un peu trop de monde dans la salle, on entendait mal.",
        "Merci pour le transport, sans cela je ne serais pas venue.",
        "J'aurais aimé une séance de plus.",
        "Intéressant, mais la séance était un peu longue.",
        "Bravo pour l'accueil et le café !",
        "Pouvez-vous refaire cet atelier au printemps ?",
    ],
    Questionnaire.Audience.BENEFICIARIES: [
        "Les soignants sont très gentils et à l'écoute.",
        "Je me sens moins seule depuis que l'équipe passe.",
        "Les horaires de passage changent trop souvent.",
        "Le téléphone de nuit me rassure beaucoup.",
        "Rien à redire, merci à toute l'équipe.",
    ],
    Questionnaire.Audience.CAREGIVERS: [
        "Je peux enfin souffler un peu le week-end.",
        "J'aimerais être prévenue quand un passage est annulé.",
        "Le cahier de liaison m'aide à savoir ce qui a été fait.",
        "La chambre d'urgence nous a sauvés quand j'ai été hospitalisée.",
        "Plus de temps avec la psychologue serait bienvenu.",
    ],
    Questionnaire.Audience.PROFESSIONALS: [
        "Coordination efficace, les alertes arrivent vite.",
        "Il faudrait un interlocuteur unique par patient.",
        "Les réunions de coordination sont utiles mais trop longues.",
        "Bonne réactivité de l'IDEC.",
    ],
}


def _comments_for(questionnaire: Questionnaire) -> list[str]:
    if questionnaire.usage == Questionnaire.Usage.SESSION:
        return COMMENTS[Questionnaire.Usage.SESSION]
    return COMMENTS.get(questionnaire.audience, COMMENTS[Questionnaire.Usage.SESSION])


def _values(questions: list[Question], comments: list[str], rng) -> dict:
    mood = rng.choice(MOODS)
    values = {}
    for q in questions:
        if q.kind == Question.Kind.SCALE:
            values[str(q.public_id)] = max(1, min(q.points,
                                                  mood + rng.choice([-1, 0, 0, 0, 0, 1])))
        elif q.kind == Question.Kind.CHOICE:
            if rng.random() < 0.9:  # some leave it blank
                weights = [len(q.choices) - i for i in range(len(q.choices))]
                values[str(q.public_id)] = rng.choices(range(len(q.choices)), weights)[0]
        elif q.kind == Question.Kind.YES_NO:
            if rng.random() < 0.9:
                values[str(q.public_id)] = "oui" if rng.random() < 0.55 + mood * 0.1 else "non"
        elif rng.random() < 0.3:
            values[str(q.public_id)] = rng.choice(comments)
    return values


def demo_responses_add(*, collection: Collection, rng, count: int, actor=None,
                       paper_share: float = 0.4) -> list[Response]:
    """Add ``count`` realistic answers to ``collection`` (for the demos: volet 1 sessions, the
    yearly survey), each with one of its unused codes (codes are added when missing): online,
    or — a share ``paper_share`` of them when ``actor`` is given — typed from paper by
    ``actor``. Dated by the demo clock: call it inside ``ctx.at(day)``."""
    questions = list(collection.questionnaire.questions.order_by("position"))
    comments = _comments_for(collection.questionnaire)
    free = list(collection.codes.filter(used_at__isnull=True).order_by("id"))
    if len(free) < count:
        free += services.codes_add(actor=actor, collection=collection,
                                   count=count - len(free))
    made = []
    for code in free[:count]:
        values = _values(questions, comments, rng)
        if not values:
            values = {str(questions[0].public_id): rng.choice(MOODS)}
        if actor is not None and rng.random() < paper_share:
            made.append(services.response_record_paper(
                actor=actor, collection=collection, code=code.code, values=values))
        else:
            made.append(services.response_submit(code=code.code, values=values))
    return made


def _coordinator(crt):
    return Membership.objects.filter(crt=crt, roles__role=Role.COORDINATOR).select_related(
        "user").order_by("pk").first().user


def _yearly(ctx: DemoContext, crt, coordinator, year: int, opened: date, answers: dict,
            codes: dict, close: bool) -> None:
    with ctx.at(opened):
        yearly_survey_open(actor=coordinator, crt=crt, year=year, counts=codes,
                           opened_on=opened)
    for collection in Collection.objects.filter(
            crt=crt, subject_kind=YEARLY_KIND, subject_public_id=str(year)).order_by("id"):
        wanted = answers[collection.category_key]
        for i in range(wanted):  # answers come back over the following weeks
            day = min(opened + timedelta(days=3 + i * 40 // max(wanted, 1)), ctx.today)
            with ctx.at(ctx.day_at(day, 9 + i % 8)):
                demo_responses_add(collection=collection, rng=ctx.rng, count=1,
                                   actor=coordinator, paper_share=0.5)
        if close:
            with ctx.at(opened + timedelta(days=60)):
                services.collection_set_open(actor=coordinator, collection=collection,
                                             version=collection.version, is_open=False)


def load(ctx: DemoContext) -> None:
    for key, crt in ctx.crts.items():
        coordinator = _coordinator(crt)
        with ctx.at(ctx.history_start):
            default_questionnaires_install(actor=coordinator, crt=crt)
        if key != "anjou_bleu":
            continue
        scale = max(1, ctx.scale)
        last_year = ctx.today.year - 1
        # Last autumn (within the demo's history, which starts about 14 months ago).
        last = max(date(last_year, 10, 1), ctx.history_start + timedelta(days=7))
        if last.year == last_year:
            _yearly(ctx, crt, coordinator, last_year, last,
                    answers={"beneficiaries": 24 * scale, "caregivers": 15 * scale,
                             "professionals": 11 * scale},
                    codes={"beneficiaries": 40 * scale, "caregivers": 30 * scale,
                           "professionals": 20 * scale}, close=True)
        this = max(ctx.today - timedelta(days=20), date(ctx.today.year, 1, 1))
        _yearly(ctx, crt, coordinator, ctx.today.year, this,
                answers={"beneficiaries": 6 * scale, "caregivers": 4 * scale,
                         "professionals": 3 * scale},
                codes={"beneficiaries": 40 * scale, "caregivers": 30 * scale,
                       "professionals": 20 * scale}, close=False)


def summary(ctx: DemoContext) -> str:
    """The progress line of this step."""
    crts = list(ctx.crts.values())
    counts = Collection.objects.filter(crt__in=crts).aggregate(
        collections=Count("id", distinct=True),
        responses=Count("responses", filter=Q(responses__isnull=False)))
    return (f"Questionnaires de satisfaction… "
            f"{Questionnaire.objects.filter(crt__in=crts).count()} questionnaires, "
            f"{counts['collections']} collectes, {counts['responses']} réponses")
