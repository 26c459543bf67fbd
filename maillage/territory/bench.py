"""Pages of the territory timed by ``maillage bench``."""

from django.urls import reverse


def pages():
    yield "coordinator", reverse("territory:organization_list")
    yield "direction", reverse("territory:map")
    # The map's data: grouped counts per commune, the heaviest part of the map.
    yield "direction", reverse("territory:map_data")
    yield "ars", reverse("territory:map_data")
    yield "coordinator", reverse("territory:agreement_list")
    yield "coordinator", reverse("territory:agreement_gaps")
