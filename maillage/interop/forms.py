"""The form of the API token page."""

from django import forms

from maillage.core.forms import BootstrapFormMixin

from .services import DEFAULT_DAYS, MAX_DAYS


class ApiTokenForm(BootstrapFormMixin, forms.Form):
    DOMAIN_FIELDS = {"user": "member"}

    member = forms.ChoiceField(
        label="Compte utilisé",
        help_text="Le logiciel verra exactement ce que ce compte voit : un jeton ne se crée "
                  "que pour son propre compte.",
        error_messages={"required": "Choisissez le compte que le logiciel utilisera.",
                        "invalid_choice": "Un jeton ne se crée que pour votre propre compte."})
    name = forms.CharField(
        label="Nom (logiciel appelant)", max_length=120,
        error_messages={"required": "Donnez un nom au jeton (le logiciel qui l'utilise)."})
    days = forms.IntegerField(
        label="Validité (jours)", min_value=1, max_value=MAX_DAYS, initial=DEFAULT_DAYS,
        error_messages={
            "required": f"Indiquez une durée de validité, de 1 à {MAX_DAYS} jours.",
            "invalid": "Indiquez un nombre de jours.",
            "min_value": f"La durée de validité va de 1 à {MAX_DAYS} jours.",
            "max_value": f"La durée de validité va de 1 à {MAX_DAYS} jours."})

    def __init__(self, *args, members, **kwargs):
        super().__init__(*args, **kwargs)
        self.members = {str(m.public_id): m for m in members}
        self.fields["member"].choices = [("", "—")] + [
            (key, f"{m.user.get_full_name() or m.user.username} ({m.user.username})")
            for key, m in self.members.items()]
        if len(self.members) == 1:
            self.fields["member"].initial = next(iter(self.members))
        self._style_fields()
