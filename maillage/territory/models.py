"""The CRT's territory: the communes it covers, per volet, with the travel time from its base."""

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models

from maillage.core.models import TenantModel, VersionedModel
from maillage.core.validators import (
    validate_finess,
    validate_insee_commune,
    validate_mssante,
    validate_phone,
    validate_postal_code,
    validate_rpps,
    validate_siret,
)


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
    # Where the commune is drawn on the territory map and where travel times are estimated
    # from: the national reference's position (``reference.py``) when the commune is added,
    # correctable on its form. WGS 84 degrees.
    latitude = models.DecimalField(
        "latitude", max_digits=7, decimal_places=5, null=True, blank=True,
        validators=[MinValueValidator(-90), MaxValueValidator(90)],
    )
    longitude = models.DecimalField(
        "longitude", max_digits=8, decimal_places=5, null=True, blank=True,
        validators=[MinValueValidator(-180), MaxValueValidator(180)],
    )
    population = models.PositiveIntegerField(
        "population municipale (INSEE)", null=True, blank=True
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

    @property
    def has_position(self) -> bool:
        return self.latitude is not None and self.longitude is not None


class Organization(TenantModel, VersionedModel):
    """A partner structure of the territory (FHIR Organization)."""

    class Kind(models.TextChoices):
        GP_PRACTICE = "gp_practice", "Cabinet de médecine générale"
        DAC = "dac", "DAC (dispositif d'appui à la coordination)"
        CPTS = "cpts", "CPTS"
        MSP = "msp", "Maison de santé pluriprofessionnelle (MSP)"
        HAD = "had", "Hospitalisation à domicile (HAD)"
        HOSPITAL = "hospital", "Établissement de santé"
        EHPAD = "ehpad", "EHPAD"
        SSIAD = "ssiad", "SSIAD"
        SAD = "sad", "Service autonomie à domicile (SAD)"
        CCAS = "ccas", "CCAS"
        CLIC = "clic", "CLIC"
        DEPARTMENT = "department", "Services du Département"
        OTHER = "other", "Autre"

    kind = models.CharField("type de structure", max_length=20, choices=Kind)
    name = models.CharField("nom", max_length=200)
    finess = models.CharField(
        "FINESS", max_length=9, blank=True, validators=[validate_finess]
    )
    siret = models.CharField("SIRET", max_length=14, blank=True, validators=[validate_siret])
    address = models.CharField("adresse", max_length=250, blank=True)
    postal_code = models.CharField(
        "code postal", max_length=5, blank=True, validators=[validate_postal_code]
    )
    city = models.CharField("commune", max_length=120, blank=True)
    commune = models.ForeignKey(
        Commune,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="organizations",
        verbose_name="commune du territoire",
    )
    phone = models.CharField("téléphone", max_length=30, blank=True, validators=[validate_phone])
    email = models.EmailField("courriel", blank=True)
    mssante_email = models.EmailField(
        "messagerie sécurisée de santé (MSSanté)", blank=True, validators=[validate_mssante]
    )
    notes = models.TextField("remarques", blank=True)
    is_active = models.BooleanField("active", default=True)

    class Meta:
        verbose_name = "structure partenaire"
        verbose_name_plural = "structures partenaires"
        ordering = ["name"]
        indexes = [
            models.Index(fields=["crt", "name"], name="organization_crt_name"),
            models.Index(fields=["crt", "kind"], name="organization_crt_kind"),
        ]

    def __str__(self) -> str:
        return self.name


class Professional(TenantModel, VersionedModel):
    """A professional of the territory (FHIR Practitioner / PractitionerRole)."""

    class Profession(models.TextChoices):
        GP = "gp", "Médecin généraliste"
        SPECIALIST = "specialist", "Médecin spécialiste"
        GERIATRICIAN = "geriatrician", "Médecin gériatre"
        NURSE = "nurse", "Infirmier·ère (IDEL ou salarié·e)"
        PHYSIOTHERAPIST = "physiotherapist", "Masseur-kinésithérapeute"
        PHARMACIST = "pharmacist", "Pharmacien·ne"
        CARE_AIDE = "care_aide", "Aide-soignant·e"
        HOME_HELP = "home_help", "Aide à domicile / auxiliaire de vie"
        SOCIAL_WORKER = "social_worker", "Travailleur·se social·e"
        OCCUPATIONAL_THERAPIST = "occupational_therapist", "Ergothérapeute"
        PSYCHOLOGIST = "psychologist", "Psychologue"
        COORDINATOR = "coordinator", "Coordinateur·rice de parcours"
        OTHER = "other", "Autre"

    last_name = models.CharField("nom", max_length=120)
    first_name = models.CharField("prénom", max_length=120, blank=True)
    profession = models.CharField("profession", max_length=30, choices=Profession)
    specialty = models.CharField("spécialité / précision", max_length=120, blank=True)
    rpps = models.CharField("RPPS", max_length=11, blank=True, validators=[validate_rpps])
    organization = models.ForeignKey(
        Organization,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="professionals",
        verbose_name="structure",
    )
    phone = models.CharField("téléphone", max_length=30, blank=True, validators=[validate_phone])
    mobile = models.CharField("portable", max_length=30, blank=True, validators=[validate_phone])
    email = models.EmailField("courriel", blank=True)
    mssante_email = models.EmailField(
        "messagerie sécurisée de santé (MSSanté)", blank=True, validators=[validate_mssante]
    )
    notes = models.TextField("remarques", blank=True)
    is_active = models.BooleanField("actif", default=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="professional_profiles",
        verbose_name="compte Maillage",
        help_text="Le compte de ce professionnel s'il se connecte (rôle partenaire).",
    )

    class Meta:
        verbose_name = "professionnel"
        ordering = ["last_name", "first_name"]
        indexes = [
            models.Index(fields=["crt", "last_name"], name="professional_crt_name"),
            models.Index(fields=["crt", "rpps"], name="professional_crt_rpps"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["crt", "user"],
                condition=models.Q(user__isnull=False),
                name="professional_unique_user_per_crt",
            )
        ]

    def __str__(self) -> str:
        name = f"{self.first_name} {self.last_name}".strip()
        return f"{name} ({self.get_profession_display()})"


def agreement_path(instance, filename: str) -> str:
    return f"agreements/{instance.crt.public_id}/{instance.public_id}.pdf"


class Agreement(TenantModel, VersionedModel):
    """A partner agreement (convention) of the CRT with one or more partner organisations.

    ``ends_on`` is the end of the current period. With tacit renewal, the agreement goes on at
    that date for ``renewal_months`` more (``services.agreements_roll_over``, run every night,
    moves ``ends_on`` and traces it); without it, a signed agreement expires at that date."""

    class Subject(models.TextChoices):
        HOME_CARE = "home_care", "Intervention quotidienne d'un service à domicile (volet 2)"
        PARTNER_EHPAD = "partner_ehpad", "EHPAD partenaire"
        NIGHT_NURSE = "night_nurse", "Infirmier·ère de nuit mutualisé·e"
        TEMPORARY_PLACES = "temporary_places", "Places d'hébergement temporaire"
        DAC = "dac", "Dispositif d'appui à la coordination (DAC)"
        TELEHEALTH = "telehealth", "Télésanté"
        TRAINING = "training", "Formation"
        TRANSPORT = "transport", "Transport"
        SERVICE_CONTRACT = "service_contract", "Contrat de prestation de service"

    class Status(models.TextChoices):
        DRAFT = "draft", "En préparation"
        SIGNED = "signed", "Signée, en vigueur"
        EXPIRED = "expired", "Échue"
        TERMINATED = "terminated", "Résiliée"

    title = models.CharField("intitulé", max_length=200)
    subject = models.CharField("objet", max_length=20, choices=Subject)
    organizations = models.ManyToManyField(
        Organization, related_name="agreements", verbose_name="structures partenaires"
    )
    starts_on = models.DateField("début")
    ends_on = models.DateField(
        "fin (de la période en cours)", null=True, blank=True,
        help_text="Laissez vide pour une convention à durée indéterminée.",
    )
    tacit_renewal = models.BooleanField("reconduction tacite", default=False)
    renewal_months = models.PositiveSmallIntegerField(
        "durée de chaque reconduction (mois)", null=True, blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(120)],
    )
    financial_terms = models.TextField("modalités financières", blank=True)
    status = models.CharField("statut", max_length=12, choices=Status, default=Status.DRAFT)
    signed_on = models.DateField("signée le", null=True, blank=True)
    terminated_on = models.DateField("résiliée le", null=True, blank=True)
    notes = models.TextField("remarques", blank=True)
    file = models.FileField("convention signée (PDF)", upload_to=agreement_path, blank=True)
    file_name = models.CharField("nom du fichier", max_length=200, blank=True)
    file_size = models.PositiveIntegerField("taille (octets)", null=True, blank=True)

    class Meta:
        verbose_name = "convention"
        ordering = ["ends_on", "title"]
        indexes = [
            models.Index(fields=["crt", "status", "ends_on"], name="agreement_crt_status_end"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(ends_on__isnull=True)
                | models.Q(ends_on__gte=models.F("starts_on")),
                name="agreement_dates_ordered",
            ),
        ]

    def __str__(self) -> str:
        return self.title


class AnnuaireImport(TenantModel, VersionedModel):
    """One Annuaire Santé extraction (``PS_LibreAcces_Personne_activite``) read for the CRT:
    the changes it brings to the partner directory, stored for review, then applied or
    cancelled (``services.annuaire_import_*``). The file itself is not kept."""

    class Status(models.TextChoices):
        PENDING = "pending", "À examiner"
        APPLIED = "applied", "Appliqué"
        CANCELLED = "cancelled", "Annulé"

    file_name = models.CharField("fichier", max_length=200)
    file_hash = models.CharField("empreinte SHA-256", max_length=64)
    status = models.CharField("statut", max_length=10, choices=Status, default=Status.PENDING)
    departments = models.JSONField("départements retenus", default=list)
    lines_read = models.PositiveIntegerField("lignes lues")
    rows_kept = models.PositiveIntegerField("lignes retenues")
    #: ``annuaire.compare``'s list: {"kind", "target", "key", "label", "line", "values",
    #: "fields", "public_id", "version"}.
    changes = models.JSONField("changements", default=list, blank=True)
    counts = models.JSONField("nombre de changements par sorte", default=dict)
    decided_at = models.DateTimeField("appliqué ou annulé le", null=True, blank=True)

    class Meta:
        verbose_name = "import de l'Annuaire Santé"
        verbose_name_plural = "imports de l'Annuaire Santé"
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["crt", "status"], name="annuaire_import_crt_status")]

    def __str__(self) -> str:
        return self.file_name
