"""Validators of French identifiers used across apps (SPEC §5.2)."""

import re

from django.core.exceptions import ValidationError
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


def validate_rpps(value: str) -> None:
    if not re.fullmatch(r"\d{11}", value or ""):
        raise ValidationError("Le numéro RPPS compte 11 chiffres.", code="rpps")


def validate_mssante(value: str) -> None:
    domain = (value or "").rsplit("@", 1)[-1].lower()
    if not (domain == "mssante.fr" or domain.endswith(".mssante.fr")):
        raise ValidationError(
            "Une adresse de messagerie sécurisée de santé se termine par « mssante.fr » "
            "(par exemple prenom.nom@medecin.mssante.fr).",
            code="mssante",
        )
