from django.urls import path

from . import outbox_views, settings_views, views

app_name = "core"

urlpatterns = [
    path("", views.home, name="home"),
    path("connexion/", views.login_view, name="login"),
    path("deconnexion/", views.logout_view, name="logout"),
    path("mot-de-passe/", views.password_change_view, name="password_change"),
    path("mot-de-passe/modifie/", views.password_change_done_view, name="password_change_done"),
    path("crt/choisir/", views.crt_choose, name="crt_choose"),
    path("mot-de-passe/definir/<str:uidb64>/<str:token>/", views.password_set,
         name="password_set"),
    path("equipe/", views.team, name="team"),
    path("crt/parametres/", settings_views.crt_settings, name="crt_settings"),
    path("equipe/ajouter/", views.member_add, name="member_add"),
    path("equipe/<uuid:public_id>/roles/", views.member_edit, name="member_edit"),
    path("equipe/<uuid:public_id>/fin/", views.member_deactivate, name="member_deactivate"),
    path("equipe/<uuid:public_id>/retablir/", views.member_reactivate,
         name="member_reactivate"),
    path("equipe/<uuid:public_id>/nouveau-lien/", views.member_link, name="member_link"),
    path("notifications/", views.notifications, name="notifications"),
    path("messages-sortants/", outbox_views.outbox_list, name="outbox"),
    path("messages-sortants/<uuid:public_id>/reessayer/", outbox_views.outbox_retry,
         name="outbox_retry"),
    path("audit/", views.audit_list, name="audit_list"),
    path("audit/export.csv", views.audit_export, name="audit_export"),
    path("audit/auteurs/", views.audit_actor_pick, name="audit_actor_pick"),
]
