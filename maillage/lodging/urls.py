from django.urls import path

from . import views

app_name = "lodging"

S = "sejours/<uuid:public_id>/"

urlpatterns = [
    path("", views.room_list, name="rooms"),
    path("nouvelle/", views.room_create, name="room_create"),
    path("<uuid:public_id>/modifier/", views.room_edit, name="room_edit"),
    path("reglages/", views.settings_edit, name="settings"),
    path("sejours/", views.stay_list, name="stays"),
    path("sejours/nouveau/", views.stay_create, name="stay_create"),
    path("sejours/chercher/", views.stay_pick, name="stay_pick"),
    path(S, views.stay_detail, name="stay_detail"),
    path(S + "modifier/", views.stay_edit, name="stay_edit"),
    path(S + "arrivee/", views.stay_start, name="stay_start"),
    path(S + "depart/", views.stay_end, name="stay_end"),
    path(S + "annuler/", views.stay_cancel, name="stay_cancel"),
    path("occupation/", views.occupancy, name="occupancy"),
]
