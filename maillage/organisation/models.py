"""The CRT's own organisation: the team's positions with their FTE per volet, and the
governance meetings (steering committee, admission commission) with their decisions."""

from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q, Value

from maillage.core.models import TenantModel, VersionedModel
from maillage.territory.models import Professional

FTE_MAX = Decimal("1.00")
FTE_VALIDATORS = [MinValueValidator(Decimal("0")), MaxValueValidator(FTE_MAX)]
SPLIT_SUM = F("fte_volet1") + F("fte_volet2") + F("fte_coordination")
SPLIT_TOLERANCE = Value(Decimal("0.005"))


class Position(TenantModel, VersionedModel):
    """A position of the CRT team (T-02): its FTE dedicated to the CRT, split between volet 1,
    volet 2 and coordination; held by a team member, or vacant."""

    class Profession(models.TextChoices):
        DIRECTION = "direction", "Direction / chef·fe de projet"
        COORDINATOR = "coordinator", "Coordinateur·rice (IDE, IDEC)"
        DOCTOR = "doctor", "Médecin coordonnateur"
        NURSE = "nurse", "Infirmier·ère (IDE)"
        CARE_AIDE = "care_aide", "Aide-soignant·e (AS)"
        GERONTOLOGY_AIDE = "gerontology_aide", "Assistant·e de soins en gérontologie (ASG)"
        HOME_AIDE = "home_aide", "Accompagnant·e éducatif et social (AES) / auxiliaire de vie"
        OCCUPATIONAL_THERAPIST = "occupational_therapist", "Ergothérapeute"
        PSYCHOLOGIST = "psychologist", "Psychologue"
        ACTIVITY_LEADER = "activity_leader", "Animateur·rice"
        ADMIN = "admin", "Administratif / secrétariat"
        OTHER = "other", "Autre"

    class Employment(models.TextChoices):
        SALARIED = "salaried", "Salarié·e du porteur"
        MADE_AVAILABLE = "made_available", "Mis·e à disposition par un partenaire"
        EXTERNAL = "external", "Intervenant·e extérieur·e"

    profession = models.CharField("profession", max_length=25, choices=Profession)
    qualification = models.CharField("qualification / diplôme", max_length=200, blank=True)
    employment = models.CharField("statut", max_length=15, choices=Employment,
                                  default=Employment.SALARIED)
    fte = models.DecimalField("ETP dédié au CRT", max_digits=3, decimal_places=2,
                              validators=FTE_VALIDATORS)
    fte_volet1 = models.DecimalField("dont volet 1", max_digits=3, decimal_places=2,
                                     default=Decimal("0"), validators=FTE_VALIDATORS)
    fte_volet2 = models.DecimalField("dont volet 2", max_digits=3, decimal_places=2,
                                     default=Decimal("0"), validators=FTE_VALIDATORS)
    fte_coordination = models.DecimalField("dont coordination", max_digits=3, decimal_places=2,
                                           default=Decimal("0"), validators=FTE_VALIDATORS)
    starts_on = models.DateField("début")
    ends_on = models.DateField("fin", null=True, blank=True)
    holder = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
        related_name="+", verbose_name="titulaire",
        help_text="Laissez vide si le poste est vacant.",
    )
    notes = models.CharField("remarques", max_length=250, blank=True)

    class Meta:
        verbose_name = "poste"
        ordering = ["profession", "starts_on"]
        indexes = [models.Index(fields=["crt", "profession"], name="position_crt_profession")]
        constraints = [
            # Within half a hundredth: SQLite adds decimals as floats (0.2 + 0.5 + 0.1).
            models.CheckConstraint(
                condition=Q(fte__gte=SPLIT_SUM - SPLIT_TOLERANCE)
                & Q(fte__lte=SPLIT_SUM + SPLIT_TOLERANCE),
                name="position_fte_split_sums",
            ),
            models.CheckConstraint(
                condition=Q(ends_on__isnull=True) | Q(ends_on__gte=F("starts_on")),
                name="position_dates_ordered",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_profession_display()} ({self.fte} ETP)"

    @property
    def is_vacant(self) -> bool:
        return self.holder_id is None


def minutes_path(instance, filename: str) -> str:
    return f"meetings/{instance.crt.public_id}/{instance.public_id}.pdf"


class Meeting(TenantModel, VersionedModel):
    """A governance meeting: the steering committee (COPIL, with users' representatives) or the
    admission commission."""

    class Kind(models.TextChoices):
        COPIL = "copil", "Comité de pilotage (COPIL)"
        ADMISSION_COMMISSION = "admission_commission", "Commission d'admission"

    kind = models.CharField("instance", max_length=25, choices=Kind)
    held_on = models.DateField("date")
    place = models.CharField("lieu", max_length=200, blank=True)
    agenda = models.TextField("ordre du jour", blank=True)
    team_participants = models.ManyToManyField(
        settings.AUTH_USER_MODEL, blank=True, related_name="+",
        verbose_name="participants de l'équipe",
    )
    partner_participants = models.ManyToManyField(
        Professional, blank=True, related_name="meetings",
        verbose_name="professionnels partenaires",
    )
    #: Users' representatives and other people present, typed: [{"name": …, "quality": …}].
    representatives = models.JSONField("représentants et autres participants", default=list,
                                       blank=True)
    minutes = models.FileField("compte rendu (PDF)", upload_to=minutes_path, blank=True)
    minutes_name = models.CharField("nom du fichier", max_length=200, blank=True)
    minutes_size = models.PositiveIntegerField("taille (octets)", null=True, blank=True)

    class Meta:
        verbose_name = "réunion"
        ordering = ["-held_on"]
        indexes = [models.Index(fields=["crt", "kind", "held_on"], name="meeting_crt_kind_date")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} du {self.held_on:%d/%m/%Y}"


class Decision(TenantModel, VersionedModel):
    """A decision taken in a meeting, with who carries it out and by when, followed until
    done."""

    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="decisions")
    text = models.CharField("décision", max_length=300)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+",
        verbose_name="porteur",
    )
    due_on = models.DateField("échéance", null=True, blank=True)
    done_on = models.DateField("réalisée le", null=True, blank=True)
    done_note = models.CharField("suite donnée", max_length=300, blank=True)

    class Meta:
        verbose_name = "décision"
        ordering = ["due_on", "created_at"]
        indexes = [
            models.Index(fields=["crt", "done_on", "due_on"], name="decision_crt_open_due"),
        ]

    def __str__(self) -> str:
        return self.text

    @property
    def is_done(self) -> bool:
        return self.done_on is not None
