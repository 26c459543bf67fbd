from django.urls import path

from . import views

app_name = "outreach"

A = "actions/<uuid:public_id>/"
S = "seances/<uuid:public_id>/"

urlpatterns = [
    path("", views.action_list, name="actions"),
    path("actions/nouvelle/", views.action_create, name="action_create"),
    path(A, views.action_detail, name="action_detail"),
    path(A + "modifier/", views.action_edit, name="action_edit"),
    path(A + "seances/nouvelle/", views.session_create, name="session_create"),
    path("seances/", views.session_list, name="sessions"),
    path(S, views.session_detail, name="session_detail"),
    path(S + "modifier/", views.session_edit, name="session_edit"),
    path(S + "inscrire/", views.session_register, name="session_register"),
    path(S + "presences/", views.session_attendance, name="session_attendance"),
    path(S + "emargement/", views.session_sheet, name="session_sheet"),
    path(S + "satisfaction/", views.session_satisfaction, name="session_satisfaction"),
    path("inscriptions/chercher/", views.register_pick, name="register_pick"),
    path("personnes/<uuid:public_id>/modifier/", views.attendee_edit, name="attendee_edit"),
    path("personnes/<uuid:public_id>/fusionner/", views.attendee_merge_pick,
         name="attendee_merge_pick"),
    path("personnes/<uuid:public_id>/fusionner/<uuid:duplicate_id>/", views.attendee_merge,
         name="attendee_merge"),
    path("personnes/<uuid:public_id>/rattacher/", views.attendee_join, name="attendee_join"),
    path("participations/<uuid:public_id>/transport/", views.participation_transport,
         name="participation_transport"),
]
