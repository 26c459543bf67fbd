from django.apps import AppConfig


class AdmissionsConfig(AppConfig):
    name = "maillage.admissions"
    label = "admissions"
    verbose_name = "Admissions"
