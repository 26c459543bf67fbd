from django import forms
from django.db.models import Q

from maillage.core.collation import french
from maillage.core.forms import BootstrapFormMixin, DateInput, VersionedModelForm
from maillage.territory.models import Professional

from .models import Meeting, Position
from .selectors import staff_users

DATE_ERRORS = {"invalid": "Date invalide (jj/mm/aaaa)."}
FTE_ERRORS = {
    "required": "Indiquez l'ETP (0 si aucun).",
    "invalid": "Indiquez un nombre, par exemple 0,5.",
    "max_value": "Un ETP va de 0 à 1.",
    "min_value": "Un ETP va de 0 à 1.",
    "max_decimal_places": "Deux décimales au plus (par exemple 0,25).",
    "max_digits": "Un ETP va de 0 à 1, deux décimales au plus.",
    "max_whole_digits": "Un ETP va de 0 à 1.",
}


def _user_label(user) -> str:
    return user.get_full_name() or user.username


class _StaffChoice(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return _user_label(obj)


class _StaffChoices(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj):
        return _user_label(obj)


class PositionForm(VersionedModelForm):
    holder = _StaffChoice(
        label="Titulaire", queryset=None, required=False, to_field_name="public_id",
        empty_label="— Poste vacant", help_text="Laissez « poste vacant » s'il n'est pas pourvu.",
        error_messages={"invalid_choice": "Choisissez un membre de l'équipe dans la liste."},
    )

    class Meta:
        model = Position
        fields = ["profession", "qualification", "employment", "fte", "fte_volet1",
                  "fte_volet2", "fte_coordination", "starts_on", "ends_on", "holder", "notes"]
        widgets = {"starts_on": DateInput(), "ends_on": DateInput()}
        error_messages = {
            "profession": {"required": "Choisissez la profession."},
            "starts_on": {"required": "Indiquez la date de début.", **DATE_ERRORS},
            "ends_on": DATE_ERRORS,
            "fte": FTE_ERRORS, "fte_volet1": FTE_ERRORS, "fte_volet2": FTE_ERRORS,
            "fte_coordination": FTE_ERRORS,
        }
        help_texts = {
            "fte": "Part du temps de travail consacrée au CRT, de 0,01 à 1.",
            "fte_volet1": "Volet 1 + volet 2 + coordination = ETP du poste.",
        }

    def __init__(self, *args, crt, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["holder"].queryset = staff_users(crt=crt)
        for name in ("fte", "fte_volet1", "fte_volet2", "fte_coordination"):
            self.fields[name].widget.attrs.update({"step": "0.05", "inputmode": "decimal"})
        self._style_fields()

    def _post_clean(self):
        # The service validates (one place for the rules: the split, the dates).
        pass


class MeetingForm(VersionedModelForm):
    #: The service's names of what this form types otherwise: its errors beside them.
    DOMAIN_FIELDS = {"representatives": "representatives_text"}

    team_participants = _StaffChoices(
        label="Participants de l'équipe", queryset=None, required=False,
        to_field_name="public_id", widget=forms.CheckboxSelectMultiple,
        error_messages={"invalid_choice": "Choisissez les participants dans la liste."},
    )
    partner_participants = forms.ModelMultipleChoiceField(
        label="Professionnels partenaires", queryset=Professional.objects.none(),
        required=False, to_field_name="public_id", widget=forms.CheckboxSelectMultiple,
        error_messages={"invalid_choice": "Choisissez les professionnels dans la liste."},
    )
    representatives_text = forms.CharField(
        label="Représentants des usagers et autres participants", required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Une personne par ligne : « nom ; qualité » (par exemple « Jeanne Roux ; "
                  "représentante des usagers »).",
    )
    minutes_file = forms.FileField(
        label="Compte rendu (PDF)", required=False,
        help_text="PDF de 10 Mo au plus. Un nouveau fichier remplace le précédent.",
        widget=forms.FileInput(attrs={"accept": "application/pdf,.pdf"}),
    )

    class Meta:
        model = Meeting
        fields = ["kind", "held_on", "place", "agenda"]
        widgets = {"held_on": DateInput(), "agenda": forms.Textarea(attrs={"rows": 4})}
        error_messages = {
            "kind": {"required": "Choisissez l'instance."},
            "held_on": {"required": "Indiquez la date de la réunion.", **DATE_ERRORS},
        }

    def __init__(self, *args, crt, **kwargs):
        super().__init__(*args, **kwargs)
        team = staff_users(crt=crt)
        if self.instance.pk:  # who took part stays listed, even after leaving the team
            team = team.model.objects.filter(
                Q(pk__in=team.values("pk")) | Q(pk__in=self.instance.team_participants.all())
            ).order_by(french("last_name"), french("first_name"), "username")
        self.fields["team_participants"].queryset = team
        self.fields["partner_participants"].queryset = Professional.objects.filter(
            crt=crt, is_active=True).select_related("organization").order_by(
            french("last_name"), french("first_name"))
        if self.instance.pk and not self.is_bound:
            self.initial["team_participants"] = list(self.instance.team_participants.all())
            self.initial["partner_participants"] = list(
                self.instance.partner_participants.all())
            self.initial["representatives_text"] = "\n".join(
                f"{p['name']} ; {p['quality']}" for p in self.instance.representatives)
        self._style_fields()

    def _post_clean(self):
        pass


class DecisionForm(BootstrapFormMixin, forms.Form):
    text = forms.CharField(label="Décision", max_length=300,
                           error_messages={"required": "Indiquez la décision prise.",
                                           "max_length": "300 caractères au plus."})
    owner = _StaffChoice(
        label="Porteur", queryset=None, to_field_name="public_id", empty_label="—",
        error_messages={"required": "Choisissez qui porte la décision.",
                        "invalid_choice": "Choisissez un membre de l'équipe dans la liste."},
    )
    due_on = forms.DateField(label="Échéance", required=False, widget=DateInput(),
                             error_messages=DATE_ERRORS)
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, crt, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = staff_users(crt=crt)
        self._style_fields()


class DecisionDoneForm(BootstrapFormMixin, forms.Form):
    done_on = forms.DateField(label="Réalisée le", widget=DateInput(),
                              error_messages={"required": "Indiquez la date de réalisation.",
                                              **DATE_ERRORS})
    done_note = forms.CharField(label="Suite donnée", required=False, max_length=300)
    version = forms.IntegerField(widget=forms.HiddenInput)
