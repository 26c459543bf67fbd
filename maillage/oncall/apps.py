from django.apps import AppConfig


class OncallConfig(AppConfig):
    name = "maillage.oncall"
    verbose_name = "Astreinte soignante"
