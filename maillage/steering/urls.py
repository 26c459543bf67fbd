from django.urls import path

from . import dashboard, views

app_name = "steering"

urlpatterns = [
    path("indicateurs/", dashboard.dashboard, name="dashboard"),
    path("indicateurs/<str:code>/", dashboard.indicator_detail, name="indicator"),
    path("indicateurs/<str:code>/dossiers/", dashboard.indicator_records,
         name="indicator_records"),
    path("budget/", views.budget, name="budget"),
    path("budget/compte-analytique.xlsx", views.budget_export, name="budget_export"),
    path("budget/dotation/nouvelle/", views.allocation_create, name="allocation_create"),
    path("budget/dotation/<uuid:public_id>/modifier/", views.allocation_edit,
         name="allocation_edit"),
    path("budget/depenses/", views.expense_list, name="expense_list"),
    path("budget/depenses/nouvelle/", views.expense_create, name="expense_create"),
    path("budget/depenses/<uuid:public_id>/modifier/", views.expense_edit,
         name="expense_edit"),
    path("budget/comptes/", views.mapping_list, name="mapping_list"),
    path("budget/comptes/nouveau/", views.mapping_create, name="mapping_create"),
    path("budget/comptes/<uuid:public_id>/modifier/", views.mapping_edit, name="mapping_edit"),
    path("budget/imports/", views.fec_import_list, name="fec_import_list"),
    path("budget/imports/fec/", views.fec_import, name="fec_import"),
    path("budget/imports/<uuid:public_id>/annuler/", views.fec_import_cancel,
         name="fec_import_cancel"),
]
