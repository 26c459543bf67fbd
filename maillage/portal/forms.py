"""Forms of the portal. Labels and errors in French."""

from django import forms

from maillage.core.forms import USERNAME_HELP, BootstrapFormMixin
from maillage.core.validators import validate_phone

from .services import NOTE_MAX_LENGTH


class CaregiverNoteForm(BootstrapFormMixin, forms.Form):
    text = forms.CharField(
        label="Votre message à l'équipe",
        widget=forms.Textarea(attrs={"rows": 5}),
        max_length=NOTE_MAX_LENGTH,
        help_text="L'équipe du CRT et le cercle de soins le liront dans le cahier de liaison. "
                  "Pour une urgence, appelez plutôt le numéro unique du CRT.",
        error_messages={
            "required": "Écrivez votre message.",
            "max_length": "Votre message ne peut pas dépasser %(limit_value)d caractères "
                          "(il en compte %(show_value)d).",
        },
    )


class PortalAccessForm(BootstrapFormMixin, forms.Form):
    """A portal account for the person or a caregiver: a new one, or one this CRT already
    gave to the same person (a daughter helping both her parents)."""

    last_name = forms.CharField(label="Nom", max_length=150, required=False)
    first_name = forms.CharField(label="Prénom", max_length=150, required=False)
    username = forms.CharField(label="Identifiant de connexion", max_length=150,
                               help_text=USERNAME_HELP)
    email = forms.EmailField(
        label="Adresse électronique", required=False,
        help_text="Si vous l'indiquez, le lien pour choisir le mot de passe y est aussi envoyé.",
        error_messages={"invalid": "Adresse électronique invalide."})
    phone = forms.CharField(label="Téléphone", max_length=30, required=False,
                            validators=[validate_phone])
    link_existing = forms.BooleanField(
        label="Cette personne a déjà un compte du portail dans ce CRT : le relier à ce dossier "
              "(indiquez son identifiant ci-dessus)",
        required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["username"].widget.attrs.update({"autocapitalize": "none",
                                                     "autocomplete": "off"})
        self._style_fields()
