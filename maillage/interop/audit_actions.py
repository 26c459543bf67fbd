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
    FHIR_RELATEDPERSON_READ = (
        "fhir.relatedperson_read",
        "Consultation des aidants ou de la personne de confiance par l'API FHIR (logiciel "
        "partenaire)",
    )
    FHIR_CARETEAM_READ = (
        "fhir.careteam_read",
        "Consultation du cercle de soins par l'API FHIR (logiciel partenaire)",
    )
    FHIR_CONSENT_READ = (
        "fhir.consent_read",
        "Consultation des consentements par l'API FHIR (logiciel partenaire)",
    )
    FHIR_OBSERVATION_READ = (
        "fhir.observation_read",
        "Consultation de constantes ou d'un GIR par l'API FHIR (logiciel partenaire)",
    )
    FHIR_COMMUNICATION_READ = (
        "fhir.communication_read",
        "Consultation du cahier de liaison par l'API FHIR (logiciel partenaire)",
    )
    FHIR_CAREPLAN_READ = (
        "fhir.careplan_read",
        "Consultation du plan personnalisé par l'API FHIR (logiciel partenaire)",
    )
    FHIR_ENCOUNTER_READ = (
        "fhir.encounter_read",
        "Consultation d'un passage réalisé par l'API FHIR (logiciel partenaire)",
    )
    FHIR_APPOINTMENT_READ = (
        "fhir.appointment_read",
        "Consultation d'un passage prévu, annulé ou non réalisé par l'API FHIR "
        "(logiciel partenaire)",
    )
    FHIR_DOCUMENTREFERENCE_READ = (
        "fhir.documentreference_read",
        "Consultation de la description d'un document du dossier par l'API FHIR "
        "(logiciel partenaire)",
    )
    MSSANTE_SENT = (
        "mssante.sent",
        "Envoi d'un document du dossier par MSSanté (destinataire dans le détail)",
    )
    MSSANTE_VIEWED = (
        "mssante.viewed",
        "Consultation des envois MSSanté d'un dossier (documents et destinataires)",
    )
