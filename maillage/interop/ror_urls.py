"""The CRT page's ROR export (a screen of the direction, not the API)."""

from django.urls import path

from . import ror_views

app_name = "ror"

urlpatterns = [path("ror.json", ror_views.ror_download, name="download")]
