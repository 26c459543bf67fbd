"""gunicorn's settings for ``maillage serve`` (``--config python:maillage.core.gunicorn_conf``).

- gunicorn's own lines (start, worker booted or killed) as JSON on the standard error, like the
  application's; no gunicorn access log: the application writes its own access line, with the
  request id and without the query string (``maillage.core.observability``);
- Prometheus multiprocess mode: a worker that dies has its live gauges forgotten;
- each worker, once it has loaded the application, freezes it out of the garbage collector's
  full passes (``maillage.core.preload``).
"""

import os

accesslog = None
errorlog = "-"
logconfig_dict = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"json": {"()": "maillage.core.observability.JsonFormatter"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "json",
                             "stream": "ext://sys.stderr"}},
    "loggers": {
        "gunicorn.error": {"handlers": ["console"], "level": "INFO", "propagate": False},
        "gunicorn.access": {"handlers": [], "level": "WARNING", "propagate": False},
    },
}
# A request that takes longer than this is killed and its worker replaced (a report's export
# streams; the heaviest pages answer in well under a second).
timeout = int(os.environ.get("GUNICORN_TIMEOUT", 60))
graceful_timeout = 30
# The reverse proxy's X-Forwarded-* headers are trusted from these addresses only.
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")


def child_exit(server, worker):
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)


def post_worker_init(worker):
    from maillage.core.preload import freeze_loaded_application

    frozen = freeze_loaded_application()
    worker.log.info("Worker %s: %d objects of the loaded application frozen out of the garbage "
                    "collector's full passes", worker.pid, frozen)
