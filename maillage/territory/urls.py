from django.urls import path

from . import views

app_name = "territory"

urlpatterns = [
    path("communes/", views.commune_list, name="commune_list"),
    path("communes/<uuid:public_id>/modifier/", views.commune_edit, name="commune_edit"),
]
