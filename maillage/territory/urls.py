from django.urls import path

from . import views

app_name = "territory"

urlpatterns = [
    path("communes/", views.commune_list, name="commune_list"),
    path("communes/ajouter/", views.commune_add, name="commune_add"),
    path("carte/", views.territory_map, name="map"),
    path("carte/donnees/", views.territory_map_data, name="map_data"),
    path("lieux-de-naissance/", views.birthplace_search, name="birthplace_search"),
    path("communes/<uuid:public_id>/modifier/", views.commune_edit, name="commune_edit"),
    path("partenaires/", views.organization_list, name="organization_list"),
    path("partenaires/nouveau/", views.organization_create, name="organization_create"),
    path("partenaires/<uuid:public_id>/", views.organization_detail, name="organization_detail"),
    path(
        "partenaires/<uuid:public_id>/modifier/",
        views.organization_edit,
        name="organization_edit",
    ),
    path("professionnels/", views.professional_list, name="professional_list"),
    path("professionnels/nouveau/", views.professional_create, name="professional_create"),
    path(
        "professionnels/<uuid:public_id>/modifier/",
        views.professional_edit,
        name="professional_edit",
    ),
    path("annuaire-sante/", views.annuaire_import_list, name="annuaire_import_list"),
    path("annuaire-sante/importer/", views.annuaire_import_upload,
         name="annuaire_import_upload"),
    path("annuaire-sante/<uuid:public_id>/", views.annuaire_import_review,
         name="annuaire_import_review"),
    path("annuaire-sante/<uuid:public_id>/appliquer/", views.annuaire_import_apply,
         name="annuaire_import_apply"),
    path("annuaire-sante/<uuid:public_id>/abandonner/", views.annuaire_import_cancel,
         name="annuaire_import_cancel"),
    path("conventions/", views.agreement_list, name="agreement_list"),
    path("conventions/sans-convention/", views.agreement_gaps, name="agreement_gaps"),
    path("conventions/nouvelle/", views.agreement_create, name="agreement_create"),
    path("conventions/<uuid:public_id>/", views.agreement_detail, name="agreement_detail"),
    path("conventions/<uuid:public_id>/modifier/", views.agreement_edit,
         name="agreement_edit"),
    path("conventions/<uuid:public_id>/document/", views.agreement_download,
         name="agreement_download"),
]
