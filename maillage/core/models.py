"""Tenancy (Crt), users, memberships and roles, the base of every domain model, the audit trail."""

import uuid
from decimal import Decimal

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.utils import timezone

from .collation import french
from .roles import Role
from .validators import (
    validate_department,
    validate_finess,
    validate_phone,
    validate_postal_code,
    validate_psc_identifier,
)


class User(AbstractUser):
    """A person who logs in. What they may reach depends only on their memberships."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    phone = models.CharField("téléphone", max_length=30, blank=True, validators=[validate_phone])
    profession = models.CharField("profession / fonction", max_length=120, blank=True)
    notify_by_email = models.BooleanField("recevoir aussi les alertes par courriel",
                                          default=False)
    #: The RPPS (11 digits) or ADELI (9 digits) number the coordination entered for this
    #: person: the first Pro Santé Connect login with that professional identity links the
    #: account (``psc_sub``). Never filled from PSC itself (PSC never creates or claims an
    #: account on its own).
    psc_identifier = models.CharField(
        "numéro RPPS ou ADELI (Pro Santé Connect)", max_length=11, blank=True,
        validators=[validate_psc_identifier],
        help_text="Permet à la personne de se connecter avec Pro Santé Connect (carte CPS ou "
                  "application e-CPS).")
    #: The PSC ``sub`` seen at the first PSC login with ``psc_identifier``; a later login with
    #: the same number but another ``sub`` is refused. Emptied when the number changes.
    psc_sub = models.CharField("identifiant technique Pro Santé Connect", max_length=255,
                               blank=True, editable=False)
    psc_linked_at = models.DateTimeField("rattaché à Pro Santé Connect le", null=True,
                                         blank=True, editable=False)

    class Meta:
        verbose_name = "utilisateur"
        verbose_name_plural = "utilisateurs"
        constraints = [
            models.UniqueConstraint(fields=["psc_identifier"],
                                    condition=~models.Q(psc_identifier=""),
                                    name="user_unique_psc_identifier"),
            models.UniqueConstraint(fields=["psc_sub"], condition=~models.Q(psc_sub=""),
                                    name="user_unique_psc_sub"),
        ]

    def __str__(self) -> str:
        return self.get_full_name() or self.username


class Region(models.Model):
    """An administrative region (its ARS): groups CRTs. An ARS user belongs to a region, not
    to a CRT (``RegionMembership``), and reads only aggregates of the region's CRTs."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    name = models.CharField("nom", max_length=100, unique=True)
    #: The INSEE code of the region (« 52 » Pays de la Loire, « 76 » Occitanie…): the URL of
    #: the regional view names the region by it.
    code = models.CharField(
        "code INSEE de la région", max_length=2, unique=True,
        validators=[RegexValidator(r"^\d{2}$", "Le code INSEE d'une région a deux chiffres.")])

    class Meta:
        verbose_name = "région"
        ordering = [french("name")]

    def __str__(self) -> str:
        return self.name


class Crt(models.Model):
    """The tenant: one Centre de Ressources Territorial. Every domain record belongs to one."""

    class CarrierType(models.TextChoices):
        EHPAD = "ehpad", "EHPAD"
        SSIAD = "ssiad", "SSIAD"
        SAD = "sad", "Service autonomie à domicile (SAD)"

    class OrganisationalModel(models.TextChoices):
        INTEGRATED = "integrated", "Intégré (le porteur réalise les prestations)"
        PARTNERSHIP = "partnership", "Partenarial (avec des structures partenaires)"

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    name = models.CharField("nom", max_length=150, unique=True)
    carrier_type = models.CharField("type de porteur", max_length=10, choices=CarrierType)
    carrier_name = models.CharField("structure porteuse", max_length=200, blank=True)
    finess = models.CharField(
        "FINESS", max_length=9, unique=True, validators=[validate_finess]
    )
    department = models.CharField(
        "département", max_length=3, validators=[validate_department]
    )
    organisational_model = models.CharField(
        "modèle d'organisation", max_length=12, choices=OrganisationalModel
    )
    base_address = models.CharField("adresse du site", max_length=250)
    base_postal_code = models.CharField(
        "code postal", max_length=5, validators=[validate_postal_code]
    )
    base_city = models.CharField("commune du site", max_length=120)
    phone = models.CharField("numéro unique", max_length=30, blank=True,
                             validators=[validate_phone])
    email = models.EmailField("adresse électronique", blank=True)
    annual_allocation = models.DecimalField(
        "dotation annuelle (€)",
        max_digits=12,
        decimal_places=2,
        default=Decimal("400000.00"),
        validators=[MinValueValidator(Decimal("0"))],
    )
    file_active_target = models.PositiveIntegerField("cible de file active", default=30)
    #: The file active is a target of at least 30 (cahier des charges); the number of places is
    #: what the team can accompany: an admission beyond it asks a written justification.
    places = models.PositiveIntegerField(
        "nombre de places", default=40, validators=[MinValueValidator(1)],
        help_text="Personnes que l'équipe peut accompagner en même temps ; au-delà, la décision "
                  "d'admission demande une justification.")
    max_travel_minutes = models.PositiveSmallIntegerField(
        "trajet maximal pour le volet 2 (minutes)",
        default=35,
        help_text="Au-delà, l'astreinte ne peut pas intervenir à temps (critère d'éligibilité).",
    )
    plan_review_months = models.PositiveSmallIntegerField(
        "délai de révision des plans (mois)",
        default=6,
        validators=[MinValueValidator(1), MaxValueValidator(12)],
        help_text="À la validation d'un plan personnalisé, sa prochaine révision est fixée à ce "
                  "délai (6 mois par défaut), sauf date plus proche choisie dans le plan.",
    )
    opened_on = models.DateField("date d'ouverture", null=True, blank=True)
    #: The region whose ARS follows the CRT (its regional view); none until it is set.
    region = models.ForeignKey(Region, on_delete=models.PROTECT, null=True, blank=True,
                               related_name="crts", verbose_name="région")
    is_active = models.BooleanField("actif", default=True)
    #: Optimistic locking of the settings page (``core.services.crt_settings_update``).
    version = models.PositiveIntegerField(default=1, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "CRT"
        verbose_name_plural = "CRT"
        ordering = [french("name")]

    def __str__(self) -> str:
        return self.name


class Membership(models.Model):
    """A user's access to one CRT. Roles hang off it (several allowed)."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="memberships"
    )
    crt = models.ForeignKey(Crt, on_delete=models.PROTECT, related_name="memberships")
    title = models.CharField("fonction dans le CRT", max_length=120, blank=True)
    is_active = models.BooleanField("active", default=True)
    #: Optimistic locking of the roles page (``core.services.member_update_roles``).
    version = models.PositiveIntegerField(default=1, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "appartenance"
        constraints = [
            models.UniqueConstraint(fields=["user", "crt"], name="membership_unique_user_crt")
        ]
        indexes = [models.Index(fields=["crt", "is_active"], name="membership_crt_active")]

    def __str__(self) -> str:
        return f"{self.user} @ {self.crt}"


class RegionMembership(models.Model):
    """A user's access to a region's aggregated view (an ARS agent): no CRT membership, no
    role in any CRT, aggregates of the region's CRTs only (``maillage.regional``)."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                             related_name="region_memberships")
    region = models.ForeignKey(Region, on_delete=models.PROTECT, related_name="memberships")
    title = models.CharField("fonction", max_length=120, blank=True)
    is_active = models.BooleanField("active", default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "accès à une région"
        constraints = [models.UniqueConstraint(fields=["user", "region"],
                                               name="region_membership_unique_user_region")]

    def __str__(self) -> str:
        return f"{self.user} @ {self.region}"


class MembershipRole(models.Model):
    membership = models.ForeignKey(Membership, on_delete=models.CASCADE, related_name="roles")
    role = models.CharField("rôle", max_length=30, choices=Role)

    class Meta:
        verbose_name = "rôle"
        constraints = [
            models.UniqueConstraint(fields=["membership", "role"], name="membership_role_unique")
        ]

    def __str__(self) -> str:
        return self.get_role_display()


class TenantModel(models.Model):
    """Base of every domain model: belongs to a CRT, public UUID, who/when created and updated."""

    crt = models.ForeignKey(Crt, on_delete=models.PROTECT, related_name="+", verbose_name="CRT")
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    created_at = models.DateTimeField("créé le", auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="créé par",
    )
    updated_at = models.DateTimeField("modifié le", auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="modifié par",
    )

    class Meta:
        abstract = True


class VersionedModel(models.Model):
    """Editable aggregates carry a version; services refuse a stale one (optimistic locking)."""

    version = models.PositiveIntegerField(default=1, editable=False)

    class Meta:
        abstract = True


class AuditEventQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise PermissionError("Le journal d'audit ne peut pas être modifié.")

    def delete(self):
        raise PermissionError("Le journal d'audit ne peut pas être supprimé.")

    def bulk_update(self, *args, **kwargs):
        raise PermissionError("Le journal d'audit ne peut pas être modifié.")


class AuditEvent(models.Model):
    """One trace of who did or read what. Append-only: the model, the ORM and the database refuse
    updates and deletes on both databases (and TRUNCATE on PostgreSQL, where the application's
    role may only read and append: ``maillage db_app_role``); no view offers either."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    occurred_at = models.DateTimeField("date", db_index=True)
    crt = models.ForeignKey(
        Crt, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="auteur",
    )
    actor_label = models.CharField("auteur (au moment de l'action)", max_length=200, blank=True)
    roles = models.CharField("rôles", max_length=200, blank=True)
    action = models.CharField("action", max_length=80)
    object_type = models.CharField("type d'objet", max_length=80, blank=True)
    object_id = models.CharField("identifiant de l'objet", max_length=64, blank=True)
    object_label = models.CharField("objet", max_length=200, blank=True)
    beneficiary_public_id = models.UUIDField("bénéficiaire", null=True, blank=True)
    ip_address = models.GenericIPAddressField("adresse IP", null=True, blank=True)
    user_agent = models.CharField("navigateur", max_length=300, blank=True)
    reason = models.TextField("motif", blank=True)
    is_emergency_access = models.BooleanField("accès d'urgence (bris de glace)", default=False)
    details = models.JSONField("détails", default=dict, blank=True)

    objects = AuditEventQuerySet.as_manager()

    class Meta:
        verbose_name = "événement d'audit"
        verbose_name_plural = "journal d'audit"
        ordering = ["-occurred_at", "-id"]
        # The list reads by keyset on (occurred_at, id), newest first, within one CRT: every
        # index starts with the tenant, then each filter, then the time and the id.
        indexes = [
            models.Index(fields=["crt", "-occurred_at", "-id"], name="audit_crt_time_id"),
            models.Index(fields=["crt", "actor", "-occurred_at", "-id"],
                         name="audit_crt_actor_time_id"),
            models.Index(fields=["crt", "action", "-occurred_at", "-id"],
                         name="audit_crt_action_time_id"),
            models.Index(fields=["crt", "beneficiary_public_id", "-occurred_at", "-id"],
                         name="audit_crt_benef_time_id"),
            models.Index(fields=["crt", "-occurred_at", "-id"],
                         condition=models.Q(is_emergency_access=True),
                         name="audit_crt_emergency_time_id"),
        ]

    def __str__(self) -> str:
        when = timezone.localtime(self.occurred_at)
        return f"{when:%d/%m/%Y %H:%M} {self.actor_label} {self.action}"

    def save(self, *args, **kwargs):
        if self.pk is not None or not self._state.adding:
            raise PermissionError("Le journal d'audit ne peut pas être modifié.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise PermissionError("Le journal d'audit ne peut pas être supprimé.")

    @property
    def action_label(self) -> str:
        """The action in French, as declared by the app that owns it."""
        from .audit import action_label

        return action_label(self.action)

    @property
    def roles_label(self) -> str:
        """The roles held at the time of the action, in French."""
        from .roles import role_labels

        return role_labels(self.roles)


class Notification(models.Model):
    """An in-app notice to one user (alert raised, mention…); emailed too when the user wants."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    crt = models.ForeignKey(Crt, on_delete=models.CASCADE, related_name="+")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                             related_name="notifications")
    created_at = models.DateTimeField(auto_now_add=True)
    text = models.CharField("message", max_length=300)
    url = models.CharField("lien", max_length=300, blank=True)
    read_at = models.DateTimeField("lu le", null=True, blank=True)
    #: The person it is about (a public id: core holds no link to a domain app), and the face
    #: of their file it tells of (empty: any); shown only while the user may see it
    #: (``core.notifications``).
    beneficiary_public_id = models.UUIDField("personne concernée", null=True, blank=True)
    face = models.CharField("partie du dossier", max_length=20, blank=True)

    class Meta:
        verbose_name = "notification"
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["user", "crt", "read_at"], name="notification_unread")]

    def __str__(self) -> str:
        return self.text


class OutboxMessage(models.Model):
    """A message to someone outside the application (an e-mail today; MSSanté and partner
    notifications later), written in the same transaction as the change that causes it and sent
    by the task queue after commit (``maillage.core.outbox``). The body may carry personal data:
    it is never logged nor put in an audit label."""

    class Kind(models.TextChoices):
        EMAIL = "email", "Courriel"
        #: A secure health message (MSSanté), sent by its own transport (registered by the
        #: interop app, ``core.outbox.register_transport``), never by the e-mail backend.
        MSSANTE = "mssante", "MSSanté"

    class State(models.TextChoices):
        PENDING = "pending", "En attente"
        SENDING = "sending", "En cours d'envoi"
        SENT = "sent", "Envoyé"
        FAILED = "failed", "Échec"

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    crt = models.ForeignKey(Crt, on_delete=models.CASCADE, related_name="+", verbose_name="CRT")
    kind = models.CharField("type", max_length=20, choices=Kind.choices, default=Kind.EMAIL)
    to = models.CharField("destinataire", max_length=254)
    subject = models.CharField("objet", max_length=300)
    body = models.TextField("texte")
    #: Extra headers of the message (e.g. MSSanté's X-MSS-*), the same at every attempt.
    headers = models.JSONField("en-têtes", default=dict, blank=True)
    state = models.CharField("état", max_length=10, choices=State.choices,
                             default=State.PENDING)
    attempts = models.PositiveIntegerField("tentatives", default=0)
    last_error = models.CharField("dernière erreur", max_length=500, blank=True)
    next_attempt_at = models.DateTimeField("prochaine tentative", default=timezone.now)
    #: While ``sending``: after this time the sender is presumed dead and the message is taken
    #: again (a worker killed mid-task).
    lease_until = models.DateTimeField("réservé jusqu'au", null=True, blank=True)
    created_at = models.DateTimeField("créé le", default=timezone.now)
    sent_at = models.DateTimeField("envoyé le", null=True, blank=True)

    class Meta:
        verbose_name = "message sortant"
        verbose_name_plural = "messages sortants"
        indexes = [
            models.Index(fields=["crt", "-created_at", "-id"], name="outbox_crt_recent"),
            models.Index(fields=["state", "next_attempt_at"], name="outbox_due"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.public_id}"

    @property
    def message_id(self) -> str:
        """The Message-ID header: the same for every attempt, so a duplicate is detectable."""
        return f"<{self.public_id}@maillage>"


class OutboxAttachment(models.Model):
    """A file sent with an outbox message, kept with it until it is deleted (the bytes as they
    were when the message was written: every attempt sends the same thing)."""

    message = models.ForeignKey(OutboxMessage, on_delete=models.CASCADE,
                                related_name="attachments")
    filename = models.CharField("nom du fichier", max_length=200)
    content_type = models.CharField("type", max_length=100)
    content = models.BinaryField("contenu")

    class Meta:
        verbose_name = "pièce jointe d'un message sortant"
        ordering = ["pk"]

    def __str__(self) -> str:
        return self.filename


class PeriodicRun(models.Model):
    """One row per periodic task and time slot: the guard that makes two workers (or two
    consumers sharing one queue) run a periodic task once per slot (``maillage.core.queue``)."""

    name = models.CharField(max_length=100)
    slot = models.DateTimeField()
    started_at = models.DateTimeField(default=timezone.now)
    #: How many other runs for the same slot were refused (another worker had it already).
    skipped = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["name", "slot"], name="periodic_run_once")]

    def __str__(self) -> str:
        return f"{self.name} {self.slot:%Y-%m-%d %H:%M}"


class SubmissionKey(models.Model):
    """The one-time key of a create form (``core.submissions``), stored with the page its save
    led to, in the save's transaction: the same page posted again (Back, then « Envoyer »
    again) is answered « Déjà enregistré » and sent there, nothing saved twice. Pruned after
    ``submissions.KEEP_DAYS``; it names no person (a URL of public ids)."""

    key = models.UUIDField()
    crt = models.ForeignKey(Crt, on_delete=models.CASCADE, related_name="+")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                             related_name="+")
    redirect_to = models.CharField(max_length=500)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = "clé d'envoi unique"
        constraints = [models.UniqueConstraint(fields=["key", "crt", "user"],
                                               name="submission_key_once")]

    def __str__(self) -> str:
        return str(self.key)
