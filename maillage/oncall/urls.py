from django.urls import path

from . import views, views_dlu

app_name = "oncall"

urlpatterns = [
    path("", views.screen, name="screen"),
    path("personnes/<uuid:public_id>/", views.person, name="person"),
    path("appels/", views.calls, name="calls"),
    path("appels/nouveau/", views.call_new, name="call_new"),
    path("appels/<uuid:call_id>/", views.call, name="call"),
    path("appels/<uuid:call_id>/recours/", views.escalation_add, name="escalation_add"),
    path("planning/", views.rota, name="rota"),
    path("planning/ajouter/", views.shift_add, name="shift_add"),
    path("planning/chercher/", views.shift_pick, name="shift_pick"),
    path("planning/<uuid:shift_id>/retirer/", views.shift_remove, name="shift_remove"),
    path("planning/recours/", views.contact_add, name="contact_add"),
    path("planning/recours/<uuid:contact_id>/", views.contact_edit, name="contact_edit"),
    path("planning/recours/<uuid:contact_id>/retirer/", views.contact_remove,
         name="contact_remove"),
    path("organisation/", views.arrangement_add, name="arrangement_add"),
    path("organisation/<uuid:arrangement_id>/", views.arrangement_edit,
         name="arrangement_edit"),
    path("acces-urgence/", views.break_glass_list, name="break_glass_list"),
    path("chiffres/", views.figures, name="figures"),
    # --- DLU (views_dlu.py) ---
    path("dlu/a-revoir/", views_dlu.reviews_due, name="dlu_reviews"),
    path("dlu/<uuid:public_id>/", views_dlu.dlu_detail, name="dlu"),
    path("dlu/<uuid:public_id>/pdf/", views_dlu.dlu_pdf, name="dlu_pdf"),
    path("dlu/<uuid:public_id>/cda/", views_dlu.dlu_cda, name="dlu_cda"),
    path("dlu/<uuid:public_id>/modifier/", views_dlu.dlu_edit, name="dlu_edit"),
    path("dlu/<uuid:public_id>/revue/", views_dlu.dlu_review, name="dlu_review"),
    path("appels/<uuid:call_id>/fiche-aller/", views_dlu.transfer_sheet,
         name="fiche_aller"),
    path("appels/<uuid:call_id>/fiche-aller/cda/", views_dlu.transfer_sheet_cda,
         name="fiche_aller_cda"),
    # --- end DLU ---
]
