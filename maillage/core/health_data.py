"""The health-data registry: which models and fields hold health data or secrets.

Each app declares its own in a ``health_data.py`` module (``HEALTH_DATA``: a list of
``Registered``), discovered by name like Django admin's ``admin.py``: core names no domain app.
What is registered here must never be shown without an audit event for that read (a test walks
every page to check it), and never be written into the audit trail itself.
"""

from dataclasses import dataclass
from functools import cache

from django.apps import apps

from .discovery import app_modules


@dataclass(frozen=True)
class Registered:
    #: "app_label.ModelName"
    model: str
    fields: tuple[str, ...]
    #: "health": health data (CSP L1110-4); "secret": a secret of the home (key-box code).
    kind: str = "health"

    @property
    def model_class(self):
        return apps.get_model(self.model)


@cache
def registry() -> tuple[Registered, ...]:
    """Every app's declarations, in app order (core's own module is this registry)."""
    return tuple(entry for module in app_modules("health_data")
                 for entry in getattr(module, "HEALTH_DATA", ()))
