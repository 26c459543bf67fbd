"""The browser journeys' server, one request at a time when the test database is SQLite in memory.

On SQLite the test database lives in memory, and Django's live server hands the test's own
connection to every request thread (an in-memory database exists only inside its connection).
Its threaded server then runs the browser's parallel requests (a page and its htmx parts, a
map and its data) on that one connection at once, and two threads on one SQLite connection can
deadlock the whole process:

- thread A is inside ``sqlite3_step`` and holds the connection's mutex; the statement calls a
  SQL function written in Python (``maillage_fold``, the French order of ``core.collation``, or
  one of Django's), which waits for the GIL;
- thread B holds the GIL and asks SQLite for a column name (Python's ``sqlite3`` reads the
  names of a new result without releasing the GIL), which waits for the mutex.

No Python thread runs again: not the test, not its watchdog, not the xdist worker's channel.
That is how the CI runs that "hung at 99 % with a worker idle" ended (caught at last on
7 December 2026 with ``py-spy dump --native``: one request thread in ``func_callback``, the
other in ``sqlite3_column_name``).

So, on that engine only, requests run one at a time, the body read and the response closed
inside the turn (``request_finished`` runs queries too), and every statement of the shared
connection takes the same lock, the test's own included: waiting for a Python lock releases the
GIL, so the holder's SQL function gets it and finishes. Django's transaction state (atomic
blocks, savepoints) belongs to the connection object as well, and no longer interleaves between
two requests. PostgreSQL gives each request thread its own connection: nothing changes there.
"""

from __future__ import annotations

import threading

from django.core.servers.basehttp import ThreadedWSGIServer
from django.db.backends.sqlite3.base import SQLiteCursorWrapper
from django.test.testcases import LiveServerThread
from pytest_django.live_server_helper import LiveServer

#: Held by a request for its whole turn, and by any statement run on the shared connection.
TURN = threading.RLock()


class SerialCursor(SQLiteCursorWrapper):
    """A cursor of the shared connection: each call into SQLite takes the turn."""

    def execute(self, *args, **kwargs):
        with TURN:
            return super().execute(*args, **kwargs)

    def executemany(self, *args, **kwargs):
        with TURN:
            return super().executemany(*args, **kwargs)

    def fetchone(self):
        with TURN:
            return super().fetchone()

    def fetchmany(self, *args, **kwargs):
        with TURN:
            return super().fetchmany(*args, **kwargs)

    def fetchall(self):
        with TURN:
            return super().fetchall()

    def __next__(self):
        with TURN:
            return super().__next__()

    def close(self):
        with TURN:
            return super().close()


class SerialWSGIServer(ThreadedWSGIServer):
    """Django's threaded live server; with a shared connection, one request at a time (the
    threads still wait for the browser's kept-alive connections side by side)."""

    def set_app(self, application):
        if not self.connections_override:
            return super().set_app(application)

        def one_at_a_time(environ, start_response):
            with TURN:
                result = application(environ, start_response)
                try:
                    body = b"".join(result)
                finally:
                    if hasattr(result, "close"):
                        result.close()
            return [body]

        return super().set_app(one_at_a_time)


class SerialLiveServerThread(LiveServerThread):
    server_class = SerialWSGIServer


class SerialLiveServer(LiveServer):
    """pytest-django's live server, with the thread above and the shared connection's cursors
    taking the turn."""

    def __init__(self, addr: str) -> None:
        super().__init__(addr, start=False)
        plain = self.thread
        self.thread = SerialLiveServerThread(
            plain.host, static_handler=plain.static_handler,
            connections_override=plain.connections_override, port=plain.port,
        )
        self.thread.daemon = True
        for connection in self.thread.connections_override.values():
            connection.create_cursor = _serial_cursor_factory(connection)
        self.start()

    @property
    def serial(self) -> bool:
        return bool(self.thread.connections_override)


def _serial_cursor_factory(connection):
    def create_cursor(name=None):
        return connection.connection.cursor(factory=SerialCursor)

    return create_cursor
