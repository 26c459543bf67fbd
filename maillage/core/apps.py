from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "maillage.core"
    label = "core"
    verbose_name = "Socle"

    def ready(self) -> None:
        from . import signals  # noqa: F401  (audit of logins and logouts)
        from .audit import discover_actions
        from .collation import register_on_new_connections

        # SQLite's French order of names, on every new connection (see collation.py).
        register_on_new_connections()

        # Each app declares its audited actions in its audit_actions.py (core lists none).
        discover_actions()

        from django.utils.module_loading import autodiscover_modules

        # Each app contributes its home-page panels in its home.py (see core/home.py).
        autodiscover_modules("home")

        from huey.contrib.djhuey import HUEY

        from .metrics import connect_task_signals

        # Each task's outcome counted where it runs (a consumer; the web process in the tests,
        # where tasks run at once).
        connect_task_signals(HUEY)
