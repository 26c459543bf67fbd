"""``maillage demo``: migrate, load the demo CRTs (idempotent), print the accounts, serve."""

import logging
import time
from collections.abc import Callable
from random import Random

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.test.utils import override_settings

from maillage.core.demo import DEMO_PASSWORD, DemoContext, demo_accounts, demo_region_accounts
from maillage.core.discovery import app_modules
from maillage.core.models import Crt
from maillage.core.versioning import uniqueness_left_to_database

DEMO_MARKER_CRT = "CRT Anjou Bleu"
SEED = 2025


def demo_modules():
    """Each Maillage app's ``demo`` module, in INSTALLED_APPS order."""
    return app_modules("demo")


@transaction.atomic
def load_demo(*, scale: int = 1, seed: int = SEED,
              progress: Callable[[str], None] | None = None) -> DemoContext:
    """Load the demo: each app's ``demo`` module, then each app's ``demo_history`` (the
    14 months of bulk-created past), then each module's ``finish(ctx)`` if it has one: what
    reads the data of every app (the activity reports' snapshots of the indicators) once they
    are all in. ``progress`` receives one French line per step, with its counts (each module's
    ``summary(ctx)``, or what ``finish`` returns); quiet by default."""
    ctx = DemoContext(rng=Random(seed), scale=scale, progress=progress)
    # The emails the services send to referrers are kept in memory, not printed. The
    # generators build unique rows by construction: the database alone checks it.
    with override_settings(EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend"), \
            uniqueness_left_to_database():
        try:
            modules = [*demo_modules(), *app_modules("demo_history")]
            for module in modules:
                started = time.monotonic()
                module.load(ctx)
                ctx.clock(None)
                summary = getattr(module, "summary", None)
                if progress is not None and summary is not None:
                    progress(f"{summary(ctx)} ({time.monotonic() - started:.1f} s)")
            for module in modules:
                finish = getattr(module, "finish", None)
                if finish is None:
                    continue
                started = time.monotonic()
                line = finish(ctx)
                ctx.clock(None)
                if progress is not None and line:
                    progress(f"{line} ({time.monotonic() - started:.1f} s)")
        finally:
            ctx.clock(None)
    return ctx


class Command(BaseCommand):
    help = (
        "Prépare la base (migrations), charge les deux CRT de démonstration, affiche les comptes "
        "et sert l'application."
    )

    def add_arguments(self, parser):
        parser.add_argument("--no-serve", action="store_true", help="Tout faire sauf servir.")
        parser.add_argument("--reset", action="store_true", help="Effacer la base et recommencer.")
        parser.add_argument("--port", type=int, default=8000, help="Port HTTP (8000 par défaut).")
        parser.add_argument(
            "--scale", type=int, default=1, help="Multiplie le volume (bancs de performance)."
        )

    def handle(self, *args, no_serve, reset, port, scale, **options):
        if scale < 1:
            raise CommandError("--scale doit être un entier supérieur ou égal à 1.")
        if not 1 <= port <= 65535:
            raise CommandError("--port doit être compris entre 1 et 65535.")
        self.stdout.write("Migrations de la base…")
        call_command("migrate", interactive=False, verbosity=0)
        if reset:
            self.stdout.write("Remise à zéro de la base…")
            call_command("flush", interactive=False, verbosity=0)
        if Crt.objects.filter(name=DEMO_MARKER_CRT).exists():
            self.stdout.write("Données de démonstration déjà présentes (--reset pour recommencer).")
        else:
            self.stdout.write(f"Chargement des données de démonstration (échelle {scale})…")
            started = time.monotonic()
            load_demo(scale=scale, progress=lambda line: self.stdout.write(f"  {line}"))
            self.stdout.write(f"Démonstration chargée en {time.monotonic() - started:.0f} s.")
        accounts = demo_accounts()
        url = f"http://127.0.0.1:{port}"
        self.stdout.write(self.style.SUCCESS(f"\nMaillage est prêt : {url}"))
        self.stdout.write(f"Comptes de démonstration (mot de passe commun : {DEMO_PASSWORD})")
        width = max(len(u) for u, _, _ in accounts)
        for username, role, crt in accounts:
            self.stdout.write(f"  {username.ljust(width)}  {role} — {crt}")
        for username, role, region in demo_region_accounts():
            self.stdout.write(f"  {username.ljust(width)}  {role} — {region}")
        if no_serve:
            return
        self.stdout.write("")
        _start_worker()
        # runserver prints its own line per request: no second (JSON) access line beside it.
        # (In the settings' LOGGING, which runserver's django.setup() applies again.)
        settings.LOGGING["loggers"]["maillage.access"]["level"] = "WARNING"
        logging.getLogger("maillage.access").setLevel(logging.WARNING)
        call_command("runserver", f"127.0.0.1:{port}", use_reloader=False, use_threading=True)


def _start_worker() -> None:
    """One task-queue consumer beside the demo server (the outbox, missed-visit alerts, series
    horizons, reminders): a child process that stops with the server."""
    import subprocess

    from .worker import consumer_argv

    subprocess.Popen(consumer_argv())  # noqa: S603
