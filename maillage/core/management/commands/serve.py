"""Serve Maillage in production with gunicorn (static files by whitenoise)."""

import os
import subprocess
import sys

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Sert l'application avec gunicorn (production). Collecte d'abord les fichiers statiques."

    def add_arguments(self, parser):
        parser.add_argument("--bind", default=os.environ.get("BIND", "127.0.0.1:8000"))
        parser.add_argument(
            "--workers", type=int, default=int(os.environ.get("WEB_CONCURRENCY", 3))
        )
        parser.add_argument("--migrate", action="store_true", help="Applique les migrations avant.")

    def handle(self, *args, bind, workers, migrate, **options):
        if migrate:
            call_command("migrate", interactive=False, verbosity=1)
        if not settings.WHITENOISE_USE_FINDERS:
            call_command("collectstatic", interactive=False, verbosity=0)
        argv = [
            "gunicorn",
            "maillage.wsgi:application",
            "--bind",
            bind,
            "--workers",
            str(workers),
            "--access-logfile",
            "-",
        ]
        # Missed-visit alerts and series horizons, every 5 minutes, beside gunicorn (it stops
        # when gunicorn does).
        subprocess.Popen([sys.executable, "-m", "maillage.cli", "visits_tick", "--loop", "300"])  # noqa: S603
        self.stdout.write(f"Maillage servi sur http://{bind}")
        sys.stdout.flush()
        os.execvp(sys.executable, [sys.executable, "-m", *argv])  # noqa: S606
