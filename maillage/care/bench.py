"""Pages of coordination timed by ``maillage bench``."""

from django.urls import reverse


def pages():
    # The nurse of the demo follows the threads of her care teams (4 files with a thread per
    # unit of scale, hers first); the coordinator follows none (an empty list, kept as the
    # cost of the rule alone).
    yield "coordinator", reverse("care:conversations")
    yield "nurse", reverse("care:conversations")
