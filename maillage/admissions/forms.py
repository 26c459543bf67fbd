from datetime import timedelta

from django import forms
from django.contrib.auth import get_user_model
from django.core.validators import MaxValueValidator, MinValueValidator
from django.utils import timezone

from maillage.core.collation import french
from maillage.core.forms import BootstrapFormMixin, DateInput
from maillage.core.pickers import SearchPickerMixin, SearchSelect
from maillage.core.validators import validate_birth_date, validate_phone
from maillage.territory.models import Organization, Professional
from maillage.territory.selectors import communes

from .models import AdmissionStep, Enrolment, PrioritySituation, Referral, ReferrerKind, Suspension

PERSON_FIELDS = [
    "person_last_name", "person_first_name", "person_birth_date", "person_address",
    "person_commune", "person_phone", "lives_in_institution",
]
REQUEST_FIELDS = [
    "reason", "priority_situations", "known_gir", "urgency", "hospital_discharge",
    "person_agrees",
]
ERRORS = {
    "person_last_name": {"required": "Indiquez le nom de la personne."},
    "person_first_name": {"required": "Indiquez le prénom de la personne."},
    "person_birth_date": {"invalid": "Date de naissance invalide (jj/mm/aaaa)."},
    "referrer_kind": {"required": "Indiquez qui oriente la personne."},
    "referrer_name": {"required": "Indiquez votre nom."},
    "reason": {"required": "Décrivez la situation et le motif de la demande."},
    "known_gir": {"max_value": "Le GIR va de 1 à 6.", "min_value": "Le GIR va de 1 à 6."},
}


class ReferralForm(BootstrapFormMixin, forms.ModelForm):
    """The single referral form, used by the team (internal)."""

    priority_situations = forms.MultipleChoiceField(
        label="Situations prioritaires", choices=PrioritySituation.choices, required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    class Meta:
        model = Referral
        fields = [
            *PERSON_FIELDS, "referrer_kind", "referrer_organization", "referrer_professional",
            "referrer_name", "referrer_email", "referrer_phone", *REQUEST_FIELDS,
        ]
        widgets = {"person_birth_date": DateInput(),
                   "reason": forms.Textarea(attrs={"rows": 4})}
        error_messages = ERRORS

    def __init__(self, *args, crt, **kwargs):
        super().__init__(*args, **kwargs)
        for name, qs in (
            ("person_commune", communes(crt=crt)),
            ("referrer_organization", Organization.objects.filter(crt=crt, is_active=True)
             .order_by(french("name"))),
            ("referrer_professional", Professional.objects.filter(crt=crt, is_active=True)
             .order_by(french("last_name"))),
        ):
            self.fields[name].queryset = qs
            self.fields[name].to_field_name = "public_id"
            self.fields[name].empty_label = "—"
        # Checked here as the service checks them, so that every error shows at once, each
        # in the form's words (the model's GIR bounds spoke Django's).
        self.fields["person_birth_date"].validators.append(validate_birth_date)
        self.fields["known_gir"].validators += [MinValueValidator(1), MaxValueValidator(6)]
        self._style_fields()

    def _post_clean(self):
        pass  # validated by the service


class PublicReferralForm(BootstrapFormMixin, forms.Form):
    """The public form: no account, nothing from the CRT is shown back."""

    referrer_kind = forms.ChoiceField(
        label="Vous êtes", choices=[("", "—"), *ReferrerKind.choices],
        error_messages=ERRORS["referrer_kind"],
    )
    referrer_name = forms.CharField(label="Votre nom", max_length=200,
                                    error_messages=ERRORS["referrer_name"])
    referrer_organization_name = forms.CharField(
        label="Votre structure (si vous êtes un professionnel)", max_length=200, required=False
    )
    referrer_email = forms.EmailField(
        label="Votre courriel (pour recevoir la réponse)",
        error_messages={"required": "Indiquez un courriel pour recevoir la réponse.",
                        "invalid": "Saisissez une adresse de courriel valide."},
    )
    referrer_phone = forms.CharField(label="Votre téléphone", max_length=30, required=False,
                                     validators=[validate_phone])
    person_last_name = forms.CharField(label="Nom de la personne", max_length=120,
                                       error_messages=ERRORS["person_last_name"])
    person_first_name = forms.CharField(label="Prénom de la personne", max_length=120,
                                        error_messages=ERRORS["person_first_name"])
    person_birth_date = forms.DateField(label="Date de naissance", required=False,
                                        widget=DateInput(), validators=[validate_birth_date],
                                        error_messages=ERRORS["person_birth_date"])
    person_address = forms.CharField(label="Adresse de la personne", max_length=250,
                                     required=False)
    person_commune_name = forms.CharField(label="Commune de la personne", max_length=120,
                                          error_messages={"required": "Indiquez la commune."})
    person_phone = forms.CharField(label="Téléphone de la personne", max_length=30,
                                   required=False,
                                   validators=[validate_phone])
    reason = forms.CharField(label="Situation et motif de la demande",
                             widget=forms.Textarea(attrs={"rows": 5}), max_length=4000,
                             error_messages=ERRORS["reason"])
    priority_situations = forms.MultipleChoiceField(
        label="La personne est concernée par", choices=PrioritySituation.choices,
        required=False, widget=forms.CheckboxSelectMultiple,
    )
    hospital_discharge = forms.BooleanField(
        label="Un médecin hospitalier préconise l'admission à la sortie d'hospitalisation",
        required=False,
    )
    person_agrees = forms.BooleanField(
        label="La personne est informée de cette demande et d'accord",
        error_messages={"required": "La demande nécessite l'accord de la personne."},
    )
    # Honeypot: hidden from people, filled by robots.
    website = forms.CharField(required=False, label="Ne pas remplir",
                              widget=forms.TextInput(attrs={"tabindex": "-1",
                                                            "autocomplete": "off"}))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._style_fields()


#: The pickers of team members (search-as-you-type): fields searched, label.
TEAM_PICKER = (("first_name", "last_name", "username"), lambda u: _user_label(u))
ORGANIZATION_PICKER = (("name",), lambda o: o.name)
CHOOSE_MEMBER = "Choisissez un membre de l'équipe dans la liste."
#: How far back the commissions offered by the review and team opinion forms go.
RECENT_COMMISSIONS_DAYS = 365


def commission_field(label: str, empty_label: str) -> forms.ModelChoiceField:
    """An optional choice of one of the CRT's admission commissions (``recent_commissions``)."""
    return forms.ModelChoiceField(
        label=label, required=False, queryset=None, to_field_name="public_id",
        empty_label=empty_label,
        error_messages={"invalid_choice": "Choisissez une commission d'admission dans la "
                                          "liste."},
    )


def recent_commissions(crt, received_on=None):
    """The CRT's admission commissions of the last year, held up to today (one still to come
    has examined nothing) and, for a request, not before it came in (``received_on``),
    latest first."""
    from maillage.organisation.selectors import commission_meetings

    today = timezone.localdate()
    since = today - timedelta(days=RECENT_COMMISSIONS_DAYS)
    return commission_meetings(crt=crt, until=today,
                               since=max(since, received_on) if received_on else since)


class DecisionForm(SearchPickerMixin, BootstrapFormMixin, forms.Form):
    """The review of a referral; the structure it is redirected to and who takes the next step
    are found by name (search-as-you-type)."""

    PICKERS = {"redirected_to": ORGANIZATION_PICKER, "next_step_owner": TEAM_PICKER}

    decision = forms.ChoiceField(
        label="Décision", widget=forms.RadioSelect,
        choices=[("accept", "Accepter : inscrire en liste d'attente"),
                 ("decline", "Refuser"), ("redirect", "Réorienter vers une autre structure")],
        error_messages={"required": "Choisissez une décision."},
    )
    reason = forms.CharField(label="Motif (transmis à la personne qui a orienté)",
                             required=False, widget=forms.Textarea(attrs={"rows": 3}))
    redirected_to = forms.ModelChoiceField(
        label="Réorientée vers", queryset=Organization.objects.none(), required=False,
        to_field_name="public_id",
        widget=SearchSelect(placeholder="Tapez un nom de structure…", nothing="Aucune structure",
                            several="Plusieurs structures"),
        error_messages={"invalid_choice": "Choisissez une structure dans la liste."},
    )
    override = forms.CharField(
        label="Justification si la personne ne remplit pas un critère", required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    next_step = forms.CharField(label="Prochaine étape", required=False, max_length=200,
                                initial="Visite à domicile d'évaluation")
    next_step_owner = forms.ModelChoiceField(
        label="Qui s'en charge", queryset=get_user_model().objects.none(), required=False,
        to_field_name="public_id", widget=SearchSelect(), help_text="Sans choix : vous.",
        error_messages={"invalid_choice": CHOOSE_MEMBER},
    )
    meeting = commission_field("Commission d'admission qui a examiné la demande",
                               "— Aucune (décision hors commission)")
    version = forms.IntegerField(widget=forms.HiddenInput)

    def __init__(self, *args, crt, search_url: str = "", received_on=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["redirected_to"].queryset = Organization.objects.filter(
            crt=crt, is_active=True).order_by(french("name"))
        self.fields["meeting"].queryset = recent_commissions(crt, received_on)
        self.fields["next_step_owner"].queryset = team_users(crt)
        self.setup_pickers(search_url)
        self._style_fields()

    def clean(self):
        cleaned = super().clean()
        self.resolve_typed(cleaned)
        return cleaned


class NextStepForm(SearchPickerMixin, BootstrapFormMixin, forms.Form):
    PICKERS = {"next_step_owner": TEAM_PICKER}

    next_step = forms.CharField(label="Prochaine étape", max_length=200,
                                error_messages={"required": "Indiquez la prochaine étape."})
    next_step_owner = forms.ModelChoiceField(
        label="Qui s'en charge", queryset=get_user_model().objects.none(),
        to_field_name="public_id", widget=SearchSelect(),
        error_messages={"required": "Indiquez qui s'en charge.",
                        "invalid_choice": CHOOSE_MEMBER},
    )
    version = forms.IntegerField(widget=forms.HiddenInput)

    def __init__(self, *args, crt, search_url: str = "", **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["next_step_owner"].queryset = team_users(crt)
        self.setup_pickers(search_url)
        self._style_fields()

    def clean(self):
        cleaned = super().clean()
        self.resolve_typed(cleaned)
        return cleaned


def team_users(crt):
    return (get_user_model().objects.filter(memberships__crt=crt, memberships__is_active=True)
            .order_by(french("last_name"), french("first_name")).distinct())


def _user_label(user) -> str:
    return f"{user.get_full_name()} — {user.profession}" if user.profession else \
        user.get_full_name()


#: The fields each step's form shows (besides the date): only what makes sense for it.
STEP_FIELDS = {
    AdmissionStep.Kind.HOME_VISIT: ["outcome", "joint_organizations", "notes"],
    AdmissionStep.Kind.MEDICAL_EVALUATION: ["outcome", "gp_associated", "notes"],
    AdmissionStep.Kind.TEAM_OPINION: ["outcome", "meeting", "notes"],
    AdmissionStep.Kind.PLAN_DRAFTED: ["plan_summary", "notes"],
    AdmissionStep.Kind.CONTRACT_SIGNED: ["notes"],
    AdmissionStep.Kind.AGREEMENT: ["agreed_by", "agreement_method", "notes"],
}


class InlineFormMixin:
    """A form opened inside the admission checklist, next to its step: ids prefixed by the step
    (several forms may be open at once), its first field in error (else ``focus``) focused."""

    focus = ""

    def add_domain_error(self, error) -> None:
        # An error on a hidden field (the step itself, the version) is said above the form.
        if error.field in self.fields and self.fields[error.field].widget.is_hidden:
            error.field = None
        super().add_domain_error(error)

    def clean(self):
        data = super().clean()
        for name, field in self.fields.items():
            if field.widget.is_hidden and name in self._errors:
                for message in self._errors.pop(name):
                    self.add_error(None, message)
        return data

    def _style_fields(self) -> None:
        super()._style_fields()
        for name, field in self.fields.items():
            described = field.widget.attrs.get("aria-describedby")
            if described:
                field.widget.attrs["aria-describedby"] = described.replace(
                    f"id_{name}_", f"{self[name].auto_id}_")
        errors = self._errors or {}
        visible = [n for n, f in self.fields.items() if not f.widget.is_hidden]
        in_error = [n for n in visible if n in errors]
        target = in_error[0] if in_error else (self.focus if self.focus in visible else None)
        for name in visible:
            self.fields[name].widget.attrs.pop("autofocus", None)
        if target:
            self.fields[target].widget.attrs["autofocus"] = True


class StepForm(InlineFormMixin, BootstrapFormMixin, forms.Form):
    """One step of the procedure: the date and the fields of that step only (``STEP_FIELDS``).
    Without a known step (``kind=None``), the step is chosen among those still due."""

    kind = forms.ChoiceField(label="Étape", error_messages={
        "required": "Choisissez l'étape.",
        "invalid_choice": "Cette étape est déjà enregistrée ou n'existe pas.",
    })
    done_on = forms.DateField(label="Réalisée le", widget=DateInput(),
                              error_messages={"required": "Indiquez la date.",
                                              "invalid": "Date invalide (jj/mm/aaaa)."})
    outcome = forms.ChoiceField(label="Avis", choices=AdmissionStep.Outcome.choices,
                                widget=forms.RadioSelect,
                                error_messages={"required": "Indiquez l'avis."})
    joint_organizations = forms.ModelMultipleChoiceField(
        label="Visite conjointe avec", queryset=Organization.objects.none(),
        required=False, to_field_name="public_id", widget=forms.CheckboxSelectMultiple,
    )
    gp_associated = forms.BooleanField(label="Médecin traitant associé", required=False)
    plan_summary = forms.CharField(
        label="Synthèse du plan d'accompagnement", required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    agreed_by = forms.ChoiceField(
        label="Accord donné par", widget=forms.RadioSelect,
        choices=AdmissionStep.AgreedBy.choices,
        error_messages={"required": "Indiquez qui a donné son accord."},
    )
    agreement_method = forms.ChoiceField(
        label="Modalité", widget=forms.RadioSelect, choices=AdmissionStep.AgreementMethod.choices,
        error_messages={"required": "Indiquez comment l'accord a été donné."},
    )
    meeting = commission_field("Commission d'admission qui a rendu l'avis",
                               "— Aucune (avis de l'équipe hors commission)")
    notes = forms.CharField(label="Observations", required=False,
                            widget=forms.Textarea(attrs={"rows": 2}))
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    focus = "done_on"

    def __init__(self, *args, crt, due, kind=None, representative="", plan_version=None,
                 received_on=None, **kwargs):
        # The step's kind names the ids only when it is a known one: it comes from the request
        # (a « % » in it would break the id pattern, others would make odd ids).
        known = kind if kind in AdmissionStep.Kind.values else "step"
        kwargs.setdefault("auto_id", f"id_{known}_%s")
        super().__init__(*args, **kwargs)
        self.step_kind = kind if kind in due else None
        self.fields["kind"].choices = [(k, AdmissionStep.Kind(k).label) for k in due]
        if self.step_kind:
            self.fields["kind"].widget = forms.HiddenInput()
            self.fields["kind"].initial = self.step_kind
            keep = {"kind", "done_on", "version", *STEP_FIELDS[self.step_kind]}
            for name in list(self.fields):
                if name not in keep:
                    del self.fields[name]
        else:
            for name in ("agreed_by", "agreement_method"):
                del self.fields[name]
            self.fields["outcome"].required = False
            self.fields["meeting"].help_text = ("Seulement pour l'avis de l'équipe / "
                                                "commission d'admission.")
        if "meeting" in self.fields:
            self.fields["meeting"].queryset = recent_commissions(crt, received_on)
        if "joint_organizations" in self.fields:
            self.fields["joint_organizations"].queryset = Organization.objects.filter(
                crt=crt, is_active=True, kind__in=["ssiad", "sad", "had", "dac", "ehpad",
                                                   "msp", "gp_practice"]).order_by(french("name"))
        if "agreed_by" in self.fields:
            self.fields["agreed_by"].choices = [
                (AdmissionStep.AgreedBy.PERSON, "La personne elle-même"),
                (AdmissionStep.AgreedBy.LEGAL_REPRESENTATIVE,
                 f"Son représentant légal : {representative}" if representative else
                 "Son représentant légal (aucun n'est indiqué dans le dossier)"),
            ]
        if "plan_summary" in self.fields and plan_version is not None:
            self.fields["plan_summary"].help_text = (
                f"Le plan personnalisé du dossier (version {plan_version.number}) est relié à "
                "cette étape ; la synthèse est facultative.")
        self._style_fields()


class ContractForm(InlineFormMixin, BootstrapFormMixin, forms.Form):
    focus = "optional_services"

    optional_services = forms.CharField(
        label="Prestations optionnelles (une par ligne : libellé ; prix en € ; prestataire)",
        required=False, widget=forms.Textarea(attrs={"rows": 4}),
        help_text="Par exemple : Portage de repas ; 9,50 ; CCAS. Laissez vide s'il n'y en a "
                  "aucune. Les prestations du socle sont toujours gratuites.",
    )

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("auto_id", "id_contract_%s")
        super().__init__(*args, **kwargs)
        self._style_fields()


class AdmitForm(SearchPickerMixin, InlineFormMixin, BootstrapFormMixin, forms.Form):
    """The decision. ``capacity_justification`` only when the capacity is reached; the
    referent is found by name (search-as-you-type)."""

    PICKERS = {"referent": TEAM_PICKER}

    admitted_on = forms.DateField(label="Date d'admission", widget=DateInput(),
                                  error_messages={"required": "Indiquez la date d'admission.",
                                                  "invalid": "Date invalide."})
    referent = forms.ModelChoiceField(
        label="Référent·e", queryset=get_user_model().objects.none(), to_field_name="public_id",
        widget=SearchSelect(),
        error_messages={"required": "Choisissez le ou la référent·e.",
                        "invalid_choice": CHOOSE_MEMBER},
    )
    gir_at_entry = forms.TypedChoiceField(
        label="GIR à l'entrée (si différent de la dernière évaluation)", required=False,
        choices=[("", "—"), *((i, f"GIR {i}") for i in range(1, 7))], coerce=int,
        empty_value=None,
    )
    capacity_justification = forms.CharField(
        label="Justification de l'admission au-delà de la capacité",
        widget=forms.Textarea(attrs={"rows": 2}),
        error_messages={"required": "Justifiez l'admission au-delà de la capacité."},
    )
    admission_meeting = forms.ModelChoiceField(
        label="Commission d'admission qui a pris la décision", required=False,
        queryset=None, to_field_name="public_id", empty_label="— Aucune (décision hors commission)",
        error_messages={"invalid_choice": "Choisissez une commission d'admission dans la "
                                          "liste."},
    )
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    focus = "admitted_on"

    def __init__(self, *args, crt, capacity_reached=False, search_url: str = "",
                 received_on=None, **kwargs):
        kwargs.setdefault("auto_id", "id_decision_%s")
        super().__init__(*args, **kwargs)
        self.fields["referent"].queryset = team_users(crt)
        from maillage.organisation.selectors import commission_meetings

        # Commissions held up to today (one still to come has decided nothing), and not before
        # the request came in (``received_on``: it had not examined it).
        self.fields["admission_meeting"].queryset = commission_meetings(
            crt=crt, until=timezone.localdate(), since=received_on)
        if not capacity_reached:
            del self.fields["capacity_justification"]
        self.setup_pickers(search_url)
        self._style_fields()

    def clean(self):
        cleaned = super().clean()
        self.resolve_typed(cleaned)
        return cleaned


class SuspensionForm(BootstrapFormMixin, forms.Form):
    kind = forms.ChoiceField(label="Type", choices=[("", "—"), *Suspension.Kind.choices],
                             error_messages={"required": "Choisissez le type."})
    start_date = forms.DateField(label="Depuis le", widget=DateInput(),
                                 error_messages={"required": "Indiquez la date de début.",
                                                 "invalid": "Date invalide."})
    end_date = forms.DateField(label="Retour à domicile le (si connu)", widget=DateInput(),
                               required=False, error_messages={"invalid": "Date invalide."},
                               help_text="Les passages reprennent ce jour-là.")
    place = forms.CharField(label="Lieu (établissement, service)", required=False,
                            max_length=200)
    reason = forms.CharField(label="Motif", widget=forms.Textarea(attrs={"rows": 2}),
                             error_messages={"required": "Indiquez le motif."})

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._style_fields()


class SuspensionEndForm(BootstrapFormMixin, forms.Form):
    end_date = forms.DateField(label="Retour le", widget=DateInput(),
                               error_messages={"required": "Indiquez la date de retour.",
                                               "invalid": "Date invalide."})
    version = forms.IntegerField(widget=forms.HiddenInput)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._style_fields()


class ExitForm(BootstrapFormMixin, forms.Form):
    ended_on = forms.DateField(label="Date de sortie", widget=DateInput(),
                               error_messages={"required": "Indiquez la date de sortie.",
                                               "invalid": "Date invalide."})
    exit_reason = forms.ChoiceField(label="Motif de sortie",
                                    choices=[("", "—"), *Enrolment.ExitReason.choices],
                                    error_messages={"required": "Choisissez le motif."})
    destination = forms.CharField(label="Destination (établissement, nouvelle adresse…)",
                                  required=False, max_length=200)
    health_related = forms.BooleanField(label="Motif lié à l'état de santé", required=False)
    doctor_opinion = forms.CharField(label="Avis du médecin", required=False,
                                     widget=forms.Textarea(attrs={"rows": 2}))
    notes = forms.CharField(label="Précisions", required=False,
                            widget=forms.Textarea(attrs={"rows": 2}))
    version = forms.IntegerField(widget=forms.HiddenInput)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._style_fields()
