from django.apps import AppConfig


class InteropConfig(AppConfig):
    name = "maillage.interop"
    label = "interop"
    verbose_name = "Interopérabilité"

    def ready(self) -> None:
        from maillage.core.access import register_api_authenticator

        from .auth import authenticate

        # Core marks API views and asks this app who the bearer is (core never imports us).
        register_api_authenticator(authenticate)
