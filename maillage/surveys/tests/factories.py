from maillage.surveys import services
from maillage.surveys.models import Question, Questionnaire

#: A small questionnaire: a scale (required; four points), a single choice, yes / no, a comment.
QUESTIONS = [
    (Question.Kind.SCALE, "Êtes-vous satisfait de la séance ?", [], True),
    (Question.Kind.CHOICE, "Comment avez-vous connu l'action ?",
     ["Par le CRT", "Par un professionnel", "Autrement"], False),
    (Question.Kind.YES_NO, "Reviendriez-vous ?", [], False),
    (Question.Kind.COMMENT, "Un commentaire ?", [], False),
]


def questionnaire(crt, *, title=None, usage=Questionnaire.Usage.SESSION,
                  audience=Questionnaire.Audience.EVERYONE, questions=QUESTIONS, points=4):
    """``points=5``: its scales on the former five-point scale (a questionnaire answered before
    the four-point scale)."""
    questions = [(*q, points) if q[0] == Question.Kind.SCALE and len(q) == 4 else q
                 for q in questions]
    if title is None:
        title = "Satisfaction séance"
        taken = Questionnaire.objects.filter(crt=crt, title__startswith=title).count()
        if taken:
            title = f"{title} n° {taken + 1}"
    return services.questionnaire_create(actor=None, crt=crt, title=title, audience=audience,
                                         usage=usage, intro="", is_active=True,
                                         questions=questions)


def collection(crt, *, q=None, codes=3, subject="s1", group_key="", group_label="",
               category_key="", category_label="", kind="outreach.session"):
    q = q or questionnaire(crt)
    return services.collection_open(
        actor=None, crt=crt, questionnaire=q, subject_kind=kind, subject_public_id=subject,
        subject_label=f"Séance {subject}", group_key=group_key, group_label=group_label,
        category_key=category_key, category_label=category_label, codes=codes)


def values(c, scale=None, choice=None, yes=None, comment=None) -> dict:
    qs = list(c.questionnaire.questions.order_by("position"))
    data = {}
    for q, v in zip(qs, (scale, choice, yes, comment), strict=False):
        if v is not None:
            data[str(q.public_id)] = v
    return data


def answer(c, **kwargs):
    code = c.codes.filter(used_at__isnull=True).order_by("id").first()
    if code is None:
        code = services.codes_add(actor=None, collection=c, count=1)[0]
    return services.response_submit(code=code.code, values=values(c, **kwargs))


def question_kwargs(crt) -> dict:
    q = questionnaire(crt)
    return {"public_id": q.public_id, "item_id": q.questions.first().public_id}


def answered_collection(crt):
    """A collection with one answer holding a comment (shown to the roles allowed)."""
    c = collection(crt, codes=2)
    answer(c, scale=4, comment="Très bon accueil")
    return c
