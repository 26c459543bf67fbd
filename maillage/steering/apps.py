from django.apps import AppConfig


class SteeringConfig(AppConfig):
    name = "maillage.steering"
    label = "steering"
    verbose_name = "Pilotage"
