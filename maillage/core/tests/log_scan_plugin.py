"""Pytest plugin (``-p`` in pyproject's addopts): no health data in the logs of the whole suite.

Every test process (each xdist worker, or the single process) writes every log record that
reaches the root logger — what production's handler would write, at production's levels — as
JSON lines with the production formatter into a folder shared by the run. At the end, the
controlling process reads them all and looks for the demo's people (their surnames) and the
texts of their files (notes, alerts, history, treatments, stays): one found fails the run, with
the lines that hold it. The suite exercises every view, service, import and task, the browser
journeys on the demo included, so what they log is what Maillage logs.

``scan`` is tested on its own (``test_observability.py``) so that this guard can fail.
"""

from __future__ import annotations

import json
import logging
import os
import re
import tempfile
import time
from pathlib import Path

import pytest

ENV = "MAILLAGE_SUITE_LOG_DIR"
_handler: logging.Handler | None = None


def needles() -> list[str]:
    """What must never be logged: the demo's surnames and its health texts."""
    from maillage.beneficiaries import demo as people
    from maillage.care import demo as care
    from maillage.core.demo import agreed
    from maillage.lodging import demo as lodging

    # The texts said of a person, as the demo writes them of a woman and of a man.
    said = [text for _c, _v, text in care.NOTES] + list(lodging.NOTES.values())
    texts = sorted({agreed(text, sex) for text in said for sex in "FM"})
    texts += [text for _c, _s, text in care.ALERTS]
    texts += people.HISTORY + [t for t in people.TREATMENTS]
    return [*people.SURNAMES, *(s.upper() for s in people.SURNAMES), *texts]


def scan(lines, words: list[str]) -> list[tuple[int, str, str]]:
    """``(line number, needle, line)`` for each line holding one of ``words`` (whole words,
    case kept: « Hamon », « HAMON », but not « hamonisation »)."""
    # One boundary test, then the words (a boundary per word made the regex 25 times slower:
    # the suite logs tens of thousands of lines, scanned by one process after the others end).
    pattern = re.compile(r"(?<!\w)(?:" + "|".join(map(re.escape, words)) + r")(?!\w)")
    hits = []
    for number, line in enumerate(lines, 1):
        # The JSON escapes non-ASCII letters only if asked to; read it back to be sure.
        text = line
        if "\\u" in line:
            try:
                text = json.dumps(json.loads(line), ensure_ascii=False)
            except ValueError:
                pass
        found = pattern.search(text)
        if found:
            hits.append((number, found.group(0), line.strip()[:300]))
    return hits


def _is_worker(config) -> bool:
    return hasattr(config, "workerinput")


def pytest_configure(config):
    if not _is_worker(config):
        os.environ[ENV] = tempfile.mkdtemp(prefix="maillage-suite-logs-")


def _attach() -> None:
    """(Re)attach the handler to the root logger: Django's ``LOGGING`` replaces the root's
    handlers when it is applied."""
    global _handler
    root = logging.getLogger()
    if _handler is None:
        from maillage.core.observability import JsonFormatter, RequestIdFilter

        folder = Path(os.environ[ENV])
        name = os.environ.get("PYTEST_XDIST_WORKER", "main")
        _handler = logging.FileHandler(folder / f"{name}.jsonl", encoding="utf-8")
        _handler.setFormatter(JsonFormatter())
        _handler.addFilter(RequestIdFilter())
    if _handler not in root.handlers:
        root.addHandler(_handler)


def pytest_sessionstart(session):
    if os.environ.get(ENV):
        _attach()


def pytest_runtest_setup(item):
    if os.environ.get(ENV):
        _attach()


@pytest.hookimpl(tryfirst=True)
def pytest_sessionfinish(session):
    if _handler is not None:
        logging.getLogger().removeHandler(_handler)
        _handler.close()
    if _is_worker(session.config) or not os.environ.get(ENV):
        return
    folder = Path(os.environ[ENV])
    words = needles()
    started = time.perf_counter()
    scanned, hits = 0, []
    for path in sorted(folder.glob("*.jsonl")):
        lines = path.read_text(encoding="utf-8").splitlines()
        scanned += len(lines)
        hits += [(path.name, *hit) for hit in scan(lines, words)]
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    if hits:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
        if reporter:
            reporter.write_sep("=", "health data found in the logs", red=True)
            for name, number, word, line in hits[:50]:
                reporter.write_line(f"{name}:{number}: « {word} » in {line}")
    elif reporter:
        reporter.write_line(f"logs of the suite: {scanned} lines scanned, no health data "
                            f"in {time.perf_counter() - started:.1f} s (folder {folder})")
    if not hits:
        for path in folder.glob("*.jsonl"):
            path.unlink()
        folder.rmdir()
