from django.urls import path

from . import views

app_name = "beneficiaries"

B = "<uuid:public_id>/"

urlpatterns = [
    path("", views.beneficiary_list, name="list"),
    path("nouveau/", views.beneficiary_create, name="create"),
    path(B, views.beneficiary_detail, name="detail"),
    path(B + "identite/", views.identity_edit, name="identity_edit"),
    path(B + "acces/", views.access_log, name="access_log"),
    path(B + "acces/journal/", views.access_history, name="access_history"),
    path(B + "acces/releve.pdf", views.access_report, name="access_report"),
    path(B + "situation/", views.situation_edit, name="situation_edit"),
    path(B + "aidants/nouveau/", views.caregiver_edit, name="caregiver_add"),
    path(B + "aidants/<uuid:item_id>/", views.caregiver_edit, name="caregiver_edit"),
    path(B + "cercle/nouveau/", views.care_team_add, name="care_team_add"),
    path(B + "cercle/chercher/", views.care_team_pick, name="care_team_pick"),
    path(B + "cercle/<uuid:item_id>/fin/", views.care_team_end, name="care_team_end"),
    path(B + "consentements/nouveau/", views.consent_add, name="consent_add"),
    path(B + "consentements/<uuid:item_id>/retrait/", views.consent_withdraw,
         name="consent_withdraw"),
    path(B + "medical/", views.medical_detail, name="medical"),
    path(B + "medical/modifier/", views.medical_edit, name="medical_edit"),
    path(B + "medical/constantes/", views.vital_charts, name="vital_charts"),
    path(B + "medical/constantes/nouvelle/", views.vital_sign_add, name="vital_sign_add"),
    path(B + "medical/constantes/<uuid:item_id>/corriger/", views.vital_sign_correct,
         name="vital_sign_correct"),
    path(B + "medical/constantes/<uuid:item_id>/retirer/", views.vital_sign_retract,
         name="vital_sign_retract"),
    path(B + "medical/constantes/seuils/", views.vital_thresholds_edit,
         name="vital_thresholds_edit"),
    path(B + "aggir/nouvelle/", views.aggir_create, name="aggir_create"),
    path(B + "icope/nouveau/", views.icope_create, name="icope_create"),
    path(B + "evaluations/nouvelle/", views.free_evaluation_create,
         name="free_evaluation_create"),
    path(B + "documents/nouveau/", views.document_add, name="document_add"),
    path(B + "documents/<uuid:item_id>/", views.document_download, name="document_download"),
]
