"""« Envoyer par MSSanté » from a person's file (``mssante/views.py``)."""

from django.urls import path

from .mssante import views

app_name = "mssante"

urlpatterns = [
    path("<uuid:public_id>/", views.mssante_file, name="file"),
]
