"""A web worker's application loaded whole, then kept out of the garbage collector's full passes.

Python's collector walks every object it tracks on each full (generation 2) pass. A worker
holds about 190,000 of them once the application is loaded (modules, classes, functions, the
URL patterns, the forms' and models' metadata), all alive as long as the worker: a full pass
over them took 100 ms on the 2-core machine of ``docs/performance.md``, paid by whichever
request triggered it (about one request in forty of a page such as the FHIR Patient search:
its p95). ``gc.freeze`` moves the objects alive at that moment to a generation the collector
never walks; what requests create afterwards is collected as before.
"""

import gc

from django.urls import get_resolver


def freeze_loaded_application() -> int:
    """Load what the first requests would otherwise load (the URLconf resolves, importing every
    view module and its forms, selectors and templatetags), collect once, then freeze what is
    alive. Returns how many objects are now frozen."""
    get_resolver().url_patterns  # noqa: B018 - the property imports the views
    gc.collect()
    gc.freeze()
    return gc.get_freeze_count()
