"""INS (identité nationale de santé) rules: matricule, OID, identity status (SPEC §4.1)."""

from django.core.exceptions import ValidationError
from django.db import models
from stdnum.exceptions import ValidationError as StdnumError
from stdnum.fr import nir


class InsOid(models.TextChoices):
    NIR = "1.2.250.1.213.1.4.8", "NIR (1.2.250.1.213.1.4.8)"
    NIA = "1.2.250.1.213.1.4.9", "NIA (1.2.250.1.213.1.4.9)"
    TEST_NIR = "1.2.250.1.213.1.4.10", "NIR de test (1.2.250.1.213.1.4.10)"
    DEMO_NIR = "1.2.250.1.213.1.4.11", "NIR de démonstration (1.2.250.1.213.1.4.11)"


class IdentityStatus(models.TextChoices):
    PROV = "PROV", "Identité provisoire"
    RECUP = "RECUP", "Identité récupérée (téléservice INSi)"
    VALI = "VALI", "Identité validée (pièce d'identité à haut niveau de confiance)"
    QUAL = "QUAL", "Identité qualifiée (récupérée et validée)"


class IdentityDocument(models.TextChoices):
    ID_CARD = "id_card", "Carte nationale d'identité"
    PASSPORT = "passport", "Passeport"
    RESIDENCE_PERMIT = "residence_permit", "Titre de séjour"
    BIRTH_CERTIFICATE = "birth_certificate", "Extrait d'acte de naissance / livret de famille"


class Sex(models.TextChoices):
    FEMALE = "F", "Femme"
    MALE = "M", "Homme"
    UNDETERMINED = "I", "Indéterminé"


def normalize_matricule(value: str) -> str:
    return (value or "").replace(" ", "").replace(".", "").upper()


def validate_matricule(value: str) -> None:
    """NIR or NIA: 15 characters, key = 97 − (13 first digits mod 97), Corsica 2A→19, 2B→18."""
    try:
        nir.validate(normalize_matricule(value))
    except StdnumError as exc:
        if len(normalize_matricule(value)) != 15:
            message = "Le matricule INS compte 15 caractères (13 chiffres et la clé)."
        elif "Checksum" in type(exc).__name__:
            message = (
                "La clé du matricule INS est incorrecte : vérifiez les deux derniers chiffres."
            )
        else:
            message = (
                "Le matricule INS n'a pas un format valide (chiffres, 2A ou 2B pour la Corse)."
            )
        raise ValidationError(message, code="ins_matricule") from exc


# NIR department digits of places outside today's France before 1968 (Algeria 91-94, other
# territories 95-96), reused for Île-de-France since: not compared with the birthplace.
OLD_OVERSEAS_NIR = {"91", "92", "93", "94", "95", "96"}


def check_traits(
    *, matricule: str, sex: str, birth_date, birth_place_code: str = ""
) -> list[tuple[str, str]]:
    """Coherence of the matricule with the identity traits: [(field, French message)].

    A NIR (first digit 1 or 2) carries the birthplace in digits 6-10: the INSEE code of the
    commune at the date of birth (20 for Corsica before 1976, 2A/2B since), or 99 + the
    country code; a NIA or a temporary number carries none."""
    errors = []
    number = normalize_matricule(matricule)
    if len(number) != 15:
        return errors
    first = number[0]
    if first in "13" and sex == Sex.FEMALE or first in "24" and sex == Sex.MALE:
        errors.append(("sex", "Le sexe ne correspond pas au premier chiffre du matricule INS."))
    if birth_date and number[1:3] != f"{birth_date.year % 100:02d}":
        errors.append(
            (
                "birth_date",
                "L'année de naissance ne correspond pas au matricule INS (chiffres 2-3).",
            )
        )
    place = number[5:10]
    if (birth_place_code and first in "12" and place != birth_place_code.upper()
            and not (place[:2] in OLD_OVERSEAS_NIR and birth_date
                     and birth_date.year < 1968)):
        errors.append(
            (
                "birth_place_code",
                f"Le lieu de naissance ne correspond pas au matricule INS (chiffres 6 à 10 : "
                f"{place}).",
            )
        )
    return errors


def check_status(
    *, status: str, matricule: str, oid: str, document: str, validated_by, validated_on
) -> list[tuple[str, str]]:
    """What each identity status requires (référentiel national d'identitovigilance)."""
    errors = []
    if status in {IdentityStatus.RECUP, IdentityStatus.QUAL}:
        if not matricule:
            errors.append(
                ("ins_matricule", "Une identité récupérée ou qualifiée a un matricule INS.")
            )
        if not oid:
            errors.append(("ins_oid", "Indiquez l'OID du matricule INS."))
    if status in {IdentityStatus.VALI, IdentityStatus.QUAL}:
        if not document:
            errors.append(
                ("identity_document", "Une identité validée l'est sur une pièce d'identité.")
            )
        if not validated_by or not validated_on:
            errors.append(
                ("identity_status", "Une identité validée indique qui l'a validée et quand.")
            )
    if matricule and oid == InsOid.NIA and normalize_matricule(matricule)[0] not in "78":
        errors.append(("ins_oid", "Un NIA commence par 7 ou 8 : vérifiez l'OID."))
    return errors
