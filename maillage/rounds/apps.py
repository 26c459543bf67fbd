from django.apps import AppConfig


class RoundsConfig(AppConfig):
    name = "maillage.rounds"
    label = "rounds"
    verbose_name = "Tournées"
