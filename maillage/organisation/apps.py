from django.apps import AppConfig


class OrganisationConfig(AppConfig):
    name = "maillage.organisation"
    label = "organisation"
    verbose_name = "Organisation du CRT"
