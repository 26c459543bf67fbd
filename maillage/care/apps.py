from django.apps import AppConfig


class CareConfig(AppConfig):
    name = "maillage.care"
    label = "care"
    verbose_name = "Coordination"

    def ready(self) -> None:
        # Measures are recorded by beneficiaries (which never imports care); the alerts
        # they call for are raised here, inside the same transaction.
        from maillage.beneficiaries.vitals import measure_alarm, measure_retracted

        from .services.liaison import alert_for_measure, alert_measure_retracted

        measure_alarm.connect(alert_for_measure, dispatch_uid="care.alert_for_measure")
        measure_retracted.connect(alert_measure_retracted,
                                  dispatch_uid="care.alert_measure_retracted")
