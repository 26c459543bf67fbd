from django.urls import path

from . import views

app_name = "rounds"

urlpatterns = [
    path("", views.start, name="start"),
    path("horaires/", views.hours, name="hours"),
    path("horaires/<uuid:public_id>/", views.hours_edit, name="hours_edit"),
    path("<uuid:public_id>/", views.proposal, name="proposal"),
    path("<uuid:public_id>/appliquer/", views.apply, name="apply"),
]
