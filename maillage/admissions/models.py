"""Volet 2 admissions: referrals and the waiting list, enrolments (file active) and
suspensions (SPEC §4.2, seeds 001 §IV.2.1)."""

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone

from maillage.beneficiaries.models import Beneficiary
from maillage.core.models import TenantModel, VersionedModel
from maillage.core.validators import validate_phone
from maillage.territory.models import Commune, Organization, Professional


class PrioritySituation(models.TextChoices):
    """Admission priorities (001 §IV.2.1), with their weight in the transparent order."""

    HOSPITAL_RETURN = "hospital_return", "Retour d'hospitalisation"
    UNSUITABLE_HOUSING = "unsuitable_housing", "Logement inadapté"
    NO_CAREGIVER_NEARBY = "no_caregiver_nearby", "Absence d'aidant à proximité"
    ISOLATION = "isolation", "Isolement de la personne"
    DAC_REFERRAL = "dac_referral", "Situation orientée par le DAC"


class ReferrerKind(models.TextChoices):
    GP = "gp", "Médecin traitant"
    DAC = "dac", "DAC"
    CPTS = "cpts", "CPTS"
    MSP = "msp", "MSP"
    HAD = "had", "HAD"
    HOSPITAL = "hospital", "Établissement de santé"
    EHPAD = "ehpad", "EHPAD"
    SSIAD = "ssiad", "SSIAD"
    SAD = "sad", "Service autonomie à domicile"
    CCAS = "ccas", "CCAS"
    CLIC = "clic", "CLIC"
    DEPARTMENT = "department", "Travailleur social du Département / équipe APA"
    PERSON = "person", "La personne elle-même"
    CAREGIVER = "caregiver", "Un aidant / un proche"
    OTHER = "other", "Autre"


class Referral(TenantModel, VersionedModel):
    """A referral (signalement / demande d'admission). FHIR ServiceRequest."""

    class Source(models.TextChoices):
        INTERNAL = "internal", "Saisie par l'équipe"
        PUBLIC = "public", "Formulaire public"

    class Status(models.TextChoices):
        RECEIVED = "received", "Reçue, à examiner"
        WAITING = "waiting", "En liste d'attente"
        DECLINED = "declined", "Refusée"
        REDIRECTED = "redirected", "Réorientée"
        ADMITTED = "admitted", "Admise"
        CANCELLED = "cancelled", "Annulée"

    class Urgency(models.TextChoices):
        NORMAL = "normal", "Habituelle"
        URGENT = "urgent", "Urgente"

    source = models.CharField("origine", max_length=10, choices=Source)
    status = models.CharField("statut", max_length=12, choices=Status, default=Status.RECEIVED)
    received_at = models.DateTimeField("reçue le")
    beneficiary = models.ForeignKey(
        Beneficiary, on_delete=models.PROTECT, null=True, blank=True,
        related_name="referrals", verbose_name="dossier",
    )
    # The person, as described by the referrer.
    person_last_name = models.CharField("nom de la personne", max_length=120)
    person_first_name = models.CharField("prénom de la personne", max_length=120)
    person_birth_date = models.DateField("date de naissance", null=True, blank=True)
    person_address = models.CharField("adresse de la personne", max_length=250, blank=True)
    person_commune = models.ForeignKey(
        Commune, on_delete=models.PROTECT, null=True, blank=True, related_name="+",
        verbose_name="commune",
    )
    person_commune_name = models.CharField("commune (saisie libre)", max_length=120, blank=True)
    person_phone = models.CharField("téléphone de la personne", max_length=30, blank=True,
                                    validators=[validate_phone])
    lives_in_institution = models.BooleanField(
        "vit en établissement (EHPAD, USLD)", default=False
    )
    # The referrer.
    referrer_kind = models.CharField("orienté par", max_length=12, choices=ReferrerKind)
    referrer_organization = models.ForeignKey(
        Organization, on_delete=models.PROTECT, null=True, blank=True, related_name="+",
        verbose_name="structure",
    )
    referrer_professional = models.ForeignKey(
        Professional, on_delete=models.PROTECT, null=True, blank=True, related_name="+",
        verbose_name="professionnel",
    )
    referrer_name = models.CharField("nom de la personne qui oriente", max_length=200)
    referrer_email = models.EmailField("courriel de la personne qui oriente", blank=True)
    referrer_phone = models.CharField("téléphone de la personne qui oriente", max_length=30,
                                      blank=True, validators=[validate_phone])
    # The request.
    reason = models.TextField("motif de la demande")
    priority_situations = models.JSONField("situations prioritaires", default=list, blank=True)
    known_gir = models.PositiveSmallIntegerField(
        "GIR connu", null=True, blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(6)],
    )
    urgency = models.CharField("urgence", max_length=6, choices=Urgency, default=Urgency.NORMAL)
    hospital_discharge = models.BooleanField(
        "admission préconisée en sortie d'hospitalisation par un médecin hospitalier",
        default=False,
    )
    person_agrees = models.BooleanField("la personne est d'accord avec la demande", default=False)
    # Review and waiting list.
    decided_at = models.DateTimeField("décidée le", null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
        related_name="+", verbose_name="décision par",
    )
    decision_reason = models.TextField("motif de la décision", blank=True)
    redirected_to = models.ForeignKey(
        Organization, on_delete=models.PROTECT, null=True, blank=True, related_name="+",
        verbose_name="réorientée vers",
    )
    eligibility_warnings = models.JSONField("alertes d'éligibilité", default=list, blank=True)
    eligibility_override = models.TextField("justification de la dérogation", blank=True)
    next_step = models.CharField("prochaine étape", max_length=200, blank=True)
    next_step_owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
        related_name="+", verbose_name="qui s'en charge",
    )
    decision_meeting = models.ForeignKey(
        "organisation.Meeting", on_delete=models.PROTECT, null=True, blank=True,
        related_name="reviewed_referrals", verbose_name="commission d'admission",
        help_text="La commission d'admission qui a examiné la demande (acceptée en liste "
                  "d'attente, refusée ou réorientée).",
    )

    class Meta:
        verbose_name = "demande d'admission"
        verbose_name_plural = "demandes d'admission"
        ordering = ["-received_at"]
        indexes = [
            models.Index(fields=["crt", "status", "received_at"], name="referral_crt_status"),
        ]

    def __str__(self) -> str:
        return f"{self.person_last_name.upper()} {self.person_first_name}"

    @property
    def priority_labels(self) -> list[str]:
        labels = dict(PrioritySituation.choices)
        return [labels[p] for p in self.priority_situations if p in labels]


class Enrolment(TenantModel, VersionedModel):
    """One stay in the volet 2 file active (admission → exit). FHIR EpisodeOfCare."""

    class ExitReason(models.TextChoices):
        LONG_HOSPITALISATION = "long_hospitalisation", "Hospitalisation de plus de 3 mois"
        WISHES_TO_LEAVE = "wishes_to_leave", "La personne souhaite quitter le dispositif"
        INSTITUTION = "institution", "Entrée en EHPAD ou en USLD"
        CRITERIA = "criteria", "Ne répond plus aux critères de prise en charge"
        NO_ADDED_VALUE = "no_added_value", "L'accompagnement n'apporte plus de plus-value"
        DEATH = "death", "Décès"
        MOVED = "moved", "Déménagement hors du territoire"

    beneficiary = models.ForeignKey(
        Beneficiary, on_delete=models.PROTECT, related_name="enrolments"
    )
    referral = models.ForeignKey(
        Referral, on_delete=models.PROTECT, null=True, blank=True, related_name="enrolments"
    )
    admitted_on = models.DateField("admis·e le")
    referent = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+",
        verbose_name="référent·e",
    )
    gir_at_entry = models.PositiveSmallIntegerField(
        "GIR à l'entrée", validators=[MinValueValidator(1), MaxValueValidator(6)]
    )
    emergency_path = models.BooleanField("admission en urgence (sortie d'hospitalisation)",
                                         default=False)
    capacity_justification = models.TextField(
        "justification de l'admission au-delà de la capacité", blank=True)
    ended_on = models.DateField("sortie le", null=True, blank=True)
    exit_reason = models.CharField("motif de sortie", max_length=25, choices=ExitReason,
                                   blank=True)
    exit_destination = models.CharField("destination", max_length=200, blank=True)
    exit_notes = models.TextField("précisions sur la sortie", blank=True)
    exit_doctor_opinion = models.TextField("avis du médecin (sortie liée à la santé)",
                                           blank=True)
    admission_meeting = models.ForeignKey(
        "organisation.Meeting", on_delete=models.PROTECT, null=True, blank=True,
        related_name="admissions", verbose_name="commission d'admission",
        help_text="La commission d'admission qui a pris la décision.",
    )

    class Meta:
        verbose_name = "admission"
        ordering = ["-admitted_on"]
        indexes = [
            models.Index(fields=["crt", "ended_on"], name="enrolment_crt_ended"),
            # The file active sorted by the latest admission.
            models.Index(fields=["crt", "ended_on", "-admitted_on"], name="enrolment_crt_admitted"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["beneficiary"], condition=Q(ended_on__isnull=True),
                name="enrolment_one_open_per_beneficiary",
            ),
            models.CheckConstraint(
                condition=Q(ended_on__isnull=True) | Q(ended_on__gte=models.F("admitted_on")),
                name="enrolment_dates_ordered",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.beneficiary.display_name} — admis·e le {self.admitted_on:%d/%m/%Y}"

    @property
    def is_active(self) -> bool:
        return self.ended_on is None


class AdmissionStep(TenantModel, VersionedModel):
    """One step of the admission procedure of a referral (001 §IV.2.1)."""

    class Kind(models.TextChoices):
        HOME_VISIT = "home_visit", "Visite à domicile d'évaluation"
        MEDICAL_EVALUATION = "medical_evaluation", "Évaluation médicale"
        TEAM_OPINION = "team_opinion", "Avis de l'équipe / commission d'admission"
        PLAN_DRAFTED = "plan_drafted", "Plan d'accompagnement élaboré"
        CONTRACT_SIGNED = "contract_signed", "Contrat d'accompagnement signé"
        AGREEMENT = "agreement", "Accord de la personne ou de son représentant légal"

    class AgreedBy(models.TextChoices):
        PERSON = "person", "La personne elle-même"
        LEGAL_REPRESENTATIVE = "legal_representative", "Son représentant légal"

    class AgreementMethod(models.TextChoices):
        ORAL = "oral", "Oralement"
        WRITTEN = "written", "Par écrit signé"

    class Outcome(models.TextChoices):
        FAVOURABLE = "favourable", "Favorable"
        RESERVED = "reserved", "Favorable avec réserves"
        UNFAVOURABLE = "unfavourable", "Défavorable"

    referral = models.ForeignKey(Referral, on_delete=models.CASCADE, related_name="steps")
    kind = models.CharField("étape", max_length=20, choices=Kind)
    done_on = models.DateField("réalisée le")
    done_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+",
        verbose_name="par",
    )
    outcome = models.CharField("avis", max_length=15, choices=Outcome,
                               default=Outcome.FAVOURABLE)
    notes = models.TextField("observations", blank=True)
    joint_organizations = models.ManyToManyField(
        Organization, blank=True, related_name="+",
        verbose_name="visite conjointe avec",
    )
    gp_associated = models.BooleanField("médecin traitant associé", default=False)
    plan_summary = models.TextField("synthèse du plan d'accompagnement", blank=True)
    care_plan_version = models.ForeignKey(
        "care.CarePlanVersion", on_delete=models.PROTECT, null=True, blank=True,
        related_name="+", verbose_name="plan personnalisé",
    )
    # The agreement step: who agreed (the person or the legal representative named in the
    # file), and how.
    agreed_by = models.CharField("accord donné par", max_length=20, choices=AgreedBy,
                                 blank=True)
    agreed_by_name = models.CharField("nom du représentant légal", max_length=250, blank=True)
    agreement_method = models.CharField("modalité de l'accord", max_length=10,
                                        choices=AgreementMethod, blank=True)
    # The team opinion step: the admission commission that gave it, when one did.
    meeting = models.ForeignKey(
        "organisation.Meeting", on_delete=models.PROTECT, null=True, blank=True,
        related_name="opinions", verbose_name="commission d'admission",
        help_text="La commission d'admission qui a rendu l'avis.",
    )

    class Meta:
        verbose_name = "étape d'admission"
        ordering = ["done_on", "created_at"]
        constraints = [
            models.UniqueConstraint(fields=["referral", "kind"], name="admission_step_once"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} le {self.done_on:%d/%m/%Y}"


def contract_path(instance, filename: str) -> str:
    return f"contracts/{instance.crt.public_id}/{instance.public_id}.pdf"


class Contract(TenantModel):
    """The accompaniment contract (PDF generated from the file); signed on a date."""

    referral = models.ForeignKey(Referral, on_delete=models.PROTECT, related_name="contracts")
    beneficiary = models.ForeignKey(Beneficiary, on_delete=models.PROTECT,
                                    related_name="contracts")
    optional_services = models.JSONField("prestations optionnelles", default=list, blank=True)
    file = models.FileField("contrat (PDF)", upload_to=contract_path)
    signed_on = models.DateField("signé le", null=True, blank=True)

    class Meta:
        verbose_name = "contrat d'accompagnement"
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"Contrat du {timezone.localtime(self.created_at):%d/%m/%Y}"


class Suspension(TenantModel, VersionedModel):
    """A temporary exit: hospitalisation, temporary room, a stay elsewhere, holidays, respite,
    other. The person's visits are suspended from ``start_date`` and resume on ``end_date``
    (the day of return home)."""

    class Kind(models.TextChoices):
        HOSPITALISATION = "hospitalisation", "Hospitalisation"
        TEMPORARY_ROOM = "temporary_room", "Séjour en chambre d'urgence / hébergement temporaire"
        STAY_ELSEWHERE = "stay_elsewhere", "Séjour chez un proche ou ailleurs"
        HOLIDAYS = "holidays", "Vacances"
        RESPITE = "respite", "Séjour de répit (hébergement temporaire d'un partenaire)"
        OTHER = "other", "Autre"

    enrolment = models.ForeignKey(Enrolment, on_delete=models.CASCADE,
                                  related_name="suspensions")
    kind = models.CharField("type", max_length=20, choices=Kind)
    start_date = models.DateField("du")
    end_date = models.DateField("au", null=True, blank=True)
    place = models.CharField("lieu (établissement, service)", max_length=200, blank=True)
    reason = models.TextField("motif")

    class Meta:
        verbose_name = "sortie temporaire"
        ordering = ["-start_date"]
        indexes = [
            # The file active's correlated probes (forfait-months, exit going on today): the
            # enrolment fixes the tenant; covering, so that they read the index only.
            models.Index(fields=["enrolment", "start_date", "end_date"],
                         name="suspension_enrolment_dates"),
            # The year's temporary-exit figures: exits begun or ended in a period.
            models.Index(fields=["crt", "start_date"], name="suspension_crt_start"),
            models.Index(fields=["crt", "end_date"], name="suspension_crt_end"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(end_date__isnull=True) | Q(end_date__gte=models.F("start_date")),
                name="suspension_dates_ordered",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} depuis le {self.start_date:%d/%m/%Y}"


class ForfaitMonth(models.Model):
    """A calendar month that counts for the forfait of one enrolment (the rule of
    ``periods.py``), stored so that the file active reads its months and totals from an index
    instead of evaluating the rule for every enrolment. Derived data: written only by
    ``forfait.forfait_months_refresh`` (called by every service that changes what the rule
    depends on — admission, exit, temporary exits — and daily by ``tasks.forfait_months_daily``
    as time moves on); never edited by hand."""

    # The crt and enrolment lead the two indexes below: no separate index on them.
    crt = models.ForeignKey("core.Crt", on_delete=models.CASCADE, related_name="+",
                            db_index=False)
    enrolment = models.ForeignKey(Enrolment, on_delete=models.CASCADE,
                                  related_name="forfait_months", db_index=False)
    beneficiary = models.ForeignKey(Beneficiary, on_delete=models.CASCADE, related_name="+")
    month = models.DateField("mois (premier jour)")

    class Meta:
        verbose_name = "mois-forfait"
        constraints = [
            # Also the index of the file active's per-enrolment counts (index-only).
            models.UniqueConstraint(fields=["enrolment", "month"], name="forfait_month_once"),
        ]
        indexes = [
            # The CRT's months over a period (reports): tenant first.
            models.Index(fields=["crt", "month"], name="forfait_month_crt_month"),
        ]

    def __str__(self) -> str:
        return f"{self.month:%m/%Y}"
