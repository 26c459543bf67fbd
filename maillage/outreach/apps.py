from django.apps import AppConfig


class OutreachConfig(AppConfig):
    name = "maillage.outreach"
    label = "outreach"
    verbose_name = "Volet 1"
