"""Worker of ``test_f12_concurrent_writes``: many threads writing one SQLite FILE at once.

Run in its own process (``python -m tests.security.f12_concurrent_writer``) with
``MAILLAGE_VAR_DIR`` pointing to a directory and no ``DATABASE_URL``: it migrates a fresh
``maillage.sqlite3`` there, or with ``--skip-migrate`` takes the one it finds (the test copies
its empty test database there; the suite's in-memory database cannot show WAL or lock waits),
then starts ``--threads`` threads together. Each one, through the real services and the real
cache: creates a commune (reads, then writes, then audits, in one transaction), reads the
territory, updates its commune (version check, audit), counts a hit on the rate limiter. It
prints one JSON line: errors (with the first messages), rows written, the journal mode.
"""

import argparse
import json
import os
import threading
import time


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--threads", type=int, default=50)
    parser.add_argument("--skip-migrate", action="store_true")
    parser.add_argument("--limits", type=int, default=0, metavar="N",
                        help="instead: N rate-limiter hits and N failed logins, as one worker")
    parser.add_argument("--transaction-mode", default="",
                        help="override the setting (to show what the default used to do)")
    args = parser.parse_args()

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "maillage.settings")
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import close_old_connections, connection, connections

    if args.transaction_mode:
        options = connections["default"].settings_dict["OPTIONS"]
        if args.transaction_mode == "DEFERRED":
            options.pop("transaction_mode", None)
        else:
            options["transaction_mode"] = args.transaction_mode
    if not args.skip_migrate:
        call_command("migrate", interactive=False, verbosity=0)
    if args.limits:
        limits(args.limits)
        return

    from django.contrib.auth.hashers import make_password

    from maillage.core.models import AuditEvent
    from maillage.core.ratelimit import allow
    from maillage.core.roles import Role
    from maillage.core.tests.factories import CrtFactory, UserFactory, member
    from maillage.territory import selectors, services
    from maillage.territory.models import Commune

    crt = CrtFactory(name="CRT concurrent")
    actor = UserFactory(username="concurrent", password=make_password(None))
    member(actor, crt, Role.COORDINATOR)
    audit_before = AuditEvent.objects.count()
    connection.close()

    barrier = threading.Barrier(args.threads)
    # Real communes: a territory is made of INSEE codes of the current COG.
    from maillage.territory import reference

    codes = sorted(code for code in reference.lookup_many(
        f"49{n:03d}" for n in range(1, 1000)))[: args.threads]
    errors: list[str] = []
    lock = threading.Lock()

    def work(i: int) -> None:
        try:
            barrier.wait()
            commune = services.commune_create(
                actor=actor, crt=crt, insee_code=codes[i], postal_code="49000",
                name=f"Commune {i}", travel_minutes=10 + i % 30,
            )
            list(selectors.communes(crt=crt)[:20])
            services.commune_update(actor=actor, commune=commune, version=commune.version,
                                    name=f"Commune {i} (modifiée)")
            allow(f"concurrent:{i % 5}", limit=1000, window_seconds=60)
        except Exception as exc:  # noqa: BLE001 (every failure is what we count)
            with lock:
                errors.append(f"{type(exc).__name__}: {exc}")
        finally:
            close_old_connections()
            connection.close()

    started = time.monotonic()
    threads = [threading.Thread(target=work, args=(i,)) for i in range(args.threads)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.monotonic() - started

    with connection.cursor() as cursor:
        cursor.execute("PRAGMA journal_mode")
        journal_mode = cursor.fetchone()[0]
    print(json.dumps({
        "errors": len(errors),
        "first_errors": sorted(set(errors))[:5],
        "communes": Commune.objects.filter(crt=crt).count(),
        "renamed": Commune.objects.filter(crt=crt, name__endswith="(modifiée)").count(),
        "audit_events": AuditEvent.objects.count() - audit_before,
        "journal_mode": journal_mode,
        "seconds": round(elapsed, 2),
    }))


def limits(hits: int) -> None:
    """What one server process sees of the counters the others share: the rate limiter's
    answers and the login page's status codes (429 once django-axes locks the account)."""
    from django.test import Client
    from django.urls import reverse

    from maillage.core.ratelimit import allow

    allowed = [allow("shared:probe", limit=5, window_seconds=600) for _ in range(hits)]
    client = Client()
    statuses = [
        client.post(reverse("core:login"),
                    {"username": "somebody", "password": "not-the-password"}).status_code
        for _ in range(hits)
    ]
    print(json.dumps({"allowed": allowed, "login_statuses": statuses}))


if __name__ == "__main__":
    main()
