"""Serve Maillage in production with gunicorn (static files by whitenoise)."""

import os
import shutil
import subprocess
import sys
from pathlib import Path

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand

from .worker import consumer_argv


def _metrics_folder() -> None:
    """Prometheus multiprocess mode: the counters of gunicorn's workers and of the consumer
    started here are files in one folder (``METRICS_DIR``, by default ``var/metrics``), emptied
    at each start; ``PROMETHEUS_MULTIPROC_DIR`` names it to gunicorn and the consumer, which
    inherit it."""
    folder = Path(settings.METRICS_DIR)
    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True, mode=0o700)
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = str(folder)


class Command(BaseCommand):
    help = "Sert l'application avec gunicorn (production). Collecte d'abord les fichiers statiques."

    def add_arguments(self, parser):
        parser.add_argument("--bind", default=os.environ.get("BIND", "127.0.0.1:8000"))
        parser.add_argument(
            "--workers", type=int, default=int(os.environ.get("WEB_CONCURRENCY", 3))
        )
        parser.add_argument("--migrate", action="store_true", help="Applique les migrations avant.")
        parser.add_argument("--sans-worker", dest="with_worker", action="store_false",
                            help="Ne lance pas de traitement des tâches à côté (il tourne "
                                 "ailleurs : « maillage worker »).")
        parser.add_argument("--sans-collectstatic", dest="collectstatic", action="store_false",
                            help="Ne collecte pas les fichiers statiques (déjà collectés, par "
                                 "exemple dans l'image du conteneur).")

    def handle(self, *args, bind, workers, migrate, with_worker, collectstatic, **options):
        if migrate:
            call_command("migrate", interactive=False, verbosity=1)
        if collectstatic and not settings.WHITENOISE_USE_FINDERS:
            call_command("collectstatic", interactive=False, verbosity=0)
        _metrics_folder()
        argv = [
            "gunicorn",
            "maillage.wsgi:application",
            "--config",
            "python:maillage.core.gunicorn_conf",
            "--bind",
            bind,
            "--workers",
            str(workers),
        ]
        # One task-queue consumer beside gunicorn (not one per gunicorn worker): the outbox and
        # the periodic tasks. It stops when gunicorn (this process, after exec) stops.
        # ``--sans-worker`` when workers run elsewhere (``maillage worker``).
        if with_worker:
            subprocess.Popen(consumer_argv())  # noqa: S603
        self.stdout.write(f"Maillage servi sur http://{bind}")
        sys.stdout.flush()
        os.execvp(sys.executable, [sys.executable, "-m", *argv])  # noqa: S606
