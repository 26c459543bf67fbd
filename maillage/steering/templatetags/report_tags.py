"""Numbers of the reports as a French reader reads them: « 1 234 », « 12,5 », « — »."""

from datetime import date

from django import template

from maillage.core.smallcells import PROTECTED_TEXT, SMALL_TEXT

register = template.Library()

NNBSP = "\u202f"
HIDDEN = (SMALL_TEXT, PROTECTED_TEXT)


@register.filter
def fr_number(value):
    """An int grouped by thousands; a float to at most two decimals (a whole float as an int);
    None as « — »; text as it is."""
    if value is None or value == "":
        return "—" if value is None else ""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return value
    if isinstance(value, float) and not value.is_integer():
        text = f"{value:,.2f}".rstrip("0").rstrip(".")
    else:
        text = f"{int(value):,}"
    return text.replace(",", NNBSP).replace(".", ",")


@register.filter
def fr_money(value):
    """An amount in euros: two decimals always (« 22 739,90 »)."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return f"{value:,.2f}".replace(",", NNBSP).replace(".", ",")
    return fr_number(value)


@register.filter
def is_number(value) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


@register.filter
def is_figure(value) -> bool:
    """A number, or a figure the small-cell pass hid (« < 5 », « s »): set as figures are."""
    return is_number(value) or value in HIDDEN


@register.filter
def iso_date(value):
    """« 2026-06-30 » → « 30/06/2026 »."""
    try:
        return date.fromisoformat(value).strftime("%d/%m/%Y")
    except (TypeError, ValueError):
        return value or ""


@register.filter
def text_columns(table) -> set[int]:
    """The columns of ``table`` holding text and no number (their heading stays on the left,
    over the text; a column of figures has its heading on the right, over the figures)."""
    numbers = {i for row in table.rows for i, cell in enumerate(row) if is_figure(cell)}
    return set(range(len(table.columns))) - numbers
