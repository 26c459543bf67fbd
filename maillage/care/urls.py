from django.urls import path

from .views import conversations, liaison, plans, telehealth

app_name = "care"

P = "plans/<uuid:public_id>/"
V = P + "versions/<int:number>/"
F = "personnes/<uuid:public_id>/"

urlpatterns = [
    path("prestations/", plans.catalogue, name="catalogue"),
    path("plans/a-reviser/", plans.reviews_due, name="reviews_due"),
    path("prestations/domaines/", plans.domains_install, name="domains_install"),
    path("prestations/nouvelle/", plans.service_create, name="service_create"),
    path("prestations/<uuid:public_id>/", plans.service_edit, name="service_edit"),
    path(P, plans.plan, name="plan"),
    path(P + "nouvelle-version/", plans.plan_start, name="plan_start"),
    path(P + "chercher/", plans.plan_pick, name="plan_pick"),
    path(P + "comparer/", plans.plan_diff, name="plan_diff"),
    path(P + "panier/", plans.basket_add, name="basket_add"),
    path(P + "panier/<uuid:item_id>/fin/", plans.basket_end, name="basket_end"),
    path(F + "transmissions/", liaison.notes, name="notes"),
    path(F + "alertes/", liaison.alerts, name="alerts"),
    path(F + "alertes/nouvelle/", liaison.alert_add, name="alert_add"),
    path(F + "alertes/chercher/", liaison.alert_pick, name="alert_pick"),
    path(F + "alertes/<uuid:item_id>/prise-en-charge/", liaison.alert_acknowledge,
         name="alert_acknowledge"),
    path(F + "alertes/<uuid:item_id>/resolution/", liaison.alert_resolve,
         name="alert_resolve"),
    path("alertes/", liaison.open_alerts, name="open_alerts"),
    path("conversations/", conversations.conversations, name="conversations"),
    path(F + "conversation/fil-sante/", conversations.conversation_open_health,
         name="conversation_open_health"),
    path(F + "conversation/pieces-jointes/<uuid:item_id>/", conversations.message_attachment,
         name="message_attachment"),
    path(F + "conversation/<str:kind>/", conversations.conversation, name="conversation"),
    path(F + "conversation/<str:kind>/messages/", conversations.conversation_messages,
         name="conversation_messages"),
    path("telesante/", telehealth.telehealth_overview, name="telehealth_overview"),
    path("telesante/territoire/", telehealth.telehealth_territory, name="telehealth_territory"),
    path("telesante/territoire/nouvel-acte/", telehealth.telehealth_territory_add,
         name="telehealth_territory_add"),
    path("telesante/territoire/chercher/", telehealth.telehealth_territory_pick,
         name="telehealth_territory_pick"),
    path("telesante/personnes/<uuid:public_id>/", telehealth.telehealth_person,
         name="telehealth_person"),
    path("telesante/personnes/<uuid:public_id>/nouvel-acte/", telehealth.telehealth_person_add,
         name="telehealth_person_add"),
    path(F + "telesante/", telehealth.telehealth, name="telehealth"),
    path(F + "telesante/nouvel-acte/", telehealth.telehealth_add, name="telehealth_add"),
    path(F + "telesante/chercher/", telehealth.telehealth_pick, name="telehealth_pick"),
    path(V, plans.plan_version, name="plan_version"),
    path(V + "modifier/", plans.plan_edit, name="plan_edit"),
    path(V + "ajouter/<str:kind>/", plans.plan_add_item, name="plan_add_item"),
    path(V + "retirer/<str:kind>/<uuid:item_id>/", plans.plan_remove_item,
         name="plan_remove_item"),
    path(V + "valider/", plans.plan_validate, name="plan_validate"),
    path(V + "pdf/", plans.plan_pdf, name="plan_pdf"),
    path(V + "revision/", plans.plan_review, name="plan_review"),
    path(V + "objectifs/<uuid:item_id>/etat/", plans.goal_status, name="goal_status"),
]
