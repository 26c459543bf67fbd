"""The CRT's territory: the communes it covers, per volet, with the travel time from its base."""

from django.core.validators import MaxValueValidator
from django.db import models

from maillage.core.models import TenantModel, VersionedModel
from maillage.core.validators import validate_insee_commune, validate_postal_code


class Commune(TenantModel, VersionedModel):
    insee_code = models.CharField(
        "code INSEE", max_length=5, validators=[validate_insee_commune]
    )
    postal_code = models.CharField(
        "code postal", max_length=5, validators=[validate_postal_code]
    )
    name = models.CharField("nom", max_length=120)
    covers_volet1 = models.BooleanField("volet 1 (appui au territoire)", default=True)
    covers_volet2 = models.BooleanField("volet 2 (accompagnement renforcé)", default=True)
    travel_minutes = models.PositiveSmallIntegerField(
        "temps de trajet depuis le site (minutes)",
        validators=[MaxValueValidator(240)],
    )

    class Meta:
        verbose_name = "commune"
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["crt", "insee_code"], name="commune_unique_insee"),
        ]
        indexes = [models.Index(fields=["crt", "name"], name="commune_crt_name")]

    def __str__(self) -> str:
        return f"{self.name} ({self.postal_code})"
