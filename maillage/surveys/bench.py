"""Pages of the satisfaction questionnaires timed by ``maillage bench``."""

from django.urls import reverse


def pages():
    yield "coordinator", reverse("surveys:home")
    yield "coordinator", reverse("surveys:results")
    yield "coordinator", reverse("surveys:yearly")
    yield "coordinator", reverse("surveys:questionnaires")
