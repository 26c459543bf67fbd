from django.apps import AppConfig


class CareConfig(AppConfig):
    name = "maillage.care"
    label = "care"
    verbose_name = "Coordination"
