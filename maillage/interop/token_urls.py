"""The API token page (a screen of the coordination, not the API)."""

from django.urls import path

from . import token_views

app_name = "api_tokens"

urlpatterns = [
    path("", token_views.tokens, name="list"),
    path("nouveau", token_views.token_create, name="create"),
    path("<str:prefix>/revoquer", token_views.token_revoke, name="revoke"),
]
