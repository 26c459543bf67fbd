"""The CRT's budget (issue 14 §4, INDICATORS.md §2.4 and §4.3): the yearly allocation notified by
the ARS, the expenses with their analytic axes (nature, volet, domain), typed or imported from
the carrier's accounting (FEC), and the account → axes mapping kept per CRT."""

import calendar
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.db.models import F, Q

from maillage.core.formats import euros
from maillage.core.models import TenantModel, VersionedModel

MONEY = {"max_digits": 12, "decimal_places": 2}
POSITIVE = [MinValueValidator(Decimal("0"))]


class Nature(models.TextChoices):
    """The analytic axis « nature », codes of INDICATORS.md §4.3."""

    STAFF_LEAD = "staff_lead", "Personnel — direction, chef·fe de projet"
    STAFF_COORDINATION = "staff_coordination", "Personnel — coordination (IDE, IDEC)"
    STAFF_MEDICAL = "staff_medical", "Personnel — médecin"
    STAFF_CARE = "staff_care", "Personnel soignant et d'accompagnement (IDE, AS, ASG, AES)"
    STAFF_OTHER = "staff_other", "Autres personnels (ergothérapeute, psychologue, animation…)"
    EXTERNAL_PROVIDERS = "external_providers", "Intervenants extérieurs"
    SUBCONTRACTING = "subcontracting", "Sous-traitance et prestations achetées"
    TELEASSISTANCE = "teleassistance", "Téléassistance"
    TRANSPORT = "transport", "Transport et déplacements"
    IT_RUNNING = "it_running", "Fonctionnement du système d'information"
    SOFTWARE = "software", "Logiciels et licences"
    DIGITAL_EQUIPMENT = "digital_equipment", "Équipement numérique et télésanté"
    PREMISES_FITTING = "premises_fitting", "Aménagement et équipement des locaux"
    PREMISES_VEHICLES = "premises_vehicles", "Locaux et véhicules (hors forfait)"
    TRAINING = "training", "Formation et ingénierie de projet"


#: Investment natures (001 §IV.2.7, training included as the seed says); the others are running.
INVESTMENT_NATURES = frozenset({Nature.SOFTWARE, Nature.DIGITAL_EQUIPMENT,
                                Nature.PREMISES_FITTING, Nature.TRAINING})
#: Mutualised outside the forfait (001 §IV.2.7): left out of the F-03 share.
OUTSIDE_FORFAIT_NATURES = frozenset({Nature.STAFF_LEAD, Nature.PREMISES_VEHICLES})


def is_investment(nature: str) -> bool:
    return nature in INVESTMENT_NATURES


class Volet(models.TextChoices):
    VOLET1 = "1", "Volet 1"
    VOLET2 = "2", "Volet 2"
    SHARED = "shared", "Commun aux deux volets"


class Allocation(TenantModel, VersionedModel):
    """The allocation notified for one year (F-01): the amount typed from the ARS notification,
    its planned split between the volets, the starter credits received that year (F-06;
    Occitanie, 002 §14) and the other earmarked credits (a psychologist's forfait…)."""

    year = models.PositiveSmallIntegerField("année")
    notified_amount = models.DecimalField("montant notifié (€)", validators=POSITIVE, **MONEY)
    notified_on = models.DateField("date de notification", null=True, blank=True)
    volet1_planned = models.DecimalField("part prévue du volet 1 (€)", validators=POSITIVE,
                                         **MONEY)
    volet2_planned = models.DecimalField("part prévue du volet 2 (€)", validators=POSITIVE,
                                         **MONEY)
    earmarked_amount = models.DecimalField("crédits fléchés (€)", default=Decimal("0"),
                                           validators=POSITIVE, **MONEY)
    earmarked_label = models.CharField("objet des crédits fléchés", max_length=200, blank=True)
    #: F-06: the expenses they pay are marked ``Expense.on_starter_credits``.
    starter_amount = models.DecimalField("crédits d'amorçage reçus (€)", default=Decimal("0"),
                                         validators=POSITIVE, **MONEY)

    class Meta:
        verbose_name = "dotation"
        ordering = ["-year"]
        constraints = [
            models.UniqueConstraint(fields=["crt", "year"], name="allocation_once_a_year"),
        ]

    def __str__(self) -> str:
        return f"Dotation {self.year}"

    @property
    def total(self) -> Decimal:
        return self.notified_amount + self.earmarked_amount + self.starter_amount


def prorata(annual: Decimal, opened_on: date | None, year: int) -> Decimal | None:
    """The day-prorata of ``annual`` for ``year`` when the CRT opened during it (a check shown
    beside the typed amount, never replacing it); None for a full year."""
    if opened_on is None or opened_on.year != year:
        return None
    days = 366 if calendar.isleap(year) else 365
    open_days = (date(year, 12, 31) - opened_on).days + 1
    return (annual * open_days / days).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


class FecImport(TenantModel):
    """One FEC file imported: who (``created_by``), when (``created_at``), the period its
    entries cover, what was read and created, the charge accounts left unmapped."""

    file_name = models.CharField("fichier", max_length=200)
    file_hash = models.CharField("empreinte SHA-256", max_length=64)
    period_start = models.DateField("première écriture")
    period_end = models.DateField("dernière écriture")
    lines_read = models.PositiveIntegerField("lignes lues")
    expenses_created = models.PositiveIntegerField("dépenses créées")
    amount_imported = models.DecimalField("montant importé (€)", **MONEY)
    #: [{"account": "6251", "label": "Voyages et déplacements", "lines": 3, "amount": "120.00"}]
    unmapped = models.JSONField("comptes de charges sans correspondance", default=list,
                                blank=True)

    class Meta:
        verbose_name = "import FEC"
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(fields=["crt", "file_hash"], name="fec_import_once"),
        ]

    def __str__(self) -> str:
        return self.file_name


class Expense(TenantModel, VersionedModel):
    """One expense of the CRT with its analytic axes (F-05): typed, or one line of a FEC."""

    class Source(models.TextChoices):
        TYPED = "typed", "Saisie"
        FEC = "fec", "Import FEC"

    spent_on = models.DateField("date")
    label = models.CharField("libellé", max_length=200)
    #: Negative for a credit note or a refund (a credit on a charge account of the FEC).
    amount = models.DecimalField("montant (€)", **MONEY)
    nature = models.CharField("nature", max_length=25, choices=Nature)
    volet = models.CharField("volet", max_length=6, choices=Volet)
    domain = models.ForeignKey("care.Domain", on_delete=models.PROTECT, null=True, blank=True,
                               related_name="+", verbose_name="domaine (volet 2)")
    source = models.CharField("origine", max_length=5, choices=Source, default=Source.TYPED)
    fec_import = models.ForeignKey(FecImport, on_delete=models.PROTECT, null=True, blank=True,
                                   related_name="expenses", verbose_name="import FEC")
    fec_line = models.PositiveIntegerField("ligne du FEC", null=True, blank=True)
    account = models.CharField("compte", max_length=20, blank=True)
    piece_ref = models.CharField("pièce", max_length=40, blank=True)
    #: Paid from the starter credits (F-06), not from the allocation.
    on_starter_credits = models.BooleanField("payée sur les crédits d'amorçage", default=False)

    class Meta:
        verbose_name = "dépense"
        ordering = ["-spent_on", "-created_at"]
        indexes = [models.Index(fields=["crt", "spent_on"], name="expense_crt_date")]
        constraints = [
            models.CheckConstraint(
                condition=Q(source="typed", fec_import__isnull=True)
                | Q(source="fec", fec_import__isnull=False, fec_line__isnull=False),
                name="expense_source_consistent",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.label} ({euros(self.amount)})"

    @property
    def is_investment(self) -> bool:
        return is_investment(self.nature)


class AccountMapping(TenantModel, VersionedModel):
    """An account number prefix of the carrier's chart of accounts and the axes its lines get
    on import; the longest prefix matching an account wins."""

    prefix = models.CharField(
        "préfixe de compte", max_length=20,
        validators=[RegexValidator(r"^[0-9]+[0-9A-Za-z]*$",
                                   "Un numéro de compte commence par des chiffres.")],
        help_text="Par exemple 6411 (salaires) : s'applique à tous les comptes qui commencent "
                  "ainsi, sauf préfixe plus long.")
    nature = models.CharField("nature", max_length=25, choices=Nature)
    volet = models.CharField("volet", max_length=6, choices=Volet)
    domain = models.ForeignKey("care.Domain", on_delete=models.PROTECT, null=True, blank=True,
                               related_name="+", verbose_name="domaine (volet 2)")
    label = models.CharField("intitulé", max_length=150, blank=True)

    class Meta:
        verbose_name = "correspondance de compte"
        ordering = ["prefix"]
        constraints = [
            models.UniqueConstraint(fields=["crt", "prefix"], name="account_mapping_once"),
        ]

    def __str__(self) -> str:
        return f"{self.prefix} → {self.get_nature_display()}"


# --- Activity reports (issue 14 §3, INDICATORS.md §4.2) -----------------------------------------


class ReportKind(models.TextChoices):
    ANNUAL = "annual", "Rapport d'activité annuel"
    HALF_YEAR = "half_year", "Bilan semestriel"


class ReportSettings(TenantModel, VersionedModel):
    """Which report templates the CRT produces and their due dates (INDICATORS §4.2: Occitanie
    asks for half-year reviews, the other regions for a yearly report; 000 and 002 give no
    submission date, so the due date is editable). One row per CRT, or the defaults."""

    annual = models.BooleanField("rapport d'activité annuel", default=True)
    half_year = models.BooleanField("bilans semestriels (30/06 et 31/12)", default=False)
    annual_due_month = models.PositiveSmallIntegerField(
        "mois de l'échéance du rapport annuel (année N+1)", default=4,
        validators=[MinValueValidator(1), MaxValueValidator(12)])
    annual_due_day = models.PositiveSmallIntegerField(
        "jour de l'échéance du rapport annuel", default=30,
        validators=[MinValueValidator(1), MaxValueValidator(31)])
    half_year_due_days = models.PositiveSmallIntegerField(
        "délai de remise du bilan semestriel (jours après la clôture)", null=True, blank=True,
        validators=[MaxValueValidator(365)],
        help_text="Laisser vide si l'ARS n'a pas fixé de délai.")

    class Meta:
        verbose_name = "paramètres des rapports"
        constraints = [
            models.UniqueConstraint(fields=["crt"], name="report_settings_once"),
        ]

    def __str__(self) -> str:
        return "Paramètres des rapports"


def report_pdf_path(instance, filename: str) -> str:
    return f"reports/{instance.crt.public_id}/{instance.public_id}.pdf"


class ActivityReport(TenantModel, VersionedModel):
    """One version of one report of a CRT for one period: the figures computed when it was
    generated (``snapshot``) and the director's narratives. A submitted version is frozen;
    « Corriger » makes the next version, a draft. ``version`` (of ``VersionedModel``) detects
    concurrent edits; ``number`` is the report's version as the ARS reads it (1, 2…)."""

    class Status(models.TextChoices):
        DRAFT = "draft", "Brouillon"
        SUBMITTED = "submitted", "Transmis"

    kind = models.CharField("modèle", max_length=10, choices=ReportKind)
    period_start = models.DateField("début de la période")
    period_end = models.DateField("fin de la période")
    number = models.PositiveSmallIntegerField("version", default=1)
    status = models.CharField("état", max_length=10, choices=Status, default=Status.DRAFT)
    #: Every figure as computed (``steering.reports.build_snapshot``): plain JSON data.
    snapshot = models.JSONField("chiffres", default=dict)
    #: The narrative sections the director writes: {key: text} (``reports.NARRATIVES``).
    narratives = models.JSONField("textes", default=dict, blank=True)
    generated_at = models.DateTimeField("chiffres calculés le")
    generated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
        related_name="+", verbose_name="chiffres calculés par")
    submitted_at = models.DateTimeField("transmis le", null=True, blank=True)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
        related_name="+", verbose_name="transmis par")
    #: The PDF of a submitted version, made once after the submission by the task queue
    #: (``report_files.store_pdf``) and then served as it is: a frozen version reads the same
    #: forever, and WeasyPrint takes seconds for a year. Empty for a draft.
    pdf = models.FileField("PDF transmis", upload_to=report_pdf_path, blank=True)

    class Meta:
        verbose_name = "rapport d'activité"
        ordering = ["-period_start", "kind", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["crt", "kind", "period_start", "number"],
                                    name="report_version_once"),
            models.UniqueConstraint(fields=["crt", "kind", "period_start"],
                                    condition=Q(status="draft"), name="report_one_draft"),
            models.CheckConstraint(condition=Q(period_start__lte=F("period_end")),
                                   name="report_period_ordered"),
            models.CheckConstraint(
                condition=Q(status="draft", submitted_at__isnull=True)
                | Q(status="submitted", submitted_at__isnull=False),
                name="report_submitted_dated"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} — {self.period_label} (version {self.number})"

    @property
    def is_draft(self) -> bool:
        return self.status == self.Status.DRAFT

    @property
    def period_label(self) -> str:
        from maillage.core.indicators import Period

        return Period.between(self.period_start, self.period_end).label
