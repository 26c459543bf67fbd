"""``{{ code|birthplace:birth_date }}``: the birthplace's name and department for an INSEE code."""

from django import template

from maillage.territory import birthplaces

register = template.Library()


@register.filter
def birthplace(code: str, on=None) -> str:
    return birthplaces.describe(code, on)
