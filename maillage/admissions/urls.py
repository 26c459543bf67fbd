from django.urls import path

from . import views

app_name = "admissions"

urlpatterns = [
    path("demandes/", views.referral_list, name="referral_list"),
    path("demandes/nouvelle/", views.referral_create, name="referral_create"),
    path("demandes/<uuid:public_id>/", views.referral_detail, name="referral_detail"),
    path("demandes/<uuid:public_id>/etape/", views.step_add, name="step_add"),
    path("demandes/<uuid:public_id>/contrat/", views.contract_generate,
         name="contract_generate"),
    path("demandes/<uuid:public_id>/contrat/<uuid:item_id>/", views.contract_download,
         name="contract_download"),
    path("demandes/<uuid:public_id>/dossier/", views.link_file, name="link_file"),
    path("demandes/<uuid:public_id>/admission/", views.admit, name="admit"),
    path("demandes/<uuid:public_id>/chercher/", views.referral_pick, name="referral_pick"),
    path("liste-attente/", views.waiting_list, name="waiting_list"),
    path("file-active/", views.file_active, name="file_active"),
    path("file-active/<uuid:public_id>/", views.enrolment_detail, name="enrolment_detail"),
    path("file-active/<uuid:public_id>/sortie-temporaire/", views.suspension_add,
         name="suspension_add"),
    path("file-active/<uuid:public_id>/sortie-temporaire/<uuid:item_id>/fin/",
         views.suspension_end, name="suspension_end"),
    path("file-active/<uuid:public_id>/sortie/", views.enrolment_exit, name="enrolment_exit"),
    path("orientation/<uuid:crt_id>/", views.public_referral, name="public_referral"),
    path("orientation/<uuid:crt_id>/merci/", views.public_referral_thanks,
         name="public_referral_thanks"),
]
