from django import forms

from maillage.core.forms import VersionedModelForm

from .models import Commune, Organization, Professional


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
