from django.apps import AppConfig


class VisitsConfig(AppConfig):
    name = "maillage.visits"
    verbose_name = "Passages au domicile"
