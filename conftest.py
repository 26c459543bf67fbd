"""Shared fixtures: the "three people" — users of each role in CRT A, a user of CRT B, and
someone with no access."""

import os
import sys
import threading
import time

import pytest

from maillage.core.roles import Role
from maillage.core.tests.factories import CrtFactory, UserFactory, member


@pytest.fixture
def crt_a(db):
    return CrtFactory(name="CRT A", phone="02 61 91 00 01")


@pytest.fixture
def crt_b(db):
    return CrtFactory(name="CRT B", phone="02 61 91 00 02")


@pytest.fixture
def make_user(db):
    def make(crt=None, *roles, **fields):
        user = UserFactory(**fields)
        if crt is not None:
            member(user, crt, *roles)
        return user

    return make


@pytest.fixture
def users(crt_a, make_user):
    """One user per role in CRT A, username = role code."""
    return {role.value: make_user(crt_a, role, username=role.value) for role in Role}


@pytest.fixture
def user_b(crt_b, make_user):
    """A user of CRT B holding every role: only tenancy can stop them."""
    return make_user(crt_b, *Role, username="everything-b")


@pytest.fixture
def client_for(client, users):
    """A logged-in test client for a role of CRT A."""

    def login(role: str):
        client.force_login(users[role])
        return client

    return login



@pytest.fixture
def mssante_operator(tmp_path, settings):
    """Maillage's MSSanté settings pointed at a local operator (``TlsSmtpServer`` on the port
    returned, started by the test): the TLS files and the port."""
    from maillage.core.tests.smtp import free_port
    from maillage.interop.tests.mssante_server import tls_files, use_operator

    files, port = tls_files(tmp_path), free_port()
    use_operator(settings, files, port)
    return files, port


@pytest.fixture(scope="session")
def imap_server():
    """A real IMAP server (pymap, STARTTLS), started once per test process: each start costs
    about half a second."""
    from maillage.core.tests.imap import ImapServer

    with ImapServer() as server:
        yield server


@pytest.fixture
def imap_mailbox(imap_server, settings):
    """The IMAP server as the CRT's MSSanté box, Maillage pointed at it; the box is emptied
    before each test."""
    imap_server.clear()
    for name, value in imap_server.settings().items():
        setattr(settings, name, value)
    return imap_server


@pytest.fixture(scope="session")
def demo_snapshot(tmp_path_factory, worker_id):
    from maillage.core.tests.demo_snapshot import DemoSnapshot

    # The test processes of one xdist run share the parent of their temporary directories.
    shared = None if worker_id == "master" else \
        tmp_path_factory.getbasetemp().parent / "demo-snapshot"
    return DemoSnapshot(shared)


@pytest.fixture
def demo(transactional_db, demo_snapshot):
    """The demo (scale 1), committed in the test database for a browser journey or a test that
    needs the whole demo; the database is emptied after the test. Loaded once per run, then
    restored from a snapshot (see ``maillage/core/tests/demo_snapshot.py``)."""
    return demo_snapshot.restore()


@pytest.fixture(scope="module")
def demo_module(django_db_setup, django_db_blocker, demo_snapshot):
    """The demo for a module of read-only tests (each test still runs in a rolled-back
    transaction with ``db``); the database is emptied after the module. Yields the progress
    lines of the load."""
    from django.core.management import call_command

    with django_db_blocker.unblock():
        lines = demo_snapshot.restore()
        yield lines
        call_command("flush", interactive=False, verbosity=0)


# Test distribution over the xdist workers (``pytest_xdist_make_scheduler`` below): each file is
# one unit of work, sent whole to a worker (its module fixtures, such as ``demo_module``, are
# built once), except the long parametrised walks of SPREAD, cut into chunks of that many tests
# so that both workers share them. The units go in this order: the longest indivisible ones
# first, the small chunks last, so that the workers end together. (xdist's own ``loadgroup``
# cannot do this with pytest 9: it renames test ids through an attribute pytest no longer reads.)
LONG_FIRST = (
    "tests/test_scale.py",  # the ×10 demo
    "tests/e2e/test_axe_every_page.py",
    "tests/e2e/test_home_links.py",
    "tests/e2e/",
)
SPREAD = {
    "tests/e2e/test_axe_every_page.py": 1,
    "maillage/core/tests/test_access.py": 150,
    "maillage/core/tests/test_tenancy.py": 40,
    "tests/security/test_audit_coverage.py": 12,
    "maillage/core/tests/test_demo_home_links.py": 3,
}


def pytest_collection_modifyitems(config, items):
    """Tests marked ``engine_independent`` touch no database, in their process or in one they
    start: their result cannot depend on the engine, so they run in the SQLite pass only (CI runs
    the suite on both engines)."""
    from django.conf import settings

    if settings.DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
        return
    skip = pytest.mark.skip(reason="engine_independent: no database, run in the SQLite pass")
    for item in items:
        if item.get_closest_marker("engine_independent"):
            item.add_marker(skip)


def _path(nodeid: str) -> str:
    return nodeid.split("::", 1)[0]


def _unit_rank(path: str) -> int:
    long = next((i for i, prefix in enumerate(LONG_FIRST) if path.startswith(prefix)), None)
    if long is not None:
        return long
    return len(LONG_FIRST) + (path in SPREAD)


#: Seconds a test may run (setup and teardown included) before the stacks of every thread and
#: greenlet of its process are printed on stderr (the longest test, the ×4 demo of
#: ``tests/test_scale.py`` on a loaded PostgreSQL, takes ≈ 3 min). Playwright's sync API runs the
#: test in a greenlet beside its event loop's: a thread's stack shows only the loop, waiting.
TEST_STALL = int(os.environ.get("MAILLAGE_TEST_STALL", "420"))


def _uncaptured_stderr(config) -> int:
    """The process's stderr as it was before pytest's capture: while it captures (from before
    the conftest files load), fd 2 goes to a file shown only when a test ends, and a hung test
    never ends."""
    capture = config.pluginmanager.getplugin("capturemanager")
    err = getattr(getattr(capture, "_global_capturing", None), "err", None)
    return getattr(err, "targetfd_save", 2)


def _print_stacks(config, nodeid: str, test_greenlet) -> None:
    import traceback

    out = [f"== {nodeid}: still running after {TEST_STALL} s\n"]
    frames = sys._current_frames()
    for thread in threading.enumerate():
        if thread.ident in frames and thread is not threading.current_thread():
            out += [f"-- thread {thread.name}\n", *traceback.format_stack(frames[thread.ident])]
    if test_greenlet is not None and test_greenlet.gr_frame is not None:
        out += ["-- the test's greenlet (switched out)\n",
                *traceback.format_stack(test_greenlet.gr_frame)]
    os.write(_uncaptured_stderr(config), "".join(out).encode())


@pytest.hookimpl(wrapper=True)
def pytest_runtest_protocol(item, nextitem):
    try:
        from greenlet import getcurrent
    except ImportError:
        test_greenlet = None
    else:
        test_greenlet = getcurrent()
    timer = threading.Timer(TEST_STALL, _print_stacks,
                            args=(item.config, item.nodeid, test_greenlet))
    timer.daemon = True
    timer.start()
    try:
        return (yield)
    finally:
        timer.cancel()


@pytest.hookimpl(wrapper=True)
def pytest_collection_finish(session):
    """The units in their order, after every plugin's reordering (pytest-django's puts the
    transactional tests of every file after the others): each file's tests together, in the
    order pytest-django gave them. Runs before xdist sends the collection to the scheduler."""
    first: dict[str, int] = {}
    for position, item in enumerate(session.items):
        first.setdefault(_path(item.nodeid), position)
    session.items.sort(key=lambda item: (_unit_rank(_path(item.nodeid)),
                                         first[_path(item.nodeid)]))
    return (yield)


def pytest_xdist_make_scheduler(config, log):
    from xdist.scheduler import LoadScopeScheduling

    class UnitScheduling(LoadScopeScheduling):
        """Units: a file, or a chunk of a SPREAD file; sent in collection order
        (``--no-loadscope-reorder``)."""

        units: dict[str, str] = {}

        def schedule(self) -> None:
            if self.collection is None:
                self.units = {}
                seen: dict[str, int] = {}
                for nodeid in next(iter(self.registered_collections.values())):
                    path = _path(nodeid)
                    if path in SPREAD:
                        index = seen[path] = seen.get(path, -1) + 1
                        self.units[nodeid] = f"{path}#{index // SPREAD[path]}"
            super().schedule()

        def _split_scope(self, nodeid: str) -> str:
            return self.units.get(nodeid) or _path(nodeid)

        def mark_test_complete(self, node, item_index: int, duration: float = 0) -> None:
            self.last_progress = time.monotonic()
            super().mark_test_complete(node, item_index, duration)

        def stalled(self) -> str | None:
            """What each worker still holds, when no test has finished for ``STALL`` seconds
            while some are pending (a run once hung at 99 % in CI with both workers and the
            controller idle: this tells the next one where)."""
            if time.monotonic() - self.last_progress < STALL or not self.has_pending:
                return None
            lines = [f"xdist: no test finished for {STALL} s; "
                     f"{len(self.workqueue)} unit(s) not sent"]
            for node, units in list(self.assigned_work.items()):
                pending = [nodeid for unit in list(units.values())
                           for nodeid, done in list(unit.items()) if not done]
                lines.append(f"  {node.gateway.id} (shutting down: {node.shutting_down}): "
                             f"{len(pending)} pending: {pending[:3]}")
            return "\n".join(lines)

    scheduler = UnitScheduling(config, log)
    scheduler.last_progress = time.monotonic()

    def watch() -> None:
        while True:
            time.sleep(60)
            report = scheduler.stalled()
            if report:
                print(report, file=sys.stderr, flush=True)
                scheduler.last_progress = time.monotonic()

    threading.Thread(target=watch, name="xdist-stall-watch", daemon=True).start()
    return scheduler


#: Seconds without a finished test after which the controller says what the workers hold (the
#: longest test, the ×4 demo of ``tests/test_scale.py`` on a loaded PostgreSQL, takes ≈ 3 min).
STALL = int(os.environ.get("MAILLAGE_XDIST_STALL", "600"))


@pytest.fixture(scope="session")
def django_db_use_migrations():
    """The test databases are built from the models, not by replaying the migrations (see
    ``maillage/core/tests/schema.py``; ``MAILLAGE_TEST_MIGRATIONS=1`` replays them)."""
    from maillage.core.tests.schema import replay_migrations

    return replay_migrations()


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker, django_db_use_migrations):
    """pytest-django's, then what the migrations add to the models' schema."""
    if not django_db_use_migrations:
        from django.db import connection

        from maillage.core.tests.schema import complete_test_schema

        with django_db_blocker.unblock():
            complete_test_schema(connection)
    yield
