"""The beneficiary file (DUI): identity and INS, situation, caregivers, care team, consents,
medical section, evaluations (AGGIR, ICOPE), documents, timeline (SPEC §4.1)."""

from datetime import date

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q, Value
from django.db.models.functions import Coalesce, NullIf, Upper
from django.utils import timezone

from maillage.core.collation import FrenchCollate, french
from maillage.core.crypto import EncryptedTextField
from maillage.core.folding import words_key
from maillage.core.models import TenantModel, VersionedModel
from maillage.core.validators import validate_insee_commune, validate_phone
from maillage.territory.models import Commune, Organization, Professional

from .identity import IdentityDocument, IdentityStatus, InsOid, Sex, validate_matricule

#: The names a search of people matches (``Beneficiary.name_key``).
NAME_FIELDS = ("birth_name", "used_name", "first_names", "first_name", "used_first_name")


def by_shown_name(prefix: str = "") -> tuple[FrenchCollate, FrenchCollate]:
    """People in the order of the name every page shows (``Beneficiary.display_name``): the
    used name if any, else the birth name, then the used first name if any, else the first
    name, in the French order (``core.collation``). « TESSIER Suzanne (née AUBERT) » is among
    the T's, where a reader looks for her. Case aside (the lists show names in capitals):
    « MARTIN Alice » before « Martin Berthe », on PostgreSQL too, whose collation puts a lower
    case first between names otherwise equal. ``prefix``: the path to the person from
    another model (``"beneficiary__"``)."""
    def shown(used: str, own: str) -> FrenchCollate:
        return FrenchCollate(Upper(Coalesce(NullIf(F(f"{prefix}{used}"), Value("")),
                                            F(f"{prefix}{own}"))))

    return shown("used_name", "birth_name"), shown("used_first_name", "first_name")


class Beneficiary(TenantModel, VersionedModel):
    """A person accompanied (or referred) by the CRT. FHIR Patient."""

    class LivingSituation(models.TextChoices):
        ALONE = "alone", "Vit seul·e"
        COUPLE = "couple", "Vit en couple"
        FAMILY = "family", "Vit avec un proche (enfant, fratrie…)"
        OTHER = "other", "Autre"

    class Housing(models.TextChoices):
        HOUSE = "house", "Maison"
        APARTMENT = "apartment", "Appartement"
        RESIDENCE = "residence", "Résidence autonomie / résidence services"
        OTHER = "other", "Autre"

    class Protection(models.TextChoices):
        NONE = "", "Aucune"
        SAFEGUARD = "safeguard", "Sauvegarde de justice"
        CURATORSHIP = "curatorship", "Curatelle simple"
        REINFORCED_CURATORSHIP = "reinforced_curatorship", "Curatelle renforcée"
        GUARDIANSHIP = "guardianship", "Tutelle"
        FAMILY_AUTHORISATION = "family_authorisation", "Habilitation familiale"
        FUTURE_MANDATE = "future_mandate", "Mandat de protection future"

    # Identity: the five INS traits and usual names.
    birth_name = models.CharField("nom de naissance", max_length=120)
    used_name = models.CharField("nom utilisé", max_length=120, blank=True)
    first_names = models.CharField(
        "prénom(s) de naissance", max_length=200, help_text="Tous les prénoms, dans l'ordre."
    )
    first_name = models.CharField("premier prénom de naissance", max_length=80)
    used_first_name = models.CharField("prénom utilisé", max_length=80, blank=True)
    #: Every name word folded (``core.folding.words_key``): what name searches match, accents
    #: and case aside. Kept by ``save`` and ``NAME_FIELDS``' writers (``refresh_name_key``).
    name_key = models.CharField("clé de recherche des noms", max_length=600, blank=True,
                                editable=False)
    birth_date = models.DateField("date de naissance")
    sex = models.CharField("sexe", max_length=1, choices=Sex)
    birth_place_code = models.CharField(
        "lieu de naissance (code INSEE)",
        max_length=5,
        validators=[validate_insee_commune],
        help_text="Code INSEE de la commune de naissance ; 99 + code pays si né·e à l'étranger.",
    )
    # INS
    ins_matricule = models.CharField(
        "matricule INS", max_length=15, blank=True, validators=[validate_matricule]
    )
    ins_oid = models.CharField("OID du matricule", max_length=25, blank=True, choices=InsOid)
    identity_status = models.CharField(
        "statut de l'identité", max_length=5, choices=IdentityStatus, default=IdentityStatus.PROV
    )
    identity_document = models.CharField(
        "pièce justificative", max_length=20, blank=True, choices=IdentityDocument
    )
    identity_validated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="identité validée par",
    )
    identity_validated_on = models.DateField("identité validée le", null=True, blank=True)
    # Contacts and address
    address = models.CharField("adresse", max_length=250)
    address_complement = models.CharField("complément d'adresse", max_length=250, blank=True)
    commune = models.ForeignKey(
        Commune, on_delete=models.PROTECT, related_name="+", verbose_name="commune"
    )
    phone = models.CharField("téléphone", max_length=30, blank=True, validators=[validate_phone])
    mobile = models.CharField("portable", max_length=30, blank=True, validators=[validate_phone])
    email = models.EmailField("courriel", blank=True)
    # Living situation, housing, equipment
    living_situation = models.CharField(
        "situation de vie", max_length=10, choices=LivingSituation, blank=True
    )
    housing_type = models.CharField("logement", max_length=10, choices=Housing, blank=True)
    floor = models.SmallIntegerField(
        "étage", null=True, blank=True, validators=[MinValueValidator(-2), MaxValueValidator(30)]
    )
    has_lift = models.BooleanField("ascenseur", default=False)
    adaptations_done = models.TextField("aménagements réalisés", blank=True)
    adaptations_needed = models.TextField("aménagements nécessaires", blank=True)
    has_teleassistance = models.BooleanField("téléassistance", default=False)
    teleassistance_provider = models.CharField(
        "opérateur de téléassistance", max_length=120, blank=True
    )
    has_key_box = models.BooleanField("boîte à clés", default=False)
    key_box_code = EncryptedTextField("code de la boîte à clés", blank=True)
    has_grab_bars = models.BooleanField("barres d'appui", default=False)
    has_medical_bed = models.BooleanField("lit médicalisé", default=False)
    other_equipment = models.TextField("autres équipements et aides techniques", blank=True)
    access_notes = models.TextField("accès au domicile (stationnement, animaux…)", blank=True)
    # Social benefits and protection
    has_apa = models.BooleanField("APA", default=False)
    apa_plan = models.TextField("plan d'aide APA", blank=True)
    has_social_aid = models.BooleanField("aide sociale à l'hébergement / ménagère", default=False)
    retirement_fund_help = models.CharField(
        "aide de la caisse de retraite", max_length=200, blank=True
    )
    protection_measure = models.CharField(
        "mesure de protection", max_length=25, choices=Protection, blank=True
    )
    protection_contact = models.CharField(
        "mandataire / tuteur (nom, coordonnées)", max_length=250, blank=True
    )
    # Trusted person (CSP L1111-6)
    trusted_person_name = models.CharField("personne de confiance", max_length=200, blank=True)
    trusted_person_relation = models.CharField("lien", max_length=80, blank=True)
    trusted_person_phone = models.CharField("téléphone", max_length=30, blank=True,
                                            validators=[validate_phone])
    trusted_person_designated_on = models.DateField("désignée le", null=True, blank=True)
    # Evaluations: the current GIR, from the last AGGIR evaluation.
    current_gir = models.PositiveSmallIntegerField("GIR actuel", null=True, blank=True)
    current_gir_on = models.DateField("GIR évalué le", null=True, blank=True)
    # Set by the retention purge (``retention.py``, SPEC §3): the health data is gone.
    health_data_purged_on = models.DateField(
        "données de santé supprimées le", null=True, blank=True, editable=False
    )
    # The person's own account on the portal (SPEC §4.3), if they have one.
    portal_user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="portal_files",
        verbose_name="compte du portail",
    )

    class Meta:
        verbose_name = "bénéficiaire"
        ordering = [*by_shown_name()]
        indexes = [
            models.Index(fields=["crt", "birth_name", "first_name"], name="benef_crt_name"),
            models.Index(fields=["crt", "used_name"], name="benef_crt_used_name"),
            models.Index(fields=["crt", "birth_date"], name="benef_crt_birth"),
            models.Index(fields=["crt", "ins_matricule"], name="benef_crt_ins"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(current_gir__isnull=True) | Q(current_gir__gte=1, current_gir__lte=6),
                name="benef_gir_range",
            )
        ]

    def refresh_name_key(self) -> None:
        self.name_key = words_key(*(getattr(self, f) for f in NAME_FIELDS))

    def save(self, *args, **kwargs):
        self.refresh_name_key()
        if kwargs.get("update_fields") is not None:
            kwargs["update_fields"] = {*kwargs["update_fields"], "name_key"}
        super().save(*args, **kwargs)

    def __str__(self) -> str:
        return f"{self.display_name} ({self.born} le {self.birth_date:%d/%m/%Y})"

    @property
    def born(self) -> str:
        """« née », « né », or « né·e » when the sex is undetermined."""
        return {Sex.FEMALE: "née", Sex.MALE: "né"}.get(self.sex, "né·e")

    @property
    def display_name(self) -> str:
        name = self.used_name or self.birth_name
        first = self.used_first_name or self.first_name
        return f"{name.upper()} {first}"

    @property
    def age(self) -> int:
        today = timezone.localdate()
        years = today.year - self.birth_date.year
        return years - ((today.month, today.day) < (self.birth_date.month, self.birth_date.day))

    @property
    def equipment_labels(self) -> list[str]:
        labels = []
        if self.has_teleassistance:
            labels.append("Téléassistance" + (f" ({self.teleassistance_provider})"
                                              if self.teleassistance_provider else ""))
        for flag, label in ((self.has_key_box, "Boîte à clés"),
                            (self.has_grab_bars, "Barres d'appui"),
                            (self.has_medical_bed, "Lit médicalisé")):
            if flag:
                labels.append(label)
        if self.other_equipment:
            labels.append(self.other_equipment)
        return labels

    @property
    def ins_travels(self) -> bool:
        """Only a qualified identity lets the INS travel in exchanges."""
        return self.identity_status == IdentityStatus.QUAL

    def has_care_team_member(self, user) -> bool:
        """The object predicate of ``core.permissions.is_in_care_team``."""
        return CareTeamMember.objects.active().filter(beneficiary=self).for_user(user).exists()


class Caregiver(TenantModel, VersionedModel):
    """A relative or friend who helps (FHIR RelatedPerson)."""

    class ExhaustionRisk(models.TextChoices):
        LOW = "low", "Faible"
        MEDIUM = "medium", "Modéré"
        HIGH = "high", "Élevé"

    beneficiary = models.ForeignKey(
        Beneficiary, on_delete=models.CASCADE, related_name="caregivers"
    )
    last_name = models.CharField("nom", max_length=120)
    first_name = models.CharField("prénom", max_length=80, blank=True)
    relation = models.CharField("lien avec la personne", max_length=80)
    phone = models.CharField("téléphone", max_length=30, blank=True, validators=[validate_phone])
    email = models.EmailField("courriel", blank=True)
    address = models.CharField("adresse", max_length=250, blank=True)
    lives_with = models.BooleanField("vit avec la personne", default=False)
    is_main = models.BooleanField("aidant principal", default=False)
    exhaustion_risk = models.CharField(
        "risque d'épuisement", max_length=10, choices=ExhaustionRisk, blank=True
    )
    notes = models.TextField("remarques", blank=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="caregiver_of",
        verbose_name="compte du portail",
    )

    class Meta:
        verbose_name = "aidant"
        ordering = ["-is_main", french("last_name"), french("first_name")]

    def __str__(self) -> str:
        return f"{self.first_name} {self.last_name} ({self.relation})".strip()


class CareTeamMemberQuerySet(models.QuerySet):
    def active(self, on: date | None = None):
        on = on or timezone.localdate()
        return self.filter(Q(start_date__lte=on), Q(end_date__isnull=True) | Q(end_date__gte=on))

    def for_user(self, user):
        if not getattr(user, "is_authenticated", False):
            return self.none()
        return self.filter(Q(user=user) | Q(professional__user=user))


class CareTeamMember(TenantModel, VersionedModel):
    """Someone of the care team: a CRT staff member or a professional of the directory."""

    beneficiary = models.ForeignKey(
        Beneficiary, on_delete=models.CASCADE, related_name="care_team"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="care_teams",
        verbose_name="membre de l'équipe du CRT",
    )
    professional = models.ForeignKey(
        Professional,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="care_teams",
        verbose_name="professionnel partenaire",
    )
    role = models.CharField("rôle auprès de la personne", max_length=120)
    is_gp = models.BooleanField("médecin traitant", default=False)
    is_referent = models.BooleanField("référent·e du CRT", default=False)
    visits_home = models.BooleanField(
        "intervient au domicile",
        default=True,
        help_text="Seuls les intervenants au domicile voient le code de la boîte à clés.",
    )
    start_date = models.DateField("depuis le")
    end_date = models.DateField("jusqu'au", null=True, blank=True)

    objects = CareTeamMemberQuerySet.as_manager()

    class Meta:
        verbose_name = "membre du cercle de soins"
        verbose_name_plural = "cercle de soins"
        ordering = ["-is_gp", "-is_referent", "role"]
        indexes = [models.Index(fields=["crt", "user"], name="careteam_crt_user")]
        constraints = [
            models.CheckConstraint(
                condition=(
                    Q(user__isnull=False, professional__isnull=True)
                    | Q(user__isnull=True, professional__isnull=False)
                ),
                name="careteam_user_xor_professional",
            ),
            models.CheckConstraint(
                condition=Q(end_date__isnull=True) | Q(end_date__gte=models.F("start_date")),
                name="careteam_dates_ordered",
            ),
        ]

    def __str__(self) -> str:
        who = self.user.get_full_name() if self.user_id else str(self.professional)
        return f"{who} — {self.role}"


class Consent(TenantModel):
    """What the person agreed to, or objected to (CSP L1110-4). FHIR Consent."""

    class Kind(models.TextChoices):
        CARE_TEAM_SHARING = "care_team_sharing", (
            "Information et non-opposition au partage au sein du cercle de soins"
        )
        PARTNER_SHARING = "partner_sharing", "Partage avec un partenaire hors cercle de soins"
        CONTRACT = "contract", "Consentement au contrat d'accompagnement"
        ONCALL_INFORMATION = "oncall_information", (
            "Information du cercle de soins sur les interventions de l'astreinte"
        )

    class Method(models.TextChoices):
        ORAL = "oral", "Recueilli oralement"
        WRITTEN = "written", "Écrit signé"
        REPRESENTATIVE = "representative", "Par le représentant légal / la personne de confiance"

    beneficiary = models.ForeignKey(Beneficiary, on_delete=models.CASCADE, related_name="consents")
    kind = models.CharField("objet", max_length=20, choices=Kind)
    granted = models.BooleanField(
        "accord", default=True, help_text="Décoché : la personne s'oppose ou refuse."
    )
    organization = models.ForeignKey(
        Organization,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="partenaire concerné",
    )
    share_identity = models.BooleanField("identité et coordonnées", default=True)
    share_planning = models.BooleanField("planning des interventions", default=True)
    share_health = models.BooleanField("données de santé", default=False)
    scope_notes = models.TextField("précisions sur la portée", blank=True)
    collected_on = models.DateField("recueilli le")
    method = models.CharField("modalité de recueil", max_length=15, choices=Method)
    collected_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+",
        verbose_name="recueilli par",
    )
    withdrawn_at = models.DateTimeField("retiré le", null=True, blank=True)
    withdrawn_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
        related_name="+", verbose_name="retrait enregistré par",
    )
    withdrawal_reason = models.TextField("motif du retrait", blank=True)

    class Meta:
        verbose_name = "consentement"
        ordering = ["-collected_on", "-created_at"]
        indexes = [models.Index(fields=["crt", "beneficiary", "kind"], name="consent_benef_kind")]
        constraints = [
            models.CheckConstraint(
                condition=~Q(kind="partner_sharing") | Q(organization__isnull=False),
                name="consent_partner_needs_organization",
            )
        ]

    def __str__(self) -> str:
        return self.get_kind_display()

    @property
    def is_active(self) -> bool:
        return self.granted and self.withdrawn_at is None


class MedicalRecord(TenantModel, VersionedModel):
    """The medical section: health data, visible to health professionals of the care team.

    Allergies, current treatments, advance directives and the resuscitation decision each
    carry a status beside their text, so that an emergency doctor tells "none" from "not
    filled in": empty status = not filled in (never "none"). The text says what is documented
    (required with ``DOCUMENTED`` / ``LIMITED``). The status codes are stable: the DLU's
    future CDA export maps them (e.g. "no known allergy")."""

    class AllergyStatus(models.TextChoices):
        DOCUMENTED = "documented", "Allergies connues (à préciser ci-dessous)"
        NONE_KNOWN = "none_known", "Aucune allergie connue"

    class TreatmentStatus(models.TextChoices):
        DOCUMENTED = "documented", "Traitement en cours (à préciser ci-dessous)"
        NONE = "none", "Aucun traitement en cours"

    class DirectivesStatus(models.TextChoices):
        DOCUMENTED = "documented", "Directives anticipées rédigées (date, où les trouver)"
        NONE = "none", "Pas de directives anticipées rédigées"

    class ResuscitationStatus(models.TextChoices):
        FULL = "full", "Réanimation : oui (pas de limitation des soins)"
        LIMITED = "limited", "Limitation des thérapeutiques actives (LATA), à préciser"
        NOT_DECIDED = "not_decided", "Pas de décision prise à ce jour"

    beneficiary = models.OneToOneField(
        Beneficiary, on_delete=models.CASCADE, related_name="medical"
    )
    history = models.TextField("antécédents", blank=True)
    allergies_status = models.CharField("allergies", max_length=12, blank=True,
                                        choices=AllergyStatus.choices)
    allergies = models.TextField("allergies connues (produit, réaction)", blank=True)
    treatments_status = models.CharField("traitements en cours", max_length=12, blank=True,
                                         choices=TreatmentStatus.choices)
    treatments = models.TextField("traitements en cours (synthèse)", blank=True)
    advance_directives_status = models.CharField(
        "directives anticipées", max_length=12, blank=True, choices=DirectivesStatus.choices)
    advance_directives = models.TextField("directives anticipées (précisions)", blank=True)
    has_palliative_sheet = models.BooleanField("fiche « urgence pallia » établie", default=False)
    resuscitation_status = models.CharField(
        "réanimation / limitation des soins", max_length=12, blank=True,
        choices=ResuscitationStatus.choices)
    resuscitation_decision = models.TextField(
        "décision de limitation des soins / réanimation (précisions)", blank=True
    )
    usual_state = models.TextField("état habituel", blank=True)
    synthesis = models.TextField("synthèse médicale", blank=True)
    #: When allergies or treatments (text or status) last changed: after the DLU's last
    #: validation, the DLU is to be validated again (``oncall.dlu``).
    allergies_treatments_changed_at = models.DateTimeField(
        "allergies ou traitements modifiés le", null=True, blank=True, editable=False)

    class Meta:
        verbose_name = "volet médical"

    def __str__(self) -> str:
        return f"Volet médical de {self.beneficiary.display_name}"

    # What an emergency doctor reads: "none" and "not filled in" never look alike.
    @property
    def allergies_summary(self) -> str:
        if self.allergies_status == self.AllergyStatus.NONE_KNOWN:
            return "Aucune allergie connue"
        return _documented(self.allergies_status, self.allergies, "non renseignées")

    @property
    def treatments_summary(self) -> str:
        if self.treatments_status == self.TreatmentStatus.NONE:
            return "Aucun traitement en cours"
        return _documented(self.treatments_status, self.treatments, "non renseignés")

    @property
    def advance_directives_summary(self) -> str:
        if self.advance_directives_status == self.DirectivesStatus.NONE:
            return _with_comment("Pas de directives anticipées rédigées",
                                 self.advance_directives)
        if self.advance_directives_status == self.DirectivesStatus.DOCUMENTED:
            return _with_comment("Rédigées", self.advance_directives)
        return _documented("", self.advance_directives, "non renseignées")

    @property
    def resuscitation_summary(self) -> str:
        status, text = self.resuscitation_status, self.resuscitation_decision
        if status == self.ResuscitationStatus.FULL:
            return _with_comment("Réanimation : oui", text)
        if status == self.ResuscitationStatus.LIMITED:
            return f"Limitation des thérapeutiques actives (LATA) : {text.strip()}"
        if status == self.ResuscitationStatus.NOT_DECIDED:
            return _with_comment("Pas de décision prise à ce jour", text)
        return _documented("", text, "non renseignée")


def _with_comment(label: str, text: str) -> str:
    return f"{label} — {text.strip()}" if text.strip() else label


def _documented(status: str, text: str, unset: str) -> str:
    """The text when documented; when the status is not filled in, say so (with any text
    kept from before, to be confirmed)."""
    if status:
        return text.strip()
    return f"{unset} (à confirmer : {text.strip()})" if text.strip() else unset


class AggirEvaluation(TenantModel):
    """One AGGIR grid (annexes 2-1 and 2-2 CASF). Immutable once recorded."""

    beneficiary = models.ForeignKey(
        Beneficiary, on_delete=models.CASCADE, related_name="aggir_evaluations"
    )
    evaluated_on = models.DateField("évaluée le")
    evaluator = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+",
        verbose_name="évaluateur",
    )
    inputs = models.JSONField(
        "saisie", help_text="Par variable ou sous-variable : code A/B/C et adverbes éventuels."
    )
    codes = models.CharField("codes des 10 variables discriminantes", max_length=10)
    illustrative_codes = models.CharField("codes des 7 variables illustratives", max_length=7)
    rang = models.PositiveSmallIntegerField("rang")
    gir = models.PositiveSmallIntegerField("GIR")
    notes = models.TextField("observations", blank=True)

    class Meta:
        verbose_name = "évaluation AGGIR"
        ordering = ["-evaluated_on", "-created_at"]
        constraints = [
            models.CheckConstraint(condition=Q(gir__gte=1, gir__lte=6), name="aggir_gir_range"),
            models.CheckConstraint(condition=Q(rang__gte=1, rang__lte=13), name="aggir_rang"),
        ]

    def __str__(self) -> str:
        return f"GIR {self.gir} le {self.evaluated_on:%d/%m/%Y}"


class VitalSign(TenantModel, VersionedModel):
    """One measurement of a vital sign (or capillary blood glucose): taken by the CRT's team,
    posted by a partner's software through the API, or sent by a telemonitoring device (FHIR
    Observation; kinds and units in ``vitals.KINDS``). Recorded by ``vitals.vital_sign_record``;
    never deleted by the API: a retraction keeps the row as a tombstone (``deleted_at``,
    status « entered-in-error »), which the API answers 410 Gone."""

    class Kind(models.TextChoices):
        BODY_WEIGHT = "body_weight", "Poids"
        BLOOD_PRESSURE = "blood_pressure", "Pression artérielle"
        HEART_RATE = "heart_rate", "Fréquence cardiaque"
        BODY_TEMPERATURE = "body_temperature", "Température"
        OXYGEN_SATURATION = "oxygen_saturation", "Saturation en oxygène (SpO2)"
        BLOOD_GLUCOSE = "blood_glucose", "Glycémie capillaire"
        #: An event, not a measure (no value): a fall detected or declared (SNOMED CT 1912002).
        FALL = "fall", "Chute"

    class Source(models.TextChoices):
        TEAM = "team", "Équipe du CRT"
        PARTNER = "partner", "Partenaire (API)"
        TELEMONITORING = "telemonitoring", "Télésurveillance"

    class Status(models.TextChoices):
        FINAL = "final", "Validée"
        AMENDED = "amended", "Corrigée"
        ENTERED_IN_ERROR = "entered-in-error", "Saisie erronée (retirée)"

    beneficiary = models.ForeignKey(
        Beneficiary, on_delete=models.CASCADE, related_name="vital_signs"
    )
    kind = models.CharField("mesure", max_length=20, choices=Kind)
    #: The value in ``unit``; a blood pressure has ``systolic`` and ``diastolic`` instead.
    value = models.DecimalField("valeur", max_digits=6, decimal_places=2, null=True, blank=True)
    systolic = models.PositiveSmallIntegerField("systolique", null=True, blank=True)
    diastolic = models.PositiveSmallIntegerField("diastolique", null=True, blank=True)
    #: Empty for a fall (an event, no value).
    unit = models.CharField("unité (UCUM)", max_length=10, blank=True)
    measured_at = models.DateTimeField("mesurée le")
    source = models.CharField("source", max_length=15, choices=Source, default=Source.TEAM)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+",
        verbose_name="enregistrée par",
    )
    device = models.CharField("appareil", max_length=200, blank=True)
    status = models.CharField("statut", max_length=20, choices=Status, default=Status.FINAL)
    deleted_at = models.DateTimeField("retirée le", null=True, blank=True)
    #: The sender's business identifier (FHIR ``Observation.identifier``, ``system|value``):
    #: a re-post of the same identifier is the same measure (unique per CRT).
    identifier = models.CharField("identifiant de l'émetteur", max_length=255, blank=True)
    #: The sender's interpretation code (HL7 v3 ObservationInterpretation: H, L, HH, LL, A, AA…).
    interpretation = models.CharField("interprétation de l'émetteur", max_length=10,
                                      blank=True)

    class Meta:
        verbose_name = "constante"
        ordering = ["-measured_at", "-id"]
        indexes = [models.Index(fields=["crt", "beneficiary", "-measured_at"],
                                name="vital_benef_time")]
        constraints = [
            models.CheckConstraint(
                condition=Q(kind="blood_pressure", value__isnull=True, systolic__isnull=False,
                            diastolic__isnull=False)
                | Q(kind="fall", value__isnull=True, systolic__isnull=True,
                    diastolic__isnull=True)
                | (~Q(kind__in=["blood_pressure", "fall"])
                   & Q(value__isnull=False, systolic__isnull=True, diastolic__isnull=True)),
                name="vital_sign_values"),
            models.UniqueConstraint(fields=["crt", "identifier"], condition=~Q(identifier=""),
                                    name="vital_sign_identifier"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.display_value} le {self.measured_at:%d/%m/%Y}"

    @property
    def display_unit(self) -> str:
        """The unit as a person reads it (« mmHg », « °C »), not the UCUM code kept in
        ``unit`` for the exports (« mm[Hg] », « Cel »)."""
        from .vitals import KINDS  # vitals imports this module

        info = KINDS.get(self.kind)
        return info.unit_display if info else self.unit

    @property
    def display_value(self) -> str:
        return _display_value(self.kind, self.value, self.systolic, self.diastolic,
                              self.display_unit)

    @property
    def corrections(self) -> list["VitalSignRevision"]:
        """What the measure said before each correction, oldest first (prefetch
        ``revisions`` to list several measures' without a query each)."""
        return [r for r in self.revisions.all() if r.change == VitalSignRevision.Change.AMENDED]

    @property
    def retraction(self) -> "VitalSignRevision | None":
        """The retraction's record (its reason), when retracted from a screen (a retraction
        by the API, or one made before reasons were kept, has none: ``deleted_at`` and
        ``updated_by`` still say when and by whom)."""
        return next((r for r in self.revisions.all()
                     if r.change == VitalSignRevision.Change.RETRACTED), None)


def _display_value(kind: str, value, systolic, diastolic, unit: str) -> str:
    if kind == VitalSign.Kind.FALL:
        return "chute signalée"
    if kind == VitalSign.Kind.BLOOD_PRESSURE:
        return f"{systolic}/{diastolic} {unit}"
    shown = f"{value.normalize():f}".replace(".", ",") if value is not None else ""
    return f"{shown} {unit}"


class VitalSignRevision(TenantModel):
    """A measure as it was before a correction or a retraction (``vitals.vital_sign_update``
    and ``vital_sign_retract`` write it in their transaction): the value first entered is
    never erased, and the team reads in the measure's history who changed it, when and why.
    ``created_by`` / ``created_at``: who made the change, and when. Health data (the values,
    the reason): never written to the audit trail."""

    class Change(models.TextChoices):
        AMENDED = "amended", "Correction"
        RETRACTED = "retracted", "Retrait (saisie erronée)"

    sign = models.ForeignKey(VitalSign, on_delete=models.CASCADE, related_name="revisions",
                             verbose_name="mesure")
    change = models.CharField("changement", max_length=10, choices=Change)
    #: The measure's version this row keeps (the one the change replaced).
    version = models.PositiveIntegerField("version remplacée")
    value = models.DecimalField("valeur", max_digits=6, decimal_places=2, null=True, blank=True)
    systolic = models.PositiveSmallIntegerField("systolique", null=True, blank=True)
    diastolic = models.PositiveSmallIntegerField("diastolique", null=True, blank=True)
    measured_at = models.DateTimeField("mesurée le")
    device = models.CharField("appareil", max_length=200, blank=True)
    status = models.CharField("statut", max_length=20, choices=VitalSign.Status)
    interpretation = models.CharField("interprétation de l'émetteur", max_length=10,
                                      blank=True)
    reason = models.TextField("motif", blank=True)

    class Meta:
        verbose_name = "version antérieure d'une constante"
        verbose_name_plural = "versions antérieures des constantes"
        ordering = ["sign", "version"]
        constraints = [models.UniqueConstraint(fields=["sign", "version"],
                                               name="vital_sign_revision_once")]

    def __str__(self) -> str:
        return f"{self.get_change_display()} du {self.created_at:%d/%m/%Y}"

    @property
    def display_value(self) -> str:
        return _display_value(self.sign.kind, self.value, self.systolic, self.diastolic,
                              self.sign.display_unit)


class VitalThresholds(TenantModel, VersionedModel):
    """The alert thresholds of one person's measures, set by the doctor: a measure outside
    [low, high] of its kind raises one alert for the care team (``vitals.threshold_breach``).
    A blood pressure's thresholds apply to the systolic pressure. Empty: no threshold."""

    beneficiary = models.OneToOneField(Beneficiary, on_delete=models.CASCADE,
                                       related_name="vital_thresholds")
    body_weight_low = models.DecimalField("poids minimal (kg)", max_digits=6, decimal_places=2,
                                          null=True, blank=True)
    body_weight_high = models.DecimalField("poids maximal (kg)", max_digits=6, decimal_places=2,
                                           null=True, blank=True)
    blood_pressure_low = models.DecimalField("pression systolique minimale (mmHg)",
                                             max_digits=6, decimal_places=2, null=True,
                                             blank=True)
    blood_pressure_high = models.DecimalField("pression systolique maximale (mmHg)",
                                              max_digits=6, decimal_places=2, null=True,
                                              blank=True)
    heart_rate_low = models.DecimalField("fréquence cardiaque minimale (/min)", max_digits=6,
                                         decimal_places=2, null=True, blank=True)
    heart_rate_high = models.DecimalField("fréquence cardiaque maximale (/min)", max_digits=6,
                                          decimal_places=2, null=True, blank=True)
    body_temperature_low = models.DecimalField("température minimale (°C)", max_digits=6,
                                               decimal_places=2, null=True, blank=True)
    body_temperature_high = models.DecimalField("température maximale (°C)", max_digits=6,
                                                decimal_places=2, null=True, blank=True)
    oxygen_saturation_low = models.DecimalField("saturation minimale (%)", max_digits=6,
                                                decimal_places=2, null=True, blank=True)
    oxygen_saturation_high = models.DecimalField("saturation maximale (%)", max_digits=6,
                                                 decimal_places=2, null=True, blank=True)
    blood_glucose_low = models.DecimalField("glycémie minimale (g/L)", max_digits=6,
                                            decimal_places=2, null=True, blank=True)
    blood_glucose_high = models.DecimalField("glycémie maximale (g/L)", max_digits=6,
                                             decimal_places=2, null=True, blank=True)

    class Meta:
        verbose_name = "seuils d'alerte des constantes"
        verbose_name_plural = "seuils d'alerte des constantes"

    def __str__(self) -> str:
        return f"Seuils d'alerte — {self.beneficiary.display_name}"

    def bounds(self, kind: str) -> tuple:
        """(low, high) of ``kind`` (None where unset)."""
        return getattr(self, f"{kind}_low", None), getattr(self, f"{kind}_high", None)


class IcopeScreening(TenantModel):
    """ICOPE step 1 screening: six domains, those needing a step 2 flagged."""

    beneficiary = models.ForeignKey(
        Beneficiary, on_delete=models.CASCADE, related_name="icope_screenings"
    )
    screened_on = models.DateField("repérage le")
    screened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+",
        verbose_name="réalisé par",
    )
    answers = models.JSONField("réponses")
    domains_flagged = models.JSONField("domaines à approfondir", default=list)
    notes = models.TextField("observations", blank=True)

    class Meta:
        verbose_name = "repérage ICOPE"
        ordering = ["-screened_on", "-created_at"]

    def __str__(self) -> str:
        return f"Repérage ICOPE du {self.screened_on:%d/%m/%Y}"


def document_path(instance, filename: str) -> str:
    return f"documents/{instance.crt.public_id}/{instance.public_id}"


class Document(TenantModel):
    class Category(models.TextChoices):
        IDENTITY = "identity", "Identité"
        ADMINISTRATIVE = "administrative", "Administratif"
        SOCIAL = "social", "Social"
        MEDICAL = "medical", "Médical"
        CONTRACT = "contract", "Contrat et consentements"
        OTHER = "other", "Autre"

    beneficiary = models.ForeignKey(
        Beneficiary, on_delete=models.CASCADE, related_name="documents"
    )
    category = models.CharField("catégorie", max_length=15, choices=Category)
    title = models.CharField("titre", max_length=200)
    document_date = models.DateField("date du document")
    file = models.FileField("fichier", upload_to=document_path)
    original_name = models.CharField("nom du fichier", max_length=200)
    content_type = models.CharField("type", max_length=100)
    size = models.PositiveIntegerField("taille (octets)")

    class Meta:
        verbose_name = "document"
        ordering = ["-document_date", "-created_at"]

    def __str__(self) -> str:
        return self.title

    @property
    def is_health_data(self) -> bool:
        return self.category == self.Category.MEDICAL


class TimelineEvent(TenantModel):
    """Something that happened to the person, shown on the file's timeline."""

    beneficiary = models.ForeignKey(
        Beneficiary, on_delete=models.CASCADE, related_name="timeline"
    )
    occurred_at = models.DateTimeField("date")
    kind = models.CharField("type", max_length=40)
    title = models.CharField("événement", max_length=250)
    is_health_data = models.BooleanField("donnée de santé", default=False)

    class Meta:
        verbose_name = "événement"
        ordering = ["-occurred_at", "-id"]
        indexes = [
            models.Index(fields=["crt", "beneficiary", "-occurred_at"], name="timeline_benef")
        ]

    def __str__(self) -> str:
        return self.title


class FreeEvaluation(TenantModel):
    """A free-text evaluation by a professional (occupational therapist, psychologist…)."""

    class Kind(models.TextChoices):
        OCCUPATIONAL = "occupational", "Évaluation ergothérapique (domicile, aides techniques)"
        PSYCHOLOGICAL = "psychological", "Évaluation psychologique"
        NUTRITION = "nutrition", "Évaluation nutritionnelle"
        FALLS = "falls", "Évaluation du risque de chute"
        OTHER = "other", "Autre évaluation"

    beneficiary = models.ForeignKey(
        Beneficiary, on_delete=models.CASCADE, related_name="free_evaluations"
    )
    kind = models.CharField("type", max_length=15, choices=Kind)
    evaluated_on = models.DateField("date")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                               related_name="+", verbose_name="auteur")
    title = models.CharField("titre", max_length=200)
    findings = models.TextField("constats et préconisations")

    class Meta:
        verbose_name = "évaluation"
        ordering = ["-evaluated_on", "-created_at"]

    def __str__(self) -> str:
        return f"{self.title} ({self.evaluated_on:%d/%m/%Y})"
