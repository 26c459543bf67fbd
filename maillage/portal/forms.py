"""Forms of the portal. Labels and errors in French."""

from django import forms

from maillage.core.forms import BootstrapFormMixin

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
