"""The consumer ``serve`` and ``demo`` start beside the server is a child process that stops
when its parent stops (crashed or killed), never outliving the server."""

import os
import signal
import subprocess
import sys
import threading
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
    # The worker's output (inherited from the parent) comes through the parent's pipe.
    parent = subprocess.Popen([sys.executable, "-c", PARENT], env=env,  # noqa: S603
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    worker = int(parent.stdout.readline())
    lines, running = [], threading.Event()

    def read():
        for line in parent.stdout:
            lines.append(line)
            if "The following commands are available" in line:  # logged by the consumer
                running.set()

    threading.Thread(target=read, daemon=True).start()
    # The worker is up (Django loaded, consumer running): it says so, after its parent watch
    # has started.
    assert running.wait(60), "".join(lines)
    assert _alive(worker)
    parent.send_signal(signal.SIGKILL)  # the server crashes: nothing tells the worker
    parent.wait(timeout=10)
    deadline = time.monotonic() + 15
    while _alive(worker) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not _alive(worker)
