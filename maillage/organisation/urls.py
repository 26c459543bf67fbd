from django.urls import path

from . import views

app_name = "organisation"

M = "reunions/<uuid:public_id>/"

urlpatterns = [
    path("postes/", views.position_list, name="position_list"),
    path("postes/nouveau/", views.position_create, name="position_create"),
    path("postes/<uuid:public_id>/modifier/", views.position_edit, name="position_edit"),
    path("reunions/", views.meeting_list, name="meeting_list"),
    path("reunions/nouvelle/", views.meeting_create, name="meeting_create"),
    path(M, views.meeting_detail, name="meeting_detail"),
    path(M + "modifier/", views.meeting_edit, name="meeting_edit"),
    path(M + "compte-rendu/", views.meeting_minutes, name="meeting_minutes"),
    path(M + "decisions/nouvelle/", views.decision_add, name="decision_add"),
    path("decisions/", views.decision_list, name="decision_list"),
    path("decisions/<uuid:public_id>/modifier/", views.decision_edit, name="decision_edit"),
    path("decisions/<uuid:public_id>/realisee/", views.decision_done, name="decision_done"),
]
