"""Pytest plugin loaded first (``-p`` in pyproject's addopts): lets Python cache compiled
bytecode even when the environment sets ``PYTHONDONTWRITEBYTECODE``.

Without it every test process compiles the whole project and rewrites every test module's
assertions from source at each start (about 10 s of CPU per xdist worker on the 2-core machine);
with it, only changed files are compiled again. ``__pycache__`` is git-ignored."""

import sys

sys.dont_write_bytecode = False
