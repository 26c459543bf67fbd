"""The consumer ``serve`` and ``demo`` start beside the server is a child process that stops
when its parent stops (crashed or killed), never outliving the server."""

import os
import signal
import subprocess
import sys
import time

from maillage.core.management.commands.worker import consumer_argv

PARENT = """
import subprocess, sys, time
from maillage.core.management.commands.worker import consumer_argv
worker = subprocess.Popen(consumer_argv("--sans-periodiques"))
print(worker.pid, flush=True)
time.sleep(120)
"""


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    with open(f"/proc/{pid}/stat") as stat:  # a zombie (exited, not yet reaped) is gone
        return stat.read().split(")")[-1].split()[0] != "Z"


def test_the_server_starts_one_worker_that_dies_with_it(tmp_path):
    assert consumer_argv()[-2:] == ["--parent", str(os.getpid())]
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "maillage.settings", "HUEY_IMMEDIATE": "0",
           "HUEY_FILE": str(tmp_path / "huey.sqlite3"), "HUEY_NAME": "maillage-test-parent"}
    parent = subprocess.Popen([sys.executable, "-c", PARENT], env=env,  # noqa: S603
                              stdout=subprocess.PIPE, text=True)
    worker = int(parent.stdout.readline())
    time.sleep(4)  # the worker is up (Django loaded, consumer running)
    assert _alive(worker)
    parent.send_signal(signal.SIGKILL)  # the server crashes: nothing tells the worker
    parent.wait(timeout=10)
    deadline = time.monotonic() + 15
    while _alive(worker) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not _alive(worker)
