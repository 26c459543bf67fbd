"""Volet 1 (SPEC §4.5; seeds 001 §IV.1, 002 §5, §11): the CRT's actions for the whole territory
(``SupportAction``), their calendar of sessions (``Session``), the people registered to them and
their attendance (``Participation``), and the light records of people who have no volet 2 file
(``Attendee``: an older person, a caregiver or a professional, reused from one session to the
next)."""

from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q

from maillage.beneficiaries.identity import Sex
from maillage.beneficiaries.models import Beneficiary, Caregiver
from maillage.core.collation import french
from maillage.core.folding import fold
from maillage.core.models import TenantModel, VersionedModel
from maillage.core.validators import validate_phone
from maillage.territory.models import Commune, Organization, Professional


class Field(models.TextChoices):
    """The fields of volet 1 (INDICATORS §6.8; 001 §IV.1.2, 002 §5)."""

    CARE_PREVENTION = "care_prevention", "Accès aux soins et à la prévention"
    ISOLATION = "isolation", "Lutte contre l'isolement"
    PRACTICES = "practices", "Amélioration des pratiques professionnelles"
    CAREGIVERS = "caregivers", "Soutien des aidants"
    RESOURCES = "resources", ("Accès aux ressources de l'EHPAD (locaux, équipements, "
                              "animations, plateau technique)")


class AgeBand(models.TextChoices):
    """The age bands of the reports (INDICATORS §1)."""

    UNDER_60 = "lt60", "Moins de 60 ans"
    FROM_60 = "60_74", "60 à 74 ans"
    FROM_75 = "75_84", "75 à 84 ans"
    FROM_85 = "85_94", "85 à 94 ans"
    FROM_95 = "95plus", "95 ans et plus"


class TrainingInstitute(models.TextChoices):
    """Training institutes a professional-practices action may invite (V1-04); each is a
    boolean of ``SupportAction`` (``institute_<value>``), portable and countable."""

    IFSI = "ifsi", "IFSI (soins infirmiers)"
    IFAS = "ifas", "IFAS (aides-soignants)"
    IFMK = "ifmk", "IFMK (masso-kinésithérapie)"
    MEDICINE = "medicine", "Faculté de médecine / internes"
    OTHER = "other", "Autre institut de formation"


INSTITUTE_FIELDS = {value: f"institute_{value}" for value in TrainingInstitute.values}


class PlaceLabel:
    """« À distance », or the address and the commune (an action, a session)."""

    @property
    def place_label(self) -> str:
        if self.is_remote:
            return "À distance"
        parts = [p for p in (self.address, self.commune.name if self.commune_id else "") if p]
        return ", ".join(parts) or "—"


class SupportAction(PlaceLabel, TenantModel, VersionedModel):
    """A volet 1 action (atelier, campagne, formation, prêt de salle…) and its calendar.

    **No double funding** (001 §IV.1.4, SPEC §4.5): an expense is paid once. An action is paid
    either from the CRT's own allocation alone (``own_budget``: no other funder, no amount), or
    co-funded (``co_funded``): the other funder and the amount it pays are recorded, together
    with the action's total cost, and the other funder's amount may not exceed that cost — the
    CRT's allocation pays only the remainder (``crt_share``). So the same euro is never claimed
    from the allocation and from another funder. Enforced in ``services.action_create`` /
    ``action_update``.
    """

    class Funding(models.TextChoices):
        OWN_BUDGET = "own_budget", "Budget propre du CRT"
        CO_FUNDED = "co_funded", "Cofinancée"

    class PracticeKind(models.TextChoices):
        AWARENESS = "awareness", "Sensibilisation"
        TRAINING = "training", "Formation"
        SHARING = "sharing", "Partage de pratiques"

    class Status(models.TextChoices):
        PLANNED = "planned", "En préparation"
        ACTIVE = "active", "En cours"
        CLOSED = "closed", "Terminée"
        CANCELLED = "cancelled", "Annulée"

    title = models.CharField("intitulé", max_length=200)
    description = models.TextField("description", blank=True)
    field = models.CharField("axe du volet 1", max_length=20, choices=Field)
    anti_fall = models.BooleanField("action de prévention des chutes", default=False)
    end_of_life = models.BooleanField("fin de vie / soins palliatifs", default=False)
    practice_kind = models.CharField("type d'action (pratiques professionnelles)", max_length=10,
                                     choices=PracticeKind, blank=True)
    # Training institutes invited (V1-04), only for the field « pratiques professionnelles ».
    institute_ifsi = models.BooleanField("IFSI invité", default=False)
    institute_ifas = models.BooleanField("IFAS invité", default=False)
    institute_ifmk = models.BooleanField("IFMK invité", default=False)
    institute_medicine = models.BooleanField("faculté de médecine / internes invités",
                                             default=False)
    institute_other = models.BooleanField("autre institut de formation invité", default=False)
    for_older_people = models.BooleanField("personnes âgées à domicile", default=False)
    for_caregivers = models.BooleanField("aidants", default=False)
    for_professionals = models.BooleanField("professionnels", default=False)
    partners = models.ManyToManyField(Organization, blank=True, related_name="+",
                                      verbose_name="partenaires")
    funding = models.CharField("financement", max_length=12, choices=Funding,
                               default=Funding.OWN_BUDGET)
    total_cost = models.DecimalField(
        "coût total prévu (€)", max_digits=10, decimal_places=2, null=True, blank=True,
        validators=[MinValueValidator(Decimal("0"))])
    co_funder = models.CharField("autre financeur", max_length=200, blank=True)
    co_funding_amount = models.DecimalField(
        "montant de l'autre financeur (€)", max_digits=10, decimal_places=2, null=True,
        blank=True, validators=[MinValueValidator(Decimal("0.01"))])
    is_remote = models.BooleanField("à distance", default=False)
    commune = models.ForeignKey(Commune, on_delete=models.PROTECT, null=True, blank=True,
                                related_name="+", verbose_name="commune")
    address = models.CharField("adresse (lieu précis)", max_length=250, blank=True)
    status = models.CharField("état", max_length=10, choices=Status, default=Status.PLANNED)

    class Meta:
        verbose_name = "action du volet 1"
        verbose_name_plural = "actions du volet 1"
        ordering = ["field", french("title")]
        indexes = [models.Index(fields=["crt", "field"], name="action_crt_field")]
        constraints = [
            models.CheckConstraint(
                condition=Q(anti_fall=False) | Q(field="care_prevention"),
                name="action_anti_fall_is_care_prevention",
                violation_error_message="Le repère « prévention des chutes » concerne l'axe "
                                        "« accès aux soins et à la prévention ».",
            ),
            models.CheckConstraint(
                condition=Q(end_of_life=False) | Q(field="practices"),
                name="action_end_of_life_is_practices",
                violation_error_message="Le repère « fin de vie » concerne l'axe "
                                        "« amélioration des pratiques professionnelles ».",
            ),
            models.CheckConstraint(
                condition=Q(institute_ifsi=False, institute_ifas=False, institute_ifmk=False,
                            institute_medicine=False, institute_other=False)
                | Q(field="practices"),
                name="action_institutes_is_practices",
                violation_error_message="Les instituts de formation invités concernent l'axe "
                                        "« amélioration des pratiques professionnelles ».",
            ),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def audiences(self) -> list[str]:
        return [label for flag, label in (
            (self.for_older_people, "personnes âgées à domicile"),
            (self.for_caregivers, "aidants"), (self.for_professionals, "professionnels"))
            if flag]

    @property
    def training_institutes(self) -> list[str]:
        """The codes of the training institutes invited (``TrainingInstitute``)."""
        return [value for value, name in INSTITUTE_FIELDS.items() if getattr(self, name)]

    @property
    def training_institute_labels(self) -> list[str]:
        labels = dict(TrainingInstitute.choices)
        return [labels[value] for value in self.training_institutes]

    @property
    def crt_share(self) -> Decimal | None:
        """What the CRT's allocation pays (None when the cost is not stated)."""
        if self.total_cost is None:
            return None
        return self.total_cost - (self.co_funding_amount or Decimal("0"))



class Session(PlaceLabel, TenantModel, VersionedModel):
    """One session (séance) of an action: when, where, how many places, who facilitates."""

    class Status(models.TextChoices):
        PLANNED = "planned", "Prévue"
        HELD = "held", "Tenue"
        CANCELLED = "cancelled", "Annulée"

    action = models.ForeignKey(SupportAction, on_delete=models.PROTECT, related_name="sessions",
                               verbose_name="action")
    starts_at = models.DateTimeField("début")
    ends_at = models.DateTimeField("fin")
    is_remote = models.BooleanField("à distance", default=False)
    commune = models.ForeignKey(Commune, on_delete=models.PROTECT, null=True, blank=True,
                                related_name="+", verbose_name="commune")
    address = models.CharField("adresse (lieu précis)", max_length=250, blank=True)
    capacity = models.PositiveSmallIntegerField(
        "nombre de places", null=True, blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(1000)])
    facilitators = models.ManyToManyField(settings.AUTH_USER_MODEL, blank=True, related_name="+",
                                          verbose_name="animateurs de l'équipe")
    partner_facilitators = models.ManyToManyField(
        Professional, blank=True, related_name="+", verbose_name="intervenants partenaires")
    status = models.CharField("état", max_length=10, choices=Status, default=Status.PLANNED)
    #: Recorded after it took place (the only way to create a session in the past).
    recorded_after = models.BooleanField("enregistrée après coup", default=False)
    #: People who attended without being identified (INDICATORS §1: a separate line, never
    #: added to distinct counts).
    anonymous_count = models.PositiveSmallIntegerField(
        "participants non identifiés", default=0, validators=[MaxValueValidator(1000)])

    class Meta:
        verbose_name = "séance"
        ordering = ["starts_at"]
        indexes = [models.Index(fields=["crt", "starts_at"], name="session_crt_start")]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_at__gt=F("starts_at")), name="session_end_after_start",
                violation_error_message="La fin doit être après le début."),
        ]

    def __str__(self) -> str:
        return f"Séance du {self.starts_at:%d/%m/%Y}"



#: The folded names of a light record (``Attendee.refresh_name_keys``).
NAME_KEY_FIELDS = ("last_name_key", "first_name_key")

GIR_SOURCE_NEEDS_GIR = ("« Évalué ou déclaré » va avec un GIR : indiquez le GIR ou videz ce "
                        "champ.")


class Attendee(TenantModel, VersionedModel):
    """The light record of a person registered to volet 1 sessions who has no volet 2 file: an
    older person, a caregiver or a professional. Reused from one registration to the next."""

    class Kind(models.TextChoices):
        OLDER_PERSON = "older_person", "Personne âgée"
        CAREGIVER = "caregiver", "Aidant"
        PROFESSIONAL = "professional", "Professionnel"

    class LivingPlace(models.TextChoices):
        HOME = "home", "Domicile ordinaire"
        AUTONOMY_RESIDENCE = "autonomy_residence", "Résidence autonomie"
        SENIOR_RESIDENCE = "senior_residence", "Résidence seniors"
        OTHER = "other", "Autre"

    class GirSource(models.TextChoices):
        """How the GIR of a light record is known (V1-07). For a volet 2 beneficiary who takes
        part, the GIR is the evaluated one of their file (``Beneficiary.current_gir``): no
        field here."""

        EVALUATED = "evaluated", "Évalué (grille AGGIR, par un professionnel)"
        DECLARED = "declared", "Déclaré (par la personne ou un proche)"

    class EmployerType(models.TextChoices):
        """The professional's structure (V1-05)."""

        HOME_CARE = "home_care", "Service à domicile (SAD)"
        SSIAD = "ssiad", "SSIAD"
        OTHER_EHPAD = "other_ehpad", "Autre EHPAD"
        CARRIER = "carrier", "Structure porteuse du CRT"
        HOSPITAL = "hospital", "Établissement de santé"
        LIBERAL = "liberal", "Exercice libéral"
        STUDENT = "student", "Étudiant·e ou stagiaire (IFSI, IFAS…)"
        VOLUNTEER = "volunteer", "Bénévole"
        OTHER = "other", "Autre"

    kind = models.CharField("type", max_length=15, choices=Kind)
    last_name = models.CharField("nom", max_length=120)
    first_name = models.CharField("prénom", max_length=120, blank=True)
    #: The names folded (``core.folding.fold``: accents, case, hyphens and apostrophes aside),
    #: what the duplicate checks compare in SQL. Kept by ``save`` and by the services that
    #: write names (``refresh_name_keys``, ``NAME_KEY_FIELDS``).
    last_name_key = models.CharField("nom (clé de comparaison)", max_length=250, blank=True,
                                     editable=False)
    first_name_key = models.CharField("prénom (clé de comparaison)", max_length=250,
                                      blank=True, editable=False)
    phone = models.CharField("téléphone", max_length=30, blank=True, validators=[validate_phone])
    commune = models.ForeignKey(Commune, on_delete=models.PROTECT, null=True, blank=True,
                                related_name="+", verbose_name="commune")
    # Older people (V1-01, V1-07).
    age_band = models.CharField("tranche d'âge", max_length=6, choices=AgeBand, blank=True)
    sex = models.CharField("sexe", max_length=1, choices=Sex, blank=True)
    lives_alone = models.BooleanField("vit seul·e", null=True, blank=True)
    living_place = models.CharField("lieu de vie", max_length=20, choices=LivingPlace,
                                    blank=True)
    gir = models.PositiveSmallIntegerField(
        "GIR (si connu)", null=True, blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(6)])
    gir_source = models.CharField("GIR évalué ou déclaré", max_length=10, choices=GirSource,
                                  blank=True)
    # Caregivers (V1-02): is the person they help followed in volet 2?
    helps_volet2_beneficiary = models.BooleanField(
        "la personne aidée est accompagnée au volet 2", null=True, blank=True)
    #: The volet 2 caregiver (recorded on a beneficiary's file) this light record is, when
    #: registered as such: identity only is copied, the helped person's file never shown.
    caregiver = models.ForeignKey(Caregiver, on_delete=models.SET_NULL, null=True, blank=True,
                                  related_name="+", verbose_name="aidant du volet 2")
    # Professionals (V1-05).
    organization = models.ForeignKey(Organization, on_delete=models.PROTECT, null=True,
                                     blank=True, related_name="+",
                                     verbose_name="structure (annuaire)")
    organization_name = models.CharField("structure (saisie)", max_length=200, blank=True)
    employer_type = models.CharField("type de structure", max_length=15, choices=EmployerType,
                                     blank=True)

    class Meta:
        verbose_name = "personne inscrite (fiche légère)"
        verbose_name_plural = "personnes inscrites (fiches légères)"
        ordering = ["last_name", "first_name"]
        indexes = [models.Index(fields=["crt", "last_name"], name="attendee_crt_name"),
                   models.Index(fields=["crt", "last_name_key"], name="attendee_crt_name_key")]
        constraints = [
            models.CheckConstraint(
                condition=Q(gir_source="") | Q(gir__isnull=False),
                name="attendee_gir_source_needs_gir",
                violation_error_message=GIR_SOURCE_NEEDS_GIR,
            ),
            models.UniqueConstraint(
                fields=["crt", "caregiver"], condition=Q(caregiver__isnull=False),
                name="attendee_unique_caregiver",
                violation_error_message="Cet aidant du volet 2 a déjà sa fiche."),
            models.CheckConstraint(
                condition=Q(caregiver__isnull=True)
                | Q(kind="caregiver", helps_volet2_beneficiary=True),
                name="attendee_caregiver_link_is_caregiver",
                violation_error_message="Seul un aidant est lié à un aidant du volet 2.",
            ),
        ]

    def __str__(self) -> str:
        return self.display_name

    def refresh_name_keys(self) -> None:
        self.last_name_key = fold(self.last_name)
        self.first_name_key = fold(self.first_name)

    def save(self, *args, **kwargs):
        self.refresh_name_keys()
        if kwargs.get("update_fields") is not None:
            kwargs["update_fields"] = {*kwargs["update_fields"], *NAME_KEY_FIELDS}
        super().save(*args, **kwargs)

    @property
    def display_name(self) -> str:
        return f"{self.last_name.upper()} {self.first_name}".strip()

    @property
    def structure_label(self) -> str:
        return self.organization.name if self.organization_id else self.organization_name


class Participation(TenantModel, VersionedModel):
    """One person registered to one session, and whether they came. An older person is either
    a volet 2 beneficiary (``beneficiary``: feeds « personnes dans les deux volets », T-01) or a
    light record (``attendee``); caregivers and professionals are light records."""

    class Status(models.TextChoices):
        REGISTERED = "registered", "Inscrit·e"
        PRESENT = "present", "Présent·e"
        ABSENT = "absent", "Absent·e"
        CANCELLED = "cancelled", "Inscription annulée"

    class TransportMode(models.TextChoices):
        """How the CRT provided the journey (V1-08)."""

        CRT_VEHICLE = "crt_vehicle", "Véhicule du CRT"
        PROVIDER = "provider", "Prestataire de transport"
        TAXI = "taxi", "Taxi"
        SOLIDARITY = "solidarity", "Transport solidaire"
        OTHER = "other", "Autre"

    class TransportReason(models.TextChoices):
        """Why the CRT provides the journey: only when the person has no other way to come
        (001 §IV.1.4, 004 « La question du transport »; V1-08)."""

        NO_VEHICLE = "no_vehicle", "Pas de véhicule"
        NO_RELATIVE = "no_relative", "Pas d'entourage disponible"
        NO_PUBLIC_TRANSPORT = "no_public", "Pas de transport en commun adapté"
        OTHER = "other", "Autre"

    session = models.ForeignKey(Session, on_delete=models.PROTECT, related_name="participations",
                                verbose_name="séance")
    kind = models.CharField("type", max_length=15, choices=Attendee.Kind)
    beneficiary = models.ForeignKey(Beneficiary, on_delete=models.PROTECT, null=True,
                                    blank=True, related_name="+",
                                    verbose_name="bénéficiaire du volet 2")
    attendee = models.ForeignKey(Attendee, on_delete=models.PROTECT, null=True, blank=True,
                                 related_name="participations", verbose_name="personne")
    status = models.CharField("présence", max_length=10, choices=Status,
                              default=Status.REGISTERED)
    transport_mode = models.CharField("transport organisé", max_length=12,
                                      choices=TransportMode, blank=True)
    transport_provider = models.CharField("assuré par", max_length=200, blank=True)
    transport_cost = models.DecimalField(
        "coût du transport (€)", max_digits=8, decimal_places=2, null=True, blank=True,
        validators=[MinValueValidator(Decimal("0"))])
    transport_from = models.ForeignKey(Commune, on_delete=models.PROTECT, null=True, blank=True,
                                       related_name="+", verbose_name="commune de départ")
    #: The rule checked: no other way to come (required with a transport, see services).
    transport_reason = models.CharField("aucune autre solution de transport", max_length=12,
                                        choices=TransportReason, blank=True)
    transport_reason_detail = models.CharField("précision", max_length=200, blank=True)

    class Meta:
        verbose_name = "participation"
        constraints = [
            models.CheckConstraint(
                condition=Q(transport_reason="", transport_reason_detail="")
                | ~Q(transport_mode=""),
                name="participation_transport_reason_needs_transport",
                violation_error_message="Le motif concerne un transport organisé.",
            ),
            models.CheckConstraint(
                condition=(Q(beneficiary__isnull=False, attendee__isnull=True,
                             kind="older_person")
                           | Q(beneficiary__isnull=True, attendee__isnull=False)),
                name="participation_one_person",
                violation_error_message="Choisissez une personne : un bénéficiaire du volet 2 "
                                        "(personne âgée) ou une fiche légère.",
            ),
            models.UniqueConstraint(
                fields=["session", "beneficiary"], condition=Q(beneficiary__isnull=False),
                name="participation_unique_beneficiary",
                violation_error_message="Cette personne est déjà inscrite à cette séance."),
            models.UniqueConstraint(
                fields=["session", "attendee"], condition=Q(attendee__isnull=False),
                name="participation_unique_attendee",
                violation_error_message="Cette personne est déjà inscrite à cette séance."),
        ]

    def __str__(self) -> str:
        return f"Participation à la séance du {self.session.starts_at:%d/%m/%Y}"

    @property
    def person_name(self) -> str:
        return (self.beneficiary.display_name if self.beneficiary_id
                else self.attendee.display_name)

    @property
    def has_transport(self) -> bool:
        return bool(self.transport_mode)
