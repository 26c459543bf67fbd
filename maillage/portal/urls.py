from django.urls import path

from . import views

app_name = "portal"

urlpatterns = [
    path("", views.home, name="home"),
    path("<uuid:public_id>/", views.file, name="file"),
    path("<uuid:public_id>/message/", views.note_add, name="note_add"),
    path("<uuid:public_id>/acces-a-mon-dossier/", views.access_log, name="access_log"),
    # Portal accounts, managed by the team from the person's file.
    path("acces/<uuid:public_id>/", views.access, name="access"),
    path("acces/<uuid:public_id>/personne/creer/", views.access_create,
         name="access_create_self"),
    path("acces/<uuid:public_id>/personne/nouveau-lien/", views.access_link,
         name="access_link_self"),
    path("acces/<uuid:public_id>/personne/retirer/", views.access_remove,
         name="access_remove_self"),
    path("acces/<uuid:public_id>/aidant/<uuid:item_id>/creer/", views.access_create,
         name="access_create_caregiver"),
    path("acces/<uuid:public_id>/aidant/<uuid:item_id>/nouveau-lien/", views.access_link,
         name="access_link_caregiver"),
    path("acces/<uuid:public_id>/aidant/<uuid:item_id>/retirer/", views.access_remove,
         name="access_remove_caregiver"),
]
