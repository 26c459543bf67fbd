from django.urls import path

from . import views

app_name = "care"

P = "plans/<uuid:public_id>/"
V = P + "versions/<int:number>/"

urlpatterns = [
    path("prestations/", views.catalogue, name="catalogue"),
    path("prestations/domaines/", views.domains_install, name="domains_install"),
    path("prestations/nouvelle/", views.service_create, name="service_create"),
    path("prestations/<uuid:public_id>/", views.service_edit, name="service_edit"),
    path(P, views.plan, name="plan"),
    path(P + "nouvelle-version/", views.plan_start, name="plan_start"),
    path(P + "comparer/", views.plan_diff, name="plan_diff"),
    path(P + "panier/", views.basket_add, name="basket_add"),
    path(P + "panier/<uuid:item_id>/fin/", views.basket_end, name="basket_end"),
    path("personnes/<uuid:public_id>/transmissions/", views.notes, name="notes"),
    path("personnes/<uuid:public_id>/alertes/", views.alerts, name="alerts"),
    path("personnes/<uuid:public_id>/alertes/nouvelle/", views.alert_add, name="alert_add"),
    path("personnes/<uuid:public_id>/alertes/<uuid:item_id>/prise-en-charge/",
         views.alert_acknowledge, name="alert_acknowledge"),
    path("personnes/<uuid:public_id>/alertes/<uuid:item_id>/resolution/",
         views.alert_resolve, name="alert_resolve"),
    path("alertes/", views.open_alerts, name="open_alerts"),
    path(V, views.plan_version, name="plan_version"),
    path(V + "modifier/", views.plan_edit, name="plan_edit"),
    path(V + "ajouter/<str:kind>/", views.plan_add_item, name="plan_add_item"),
    path(V + "retirer/<str:kind>/<uuid:item_id>/", views.plan_remove_item,
         name="plan_remove_item"),
    path(V + "valider/", views.plan_validate, name="plan_validate"),
    path(V + "pdf/", views.plan_pdf, name="plan_pdf"),
]
