"""Writes of the satisfaction questionnaires.

Rules:
- **An answered questionnaire keeps its questions.** Once a questionnaire has one answer, its
  existing questions are frozen — wording, type, options, order, deletion — because the answers
  refer to them and the results put them side by side. Its title, welcome text and status stay
  editable, and new *optional* questions may still be added at the end (older answers simply
  have none). To change more, ``questionnaire_duplicate`` copies it into a new questionnaire
  (a new version, without answers) and takes the old one out of service.
- **One answer per code.** The code's row is locked (``select_for_update``) and the response's
  link to the code is unique in the database: two submissions of one code store one response,
  the other is refused with a clear message.
- Answers are anonymous: nothing about the respondent is stored (no account, no IP address, no
  link to a file), and an answer sent online is not written in the audit trail (an event would
  hold the address and the minute). An answer typed by the team is audited (who typed it).
"""

import secrets

from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone

from maillage.core.audit import audit_log
from maillage.core.errors import ConflictError, DomainError
from maillage.core.models import Crt
from maillage.core.versioning import changes, save_versioned, snapshot, validate

from .models import (
    DEFAULT_POINTS,
    Answer,
    AnswerCode,
    Collection,
    Question,
    Questionnaire,
    Respondent,
    Response,
)

QUESTIONNAIRE_FIELDS = ("title", "audience", "usage", "intro", "is_active")
QUESTION_FIELDS = ("kind", "text", "choices", "required")

#: Letters and digits that cannot be mistaken for one another when typed from paper
#: (no 0/O, 1/I/L, 5/S, 2/Z, 8/B, U/V): 23 symbols, 8 of them ≈ 7.8 × 10¹⁰ codes, against
#: a few dozen attempts per hour and address (rate limit of the public page).
CODE_ALPHABET = "34679ACDEFGHJKMNPQRTWXY"
CODE_LENGTH = 8
MAX_CODES = 500  # per request: a printed sheet, not a mailing
EXCLUDE = ["crt", "created_by", "updated_by"]


def _refuse_unknown(fields: dict, allowed) -> None:
    unknown = set(fields) - set(allowed)
    if unknown:
        raise DomainError(f"Champ non modifiable : {', '.join(sorted(unknown))}.")


def normalise_code(typed: str) -> str:
    """A code as typed (spaces, dash, lower case) → its stored form."""
    return "".join(c for c in (typed or "").upper() if c.isalnum())[:CODE_LENGTH + 4]


def has_answers(questionnaire: Questionnaire) -> bool:
    return Response.objects.filter(collection__questionnaire=questionnaire).exists()


# --- Questionnaires and questions ------------------------------------------------------------


def _check_questionnaire(q: Questionnaire) -> None:
    q.title = (q.title or "").strip()
    twin = Questionnaire.objects.filter(crt_id=q.crt_id, title__iexact=q.title).exclude(pk=q.pk)
    if q.title and twin.exists():
        raise DomainError("Un questionnaire porte déjà ce titre.", field="title")
    validate(q, exclude=EXCLUDE)


@transaction.atomic
def questionnaire_create(*, actor, crt: Crt, questions=(), **fields) -> Questionnaire:
    """``questions``: optional ``(kind, text, choices, required)`` tuples added in order, or
    ``(kind, text, choices, required, points)`` for a scale on other than four points."""
    _refuse_unknown(fields, QUESTIONNAIRE_FIELDS)
    q = Questionnaire(crt=crt, created_by=actor, updated_by=actor, **fields)
    _check_questionnaire(q)
    q.save()
    audit_log(actor=actor, action="questionnaire.created", obj=q)
    for kind, text, choices, required, *points in questions:
        _question_add(actor=actor, questionnaire=q, kind=kind, text=text, choices=choices,
                      required=required, points=points[0] if points else DEFAULT_POINTS)
    return q


@transaction.atomic
def questionnaire_update(*, actor, questionnaire: Questionnaire, version: int,
                         **fields) -> Questionnaire:
    _refuse_unknown(fields, QUESTIONNAIRE_FIELDS)
    if ("audience" in fields and fields["audience"] != questionnaire.audience
            and has_answers(questionnaire)):
        raise DomainError("Ce questionnaire a déjà des réponses : son public ne peut plus "
                          "changer. Créez-en une nouvelle version.", field="audience")
    before = snapshot(questionnaire, QUESTIONNAIRE_FIELDS)
    for field, value in fields.items():
        setattr(questionnaire, field, value)
    _check_questionnaire(questionnaire)
    save_versioned(questionnaire, actor=actor, version=version, fields=QUESTIONNAIRE_FIELDS)
    audit_log(actor=actor, action="questionnaire.updated", obj=questionnaire,
              details=changes(before, questionnaire))
    return questionnaire


def _bump(questionnaire: Questionnaire, actor, version: int | None) -> None:
    """Every change of the questions is a new version of the questionnaire (stale: conflict)."""
    locked = Questionnaire.objects.select_for_update().get(pk=questionnaire.pk)
    if version is not None and locked.version != version:
        raise ConflictError()
    save_versioned(questionnaire, actor=actor, version=locked.version, fields=[])


def _clean_choices(kind: str, choices) -> list[str]:
    if kind != Question.Kind.CHOICE:
        return []
    options = [str(c).strip() for c in (choices or []) if str(c).strip()]
    if len(options) < 2:
        raise DomainError("Un choix unique a deux options au moins (une par ligne).",
                          field="choices")
    if len(options) > 12:
        raise DomainError("Douze options au plus.", field="choices")
    if len({o.lower() for o in options}) != len(options):
        raise DomainError("Deux options portent le même libellé.", field="choices")
    return options


def _refuse_required_if_answered(questionnaire, required) -> None:
    if required and has_answers(questionnaire):
        raise DomainError("Ce questionnaire a déjà des réponses : une nouvelle question ne peut "
                          "être que facultative.", field="required")


def _question_add(*, actor, questionnaire, kind, text, choices, required,
                  points=DEFAULT_POINTS) -> Question:
    position = (questionnaire.questions.aggregate(m=Max("position"))["m"] or 0) + 1
    question = Question(crt_id=questionnaire.crt_id, questionnaire=questionnaire,
                        position=position, kind=kind, text=(text or "").strip(),
                        choices=_clean_choices(kind, choices),
                        required=bool(required) and kind != Question.Kind.COMMENT,
                        points=points, created_by=actor, updated_by=actor)
    validate(question, exclude=EXCLUDE + ["questionnaire"])
    question.save()
    return question


@transaction.atomic
def question_add(*, actor, questionnaire: Questionnaire, version: int | None = None, kind: str,
                 text: str, choices=(), required: bool = False) -> Question:
    _refuse_required_if_answered(questionnaire, required)
    _bump(questionnaire, actor, version)
    question = _question_add(actor=actor, questionnaire=questionnaire, kind=kind, text=text,
                             choices=choices, required=required)
    audit_log(actor=actor, action="survey_question.added", obj=questionnaire,
              details={"question": {"avant": "", "après": question.text}})
    return question


def _refuse_if_answered(questionnaire: Questionnaire, field: str | None = None) -> None:
    if has_answers(questionnaire):
        raise DomainError("Ce questionnaire a déjà des réponses : ses questions ne peuvent plus "
                          "être modifiées ni retirées. Créez-en une nouvelle version.",
                          field=field)


@transaction.atomic
def question_update(*, actor, question: Question, version: int, **fields) -> Question:
    _refuse_unknown(fields, QUESTION_FIELDS)
    questionnaire = question.questionnaire
    _refuse_if_answered(questionnaire, field="text")
    _bump(questionnaire, actor, version)
    before = snapshot(question, ["kind", "text", "required"])
    for field, value in fields.items():
        setattr(question, field, value)
    question.text = (question.text or "").strip()
    question.choices = _clean_choices(question.kind, question.choices)
    if question.kind == Question.Kind.COMMENT:
        question.required = False
    validate(question, exclude=EXCLUDE + ["questionnaire"])
    question.updated_by = actor
    question.save()
    audit_log(actor=actor, action="survey_question.updated", obj=questionnaire,
              details=changes(before, question))
    return question


@transaction.atomic
def question_remove(*, actor, question: Question, version: int) -> None:
    questionnaire = question.questionnaire
    _refuse_if_answered(questionnaire)
    _bump(questionnaire, actor, version)
    text, position = question.text, question.position
    question.delete()
    # Close the gap (positions stay 1..n); one by one, the unique order holding at each step.
    for later in questionnaire.questions.filter(position__gt=position).order_by("position"):
        Question.objects.filter(pk=later.pk).update(position=later.position - 1)
    audit_log(actor=actor, action="survey_question.removed", obj=questionnaire,
              details={"question": {"avant": text, "après": ""}})


@transaction.atomic
def question_move(*, actor, question: Question, version: int, up: bool) -> None:
    questionnaire = question.questionnaire
    _refuse_if_answered(questionnaire)
    _bump(questionnaire, actor, version)
    other = (questionnaire.questions.filter(position__lt=question.position).order_by("-position")
             if up else questionnaire.questions.filter(position__gt=question.position)
             .order_by("position")).first()
    if other is None:
        return
    a, b = question.position, other.position
    Question.objects.filter(pk=question.pk).update(position=0)
    Question.objects.filter(pk=other.pk).update(position=a)
    Question.objects.filter(pk=question.pk).update(position=b)
    question.position = b
    audit_log(actor=actor, action="survey_question.moved", obj=questionnaire)


@transaction.atomic
def questionnaire_duplicate(*, actor, questionnaire: Questionnaire) -> Questionnaire:
    """A new version: same questions, no answers, its satisfaction scales on four points (a
    question asked on the former five-point scale moves to four: the way to the ARS's scale);
    the old one leaves service (its results stay, on their own scale)."""
    base = questionnaire.title
    number = 2
    while Questionnaire.objects.filter(crt_id=questionnaire.crt_id,
                                       title__iexact=f"{base} (v{number})").exists():
        number += 1
    copy = questionnaire_create(
        actor=actor, crt=questionnaire.crt, title=f"{base} (v{number})"[:150],
        audience=questionnaire.audience, usage=questionnaire.usage, intro=questionnaire.intro,
        is_active=True,
        questions=[(q.kind, q.text, q.choices, q.required)
                   for q in questionnaire.questions.order_by("position")])
    if questionnaire.is_active:
        Questionnaire.objects.filter(pk=questionnaire.pk).update(is_active=False)
        questionnaire.is_active = False
    return copy


# --- Collections and codes -------------------------------------------------------------------


def _check_respondent(respondent: str) -> str:
    if (respondent or "") not in Respondent.values:
        raise DomainError("Choisissez à qui les codes sont remis.", field="respondent")
    return respondent or ""


def _new_codes(collection: Collection, count: int, respondent: str = "") -> list[AnswerCode]:
    respondent = _check_respondent(respondent)
    if not 0 <= count <= MAX_CODES:
        raise DomainError(f"Entre 0 et {MAX_CODES} codes à la fois.", field="codes")
    made: list[AnswerCode] = []
    while len(made) < count:
        batch = {"".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))
                 for _ in range(count - len(made))}
        taken = set(AnswerCode.objects.filter(code__in=batch).values_list("code", flat=True))
        made += [AnswerCode(crt_id=collection.crt_id, collection=collection, code=c,
                            respondent=respondent) for c in sorted(batch - taken)]
    AnswerCode.objects.bulk_create(made)
    return made


def _code_counts(codes) -> dict[str, int]:
    """``codes``: a number (codes for anyone) or {respondent: number}."""
    counts = codes if isinstance(codes, dict) else {"": codes or 0}
    return {_check_respondent(str(k)): int(v or 0) for k, v in counts.items()}


@transaction.atomic
def collection_open(*, actor, crt: Crt, subject_kind: str, subject_public_id,
                    subject_label: str, questionnaire: Questionnaire | None = None,
                    usage: str = Questionnaire.Usage.SESSION, group_key: str = "",
                    group_label: str = "", category_key: str = "", category_label: str = "",
                    codes: int | dict = 0, opened_on=None) -> Collection:
    """Open (or return, when it exists) the collection of ``questionnaire`` — by default the
    CRT's questionnaire in service for ``usage`` — for a subject, and add answer codes to it:
    ``codes`` is a number, or {respondent: number} (``Respondent``: "older_person",
    "caregiver", "professional", "" unspecified). Idempotent per (subject, questionnaire)."""
    counts = _code_counts(codes)
    if questionnaire is None:
        from .selectors import active_questionnaire

        questionnaire = active_questionnaire(crt=crt, usage=usage)
        if questionnaire is None:
            raise DomainError("Aucun questionnaire de satisfaction en service pour cet usage : "
                              "installez les questionnaires par défaut.",
                              field="questionnaire")
    if questionnaire.crt_id != crt.pk:
        raise DomainError("Questionnaire inconnu.", field="questionnaire")
    existing = Collection.objects.select_for_update().filter(
        crt=crt, subject_kind=subject_kind, subject_public_id=str(subject_public_id),
        questionnaire=questionnaire).first()
    if existing is not None:
        for respondent, count in counts.items():
            if count:
                codes_add(actor=actor, collection=existing, count=count, respondent=respondent)
        return existing
    if not questionnaire.is_active:
        raise DomainError("Ce questionnaire n'est plus en service.", field="questionnaire")
    if not questionnaire.questions.exists():
        raise DomainError("Ce questionnaire n'a encore aucune question.", field="questionnaire")
    collection = Collection(
        crt=crt, questionnaire=questionnaire, subject_kind=subject_kind,
        subject_public_id=str(subject_public_id), subject_label=(subject_label or "")[:200],
        group_key=str(group_key or ""), group_label=(group_label or "")[:200],
        category_key=str(category_key or ""), category_label=(category_label or "")[:200],
        opened_on=opened_on or timezone.localdate(), created_by=actor, updated_by=actor)
    validate(collection, exclude=EXCLUDE + ["questionnaire"])
    try:
        with transaction.atomic():
            collection.save()
    except IntegrityError as error:  # opened by someone else at the same moment
        raise ConflictError() from error
    for respondent, count in counts.items():
        _new_codes(collection, count, respondent)
    audit_log(actor=actor, action="survey_collection.opened", obj=collection,
              details={"codes": {"avant": "", "après": str(sum(counts.values()))}})
    return collection


@transaction.atomic
def collection_relabel(*, actor, crt: Crt, subject_kind: str, subject_public_id,
                       subject_label: str | None = None, group_label: str | None = None,
                       category_key: str | None = None,
                       category_label: str | None = None) -> int:
    """The subject's labels changed on the caller's side (a session moved, an action renamed or
    given another field): every collection of that subject follows. Returns how many."""
    fields = {k: (v or "")[:200] if k != "category_key" else str(v or "") for k, v in {
        "subject_label": subject_label, "group_label": group_label,
        "category_key": category_key, "category_label": category_label}.items()
        if v is not None}
    if not fields:
        return 0
    changed = 0
    for collection in Collection.objects.select_for_update().filter(
            crt=crt, subject_kind=subject_kind, subject_public_id=str(subject_public_id)):
        before = snapshot(collection, fields)
        for field, value in fields.items():
            setattr(collection, field, value)
        diff = changes(before, collection)
        if diff:
            save_versioned(collection, actor=actor, version=collection.version, fields=fields)
            audit_log(actor=actor, action="survey_collection.relabelled", obj=collection,
                      details=diff)
            changed += 1
    return changed


@transaction.atomic
def codes_add(*, actor, collection: Collection, count: int,
              respondent: str = "") -> list[AnswerCode]:
    if count < 1:
        raise DomainError("Un code au moins.", field="count")
    made = _new_codes(collection, count, respondent)
    audit_log(actor=actor, action="survey_collection.codes_added", obj=collection,
              details={"codes": {"avant": "", "après": str(count)}})
    return made


@transaction.atomic
def collection_set_open(*, actor, collection: Collection, version: int,
                        is_open: bool) -> Collection:
    before = snapshot(collection, ["is_open"])
    collection.is_open = is_open
    save_versioned(collection, actor=actor, version=version, fields=["is_open"])
    audit_log(actor=actor, action="survey_collection.opened_state", obj=collection,
              details=changes(before, collection))
    return collection


# --- Answers ---------------------------------------------------------------------------------


def _answers(questions: list[Question], values: dict) -> list[Answer]:
    """``values``: {question public_id (str) or Question: value} → unsaved answers; refuses
    bad input on the question's field ``q_<public_id>``."""
    by_key = {str(k.public_id) if isinstance(k, Question) else str(k): v
              for k, v in values.items()}
    answers = []
    for q in questions:
        field = f"q_{q.public_id}"
        value = by_key.get(str(q.public_id))
        if value in (None, ""):
            if q.required:
                raise DomainError("Répondez à cette question.", field=field)
            continue
        answer = Answer(crt_id=q.crt_id, question=q)
        if q.kind == Question.Kind.SCALE:
            try:
                answer.scale = int(value)
            except (TypeError, ValueError):
                answer.scale = 0
            if not 1 <= answer.scale <= q.points:  # the question's own scale (4 or 5 points)
                raise DomainError(f"Choisissez une note de 1 à {q.points}.", field=field)
        elif q.kind == Question.Kind.CHOICE:
            try:
                answer.choice = int(value)
            except (TypeError, ValueError):
                answer.choice = -1
            if not 0 <= answer.choice < len(q.choices):
                raise DomainError("Choisissez une des options proposées.", field=field)
        elif q.kind == Question.Kind.YES_NO:
            if value not in (True, False, "oui", "non"):
                raise DomainError("Répondez par oui ou par non.", field=field)
            answer.yes = value in (True, "oui")
        else:
            text = str(value).strip()
            if len(text) > 2000:
                raise DomainError("2 000 caractères au plus.", field=field)
            if not text:
                continue
            answer.text = text
        answers.append(answer)
    if not answers:
        raise DomainError("Répondez à une question au moins.")
    return answers


def _store(*, actor, collection: Collection, code: AnswerCode | None, channel: str,
           values: dict, respondent: str = "") -> Response:
    questions = list(collection.questionnaire.questions.order_by("position"))
    answers = _answers(questions, values)
    response = Response(crt_id=collection.crt_id, collection=collection, code=code,
                        channel=channel, created_by=actor, updated_by=actor,
                        respondent=code.respondent if code is not None else respondent)
    try:
        with transaction.atomic():
            response.save()
    except IntegrityError as error:  # the code's answer was stored in between
        raise DomainError(ALREADY_USED, field="code") from error
    for answer in answers:
        answer.response = response
        answer.created_by = answer.updated_by = actor
    Answer.objects.bulk_create(answers)
    if code is not None:
        AnswerCode.objects.filter(pk=code.pk).update(used_at=timezone.now())
    return response


ALREADY_USED = ("Ce code a déjà servi : une seule réponse par code. Merci, votre avis a bien "
                "été enregistré la première fois.")
UNKNOWN_CODE = "Ce code est inconnu. Vérifiez-le sur votre papier (8 caractères)."
CLOSED = "Ce questionnaire est fermé : il ne reçoit plus de réponses."


def code_for_answer(typed: str) -> AnswerCode:
    """The code a respondent typed or followed, ready to be answered; DomainError else."""
    code = (AnswerCode.objects.select_related("collection__questionnaire", "collection__crt")
            .filter(code=normalise_code(typed)).first())
    if code is None or not code.collection.crt.is_active:
        raise DomainError(UNKNOWN_CODE, field="code")
    if code.used_at is not None:
        raise DomainError(ALREADY_USED, field="code")
    if not code.collection.is_open:
        raise DomainError(CLOSED, field="code")
    return code


@transaction.atomic
def response_submit(*, code: str, values: dict) -> Response:
    """An answer sent online with a code (no account). Anonymous, not audited (see above)."""
    found = code_for_answer(code)
    locked = AnswerCode.objects.select_for_update().get(pk=found.pk)
    if locked.used_at is not None:
        raise DomainError(ALREADY_USED, field="code")
    return _store(actor=None, collection=found.collection, code=locked,
                  channel=Response.Channel.ONLINE, values=values)


@transaction.atomic
def response_record_paper(*, actor, collection: Collection, code: str = "",
                          values: dict, respondent: str = "") -> Response:
    """An answer received on paper, typed by the team; with the code printed on it, if any
    (then that code can no longer be used online, and it says who answered), else with
    ``respondent`` as written on the paper."""
    respondent = _check_respondent(respondent)
    found = None
    if code:
        found = (AnswerCode.objects.select_for_update()
                 .filter(collection=collection, code=normalise_code(code)).first())
        if found is None:
            raise DomainError("Ce code n'appartient pas à cette collecte.", field="code")
        if found.used_at is not None:
            raise DomainError("Ce code a déjà servi : la réponse est déjà enregistrée.",
                              field="code")
    response = _store(actor=actor, collection=collection, code=found,
                      channel=Response.Channel.PAPER, values=values, respondent=respondent)
    audit_log(actor=actor, action="survey_response.typed", obj=collection)
    return response
