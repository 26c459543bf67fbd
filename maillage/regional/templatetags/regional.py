"""How a cell of the regional view reads: a number in French, or « < 5 » / « s » with a title
saying why (the legend is under every table)."""

from decimal import Decimal

from django import template
from django.template.defaultfilters import floatformat
from django.utils.html import format_html

from maillage.core.smallcells import PROTECTED, SMALL, THRESHOLD, Cell

register = template.Library()

WHY = {
    SMALL: f"de 1 à {THRESHOLD - 1} personnes",
    PROTECTED: "masqué (secret statistique)",
}


def number(value) -> str:
    if value is None:
        return "—"
    if isinstance(value, Decimal | float):
        return floatformat(value, "-2g")
    if isinstance(value, int):
        return floatformat(value, "g")
    return str(value)


@register.filter
def cell(item):
    if isinstance(item, Cell):
        if item.hidden:
            return format_html('<span class="text-body-secondary" title="{}">{}</span>',
                               WHY[item.status], item.text)
        return number(item.value)
    return number(item)
