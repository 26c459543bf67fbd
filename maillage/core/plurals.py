"""Counts written as a French reader expects them: « 0 passage », « 1 passage »,
« 1,5 jour », « 2 passages » — the singular under 2 (0 included, unlike Django's
``pluralize``), never « passage(s) ».

One API, in Python and in templates (filters of ``maillage_tags``, a template builtin):

- ``count_label(n, "passage")`` / ``{{ n|count_label:"passage" }}`` → « 2 passages »;
- ``fr_plural(n, "passage")`` / ``{{ n|fr_plural:"passage" }}`` → « passages », the word
  alone, when the figure is written apart (``<strong>{{ n }}</strong> …``).

``forms`` is the singular, or « singular,plural » for an irregular word or a phrase whose
words all agree: ``"document médical,documents médicaux"``, ``"tour d'astreinte,tours
d'astreinte"``, ``"terminé non tracé,terminés non tracés"``. One word alone takes an « s »,
unless it ends in « s », « x » or « z » (« mois », « prix » stay as they are); a phrase must
give both forms (nothing guesses which of its words agree).
"""

from decimal import Decimal, InvalidOperation


def number(value) -> str:
    """« 1 234 », « 12,50 », « — » for no value (thousands: narrow no-break space)."""
    if value is None:
        return "—"
    if isinstance(value, float):
        value = Decimal(str(value))
    if isinstance(value, Decimal):
        places = max(0, -value.as_tuple().exponent)
        text = f"{value:,.{places}f}"
    elif isinstance(value, int) and not isinstance(value, bool):
        text = f"{value:,}"
    else:  # a figure already written (« < 5 » of a small cell…)
        return str(value)
    return text.replace(",", "\u202f").replace(".", ",").replace("-", "−")


def is_plural(n) -> bool:
    """French agreement: plural from 2 on (« 0 passage », « 1,5 jour », « 2 passages »).
    A small cell hidden as « < 5 » reads plural (« < 5 personnes »); no figure (``None``,
    not a number) reads as none: singular."""
    if n is None or isinstance(n, bool):
        return False
    if isinstance(n, str) and n.lstrip().startswith("<"):
        return True
    try:
        return abs(Decimal(str(n))) >= 2
    except (InvalidOperation, ValueError):
        return False


def forms_of(forms: str) -> tuple[str, str]:
    """(singular, plural) from « passage » or « document médical,documents médicaux »."""
    singular, comma, plural = forms.partition(",")
    singular, plural = singular.strip(), plural.strip()
    if comma:
        return singular, plural
    if " " in singular:
        raise ValueError(f"« {forms} » : une expression s'écrit « singulier,pluriel ».")
    return singular, singular if singular[-1:] in ("s", "x", "z") else singular + "s"


def fr_plural(n, forms: str) -> str:
    """The word as it agrees with ``n``, without the figure: « passage » or « passages »."""
    singular, plural = forms_of(forms)
    return plural if is_plural(n) else singular


def count_label(n, forms: str) -> str:
    """The figure and the word agreeing with it: « 0 passage », « 3 tours d'astreinte »."""
    return f"{number(n)} {fr_plural(n, forms)}"
