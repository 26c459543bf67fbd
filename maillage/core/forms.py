"""Forms of the core app: login, audit filters. Labels and errors in French."""

import copy

from django import forms
from django.contrib.auth import get_user_model
from django.contrib.auth.forms import AuthenticationForm, SetPasswordForm
from django.core.exceptions import FieldDoesNotExist
from django.utils.choices import BlankChoiceIterator

from . import validators as project_checks
from .errors import DomainError
from .models import Crt
from .permissions import TEAM_PAGE_ROLES
from .pickers import SearchPickerMixin, SearchSelect
from .roles import Role
from .validators import (
    DATE_BOUNDS,
    validate_birth_date,
    validate_integer_range,
    validate_multiline_text,
    validate_phone,
    validate_plausible_date,
    validate_single_line_text,
)


def add_validator(field: forms.Field, validator) -> None:
    if validator not in field.validators:
        field.validators.append(validator)


#: Django's empty choice of a select (a model field with choices, a foreign key).
DJANGO_BLANK = "---------"


def _french_blank(field) -> None:
    """The empty choice of a select reads « — », as everywhere else, not Django's dashes."""
    if isinstance(field, forms.ModelChoiceField):
        if field.empty_label == DJANGO_BLANK:
            field.empty_label = "—"
    elif isinstance(field, forms.ChoiceField):
        # A model field's choices (``BlankChoiceIterator``: its choices after the blank) or a
        # list; a callable's are left as they are (they may query).
        choices = field.choices
        if isinstance(choices, BlankChoiceIterator | list):
            choices = list(choices)
            if choices and choices[0] == ("", DJANGO_BLANK):
                field.choices = [("", "—"), *choices[1:]]


class BootstrapFormMixin:
    """Bootstrap classes and ``aria-describedby`` links between fields and their errors/help.

    Every text field refuses control and invisible characters: single-line fields (names…)
    refuse line breaks and tabs too, multi-line areas (``Textarea``) accept them; passwords are
    left alone. Every date is in the years 1900-2100, and every ``*birth_date`` field between
    01/01/1900 and today. (Findings 1 and 9 of the access and audit review.) Every number
    (integer, decimal) fits a database integer (20 digits failed in SQLite or in ``date()``)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._style_fields()

    def _guard_fields(self) -> None:
        model = getattr(getattr(self, "_meta", None), "model", None)
        for name, field in self.fields.items():
            if model is not None:
                # The model field's own checks (a phone number, a FINESS…) next to the field,
                # also in a model form whose model validation is left to the service.
                try:
                    model_field = model._meta.get_field(name)
                except FieldDoesNotExist:
                    model_field = None
                for validator in getattr(model_field, "validators", ()):
                    if getattr(validator, "__module__", "") == project_checks.__name__:
                        add_validator(field, validator)
            if isinstance(field, forms.CharField) and not isinstance(field.widget,
                                                                      forms.PasswordInput):
                multiline = isinstance(field.widget, forms.Textarea)
                add_validator(field, validate_multiline_text if multiline
                               else validate_single_line_text)
            elif isinstance(field, forms.IntegerField):
                add_validator(field, validate_integer_range)
            elif isinstance(field, forms.DateField | forms.DateTimeField):
                if name.endswith("birth_date"):
                    add_validator(field, validate_birth_date)
                elif not any(v in DATE_BOUNDS for v in field.validators):
                    add_validator(field, validate_plausible_date)

    @property
    def hidden_errors(self) -> list[str]:
        """The errors of hidden fields (a record's version sent back altered): no field shows
        them, so ``core/_form_errors.html`` lists them above the form."""
        return [error for field in self.hidden_fields() for error in field.errors]

    def get_initial_for_field(self, field, field_name):
        """A choice list keyed by ``public_id`` (``to_field_name``) shows the current value of a
        model form: ``model_to_dict`` gives the database id, which matches no option, and the
        browser would then submit another choice (finding 14 of the access and audit review)."""
        value = super().get_initial_for_field(field, field_name)
        instance = getattr(self, "instance", None)
        if (isinstance(field, forms.ModelChoiceField)
                and not isinstance(field, forms.ModelMultipleChoiceField)
                and field.to_field_name and instance is not None and instance.pk
                and value is not None and not hasattr(value, "_meta")):
            try:
                fk = instance._meta.get_field(field_name)
            except FieldDoesNotExist:  # a form-only field
                return value
            if getattr(fk, "many_to_one", False) and value == getattr(instance, fk.attname):
                return getattr(instance, field_name)
        return value

    def _style_fields(self) -> None:
        for name, field in self.fields.items():
            _french_blank(field)
            widget = field.widget
            css = "form-select" if isinstance(widget, forms.Select) else "form-control"
            if isinstance(widget, forms.CheckboxInput):
                css = "form-check-input"
            if isinstance(widget, forms.RadioSelect):
                # Django puts the class on the group's wrapper too: style the inputs in CSS.
                css = "choice-list"
            classes = widget.attrs.get("class", "").split()
            if css not in classes:
                classes.append(css)
            widget.attrs["class"] = " ".join(c for c in classes if c != "is-invalid")
            described = []
            # The ids the field's template gives its help and errors (``BoundField.auto_id``:
            # the form's ``auto_id`` and prefix; two forms on one page differ by them).
            html_name = self.add_prefix(name)
            auto_id = (str(self.auto_id) % html_name if "%s" in str(self.auto_id)
                       else html_name if self.auto_id else f"id_{html_name}")
            if field.help_text:
                described.append(f"{auto_id}_help")
            # Never trigger validation here (subclasses may still be setting fields up).
            if self._errors is not None and name in self._errors:
                widget.attrs["class"] += " is-invalid"
                widget.attrs["aria-invalid"] = "true"
                described.append(f"{auto_id}_errors")
            if described:
                widget.attrs["aria-describedby"] = " ".join(described)

    def full_clean(self):
        # Here rather than in __init__: subclasses may still change fields and widgets there.
        self._guard_fields()
        super().full_clean()
        self._style_fields()

    #: The service's name of a field (``DomainError.field``) → this form's field, where they
    #: differ (a form asks a time, ``arrived``, the service checks the moment, ``arrived_at``).
    DOMAIN_FIELDS: dict[str, str] = {}

    def add_domain_error(self, error: DomainError) -> None:
        field = self.DOMAIN_FIELDS.get(error.field, error.field)
        field = field if field in self.fields else None
        self.add_error(field, forms.ValidationError(error.message, code=error.code))
        self._style_fields()


#: A hidden field sent back altered (the version of a record): shown above the form.
STALE_FORM = "Le formulaire reçu n'est pas celui qui a été affiché : rechargez la page."


class VersionedModelForm(BootstrapFormMixin, forms.ModelForm):
    """A ModelForm carrying the version the user loaded (concurrent edits are detected)."""

    version = forms.IntegerField(
        widget=forms.HiddenInput, required=False,
        error_messages={"invalid": STALE_FORM, "integer_range": STALE_FORM})

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if not self.is_bound and self.instance.pk:
            self.initial["version"] = self.instance.version
        self._style_fields()

    def _post_clean(self):
        # Validate the model on a copy: the instance stays as loaded until the service writes
        # it, so the service sees (and audits) the real "before" values.
        original = self.instance
        self.instance = copy.copy(original)
        try:
            super()._post_clean()
        finally:
            self.instance = original


class LoginForm(BootstrapFormMixin, AuthenticationForm):
    error_messages = {
        "invalid_login": (
            "Identifiant ou mot de passe incorrect. Après plusieurs erreurs, le compte est "
            "bloqué temporairement."
        ),
        "inactive": "Ce compte est désactivé. Contactez la coordination de votre CRT.",
    }

    def __init__(self, request=None, *args, **kwargs):
        super().__init__(request, *args, **kwargs)
        self.fields["username"].label = "Identifiant"
        self.fields["password"].label = "Mot de passe"
        self.fields["username"].widget.attrs.update({"autocapitalize": "none"})
        self._style_fields()


class PasswordSetForm(BootstrapFormMixin, SetPasswordForm):
    """Choosing one's password from a link: the validators of the settings apply."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["new_password1"].label = "Nouveau mot de passe"
        self.fields["new_password1"].help_text = (
            "Au moins 12 caractères, pas trop courant, pas seulement des chiffres, pas trop "
            "proche de votre nom ou de votre identifiant. Une phrase de quelques mots est idéale."
        )
        self.fields["new_password2"].label = "Nouveau mot de passe (confirmation)"
        self.fields["new_password2"].help_text = ""
        self._style_fields()


USERNAME_HELP = ("La personne s'en sert pour se connecter : lettres, chiffres et . @ + - _, "
                 "sans espace (par exemple claire.moreau).")

PSC_LABEL = "Numéro RPPS ou ADELI (connexion Pro Santé Connect)"
PSC_HELP = ("Facultatif. Un professionnel de santé dont vous indiquez le numéro RPPS "
            "(11 chiffres) ou ADELI (9 chiffres) pourra se connecter avec sa carte CPS ou "
            "l'application e-CPS ; sa première connexion rattache son identité à ce compte.")

ROLE_CHOICE_ERROR = ("Rôle inconnu, ou que votre rôle ne permet pas de donner : la direction, "
                     "le DPO et l'ARS sont nommés par la direction.")


def _team_role_choices(grantable) -> list[tuple[str, str]]:
    return [(r.value, r.label) for r in Role if r in TEAM_PAGE_ROLES and r in grantable]


class MemberInviteForm(BootstrapFormMixin, forms.Form):
    last_name = forms.CharField(label="Nom", max_length=150)
    first_name = forms.CharField(label="Prénom", max_length=150)
    username = forms.CharField(label="Identifiant de connexion", max_length=150,
                               help_text=USERNAME_HELP)
    email = forms.EmailField(
        label="Adresse électronique", required=False,
        help_text="Si vous l'indiquez, le lien pour choisir le mot de passe y est aussi envoyé.",
        error_messages={"invalid": "Adresse électronique invalide."})
    phone = forms.CharField(label="Téléphone", max_length=30, required=False,
                            validators=[validate_phone])
    title = forms.CharField(label="Fonction dans le CRT", max_length=120, required=False)
    psc_identifier = forms.CharField(label=PSC_LABEL, max_length=20, required=False,
                                     help_text=PSC_HELP)
    roles = forms.MultipleChoiceField(
        label="Rôles", widget=forms.CheckboxSelectMultiple,
        error_messages={"required": "Choisissez au moins un rôle.",
                        "invalid_choice": ROLE_CHOICE_ERROR})

    def __init__(self, *args, grantable, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["psc_identifier"].widget.attrs.update({"inputmode": "numeric",
                                                           "autocomplete": "off"})
        self.fields["username"].widget.attrs.update({"autocapitalize": "none",
                                                     "autocomplete": "off"})
        self.fields["roles"].choices = _team_role_choices(grantable)
        self._style_fields()

    # Asked here as the service asks them, so that every error shows at the first submission.
    def clean_username(self):
        from .services import username_problem

        username = self.cleaned_data["username"].strip()
        if (problem := username_problem(username)) is not None:
            raise forms.ValidationError(problem)
        return username

    def clean_psc_identifier(self):
        from .services import psc_identifier_problem

        value = self.cleaned_data["psc_identifier"]
        if (problem := psc_identifier_problem(value)) is not None:
            raise forms.ValidationError(problem)
        return value


class MemberRolesForm(BootstrapFormMixin, forms.Form):
    #: The membership's version when the page was loaded: a stale page is refused (409).
    version = forms.IntegerField(widget=forms.HiddenInput, error_messages={
        "required": "Rechargez la page avant d'enregistrer.",
        "invalid": "Rechargez la page avant d'enregistrer."})
    title = forms.CharField(label="Fonction dans le CRT", max_length=120, required=False)
    psc_identifier = forms.CharField(label=PSC_LABEL, max_length=20, required=False,
                                     help_text=PSC_HELP)
    roles = forms.MultipleChoiceField(
        label="Rôles", widget=forms.CheckboxSelectMultiple,
        help_text="Pour mettre fin à l'accès de la personne, revenez à la page de l'équipe.",
        error_messages={"required": "Choisissez au moins un rôle.",
                        "invalid_choice": ROLE_CHOICE_ERROR})

    def __init__(self, *args, grantable, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["roles"].choices = _team_role_choices(grantable)
        self._style_fields()


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, **kwargs):
        super().__init__(format="%Y-%m-%d", **kwargs)


class DateTimeInput(forms.DateTimeInput):
    """A date and a time in one field (the browser's picker), as the form's ``DateTimeField``
    reads it back (ISO 8601, to the minute)."""

    input_type = "datetime-local"

    def __init__(self, **kwargs):
        super().__init__(format="%Y-%m-%dT%H:%M", **kwargs)


def _actor_label(u) -> str:
    return f"{u.get_full_name()} ({u.username})"


class AuditFilterForm(SearchPickerMixin, BootstrapFormMixin, forms.Form):
    """Filters of the audit list, in the DPO's words: actions by their French label, persons by
    name (never raw codes or identifiers to type); the author found by name (search-as-you-type,
    not a list of every account)."""

    PICKERS = {"actor": (("first_name", "last_name", "username"), _actor_label)}

    actor = forms.ModelChoiceField(
        label="Auteur",
        queryset=get_user_model().objects.none(),
        required=False,
        to_field_name="public_id",
        widget=SearchSelect(),
    )
    person = forms.CharField(
        label="Personne concernée (nom)",
        required=False,
        max_length=100,
        error_messages={"max_length": "Tapez au plus 100 caractères."},
    )
    # Set by the links of the list (one person's events), not typed.
    beneficiary = forms.UUIDField(
        required=False,
        widget=forms.HiddenInput,
        error_messages={"invalid": "Ce lien vers une personne n'est pas valide."},
    )
    action = forms.ChoiceField(
        label="Action",
        required=False,
        error_messages={"invalid_choice": "Choisissez une action de la liste."},
    )
    date_from = forms.DateField(label="Du", required=False, widget=DateInput())
    date_to = forms.DateField(label="Au", required=False, widget=DateInput())
    emergency_only = forms.BooleanField(label="Accès d'urgence seulement", required=False)

    def __init__(self, *args, actors, actions, search_url: str = "", **kwargs):
        """``actions``: grouped choices ``[(group title, [(code, French label)])]``."""
        super().__init__(*args, **kwargs)
        self.fields["actor"].queryset = actors
        self.fields["action"].choices = [("", "Toutes"), *actions]
        self.setup_pickers(search_url)
        self._style_fields()

    def clean_person(self):
        value = " ".join(self.cleaned_data["person"].split())
        if any(ord(c) < 32 for c in value):
            raise forms.ValidationError("Tapez un nom, sans caractère de contrôle.")
        return value

    def clean(self):
        data = super().clean()
        self.resolve_typed(data)
        start, end = data.get("date_from"), data.get("date_to")
        if start and end and end < start:
            self.add_error("date_to", "La date de fin doit être après la date de début.")
        return data


AUDIT_EXPORT_FIELDS = [
    ("occurred_at", "Date"),
    ("actor_label", "Auteur"),
    ("roles_label", "Rôles"),
    ("action_label", "Action"),
    ("action", "Code de l'action"),
    ("object_type", "Type d'objet"),
    ("object_id", "Identifiant de l'objet"),
    ("object_label", "Objet"),
    ("beneficiary_public_id", "Bénéficiaire"),
    ("ip_address", "Adresse IP"),
    ("is_emergency_access", "Accès d'urgence"),
    ("reason", "Motif"),
]


CRT_PHONE_REQUIRED = ("Indiquez le numéro unique du CRT : le DLU et le portail le donnent comme "
                      "joignable 24 h/24.")


class CrtSettingsForm(BootstrapFormMixin, forms.ModelForm):
    """The settings of a CRT its direction edits; the version detects concurrent edits."""

    version = forms.IntegerField(widget=forms.HiddenInput)
    plan_review_months = forms.IntegerField(
        label="Délai de révision des plans (mois)", min_value=1, max_value=12,
        help_text=Crt._meta.get_field("plan_review_months").help_text,
        error_messages={"required": "Indiquez le délai de révision des plans.",
                        "invalid": "Indiquez un nombre de mois.",
                        "min_value": "Le délai est d'au moins 1 mois.",
                        "max_value": "Le délai est d'au plus 12 mois."})
    places = forms.IntegerField(
        label="Nombre de places", min_value=1,
        help_text=Crt._meta.get_field("places").help_text,
        error_messages={"required": "Indiquez le nombre de places.",
                        "invalid": "Indiquez un nombre de places.",
                        "min_value": "Le CRT compte au moins une place."})

    class Meta:
        model = Crt
        fields = ["phone", "email", "file_active_target", "places", "max_travel_minutes",
                  "plan_review_months"]
        error_messages = {
            "phone": {"required": CRT_PHONE_REQUIRED},
            "email": {"invalid": "Adresse électronique invalide."},
            "file_active_target": {"invalid": "Indiquez un nombre de personnes.",
                                   "min_value": "Le nombre ne peut pas être négatif."},
            "max_travel_minutes": {"invalid": "Indiquez une durée en minutes."},
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if not self.is_bound:
            self.initial["version"] = self.instance.version
        # The single number the DLU and the portal give as reachable day and night.
        self.fields["phone"].required = True
        self._style_fields()

    def _post_clean(self):
        pass  # the service validates and writes (``crt_settings_update``)
