"""The browser journeys' server serves one request at a time on SQLite in memory (see
``tests/e2e/live_server.py``: two requests on the one shared connection could deadlock the whole
test process), and still serves them all."""

import threading
import time
import urllib.request

import pytest
from django.core.signals import request_finished, request_started

BIG_STATIC = "/static/vendor/fullcalendar-7.1.0/fullcalendar.global.js"


def _slow_read(url: str, sizes: list, barrier: threading.Barrier) -> None:
    barrier.wait()
    with urllib.request.urlopen(url, timeout=30) as response:  # noqa: S310 (the live server)
        size = 0
        while chunk := response.read(64 * 1024):
            size += len(chunk)
            time.sleep(0.01)  # a slow client keeps its response open
        sizes.append(size)


def test_parallel_requests_take_turns_on_sqlite_in_memory(live_server):
    if not live_server.serial:
        pytest.skip("PostgreSQL : chaque requête a sa propre connexion, elles restent parallèles.")
    active, most = [0], [0]
    lock = threading.Lock()

    def started(**kwargs):
        with lock:
            active[0] += 1
            most[0] = max(most[0], active[0])

    def finished(**kwargs):
        with lock:
            active[0] -= 1

    request_started.connect(started)
    request_finished.connect(finished)
    try:
        clients, sizes = 6, []
        barrier = threading.Barrier(clients)
        threads = [threading.Thread(target=_slow_read,
                                    args=(live_server.url + BIG_STATIC, sizes, barrier))
                   for _ in range(clients)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(60)
    finally:
        request_started.disconnect(started)
        request_finished.disconnect(finished)
    assert not any(thread.is_alive() for thread in threads)
    # Every client got the whole file, and no two requests were ever inside Django together.
    assert len(sizes) == clients and len(set(sizes)) == 1 and sizes[0] > 800_000
    assert most[0] == 1
    assert active[0] == 0
