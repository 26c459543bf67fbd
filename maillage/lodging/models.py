"""Temporary rooms (SPEC §4.4, seeds 002 §1 and 001 §IV.2.6): the CRT's emergency room(s), the
temporary-stay places (HT, HTSH) its partners make available, the stays, and the CRT's lodging
settings (how long a hospitalised beneficiary's place is kept)."""

from datetime import date
from decimal import Decimal

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q

from maillage.beneficiaries.models import Beneficiary
from maillage.core.collation import french
from maillage.core.models import TenantModel, VersionedModel
from maillage.core.validators import validate_phone
from maillage.territory.models import Organization

#: HTSH stays cost the person 20 € a day, the scheme paying the rest (001 §IV.2.6).
HTSH_DAILY_CHARGE = Decimal("20.00")
#: Days a volet 2 beneficiary's place is kept while hospitalised or in a temporary room, until the
#: CRT states its own figure (002 §1 asks each CRT to). Three months by default: beyond, the
#: national rule proposes a definitive exit (001 §IV.2.1, « hospitalisé plus de 3 mois »).
DEFAULT_PLACE_KEPT_DAYS = 90


class Room(TenantModel, VersionedModel):
    """One place for a temporary stay: the CRT's own emergency room or a partner's HT / HTSH
    place. Several places of a partner are several rooms."""

    class Kind(models.TextChoices):
        CRT_EMERGENCY = "crt_emergency", "Chambre d'urgence temporaire du CRT"
        PARTNER_HT = "partner_ht", "Hébergement temporaire (HT) d'un partenaire"
        PARTNER_HTSH = "partner_htsh", (
            "Hébergement temporaire en sortie d'hospitalisation (HTSH) d'un partenaire")

    #: Maximum stay per kind, in days, when the CRT states nothing else. These are CRT settings
    #: (002 §1 asks each CRT to state the maximum stay in its emergency room), editable per room:
    #: 30 days in the emergency room, 90 days of HT (the yearly ceiling of temporary stays), 30
    #: days of HTSH (the scheme's usual length).
    DEFAULT_MAX_STAY = {Kind.CRT_EMERGENCY: 30, Kind.PARTNER_HT: 90, Kind.PARTNER_HTSH: 30}

    name = models.CharField("nom", max_length=120)
    kind = models.CharField("type de place", max_length=15, choices=Kind)
    organization = models.ForeignKey(
        Organization, on_delete=models.PROTECT, null=True, blank=True, related_name="+",
        verbose_name="structure partenaire",
    )
    max_stay_days = models.PositiveSmallIntegerField(
        "durée maximale de séjour (jours)",
        validators=[MinValueValidator(1), MaxValueValidator(365)],
    )
    daily_charge = models.DecimalField(
        "reste à charge de la personne (€ par jour)", max_digits=7, decimal_places=2,
        default=Decimal("0.00"), validators=[MinValueValidator(Decimal("0"))],
    )
    is_active = models.BooleanField("disponible", default=True)
    notes = models.TextField("informations pratiques", blank=True)

    class Meta:
        verbose_name = "chambre temporaire"
        verbose_name_plural = "chambres temporaires"
        ordering = ["kind", french("name")]
        constraints = [
            models.UniqueConstraint(
                fields=["crt", "name"], name="room_unique_name",
                violation_error_message="Une chambre porte déjà ce nom.",
            ),
            models.CheckConstraint(
                condition=Q(kind="crt_emergency", organization__isnull=True)
                | (~Q(kind="crt_emergency") & Q(organization__isnull=False)),
                name="room_partner_places_have_a_partner",
                violation_error_message="Une place HT ou HTSH appartient à une structure "
                                        "partenaire ; la chambre d'urgence du CRT, à aucune.",
            ),
            models.CheckConstraint(
                condition=Q(daily_charge__gte=0), name="room_charge_not_negative",
                violation_error_message="Le reste à charge ne peut pas être négatif.",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def label(self) -> str:
        """Name and partner, e.g. for the temporary exit recorded in the file active."""
        if self.organization_id:
            return f"{self.name} — {self.organization.name}"
        return self.name

    @property
    def short_kind(self) -> str:
        return {"crt_emergency": "Chambre d'urgence", "partner_ht": "HT",
                "partner_htsh": "HTSH"}[self.kind]


class LodgingSettings(TenantModel, VersionedModel):
    """The CRT's lodging settings (one row per CRT, created on first edit)."""

    place_kept_days = models.PositiveSmallIntegerField(
        "durée de conservation de la place (jours)", default=DEFAULT_PLACE_KEPT_DAYS,
        validators=[MinValueValidator(1), MaxValueValidator(365)],
        help_text="Combien de temps le CRT garde la place d'une personne de la file active "
                  "hospitalisée ou accueillie en chambre temporaire.",
    )

    class Meta:
        verbose_name = "réglages des chambres temporaires"
        constraints = [models.UniqueConstraint(fields=["crt"], name="lodging_settings_one")]

    def __str__(self) -> str:
        return f"Place conservée {self.place_kept_days} jours"


class Stay(TenantModel, VersionedModel):
    """A stay in a room: of a beneficiary, or of a person who is not (yet) one — typically an
    older person whose caregiver has just been hospitalised."""

    class Reason(models.TextChoices):
        CAREGIVER_HOSPITALISED = "caregiver_hospitalised", "Aidant hospitalisé ou indisponible"
        CRISIS = "crisis", "Situation de crise au domicile"
        HOSPITAL_RETURN = "hospital_return", "Retour d'hospitalisation"
        HEALTH_DECLINE = "health_decline", (
            "Dégradation de l'état de santé (éviter une hospitalisation)")
        OTHER = "other", "Autre"

    class Status(models.TextChoices):
        PLANNED = "planned", "Prévu"
        IN_PROGRESS = "in_progress", "En cours"
        ENDED = "ended", "Terminé"
        CANCELLED = "cancelled", "Annulé"

    room = models.ForeignKey(Room, on_delete=models.PROTECT, related_name="stays",
                             verbose_name="chambre")
    beneficiary = models.ForeignKey(
        Beneficiary, on_delete=models.PROTECT, null=True, blank=True,
        related_name="lodging_stays", verbose_name="bénéficiaire",
    )
    # A person who is not a beneficiary (personal data: lodging roles only).
    guest_last_name = models.CharField("nom de la personne accueillie", max_length=120,
                                       blank=True)
    guest_first_name = models.CharField("prénom", max_length=120, blank=True)
    guest_birth_date = models.DateField("date de naissance", null=True, blank=True)
    guest_phone = models.CharField("téléphone (ou celui d'un proche)", max_length=30,
                                   blank=True, validators=[validate_phone])
    referral = models.ForeignKey(
        "admissions.Referral", on_delete=models.SET_NULL, null=True, blank=True,
        related_name="+", verbose_name="demande d'admission",
    )
    reason = models.CharField("motif", max_length=25, choices=Reason)
    planned_start = models.DateField("arrivée prévue le")
    planned_end = models.DateField("départ prévu le")
    actual_start = models.DateField("arrivée le", null=True, blank=True)
    actual_end = models.DateField("départ le", null=True, blank=True)
    status = models.CharField("état", max_length=12, choices=Status, default=Status.PLANNED)
    #: The room's charge when the stay was booked (a later price change leaves it alone).
    daily_charge = models.DecimalField(
        "reste à charge (€ par jour)", max_digits=7, decimal_places=2, default=Decimal("0.00"),
        validators=[MinValueValidator(Decimal("0"))],
    )
    over_max_justification = models.TextField("justification du dépassement de la durée "
                                              "maximale", blank=True)
    cancel_reason = models.TextField("motif de l'annulation", blank=True)
    notes = models.TextField("observations", blank=True)
    #: The temporary exit of the file active this stay opened (beneficiaries in the file active).
    suspension = models.ForeignKey(
        "admissions.Suspension", on_delete=models.SET_NULL, null=True, blank=True,
        related_name="lodging_stays", verbose_name="sortie temporaire",
    )

    class Meta:
        verbose_name = "séjour"
        ordering = ["-planned_start", "-id"]
        indexes = [
            models.Index(fields=["crt", "room", "planned_start"], name="stay_room_start"),
            models.Index(fields=["crt", "status"], name="stay_crt_status"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(planned_end__gt=F("planned_start")), name="stay_planned_ordered",
                violation_error_message="Le départ prévu doit suivre l'arrivée prévue.",
            ),
            models.CheckConstraint(
                condition=Q(actual_end__isnull=True)
                | Q(actual_start__isnull=False, actual_end__gte=F("actual_start")),
                name="stay_actual_ordered",
                violation_error_message="Le départ ne peut pas précéder l'arrivée.",
            ),
            models.CheckConstraint(
                condition=Q(beneficiary__isnull=False, guest_last_name="")
                | (Q(beneficiary__isnull=True) & ~Q(guest_last_name="")),
                name="stay_one_person",
                violation_error_message="Un séjour concerne un bénéficiaire ou une personne "
                                        "accueillie nommée, pas les deux.",
            ),
            models.CheckConstraint(
                condition=Q(daily_charge__gte=0), name="stay_charge_not_negative",
                violation_error_message="Le reste à charge ne peut pas être négatif.",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.person_name} — {self.room.name} du {self.start:%d/%m/%Y}"

    @property
    def is_guest(self) -> bool:
        return self.beneficiary_id is None

    @property
    def person_name(self) -> str:
        if self.beneficiary_id:
            return self.beneficiary.display_name
        return f"{self.guest_last_name.upper()} {self.guest_first_name}".strip()

    @property
    def initials(self) -> str:
        if self.beneficiary_id:
            b = self.beneficiary
            first, last = b.used_first_name or b.first_name, b.used_name or b.birth_name
        else:
            first, last = self.guest_first_name, self.guest_last_name
        return f"{first[:1]}{last[:1]}".upper() or "?"

    @property
    def start(self) -> date:
        return self.actual_start or self.planned_start

    def period(self, today: date) -> tuple[date, date] | None:
        """The nights the room is taken: [first night, day the room is free again)."""
        from .occupancy import stay_period

        return stay_period(status=self.status, planned_start=self.planned_start,
                           planned_end=self.planned_end, actual_start=self.actual_start,
                           actual_end=self.actual_end, today=today)

    def charged_days(self, today: date) -> int:
        """Days charged to the person: nights in the room (the departure day is not charged),
        one at least; while the stay is planned or going on, until the planned departure."""
        period = self.period(today)
        return (period[1] - period[0]).days if period else 0

    def amount_due(self, today: date) -> Decimal:
        return (self.daily_charge * self.charged_days(today)).quantize(Decimal("0.01"))

    def nights_planned(self) -> int:
        return (self.planned_end - self.planned_start).days

    def exceeds_max_stay(self, today: date) -> bool:
        return self.charged_days(today) > self.room.max_stay_days
