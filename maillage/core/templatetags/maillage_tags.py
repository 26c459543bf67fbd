from django import template

from maillage.core.audit import action_label as _action_label
from maillage.core.plurals import count_label as _count_label
from maillage.core.plurals import fr_plural as _fr_plural
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


@register.filter
def count_label(n, forms: str) -> str:
    """``{{ n|count_label:"passage" }}`` → « 0 passage », « 2 passages » (``core.plurals``)."""
    return _count_label(n, forms)


@register.filter
def fr_plural(n, forms: str) -> str:
    """``{{ n|fr_plural:"passage" }}`` → « passage » or « passages », the figure written apart;
    French agreement (singular for 0 and 1), where Django's ``pluralize`` makes 0 plural."""
    return _fr_plural(n, forms)
