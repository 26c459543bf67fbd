"""Escaping for contexts other than HTML text and attributes.

``{{ value|css_string }}`` goes *inside* a quoted CSS string (``content: "{{ x|css_string }}"``):
HTML escaping does not protect it (a line break, a form feed or a backslash closes or bends the
string, and ``&quot;`` is not decoded inside ``<style>``). For JavaScript, use Django's
``json_script`` filter, never a value printed inside ``<script>``."""

import unicodedata

from django import template
from django.utils.safestring import SafeString, mark_safe

register = template.Library()

_ASCII_SAFE = frozenset(
    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 .,-_()/:;!?+=%*#")


def _safe(char: str) -> bool:
    if char in _ASCII_SAFE:
        return True
    if ord(char) < 0x80:
        return False
    # Letters, marks, digits, punctuation and symbols outside ASCII (é, œ, —, ’, €…) cannot
    # end a CSS string; separators, controls and format characters are escaped.
    return unicodedata.category(char)[0] in "LMNPS"


def escape_css_string(value) -> SafeString:
    """``value`` as the content of a CSS string: every other character as ``\\HHHHHH``.

    Six hex digits make the escape complete, so the character after it can never extend it."""
    text = "" if value is None else str(value)
    # Safe: the result holds only the characters above and backslash escapes, none of which
    # means anything in HTML.
    return mark_safe("".join(c if _safe(c) else f"\\{ord(c):06X}" for c in text))  # noqa: S308


@register.filter(is_safe=False)
def css_string(value) -> SafeString:
    return escape_css_string(value)
