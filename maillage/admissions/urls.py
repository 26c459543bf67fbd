from django.urls import path

from . import views

app_name = "admissions"

urlpatterns = [
    path("demandes/", views.referral_list, name="referral_list"),
    path("demandes/nouvelle/", views.referral_create, name="referral_create"),
    path("demandes/<uuid:public_id>/", views.referral_detail, name="referral_detail"),
    path("liste-attente/", views.waiting_list, name="waiting_list"),
    path("orientation/<uuid:crt_id>/", views.public_referral, name="public_referral"),
    path("orientation/<uuid:crt_id>/merci/", views.public_referral_thanks,
         name="public_referral_thanks"),
]
