"""Validators of French identifiers used across apps (SPEC §5.2)."""

import re
import uuid
from datetime import date

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.deconstruct import deconstructible
from stdnum import luhn

_FINESS_RE = re.compile(r"^(\d{2}|2A|2B)\d{7}$")


def validate_finess(value: str) -> None:
    """FINESS: 9 characters, department first (2A/2B for Corsica), Luhn key on the whole number.

    For Corsica the letter is read as 0 for the key, as the FINESS directory does.
    """
    value = (value or "").strip().upper()
    if not _FINESS_RE.match(value):
        raise ValidationError(
            "Le numéro FINESS doit compter 9 caractères : 9 chiffres, "
            "ou 2A/2B suivi de 7 chiffres.",
            code="finess_format",
        )
    digits = value.replace("A", "0").replace("B", "0")
    if not luhn.is_valid(digits):
        raise ValidationError(
            "La clé du numéro FINESS est incorrecte : vérifiez le numéro.", code="finess_key"
        )


#: What a phone number may hold besides digits and a leading « + ».
_PHONE_SEPARATORS = re.compile(r"[\s.\-/()]")
PHONE_MESSAGE = ("Numéro de téléphone invalide : 10 chiffres (02 41 00 00 00), un numéro "
                 "international (+33 2 41 00 00 00) ou un numéro court (15, 112, 3919).")


def validate_phone(value: str) -> None:
    """A French number (10 digits from 0), an international one (+, 8 to 15 digits) or a short
    number (2 to 6 digits: 15, 112, 3919, 116 117), with spaces, dots, dashes or brackets."""
    if not value:
        return
    compact = _PHONE_SEPARATORS.sub("", value.strip())
    if not re.fullmatch(r"0\d{9}|\+\d{8,15}|[1-9]\d{1,5}", compact):
        raise ValidationError(PHONE_MESSAGE, code="phone")


def validate_insee_commune(value: str) -> None:
    if not re.fullmatch(r"(\d{2}|2A|2B)\d{3}", value or ""):
        raise ValidationError(
            "Le code INSEE d'une commune compte 5 caractères (par exemple 49331).",
            code="insee_format",
        )


def validate_postal_code(value: str) -> None:
    if not re.fullmatch(r"\d{5}", value or ""):
        raise ValidationError("Le code postal compte 5 chiffres.", code="postal_code_format")


def validate_department(value: str) -> None:
    if not re.fullmatch(r"(0[1-9]|[1-8]\d|9[0-5]|2A|2B|97[1-6])", value or ""):
        raise ValidationError(
            "Code de département inconnu (par exemple 49, 2A, 974).", code="department"
        )


def validate_siret(value: str) -> None:
    from stdnum.exceptions import ValidationError as StdnumError
    from stdnum.fr import siret

    try:
        siret.validate(value)
    except StdnumError as exc:
        raise ValidationError(
            "Numéro SIRET invalide : 14 chiffres dont la clé de contrôle (vérifiez-le sur "
            "l'avis de situation INSEE).",
            code="siret",
        ) from exc


def rpps_key_is_valid(value: str) -> bool:
    """An RPPS number's last digit is a Luhn key on the 11 digits (as the Annuaire santé
    publishes them): a typo in any digit, or two swapped, is caught."""
    return bool(re.fullmatch(r"\d{11}", value or "")) and luhn.is_valid(value)


RPPS_KEY_MESSAGE = "La clé du numéro RPPS est incorrecte : vérifiez le numéro (11 chiffres)."


def validate_rpps(value: str) -> None:
    if not re.fullmatch(r"\d{11}", value or ""):
        raise ValidationError("Le numéro RPPS compte 11 chiffres.", code="rpps")
    if not rpps_key_is_valid(value):
        raise ValidationError(RPPS_KEY_MESSAGE, code="rpps_key")


def validate_psc_identifier(value: str) -> None:
    """A professional's national number as entered for Pro Santé Connect: RPPS (its key
    checked) or ADELI."""
    if not re.fullmatch(r"\d{11}|\d{9}", value or ""):
        raise ValidationError(
            "Indiquez le numéro RPPS (11 chiffres) ou, à défaut, le numéro ADELI (9 chiffres).",
            code="psc_identifier")
    if len(value) == 11 and not rpps_key_is_valid(value):
        raise ValidationError(RPPS_KEY_MESSAGE, code="rpps_key")


def is_mssante_address(value: str) -> bool:
    """An address of the MSSanté space (``…@…mssante.fr``): reachable only by MSSanté."""
    domain = (value or "").strip().rsplit("@", 1)[-1].lower()
    return domain == "mssante.fr" or domain.endswith(".mssante.fr")


#: An MSSanté address is plain ASCII (no internationalised name in the MSSanté space): letters,
#: digits, dots, hyphens (and ``_ % +`` before the ``@``); labels of the domain never start or
#: end with a hyphen.
MSSANTE_ADDRESS = re.compile(
    r"[A-Za-z0-9._%+-]+@(?:[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?\.)+[A-Za-z]{2,}")


def validate_mssante(value: str) -> None:
    if not is_mssante_address(value):
        raise ValidationError(
            "Une adresse de messagerie sécurisée de santé se termine par « mssante.fr » "
            "(par exemple prenom.nom@medecin.mssante.fr).",
            code="mssante",
        )
    if not MSSANTE_ADDRESS.fullmatch(value.strip()):
        raise ValidationError(
            "Une adresse MSSanté ne contient ni espace, ni accent, ni caractère spécial : "
            "lettres sans accent, chiffres, points et tirets (par exemple "
            "secretariat@cabinet-medical.mssante.fr).",
            code="mssante_characters",
        )


# --- Control characters ----------------------------------------------------------------------

#: Unicode categories never accepted in text typed by a user: controls (C0, DEL, C1), format
#: characters (zero-width, bidirectional overrides, soft hyphen…), surrogates, private use,
#: and the line/paragraph separators U+2028/U+2029.
_REFUSED_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Co", "Zl", "Zp"})
_MULTILINE_ALLOWED = frozenset("\n\r\t")

CONTROL_CHARACTERS_MESSAGE = (
    "Ce champ contient des caractères de contrôle non autorisés (retour à la ligne, "
    "tabulation ou caractère invisible) : retapez-le sans les copier-coller d'un autre document."
)
CONTROL_CHARACTERS_MESSAGE_MULTILINE = (
    "Ce texte contient des caractères de contrôle non autorisés (caractères invisibles) : "
    "retapez-le sans les copier-coller d'un autre document."
)


def has_control_characters(value: str, *, multiline: bool = False) -> bool:
    import unicodedata

    for char in value or "":
        if multiline and char in _MULTILINE_ALLOWED:
            continue
        if unicodedata.category(char) in _REFUSED_CATEGORIES:
            return True
    return False


def without_control_characters(value: str) -> str:
    """``value`` without its control and invisible characters: for text that comes from
    outside and is kept without anyone to refuse it to (a received message's identifier or
    attachment name). PostgreSQL cannot store a NUL."""
    if value.isprintable():
        return value
    import unicodedata

    return "".join(c for c in value if unicodedata.category(c) not in _REFUSED_CATEGORIES)


#: What an imported file's cell may carry that means nothing in a name or a label: format
#: characters (zero-width spaces, bidirectional marks, soft hyphens…), private use, surrogates,
#: line and paragraph separators. Dropped on import (the file is the national one, or the
#: accounting software's: the CRT cannot retype it).
_INVISIBLE_CATEGORIES = _REFUSED_CATEGORIES - {"Cc"}

IMPORTED_CONTROL_CHARACTER = ("colonne « {column} » : caractère de contrôle (octet nul ou "
                              "autre), fichier endommagé ou mal exporté.")


def imported_cell(value: str) -> str | None:
    """A cell of an imported file without its invisible characters, or None when it holds a
    control character (a NUL…: a damaged or binary file), which the import refuses at its
    line (``IMPORTED_CONTROL_CHARACTER``): PostgreSQL cannot store a NUL, and the others
    would be kept in names and labels."""
    if value.isprintable():  # the usual cell, at C speed (spaces other than U+0020 fall below)
        return value
    import unicodedata

    kept = []
    for char in value:
        category = unicodedata.category(char)
        if category == "Cc":
            return None
        if category not in _INVISIBLE_CATEGORIES:
            kept.append(char)
    return "".join(kept) if len(kept) != len(value) else value


@deconstructible
class NoControlCharactersValidator:
    """Refuses control and invisible format characters; ``multiline`` allows line breaks and
    tabs (free-text areas). Names and every single-line field use the strict form."""

    code = "control_characters"

    def __init__(self, multiline: bool = False):
        self.multiline = multiline

    def __call__(self, value) -> None:
        if isinstance(value, str) and has_control_characters(value, multiline=self.multiline):
            message = (CONTROL_CHARACTERS_MESSAGE_MULTILINE if self.multiline
                       else CONTROL_CHARACTERS_MESSAGE)
            raise ValidationError(message, code=self.code)

    def __eq__(self, other) -> bool:
        return (isinstance(other, NoControlCharactersValidator)
                and other.multiline == self.multiline)


validate_single_line_text = NoControlCharactersValidator(multiline=False)
validate_multiline_text = NoControlCharactersValidator(multiline=True)


# --- Dates -----------------------------------------------------------------------------------

BIRTH_DATE_MIN = date(1900, 1, 1)
PLAUSIBLE_YEARS = (1900, 2100)


def validate_birth_date(value) -> None:
    """A birth date: from 01/01/1900 to today (Paris)."""
    if value is None:
        return
    if not BIRTH_DATE_MIN <= value <= timezone.localdate():
        raise ValidationError(
            "La date de naissance doit être comprise entre le 01/01/1900 et aujourd'hui.",
            code="birth_date_bounds",
        )


def validate_plausible_date(value) -> None:
    """Any date typed in a form: years 1900 to 2100 (date arithmetic on year 1 or 9999 fails)."""
    if value is None:
        return
    if not PLAUSIBLE_YEARS[0] <= value.year <= PLAUSIBLE_YEARS[1]:
        raise ValidationError(
            "Date hors des limites acceptées : indiquez une année entre 1900 et 2100.",
            code="date_bounds",
        )


SCHEDULE_FIRST_DAY = date(2000, 1, 1)


def schedule_last_day() -> date:
    """The last day of the schedule: two years from today."""
    today = timezone.localdate()
    try:
        return today.replace(year=today.year + 2)
    except ValueError:  # 29 February
        return today.replace(year=today.year + 2, day=28)


def schedule_bounds_message() -> str:
    return ("Date hors du planning : indiquez une date entre le 01/01/2000 et dans deux ans "
            f"au plus (le {schedule_last_day():%d/%m/%Y}).")


def validate_schedule_date(value) -> None:
    """A date of the schedule (visits, on-call rota): from 2000 to two years from today (the
    visits' services check their start the same way, ``visits.services.check_schedule``)."""
    if value is None:
        return
    if value < SCHEDULE_FIRST_DAY or value > schedule_last_day():
        raise ValidationError(schedule_bounds_message(), code="schedule_bounds")


#: Validators that bound a date field more tightly than ``validate_plausible_date``.
DATE_BOUNDS = (validate_birth_date, validate_schedule_date, validate_plausible_date)

#: The integers a database column holds on both engines (PostgreSQL's ``integer``); SQLite
#: refuses a bound parameter beyond 64 bits with an OverflowError, and ``date()`` beyond C's long.
INTEGER_RANGE = (-(2**31), 2**31 - 1)


def validate_integer_range(value) -> None:
    """Any whole number typed in a form (or a hidden field sent back): within ``INTEGER_RANGE``,
    so that a tampered or mistyped value is refused next to its field instead of failing in the
    database or in date arithmetic."""
    if value is None:
        return
    if not INTEGER_RANGE[0] <= value <= INTEGER_RANGE[1]:
        raise ValidationError("Nombre hors des limites acceptées.", code="integer_range")


def is_uuid(value) -> bool:
    """Whether ``value`` reads as a UUID (a public id in a form, a URL or a JSON body)."""
    try:
        uuid.UUID(str(value))
    except ValueError:
        return False
    return True
