"""The « Envoyer par MSSanté » form of a person's file."""

from django import forms

from maillage.core.forms import BootstrapFormMixin


class MssanteSendForm(BootstrapFormMixin, forms.Form):
    document = forms.ChoiceField(
        label="Document à envoyer",
        error_messages={"required": "Choisissez le document à envoyer.",
                        "invalid_choice": "Choisissez un document de la liste."})
    recipient = forms.ChoiceField(
        label="Destinataire",
        help_text="Professionnels et structures de l'annuaire ayant une adresse MSSanté ; "
                  "la messagerie Mon espace santé de la personne si son identité est qualifiée.",
        error_messages={"required": "Choisissez un destinataire.",
                        "invalid_choice": "Choisissez un destinataire de la liste."})
    message = forms.CharField(
        label="Message (facultatif)", required=False, max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Court message d'accompagnement. Évitez d'y recopier des données de santé : "
                  "le document joint suffit.",
        error_messages={"max_length": "Le message est limité à 2 000 caractères."})
    block_replies = forms.BooleanField(
        label="Bloquer les réponses (Mon espace santé)", required=False,
        help_text="La personne ne pourra pas répondre à ce message.")

    def __init__(self, *args, documents, recipients, patient_box: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["document"].choices = [("", "—")] + [
            (d.key, f"{d.title} ({d.day:%d/%m/%Y})") for d in documents]
        # Always listed: without a qualified identity, choosing it says why it is refused.
        choices = [("", "—"), ("patient", f"Mon espace santé de la personne ({patient_box})"
                                if patient_box else "Mon espace santé de la personne "
                                "(indisponible : identité non qualifiée)")]
        choices += [(r.address, f"{r.label} — {r.address}") for r in recipients]
        self.fields["recipient"].choices = choices
        self._style_fields()
