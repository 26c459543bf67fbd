from django import template

from maillage.core.audit import action_label as _action_label
from maillage.core.roles import role_labels as _role_labels

register = template.Library()


@register.filter
def action_label(action: str) -> str:
    return _action_label(action)


@register.filter
def role_labels(codes: str) -> str:
    """"coordinator,nurse" → "Coordination (IDEC), Infirmier·ère"."""
    return _role_labels(codes)


@register.filter
def nobreak(value) -> str:
    """A phone number (« 06 39 98 14 69 ») kept on one line: its spaces become non-breaking
    spaces, so that a PDF or a narrow screen never wraps it mid-number."""
    return str(value or "").replace(" ", "\u00a0")
