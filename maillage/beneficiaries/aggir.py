"""AGGIR grid: variables, A/B/C coding, sub-variable combination and GIR computation.

Pure Python (no Django import) so that it can be unit-tested without a database and reused by
forms, services and the API.

Legal basis
-----------
* Code de l'action sociale et des familles (CASF), annexe 2-1: "grille nationale AGGIR et son
  guide de remplissage" (guide published by décret n° 2008-821 du 21 août 2008; the annex was
  re-issued by décret n° 2017-882 du 9 mai 2017, which renames the 10th discriminant variable
  "alerter" = use a remote means of communication to call for help; the SPEC keeps the historical
  label "communication à distance", so do we).
* CASF annexe 2-2: "algorithme de la grille AGGIR" (groups A to H, rangs 1 to 13, rang -> GIR).

Coding of a variable (guide de remplissage)
-------------------------------------------
Each variable or sub-variable is coded from four adverbs: spontanément, totalement, correctement,
habituellement. All four "yes" -> A (fait seul), all four "no" -> C (ne fait pas), anything else
-> B (fait partiellement). See :func:`code_from_adverbs`.

Combination of sub-variables (:func:`combine`)
----------------------------------------------
Six discriminant variables are coded through sub-variables; the variable's code is derived
from the sub-variables' codes as follows (sub-codes in the order of
:data:`DISCRIMINANT_VARIABLES`):

* cohérence (communication, comportement) and orientation (temps, espace):
  AA -> A; CC, BC, CB -> C; every other pair (AB, BA, BB, AC, CA) -> B.
* toilette (haut, bas): AA -> A; CC -> C; otherwise B.
* habillage (haut, moyen, bas): AAA -> A; CCC -> C; otherwise B.
* alimentation (se servir, manger): AA -> A; CC, BC, CB -> C; otherwise B (AC and CA -> B).
* élimination (urinaire, fécale): AA -> A; as soon as one sub-variable is C -> C
  (CC, AC, CA, BC, CB); otherwise B (AB, BA, BB).

Where these rules were checked:

* The guide itself is not reproduced in the Légifrance text of annexe 2-1 ("guide non reproduit,
  consulter le fac-similé", etalab/codes-juridiques-francais,
  codes-en-vigueur/code-de-l-action-sociale-et-des-familles/annexe/article-annexe-2-1.md), so
  the combination tables could not be read from the official text directly.
* MedinTux AGGIR calculator (Eric Maeker, 2008, GPL, ``aggir_calculator.cpp``):
  toilette "AA=A CC=C autres=B"; habillage "AAA=A CCC=C autres=B"; alimentation
  "AA=A CC=C BC=C CB=C autres=B"; élimination "AA=A CC=C BB=B CB_BC=C AC=C CA=C"
  (coded there as: any C -> C).
  It predates the 2008 split of cohérence / orientation and takes those two as single letters.
* CareLink ``app/services/aggir/calculator.py`` (2024, derived from SQLpro's published SQL
  implementation): identical for toilette, habillage and élimination.
* The 2008 decree's press coverage (ASH n° 2570) confirms that cohérence is split into
  communication / comportement and orientation into temps / espace (the 2008 novelty).

Doubts, stated here on purpose:

* cohérence / orientation with one A and one C (AC, CA): we code B, which is the reading given in
  the project brief and the one consistent with MedinTux's alimentation table.
  CareLink codes C ("AA = A, sinon si C présent = C, sinon B"). Only AC/CA differ.
* alimentation AC / CA: MedinTux (table above) gives B, CareLink gives C. We follow MedinTux,
  whose table is written combination by combination like the guide's.
If the fac-similé of the guide says otherwise, only ``_RULES`` (and the expected tables of the
tests) have to change.

GIR (:func:`gir_from_codes`)
----------------------------
The weights of groups A to H below are those of CASF annexe 2-2 (checked against the etalab
copy of the code, and against the two implementations above); SPEC §5.1 reproduces the same
table. Groups are computed in order; the first threshold reached gives the rang; group H always
concludes (rang 11, 12 or 13). Déplacements extérieurs and communication à distance weigh 0 in
every group: they are recorded but never change the GIR.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from itertools import product

A, B, C = "A", "B", "C"
LETTERS: tuple[str, str, str] = (A, B, C)

#: Meaning of each letter, for labels and help texts.
LETTER_LABELS: dict[str, str] = {
    A: "A — fait seul, spontanément, totalement, correctement et habituellement",
    B: "B — fait partiellement",
    C: "C — ne fait pas",
}


@dataclass(frozen=True)
class Adverb:
    code: str
    label: str
    question: str


#: The four adverbs, in the order of :func:`code_from_adverbs`'s arguments.
ADVERBS: tuple[Adverb, ...] = (
    Adverb("spontanement", "Spontanément", "La personne le fait-elle sans incitation ?"),
    Adverb("totalement", "Totalement", "La personne réalise-t-elle l'ensemble de l'activité ?"),
    Adverb(
        "correctement",
        "Correctement",
        "La personne le fait-elle de façon adaptée, conforme aux usages et en sécurité ?",
    ),
    Adverb(
        "habituellement",
        "Habituellement",
        "La personne le fait-elle chaque fois que c'est nécessaire ?",
    ),
)


@dataclass(frozen=True)
class SubVariable:
    code: str  # e.g. "coherence.communication"
    label: str


@dataclass(frozen=True)
class Variable:
    code: str  # e.g. "coherence", "deplacements_interieurs"
    label: str
    description: str
    discriminant: bool
    sub_variables: tuple[SubVariable, ...] = ()

    @property
    def has_sub_variables(self) -> bool:
        return bool(self.sub_variables)

    @property
    def sub_variable_codes(self) -> tuple[str, ...]:
        return tuple(sub.code for sub in self.sub_variables)


def _subs(parent: str, *items: tuple[str, str]) -> tuple[SubVariable, ...]:
    return tuple(SubVariable(f"{parent}.{code}", label) for code, label in items)


#: The ten discriminant variables, in the order of CASF annexe 2-2 / SPEC §5.1.
DISCRIMINANT_VARIABLES: tuple[Variable, ...] = (
    Variable(
        "coherence",
        "Cohérence",
        "Converser et/ou se comporter de façon sensée",
        True,
        _subs("coherence", ("communication", "Communication"), ("comportement", "Comportement")),
    ),
    Variable(
        "orientation",
        "Orientation",
        "Se repérer dans le temps, les moments de la journée et dans les lieux",
        True,
        _subs("orientation", ("temps", "Dans le temps"), ("espace", "Dans l'espace")),
    ),
    Variable(
        "toilette",
        "Toilette",
        "Assurer son hygiène corporelle",
        True,
        _subs("toilette", ("haut", "Toilette du haut"), ("bas", "Toilette du bas")),
    ),
    Variable(
        "habillage",
        "Habillage",
        "S'habiller, se déshabiller, se présenter",
        True,
        _subs(
            "habillage",
            ("haut", "Habillage du haut"),
            ("moyen", "Habillage moyen"),
            ("bas", "Habillage du bas"),
        ),
    ),
    Variable(
        "alimentation",
        "Alimentation",
        "Se servir et manger les aliments préparés",
        True,
        _subs("alimentation", ("se_servir", "Se servir"), ("manger", "Manger")),
    ),
    Variable(
        "elimination",
        "Élimination",
        "Assumer l'hygiène de l'élimination urinaire et fécale",
        True,
        _subs(
            "elimination",
            ("urinaire", "Élimination urinaire"),
            ("fecale", "Élimination fécale"),
        ),
    ),
    Variable("transferts", "Transferts", "Se lever, se coucher, s'asseoir", True),
    Variable(
        "deplacements_interieurs",
        "Déplacements à l'intérieur",
        "Avec ou sans canne, déambulateur, fauteuil roulant",
        True,
    ),
    Variable(
        "deplacements_exterieurs",
        "Déplacements à l'extérieur",
        "À partir de la porte d'entrée, sans moyen de transport",
        True,
    ),
    Variable(
        "communication_distance",
        "Communication à distance",
        "Utiliser les moyens de communication (téléphone, sonnette, alarme) pour alerter",
        True,
    ),
)

#: The seven illustrative variables (domestic and social autonomy; no effect on the GIR).
ILLUSTRATIVE_VARIABLES: tuple[Variable, ...] = (
    Variable("gestion", "Gestion", "Gérer ses propres affaires, son budget, ses biens", False),
    Variable(
        "cuisine", "Cuisine", "Préparer ses repas et les conditionner pour être servis", False
    ),
    Variable("menage", "Ménage", "Effectuer l'ensemble des travaux ménagers", False),
    Variable("transports", "Transports", "Prendre et/ou commander un moyen de transport", False),
    Variable("achats", "Achats", "Acquisition directe ou par correspondance", False),
    Variable(
        "suivi_traitement",
        "Suivi du traitement",
        "Se conformer à l'ordonnance du médecin",
        False,
    ),
    Variable(
        "activites_temps_libre",
        "Activités de temps libre",
        "Activités sportives, culturelles, sociales, de loisir ou de passe-temps",
        False,
    ),
)

ALL_VARIABLES: tuple[Variable, ...] = DISCRIMINANT_VARIABLES + ILLUSTRATIVE_VARIABLES
VARIABLES_BY_CODE: dict[str, Variable] = {v.code: v for v in ALL_VARIABLES}
DISCRIMINANT_CODES: tuple[str, ...] = tuple(v.code for v in DISCRIMINANT_VARIABLES)
ILLUSTRATIVE_CODES: tuple[str, ...] = tuple(v.code for v in ILLUSTRATIVE_VARIABLES)
SUB_VARIABLES_BY_CODE: dict[str, SubVariable] = {
    sub.code: sub for v in ALL_VARIABLES for sub in v.sub_variables
}

#: Every field to fill in on a form, in display order: the sub-variables of a combined variable,
#: the variable itself otherwise (discriminant first, then illustrative).
INPUT_CODES: tuple[str, ...] = tuple(
    code
    for v in ALL_VARIABLES
    for code in (v.sub_variable_codes if v.has_sub_variables else (v.code,))
)


# --------------------------------------------------------------------------------------------
# A / B / C coding
# --------------------------------------------------------------------------------------------


def code_from_adverbs(
    spontanement: bool, totalement: bool, correctement: bool, habituellement: bool
) -> str:
    """Code a variable from the four adverbs: all yes -> "A", all no -> "C", otherwise "B"."""
    answers = (bool(spontanement), bool(totalement), bool(correctement), bool(habituellement))
    if all(answers):
        return A
    if not any(answers):
        return C
    return B


def _normalise_letter(value: object, what: str) -> str:
    if isinstance(value, str) and value.upper() in LETTERS:
        return value.upper()
    raise ValueError(f"Le code de « {what} » doit être A, B ou C (reçu : {value!r}).")


def _coherence_rule(pair: tuple[str, ...]) -> str:
    if pair == (A, A):
        return A
    if pair in ((C, C), (B, C), (C, B)):
        return C
    return B


def _all_same_rule(codes: tuple[str, ...]) -> str:
    if all(code == A for code in codes):
        return A
    if all(code == C for code in codes):
        return C
    return B


def _elimination_rule(pair: tuple[str, ...]) -> str:
    if pair == (A, A):
        return A
    if C in pair:
        return C
    return B


_RULES = {
    "coherence": _coherence_rule,
    "orientation": _coherence_rule,
    "toilette": _all_same_rule,
    "habillage": _all_same_rule,
    "alimentation": _coherence_rule,
    "elimination": _elimination_rule,
}

#: Explicit combination tables: variable code -> {tuple of sub-codes in order: code}.
_COMBINATION_RULES: dict[str, dict[tuple[str, ...], str]] = {
    code: {
        combo: rule(combo)
        for combo in product(LETTERS, repeat=len(VARIABLES_BY_CODE[code].sub_variables))
    }
    for code, rule in _RULES.items()
}


def combination_table(variable_code: str) -> dict[tuple[str, ...], str]:
    """Return a copy of the combination table of a combined variable (for display or tests)."""
    variable = _get_variable(variable_code)
    if variable.code not in _COMBINATION_RULES:
        raise ValueError(f"La variable « {variable.label} » n'a pas de sous-variables.")
    return dict(_COMBINATION_RULES[variable.code])


def _get_variable(variable_code: str) -> Variable:
    try:
        return VARIABLES_BY_CODE[variable_code]
    except (KeyError, TypeError):
        raise ValueError(f"Variable AGGIR inconnue : {variable_code!r}.") from None


def combine(variable_code: str, sub_codes: Mapping[str, str]) -> str:
    """Combine the sub-variables' codes into the variable's code (guide de remplissage).

    ``sub_codes`` maps each sub-variable to "A", "B" or "C" (lowercase accepted). Keys may be the
    full codes (``"habillage.moyen"``) or the short ones (``"moyen"``); all sub-variables of the
    variable are required, and no other key is accepted.
    """
    variable = _get_variable(variable_code)
    if not variable.has_sub_variables:
        raise ValueError(f"La variable « {variable.label} » n'a pas de sous-variables.")
    if not isinstance(sub_codes, Mapping):
        raise ValueError(f"Les codes des sous-variables de « {variable.label} » sont attendus.")
    prefix = f"{variable.code}."
    given: dict[str, object] = {}
    for key, value in sub_codes.items():
        full = key if isinstance(key, str) and key.startswith(prefix) else f"{prefix}{key}"
        if full not in variable.sub_variable_codes:
            raise ValueError(f"Sous-variable inconnue pour « {variable.label} » : {key!r}.")
        if full in given:
            raise ValueError(f"Sous-variable « {key} » renseignée deux fois.")
        given[full] = value
    missing = [sub.label for sub in variable.sub_variables if sub.code not in given]
    if missing:
        raise ValueError(
            f"Sous-variables manquantes pour « {variable.label} » : {', '.join(missing)}."
        )
    combo = tuple(_normalise_letter(given[sub.code], sub.label) for sub in variable.sub_variables)
    return _COMBINATION_RULES[variable.code][combo]


# --------------------------------------------------------------------------------------------
# GIR (CASF annexe 2-2)
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Group:
    name: str
    c_weights: tuple[int, ...]  # per discriminant variable, in DISCRIMINANT_CODES order
    b_weights: tuple[int, ...]
    thresholds: tuple[tuple[int, int], ...]  # (minimum sum, rang), highest first

    def score(self, codes: str) -> int:
        total = 0
        for letter, c_weight, b_weight in zip(codes, self.c_weights, self.b_weights, strict=True):
            if letter == C:
                total += c_weight
            elif letter == B:
                total += b_weight
        return total


#: Groups A to H of CASF annexe 2-2 (= SPEC §5.1). Group H has no fallback threshold: below
#: 2000 the rang is 13 (:data:`LAST_RANG`).
GROUPS: tuple[Group, ...] = (
    Group(
        "A",
        (2000, 1200, 40, 40, 60, 100, 800, 200, 0, 0),
        (0, 0, 16, 16, 20, 16, 120, 32, 0, 0),
        ((4380, 1), (4140, 2), (3390, 3)),
    ),
    Group(
        "B",
        (1500, 1200, 40, 40, 60, 100, 800, -80, 0, 0),
        (320, 120, 16, 16, 0, 16, 120, -40, 0, 0),
        ((2016, 4),),
    ),
    Group(
        "C",
        (0, 0, 40, 40, 60, 160, 1000, 400, 0, 0),
        (0, 0, 16, 16, 20, 20, 200, 40, 0, 0),
        ((1700, 5), (1432, 6)),
    ),
    Group(
        "D",
        (0, 0, 0, 0, 2000, 400, 2000, 200, 0, 0),
        (0, 0, 0, 0, 200, 200, 200, 0, 0, 0),
        ((2400, 7),),
    ),
    Group(
        "E",
        (400, 400, 400, 400, 400, 800, 800, 200, 0, 0),
        (0, 0, 100, 100, 100, 100, 100, 0, 0, 0),
        ((1200, 8),),
    ),
    Group(
        "F",
        (200, 200, 500, 500, 500, 500, 500, 200, 0, 0),
        (100, 100, 100, 100, 100, 100, 100, 0, 0, 0),
        ((800, 9),),
    ),
    Group(
        "G",
        (150, 150, 300, 300, 500, 500, 400, 200, 0, 0),
        (0, 0, 200, 200, 200, 200, 200, 100, 0, 0),
        ((650, 10),),
    ),
    Group(
        "H",
        (0, 0, 3000, 3000, 3000, 3000, 1000, 1000, 0, 0),
        (0, 0, 2000, 2000, 2000, 2000, 2000, 1000, 0, 0),
        ((4000, 11), (2000, 12)),
    ),
)
LAST_RANG = 13

#: Rang (1..13) -> GIR (1..6), CASF annexe 2-2 § 2 "passage des rangs aux groupes".
RANG_TO_GIR: dict[int, int] = {
    1: 1,
    2: 2,
    3: 2,
    4: 2,
    5: 2,
    6: 2,
    7: 2,
    8: 3,
    9: 3,
    10: 4,
    11: 4,
    12: 5,
    13: 6,
}

_CODES_ERROR = (
    "La grille AGGIR attend 10 codes A, B ou C (cohérence, orientation, toilette, habillage, "
    "alimentation, élimination, transferts, déplacements intérieurs, déplacements extérieurs, "
    "communication à distance), reçu : {!r}."
)


def rang_from_codes(codes: str) -> int:
    """Return the rang (1..13) of the ten discriminant codes (see :func:`gir_from_codes`)."""
    normalised = _normalise_codes(codes)
    for group in GROUPS:
        total = group.score(normalised)
        for minimum, rang in group.thresholds:
            if total >= minimum:
                return rang
    return LAST_RANG


def _normalise_codes(codes: object) -> str:
    if not isinstance(codes, str) or len(codes) != len(DISCRIMINANT_VARIABLES):
        raise ValueError(_CODES_ERROR.format(codes))
    normalised = codes.upper()
    if any(letter not in LETTERS for letter in normalised):
        raise ValueError(_CODES_ERROR.format(codes))
    return normalised


def gir_from_codes(codes: str) -> tuple[int, int]:
    """Return ``(rang, gir)`` for the ten discriminant codes in SPEC order, e.g. "CCBBBBBBCB".

    Lowercase letters are accepted. Raises ``ValueError`` (French message) for a wrong length
    or a letter other than A, B or C.
    """
    rang = rang_from_codes(codes)
    return rang, RANG_TO_GIR[rang]


def codes_string(codes: Mapping[str, str]) -> str:
    """Turn ``{variable code: letter}`` for the ten discriminant variables into "CCBB…"."""
    if not isinstance(codes, Mapping):
        raise ValueError("Les codes des 10 variables discriminantes sont attendus.")
    unknown = sorted(str(key) for key in codes if key not in DISCRIMINANT_CODES)
    if unknown:
        raise ValueError(f"Variables discriminantes inconnues : {', '.join(unknown)}.")
    missing = [v.label for v in DISCRIMINANT_VARIABLES if v.code not in codes]
    if missing:
        raise ValueError(f"Variables discriminantes manquantes : {', '.join(missing)}.")
    return "".join(_normalise_letter(codes[v.code], v.label) for v in DISCRIMINANT_VARIABLES)


def gir_from_variables(codes: Mapping[str, str]) -> tuple[int, int]:
    """Return ``(rang, gir)`` from ``{variable code: letter}`` for the ten discriminant variables.

    Illustrative variables are not accepted here (they do not enter the computation).
    """
    return gir_from_codes(codes_string(codes))


def variable_codes_from_inputs(inputs: Mapping[str, str]) -> dict[str, str]:
    """From the codes entered on a form (see :data:`INPUT_CODES`), derive every variable's code.

    Combined variables are computed with :func:`combine`; the others are taken as entered.
    Only the variables whose inputs are all present are returned (lets a form handle a partial
    grid); a letter other than A, B or C raises ``ValueError``.
    """
    result: dict[str, str] = {}
    for variable in ALL_VARIABLES:
        if variable.has_sub_variables:
            if all(code in inputs for code in variable.sub_variable_codes):
                result[variable.code] = combine(
                    variable.code, {code: inputs[code] for code in variable.sub_variable_codes}
                )
        elif variable.code in inputs:
            result[variable.code] = _normalise_letter(inputs[variable.code], variable.label)
    return result


def all_code_strings() -> Iterable[str]:
    """Every possible string of ten discriminant codes (3**10 of them), for exhaustive checks."""
    return ("".join(combo) for combo in product(LETTERS, repeat=len(DISCRIMINANT_VARIABLES)))
