"""Run one task-queue consumer (Huey): the periodic tasks of every app's ``tasks.py`` and the
outbox. ``maillage serve`` and ``maillage demo`` start one beside the server; run it alone
(systemd, a container) to put the work on other machines (``REDIS_URL`` shared by all)."""

import logging
import os
import signal
import sys
import threading
import time

from django.conf import settings
from django.core.management.base import BaseCommand
from django.utils.module_loading import autodiscover_modules
from huey.consumer_options import ConsumerConfig

from maillage.core.plurals import count_label


def consumer_argv(*extra: str) -> list[str]:
    """The command line of a worker that stops when the calling process ends (what ``serve``
    and ``demo`` start)."""
    return [sys.executable, "-m", "maillage.cli", "worker", "--parent", str(os.getpid()),
            *extra]


def _watch_parent(parent: int, every: float = 1.0) -> None:
    """Stop this worker when the process that started it is gone (crashed or killed): the
    worker never outlives its server."""

    def loop():
        while os.getppid() == parent:
            time.sleep(every)
        os.kill(os.getpid(), signal.SIGTERM)

    threading.Thread(target=loop, name="parent-watch", daemon=True).start()


def _serve_metrics(port: int) -> None:
    """This consumer's counters (tasks run, failed) and the shared figures (queue depth,
    outbox) on ``http://0.0.0.0:port/metrics``, for a consumer on a machine without a web
    server (a container of its own). Beside ``maillage serve`` its counters also reach the web
    server's ``/metrics`` through the shared multiprocess folder."""
    from prometheus_client import start_http_server

    from maillage.core.metrics import registry

    start_http_server(port, registry=registry())


class Command(BaseCommand):
    help = ("Lance un processus de traitement des tâches en arrière-plan (envoi des courriels, "
            "alertes de passages non tracés, séries de passages, rappels, purge de "
            "conservation). Un seul suffit ; plusieurs peuvent tourner sans doublon.")

    def add_arguments(self, parser):
        parser.add_argument("--workers", type=int, default=None,
                            help="Nombre de fils d'exécution (défaut : HUEY_WORKERS ou 2).")
        parser.add_argument("--sans-periodiques", dest="no_periodic", action="store_true",
                            help="Ne planifie pas les tâches périodiques (files seulement).")
        parser.add_argument("--metrics-port", type=int,
                            default=int(os.environ.get("WORKER_METRICS_PORT", 0)) or None,
                            help="Expose les métriques Prometheus de ce processus sur ce port "
                                 "(défaut : WORKER_METRICS_PORT ; aucun si absent).")
        parser.add_argument("--parent", type=int, default=None, metavar="PID",
                            help="S'arrête quand ce processus s'arrête (usage interne de "
                                 "« serve » et « demo »).")

    def handle(self, *args, workers, no_periodic, parent, metrics_port, **options):
        from huey.contrib.djhuey import HUEY

        autodiscover_modules("tasks")
        config = dict(settings.HUEY.get("consumer", {}))
        if workers:
            config["workers"] = workers
        if no_periodic:
            config["periodic"] = False
        config = ConsumerConfig(**config)
        config.validate()
        # Huey's lines go through the root handler (settings.LOGGING: JSON, no exception
        # message), not through a handler of its own.
        logging.getLogger("huey").setLevel(logging.DEBUG if config.verbose else logging.INFO)
        if metrics_port:
            _serve_metrics(metrics_port)
        if parent:
            _watch_parent(parent)
        self.stdout.write(f"Traitement des tâches : {count_label(config.workers, 'fil')}, "
                          f"file « {HUEY.name} ».")
        self.stdout.flush()
        HUEY.create_consumer(**config.values).run()
