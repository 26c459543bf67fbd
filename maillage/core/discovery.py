"""Modules the apps contribute by name (``demo``, ``bench``…), found without core importing any
domain app by name."""

import importlib
from collections.abc import Iterator
from types import ModuleType

from django.apps import apps


def app_modules(name: str) -> Iterator[ModuleType]:
    """Each Maillage app's ``name`` module, in INSTALLED_APPS order (apps without one skipped)."""
    for config in apps.get_app_configs():
        if not config.name.startswith("maillage."):
            continue
        try:
            yield importlib.import_module(f"{config.name}.{name}")
        except ModuleNotFoundError as exc:
            if exc.name != f"{config.name}.{name}":
                raise
