"""The DLU form: the medical synthesis (saved into the file's medical section) and what only
the DLU holds, with the versions of both records the user loaded (concurrent edits). Two
buttons: save as a draft, or save and validate (refused, field by field, while an essential
has no answer)."""

from django import forms
from django.forms.models import fields_for_model

from maillage.beneficiaries.forms import medical_status_fields
from maillage.beneficiaries.models import MedicalRecord
from maillage.core.errors import DomainError
from maillage.core.forms import BootstrapFormMixin, DateInput

from .dlu import DLU_FIELDS, MEDICAL_FIELDS, DluIncompleteError
from .models import EmergencyFile

_TEXTAREAS = {"rows": 3}

MEDICAL_HELP = {
    "allergies_status": "« Aucune allergie connue » est une réponse ; sans réponse, le DLU ne "
                        "peut pas être validé.",
    "allergies": "Produit et réaction (par exemple : pénicilline, œdème de Quincke).",
    "advance_directives": "Date, contenu résumé, où les trouver.",
    "resuscitation_decision": "Limitation ou arrêt des thérapeutiques actives (LATA) : ce qui "
                              "a été décidé, quand, avec la personne, ses proches et le "
                              "médecin.",
    "treatments": "Médicaments, doses et horaires ; anticoagulants en premier.",
    "usual_state": "Cognition, orientation, communication, mobilité, continence, alimentation : "
                   "pour que l'urgentiste compare avec l'état actuel.",
    "synthesis": "Synthèse du médecin traitant.",
}


class DluForm(BootstrapFormMixin, forms.Form):
    VALIDATE = "validate"

    version = forms.IntegerField(widget=forms.HiddenInput, required=False, min_value=0)
    medical_version = forms.IntegerField(widget=forms.HiddenInput, min_value=0)

    def __init__(self, *args, medical: MedicalRecord, emergency_file: EmergencyFile | None,
                 readable, gp_name: str = "", **kwargs):
        """``readable``: the fields of the medical section this user reads
        (``beneficiaries.access.medical_fields``), the only ones of it the form holds."""
        super().__init__(*args, **kwargs)
        self.medical_names = [f for f in MEDICAL_FIELDS if f in readable]
        medical_fields = fields_for_model(
            MedicalRecord, fields=MEDICAL_FIELDS,
            widgets={f: forms.Textarea(attrs=_TEXTAREAS) for f in MEDICAL_FIELDS
                     if f != "has_palliative_sheet" and not f.endswith("_status")},
            help_texts=MEDICAL_HELP,
        )
        for name, status_field in medical_status_fields().items():
            status_field.help_text = MEDICAL_HELP.get(name, "")
            medical_fields[name] = status_field
        dlu_fields = fields_for_model(
            EmergencyFile, fields=[f for f in DLU_FIELDS if f != "annexes"],
            widgets={"important_info": forms.Textarea(attrs=_TEXTAREAS),
                     "communication": forms.Textarea(attrs=_TEXTAREAS),
                     "people_to_warn": forms.Textarea(attrs=_TEXTAREAS),
                     "medical_validated_on": DateInput()},
        )
        dlu_fields["annexes"] = forms.MultipleChoiceField(
            label="Documents rangés avec le DLU au domicile", required=False,
            choices=EmergencyFile.Annex.choices, widget=forms.CheckboxSelectMultiple,
            error_messages={"invalid_choice": "Document inconnu : %(value)s."},
        )
        dlu_fields["medical_validated_on"].error_messages["invalid"] = (
            "Date invalide (jj/mm/aaaa).")
        # The order of the DLU: the medical synthesis, then the rest.
        ordered = {**{f: medical_fields[f] for f in self.medical_names},
                   **{f: dlu_fields[f] for f in DLU_FIELDS}}
        self.fields.update(ordered)
        if not self.is_bound:
            self.initial.update({f: getattr(medical, f) for f in self.medical_names})
            self.initial["medical_version"] = medical.version
            if emergency_file is not None:
                self.initial.update({f: getattr(emergency_file, f) for f in DLU_FIELDS})
                self.initial["version"] = emergency_file.version
            else:
                self.initial["version"] = 0
            if not self.initial.get("medical_validated_by"):
                self.initial["medical_validated_by"] = gp_name
        self._style_fields()

    #: The essentials missing when a validation was refused (French), shown above the form.
    incomplete: list[str] = []

    @property
    def validating(self) -> bool:
        """The « Enregistrer et valider » button was used."""
        return self.data.get("action") == self.VALIDATE

    def add_domain_error(self, error: DomainError) -> None:
        if isinstance(error, DluIncompleteError):
            self.incomplete = list(error.missing.values())
            for name, message in error.missing.items():
                self.add_error(name, forms.ValidationError(message, code=error.code))
            self._style_fields()
            return
        super().add_domain_error(error)

    @property
    def medical_part(self) -> list:
        return [self[f] for f in self.medical_names]

    @property
    def dlu_part(self) -> list:
        return [self[f] for f in DLU_FIELDS]

    def medical_data(self) -> dict:
        return {f: self.cleaned_data[f] for f in self.medical_names}

    def dlu_data(self) -> dict:
        return {f: self.cleaned_data[f] for f in DLU_FIELDS}


class DluReviewForm(forms.Form):
    """The « relu, toujours exact » button: the versions of what the user read."""

    version = forms.IntegerField(min_value=0)
    medical_version = forms.IntegerField(min_value=0)
