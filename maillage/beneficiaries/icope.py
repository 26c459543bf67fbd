"""ICOPE step 1 screening (WHO Integrated Care for Older People), as used in France.

Pure Python (no Django import).

Step 1 ("étape 1", repérage) screens six domains of intrinsic capacity. A domain for which at
least one screening question gets its "positive" answer needs step 2 (an in-depth assessment of
that domain: GPCOG/MMSE or MoCA, SPPB, MNA, Snellen chart, audiometry, PHQ-9 / GDS…).

Content, per domain (WHO ICOPE handbook 2019, "ICOPE screening tool"; the same items are used by
the ICOPE Monitor application of the Toulouse Gérontopôle, the tool of the French deployment):

* cognition: three words to remember, orientation in time (full date) and in space (where are
  you now?), then delayed recall of the three words. Positive if a question is answered wrongly
  or the three words are not all recalled.
* mobilité: chair rise test, five rises without using the arms. Positive if not completed
  within 14 seconds.
* nutrition: unintentional weight loss of more than 3 kg over the last three months; loss of
  appetite. Positive if yes to either.
* vision: problems with the eyes (seeing far, reading), eye disease, or ongoing medical
  treatment (diabetes, high blood pressure). Positive if yes.
* audition: whisper test (or equivalent screening audiometry / digits-in-noise test). Positive
  if failed. The self-reported hearing difficulty asked first by ICOPE Monitor is also kept.
* humeur: over the last two weeks, feeling down, depressed or hopeless; little interest or
  pleasure in doing things (the two PHQ-2 items). Positive if yes to either.

Doubt: the French ICOPE Monitor questionnaire also asks about a memory complaint and its
worsening over the last six months; this module does not flag cognition on that complaint alone
(the WHO tool decides on recall and orientation only).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass


@dataclass(frozen=True)
class Question:
    code: str  # e.g. "mobilite.levers_chaise"
    domain: str  # domain code
    label: str  # the question, in French
    positive_answer: bool  # the answer that calls for step 2

    def is_positive(self, answer: bool) -> bool:
        return answer is self.positive_answer


@dataclass(frozen=True)
class Domain:
    code: str
    label: str
    questions: tuple[Question, ...]

    @property
    def question_codes(self) -> tuple[str, ...]:
        return tuple(q.code for q in self.questions)


def _domain(code: str, label: str, *questions: tuple[str, str, bool]) -> Domain:
    return Domain(
        code,
        label,
        tuple(
            Question(f"{code}.{qcode}", code, text, positive) for qcode, text, positive in questions
        ),
    )


#: The six domains of ICOPE step 1, in the order of the WHO screening tool.
DOMAINS: tuple[Domain, ...] = (
    _domain(
        "cognition",
        "Cognition (mémoire)",
        (
            "orientation_temps",
            "La personne donne-t-elle correctement la date complète du jour (jour, mois, année) ?",
            False,
        ),
        (
            "orientation_espace",
            "La personne sait-elle où elle se trouve actuellement (domicile, cabinet, etc.) ?",
            False,
        ),
        (
            "rappel_trois_mots",
            "La personne se souvient-elle des trois mots donnés au début du questionnaire ?",
            False,
        ),
    ),
    _domain(
        "mobilite",
        "Mobilité",
        (
            "levers_chaise",
            "La personne se lève-t-elle 5 fois d'une chaise, sans s'aider des bras, "
            "en moins de 14 secondes ?",
            False,
        ),
    ),
    _domain(
        "nutrition",
        "Nutrition",
        (
            "perte_poids",
            "Avez-vous perdu involontairement plus de 3 kg au cours des 3 derniers mois ?",
            True,
        ),
        ("perte_appetit", "Avez-vous perdu l'appétit ?", True),
    ),
    _domain(
        "vision",
        "Vision",
        (
            "troubles_vision",
            "Avez-vous des problèmes avec vos yeux : difficultés pour voir de loin ou pour lire, "
            "maladie des yeux, ou traitement médical en cours (diabète, hypertension artérielle) ?",
            True,
        ),
    ),
    _domain(
        "audition",
        "Audition",
        ("difficulte_entendre", "Avez-vous des difficultés pour entendre ?", True),
        (
            "test_chuchotement",
            "La personne entend-elle les mots chuchotés (test du chuchotement, "
            "ou test auditif de dépistage réussi) ?",
            False,
        ),
    ),
    _domain(
        "humeur",
        "Humeur (bien-être psychologique)",
        (
            "tristesse",
            "Au cours des deux dernières semaines, vous êtes-vous senti(e) triste, "
            "déprimé(e) ou sans espoir ?",
            True,
        ),
        (
            "perte_interet",
            "Au cours des deux dernières semaines, avez-vous ressenti peu d'intérêt "
            "ou de plaisir à faire les choses ?",
            True,
        ),
    ),
)

DOMAINS_BY_CODE: dict[str, Domain] = {d.code: d for d in DOMAINS}
DOMAIN_CODES: tuple[str, ...] = tuple(d.code for d in DOMAINS)
QUESTIONS: tuple[Question, ...] = tuple(q for d in DOMAINS for q in d.questions)
QUESTIONS_BY_CODE: dict[str, Question] = {q.code: q for q in QUESTIONS}
QUESTION_CODES: tuple[str, ...] = tuple(q.code for q in QUESTIONS)


def _validate(answers: Mapping[str, bool]) -> None:
    if not isinstance(answers, Mapping):
        raise ValueError("Les réponses au dépistage ICOPE sont attendues.")
    unknown = sorted(str(code) for code in answers if code not in QUESTIONS_BY_CODE)
    if unknown:
        raise ValueError(f"Questions ICOPE inconnues : {', '.join(unknown)}.")
    missing = [code for code in QUESTION_CODES if code not in answers]
    if missing:
        raise ValueError(f"Réponses ICOPE manquantes : {', '.join(missing)}.")
    not_boolean = [code for code in QUESTION_CODES if not isinstance(answers[code], bool)]
    if not_boolean:
        raise ValueError(f"Les réponses ICOPE doivent être oui ou non : {', '.join(not_boolean)}.")


def domains_needing_follow_up(answers: Mapping[str, bool]) -> list[str]:
    """Return the codes of the domains (in :data:`DOMAINS` order) that need step 2.

    ``answers`` maps every question code (:data:`QUESTION_CODES`) to ``True`` (oui) or
    ``False`` (non), the answer to the question as worded. A domain is flagged as soon as one of
    its questions gets its ``positive_answer``. Unknown or missing codes, and answers that are
    not booleans, raise ``ValueError`` with a French message.
    """
    _validate(answers)
    return [
        domain.code
        for domain in DOMAINS
        if any(question.is_positive(answers[question.code]) for question in domain.questions)
    ]


def negative_answers() -> dict[str, bool]:
    """The answers of a screening with nothing to follow up (useful for forms and tests)."""
    return {q.code: not q.positive_answer for q in QUESTIONS}
