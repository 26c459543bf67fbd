"""Pages of coordination timed by ``maillage bench``."""

from django.urls import reverse


def pages():
    yield "coordinator", reverse("care:conversations")
