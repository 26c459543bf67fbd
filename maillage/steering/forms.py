from datetime import timedelta
from decimal import Decimal

from django import forms
from django.core.validators import MaxValueValidator, MinValueValidator

from maillage.care.models import Domain
from maillage.core.forms import (
    BootstrapFormMixin,
    DateInput,
    VersionedModelForm,
    add_validator,
)
from maillage.core.indicators import HALF_YEAR, MONTH, YEAR, Period

from .fec import FecError
from .models import (
    AccountMapping,
    Allocation,
    Expense,
    Nature,
    ReportKind,
    ReportSettings,
    Volet,
)

YEAR_RANGE = "Indiquez une année entre 2020 et 2100."
DATE_ERRORS = {"invalid": "Date invalide (jj/mm/aaaa)."}
MAX_FEC_BYTES = 20 * 1024 * 1024
MONTHS = ["janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août", "septembre",
          "octobre", "novembre", "décembre"]


def money_errors(what: str) -> dict:
    return {
        "required": f"Indiquez {what}.",
        "invalid": "Indiquez un montant en euros, par exemple 1250,50.",
        "min_value": "Le montant ne peut pas être négatif.",
        "max_decimal_places": "Deux décimales au plus (les centimes).",
        "max_digits": "Montant trop grand.",
        "max_whole_digits": "Montant trop grand.",
    }


class _DomainChoice(forms.ModelChoiceField):
    def __init__(self, **kwargs):
        super().__init__(
            label="Domaine (volet 2)", queryset=Domain.objects.none(), required=False,
            to_field_name="public_id", empty_label="— Aucun",
            help_text="Pour les dépenses du volet 2 : le domaine d'intervention qu'elles "
                      "servent (coût par domaine).",
            error_messages={"invalid_choice": "Choisissez un domaine dans la liste."}, **kwargs)


def _domains(crt, instance):
    qs = Domain.objects.filter(crt=crt, is_active=True)
    if instance is not None and instance.domain_id:
        qs = Domain.objects.filter(crt=crt).filter(
            pk__in=list(qs.values_list("pk", flat=True)) + [instance.domain_id])
    return qs.order_by("position", "name")


def _amount_widget(field):
    field.widget.attrs.update({"inputmode": "decimal", "step": "0.01"})


class AllocationForm(VersionedModelForm):
    class Meta:
        model = Allocation
        fields = ["year", "notified_amount", "notified_on", "volet1_planned", "volet2_planned",
                  "starter_amount", "earmarked_amount", "earmarked_label"]
        widgets = {"notified_on": DateInput()}
        error_messages = {
            "year": {"required": "Indiquez l'année.", "invalid": "Indiquez une année."},
            "notified_amount": money_errors("le montant notifié"),
            "volet1_planned": money_errors("la part prévue du volet 1 (0 si aucune)"),
            "volet2_planned": money_errors("la part prévue du volet 2 (0 si aucune)"),
            "earmarked_amount": money_errors("les crédits fléchés (0 si aucun)"),
            "starter_amount": money_errors("les crédits d'amorçage (0 si aucun)"),
            "notified_on": DATE_ERRORS,
        }
        help_texts = {
            "notified_amount": "Le montant de la notification de l'ARS (proratisé la première "
                               "année), tel qu'il est écrit.",
            "starter_amount": "Crédits d'amorçage (« crédits starter ») reçus cette année ; "
                              "les dépenses qu'ils paient sont cochées comme telles.",
            "earmarked_amount": "Autres crédits fléchés de l'année (forfait psychologue…).",
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name in ("notified_amount", "volet1_planned", "volet2_planned", "starter_amount",
                     "earmarked_amount"):
            field = self.fields[name]
            _amount_widget(field)
            # Checked here, next to each field and all at once: the service would name only
            # the first problem, and a negative amount makes the split check misleading.
            field.min_value = Decimal("0")
            field.validators.append(MinValueValidator(Decimal("0")))
            field.widget.attrs["min"] = "0"
        year = self.fields["year"]
        year.validators += [MinValueValidator(2020), MaxValueValidator(2100)]
        year.error_messages.update({"min_value": YEAR_RANGE, "max_value": YEAR_RANGE})
        self.fields["starter_amount"].required = False
        self._style_fields()

    def clean_starter_amount(self):
        """Left empty: no starter credits."""
        value = self.cleaned_data.get("starter_amount")
        return Decimal("0") if value is None else value

    def _post_clean(self):
        pass  # the service validates (the split, the year)


class ExpenseForm(VersionedModelForm):
    domain = _DomainChoice()

    class Meta:
        model = Expense
        fields = ["spent_on", "label", "amount", "nature", "volet", "domain", "piece_ref",
                  "on_starter_credits"]
        widgets = {"spent_on": DateInput()}
        error_messages = {
            "spent_on": {"required": "Indiquez la date de la dépense.", **DATE_ERRORS},
            "label": {"required": "Indiquez le libellé de la dépense.",
                      "max_length": "200 caractères au plus."},
            "amount": {**money_errors("le montant"), "min_value": "Montant invalide."},
            "nature": {"required": "Choisissez la nature de la dépense.",
                       "invalid_choice": "Choisissez une nature dans la liste."},
            "volet": {"required": "Choisissez le volet.",
                      "invalid_choice": "Choisissez un volet dans la liste."},
        }
        help_texts = {"amount": "En euros ; négatif pour un avoir ou un remboursement."}

    def __init__(self, *args, crt, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["domain"].queryset = _domains(crt, self.instance if self.instance.pk
                                                  else None)
        _amount_widget(self.fields["amount"])
        if self.instance.pk and self.instance.source == Expense.Source.FEC:
            for name in ("spent_on", "label", "amount"):
                self.fields[name].disabled = True
                self.fields[name].help_text = "Importé du FEC : se corrige en comptabilité."
        self._style_fields()

    def _post_clean(self):
        pass


class MappingForm(VersionedModelForm):
    domain = _DomainChoice()

    class Meta:
        model = AccountMapping
        fields = ["prefix", "label", "nature", "volet", "domain"]
        error_messages = {
            "prefix": {"required": "Indiquez le début du numéro de compte (par exemple 6411).",
                       "max_length": "20 caractères au plus."},
            "nature": {"required": "Choisissez la nature.",
                       "invalid_choice": "Choisissez une nature dans la liste."},
            "volet": {"required": "Choisissez le volet.",
                      "invalid_choice": "Choisissez un volet dans la liste."},
        }

    def __init__(self, *args, crt, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["domain"].queryset = _domains(crt, self.instance if self.instance.pk
                                                  else None)
        self._style_fields()

    def _post_clean(self):
        pass


class FecImportForm(BootstrapFormMixin, forms.Form):
    file = forms.FileField(
        label="Fichier des écritures comptables (FEC)",
        help_text="Le fichier texte exporté par le logiciel comptable du porteur : 18 colonnes "
                  "séparées par des tabulations ou des barres verticales (|), 20 Mo au plus.",
        error_messages={"required": "Choisissez le fichier FEC.",
                        "empty": "Le fichier est vide."},
        widget=forms.FileInput(attrs={"accept": ".txt,.csv,text/plain"}),
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > MAX_FEC_BYTES:
            raise forms.ValidationError("Fichier trop volumineux (20 Mo au plus).")
        return upload

    def add_domain_error(self, error):
        """A refused FEC: each « ligne N : raison » next to the file field."""
        if isinstance(error, FecError):
            self.add_error("file", [forms.ValidationError(m) for m in
                                    ["Fichier refusé, rien n'a été importé.", *error.messages]])
            self._style_fields()
            return
        super().add_domain_error(error)


class ExpenseFilterForm(forms.Form):
    """The list's filters: a bad value is ignored (not a 500)."""

    nature = forms.ChoiceField(choices=[("", "Toutes")] + Nature.choices, required=False)
    volet = forms.ChoiceField(choices=[("", "Tous")] + Volet.choices, required=False)
    mois = forms.TypedChoiceField(
        choices=[("", "Tous")] + [(str(m), name) for m, name in enumerate(MONTHS, start=1)],
        coerce=int, empty_value=None, required=False)


# --- The indicators' period (GET) ------------------------------------------------------------

PERIOD_KINDS = [("mois", "Un mois"), ("semestre", "Un semestre"), ("annee", "Une année"),
                ("dates", "Des dates au choix")]
#: The GET parameters of the period: a query without any of them asks for the default one.
PERIOD_PARAMETERS = ("periode", "annee", "mois", "semestre", "du", "au")
#: The longest custom period (the longer, the heavier the computation; a report is yearly).
MAX_CUSTOM_DAYS = 366 * 5


def last_full_month(today) -> Period:
    """The default period of the indicators: the last full calendar month. Its figures are
    final (no month still being counted, V2-01b read on its last day, not today) and it
    compares like for like with the month before it."""
    first = today.replace(day=1)
    previous = first - timedelta(days=1)
    return Period.month(previous.year, previous.month)


def period_query(period: Period) -> dict[str, str]:
    """The GET parameters naming ``period`` (the inverse of ``IndicatorPeriodForm``)."""
    if period.kind == MONTH:
        return {"periode": "mois", "annee": str(period.start.year),
                "mois": str(period.start.month)}
    if period.kind == HALF_YEAR:
        return {"periode": "semestre", "annee": str(period.start.year),
                "semestre": "1" if period.start.month == 1 else "2"}
    if period.kind == YEAR:
        return {"periode": "annee", "annee": str(period.start.year)}
    return {"periode": "dates", "du": period.start.isoformat(), "au": period.end.isoformat()}


class IndicatorPeriodForm(BootstrapFormMixin, forms.Form):
    """The period of the indicator pages: a month, a half-year, a year or dates; by default
    the last full month (``last_full_month``). Each kind reads only its own fields; a missing
    or bad one is named next to it, in French."""

    periode = forms.ChoiceField(
        label="Période", choices=PERIOD_KINDS,
        error_messages={"required": "Choisissez un type de période.",
                        "invalid_choice": "Choisissez un type de période dans la liste."})
    annee = forms.IntegerField(
        label="Année", required=False, min_value=2000, max_value=2100,
        error_messages={"invalid": "Indiquez une année en chiffres, par exemple 2026.",
                        "min_value": "Indiquez une année entre 2000 et 2100.",
                        "max_value": "Indiquez une année entre 2000 et 2100."})
    mois = forms.TypedChoiceField(
        label="Mois", required=False, coerce=int, empty_value=None,
        choices=[("", "—")] + [(str(m), name) for m, name in enumerate(MONTHS, start=1)],
        error_messages={"invalid_choice": "Choisissez un mois dans la liste."})
    semestre = forms.TypedChoiceField(
        label="Semestre", required=False, coerce=int, empty_value=None,
        choices=[("", "—"), ("1", "1er semestre (janvier à juin)"),
                 ("2", "2e semestre (juillet à décembre)")],
        error_messages={"invalid_choice": "Choisissez le 1er ou le 2e semestre."})
    du = forms.DateField(label="Du", required=False, widget=DateInput(),
                         error_messages={"invalid": "Indiquez une date de début valide "
                                                    "(jj/mm/aaaa)."})
    au = forms.DateField(label="Au", required=False, widget=DateInput(),
                         error_messages={"invalid": "Indiquez une date de fin valide "
                                                    "(jj/mm/aaaa)."})

    def __init__(self, data, *, today, default: Period | None = None):
        """``default``: the period shown when none is asked (the last full month unless
        told, e.g. the current year)."""
        wanted = any(data.get(name) not in (None, "") for name in PERIOD_PARAMETERS)
        super().__init__(data if wanted else None)
        self.default = default or last_full_month(today)
        self._period = None
        if not self.is_bound:
            self.initial = period_query(self.default)

    def clean(self):
        data = super().clean()
        kind = data.get("periode")
        year, errors = data.get("annee"), set(self.errors)
        if kind in ("mois", "semestre", "annee") and year is None and "annee" not in errors:
            self.add_error("annee", "Indiquez l'année.")
        if kind == "mois" and data.get("mois") is None and "mois" not in errors:
            self.add_error("mois", "Choisissez le mois.")
        if kind == "semestre" and data.get("semestre") is None and "semestre" not in errors:
            self.add_error("semestre", "Choisissez le semestre.")
        start, end = data.get("du"), data.get("au")
        if kind == "dates":
            if start is None and "du" not in errors:
                self.add_error("du", "Indiquez la date de début.")
            if end is None and "au" not in errors:
                self.add_error("au", "Indiquez la date de fin.")
            if start and end and end < start:
                self.add_error("au", "La date de fin précède la date de début.")
            elif start and end and (end - start).days >= MAX_CUSTOM_DAYS:
                self.add_error("au", "Choisissez une période de 5 ans au plus.")
        if self.errors:
            return data
        if kind == "mois":
            self._period = Period.month(year, data["mois"])
        elif kind == "semestre":
            self._period = Period.half_year(year, data["semestre"])
        elif kind == "annee":
            self._period = Period.year(year)
        else:  # dates that make a calendar month, half-year or year are one
            self._period = Period.between(start, end)
        return data

    def period(self) -> Period:
        """The period asked for (a valid form), or the default one (nothing asked)."""
        return self._period or self.default


class BreakdownFilterForm(BootstrapFormMixin, forms.Form):
    """Which breakdown of an indicator to show (GET ``ventilation``; empty: all)."""

    ventilation = forms.ChoiceField(
        label="Ventilation", required=False,
        error_messages={"invalid_choice": "Choisissez une ventilation dans la liste."})

    def __init__(self, data, *, indicator):
        super().__init__(data if data.get("ventilation") else None)
        self.fields["ventilation"].choices = [("", "Toutes les ventilations")] + [
            (b.code, b.label) for b in indicator.breakdowns]
# --- Activity reports ------------------------------------------------------------------------


class ReportCreateForm(BootstrapFormMixin, forms.Form):
    kind = forms.ChoiceField(
        label="Modèle", choices=ReportKind.choices, widget=forms.RadioSelect,
        error_messages={"required": "Choisissez le modèle du rapport.",
                        "invalid_choice": "Choisissez un modèle dans la liste."})
    year = forms.IntegerField(
        label="Année", min_value=2020, max_value=2100,
        error_messages={"required": "Indiquez l'année.",
                        "invalid": "Indiquez une année, par exemple 2026.",
                        "min_value": "Indiquez une année entre 2020 et 2100.",
                        "max_value": "Indiquez une année entre 2020 et 2100."})
    half = forms.TypedChoiceField(
        label="Semestre (bilan semestriel)", required=False, coerce=int, empty_value=None,
        choices=[("", "—"), ("1", "1er semestre (01/01 – 30/06)"),
                 ("2", "2e semestre (01/07 – 31/12)")],
        error_messages={"invalid_choice": "Choisissez le 1er ou le 2e semestre."})

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._style_fields()

    def clean(self):
        data = super().clean()
        if data.get("kind") == ReportKind.HALF_YEAR and not data.get("half"):
            self.add_error("half", "Choisissez le semestre du bilan.")
        if data.get("kind") == ReportKind.ANNUAL:
            data["half"] = None
        return data


#: Said under each text of a report: the version transmitted is read by the ARS as it is.
SENT_TO_ARS = "Texte transmis à l'ARS avec le rapport : n'y nommez aucune personne accompagnée."


class NarrativesForm(BootstrapFormMixin, forms.Form):
    """The director's texts of a report (one field per section of its model) and the version
    loaded (concurrent edits are detected)."""

    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, narratives, report, **kwargs):
        super().__init__(*args, **kwargs)
        for n in narratives:
            self.fields[n.key] = forms.CharField(
                label=n.title, help_text=f"{n.help} {SENT_TO_ARS}", required=False,
                max_length=20000,
                widget=forms.Textarea(attrs={"rows": 5}),
                error_messages={"max_length": "20 000 caractères au plus."})
            self.initial.setdefault(n.key, report.narratives.get(n.key, ""))
        self.initial.setdefault("version", report.version)
        self._style_fields()

    def clean(self):
        data = super().clean()
        if self.has_error("version"):  # a hidden field: said above the form
            self.add_error(None, "Version de la page invalide : rechargez la page.")
        return data


class ReportVersionForm(forms.Form):
    """The version a button was pressed on (regenerate, submit)."""

    version = forms.IntegerField(required=True, error_messages={
        "required": "Version manquante : rechargez la page.",
        "invalid": "Version invalide : rechargez la page."})


class ReportSettingsForm(VersionedModelForm):
    class Meta:
        model = ReportSettings
        fields = ["annual", "half_year", "annual_due_day", "annual_due_month",
                  "half_year_due_days"]
        error_messages = {
            "annual_due_month": {"required": "Indiquez le mois.",
                                 "invalid": "Indiquez un mois de 1 à 12.",
                                 "min_value": "Indiquez un mois de 1 à 12.",
                                 "max_value": "Indiquez un mois de 1 à 12."},
            "annual_due_day": {"required": "Indiquez le jour.",
                               "invalid": "Indiquez un jour de 1 à 31.",
                               "min_value": "Indiquez un jour de 1 à 31.",
                               "max_value": "Indiquez un jour de 1 à 31."},
            "half_year_due_days": {"invalid": "Indiquez un nombre de jours.",
                                   "max_value": "365 jours au plus."},
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # The model's bounds next to each field, with the messages above (model validation is
        # left to the service, which would report them without the field's own words).
        for name in ("annual_due_month", "annual_due_day", "half_year_due_days"):
            for validator in ReportSettings._meta.get_field(name).validators:
                add_validator(self.fields[name], validator)

    def _post_clean(self):
        pass  # the service validates
