"""A web worker freezes its loaded application out of the garbage collector's full passes
(``maillage.core.preload``, called by ``gunicorn_conf.post_worker_init``; the served instance of
``test_observability.py`` checks that each real worker does)."""

import json
import os
import subprocess
import sys

PROBE = """
import gc, json, sys
import django
django.setup()
from maillage.core.preload import freeze_loaded_application
before = "maillage.visits.views" in sys.modules
frozen = freeze_loaded_application()
print(json.dumps({"views_before": before, "views_after": "maillage.visits.views" in sys.modules,
                  "frozen": frozen, "still_walked": len(gc.get_objects())}))
"""


def test_a_worker_loads_every_view_then_freezes_what_is_alive():
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "maillage.settings"}
    done = subprocess.run([sys.executable, "-c", PROBE], env=env, capture_output=True,  # noqa: S603
                          text=True, timeout=120, check=True)
    found = json.loads(done.stdout.strip().splitlines()[-1])
    # The views are loaded by the URLconf, before the first request rather than during it.
    assert found["views_before"] is False and found["views_after"] is True
    # The application's objects (tens of thousands) are out of the collector's full passes;
    # what it still walks is what the probe made afterwards.
    assert found["frozen"] > 50_000
    assert found["still_walked"] < 1_000
