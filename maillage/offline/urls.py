from django.urls import path

from . import views

app_name = "offline"
urlpatterns = [
    path("", views.app, name="app"),
    path("sw.js", views.service_worker, name="sw"),
    path("manifest.webmanifest", views.manifest, name="manifest"),
    path("api/cle/", views.key, name="key"),
    path("api/appareils/", views.register, name="register"),
    path("api/appareils/<uuid:device_id>/etat/", views.device_state, name="device_state"),
    path("api/appareils/<uuid:device_id>/journee/", views.day, name="day"),
    path("api/synchro/", views.sync, name="sync"),
]
