"""Audited actions of the satisfaction questionnaires (discovered by ``maillage.core``).

An answer sent online is anonymous and not audited (services.py); one typed by the team is."""

from django.db import models

from maillage.core.audit import register_actions


@register_actions
class SurveyAction(models.TextChoices):
    QUESTIONNAIRE_CREATED = "questionnaire.created", "Création d'un questionnaire de satisfaction"
    QUESTIONNAIRE_UPDATED = "questionnaire.updated", "Modification d'un questionnaire"
    QUESTION_ADDED = "survey_question.added", "Ajout d'une question à un questionnaire"
    QUESTION_UPDATED = "survey_question.updated", "Modification d'une question d'un questionnaire"
    QUESTION_REMOVED = "survey_question.removed", "Retrait d'une question d'un questionnaire"
    QUESTION_MOVED = "survey_question.moved", "Changement de l'ordre des questions"
    COLLECTION_OPENED = "survey_collection.opened", "Ouverture d'une collecte de réponses"
    COLLECTION_CODES_ADDED = "survey_collection.codes_added", "Ajout de codes de réponse"
    COLLECTION_OPEN_STATE = ("survey_collection.opened_state",
                             "Collecte ouverte ou fermée aux réponses")
    COLLECTION_RELABELLED = ("survey_collection.relabelled",
                             "Sujet d'une collecte de réponses renommé")
    RESPONSE_TYPED = "survey_response.typed", "Saisie d'une réponse reçue sur papier"
    COMMENTS_VIEWED = "survey_comments.viewed", "Lecture des commentaires d'une enquête"
