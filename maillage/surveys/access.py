"""The access policies of the satisfaction questionnaires, both faces from one condition each
(agreement tested in ``tests/test_views.py``):

- questionnaires and their questions: kept by those who hold ``survey.manage`` (direction,
  coordination, activity leader);
- collections and their results (counts, means, distributions: anonymous aggregates): read by
  ``survey.results`` (the same; not the ARS, who reads the satisfaction indicators in the
  regional view, small counts hidden); codes, paper answers: ``survey.manage``;
- the free comments: ``survey.comments`` only (not the ARS), each read audited;
- the individual responses (anonymous, but each with its comments) behind a satisfaction
  indicator's figure (the drill-down of V1-09, V2-14b, V2-15, V2-16): ``survey.comments``
  too — the ARS reads the aggregates only.

The DPO (auditor) sees nothing here; no answer names a person."""

from django.db.models import QuerySet

from maillage.core.permissions import has_permission
from maillage.core.roles import Role

from .models import Answer, Collection, Questionnaire, Response


def questionnaires_visible(*, crt, user, roles) -> QuerySet[Questionnaire]:
    if has_permission(roles, "survey.manage"):
        return Questionnaire.objects.filter(crt=crt)
    return Questionnaire.objects.none()


def can_manage_questionnaire(*, user, roles, questionnaire: Questionnaire) -> bool:
    return has_permission(roles, "survey.manage")


def collections_visible(*, crt, user, roles) -> QuerySet[Collection]:
    if has_permission(roles, "survey.results"):
        return Collection.objects.filter(crt=crt)
    return Collection.objects.none()


def can_view_collection(*, user, roles, collection: Collection) -> bool:
    return has_permission(roles, "survey.results")


def can_read_comments(*, user, roles) -> bool:
    return has_permission(roles, "survey.comments")


def responses_visible(*, crt, user, roles) -> QuerySet[Response]:
    if has_permission(roles, "survey.comments"):
        return Response.objects.filter(crt=crt)
    return Response.objects.none()


def answers_visible(*, crt, user, roles) -> QuerySet[Answer]:
    """The answers of the responses above (the population of the satisfaction indicators)."""
    return Answer.objects.filter(
        crt=crt, response__in=responses_visible(crt=crt, user=user, roles=roles))


def can_view_response(*, user, roles, response: Response) -> bool:
    return has_permission(roles, "survey.comments")


def access_doc() -> list[tuple[str, dict[str, str]]]:
    """The rules above as rows for the "Access and audit" page (``maillage access_doc``)."""
    def row(title, rules):
        return (title, {role: next(text for perm, text in rules
                                   if has_permission({role}, perm))
                        for role in Role if any(has_permission({role}, p) for p, _ in rules)})

    return [
        row("Questionnaires de satisfaction",
            [("survey.manage", "tous les questionnaires du CRT")]),
        row("Résultats des enquêtes de satisfaction", [
            ("survey.comments", "tous les résultats, commentaires compris"),
            ("survey.results", "résultats agrégés, sans les commentaires")]),
        row("Réponses individuelles (anonymes) derrière un indicateur de satisfaction",
            [("survey.comments", "toutes les réponses du CRT")]),
    ]
