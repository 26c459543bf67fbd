"""The Pro Santé Connect login (``maillage.interop.psc``)."""

from django.urls import path

from . import psc_views

app_name = "psc"

urlpatterns = [
    path("connexion/", psc_views.login, name="login"),
    path("retour/", psc_views.callback, name="callback"),
]
