"""French agreement of counts (``core.plurals``): the singular under 2, 0 included."""

from decimal import Decimal

import pytest
from django.template import Context, Template

from maillage.core.plurals import count_label, fr_plural, is_plural


@pytest.mark.parametrize(("n", "expected"), [
    (0, "0 passage"), (1, "1 passage"), (2, "2 passages"), (1.5, "1,5 passage"),
    (Decimal("1.5"), "1,5 passage"), (Decimal("2.5"), "2,5 passages"), (-1, "−1 passage"),
    (-3, "−3 passages"), (1234, "1\u202f234 passages"), (None, "— passage"),
    ("2", "2 passages"), ("< 5", "< 5 passages"),
])
def test_count_label_agrees_as_french_does(n, expected):
    assert count_label(n, "passage") == expected


@pytest.mark.parametrize(("n", "word"), [
    (0, "document médical"), (1, "document médical"), (1.5, "document médical"),
    (2, "documents médicaux"), (None, "document médical"), ("3", "documents médicaux"),
    ("", "document médical"), ("abc", "document médical"),
])
def test_irregular_forms_and_phrases_are_given_both(n, word):
    assert fr_plural(n, "document médical,documents médicaux") == word
    assert fr_plural(n, "travail,travaux") == ("travaux" if "documents" in word else "travail")


def test_one_word_takes_an_s_unless_invariable():
    assert fr_plural(3, "séance") == "séances"
    assert fr_plural(3, "mois") == "mois"
    assert fr_plural(3, "prix") == "prix"
    assert fr_plural(3, "nez") == "nez"
    assert not is_plural(True)


def test_a_phrase_with_one_form_is_refused():
    """« tour d'astreinte » + « s » would read « tour d'astreintes »: the phrase gives both."""
    with pytest.raises(ValueError, match="singulier,pluriel"):
        fr_plural(2, "tour d'astreinte")


@pytest.mark.parametrize(("n", "expected"), [
    (0, "0 trou dans le planning ; 0 séance tenue"),
    (1, "1 trou dans le planning ; 1 séance tenue"),
    (2, "2 trous dans le planning ; 2 séances tenues"),
    (None, "— trou dans le planning ; — séance tenue"),
])
def test_template_filters_are_builtins(n, expected):
    """No ``{% load %}``: the filters are template builtins (settings)."""
    template = Template('{{ n|count_label:"trou" }} dans le planning ; {{ n|default_if_none:"—" }} '
                        '{{ n|fr_plural:"séance tenue,séances tenues" }}')
    assert template.render(Context({"n": n})) == expected


def test_every_template_gives_forms_that_read():
    """A phrase given with one form would raise at render time: every literal of the templates
    is read here once (``forms_of`` raises on a bad one)."""
    import re
    from pathlib import Path

    import maillage
    from maillage.core.plurals import forms_of

    found = []
    for path in Path(maillage.__file__).parent.rglob("templates/**/*.html"):
        found += re.findall(r'\|(?:count_label|fr_plural):"([^"]*)"', path.read_text())
    assert len(found) > 40
    for forms in found:
        singular, plural = forms_of(forms)
        assert singular and plural, forms
