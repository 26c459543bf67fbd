from django.apps import AppConfig


class LodgingConfig(AppConfig):
    name = "maillage.lodging"
    label = "lodging"
    verbose_name = "Chambres temporaires"
