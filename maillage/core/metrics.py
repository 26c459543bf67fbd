"""Prometheus metrics (``prometheus_client``), scraped at ``/metrics``.

Counted by the processes (web workers and task consumers), added up across the processes of one
machine with ``prometheus_client``'s multiprocess mode: ``maillage serve`` points
``PROMETHEUS_MULTIPROC_DIR`` at an empty folder before gunicorn starts, its workers and the
consumer it starts write their counters there, and a gunicorn hook forgets a dead worker's live
gauges. Without that variable (``runserver``, tests) the counters live in the process.

- ``maillage_http_request_duration_seconds{view,method}`` (histogram) and
  ``maillage_http_requests_total{view,method,status}``: latency and answers by view (the URL
  name, never the path: bounded labels, no identifiers);
- ``maillage_logins_failed_total``: failed logins (password or Pro Santé Connect);
- ``maillage_tasks_total{task,outcome}``: tasks run by a consumer (``complete``, ``error``,
  ``retrying``…), ``maillage_tasks_failed_total{task}`` the failures alone;

and read from the shared state at each scrape, so that every web worker of a platform gives the
same figure whatever machine the work ran on:

- ``maillage_task_queue_pending`` / ``maillage_task_queue_scheduled``: the queue's depth;
- ``maillage_outbox_messages{state}``: messages pending, being sent, failed (``sent`` ones are
  kept 90 days and not counted here), and ``maillage_outbox_oldest_pending_age_seconds``.

The endpoint answers only with ``Authorization: Bearer <METRICS_TOKEN>`` when that setting is
set, and only to loopback clients otherwise (``docs/operations.md``, "Observability").
"""

from __future__ import annotations

import hmac
import logging
import os

from django.conf import settings
from django.http import Http404, HttpResponse
from django.utils import timezone
from django.views.decorators.http import require_GET
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
    multiprocess,
)
from prometheus_client.core import GaugeMetricFamily

from .access import public

logger = logging.getLogger(__name__)

REQUEST_SECONDS = Histogram(
    "maillage_http_request_duration_seconds", "Durée de traitement des requêtes, par vue.",
    ["view", "method"],
    buckets=(0.01, 0.025, 0.05, 0.1, 0.15, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
)
REQUESTS = Counter("maillage_http_requests", "Requêtes servies, par vue et statut.",
                   ["view", "method", "status"])
LOGINS_FAILED = Counter("maillage_logins_failed", "Connexions refusées.")
TASKS = Counter("maillage_tasks", "Tâches exécutées par la file, par issue.", ["task", "outcome"])
TASKS_FAILED = Counter("maillage_tasks_failed", "Tâches terminées en erreur.", ["task"])

_METHODS = {"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"}


def observe_request(view: str, method: str, status: int, seconds: float) -> None:
    method = method if method in _METHODS else "OTHER"
    REQUEST_SECONDS.labels(view, method).observe(seconds)
    REQUESTS.labels(view, method, str(status)).inc()


def login_failed() -> None:
    LOGINS_FAILED.inc()


def task_finished(task_name: str, outcome: str) -> None:
    TASKS.labels(task_name, outcome).inc()
    if outcome == "error":
        TASKS_FAILED.labels(task_name).inc()


class SharedStateCollector:
    """The figures read at scrape time from the database and the queue's storage."""

    def collect(self):
        from huey.contrib.djhuey import HUEY

        from .models import OutboxMessage

        queue = GaugeMetricFamily("maillage_task_queue_pending",
                                  "Tâches en attente dans la file.")
        scheduled = GaugeMetricFamily("maillage_task_queue_scheduled",
                                      "Tâches programmées plus tard (nouvelles tentatives).")
        try:
            queue.add_metric([], HUEY.pending_count())
            scheduled.add_metric([], HUEY.scheduled_count())
        except Exception:  # noqa: BLE001 - an unreachable queue shows as a missing figure
            logger.warning("Task queue unreachable while collecting metrics", exc_info=True)
        else:
            yield queue
            yield scheduled

        states = GaugeMetricFamily("maillage_outbox_messages",
                                   "Messages sortants par état (hors envoyés).", labels=["state"])
        oldest = GaugeMetricFamily("maillage_outbox_oldest_pending_age_seconds",
                                   "Âge du plus ancien message en attente (0 sans attente).")
        counts = dict.fromkeys(("pending", "sending", "failed"), 0)
        from django.db.models import Count, Min

        rows = (OutboxMessage.objects.exclude(state=OutboxMessage.State.SENT)
                .values("state").annotate(n=Count("pk"), first=Min("created_at")).order_by())
        first_pending = None
        for row in rows:
            counts[row["state"]] = row["n"]
            if row["state"] == OutboxMessage.State.PENDING:
                first_pending = row["first"]
        for state, n in counts.items():
            states.add_metric([state], n)
        yield states
        age = (timezone.now() - first_pending).total_seconds() if first_pending else 0
        oldest.add_metric([], max(age, 0))
        yield oldest


def registry() -> CollectorRegistry:
    """A registry for one scrape: the processes' counters and the shared figures."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        reg = CollectorRegistry()
        multiprocess.MultiProcessCollector(reg)
    else:  # this process's counters (only ours, not the interpreter's default collectors)
        reg = CollectorRegistry()
        for collector in (REQUEST_SECONDS, REQUESTS, LOGINS_FAILED, TASKS, TASKS_FAILED):
            reg.register(collector)
    reg.register(SharedStateCollector())
    return reg


def _allowed(request) -> bool:
    token = settings.METRICS_TOKEN
    if token:
        given = request.headers.get("Authorization", "")
        return hmac.compare_digest(given.encode(), f"Bearer {token}".encode())
    return request.META.get("REMOTE_ADDR") in ("127.0.0.1", "::1")


@public
@require_GET
def metrics_view(request) -> HttpResponse:
    if not _allowed(request):
        raise Http404
    return HttpResponse(generate_latest(registry()), content_type=CONTENT_TYPE_LATEST)


def connect_task_signals(huey) -> None:
    """Count each task's outcome in the consumer (called by ``maillage worker``)."""
    from huey import signals as S  # noqa: N812

    @huey.signal(S.SIGNAL_COMPLETE, S.SIGNAL_ERROR, S.SIGNAL_RETRYING, S.SIGNAL_EXPIRED,
                 S.SIGNAL_REVOKED, S.SIGNAL_INTERRUPTED, S.SIGNAL_TIMEOUT)
    def count(signal, task, exc=None):
        task_finished(task.name, signal)
