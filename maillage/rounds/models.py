"""A rounds proposal: the solver's plan for a CRT's day, computed on the task queue, compared
with the current plan and applied (or not) by the coordination."""

from django.conf import settings
from django.db import models

from maillage.core.models import TenantModel


class Proposal(TenantModel):
    class Status(models.TextChoices):
        PENDING = "pending", "En attente"
        RUNNING = "running", "En calcul"
        DONE = "done", "Prête"
        FAILED = "failed", "Échec"
        APPLIED = "applied", "Appliquée"

    day = models.DateField("jour")
    #: Ids of the members of staff who do not work that day (« Marie est malade ce matin »).
    excluded = models.JSONField("intervenant·es absent·es", default=list, blank=True)
    #: Ids of the visits kept at their planned time with their planned carer (confirmed).
    locked = models.JSONField("passages verrouillés", default=list, blank=True)
    status = models.CharField("état", max_length=8, choices=Status, default=Status.PENDING)
    progress = models.PositiveSmallIntegerField("avancement (%)", default=0)
    #: The comparison and the routes (ids and minutes only: names are read when shown).
    result = models.JSONField(null=True, blank=True)
    error = models.CharField("erreur", max_length=300, blank=True)
    applied_at = models.DateTimeField("appliquée le", null=True, blank=True)
    applied_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                   null=True, blank=True, related_name="+",
                                   verbose_name="appliquée par")

    class Meta:
        verbose_name = "proposition de tournées"
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["crt", "-created_at"], name="rounds_proposal_crt")]

    def __str__(self) -> str:
        return f"Tournées du {self.day:%d/%m/%Y}"
