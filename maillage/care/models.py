"""Coordination around the person: the domains and services catalogue, each beneficiary's
basket, the personalised plan on the PPCS model with versions, the liaison notebook, alerts,
conversations and telehealth acts (SPEC §4.3)."""

from decimal import Decimal

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone

from maillage.beneficiaries.models import Beneficiary
from maillage.core.collation import french
from maillage.core.models import TenantModel, VersionedModel
from maillage.core.plurals import count_label
from maillage.core.roles import QUALIFICATIONS
from maillage.territory.models import Organization, Professional

#: The four domains of the reinforced accompaniment (001 §IV.2.2), and the optional fifth
#: theme of Occitanie (002 §6). Each CRT gets them as defaults and may adapt them.
DEFAULT_DOMAINS = [
    ("securite", "Sécurisation de l'environnement de la personne",
     "Surveillance et sécurisation du domicile jour et nuit, adaptation du logement.", True),
    ("crise_aidants", "Gestion des situations de crise et soutien des aidants",
     "Ruptures d'accompagnement, sorties d'hospitalisation, répit des aidants.", True),
    ("suivi", "Suivi renforcé autour de la personne",
     "Plans d'accompagnement et de soins, coordination des interventions, surveillance "
     "gériatrique.", True),
    ("projet_vie", "Continuité du projet de vie et lutte contre l'isolement",
     "Vie sociale, accompagnement du parcours de vie.", True),
    ("soutien_aidants", "Soutien aux aidants",
     "Information, formation, répit et accompagnement des proches aidants.", False),
]


class Domain(TenantModel):
    code = models.SlugField("code", max_length=30)
    name = models.CharField("domaine", max_length=150)
    description = models.TextField("description", blank=True)
    position = models.PositiveSmallIntegerField("ordre", default=0)
    is_active = models.BooleanField("actif", default=True)

    class Meta:
        verbose_name = "domaine d'intervention"
        ordering = ["position", french("name")]
        constraints = [models.UniqueConstraint(fields=["crt", "code"], name="domain_code_unique")]

    def __str__(self) -> str:
        return self.name


class Service(TenantModel, VersionedModel):
    class Funding(models.TextChoices):
        FORFAIT = "forfait", "Socle (forfait du CRT, gratuit pour la personne)"
        BENEFICIARY = "beneficiary", "Optionnelle (à la charge de la personne)"
        COMMON_LAW = "common_law", "Droit commun (financement propre)"

    class Funder(models.TextChoices):
        APA = "apa", "APA (Département)"
        HEALTH_INSURANCE = "health_insurance", "Assurance maladie"
        RETIREMENT_FUND = "retirement_fund", "Caisse de retraite"
        DEPARTMENT = "department", "Département (aide sociale)"
        OTHER = "other", "Autre"

    domain = models.ForeignKey(Domain, on_delete=models.PROTECT, related_name="services",
                               verbose_name="domaine")
    name = models.CharField("prestation", max_length=200)
    description = models.TextField("description", blank=True)
    funding = models.CharField("financement", max_length=12, choices=Funding)
    price = models.DecimalField(
        "prix pour la personne (€)", max_digits=8, decimal_places=2, null=True, blank=True,
        validators=[MinValueValidator(Decimal("0"))],
    )
    price_unit = models.CharField("unité de prix", max_length=40, blank=True,
                                  help_text="Par exemple : par repas, par heure, par mois.")
    funder = models.CharField("financeur", max_length=20, choices=Funder, blank=True)
    provider = models.ForeignKey(
        Organization, on_delete=models.PROTECT, null=True, blank=True, related_name="+",
        verbose_name="structure prestataire",
        help_text="Vide : la prestation est réalisée par l'équipe du CRT.",
    )
    is_active = models.BooleanField("active", default=True)
    #: Who may do it (for the rounds): empty, the profession of whoever it is planned with.
    qualification = models.CharField(
        "qualification requise", max_length=30, blank=True,
        choices=[(r.value, r.label) for r in QUALIFICATIONS],
        help_text="Pour l'optimisation des tournées : seul·es les intervenant·es de cette "
                  "profession peuvent la faire.")

    class Meta:
        verbose_name = "prestation"
        ordering = ["domain__position", french("name")]
        constraints = [
            models.CheckConstraint(
                condition=~Q(funding="forfait") | Q(price__isnull=True),
                name="service_socle_never_priced",
                violation_error_message="Une prestation du socle ne peut pas avoir de prix.",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def provided_by(self) -> str:
        return self.provider.name if self.provider_id else "Équipe du CRT"


class BasketItem(TenantModel, VersionedModel):
    """A service in one beneficiary's basket."""

    beneficiary = models.ForeignKey(Beneficiary, on_delete=models.CASCADE,
                                    related_name="basket")
    service = models.ForeignKey(Service, on_delete=models.PROTECT, related_name="+",
                                verbose_name="prestation")
    start_date = models.DateField("depuis le")
    end_date = models.DateField("jusqu'au", null=True, blank=True)
    notes = models.CharField("précisions", max_length=250, blank=True)

    class Meta:
        verbose_name = "prestation du panier"
        ordering = ["service__domain__position", french("service__name")]
        constraints = [
            models.CheckConstraint(
                condition=Q(end_date__isnull=True) | Q(end_date__gte=models.F("start_date")),
                name="basket_dates_ordered",
            ),
        ]

    def __str__(self) -> str:
        return str(self.service)


class CarePlan(TenantModel):
    """The personalised plan of one beneficiary (PPCS model): a series of versions."""

    beneficiary = models.OneToOneField(Beneficiary, on_delete=models.CASCADE,
                                       related_name="care_plan")

    class Meta:
        verbose_name = "plan personnalisé"

    def __str__(self) -> str:
        return f"Plan de {self.beneficiary.display_name}"


class CarePlanVersion(TenantModel, VersionedModel):
    class Status(models.TextChoices):
        DRAFT = "draft", "Brouillon"
        VALIDATED = "validated", "Validé"

    plan = models.ForeignKey(CarePlan, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveSmallIntegerField("version")
    status = models.CharField("statut", max_length=10, choices=Status, default=Status.DRAFT)
    based_on = models.ForeignKey("self", on_delete=models.PROTECT, null=True, blank=True,
                                 related_name="+")
    situation_summary = models.TextField("synthèse de la situation", blank=True)
    wishes = models.TextField("souhaits et attentes de la personne", blank=True)
    life_project = models.TextField("projet de vie", blank=True)
    referent = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True,
                                 blank=True, related_name="+", verbose_name="référent PPCS")
    next_review_on = models.DateField(
        "prochaine révision", null=True, blank=True,
        help_text="Laissez vide : à la validation, la date est fixée selon le délai de révision "
                  "du CRT (6 mois par défaut). Une date plus proche est gardée.")
    #: The review date for which the "review due" notification was sent (the periodic job
    #: sends it once per date; a date moved later or earlier is reminded again).
    review_reminded_for = models.DateField(null=True, blank=True, editable=False)
    validated_at = models.DateTimeField("validé le", null=True, blank=True)
    validated_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                     null=True, blank=True, related_name="+",
                                     verbose_name="validé par")

    class Meta:
        verbose_name = "version du plan"
        ordering = ["-number"]
        constraints = [
            models.UniqueConstraint(fields=["plan", "number"], name="careplan_version_number"),
            models.UniqueConstraint(fields=["plan"], condition=Q(status="draft"),
                                    name="careplan_one_draft"),
        ]
        indexes = [models.Index(fields=["crt", "status", "next_review_on"],
                                name="careplan_review")]

    def __str__(self) -> str:
        return f"Version {self.number} ({'validée' if self.is_validated else 'brouillon'})"

    @property
    def is_validated(self) -> bool:
        return self.status == self.Status.VALIDATED


class Problem(TenantModel):
    version = models.ForeignKey(CarePlanVersion, on_delete=models.CASCADE,
                                related_name="problems")
    description = models.CharField("problème", max_length=300)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["position", "id"]

    def __str__(self) -> str:
        return self.description


class Goal(TenantModel):
    class Status(models.TextChoices):
        PLANNED = "planned", "À engager"
        IN_PROGRESS = "in_progress", "En cours"
        ACHIEVED = "achieved", "Atteint"
        PARTIALLY_ACHIEVED = "partial", "Partiellement atteint"
        ABANDONED = "abandoned", "Abandonné"

    version = models.ForeignKey(CarePlanVersion, on_delete=models.CASCADE,
                                related_name="goals")
    description = models.CharField("objectif", max_length=300)
    target_date = models.DateField("échéance", null=True, blank=True)
    status = models.CharField("état", max_length=12, choices=Status, default=Status.PLANNED)
    position = models.PositiveSmallIntegerField(default=0)
    #: Optimistic locking of status changes (``version`` names the plan version here).
    row_version = models.PositiveIntegerField(default=1, editable=False)

    class Meta:
        ordering = ["position", "id"]

    def __str__(self) -> str:
        return self.description


class GoalStatusChange(TenantModel):
    """One change of a goal's status during the life of a validated plan (no new version): kept
    as the goal's history, copied with the goal into the next version."""

    goal = models.ForeignKey(Goal, on_delete=models.CASCADE, related_name="status_changes")
    old_status = models.CharField("ancien état", max_length=12, choices=Goal.Status)
    new_status = models.CharField("nouvel état", max_length=12, choices=Goal.Status)
    changed_on = models.DateField("date du constat")
    comment = models.TextField("commentaire", blank=True)
    changed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                   related_name="+", verbose_name="par")
    #: When this row was recorded (``created_at`` of a copy is the copy's time).
    changed_at = models.DateTimeField("enregistré le", default=timezone.now)

    class Meta:
        verbose_name = "changement d'état d'un objectif"
        ordering = ["changed_on", "changed_at", "id"]
        indexes = [models.Index(fields=["goal", "changed_on"], name="goal_status_history")]

    def __str__(self) -> str:
        return f"{self.get_old_status_display()} → {self.get_new_status_display()}"


class PlannedAction(TenantModel):
    version = models.ForeignKey(CarePlanVersion, on_delete=models.CASCADE,
                                related_name="actions")
    domain = models.ForeignKey(Domain, on_delete=models.PROTECT, related_name="+",
                               verbose_name="domaine")
    service = models.ForeignKey(Service, on_delete=models.PROTECT, null=True, blank=True,
                                related_name="+", verbose_name="prestation")
    description = models.CharField("action", max_length=300)
    staff = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True,
                              blank=True, related_name="+", verbose_name="membre de l'équipe")
    professional = models.ForeignKey(Professional, on_delete=models.PROTECT, null=True,
                                     blank=True, related_name="+",
                                     verbose_name="professionnel partenaire")
    frequency = models.CharField("fréquence", max_length=120, blank=True)
    start_date = models.DateField("début", null=True, blank=True)
    end_date = models.DateField("fin", null=True, blank=True)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["domain__position", "position", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(staff__isnull=True) | Q(professional__isnull=True),
                name="action_one_actor",
            ),
        ]

    def __str__(self) -> str:
        return self.description

    @property
    def who(self) -> str:
        if self.staff_id:
            return self.staff.get_full_name()
        if self.professional_id:
            return f"{self.professional.first_name} {self.professional.last_name}".strip()
        return "—"


class LiaisonNote(TenantModel):
    """The liaison notebook (transmissions) of one person."""

    class Category(models.TextChoices):
        GENERAL = "general", "Général"
        CARE = "care", "Soins"
        MEDICATION = "medication", "Administration des médicaments"
        MEALS = "meals", "Repas, hydratation"
        MOOD = "mood", "Humeur, comportement"
        FALL = "fall", "Chute"
        ELIMINATION = "elimination", "Élimination"
        SLEEP = "sleep", "Sommeil"
        OTHER = "other", "Autre"

    class Visibility(models.TextChoices):
        TEAM = "team", "Cercle de soins"
        HEALTH = "health", "Professionnels de santé seulement"
        CAREGIVER = "caregiver", "Cercle de soins et aidant"

    beneficiary = models.ForeignKey(Beneficiary, on_delete=models.CASCADE,
                                    related_name="liaison_notes")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                               related_name="+", verbose_name="auteur")
    author_role = models.CharField("rôle de l'auteur", max_length=120, blank=True)
    category = models.CharField("catégorie", max_length=12, choices=Category,
                                default=Category.GENERAL)
    visibility = models.CharField("visible par", max_length=10, choices=Visibility,
                                  default=Visibility.TEAM)
    text = models.TextField("transmission")

    class Meta:
        verbose_name = "transmission"
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["crt", "beneficiary", "-created_at"],
                                name="note_benef_time")]

    def __str__(self) -> str:
        return self.text[:60]


class LiaisonNoteRead(models.Model):
    note = models.ForeignKey(LiaisonNote, on_delete=models.CASCADE, related_name="reads")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                             related_name="+")
    read_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["note", "user"], name="note_read_once")]

    def __str__(self) -> str:
        return f"{self.user} a lu « {self.note} »"


class Alert(TenantModel, VersionedModel):
    class Kind(models.TextChoices):
        FALL = "fall", "Chute"
        WEIGHT_LOSS = "weight_loss", "Perte de poids / dénutrition"
        BEHAVIOUR = "behaviour", "Changement de comportement"
        HOSPITALISATION = "hospitalisation", "Hospitalisation"
        CAREGIVER_EXHAUSTION = "caregiver_exhaustion", "Épuisement de l'aidant"
        EQUIPMENT = "equipment", "Panne d'équipement"
        MISSED_VISIT = "missed_visit", "Passage non réalisé"
        VITAL_SIGN = "vital_sign", "Constante hors seuil"
        OTHER = "other", "Autre"

    class Severity(models.TextChoices):
        LOW = "low", "Faible"
        MEDIUM = "medium", "Modérée"
        HIGH = "high", "Élevée"
        CRITICAL = "critical", "Critique"

    class Status(models.TextChoices):
        OPEN = "open", "Ouverte"
        ACKNOWLEDGED = "acknowledged", "Prise en charge"
        RESOLVED = "resolved", "Résolue"

    beneficiary = models.ForeignKey(Beneficiary, on_delete=models.CASCADE,
                                    related_name="alerts")
    kind = models.CharField("type", max_length=25, choices=Kind)
    severity = models.CharField("gravité", max_length=10, choices=Severity,
                                default=Severity.MEDIUM)
    description = models.TextField("description")
    raised_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True,
                                  blank=True, related_name="+", verbose_name="signalée par")
    assignee = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True,
                                 blank=True, related_name="+", verbose_name="confiée à")
    status = models.CharField("état", max_length=12, choices=Status, default=Status.OPEN)
    acknowledged_at = models.DateTimeField("prise en charge le", null=True, blank=True)
    acknowledged_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                        null=True, blank=True, related_name="+")
    resolved_at = models.DateTimeField("résolue le", null=True, blank=True)
    resolved_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                    null=True, blank=True, related_name="+")
    outcome = models.TextField("suites données", blank=True)
    #: The measure or fall event that raised it (telemonitoring, thresholds): one alert per
    #: measure, whatever the number of times it is posted; one more only when a correction
    #: takes it out of range again after its alert was resolved (``vitals.vital_sign_update``),
    #: never two unresolved at once.
    vital_sign = models.ForeignKey("beneficiaries.VitalSign", on_delete=models.SET_NULL,
                                   null=True, blank=True, related_name="alerts",
                                   verbose_name="mesure")

    class Meta:
        verbose_name = "alerte"
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["crt", "status", "-created_at"], name="alert_open")]
        constraints = [models.UniqueConstraint(
            fields=["vital_sign"], condition=Q(vital_sign__isnull=False) & ~Q(status="resolved"),
            name="alert_one_unresolved_per_measure")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} — {self.beneficiary.display_name}"


class Conversation(TenantModel):
    """The conversation of one person's care team (FHIR Communication), and, when a health
    professional opened it, the separate thread of the health professionals of that team."""

    class Kind(models.TextChoices):
        TEAM = "team", "Cercle de soins"
        HEALTH = "health", "Professionnels de santé"

    #: How each thread is named in URLs.
    SLUGS = {"equipe": Kind.TEAM, "sante": Kind.HEALTH}

    beneficiary = models.ForeignKey(Beneficiary, on_delete=models.CASCADE,
                                    related_name="conversations")
    kind = models.CharField("fil", max_length=10, choices=Kind, default=Kind.TEAM)
    last_message_at = models.DateTimeField("dernier message", null=True, blank=True)

    class Meta:
        verbose_name = "conversation"
        constraints = [models.UniqueConstraint(fields=["beneficiary", "kind"],
                                               name="conversation_one_per_kind")]
        indexes = [models.Index(fields=["crt", "-last_message_at"],
                                name="conversation_activity")]

    def __str__(self) -> str:
        return f"Conversation ({self.get_kind_display().lower()})"

    @classmethod
    def slug_for(cls, kind: str) -> str:
        return next(s for s, k in cls.SLUGS.items() if k == kind)

    @property
    def slug(self) -> str:
        return self.slug_for(self.kind)


def attachment_path(instance, filename: str) -> str:
    return f"messages/{instance.crt.public_id}/{instance.public_id}"


class Message(TenantModel):
    conversation = models.ForeignKey(Conversation, on_delete=models.CASCADE,
                                     related_name="messages")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                               related_name="+", verbose_name="auteur")
    author_role = models.CharField("rôle de l'auteur", max_length=120, blank=True)
    text = models.TextField("message")
    attachment = models.FileField("pièce jointe", upload_to=attachment_path, blank=True)
    attachment_name = models.CharField("nom du fichier", max_length=200, blank=True)
    attachment_type = models.CharField("type du fichier", max_length=100, blank=True)
    attachment_size = models.PositiveIntegerField("taille (octets)", null=True, blank=True)
    mentions = models.ManyToManyField(settings.AUTH_USER_MODEL, related_name="+", blank=True,
                                      verbose_name="personnes mentionnées")

    class Meta:
        verbose_name = "message"
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["conversation", "created_at"], name="message_thread")]

    def __str__(self) -> str:
        # Neutral on purpose: this label goes to the audit trail, the text may be health data.
        return f"Message {self.public_id}"


class ConversationRead(models.Model):
    """Where one reader stopped in a thread: later messages are unread for them. A row also
    means the reader follows the thread (it shows in their conversations)."""

    conversation = models.ForeignKey(Conversation, on_delete=models.CASCADE,
                                     related_name="reads")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                             related_name="+")
    last_read_at = models.DateTimeField("lu jusqu'au")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "conversation"],
                                               name="conversation_read_once")]

    def __str__(self) -> str:
        return f"{self.user} a lu {self.conversation} jusqu'au {self.last_read_at}"


class TelehealthAct(TenantModel):
    """An accompanied teleconsultation, a tele-expertise or a telecare act (SPEC §4.3), for a
    volet 2 beneficiary (``beneficiary``) or an older person of the territory known through
    volet 1 (``attendee``, a light record): exactly one of the two. Who asked for it and whom
    the staff who carried it out works for feed V1-03 (acts done or accompanied by staff of
    the carrier or of a partner EHPAD)."""

    class Kind(models.TextChoices):
        TELECONSULTATION = "teleconsultation", "Téléconsultation accompagnée"
        TELEEXPERTISE = "teleexpertise", "Téléexpertise"
        TELECARE = "telecare", "Télésoin"

    class Requester(models.TextChoices):
        ATTENDING_DOCTOR = "attending_doctor", "Médecin traitant"
        PERSON = "person", "La personne ou son aidant"
        CRT_TEAM = "crt_team", "Équipe du CRT"
        HEALTH_FACILITY = "health_facility", "Établissement de santé"
        OTHER = "other", "Autre"

    class PerformerEmployer(models.TextChoices):
        """Whom the staff who carried out or accompanied the act works for (V1-03)."""

        CARRIER = "carrier", "La structure porteuse du CRT (EHPAD ou SAD)"
        PARTNER_EHPAD = "partner_ehpad", "Un EHPAD partenaire"
        OTHER = "other", "Autre"

    beneficiary = models.ForeignKey(Beneficiary, on_delete=models.CASCADE, null=True,
                                    blank=True, related_name="telehealth_acts",
                                    verbose_name="bénéficiaire du volet 2")
    attendee = models.ForeignKey("outreach.Attendee", on_delete=models.PROTECT, null=True,
                                 blank=True, related_name="telehealth_acts",
                                 verbose_name="personne âgée du territoire (volet 1)")
    # Blank only on the acts recorded before these two questions were asked (« non
    # renseigné »); the service requires them for every new act.
    requester = models.CharField("demandé par", max_length=20, choices=Requester, blank=True)
    requester_detail = models.CharField("précision sur le demandeur", max_length=200,
                                        blank=True)
    performer_employer = models.CharField("employeur de la personne qui a réalisé ou "
                                          "accompagné l'acte", max_length=15,
                                          choices=PerformerEmployer, blank=True)
    kind = models.CharField("type d'acte", max_length=20, choices=Kind)
    performed_at = models.DateTimeField("date et heure")
    staff = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                              related_name="+", verbose_name="accompagné par (équipe du CRT)")
    professional = models.ForeignKey(Professional, on_delete=models.PROTECT, null=True,
                                     blank=True, related_name="+",
                                     verbose_name="professionnel à distance (annuaire)")
    professional_name = models.CharField("ou professionnel à distance (hors annuaire)",
                                         max_length=200, blank=True)
    reason = models.TextField("motif")
    outcome = models.TextField("résultat et suites")
    notes = models.TextField("remarques", blank=True)

    class Meta:
        verbose_name = "acte de télésanté"
        verbose_name_plural = "actes de télésanté"
        ordering = ["-performed_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(professional__isnull=True) | Q(professional_name=""),
                name="telehealth_one_professional",
            ),
            models.CheckConstraint(
                condition=(Q(beneficiary__isnull=False, attendee__isnull=True)
                           | Q(beneficiary__isnull=True, attendee__isnull=False)),
                name="telehealth_one_person",
                violation_error_message="Un acte de télésanté concerne une seule personne : "
                                        "un bénéficiaire du volet 2 ou une personne âgée du "
                                        "territoire (volet 1).",
            ),
        ]
        indexes = [
            models.Index(fields=["crt", "beneficiary", "-performed_at"],
                         name="telehealth_benef_time"),
            models.Index(fields=["crt", "attendee", "-performed_at"],
                         name="telehealth_attendee_time"),
            models.Index(fields=["crt", "performed_at"], name="telehealth_crt_time"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} du {timezone.localtime(self.performed_at):%d/%m/%Y}"

    @property
    def remote_professional(self) -> str:
        if self.professional_id:
            p = self.professional
            return f"{p.first_name} {p.last_name}".strip() + f" ({p.get_profession_display()})"
        return self.professional_name or "—"

    @property
    def person(self):
        """The volet 2 beneficiary or the volet 1 older person the act is about."""
        return self.beneficiary if self.beneficiary_id else self.attendee

    @property
    def requester_label(self) -> str:
        if not self.requester:
            return "Non renseigné"
        label = self.get_requester_display()
        return f"{label} ({self.requester_detail})" if self.requester_detail else label


class UnreadCounter(models.Model):
    """The unread-messages badge of one user in one CRT, stored: the navigation reads this one
    row on every page instead of evaluating the file policy over the threads the user follows.

    ``selectors.unread_message_count`` stays the rule; ``services.unread`` maintains this count
    in the transaction of each change that moves it and repairs it every night."""

    crt = models.ForeignKey("core.Crt", on_delete=models.CASCADE, related_name="+")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                             related_name="+")
    count = models.PositiveIntegerField("messages non lus", default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "crt"],
                                               name="unread_counter_once")]

    def __str__(self) -> str:
        return f"{self.user} : {count_label(self.count, 'message non lu,messages non lus')}"


class PrescriptionRequest(TenantModel, VersionedModel):
    """A request to the person's GP for a prescription (renewal of the nursing care, medical
    equipment, a blood test…), sent as a structured letter by MSSanté and followed until the
    answer arrives: the answer (a document from the GP's secure mailbox, matched by the thread
    or the reference in its subject) is attached to the file and closes the request; reminders
    go out after ``settings.PRESCRIPTION_REMINDER_DAYS`` days without an answer."""

    class Kind(models.TextChoices):
        NURSING_CARE = "nursing_care", "Renouvellement des soins infirmiers"
        MEDICATION = "medication", "Renouvellement de traitement"
        EQUIPMENT = "equipment", "Matériel médical ou aide technique"
        BIOLOGY = "biology", "Examens de biologie"
        OTHER = "other", "Autre prescription"

    class Status(models.TextChoices):
        SENT = "sent", "Envoyée, en attente de réponse"
        ANSWERED = "answered", "Réponse reçue"
        CANCELLED = "cancelled", "Annulée"

    beneficiary = models.ForeignKey(Beneficiary, on_delete=models.CASCADE,
                                    related_name="prescription_requests")
    kind = models.CharField("objet de la demande", max_length=20, choices=Kind)
    details = models.TextField("ce qui est demandé")
    context = models.TextField("éléments cliniques utiles", blank=True)
    gp = models.ForeignKey(Professional, on_delete=models.PROTECT, related_name="+",
                           verbose_name="médecin traitant")
    #: The GP's MSSanté address when the request left (the directory may change later).
    gp_address = models.EmailField("adresse MSSanté du médecin")
    status = models.CharField("état", max_length=10, choices=Status, default=Status.SENT)
    #: The outbox message of the request (its Message-ID threads the GP's answer).
    message = models.ForeignKey("core.OutboxMessage", on_delete=models.SET_NULL, null=True,
                                blank=True, related_name="+")
    reminders = models.PositiveSmallIntegerField("relances", default=0)
    last_sent_at = models.DateTimeField("dernier envoi", default=timezone.now)
    answered_at = models.DateTimeField("réponse reçue le", null=True, blank=True)
    answer_document = models.ForeignKey("beneficiaries.Document", on_delete=models.SET_NULL,
                                        null=True, blank=True, related_name="+",
                                        verbose_name="réponse")
    cancelled_reason = models.CharField("motif d'annulation", max_length=300, blank=True)

    class Meta:
        verbose_name = "demande de prescription"
        verbose_name_plural = "demandes de prescription"
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["crt", "status", "last_sent_at"],
                                name="prescription_open")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} — {self.reference}"

    @property
    def reference(self) -> str:
        """The short reference written in the subject, found again in the GP's answer."""
        return f"PR-{self.public_id.hex[:8].upper()}"
