from django.apps import AppConfig


class SurveysConfig(AppConfig):
    name = "maillage.surveys"
    label = "surveys"
    verbose_name = "Questionnaires de satisfaction"
