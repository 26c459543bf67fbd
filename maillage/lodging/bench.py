"""Pages of the temporary rooms timed by ``maillage bench``."""

from django.urls import reverse


def pages():
    yield "coordinator", reverse("lodging:rooms")
    yield "coordinator", reverse("lodging:occupancy")
