"""Reads of the satisfaction questionnaires, filtered by tenant and by the access policy.

Results are computed by the database: one aggregate query per question kind (counts, mean and
distribution of the scales; counts of each option; yes / no), grouped by collection, by the
caller's grouping key or category, whatever the number of answers. Comments (free text) only
for the roles holding ``survey.comments``, their read audited."""

from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Count, IntegerField, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce

from maillage.core.audit import audit_log
from maillage.core.indicators import share

from .access import can_read_comments, collections_visible, questionnaires_visible
from .models import (
    GRADES,
    Answer,
    AnswerCode,
    Collection,
    Question,
    Questionnaire,
    Respondent,
    Response,
    satisfied_grades,
    satisfied_q,
)

#: Comments listed per group (the latest first).
COMMENTS_SHOWN = 100

#: What results can be grouped by: one group in all, each collection, the caller's keys.
GROUP_FIELDS = {"all": None, "collection": ("collection_id", None),
                "group": ("group_key", "group_label"),
                "category": ("category_key", "category_label")}


@dataclass
class Bar:
    label: str
    count: int
    percent: int


@dataclass
class QuestionResult:
    question: Question
    count: int = 0
    mean: float | None = None
    bars: list[Bar] = field(default_factory=list)
    comments: list[str] = field(default_factory=list)
    #: Scales: answers graded « satisfait » or « très satisfait » (the top two grades of the
    #: question's scale), and the same per respondent [(label, answers, % satisfied)].
    satisfied: int = 0
    by_respondent: list[tuple[str, int, int]] = field(default_factory=list)

    @property
    def mean_label(self) -> str:
        """« 3,2 / 4 »: the mean grade over the question's scale."""
        return _mean_label(self.mean, self.question.points)

    @property
    def satisfied_percent(self) -> int:
        return _percent(self.satisfied, self.count)


@dataclass
class Headline:
    """The headline figure of a group: the answers to the satisfaction question (the first
    scale question) of each questionnaire its collections used — several when a questionnaire
    was replaced by a new version during the period, possibly on another scale. Satisfied: the
    top two grades of each question's own scale; a mean only when they share one scale."""

    questions: list[QuestionResult]

    @property
    def question(self) -> Question:
        return self.questions[0].question

    @property
    def count(self) -> int:
        return sum(r.count for r in self.questions)

    @property
    def satisfied(self) -> int:
        return sum(r.satisfied for r in self.questions)

    @property
    def satisfied_percent(self) -> int:
        return _percent(self.satisfied, self.count)

    @property
    def points(self) -> list[int]:
        return sorted({r.question.points for r in self.questions})

    @property
    def satisfied_grades(self) -> str:
        """« 3 ou 4 sur 4 », « 4 ou 5 sur 5 », or both on a mix."""
        return " ; ".join(satisfied_grades(p) for p in self.points)

    @property
    def mean(self) -> float | None:
        """The mean grade; None on a mix of scales (a mean of both would mean nothing)."""
        if len(self.points) != 1 or not self.count:
            return None
        return sum(r.mean * r.count for r in self.questions) / self.count

    @property
    def mean_label(self) -> str:
        return _mean_label(self.mean, self.points[0] if len(self.points) == 1 else None)

    @property
    def satisfied_share(self) -> Decimal | None:
        """The share satisfied in %, one decimal: as the indicators V1-09, V2-14b to V2-16
        give it (``core.indicators.share``)."""
        return share(self.satisfied, self.count)


def overall(groups: list["GroupResult"]) -> Headline | None:
    """The headline figure of all the groups together (the groups share no collection): the
    satisfaction question's answers of every group, None without any."""
    answered = [r for g in groups if g.satisfaction for r in g.satisfaction.questions]
    return Headline(answered) if answered else None


@dataclass
class GroupResult:
    key: str
    label: str
    responses: int = 0
    collections: int = 0
    codes: int = 0
    questions: list[QuestionResult] = field(default_factory=list)

    @property
    def response_rate(self) -> int | None:
        """Answers ÷ codes handed out, in % (None without codes: paper answers only)."""
        return _percent(self.responses, self.codes) if self.codes else None

    @property
    def satisfaction(self) -> Headline | None:
        """The headline figure: the first scale question of each questionnaire, when answered
        (the question indicators V1-09 and V2-14b to V2-16 count)."""
        first: dict[int, QuestionResult] = {}
        for r in self.questions:  # in questionnaire order, then by position
            if r.question.kind == Question.Kind.SCALE:
                first.setdefault(r.question.questionnaire_id, r)
        answered = [r for r in first.values() if r.count]
        return Headline(answered) if answered else None


def questionnaires(*, crt, user, roles) -> QuerySet[Questionnaire]:
    return (questionnaires_visible(crt=crt, user=user, roles=roles)
            .annotate(n_questions=_count_of(Question, "questionnaire"),
                      n_responses=_count_of(Response, "collection__questionnaire"))
            .order_by("-is_active", "usage", "audience", "title"))


def active_questionnaire(*, crt, usage: str, audience: str | None = None) -> Questionnaire | None:
    """The questionnaire in service for a use (and audience): the most recent one."""
    qs = Questionnaire.objects.filter(crt=crt, usage=usage, is_active=True)
    if audience:
        qs = qs.filter(audience=audience)
    return qs.order_by("-created_at", "-id").first()


def collections(*, crt, user, roles, subject_kind: str | None = None) -> QuerySet[Collection]:
    qs = collections_visible(crt=crt, user=user, roles=roles).select_related("questionnaire")
    if subject_kind:
        qs = qs.filter(subject_kind=subject_kind)
    # Two correlated counts rather than two joins (codes × responses rows per collection).
    return qs.annotate(
        n_codes=_count_of(AnswerCode, "collection"),
        n_responses=_count_of(Response, "collection"),
    ).order_by("-opened_on", "-id")


def _count_of(model, link: str):
    """The number of ``model`` rows whose ``link`` is the outer row (a correlated subquery)."""
    rows = (model.objects.filter(**{link: OuterRef("pk")}).order_by()
            .values(link).annotate(n=Count("id")).values("n"))
    return Coalesce(Subquery(rows, output_field=IntegerField()), 0)


def collection_for_subject(*, crt, subject_kind: str, subject_public_id,
                           questionnaire: Questionnaire | None = None) -> Collection | None:
    """The collection opened for a subject (the first one, or that of ``questionnaire``)."""
    qs = Collection.objects.filter(crt=crt, subject_kind=subject_kind,
                                   subject_public_id=str(subject_public_id))
    if questionnaire is not None:
        qs = qs.filter(questionnaire=questionnaire)
    return qs.select_related("questionnaire").order_by("id").first()


def codes(*, collection: Collection, unused_only: bool = False) -> QuerySet[AnswerCode]:
    qs = AnswerCode.objects.filter(collection=collection)
    if unused_only:
        qs = qs.filter(used_at__isnull=True)
    return qs.order_by("id")


def _mean_label(mean: float | None, points: int | None) -> str:
    return "—" if mean is None else f"{mean:.1f}".replace(".", ",") + f" / {points}"


def _percent(part: int, whole: int) -> int:
    """A whole percentage, half up as the indicators round (12,5 % is 13 %, not Python's
    round-half-to-even 12 %)."""
    return (200 * part + whole) // (2 * whole) if whole else 0


def results(*, collections_qs: QuerySet[Collection], group_by: str = "all",
            with_comments: bool = False) -> list[GroupResult]:
    """Results of the given collections, grouped (``GROUP_FIELDS``): eight queries in all."""
    key_field, label_field = GROUP_FIELDS[group_by] or (None, None)
    ids = list(collections_qs.values_list("pk", flat=True))
    info = list(Collection.objects.filter(pk__in=ids).values(
        "pk", "subject_label", "group_key", "group_label", "category_key", "category_label",
        "questionnaire_id"))

    def key_of(row) -> str:
        return str(row[key_field]) if key_field else ""

    groups: dict[str, GroupResult] = {}
    group_of_collection = {}
    #: The questionnaires of each group's collections: a group shows their questions only
    #: (the annual survey's three audiences each have their own).
    questionnaires: dict[str, set[int]] = defaultdict(set)
    for row in info:
        row["collection_id"] = row["pk"]
        key = key_of(row)
        label = (row["subject_label"] if group_by == "collection"
                 else row[label_field] if label_field else "Ensemble")
        group = groups.setdefault(key, GroupResult(key=key, label=label or "Sans regroupement"))
        group.collections += 1
        group_of_collection[row["pk"]] = key
        questionnaires[key].add(row["questionnaire_id"])
    if not groups:
        return []
    answers = Answer.objects.filter(response__collection_id__in=ids)
    col = "response__collection_id"
    responses = defaultdict(int)
    for row in (Response.objects.filter(collection_id__in=ids).values("collection_id")
                .annotate(n=Count("id"))):
        responses[group_of_collection[row["collection_id"]]] += row["n"]
    codes_handed = defaultdict(int)
    for row in (AnswerCode.objects.filter(collection_id__in=ids).values("collection_id")
                .annotate(n=Count("id"))):
        codes_handed[group_of_collection[row["collection_id"]]] += row["n"]
    questions = list(Question.objects.filter(questionnaire__collections__in=ids).distinct()
                     .select_related("questionnaire")
                     .order_by("questionnaire__title", "questionnaire_id", "position"))
    cells: dict[tuple[str, int], QuestionResult] = {}
    for group in groups.values():
        group.responses = responses[group.key]
        group.codes = codes_handed[group.key]
        for q in questions:
            if q.questionnaire_id not in questionnaires[group.key]:
                continue
            cells[(group.key, q.pk)] = result = QuestionResult(q)
            group.questions.append(result)
    # Scales: the count of each grade per collection and question (summed per group; the count
    # and the mean follow exactly from the grade counts).
    per_grade = {f"g{g}": Count("id", filter=Q(scale=g)) for g in GRADES}
    grades: dict[tuple[str, int], dict[int, int]] = defaultdict(lambda: defaultdict(int))
    for row in (answers.filter(question__kind=Question.Kind.SCALE, scale__isnull=False)
                .values(col, "question_id").annotate(**per_grade)):
        cell = (group_of_collection[row[col]], row["question_id"])
        for g in GRADES:
            grades[cell][g] += row[f"g{g}"]
    for cell, counts in grades.items():
        result = cells[cell]
        result.count = sum(counts.values())
        result.mean = sum(g * n for g, n in counts.items()) / result.count
    by_respondent: dict[tuple[str, int], dict[str, list[int]]] = defaultdict(
        lambda: defaultdict(lambda: [0, 0]))
    for row in (answers.filter(question__kind=Question.Kind.SCALE, scale__isnull=False)
                .values(col, "question_id", "response__respondent")
                .annotate(n=Count("id"), ok=Count("id", filter=satisfied_q()))):
        cell = by_respondent[(group_of_collection[row[col]], row["question_id"])]
        cell[row["response__respondent"]][0] += row["n"]
        cell[row["response__respondent"]][1] += row["ok"]
    labels = dict(Respondent.choices)
    for group in groups.values():
        for result in group.questions:
            q = result.question
            if q.kind == Question.Kind.SCALE:
                counts = grades.get((group.key, q.pk), {})
                result.bars = [Bar(f"{g} — {label}", counts.get(g, 0),
                                   _percent(counts.get(g, 0), result.count))
                               for g, label in q.scale_labels.items()]
                result.satisfied = sum(n for g, n in counts.items() if g >= q.satisfied_from)
                split = by_respondent.get((group.key, q.pk), {})
                result.by_respondent = [(labels[r], split[r][0], _percent(split[r][1],
                                                                         split[r][0]))
                                        for r in Respondent.values if r in split]
    # Single choices and yes / no: counts of each value.
    tallies: dict[tuple[str, int], dict] = defaultdict(lambda: defaultdict(int))
    for row in (answers.filter(question__kind__in=[Question.Kind.CHOICE, Question.Kind.YES_NO])
                .values(col, "question_id", "choice", "yes").annotate(n=Count("id"))):
        value = row["choice"] if row["choice"] is not None else row["yes"]
        tallies[(group_of_collection[row[col]], row["question_id"])][value] += row["n"]
    for group in groups.values():
        for result in group.questions:
            q = result.question
            counts = tallies.get((group.key, q.pk), {})
            if q.kind == Question.Kind.CHOICE:
                options = list(enumerate(q.choices))
            elif q.kind == Question.Kind.YES_NO:
                options = [(True, "Oui"), (False, "Non")]
            else:
                continue
            result.count = sum(counts.values())
            result.bars = [Bar(label, counts.get(value, 0),
                               _percent(counts.get(value, 0), result.count))
                           for value, label in options]
    # Comments: counted for everyone; their text for the allowed roles only.
    for row in (answers.filter(question__kind=Question.Kind.COMMENT).exclude(text="")
                .values(col, "question_id").annotate(n=Count("id"))):
        cells[(group_of_collection[row[col]], row["question_id"])].count += row["n"]
    if with_comments:
        for group in groups.values():
            members = [pk for pk, key in group_of_collection.items() if key == group.key]
            rows = (answers.filter(question__kind=Question.Kind.COMMENT,
                                   response__collection_id__in=members).exclude(text="")
                    .order_by("-response__created_at", "-id")
                    .values_list("question_id", "text")[:COMMENTS_SHOWN])
            for question_id, text in rows:
                cells[(group.key, question_id)].comments.append(text)
    return sorted(groups.values(), key=lambda g: (g.label.lower(), g.key))


def results_for(*, crt, user, roles, subject_kind: str, group_by: str = "group",
                keys=None, subject_ids=None, with_comments: bool = False,
                period=None) -> list[GroupResult]:
    """Results of the collections of ``subject_kind`` in ``crt`` that ``user`` may read,
    grouped by ``group_by`` ("group": the caller's ``group_key``, e.g. a volet 1 action;
    "category": ``category_key``, e.g. its field; "collection"; "all"), restricted to the
    given ``keys`` of that grouping and / or ``subject_ids``, and to the collections opened
    in ``period`` (a ``core.indicators.Period``: as the satisfaction indicators count them).
    Comments are included only when asked and allowed (``survey.comments``); that read is
    audited. Nothing for other roles."""
    qs = collections_visible(crt=crt, user=user, roles=roles).filter(subject_kind=subject_kind)
    if period is not None:
        qs = qs.filter(opened_on__gte=period.start, opened_on__lte=period.end)
    if keys is not None:
        key_field = {"group": "group_key", "category": "category_key",
                     "collection": "public_id"}.get(group_by)
        if key_field:
            qs = qs.filter(**{f"{key_field}__in": [str(k) for k in keys]})
    if subject_ids is not None:
        qs = qs.filter(subject_public_id__in=[str(s) for s in subject_ids])
    comments = with_comments and can_read_comments(user=user, roles=roles)
    found = results(collections_qs=qs, group_by=group_by, with_comments=comments)
    if comments and any(r.comments for g in found for r in g.questions):
        audit_comments_read(actor=user, crt=crt, label=f"Commentaires — {subject_kind}")
    return found


def audit_comments_read(*, actor, crt, label: str, collection: Collection | None = None) -> None:
    audit_log(actor=actor, action="survey_comments.viewed", crt=crt, obj=collection,
              object_type="" if collection else "surveys.collection",
              object_label="" if collection else label[:200])
