from django import forms
from django.contrib.auth import get_user_model
from django.utils import timezone

from maillage.core.collation import french
from maillage.core.forms import BootstrapFormMixin, DateInput, DateTimeInput, VersionedModelForm
from maillage.core.pickers import SearchPickerMixin, SearchSelect
from maillage.core.selectors import team_member_users
from maillage.territory.models import Organization, Professional
from maillage.territory.selectors import communes

from . import aggir, icope, medical
from .birthplace import BirthPlaceFormMixin
from .identity import normalize_matricule
from .models import (
    Beneficiary,
    Caregiver,
    Consent,
    Document,
    FreeEvaluation,
    MedicalRecord,
    VitalSign,
    VitalThresholds,
)
from .services import MEDICAL_FIELDS, input_label
from .vitals import BP_COMPONENTS, KINDS, THRESHOLD_FIELDS, threshold_range


class MatriculeField(forms.CharField):
    """An INS matricule (NIR/NIA) typed as printed on the card, with spaces or dots: they are
    dropped before any check (15 characters) and the value is kept without them."""

    TYPED_LENGTH = 25  # 15 characters and their separators

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.error_messages["max_length"] = ("Le matricule INS compte 15 caractères "
                                             "(13 chiffres et la clé).")
        self.widget.attrs.update({"inputmode": "numeric", "autocomplete": "off",
                                  "maxlength": self.TYPED_LENGTH})

    def to_python(self, value):
        return normalize_matricule(super().to_python(value))


class IdentityForm(BirthPlaceFormMixin, VersionedModelForm):
    class Meta:
        model = Beneficiary
        fields = [
            "birth_name", "used_name", "first_names", "first_name", "used_first_name",
            "birth_date", "sex", "birth_place_code", "ins_matricule", "ins_oid",
            "identity_status", "identity_document", "address", "address_complement", "commune",
            "phone", "mobile", "email",
        ]
        widgets = {"birth_date": DateInput()}
        field_classes = {"ins_matricule": MatriculeField}
        error_messages = {
            "birth_name": {"required": "Indiquez le nom de naissance."},
            "first_names": {"required": "Indiquez le ou les prénoms de naissance."},
            "first_name": {"required": "Indiquez le premier prénom de naissance."},
            "birth_date": {
                "required": "Indiquez la date de naissance.",
                "invalid": "Date de naissance invalide (jj/mm/aaaa).",
            },
            "sex": {"required": "Indiquez le sexe."},
            "birth_place_code": {"required": "Indiquez le code INSEE du lieu de naissance."},
            "address": {"required": "Indiquez l'adresse."},
            "commune": {"required": "Choisissez la commune (territoire du CRT)."},
        }

    def __init__(self, *args, crt, **kwargs):
        super().__init__(*args, **kwargs)
        field = self.fields["commune"]
        field.queryset = communes(crt=crt)
        field.to_field_name = "public_id"
        self.setup_birth_place()
        self._style_fields()

    def clean(self):
        cleaned = super().clean()
        self.clean_birth_place(cleaned)
        return cleaned

    def clean_birth_name(self):
        return self.cleaned_data["birth_name"].strip()


class NewBeneficiaryForm(IdentityForm):
    duplicates_checked = forms.BooleanField(
        label="J'ai vérifié : il ne s'agit d'aucune des personnes proposées", required=False
    )


class SituationForm(VersionedModelForm):
    key_box_code = forms.CharField(
        label="Code de la boîte à clés", required=False, max_length=30,
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )

    class Meta:
        model = Beneficiary
        fields = [
            "living_situation", "housing_type", "floor", "has_lift", "adaptations_done",
            "adaptations_needed", "has_teleassistance", "teleassistance_provider", "has_key_box",
            "key_box_code", "has_grab_bars", "has_medical_bed", "other_equipment", "access_notes",
            "has_apa", "apa_plan", "has_social_aid", "retirement_fund_help",
            "protection_measure", "protection_contact", "trusted_person_name",
            "trusted_person_relation", "trusted_person_phone", "trusted_person_designated_on",
        ]
        widgets = {
            "trusted_person_designated_on": DateInput(),
            **{
                name: forms.Textarea(attrs={"rows": 2})
                for name in ("adaptations_done", "adaptations_needed", "other_equipment",
                             "access_notes", "apa_plan")
            },
        }
        labels = {
            "trusted_person_relation": "Lien de la personne de confiance",
            "trusted_person_phone": "Téléphone de la personne de confiance",
            "trusted_person_designated_on": "Personne de confiance désignée le",
        }

    def __init__(self, *args, show_key_box: bool, **kwargs):
        super().__init__(*args, **kwargs)
        if not show_key_box:
            # Only care-team members who visit may read or change the code.
            del self.fields["key_box_code"]


class CaregiverForm(VersionedModelForm):
    class Meta:
        model = Caregiver
        fields = [
            "last_name", "first_name", "relation", "phone", "email", "address", "lives_with",
            "is_main", "exhaustion_risk", "notes",
        ]
        widgets = {"notes": forms.Textarea(attrs={"rows": 2})}
        error_messages = {
            "last_name": {"required": "Indiquez le nom de l'aidant."},
            "relation": {"required": "Indiquez le lien avec la personne."},
        }


def _team_member_label(u) -> str:
    return f"{u.get_full_name()} — {u.profession}" if u.profession else u.get_full_name()


def _professional_label(p) -> str:
    return " — ".join(x for x in (str(p), p.organization.name if p.organization else "") if x)


class CareTeamForm(SearchPickerMixin, BootstrapFormMixin, forms.Form):
    """Who joins the care team: a team member or a professional of the directory, each found
    by name (search-as-you-type; the page never lists the whole team or directory)."""

    user = forms.ModelChoiceField(
        label="Membre de l'équipe du CRT", queryset=get_user_model().objects.none(),
        required=False, to_field_name="public_id", widget=SearchSelect(),
        error_messages={"invalid_choice": "Choisissez un membre de l'équipe dans la liste."},
    )
    professional = forms.ModelChoiceField(
        label="ou professionnel partenaire", queryset=Professional.objects.none(),
        required=False, to_field_name="public_id", widget=SearchSelect(),
        error_messages={"invalid_choice": "Choisissez un professionnel dans la liste."},
    )
    role = forms.CharField(
        label="Rôle auprès de la personne", max_length=120,
        error_messages={"required": "Indiquez le rôle (par exemple : infirmière libérale)."},
    )
    start_date = forms.DateField(
        label="Depuis le", widget=DateInput(),
        error_messages={"required": "Indiquez la date de début.", "invalid": "Date invalide."},
    )
    is_gp = forms.BooleanField(label="Médecin traitant", required=False)
    is_referent = forms.BooleanField(label="Référent·e du CRT", required=False)
    visits_home = forms.BooleanField(label="Intervient au domicile", required=False, initial=True)

    PICKERS = {
        "user": (("first_name", "last_name", "username"), _team_member_label),
        "professional": (("first_name", "last_name"), _professional_label),
    }

    def __init__(self, *args, crt, search_url: str = "", **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["user"].queryset = team_member_users(crt=crt)
        self.fields["professional"].queryset = (
            Professional.objects.filter(crt=crt, is_active=True)
            .select_related("organization").order_by(french("last_name"), french("first_name"))
        )
        self.setup_pickers(search_url)
        self._style_fields()

    def clean(self):
        cleaned = super().clean()
        self.resolve_typed(cleaned)
        return cleaned


class CareTeamEndForm(BootstrapFormMixin, forms.Form):
    end_date = forms.DateField(
        label="Fin de participation le", widget=DateInput(),
        error_messages={"required": "Indiquez la date de fin.", "invalid": "Date invalide."},
    )
    version = forms.IntegerField(widget=forms.HiddenInput)


class ConsentForm(BootstrapFormMixin, forms.ModelForm):
    class Meta:
        model = Consent
        fields = [
            "kind", "granted", "organization", "share_identity", "share_planning",
            "share_health", "scope_notes", "collected_on", "method",
        ]
        widgets = {"collected_on": DateInput(), "scope_notes": forms.Textarea(attrs={"rows": 2})}
        error_messages = {
            "kind": {"required": "Choisissez l'objet du consentement."},
            "collected_on": {"required": "Indiquez la date du recueil.",
                             "invalid": "Date invalide."},
            "method": {"required": "Indiquez comment il a été recueilli."},
        }

    def __init__(self, *args, crt, **kwargs):
        super().__init__(*args, **kwargs)
        field = self.fields["organization"]
        field.queryset = Organization.objects.filter(crt=crt, is_active=True).order_by(
            french("name"))
        field.to_field_name = "public_id"
        field.help_text = "Seulement pour un partage avec un partenaire hors cercle de soins."
        self._style_fields()

    def _post_clean(self):
        pass  # validated by the service


class ConsentWithdrawForm(BootstrapFormMixin, forms.Form):
    reason = forms.CharField(
        label="Motif et circonstances du retrait", widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": "Indiquez le motif ou les circonstances du retrait."},
    )


def medical_status_fields() -> dict[str, forms.ChoiceField]:
    """The four emergency essentials' statuses as radio buttons: no answer chosen = not filled
    in (the DLU cannot be validated so), "none" is one of the answers."""
    fields = {}
    for name in medical.STATUS_FIELDS:
        model_field = MedicalRecord._meta.get_field(name)
        fields[name] = forms.ChoiceField(
            label=model_field.verbose_name.capitalize(), required=False,
            choices=model_field.choices, widget=forms.RadioSelect,
            error_messages={"invalid_choice": "Choix inconnu : choisissez une des réponses "
                                              "proposées."},
        )
    return fields


def _decimal(value) -> str:
    return f"{value.normalize():f}".replace(".", ",")


class VitalThresholdsForm(VersionedModelForm):
    """The alert thresholds of one person's measures (``vitals.vital_thresholds_set`` checks
    the ranges and low < high, its errors shown next to the field)."""

    class Meta:
        model = VitalThresholds
        fields = [f for _, low, high in THRESHOLD_FIELDS for f in (low, high)]
        localized_fields = "__all__"

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for kind, low, high in THRESHOLD_FIELDS:
            least, most, unit = threshold_range(kind)
            for name in (low, high):
                self.fields[name].help_text = (
                    f"Entre {_decimal(least)} et {_decimal(most)} {unit} ; vide : pas de "
                    "seuil.")
        self._style_fields()


def _now_to_the_minute():
    return timezone.localtime().replace(second=0, microsecond=0)


class VitalSignForm(BootstrapFormMixin, forms.Form):
    """A measure taken by the team (or a fall): ``vitals.vital_sign_record`` checks the value
    against the kind's plausible range, the moment (not ahead, not before the birth), and says
    what is wrong next to the field (``DomainError.field`` = these fields' names)."""

    #: The fields shown for each kind (``data-show-values`` of their wrappers, app.js):
    #: a single value, the two pressures, nothing for a fall.
    VALUE_KINDS = tuple(k for k in KINDS if k != VitalSign.Kind.BLOOD_PRESSURE)

    kind = forms.ChoiceField(
        label="Type de mesure",
        choices=[("", "—"), *((k, info.label) for k, info in KINDS.items()),
                 (VitalSign.Kind.FALL, "Chute")],
        error_messages={"required": "Choisissez la mesure.",
                        "invalid_choice": "Choisissez la mesure dans la liste."})
    value = forms.DecimalField(
        label="Valeur", required=False, localize=True,
        widget=forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"}),
        help_text="Unité : " + ", ".join(
            f"{info.label.lower()} ({info.unit_display})" for k, info in KINDS.items()
            if k != VitalSign.Kind.BLOOD_PRESSURE) + ".",
        error_messages={"invalid": "Indiquez un nombre, par exemple 37,5."})
    systolic = forms.IntegerField(
        label="Systolique (mmHg)", required=False,
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}),
        error_messages={"invalid": "Indiquez un nombre entier de mmHg, par exemple 130."})
    diastolic = forms.IntegerField(
        label="Diastolique (mmHg)", required=False,
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}),
        error_messages={"invalid": "Indiquez un nombre entier de mmHg, par exemple 80."})
    measured_at = forms.DateTimeField(
        label="Mesurée le", widget=DateTimeInput(), initial=_now_to_the_minute,
        help_text="Date et heure de la mesure (ou de la chute) : pas dans le futur.",
        error_messages={"required": "Indiquez la date et l'heure de la mesure.",
                        "invalid": "Date ou heure invalide."})
    device = forms.CharField(
        label="Appareil", required=False, max_length=200,
        help_text="Facultatif : le tensiomètre, le pèse-personne, le bracelet…",
        error_messages={"max_length": "Tapez au plus 200 caractères."})

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        low, high = BP_COMPONENTS["systolic"][2:], BP_COMPONENTS["diastolic"][2:]
        self.fields["systolic"].help_text = f"Entre {low[0]} et {low[1]}."
        self.fields["diastolic"].help_text = f"Entre {high[0]} et {high[1]}."
        self._style_fields()


REASON_MAX = 500


def _reason_field(label: str, help_text: str, required: str) -> forms.CharField:
    return forms.CharField(
        label=label, max_length=REASON_MAX, help_text=help_text,
        widget=forms.Textarea(attrs={"rows": 2}),
        error_messages={"required": required,
                        "max_length": f"Tapez au plus {REASON_MAX} caractères."})


class VitalSignCorrectForm(VitalSignForm):
    """A measure corrected: the fields of its kind (``VitalSignForm``'s, same messages; the
    kind is not changed), a reason, and the version the page showed (``vital_sign_update``
    refuses a measure changed meanwhile)."""

    reason = _reason_field(
        "Motif de la correction",
        "Par exemple : faute de frappe (36,9 et non 38,9). La valeur d'origine reste dans "
        "l'historique de la mesure.",
        "Indiquez le motif de la correction.")
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, sign: VitalSign, **kwargs):
        super().__init__(*args, **kwargs)
        del self.fields["kind"]
        self.fields["value"].label = f"Valeur ({sign.display_unit})"
        self.fields["value"].help_text = None
        if sign.kind == VitalSign.Kind.FALL:
            drop = ("value", "systolic", "diastolic")
        elif sign.kind == VitalSign.Kind.BLOOD_PRESSURE:
            drop = ("value",)
            for name, word in (("systolic", "systolique"), ("diastolic", "diastolique")):
                self._require(name, f"Pression artérielle : la pression {word} manque.")
        else:
            drop = ("systolic", "diastolic")
            info = KINDS[sign.kind]
            self.fields["value"].help_text = (
                f"Entre {_decimal(info.low)} et {_decimal(info.high)} {info.unit_display}.")
            # The service's message for a missing value (``vitals._apply``).
            self._require("value", f"{info.label} : la valeur manque.")
        for name in drop:
            del self.fields[name]
        self.fields["measured_at"].initial = None
        if not self.is_bound:
            self.initial.update({
                "value": _decimal(sign.value) if sign.value is not None else None,
                "systolic": sign.systolic, "diastolic": sign.diastolic,
                "measured_at": timezone.localtime(sign.measured_at), "device": sign.device,
                "version": sign.version})
        self._style_fields()

    def _require(self, name: str, message: str) -> None:
        self.fields[name].required = True
        self.fields[name].error_messages["required"] = message


class VitalSignRetractForm(BootstrapFormMixin, forms.Form):
    """A measure entered by mistake (wrong value, wrong person): a reason, and the version the
    page showed."""

    reason = _reason_field(
        "Motif du retrait",
        "Par exemple : mesure saisie dans le dossier d'une autre personne. La mesure reste "
        "visible, marquée « retirée », dans l'historique.",
        "Indiquez le motif du retrait.")
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)


class MedicalForm(VersionedModelForm):
    class Meta:
        model = MedicalRecord
        fields = list(MEDICAL_FIELDS)
        widgets = {
            f: forms.Textarea(attrs={"rows": 3})
            for f in ("history", "allergies", "treatments", "advance_directives",
                      "resuscitation_decision", "usual_state", "synthesis")
        }

    def __init__(self, *args, readable, **kwargs):
        """``readable``: the fields of the section this user reads
        (``access.medical_fields``), the only ones the form holds."""
        super().__init__(*args, **kwargs)
        self.fields.update(medical_status_fields())
        for name in MEDICAL_FIELDS:
            if name not in readable:
                del self.fields[name]
        self._style_fields()


LETTER_CHOICES = [
    ("", "—"), ("A", "A"), ("B", "B"), ("C", "C"), ("adverbs", "Selon les adverbes cochés"),
]


class AggirForm(BootstrapFormMixin, forms.Form):
    """One row per input: a direct code, or the four adverbs (used when no code is chosen)."""

    evaluated_on = forms.DateField(
        label="Date de l'évaluation", widget=DateInput(), initial=timezone.localdate,
        error_messages={"required": "Indiquez la date.", "invalid": "Date invalide."},
    )
    notes = forms.CharField(label="Observations", required=False,
                            widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.rows = []
        # The service names a variable by its code (« habillage.moyen »): its error goes to
        # that row's select (it was only at the top of the grid).
        self.DOMAIN_FIELDS = {code: f"{code.replace('.', '__')}__code"
                              for code in aggir.INPUT_CODES}
        for code in aggir.INPUT_CODES:
            key = code.replace(".", "__")
            self.fields[f"{key}__code"] = forms.ChoiceField(
                label=f"{input_label(code)} : code", choices=LETTER_CHOICES, required=False
            )
            adverbs = []
            for adverb in aggir.ADVERBS:
                name = f"{key}__{adverb.code}"
                self.fields[name] = forms.BooleanField(
                    label=f"{input_label(code)} : {adverb.label}", required=False
                )
                adverbs.append(name)
            self.rows.append(
                {"code": code, "label": input_label(code), "select": f"{key}__code",
                 "adverbs": adverbs,
                 "discriminant": code.split(".")[0] in aggir.DISCRIMINANT_CODES}
            )
        self._style_fields()

    def grid_rows(self):
        return [
            {**row, "select": self[row["select"]], "adverbs": [self[a] for a in row["adverbs"]]}
            for row in self.rows
        ]

    def inputs(self) -> dict[str, dict]:
        """What the service expects: the code chosen, or the four adverbs when asked to."""
        data, result = self.cleaned_data, {}
        for row in self.rows:
            choice = data.get(row["select"]) or ""
            if choice == "adverbs":
                result[row["code"]] = {"adverbs": [bool(data.get(a)) for a in row["adverbs"]]}
            else:
                result[row["code"]] = {"code": choice}
        return result


class IcopeForm(BootstrapFormMixin, forms.Form):
    screened_on = forms.DateField(
        label="Date du repérage", widget=DateInput(), initial=timezone.localdate,
        error_messages={"required": "Indiquez la date.", "invalid": "Date invalide."},
    )
    notes = forms.CharField(label="Observations", required=False,
                            widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for question in icope.QUESTIONS:
            self.fields[question.code.replace(".", "__")] = forms.TypedChoiceField(
                label=question.label, choices=[("oui", "Oui"), ("non", "Non")],
                coerce=lambda v: v == "oui", widget=forms.RadioSelect,
                error_messages={"required": "Répondez à cette question."},
            )
        self._style_fields()

    def domains(self):
        return [
            {"label": d.label,
             "fields": [self[q.code.replace(".", "__")] for q in d.questions]}
            for d in icope.DOMAINS
        ]

    def answers(self) -> dict[str, bool]:
        return {q.code: self.cleaned_data[q.code.replace(".", "__")] for q in icope.QUESTIONS}


class DocumentForm(BootstrapFormMixin, forms.Form):
    title = forms.CharField(label="Titre", max_length=200,
                            error_messages={"required": "Donnez un titre au document."})
    category = forms.ChoiceField(label="Catégorie", choices=Document.Category.choices,
                                 error_messages={"required": "Choisissez une catégorie."})
    document_date = forms.DateField(
        label="Date du document", widget=DateInput(),
        error_messages={"required": "Indiquez la date du document.", "invalid": "Date invalide."},
    )
    file = forms.FileField(
        label="Fichier (PDF, PNG ou JPEG)",
        error_messages={"required": "Choisissez un fichier.", "empty": "Le fichier est vide."},
    )

    def __init__(self, *args, allow_medical: bool, **kwargs):
        super().__init__(*args, **kwargs)
        if not allow_medical:
            self.fields["category"].choices = [
                c for c in Document.Category.choices if c[0] != Document.Category.MEDICAL
            ]
        self.fields["file"].widget.attrs["accept"] = ".pdf,.png,.jpg,.jpeg"
        self._style_fields()


class SearchForm(forms.Form):
    q = forms.CharField(required=False, max_length=80)



class FreeEvaluationForm(BootstrapFormMixin, forms.Form):
    kind = forms.ChoiceField(label="Type", choices=[("", "—"), *FreeEvaluation.Kind.choices],
                             error_messages={"required": "Choisissez le type d'évaluation."})
    evaluated_on = forms.DateField(label="Date", widget=DateInput(), initial=timezone.localdate,
                                   error_messages={"required": "Indiquez la date.",
                                                   "invalid": "Date invalide."})
    title = forms.CharField(label="Titre", max_length=200,
                            error_messages={"required": "Donnez un titre."})
    findings = forms.CharField(label="Constats et préconisations",
                               widget=forms.Textarea(attrs={"rows": 6}),
                               error_messages={"required": "Décrivez les constats."})

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._style_fields()
