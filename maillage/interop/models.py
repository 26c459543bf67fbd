"""API tokens: how a partner system (or a script) calls the FHIR API as one member of a CRT."""

import hashlib

from django.conf import settings
from django.db import models
from django.utils import timezone

from maillage.core.models import Crt, TenantModel, VersionedModel


def hash_secret(secret: str) -> str:
    """The SHA-256 (hex) of a token: the only thing stored. The secret is 256 random bits, so a
    fast hash suffices (no dictionary to slow down) and lets a request find its token by an
    indexed equality on the hash."""
    return hashlib.sha256(secret.encode()).hexdigest()


class ApiTokenQuerySet(models.QuerySet):
    def usable(self, now=None):
        now = now or timezone.now()
        return self.filter(revoked_at__isnull=True, expires_at__gt=now)


class ApiToken(models.Model):
    """A bearer token: acts as ``user`` (a member of ``crt``) with that membership's roles."""

    crt = models.ForeignKey(Crt, on_delete=models.PROTECT, related_name="+", verbose_name="CRT")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="api_tokens",
        verbose_name="compte utilisé",
    )
    name = models.CharField("nom", max_length=120)
    prefix = models.CharField(
        "préfixe", max_length=16, unique=True,
        help_text="Début du jeton, non secret, pour le reconnaître.",
    )
    key_hash = models.CharField("empreinte SHA-256", max_length=64, unique=True, editable=False)
    expires_at = models.DateTimeField("expire le")
    revoked_at = models.DateTimeField("révoqué le", null=True, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
        related_name="+", verbose_name="révoqué par",
    )
    last_used_at = models.DateTimeField("dernière utilisation", null=True, blank=True)
    created_at = models.DateTimeField("créé le", default=timezone.now, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
        related_name="+", verbose_name="créé par",
    )

    objects = ApiTokenQuerySet.as_manager()

    class Meta:
        verbose_name = "jeton d'API"
        verbose_name_plural = "jetons d'API"
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    def is_usable(self, now=None) -> bool:
        now = now or timezone.now()
        return self.revoked_at is None and self.expires_at > now


class RorOfferQuerySet(models.QuerySet):
    def offered(self):
        """The offers the CRT makes today: the home support always, the emergency room while
        the CRT has an available emergency room of its own."""
        from maillage.lodging.models import Room

        rooms = Room.objects.filter(crt=models.OuterRef("crt"), is_active=True,
                                    kind=Room.Kind.CRT_EMERGENCY)
        return self.filter(models.Q(kind=RorOffer.Kind.HOME_SUPPORT)
                           | models.Q(models.Exists(rooms), kind=RorOffer.Kind.EMERGENCY_ROOM))


class RorOffer(TenantModel, VersionedModel):
    """One operational offer of the CRT as the ROR describes it (« offre opérationnelle »,
    FHIR ``HealthcareService``): the volet 2 home support, and the emergency temporary room
    (shown only while the CRT has such a room). Its content is read from the CRT, its
    territory, its on-call arrangement and its rooms (``interop/ror.py``); the row gives the
    offer a persistent id and its creation date (``ror-meta-creation-date``). Made for every
    CRT (``apps.py``, and migration 0002 for the CRTs that existed)."""

    class Kind(models.TextChoices):
        HOME_SUPPORT = "home_support", "Accompagnement renforcé à domicile (volet 2)"
        EMERGENCY_ROOM = "emergency_room", "Chambre d'urgence temporaire"

    kind = models.CharField("offre", max_length=20, choices=Kind)

    objects = RorOfferQuerySet.as_manager()

    class Meta:
        verbose_name = "offre décrite pour le ROR"
        verbose_name_plural = "offres décrites pour le ROR"
        ordering = ["kind"]
        constraints = [models.UniqueConstraint(fields=["crt", "kind"], name="ror_offer_unique")]

    def __str__(self) -> str:
        return self.get_kind_display()


def create_ror_offers(crt: Crt) -> None:
    """Every offer of ``crt`` exists (idempotent)."""
    RorOffer.objects.bulk_create([RorOffer(crt=crt, kind=kind) for kind in RorOffer.Kind],
                                 ignore_conflicts=True)


class MssanteSending(TenantModel):
    """A document of a person's file sent by MSSanté (``interop.mssante``): who sent what to whom,
    and how its message fares in the outbox. The message itself (with ``IHE_XDM.ZIP`` and the
    readable document) is an ``OutboxMessage`` of kind ``mssante``; this row stays when the
    outbox deletes sent messages (``core.outbox.prune``): a deleted message was sent."""

    class RecipientKind(models.TextChoices):
        PROFESSIONAL = "professional", "Professionnel de l'annuaire"
        ORGANIZATION = "organization", "Structure de l'annuaire"
        PATIENT = "patient", "Mon espace santé de la personne"

    class DocumentKind(models.TextChoices):
        DOCUMENT = "document", "Document du dossier"
        DLU = "dlu", "DLU"
        PLAN = "plan", "Plan personnalisé"
        LETTER = "letter", "Courrier (demande de prescription)"

    beneficiary = models.ForeignKey("beneficiaries.Beneficiary", on_delete=models.CASCADE,
                                    related_name="mssante_sendings", verbose_name="personne")
    recipient_kind = models.CharField("destinataire (type)", max_length=15,
                                      choices=RecipientKind)
    recipient_address = models.EmailField("adresse MSSanté")
    recipient_label = models.CharField("destinataire", max_length=250)
    document_kind = models.CharField("document (type)", max_length=10, choices=DocumentKind)
    #: The public id of the document sent (a Document, the EmergencyFile, a CarePlanVersion, a
    #: care.PrescriptionRequest for a letter).
    document_id = models.UUIDField("document (identifiant)")
    document_title = models.CharField("document", max_length=250)
    #: Whether the INS travelled (a qualified identity at the time of sending).
    ins_sent = models.BooleanField("INS transmis", default=False)
    outbox = models.OneToOneField("core.OutboxMessage", on_delete=models.SET_NULL, null=True,
                                  blank=True, related_name="+", verbose_name="message")
    #: The message's ``Message-ID`` (``<outbox public id@maillage>``), kept when the outbox
    #: deletes the sent message: the acknowledgements name it (``mssante_acknowledged``).
    message_id = models.CharField("Message-ID", max_length=100, blank=True, db_index=True)
    #: When the recipient's acknowledgement arrived (``interop.mssante.inbox``: a delivery or
    #: read notification naming this message).
    acknowledged_at = models.DateTimeField("accusé de réception", null=True, blank=True)
    #: A delivery failure reported by the recipient's side (a non-delivery report), in French.
    delivery_error = models.CharField("non remis", max_length=300, blank=True)

    class Meta:
        verbose_name = "envoi MSSanté"
        verbose_name_plural = "envois MSSanté"
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["crt", "beneficiary", "-created_at"],
                                name="mss_sending_file")]

    def __str__(self) -> str:
        return f"Envoi MSSanté {self.public_id}"

    @property
    def state(self) -> str:
        """The outbox state; a message the outbox no longer holds was sent (only sent ones are
        deleted)."""
        return self.outbox.state if self.outbox else "sent"

    @property
    def state_label(self) -> str:
        from maillage.core.models import OutboxMessage

        return {"pending": "En attente", "sending": "En attente"}.get(
            self.state, OutboxMessage.State(self.state).label)


class MssanteIncoming(models.Model):
    """One message read from the CRT's MSSanté mailbox (``interop.mssante.inbox``), recorded
    once by its Message-ID: the poll never handles the same message twice, even when it dies
    between attaching a document and flagging the message as read. What the message said is
    not kept here (its documents go to the file); only where it went."""

    class Outcome(models.TextChoices):
        ATTACHED = "attached", "Rattaché au dossier"
        RECEIPT = "receipt", "Accusé de réception ou avis de non-remise d'un envoi"
        UNMATCHED = "unmatched", "Non reconnu (laissé dans la messagerie)"
        REFUSED = "refused", "Pièce jointe refusée (laissé dans la messagerie)"

    message_id = models.CharField("Message-ID", max_length=300, unique=True)
    received_at = models.DateTimeField("reçu le", default=timezone.now)
    sender = models.CharField("expéditeur", max_length=254, blank=True)
    outcome = models.CharField("suite donnée", max_length=10, choices=Outcome)
    crt = models.ForeignKey(Crt, on_delete=models.CASCADE, null=True, blank=True,
                            related_name="+", verbose_name="CRT")
    #: What it answered (a prescription request's public id), when recognised.
    answers = models.UUIDField("répond à", null=True, blank=True)
    documents = models.PositiveSmallIntegerField("documents rattachés", default=0)
    reason = models.CharField("motif", max_length=300, blank=True)

    class Meta:
        verbose_name = "message MSSanté reçu"
        verbose_name_plural = "messages MSSanté reçus"

    def __str__(self) -> str:
        return f"{self.message_id} ({self.get_outcome_display()})"
