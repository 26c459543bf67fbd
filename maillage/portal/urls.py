from django.urls import path

from . import views

app_name = "portal"

urlpatterns = [
    path("", views.home, name="home"),
    path("<uuid:public_id>/", views.file, name="file"),
    path("<uuid:public_id>/message/", views.note_add, name="note_add"),
]
