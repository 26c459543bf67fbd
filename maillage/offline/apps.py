from django.apps import AppConfig


class OfflineConfig(AppConfig):
    name = "maillage.offline"
    verbose_name = "Journée hors ligne"
