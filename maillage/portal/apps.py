from django.apps import AppConfig


class PortalConfig(AppConfig):
    name = "maillage.portal"
    label = "portal"
    verbose_name = "Portail des bénéficiaires et des aidants"
