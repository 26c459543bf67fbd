"""Audited actions of the interoperability app (discovered by ``maillage.core``)."""

from django.db import models

from maillage.core.audit import register_actions


@register_actions
class InteropAction(models.TextChoices):
    API_TOKEN_CREATED = "api_token.created", "Création d'un jeton d'API"
    API_TOKEN_REVOKED = "api_token.revoked", "Révocation d'un jeton d'API"
    FHIR_PATIENT_READ = (
        "fhir.patient_read",
        "Consultation de l'identité par l'API FHIR (logiciel partenaire)",
    )
    FHIR_OBSERVATION_READ = (
        "fhir.observation_read",
        "Consultation de constantes ou d'un GIR par l'API FHIR (logiciel partenaire)",
    )
    FHIR_COMMUNICATION_READ = (
        "fhir.communication_read",
        "Consultation du cahier de liaison par l'API FHIR (logiciel partenaire)",
    )
