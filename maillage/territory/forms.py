from django import forms
from django.db.models import Q

from maillage.core.forms import DateInput, VersionedModelForm

from .models import Agreement, Commune, Organization, Professional


class CommuneForm(VersionedModelForm):
    travel_minutes = forms.IntegerField(
        label="Temps de trajet depuis le site (minutes)",
        min_value=0,
        max_value=240,
        help_text="Temps de route habituel depuis le site du CRT, en minutes.",
        error_messages={
            "required": "Indiquez le temps de trajet en minutes.",
            "max_value": "Le temps de trajet ne peut pas dépasser 240 minutes.",
            "min_value": "Le temps de trajet ne peut pas être négatif.",
            "invalid": "Indiquez un nombre entier de minutes.",
        },
    )

    class Meta:
        model = Commune
        fields = ["name", "postal_code", "covers_volet1", "covers_volet2", "travel_minutes"]
        error_messages = {
            "name": {"required": "Indiquez le nom de la commune."},
            "postal_code": {"required": "Indiquez le code postal."},
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["travel_minutes"].widget.attrs["inputmode"] = "numeric"

    def _post_clean(self):
        # The service validates (one place for the rules, including "at least one volet").
        pass


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
        field.queryset = Commune.objects.filter(crt=crt).order_by("name")
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
        field.queryset = Organization.objects.filter(crt=crt, is_active=True).order_by("name")
        field.to_field_name = "public_id"
        field.empty_label = "— (exercice individuel)"
        self.fields["rpps"].widget.attrs["inputmode"] = "numeric"
        for name in ("phone", "mobile"):
            self.fields[name].widget.input_type = "tel"

    def clean_rpps(self):
        return self.cleaned_data["rpps"].replace(" ", "")


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
            crt=crt).order_by("name")
        if self.instance.pk and not self.is_bound:
            self.initial["organizations"] = list(self.instance.organizations.all())
        self._style_fields()

    def _post_clean(self):
        # The service validates (one place for the rules: dates, renewal, status).
        pass
