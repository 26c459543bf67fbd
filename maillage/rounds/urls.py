from django.urls import path

from . import views

app_name = "rounds"

urlpatterns = [
    path("", views.start, name="start"),
    path("<uuid:public_id>/", views.proposal, name="proposal"),
    path("<uuid:public_id>/appliquer/", views.apply, name="apply"),
]
