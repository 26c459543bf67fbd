"""The regional view's filters (GET): the period, the breakdown, the budget year. A bad value
is said next to its field; the page then shows no figure (never a 500)."""

from datetime import date

from django import forms
from django.utils import timezone

from maillage.core.forms import BootstrapFormMixin, DateInput
from maillage.core.indicators import Period

DATE_ERRORS = {"invalid": "Date invalide (jj/mm/aaaa).", "required": "Indiquez une date."}
#: The longest period a page computes (every indicator of every CRT).
MAX_YEARS = 5


class PeriodForm(BootstrapFormMixin, forms.Form):
    debut = forms.DateField(label="Du", widget=DateInput(), error_messages=DATE_ERRORS)
    fin = forms.DateField(label="Au", widget=DateInput(), error_messages=DATE_ERRORS)

    def clean(self):
        data = super().clean()
        start, end = data.get("debut"), data.get("fin")
        if start and end:
            if start > end:
                self.add_error("fin", "La fin de la période doit suivre son début.")
            elif (end - start).days > MAX_YEARS * 366:
                self.add_error("fin", f"La période ne peut pas dépasser {MAX_YEARS} ans.")
        return data

    @property
    def period(self) -> Period:
        return Period.between(self.cleaned_data["debut"], self.cleaned_data["fin"])


def period_form(params) -> PeriodForm:
    """The period of the GET parameters, the current year when none is given."""
    if "debut" not in params and "fin" not in params:
        today = timezone.localdate()
        params = {"debut": date(today.year, 1, 1).isoformat(),
                  "fin": date(today.year, 12, 31).isoformat()}
    return PeriodForm(params)


class BreakdownForm(BootstrapFormMixin, forms.Form):
    ventilation = forms.ChoiceField(
        label="Ventilation", required=False,
        error_messages={"invalid_choice": "Choisissez une ventilation dans la liste."})

    def __init__(self, *args, indicator, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["ventilation"].choices = [(b.code, b.label) for b in indicator.breakdowns]
        self.indicator = indicator

    def clean_ventilation(self):
        code = self.cleaned_data["ventilation"]
        if not code and self.indicator.breakdowns:
            return self.indicator.breakdowns[0].code
        return code


class YearForm(BootstrapFormMixin, forms.Form):
    annee = forms.IntegerField(
        label="Année", min_value=2000, max_value=2100,
        error_messages={"invalid": "Indiquez une année, par exemple 2026.",
                        "required": "Indiquez une année.",
                        "min_value": "Indiquez une année entre 2000 et 2100.",
                        "max_value": "Indiquez une année entre 2000 et 2100."})


def year_form(params) -> YearForm:
    if "annee" not in params:
        params = {"annee": timezone.localdate().year}
    return YearForm(params)
