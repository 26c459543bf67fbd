"""Pages of the territory timed by ``maillage bench``."""

from django.urls import reverse


def pages():
    yield "coordinator", reverse("territory:organization_list")
    yield "coordinator", reverse("territory:agreement_list")
    yield "coordinator", reverse("territory:agreement_gaps")
