"""The rules of the four emergency essentials of the medical section: allergies, current
treatments, advance directives, resuscitation decision. Each has a status beside its text
(``MedicalRecord``): "none" is an answer, an empty status is not.

``normalise`` and ``inconsistencies`` guard every write (``services.medical_update``);
``missing_essentials`` is what the DLU's validation refuses on (``oncall.dlu``)."""

from .models import MedicalRecord

Allergy = MedicalRecord.AllergyStatus
Treatment = MedicalRecord.TreatmentStatus
Directives = MedicalRecord.DirectivesStatus
Resuscitation = MedicalRecord.ResuscitationStatus

#: status field → (text field, statuses, message when the status is not filled in).
ESSENTIALS = {
    "allergies_status": (
        "allergies", Allergy,
        "Allergies non renseignées : précisez-les, ou choisissez « Aucune allergie connue »."),
    "treatments_status": (
        "treatments", Treatment,
        "Traitements en cours non renseignés : précisez-les, ou choisissez « Aucun "
        "traitement en cours »."),
    "advance_directives_status": (
        "advance_directives", Directives,
        "Directives anticipées non renseignées : indiquez si elles sont rédigées, ou « Pas de "
        "directives anticipées rédigées »."),
    "resuscitation_status": (
        "resuscitation_decision", Resuscitation,
        "Décision de réanimation non renseignée : « Réanimation : oui », limitation des "
        "thérapeutiques actives (LATA), ou « Pas de décision prise à ce jour »."),
}
STATUS_FIELDS = tuple(ESSENTIALS)
#: A change of these after the DLU's validation asks for a new validation.
REVALIDATE_ON = ("allergies_status", "allergies", "treatments_status", "treatments")

#: A documented status needs its text.
_TEXT_NEEDED = {
    ("allergies_status", Allergy.DOCUMENTED):
        "Précisez les allergies (produit, réaction), ou choisissez « Aucune allergie connue ».",
    ("treatments_status", Treatment.DOCUMENTED):
        "Précisez les traitements en cours, ou choisissez « Aucun traitement en cours ».",
    ("advance_directives_status", Directives.DOCUMENTED):
        "Précisez la date des directives anticipées et où les trouver.",
    ("resuscitation_status", Resuscitation.LIMITED):
        "Précisez la limitation décidée (par exemple : pas de massage cardiaque ni "
        "d'intubation), quand et avec qui.",
}
#: "None" with a text says two things at once.
_TEXT_CONTRADICTS = {
    ("allergies_status", Allergy.NONE_KNOWN):
        "Vous avez choisi « Aucune allergie connue » : effacez ce texte, ou choisissez "
        "« Allergies connues ».",
    ("treatments_status", Treatment.NONE):
        "Vous avez choisi « Aucun traitement en cours » : effacez ce texte, ou choisissez "
        "« Traitement en cours ».",
}


def normalise(values: dict) -> None:
    """``values``: the record's fields as they will be written. A text without its status
    (allergies, treatments, directives) is documented: what the writer obviously means. Never
    for the resuscitation decision: a text does not tell « oui » from a limitation, so it
    stays to be chosen. Texts are stripped."""
    for status_field, (text_field, _statuses, _message) in ESSENTIALS.items():
        if text_field in values and isinstance(values[text_field], str):
            values[text_field] = values[text_field].strip()
        if (not values.get(status_field) and values.get(text_field)
                and status_field != "resuscitation_status"):
            values[status_field] = "documented"


def inconsistencies(values: dict) -> dict[str, str]:
    """{field: French message} for a status unknown, or at odds with its text."""
    errors = {}
    for status_field, (text_field, statuses, _message) in ESSENTIALS.items():
        status, text = values.get(status_field) or "", (values.get(text_field) or "").strip()
        if status and status not in statuses.values:
            errors[status_field] = "Choix inconnu : choisissez une des réponses proposées."
        elif (status_field, status) in _TEXT_NEEDED and not text:
            errors[text_field] = _TEXT_NEEDED[status_field, status]
        elif (status_field, status) in _TEXT_CONTRADICTS and text:
            errors[text_field] = _TEXT_CONTRADICTS[status_field, status]
    return errors


def missing_essentials(values) -> dict[str, str]:
    """{status field: French message} for each essential not filled in. ``values``: a
    ``MedicalRecord`` (or None: nothing filled in) or a dict of its fields."""
    if values is None:
        values = {}
    elif not isinstance(values, dict):
        values = {f: getattr(values, f) for f in STATUS_FIELDS}
    return {f: message for f, (_text, _statuses, message) in ESSENTIALS.items()
            if not values.get(f)}
