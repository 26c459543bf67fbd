from django import forms
from django.db.models import Q

from maillage.core.collation import french
from maillage.core.forms import BootstrapFormMixin, DateInput, VersionedModelForm

from .models import Agreement, Commune, Organization, Professional
from .selectors import communes

TRAVEL_ERRORS = {
    "required": "Indiquez le temps de trajet en minutes.",
    "max_value": "Le temps de trajet ne peut pas dépasser 240 minutes.",
    "min_value": "Le temps de trajet ne peut pas être négatif.",
    "invalid": "Indiquez un nombre entier de minutes.",
}


def _travel_field() -> forms.IntegerField:
    return forms.IntegerField(
        label="Temps de trajet depuis le site (minutes)", min_value=0, max_value=240,
        help_text="Temps de route habituel depuis le site du CRT, en minutes.",
        error_messages=TRAVEL_ERRORS,
    )


def _degrees(label: str, bound: int, digits: int, example: str) -> forms.DecimalField:
    return forms.DecimalField(
        label=label, required=False, min_value=-bound, max_value=bound, max_digits=digits,
        decimal_places=5, localize=True,
        help_text=f"En degrés décimaux (WGS 84), par exemple {example}.",
        error_messages={
            "invalid": "Indiquez un nombre en degrés décimaux, avec un point ou une virgule.",
            "min_value": f"La {label.lower()} est comprise entre -{bound} et {bound}.",
            "max_value": f"La {label.lower()} est comprise entre -{bound} et {bound}.",
            "max_decimal_places": "Indiquez au plus 5 décimales.",
            "max_digits": f"La {label.lower()} est comprise entre -{bound} et {bound}, avec "
                          "au plus 5 décimales.",
            "max_whole_digits": f"La {label.lower()} est comprise entre -{bound} et {bound}.",
        },
    )


class _CoverageMixin:
    def _widgets(self):
        self.fields["travel_minutes"].widget.attrs["inputmode"] = "numeric"
        for name in ("latitude", "longitude"):
            if name in self.fields:
                self.fields[name].widget.attrs["inputmode"] = "decimal"


class CommuneForm(_CoverageMixin, VersionedModelForm):
    travel_minutes = _travel_field()
    latitude = _degrees("Latitude", 90, 7, "47,55961")
    longitude = _degrees("Longitude", 180, 8, "-1,03125")

    class Meta:
        model = Commune
        fields = [
            "name", "postal_code", "covers_volet1", "covers_volet2", "travel_minutes",
            "latitude", "longitude",
        ]
        error_messages = {
            "name": {"required": "Indiquez le nom de la commune."},
            "postal_code": {"required": "Indiquez le code postal."},
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._widgets()

    def _post_clean(self):
        # The service validates (one place for the rules, including "at least one volet").
        pass


class CommuneAddForm(_CoverageMixin, BootstrapFormMixin, forms.Form):
    """Add a commune to the territory by its INSEE code: the rest comes from the reference."""

    insee_code = forms.CharField(
        label="Code INSEE de la commune", max_length=5, min_length=5, strip=True,
        help_text="5 caractères, par exemple 49054 pour Candé (pas le code postal).",
        error_messages={
            "required": "Indiquez le code INSEE de la commune.",
            "min_length": "Le code INSEE compte 5 caractères.",
            "max_length": "Le code INSEE compte 5 caractères.",
        },
    )
    travel_minutes = _travel_field()
    covers_volet1 = forms.BooleanField(label="Volet 1 (appui au territoire)", required=False,
                                       initial=True)
    covers_volet2 = forms.BooleanField(label="Volet 2 (accompagnement renforcé)",
                                       required=False, initial=True)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._widgets()
        self.fields["insee_code"].widget.attrs.update({"autocomplete": "off",
                                                       "spellcheck": "false"})

    def clean_insee_code(self):
        return self.cleaned_data["insee_code"].upper()


class OrganizationForm(VersionedModelForm):
    class Meta:
        model = Organization
        fields = [
            "kind", "name", "finess", "siret", "address", "postal_code", "city", "commune",
            "phone", "email", "mssante_email", "notes", "is_active",
        ]
        error_messages = {
            "name": {"required": "Indiquez le nom de la structure."},
            "kind": {"required": "Choisissez le type de structure."},
        }
        help_texts = {
            "commune": "Si la structure est sur le territoire du CRT.",
            "finess": "9 caractères, par exemple 490000031.",
        }
        widgets = {"notes": forms.Textarea(attrs={"rows": 3})}

    def __init__(self, *args, crt, **kwargs):
        super().__init__(*args, **kwargs)
        field = self.fields["commune"]
        field.queryset = communes(crt=crt)
        field.to_field_name = "public_id"
        field.empty_label = "—"
        self.fields["finess"].widget.attrs["inputmode"] = "numeric"
        self.fields["siret"].widget.attrs["inputmode"] = "numeric"
        self.fields["phone"].widget.input_type = "tel"

    def clean_finess(self):
        return self.cleaned_data["finess"].strip().upper().replace(" ", "")

    def clean_siret(self):
        return self.cleaned_data["siret"].replace(" ", "")


class ProfessionalForm(VersionedModelForm):
    class Meta:
        model = Professional
        fields = [
            "last_name", "first_name", "profession", "specialty", "rpps", "organization",
            "phone", "mobile", "email", "mssante_email", "notes", "is_active",
        ]
        error_messages = {
            "last_name": {"required": "Indiquez le nom."},
            "profession": {"required": "Choisissez la profession."},
        }
        widgets = {"notes": forms.Textarea(attrs={"rows": 3})}

    def __init__(self, *args, crt, **kwargs):
        super().__init__(*args, **kwargs)
        field = self.fields["organization"]
        field.queryset = Organization.objects.filter(crt=crt, is_active=True).order_by(
            french("name"))
        field.to_field_name = "public_id"
        field.empty_label = "— (exercice individuel)"
        self.fields["rpps"].widget.attrs["inputmode"] = "numeric"
        for name in ("phone", "mobile"):
            self.fields[name].widget.input_type = "tel"

    def clean_rpps(self):
        return self.cleaned_data["rpps"].replace(" ", "")


class MapPeriodForm(BootstrapFormMixin, forms.Form):
    """The period of the map's counts (GET): by default, the current year up to today."""

    debut = forms.DateField(
        label="Du", required=False, widget=forms.DateInput(attrs={"type": "date"},
                                                          format="%Y-%m-%d"),
        error_messages={"invalid": "Indiquez une date de début valide (jj/mm/aaaa)."},
    )
    fin = forms.DateField(
        label="Au", required=False, widget=forms.DateInput(attrs={"type": "date"},
                                                          format="%Y-%m-%d"),
        error_messages={"invalid": "Indiquez une date de fin valide (jj/mm/aaaa)."},
    )

    def __init__(self, *args, today, **kwargs):
        super().__init__(*args, **kwargs)
        self.default_start = today.replace(month=1, day=1)
        self.default_end = today
        if not self.is_bound:
            self.initial = {"debut": self.default_start, "fin": self.default_end}
        self.fields["debut"].widget.attrs["placeholder"] = "jj/mm/aaaa"
        self.fields["fin"].widget.attrs["placeholder"] = "jj/mm/aaaa"

    def clean(self):
        data = super().clean()
        start, end = data.get("debut"), data.get("fin")
        if start and end and end < start:
            self.add_error("fin", "La date de fin précède la date de début.")
        elif start and end and (end - start).days > 366 * 5:
            self.add_error("fin", "Choisissez une période de 5 ans au plus.")
        return data

    def period(self):
        """(start, end) of a valid form, the defaults filling what was left empty."""
        data = self.cleaned_data
        start = data.get("debut") or self.default_start
        end = data.get("fin") or max(self.default_end, start)
        return start, end


DATE_ERRORS = {"invalid": "Date invalide (jj/mm/aaaa)."}


class AgreementForm(VersionedModelForm):
    organizations = forms.ModelMultipleChoiceField(
        label="Structures partenaires", queryset=Organization.objects.none(),
        to_field_name="public_id", widget=forms.CheckboxSelectMultiple,
        error_messages={"required": "Choisissez au moins une structure partenaire.",
                        "invalid_choice": "Choisissez les structures dans la liste."},
    )
    file = forms.FileField(
        label="Convention signée (PDF)", required=False,
        help_text="PDF de 10 Mo au plus. Un nouveau fichier remplace le précédent.",
        widget=forms.FileInput(attrs={"accept": "application/pdf,.pdf"}),
    )

    class Meta:
        model = Agreement
        fields = [
            "title", "subject", "organizations", "starts_on", "ends_on", "tacit_renewal",
            "renewal_months", "financial_terms", "status", "signed_on", "terminated_on",
            "notes",
        ]
        widgets = {
            "starts_on": DateInput(), "ends_on": DateInput(), "signed_on": DateInput(),
            "terminated_on": DateInput(),
            "financial_terms": forms.Textarea(attrs={"rows": 3}),
            "notes": forms.Textarea(attrs={"rows": 2}),
        }
        error_messages = {
            "title": {"required": "Indiquez l'intitulé de la convention."},
            "subject": {"required": "Choisissez l'objet de la convention."},
            "starts_on": {"required": "Indiquez la date de début.", **DATE_ERRORS},
            "ends_on": DATE_ERRORS, "signed_on": DATE_ERRORS, "terminated_on": DATE_ERRORS,
            "renewal_months": {"invalid": "Indiquez un nombre entier de mois."},
        }
        help_texts = {
            "tacit_renewal": "À la date de fin, la convention est reconduite pour la durée "
                             "indiquée, sauf dénonciation.",
        }

    def __init__(self, *args, crt, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["organizations"].queryset = Organization.objects.filter(
            Q(is_active=True) | Q(pk__in=self.instance.organizations.all()
                                  if self.instance.pk else []),
            crt=crt).order_by(french("name"))
        if self.instance.pk and not self.is_bound:
            self.initial["organizations"] = list(self.instance.organizations.all())
        self._style_fields()

    def _post_clean(self):
        # The service validates (one place for the rules: dates, renewal, status).
        pass


#: The largest extraction accepted through the screen; the national file (hundreds of Mo) goes
#: through the command ``maillage annuaire import``, which reads it line by line.
MAX_ANNUAIRE_BYTES = 100 * 1024 * 1024


class AnnuaireImportForm(BootstrapFormMixin, forms.Form):
    file = forms.FileField(
        label="Extraction de l'Annuaire Santé (PS_LibreAcces_Personne_activite)",
        help_text="Le fichier texte « PS_LibreAcces_Personne_activite_….txt » de l'Annuaire "
                  "Santé, colonnes séparées par des barres verticales (|), 100 Mo au plus. "
                  "Le fichier national complet s'importe avec la commande « maillage annuaire "
                  "import ».",
        error_messages={"required": "Choisissez le fichier de l'Annuaire Santé.",
                        "empty": "Le fichier est vide."},
        widget=forms.FileInput(attrs={"accept": ".txt,.csv,text/plain"}),
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > MAX_ANNUAIRE_BYTES:
            raise forms.ValidationError("Fichier trop volumineux (100 Mo au plus) : importez-le "
                                        "avec la commande « maillage annuaire import ».")
        return upload
