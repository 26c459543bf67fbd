"""Satisfaction questionnaires (issue 13, item 2): the questionnaires and their questions, the
collections (one questionnaire put to the people of one subject: a volet 1 session, the yearly
volet 2 survey…), the answer codes handed out, and the answers.

``surveys`` imports no other domain app: a collection names its subject by a kind, a public id
and a label given by the caller (``subject_kind`` "outreach.session", "volet2.yearly"…), plus two
optional grouping keys (``group_key`` — e.g. the volet 1 action — and ``category_key`` — e.g. its
field) so that results can be aggregated per action and per field.

An answer is anonymous: a ``Response`` holds its collection, its code (if any), how it came in
(online, or typed from paper by the team) and when; no person, no address, no IP address."""

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q

from maillage.core.models import TenantModel, VersionedModel

#: The satisfaction scales, by number of points: each grade's label (shown to the respondent
#: and in the results). The four-point scale is the one the ARS asks for (INDICATORS V1-09:
#: « satisfait » or « très satisfait » on four points, no neutral middle); the five-point scale
#: (with « Moyennement satisfait » in the middle) is kept for the questions asked on it before,
#: so that their answers keep their meaning. On either, « satisfait ou très satisfait » is the
#: top two grades (``Question.satisfied_from``).
SCALES = {
    4: {1: "Pas du tout satisfait", 2: "Peu satisfait", 3: "Satisfait", 4: "Très satisfait"},
    5: {1: "Pas du tout satisfait", 2: "Peu satisfait", 3: "Moyennement satisfait",
        4: "Satisfait", 5: "Très satisfait"},
}
#: The scale of new questions.
DEFAULT_POINTS = 4
#: Every grade of any scale (1 to 5), for the database's per-grade counts.
GRADES = range(1, max(SCALES) + 1)


def satisfied_grades(points: int) -> str:
    """« 3 ou 4 sur 4 », « 4 ou 5 sur 5 »: the grades counted as satisfied on a scale."""
    return f"{points - 1} ou {points} sur {points}"


def satisfied_q(prefix: str = "") -> Q:
    """The answers graded « satisfait » or « très satisfait » — the top two grades of their
    question's scale — as a database condition on ``Answer`` (``prefix``: the path to the
    answer, e.g. ``"answers__"``)."""
    return Q(**{f"{prefix}scale__gte": F(f"{prefix}question__points") - 1})


class Respondent(models.TextChoices):
    """Who answers, as far as the code handed out says (a coarse category, never a person):
    indicators V1-09 and V2-15/16 count the satisfied per respondent."""

    OLDER_PERSON = "older_person", "Personne âgée"
    CAREGIVER = "caregiver", "Aidant"
    PROFESSIONAL = "professional", "Professionnel"
    BENEFICIARY = "beneficiary", "Bénéficiaire du volet 2"
    UNKNOWN = "", "Non précisé"


class Questionnaire(TenantModel, VersionedModel):
    class Audience(models.TextChoices):
        OLDER_PEOPLE = "older_people", "Personnes âgées"
        CAREGIVERS = "caregivers", "Aidants"
        PROFESSIONALS = "professionals", "Professionnels"
        BENEFICIARIES = "beneficiaries", "Bénéficiaires du volet 2"
        EVERYONE = "everyone", "Tous publics (participants aux actions)"

    class Usage(models.TextChoices):
        SESSION = "session", "Séances du volet 1"
        YEARLY = "yearly", "Enquête annuelle du volet 2"
        OTHER = "other", "Autre"

    title = models.CharField("titre", max_length=150)
    audience = models.CharField("public", max_length=15, choices=Audience)
    usage = models.CharField("utilisation", max_length=10, choices=Usage, default=Usage.OTHER)
    intro = models.TextField("texte d'accueil", blank=True,
                             help_text="Affiché en haut du questionnaire.")
    is_active = models.BooleanField("en service", default=True)

    class Meta:
        verbose_name = "questionnaire"
        ordering = ["usage", "audience", "title"]
        constraints = [
            models.UniqueConstraint(fields=["crt", "title"], name="questionnaire_unique_title",
                                    violation_error_message="Un questionnaire porte déjà ce "
                                                            "titre."),
        ]

    def __str__(self) -> str:
        return self.title


class Question(TenantModel):
    class Kind(models.TextChoices):
        SCALE = "scale", "Échelle de satisfaction"
        CHOICE = "choice", "Choix unique"
        YES_NO = "yes_no", "Oui / non"
        COMMENT = "comment", "Commentaire libre"

    questionnaire = models.ForeignKey(Questionnaire, on_delete=models.CASCADE,
                                      related_name="questions", verbose_name="questionnaire")
    position = models.PositiveSmallIntegerField("ordre")
    kind = models.CharField("type de question", max_length=10, choices=Kind)
    text = models.CharField("question", max_length=300)
    #: Options of a single choice, in order (the answer stores the option's index).
    choices = models.JSONField("options", default=list, blank=True)
    required = models.BooleanField("réponse obligatoire", default=False)
    #: The scale of a satisfaction question: 4 points (new questions) or 5 (the questions asked
    #: on five points before, their answers kept as given). Unused by the other kinds.
    points = models.PositiveSmallIntegerField(
        "échelle", choices=[(4, "4 points"), (5, "5 points (ancienne échelle)")],
        default=DEFAULT_POINTS)

    class Meta:
        verbose_name = "question"
        ordering = ["questionnaire", "position"]
        constraints = [
            models.UniqueConstraint(fields=["questionnaire", "position"],
                                    name="question_unique_position"),
            # A range, not ``points__in=[4, 5]``: Django's SQLite introspection splits a table's
            # SQL on ", " and breaks on « IN (4, 5) » (the schema test reads it).
            models.CheckConstraint(condition=Q(points__gte=4, points__lte=5),
                                   name="question_points_4_or_5"),
        ]

    def __str__(self) -> str:
        return self.text

    @property
    def scale_labels(self) -> dict[int, str]:
        return SCALES[self.points]

    @property
    def satisfied_from(self) -> int:
        """The lowest grade counted as « satisfait »: 3 on four points, 4 on five."""
        return self.points - 1

    @property
    def satisfied_grades(self) -> str:
        return satisfied_grades(self.points)


class Collection(TenantModel, VersionedModel):
    """A questionnaire put to the people of one subject, with its answer codes."""

    questionnaire = models.ForeignKey(Questionnaire, on_delete=models.PROTECT,
                                      related_name="collections", verbose_name="questionnaire")
    subject_kind = models.CharField("type de sujet", max_length=60)
    subject_public_id = models.CharField("identifiant du sujet", max_length=64)
    subject_label = models.CharField("sujet", max_length=200)
    group_key = models.CharField("clé de regroupement", max_length=64, blank=True)
    group_label = models.CharField("regroupement", max_length=200, blank=True)
    category_key = models.CharField("clé de catégorie", max_length=64, blank=True)
    category_label = models.CharField("catégorie", max_length=200, blank=True)
    opened_on = models.DateField("ouverte le")
    is_open = models.BooleanField("ouverte aux réponses", default=True)

    class Meta:
        verbose_name = "collecte de réponses"
        verbose_name_plural = "collectes de réponses"
        ordering = ["-opened_on", "-id"]
        indexes = [
            models.Index(fields=["crt", "subject_kind", "group_key"], name="collection_group"),
            models.Index(fields=["crt", "subject_kind", "category_key"],
                         name="collection_category"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["crt", "subject_kind", "subject_public_id", "questionnaire"],
                name="collection_one_per_subject",
                violation_error_message="Une collecte existe déjà pour ce sujet et ce "
                                        "questionnaire."),
        ]

    def __str__(self) -> str:
        return f"{self.subject_label} — {self.questionnaire.title}"


class AnswerCode(models.Model):
    """One code handed to one respondent: short, unguessable, easy to type; one answer."""

    crt = models.ForeignKey("core.Crt", on_delete=models.PROTECT, related_name="+")
    collection = models.ForeignKey(Collection, on_delete=models.CASCADE, related_name="codes")
    code = models.CharField("code", max_length=12, unique=True)
    respondent = models.CharField("remis à", max_length=15, choices=Respondent, blank=True,
                                  default="")
    created_at = models.DateTimeField(auto_now_add=True)
    used_at = models.DateTimeField("utilisé le", null=True, blank=True)

    class Meta:
        verbose_name = "code de réponse"
        ordering = ["id"]

    def __str__(self) -> str:
        return self.display

    @property
    def display(self) -> str:
        """The code as printed: two groups of four (``ABCD-EFGH``)."""
        return f"{self.code[:4]}-{self.code[4:]}"


class Response(TenantModel):
    """One person's answers (anonymous)."""

    class Channel(models.TextChoices):
        ONLINE = "online", "En ligne (lien ou QR code)"
        PAPER = "paper", "Papier, saisi par l'équipe"

    collection = models.ForeignKey(Collection, on_delete=models.PROTECT,
                                   related_name="responses")
    #: The code used; unique: the database itself refuses a second answer with one code.
    code = models.OneToOneField(AnswerCode, on_delete=models.PROTECT, null=True, blank=True,
                                related_name="response")
    channel = models.CharField("origine", max_length=10, choices=Channel)
    respondent = models.CharField("répondant", max_length=15, choices=Respondent, blank=True,
                                  default="")

    class Meta:
        verbose_name = "réponse"
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"Réponse du {self.created_at:%d/%m/%Y}"


class Answer(TenantModel):
    """The answer to one question of a response: one of the value columns, by question kind."""

    response = models.ForeignKey(Response, on_delete=models.CASCADE, related_name="answers")
    question = models.ForeignKey(Question, on_delete=models.PROTECT, related_name="answers")
    scale = models.PositiveSmallIntegerField(
        "note", null=True, blank=True, validators=[MinValueValidator(1), MaxValueValidator(5)])
    choice = models.PositiveSmallIntegerField("option", null=True, blank=True)
    yes = models.BooleanField("oui", null=True, blank=True)
    text = models.TextField("commentaire", blank=True)

    class Meta:
        verbose_name = "réponse à une question"
        ordering = ["response", "question__position"]
        indexes = [models.Index(fields=["question", "scale"], name="answer_question_scale")]
        constraints = [
            models.UniqueConstraint(fields=["response", "question"],
                                    name="answer_one_per_question"),
            models.CheckConstraint(condition=Q(scale__isnull=True) | Q(scale__gte=1, scale__lte=5),
                                   name="answer_scale_1_to_5"),
        ]

    def __str__(self) -> str:
        return f"Réponse à « {self.question.text} »"
