"""The yearly volet 2 satisfaction survey (001 §III.5): the beneficiaries, their caregivers and
the partner professionals, one collection per audience and year, subject ``volet2.yearly`` /
the year. Answers are linked to no file: a code is handed to a person, nothing records to whom.
"""

from django.db import transaction

from maillage.core.errors import DomainError

from . import services
from .models import Collection, Questionnaire, Respondent

YEARLY_KIND = "volet2.yearly"

#: Form field → the questionnaire's audience, in the order of the pages.
AUDIENCES = {
    "beneficiaries": Questionnaire.Audience.BENEFICIARIES,
    "caregivers": Questionnaire.Audience.CAREGIVERS,
    "professionals": Questionnaire.Audience.PROFESSIONALS,
}


#: Who the codes of each audience are handed to.
RESPONDENTS = {"beneficiaries": Respondent.BENEFICIARY, "caregivers": Respondent.CAREGIVER,
               "professionals": Respondent.PROFESSIONAL}


def yearly_subject(year: int) -> str:
    return str(year)


@transaction.atomic
def yearly_survey_open(*, actor, crt, year: int, counts: dict[str, int],
                       opened_on=None) -> int:
    """Open the survey of ``year`` for each audience given a number of codes (more codes to a
    collection already open). Needs a yearly questionnaire in service for each such audience."""
    from .selectors import active_questionnaire

    opened = 0
    for field, audience in AUDIENCES.items():
        count = counts.get(field) or 0
        if not count:
            continue
        questionnaire = active_questionnaire(crt=crt, usage=Questionnaire.Usage.YEARLY,
                                             audience=audience)
        if questionnaire is None:
            raise DomainError(
                f"Aucun questionnaire annuel en service pour le public « {audience.label} » : "
                "créez-le (utilisation « Enquête annuelle du volet 2 ») ou installez les "
                "questionnaires par défaut.", field=field)
        services.collection_open(
            actor=actor, crt=crt, questionnaire=questionnaire, subject_kind=YEARLY_KIND,
            subject_public_id=yearly_subject(year),
            subject_label=f"Enquête annuelle {year} — {audience.label.lower()}",
            group_key=str(year), group_label=f"Enquête {year}", category_key=field,
            category_label=audience.label, codes={RESPONDENTS[field]: count},
            opened_on=opened_on)
        opened += 1
    if not opened:
        raise DomainError("Demandez des codes pour un public au moins.", field="beneficiaries")
    return year


def yearly_collections(*, crt, year: int):
    return Collection.objects.filter(crt=crt, subject_kind=YEARLY_KIND,
                                     subject_public_id=yearly_subject(year))
