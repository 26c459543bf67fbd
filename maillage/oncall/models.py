"""The 24/7 on-call care service (astreinte soignante, 002 §9 and Annexe 1): the organisation
and its agreements, the rota, the escalation contacts, the call log with call-outs and
escalations, and break-the-glass accesses (SPEC §4.4)."""

from datetime import time

from django.conf import settings
from django.db import models
from django.db.models import Q

from maillage.beneficiaries.models import Beneficiary
from maillage.core.models import TenantModel, VersionedModel
from maillage.core.validators import validate_phone
from maillage.territory.models import Organization
from maillage.visits.models import Actor


class Arrangement(TenantModel, VersionedModel):
    """How the on-call service is organised for a period (002 §9, Annexe 1): internal, or with
    a night nurse shared between partner EHPADs under a written agreement."""

    class Model(models.TextChoices):
        INTERNAL = "internal", "Modèle 1 : AS/ASG et IDE d'astreinte du CRT"
        SHARED_NIGHT_NURSE = "shared_night_nurse", (
            "Modèle 2 : AS/ASG du CRT et IDE de nuit mutualisé entre EHPAD")
        OTHER = "other", "Autre organisation"

    model = models.CharField("modèle d'organisation", max_length=20, choices=Model)
    partner = models.ForeignKey(Organization, on_delete=models.PROTECT, null=True, blank=True,
                                related_name="+", verbose_name="porteur du dispositif IDE de nuit")
    start_date = models.DateField("depuis le")
    end_date = models.DateField("jusqu'au", null=True, blank=True)
    agreement_signed_on = models.DateField("convention signée le", null=True, blank=True)
    carrier_written_consent = models.BooleanField(
        "accord écrit du porteur du dispositif IDE de nuit", default=False,
        help_text="L'astreinte du CRT ne doit pas désengager le dispositif mutualisé (002 §9).")
    yearly_contribution = models.DecimalField(
        "participation financière annuelle du CRT (€)", max_digits=9, decimal_places=2,
        null=True, blank=True)
    scope = models.TextField("périmètre et motifs d'intervention", blank=True)
    notes = models.TextField("précisions (qui répond, qui se déplace, de jour, de nuit…)",
                             blank=True)

    class Meta:
        verbose_name = "organisation de l'astreinte"
        ordering = ["-start_date"]

    def __str__(self) -> str:
        return self.get_model_display()


class EscalationContact(TenantModel, VersionedModel):
    """The escalation chain: who to call next (on-call doctor, SAMU-centre 15, firefighters).

    ``available_from``/``available_until``: the hours the contact can be reached (local
    time), both empty for round the clock; ``until`` before ``from`` spans midnight."""

    class Level(models.TextChoices):
        NURSE = "nurse", "Infirmier·ère d'astreinte"
        DOCTOR = "doctor", "Médecin (avis médical)"
        SAMU = "samu", "SAMU – centre 15"
        FIREFIGHTERS = "firefighters", "Pompiers (18)"
        OTHER = "other", "Autre"

    level = models.CharField("niveau", max_length=15, choices=Level)
    label = models.CharField("libellé", max_length=150)
    phone = models.CharField("téléphone", max_length=30, validators=[validate_phone])
    position = models.PositiveSmallIntegerField("ordre", default=0)
    available_from = models.TimeField("joignable à partir de", null=True, blank=True)
    available_until = models.TimeField("joignable jusqu'à", null=True, blank=True)

    class Meta:
        verbose_name = "recours"
        ordering = ["position", "id"]

    def __str__(self) -> str:
        return f"{self.label} ({self.phone})"

    @property
    def round_the_clock(self) -> bool:
        return self.available_from is None or self.available_until is None

    def reachable_at(self, moment: time) -> bool:
        """Whether the contact answers at ``moment`` (a local wall-clock time)."""
        if self.round_the_clock:
            return True
        start, end = self.available_from, self.available_until
        if start < end:
            return start <= moment < end
        return moment >= start or moment < end  # overnight, e.g. 20:00 – 08:00

    @property
    def hours_label(self) -> str:
        """« de 08:00 à 20:00 », or empty round the clock."""
        if self.round_the_clock:
            return ""
        return f"de {self.available_from:%H:%M} à {self.available_until:%H:%M}"


class Shift(TenantModel, VersionedModel, Actor):
    """One turn on the rota (OnCallShift): someone — a team member (``staff``) or a partner's
    professional, e.g. a shared night nurse — answers the téléassistance centre's calls,
    travels to the home, or is the nurse/doctor to call for advice."""

    class Duty(models.TextChoices):
        ANSWER_AND_TRAVEL = "answer_travel", "Répond et se déplace"
        ANSWER = "answer", "Répond au téléphone"
        TRAVEL = "travel", "Se déplace au domicile"
        NURSE = "nurse", "Infirmier·ère de recours"
        DOCTOR = "doctor", "Médecin de recours"

    ANSWERS = (Duty.ANSWER_AND_TRAVEL, Duty.ANSWER)
    TRAVELS = (Duty.ANSWER_AND_TRAVEL, Duty.TRAVEL)

    arrangement = models.ForeignKey(Arrangement, on_delete=models.PROTECT, null=True,
                                    blank=True, related_name="shifts",
                                    verbose_name="dans le cadre de")
    duty = models.CharField("rôle", max_length=15, choices=Duty)
    starts_at = models.DateTimeField("début")
    ends_at = models.DateTimeField("fin")
    phone = models.CharField("téléphone d'astreinte", max_length=30, blank=True,
                             validators=[validate_phone])
    notes = models.CharField("précisions", max_length=250, blank=True)

    class Meta:
        verbose_name = "tour d'astreinte"
        ordering = ["starts_at", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(staff__isnull=True) | Q(professional__isnull=True),
                                   name="shift_one_person"),
            models.CheckConstraint(condition=Q(ends_at__gt=models.F("starts_at")),
                                   name="shift_ends_after_start"),
        ]
        indexes = [models.Index(fields=["crt", "ends_at", "starts_at"], name="shift_time")]

    def __str__(self) -> str:
        return f"{self.get_duty_display()} — {self.who}"


class Call(TenantModel, VersionedModel):
    """One call to the on-call service, from the téléassistance centre or anyone else, to its
    outcome (OnCallCall)."""

    class Source(models.TextChoices):
        TELEASSISTANCE = "teleassistance", "Centrale de téléassistance"
        BENEFICIARY = "beneficiary", "La personne elle-même"
        CAREGIVER = "caregiver", "Un aidant, un proche"
        NEIGHBOUR = "neighbour", "Un voisin"
        PARTNER = "partner", "Un professionnel partenaire"
        OTHER = "other", "Autre"

    class Reason(models.TextChoices):
        FALL = "fall", "Chute"
        DISCOMFORT = "discomfort", "Malaise"
        ANXIETY = "anxiety", "Angoisse"
        WANDERING = "wandering", "Déambulation, fugue"
        PAIN = "pain", "Douleur"
        TECHNICAL = "technical", "Alarme technique, déclenchement accidentel"
        OTHER = "other", "Autre"

    class Outcome(models.TextChoices):
        STAYED_HOME = "stayed_home", "Maintien à domicile"
        HOSPITALISED = "hospitalised", "Hospitalisation"
        TEMPORARY_ROOM = "temporary_room", "Chambre d'urgence temporaire"
        OTHER = "other", "Autre"

    class Status(models.TextChoices):
        OPEN = "open", "En cours"
        CLOSED = "closed", "Clos"

    source = models.CharField("appel de", max_length=15, choices=Source,
                              default=Source.TELEASSISTANCE)
    received_at = models.DateTimeField("reçu à")
    answered_at = models.DateTimeField("décroché à", null=True, blank=True)
    answered_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                    related_name="+", verbose_name="pris par")
    beneficiary = models.ForeignKey(Beneficiary, on_delete=models.PROTECT, null=True,
                                    blank=True, related_name="oncall_calls",
                                    verbose_name="personne concernée")
    caller_name = models.CharField("appelant", max_length=150, blank=True,
                                   help_text="Si la personne n'est pas connue du CRT.")
    caller_phone = models.CharField("téléphone de l'appelant", max_length=30, blank=True,
                                    validators=[validate_phone])
    reason = models.CharField("motif", max_length=12, choices=Reason)
    assessment = models.TextField("évaluation", blank=True)
    advice = models.TextField("conseils donnés", blank=True)
    call_out = models.BooleanField("déplacement (levée de doute)", default=False)
    departed_at = models.DateTimeField("départ", null=True, blank=True)
    arrived_at = models.DateTimeField("arrivée au domicile", null=True, blank=True)
    left_at = models.DateTimeField("fin de l'intervention", null=True, blank=True)
    travelled_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                     null=True, blank=True, related_name="+",
                                     verbose_name="déplacement par")
    actions = models.TextField("actions réalisées", blank=True)
    outcome = models.CharField("issue", max_length=15, choices=Outcome, blank=True)
    hospital = models.CharField("hospitalisé·e à", max_length=150, blank=True)
    outcome_notes = models.TextField("précisions sur l'issue", blank=True)
    follow_up = models.TextField("suite à donner", blank=True)
    status = models.CharField("état", max_length=6, choices=Status, default=Status.OPEN)
    closed_at = models.DateTimeField("clos à", null=True, blank=True)

    class Meta:
        verbose_name = "appel d'astreinte"
        verbose_name_plural = "appels d'astreinte"
        ordering = ["-received_at", "-id"]
        indexes = [
            models.Index(fields=["crt", "-received_at"], name="call_time"),
            models.Index(fields=["crt", "beneficiary", "-received_at"], name="call_benef"),
            models.Index(fields=["crt", "answered_by", "status"], name="call_open"),
        ]

    def __str__(self) -> str:
        who = self.beneficiary.display_name if self.beneficiary_id else (
            self.caller_name or "appelant inconnu")
        return f"{self.get_reason_display()} — {who}"

    @property
    def answer_delay(self):
        return self.answered_at - self.received_at if self.answered_at else None

    @property
    def arrival_delay(self):
        if self.arrived_at and self.answered_at:
            return self.arrived_at - self.answered_at
        return None


class Escalation(TenantModel):
    """Someone called next during a call: the nurse, a doctor, the 15, the firefighters."""

    class To(models.TextChoices):
        NURSE = "nurse", "Infirmier·ère"
        DOCTOR = "doctor", "Médecin"
        SAMU = "samu", "SAMU – centre 15"
        FIREFIGHTERS = "firefighters", "Pompiers"

    call = models.ForeignKey(Call, on_delete=models.CASCADE, related_name="escalations")
    to = models.CharField("appel à", max_length=15, choices=To)
    at = models.DateTimeField("à")
    notes = models.CharField("précisions", max_length=250, blank=True)

    class Meta:
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.get_to_display()} à {self.at:%H:%M}"


class BreakGlass(TenantModel):
    """A file opened outside one's care team during an open call, with the stated reason."""

    call = models.ForeignKey(Call, on_delete=models.PROTECT, related_name="break_glass")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                             related_name="+")
    beneficiary = models.ForeignKey(Beneficiary, on_delete=models.PROTECT, related_name="+")
    reason = models.TextField("motif")
    reviewed_at = models.DateTimeField("examiné le", null=True, blank=True)
    reviewed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                    null=True, blank=True, related_name="+")

    class Meta:
        verbose_name = "accès en urgence (bris de glace)"
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["crt", "user", "beneficiary"], name="breakglass_user")]

    def __str__(self) -> str:
        return f"{self.user} → {self.beneficiary.display_name}"


# --- DLU ---


class EmergencyFile(TenantModel, VersionedModel):
    """What the DLU-domicile (HAS model, 2021) needs beyond the file: the rest of the DLU —
    identity, situation, caregivers, care team, medical section — is read from the file itself
    (``oncall/dlu.py``), so that it is never stale copy. Reviewed at least once a year."""

    class Annex(models.TextChoices):
        PRESCRIPTIONS = "prescriptions", "Ordonnances en cours"
        BIOLOGY = "biology", "Derniers résultats de biologie"
        ECG = "ecg", "ECG de référence"
        LETTERS = "letters", "Derniers courriers et comptes rendus d'hospitalisation"
        DIRECTIVES = "directives", "Copie des directives anticipées"
        PALLIATIVE = "palliative", "Fiche « urgence pallia »"
        CARDS = "cards", "Carte Vitale et carte de mutuelle"
        IDENTITY = "identity", "Pièce d'identité"

    #: A DLU is reviewed at least once a year (HAS, DLU-domicile guide).
    REVIEW_EVERY_DAYS = 365

    beneficiary = models.OneToOneField(Beneficiary, on_delete=models.CASCADE,
                                       related_name="emergency_file")
    important_info = models.TextField(
        "informations importantes pour l'urgentiste", blank=True,
        help_text="Ce que le médecin des urgences doit savoir d'emblée (risque hémorragique, "
                  "porteur d'un pacemaker, épilepsie…).")
    communication = models.TextField(
        "communication et comportement", blank=True,
        help_text="Audition, vision, langue, compréhension ; ce qui inquiète ou apaise la "
                  "personne ; risque de fugue.")
    preferred_hospital = models.CharField(
        "établissement de santé habituel", max_length=150, blank=True,
        help_text="Où la personne est suivie, ou souhaite être adressée.")
    people_to_warn = models.TextField(
        "autres personnes à prévenir", blank=True,
        help_text="En plus de la personne de confiance et des aidants : nom, lien, téléphone, "
                  "à quelle heure.")
    annexes = models.JSONField("documents rangés avec le DLU au domicile", default=list,
                               blank=True)
    kept_at = models.CharField("où trouver le DLU au domicile", max_length=150, blank=True,
                               help_text="Par exemple : pochette rouge sur le réfrigérateur.")
    medical_validated_by = models.CharField(
        "volet médical validé par", max_length=150, blank=True,
        help_text="Le médecin traitant, sous la responsabilité duquel le volet médical est "
                  "établi.")
    medical_validated_on = models.DateField("volet médical validé le", null=True, blank=True)
    reviewed_at = models.DateTimeField("dernière mise à jour", null=True, blank=True)
    reviewed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                    null=True, blank=True, related_name="+",
                                    verbose_name="mis à jour par")
    next_review_on = models.DateField("prochaine revue", null=True, blank=True)

    class Meta:
        verbose_name = "DLU (dossier de liaison d'urgence)"
        verbose_name_plural = "DLU (dossiers de liaison d'urgence)"
        indexes = [models.Index(fields=["crt", "next_review_on"], name="dlu_review")]

    def __str__(self) -> str:
        return f"DLU de {self.beneficiary.display_name}"

    @property
    def annex_labels(self) -> list[str]:
        labels = dict(self.Annex.choices)
        return [labels[code] for code in self.annexes if code in labels]
