"""The phones that keep a day for offline use, and the actions they synchronised.

A ``Device`` is one browser of one professional that asked for the day's data. Its encryption
key is never stored: it is derived from the server's secret and the device's ``salt``, and handed
to a logged-in session of its owner only. Erasing a device (logout, deactivated account) forgets
its salt, so that what the phone still holds can no longer be read, even with an old key request.

A ``SyncedAction`` is one action recorded on the phone (arrival, visit traced, note, alert…),
identified by the UUID the phone gave it: applied once, whatever the number of times it is sent.
"""

import secrets

from django.conf import settings
from django.db import models

from maillage.core.models import TenantModel


def new_salt() -> str:
    return secrets.token_hex(32)


class Device(TenantModel):
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                             related_name="+", verbose_name="professionnel")
    salt = models.CharField(max_length=64, default=new_salt, editable=False)
    last_download_at = models.DateTimeField("journée chargée le", null=True, blank=True)
    last_sync_at = models.DateTimeField("synchronisé le", null=True, blank=True)
    erased_at = models.DateTimeField("effacé le", null=True, blank=True)
    erased_reason = models.CharField("motif de l'effacement", max_length=120, blank=True)

    class Meta:
        verbose_name = "appareil hors ligne"
        indexes = [models.Index(fields=["crt", "user"], name="offline_device_user")]

    def __str__(self) -> str:
        return f"Appareil {str(self.public_id)[:8]}"


class SyncedAction(TenantModel):
    class Kind(models.TextChoices):
        VISIT_START = "visit_start", "Arrivée"
        VISIT_END = "visit_end", "Passage réalisé"
        VISIT_MISSED = "visit_missed", "Passage non réalisé"
        NOTE = "note", "Transmission"
        ALERT = "alert", "Alerte"

    class State(models.TextChoices):
        APPLIED = "applied", "Enregistrée"
        CONFLICT = "conflict", "En conflit"
        REFUSED = "refused", "Refusée"

    #: The phone's identifier of the action: the key of idempotency.
    action_id = models.UUIDField(unique=True)
    device = models.ForeignKey(Device, on_delete=models.SET_NULL, null=True, blank=True,
                               related_name="actions")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                             related_name="+")
    kind = models.CharField("type", max_length=12, choices=Kind)
    visit = models.ForeignKey("visits.Visit", on_delete=models.SET_NULL, null=True, blank=True,
                              related_name="+")
    beneficiary = models.ForeignKey("beneficiaries.Beneficiary", on_delete=models.SET_NULL,
                                    null=True, blank=True, related_name="+")
    happened_at = models.DateTimeField("saisie le")
    state = models.CharField("résultat", max_length=10, choices=State)
    #: Why it was not applied (French, shown on the phone); never the health text itself.
    message = models.CharField(max_length=300, blank=True)

    class Meta:
        verbose_name = "saisie hors ligne synchronisée"
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} ({self.get_state_display()})"

    def result(self) -> dict:
        return {"id": str(self.action_id), "state": self.state, "message": self.message}
