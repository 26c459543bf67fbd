from django import forms

from maillage.core.forms import BootstrapFormMixin

from .models import Commune


class CommuneForm(BootstrapFormMixin, forms.ModelForm):
    version = forms.IntegerField(widget=forms.HiddenInput)
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
        if not self.is_bound and self.instance.pk:
            self.initial["version"] = self.instance.version
        self._style_fields()

    def _post_clean(self):
        # Validation happens in the service (one place for the rules); skip the model's here.
        pass
