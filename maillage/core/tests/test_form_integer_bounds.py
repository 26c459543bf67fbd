"""Every whole number of a form fits a database integer: twenty digits typed or sent back in a
hidden field are refused next to their field, instead of failing in SQLite (OverflowError on a
bound parameter) or in ``date()``."""

from django import forms

from maillage.core.forms import BootstrapFormMixin


class CountForm(BootstrapFormMixin, forms.Form):
    count = forms.IntegerField(required=False)
    hidden = forms.IntegerField(required=False, widget=forms.HiddenInput)


def test_a_whole_number_beyond_a_database_integer_is_refused_next_to_its_field():
    for value in ("2147483648", "-2147483649", "99999999999999999999"):
        form = CountForm({"count": value})
        assert not form.is_valid()
        assert form.errors["count"] == ["Nombre hors des limites acceptées."]
    for value in ("2147483647", "-2147483648", "0"):
        assert CountForm({"count": value}).is_valid()


def test_a_hidden_field_refused_is_listed_above_the_form():
    form = CountForm({"hidden": "99999999999999999999"})
    assert not form.is_valid()
    assert form.hidden_errors == ["Nombre hors des limites acceptées."]
    assert CountForm({"hidden": "3"}).hidden_errors == []
