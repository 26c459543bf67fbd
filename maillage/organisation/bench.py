"""Pages of the CRT's organisation timed by ``maillage bench``."""

from django.urls import reverse


def pages():
    yield "coordinator", reverse("organisation:position_list")
    yield "coordinator", reverse("organisation:meeting_list")
    yield "coordinator", reverse("organisation:decision_list")
