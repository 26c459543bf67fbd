from django.apps import AppConfig


class InteropConfig(AppConfig):
    name = "maillage.interop"
    label = "interop"
    verbose_name = "Interopérabilité"

    def ready(self) -> None:
        from maillage.core.access import register_api_authenticator

        from .auth import authenticate

        # Core marks API views and asks this app who the bearer is (core never imports us).
        register_api_authenticator(authenticate)

        from maillage.core.error_pages import register_unavailable

        from .fhir.outcome import FhirError, outcome_response

        # A database outage on the FHIR API is an OperationOutcome too (503, "transient").
        register_unavailable("interop", lambda request, text: outcome_response(
            FhirError(503, text)))

        from maillage.core.models import OutboxMessage
        from maillage.core.outbox import register_transport

        from .mssante.transport import send as send_mssante

        # MSSanté messages leave through their own SMTP transport (never the e-mail backend).
        register_transport(OutboxMessage.Kind.MSSANTE, send_mssante)

        from django.db.models.signals import post_save

        from maillage.core.models import Crt

        from .models import create_ror_offers

        def offers_of_new_crt(sender, instance, created, raw=False, **kwargs):
            if created and not raw:
                create_ror_offers(instance)

        # A new CRT has its ROR offers at once (the rows only hold their ids and dates).
        post_save.connect(offers_of_new_crt, sender=Crt, weak=False,
                          dispatch_uid="interop.ror_offers")
