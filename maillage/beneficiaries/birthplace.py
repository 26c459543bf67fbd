"""The birthplace on identity forms: chosen by typing a commune (or country) name.

The stored value stays ``birth_place_code`` (INS trait: INSEE code of the birthplace at the
date of birth). The form adds a search box before it: with JavaScript it is a combobox that
fills the code (``static/maillage/js/birthplace.js``); without, the exact name typed there is
turned into the code on submit, or the code is typed directly.

Validation: the code must be in the reference (``territory.birthplaces``), and when the
reference knows the dates of the code, it must have designated a commune on the birth date
(an error, not a warning: a code that did not exist at birth cannot be the INS trait; the
reference never refuses what it cannot date — countries, communes created after its 2019
history whose previous state is unknown).
"""

from django import forms
from django.urls import reverse

from maillage.core.validators import validate_insee_commune
from maillage.territory import birthplaces

SEARCH_FIELD = "birth_place_search"
CODE_FIELD = "birth_place_code"
UNKNOWN_CODE = "Code INSEE du lieu de naissance inconnu."


class BirthPlaceFormMixin:
    """For a form with a ``birth_place_code`` field (and ``birth_date``)."""

    def setup_birth_place(self) -> None:
        code_field = self.fields[CODE_FIELD]
        code_field.required = False
        code_field.label = "Code INSEE du lieu de naissance"
        code_field.widget.attrs.update(
            {"autocomplete": "off", "spellcheck": "false", "maxlength": 5,
             "data-birthplace-code": ""}
        )
        code = (self[CODE_FIELD].value() or "").strip().upper()
        instance = getattr(self, "instance", None)
        born = instance.birth_date if instance is not None and instance.pk else None
        current = birthplaces.describe(code, born)
        code_field.help_text = (
            f"{code} : {current}." if current
            else "Rempli par le choix du lieu ; 99 suivi du code du pays pour une naissance "
                 "à l'étranger."
        )
        search = forms.CharField(
            label="Lieu de naissance (commune ou pays)", required=False, max_length=120,
            help_text="Tapez le nom de la commune de naissance, ancienne ou actuelle, ou du "
                      "pays, puis choisissez-le dans la liste. Sans liste : tapez le nom exact "
                      "ou le code INSEE ci-dessous.",
        )
        # Required, by name or by code (so neither field is, alone): marked as the others are.
        search.shown_required = True
        search.widget.attrs.update(
            {"autocomplete": "off", "spellcheck": "false", "aria-required": "true",
             "data-birthplace-search": reverse("territory:birthplace_search")}
        )
        place = birthplaces.place_on(code, born)
        if place is not None and not self.is_bound:
            self.initial[SEARCH_FIELD] = place.name
        fields = {}
        for name, field in self.fields.items():
            if name == CODE_FIELD:
                fields[SEARCH_FIELD] = search
            fields[name] = field
        self.fields = fields
        self._bound_fields_cache.pop(CODE_FIELD, None)  # it read the old help text

    def clean_birth_place_code(self) -> str:
        code = (self.cleaned_data.get(CODE_FIELD) or "").strip().upper()
        if code:
            validate_insee_commune(code)
        if code and not birthplaces.places_for(code):
            raise forms.ValidationError(UNKNOWN_CODE, code="birth_place_unknown")
        return code

    def clean_birth_place(self, cleaned: dict) -> None:
        """Call from ``clean()``: the code from the name typed without JavaScript, then the
        code's validity on the birth date."""
        if CODE_FIELD in self.errors:
            return
        code = cleaned.get(CODE_FIELD)
        typed = (cleaned.get(SEARCH_FIELD) or "").strip()
        if not code:
            if not typed:
                self.add_error(CODE_FIELD, forms.ValidationError(
                    "Indiquez le lieu de naissance : tapez le nom de la commune (ou du pays) "
                    "et choisissez-le, ou saisissez son code INSEE.", code="required"))
                return
            codes = list(dict.fromkeys(p.code for p in birthplaces.by_exact_name(typed)))
            if not codes:
                self.add_error(SEARCH_FIELD, forms.ValidationError(
                    "Aucun lieu de naissance connu ne porte ce nom : choisissez-le dans la "
                    "liste proposée ou saisissez son code INSEE.", code="birth_place_unknown"))
                return
            if len(codes) > 1:
                shown = ", ".join(
                    f"{birthplaces.describe(c)} : {c}" for c in codes[:5]
                )
                more = "…" if len(codes) > 5 else ""
                self.add_error(SEARCH_FIELD, forms.ValidationError(
                    f"Plusieurs lieux portent ce nom ({shown}{more}) : choisissez-le dans la "
                    "liste ou saisissez le code INSEE du bon lieu.",
                    code="birth_place_ambiguous"))
                return
            code = cleaned[CODE_FIELD] = codes[0]
        birth = cleaned.get("birth_date")
        if birth and birthplaces.existed_on(code, birth) is False:
            names = {p.name for p in birthplaces.places_for(code)}
            then = [
                f"{birthplaces.describe(p.code)} : {p.code}"
                for name in sorted(names) for p in birthplaces.by_exact_name(name)
                if p.code != code and birthplaces.existed_on(p.code, birth)
            ]
            hint = (f" À cette date : {', '.join(dict.fromkeys(then))}." if then
                    else " Tapez son ancien nom.")
            self.add_error(CODE_FIELD, forms.ValidationError(
                f"Le code {code} ne désignait aucune commune le {birth:%d/%m/%Y} "
                f"({birthplaces.validity_text(code)}) : le lieu de naissance est la commune "
                f"telle qu'elle existait à la naissance.{hint}",
                code="birth_place_not_yet"))
