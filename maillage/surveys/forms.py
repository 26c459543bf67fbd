from django import forms

from maillage.core.forms import BootstrapFormMixin, VersionedModelForm

from .models import Question, Questionnaire, Respondent
from .services import MAX_CODES


class QuestionnaireForm(VersionedModelForm):
    class Meta:
        model = Questionnaire
        fields = ["title", "audience", "usage", "intro", "is_active"]
        error_messages = {
            "title": {"required": "Indiquez le titre du questionnaire."},
            "audience": {"required": "Choisissez le public."},
        }
        help_texts = {
            "usage": "Les séances du volet 1 et l'enquête annuelle prennent le questionnaire en "
                     "service de leur utilisation.",
            "is_active": "Un questionnaire hors service garde ses résultats mais n'ouvre plus "
                         "de nouvelle collecte.",
        }
        widgets = {"intro": forms.Textarea(attrs={"rows": 3})}


class QuestionForm(BootstrapFormMixin, forms.Form):
    kind = forms.ChoiceField(label="Type de question", choices=Question.Kind.choices,
                             error_messages={"required": "Choisissez le type de question."},
                             help_text="Une échelle de satisfaction se note en 4 points : pas "
                                       "du tout satisfait, peu satisfait, satisfait, très "
                                       "satisfait (l'échelle demandée par l'ARS).")
    text = forms.CharField(label="Question", max_length=300,
                           error_messages={"required": "Écrivez la question.",
                                           "max_length": "300 caractères au plus."})
    choices = forms.CharField(
        label="Options (choix unique)", required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="Une option par ligne, deux au moins ; seulement pour un choix unique.")
    required = forms.BooleanField(label="Réponse obligatoire", required=False)
    version = forms.IntegerField(widget=forms.HiddenInput)

    def clean_choices(self):
        return [line.strip() for line in self.cleaned_data["choices"].splitlines()
                if line.strip()]


class CountForm(BootstrapFormMixin, forms.Form):
    count = forms.IntegerField(
        label="Nombre de codes", min_value=1, max_value=MAX_CODES,
        error_messages={"required": "Indiquez le nombre de codes.",
                        "invalid": "Un nombre entier.",
                        "min_value": "Un code au moins.",
                        "max_value": f"{MAX_CODES} codes au plus à la fois."})


def _count(label: str) -> forms.IntegerField:
    return forms.IntegerField(
        label=label, min_value=0, max_value=MAX_CODES, initial=0,
        error_messages={"required": "Indiquez un nombre (0 si aucun).",
                        "invalid": "Un nombre entier.",
                        "min_value": "Le nombre ne peut pas être négatif.",
                        "max_value": f"{MAX_CODES} codes au plus."})


class YearlyOpenForm(BootstrapFormMixin, forms.Form):
    year = forms.IntegerField(label="Année de l'enquête", min_value=2020, max_value=2100,
                              error_messages={"required": "Indiquez l'année.",
                                              "invalid": "Une année sur quatre chiffres.",
                                              "min_value": "2020 au plus tôt.",
                                              "max_value": "Année invalide."})
    beneficiaries = _count("Codes pour les bénéficiaires")
    caregivers = _count("Codes pour les aidants")
    professionals = _count("Codes pour les professionnels")

    def clean(self):
        data = super().clean()
        if not self.errors and not any(data.get(k) for k in
                                       ("beneficiaries", "caregivers", "professionals")):
            self.add_error("beneficiaries", "Demandez des codes pour un public au moins.")
        return data


class CodeForm(BootstrapFormMixin, forms.Form):
    """The short public form: the code written on the paper, typed."""

    code = forms.CharField(
        label="Votre code", max_length=20, help_text="8 caractères, par exemple 7KQM-X3PD.",
        error_messages={"required": "Saisissez le code inscrit sur votre papier."},
        widget=forms.TextInput(attrs={"autocomplete": "off", "autocapitalize": "characters",
                                      "spellcheck": "false"}))


class AnswerForm(BootstrapFormMixin, forms.Form):
    """The questions of a questionnaire, one field each (``q_<public_id>``); the service checks
    the values (required answers, bounds) and puts its errors next to the field."""

    def __init__(self, *args, questions, with_code: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        if with_code:
            self.fields["code"] = forms.CharField(
                label="Code inscrit sur le papier", max_length=20, required=False,
                help_text="Vide si le papier ne porte pas de code.")
            self.fields["respondent"] = forms.ChoiceField(
                label="Répondant (papier sans code)", choices=Respondent.choices,
                required=False, help_text="Si le papier le dit ; un code dit déjà à qui il a "
                                          "été remis.")
        for q in questions:
            name = f"q_{q.public_id}"
            invalid = "Choisissez une des réponses proposées."
            if q.kind == Question.Kind.SCALE:
                field = forms.TypedChoiceField(
                    choices=[(str(v), f"{v} — {label}") for v, label in q.scale_labels.items()],
                    widget=forms.RadioSelect, coerce=int)
                invalid = f"Choisissez une note de 1 à {q.points}."
            elif q.kind == Question.Kind.CHOICE:
                field = forms.TypedChoiceField(
                    choices=[(str(i), label) for i, label in enumerate(q.choices)],
                    widget=forms.RadioSelect, coerce=int)
            elif q.kind == Question.Kind.YES_NO:
                field = forms.ChoiceField(choices=[("oui", "Oui"), ("non", "Non")],
                                          widget=forms.RadioSelect)
            else:
                field = forms.CharField(widget=forms.Textarea(attrs={"rows": 4}),
                                        max_length=2000, strip=True)
                field.error_messages["max_length"] = "2 000 caractères au plus."
            field.label = q.text
            field.required = q.required
            field.error_messages["required"] = "Répondez à cette question."
            field.error_messages["invalid_choice"] = invalid
            self.fields[name] = field
        self._style_fields()

    def values(self) -> dict:
        return {name[2:]: value for name, value in self.cleaned_data.items()
                if name.startswith("q_")}
