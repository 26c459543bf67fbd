from django.apps import AppConfig


class BeneficiariesConfig(AppConfig):
    name = "maillage.beneficiaries"
    label = "beneficiaries"
    verbose_name = "Bénéficiaires"
