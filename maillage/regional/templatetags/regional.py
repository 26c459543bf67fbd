"""How a cell of the regional view reads: a number in French, or « < 5 » / « s » with a title
saying why (the legend is under every table)."""

from decimal import Decimal

from django import template
from django.utils.html import format_html

from maillage.core.indicators import money
from maillage.core.smallcells import PROTECTED, SMALL, THRESHOLD, Cell
from maillage.steering.dashboard import number as dashboard_number

register = template.Library()

WHY = {
    SMALL: f"de 1 à {THRESHOLD - 1} personnes",
    PROTECTED: "masqué (secret statistique)",
}


def number(value) -> str:
    """As the CRT's dashboard writes it (``steering.dashboard.number``): « 63,2 » for a share
    of one decimal, « 13,70 » for FTE and euros, « 1 234 »; « — » for no value."""
    if isinstance(value, float):
        value = Decimal(str(value))
    if value is None or isinstance(value, int | Decimal) and not isinstance(value, bool):
        return dashboard_number(value)
    return str(value)


@register.filter
def cell(item):
    if isinstance(item, Cell):
        if item.hidden:
            return format_html('<span class="text-body-secondary" title="{}">{}</span>',
                               WHY[item.status], item.text)
        return number(item.value)
    return number(item)


@register.filter
def money_cell(item):
    """An amount in euros: two decimals always (« 99,00 », « 400 000,00 »), as the CRT's
    budget and dashboard write them; a hidden cell as ``cell``."""
    if isinstance(item, Cell):
        if item.hidden or item.value is None:
            return cell(item)
        item = item.value
    if isinstance(item, int | float | Decimal) and not isinstance(item, bool):
        return number(money(Decimal(str(item))))
    return number(item)
