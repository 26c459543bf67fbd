from django.apps import AppConfig


class RegionalConfig(AppConfig):
    name = "maillage.regional"
    label = "regional"
    verbose_name = "Vue régionale (ARS)"
