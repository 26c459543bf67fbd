"""Visits at the person's home (or at the CRT): series with their recurrence, occurrences with
their traceability, and the private iCalendar tokens of the professionals (SPEC §4.3)."""

import hashlib
import secrets
from datetime import date, timedelta

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q

from maillage.beneficiaries.models import Beneficiary
from maillage.core.models import TenantModel, VersionedModel
from maillage.territory.models import Professional


class Place(models.TextChoices):
    HOME = "home", "Au domicile"
    CRT = "crt", "Au CRT"


WEEKDAYS = [(0, "lundi"), (1, "mardi"), (2, "mercredi"), (3, "jeudi"), (4, "vendredi"),
            (5, "samedi"), (6, "dimanche")]


class Actor(models.Model):
    """Who does the visit: a member of the CRT team or a professional of the directory."""

    staff = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True,
                              blank=True, related_name="+", verbose_name="membre de l'équipe")
    professional = models.ForeignKey(Professional, on_delete=models.PROTECT, null=True,
                                     blank=True, related_name="+",
                                     verbose_name="professionnel partenaire")

    class Meta:
        abstract = True

    @property
    def who(self) -> str:
        if self.staff_id:
            return self.staff.get_full_name() or self.staff.username
        if self.professional_id:
            p = self.professional
            name = f"{p.first_name} {p.last_name}".strip()
            return f"{name} ({p.organization.name})" if p.organization_id else name
        return "—"

    @property
    def actor_key(self) -> str:
        """One key per person who visits, to detect double-booking."""
        return f"s{self.staff_id}" if self.staff_id else f"p{self.professional_id}"


class VisitSeries(TenantModel, VersionedModel, Actor):
    """A recurring visit: which days, at which times, from when until when."""

    class Frequency(models.TextChoices):
        DAILY = "daily", "Tous les jours"
        WEEKLY = "weekly", "Certains jours de la semaine"

    beneficiary = models.ForeignKey(Beneficiary, on_delete=models.CASCADE,
                                    related_name="visit_series")
    planned_action = models.ForeignKey("care.PlannedAction", on_delete=models.SET_NULL,
                                       null=True, blank=True, related_name="+",
                                       verbose_name="action du plan")
    service = models.ForeignKey("care.Service", on_delete=models.PROTECT, null=True,
                                blank=True, related_name="+", verbose_name="prestation")
    place = models.CharField("lieu", max_length=5, choices=Place, default=Place.HOME)
    frequency = models.CharField("récurrence", max_length=8, choices=Frequency)
    interval = models.PositiveSmallIntegerField(
        "toutes les", default=1, validators=[MinValueValidator(1), MaxValueValidator(12)],
        help_text="1 : chaque jour ou chaque semaine ; 2 : un jour ou une semaine sur deux…")
    weekdays = models.CharField("jours", max_length=20, blank=True,
                                help_text="Jours de la semaine, 0 = lundi … 6 = dimanche.")
    times = models.CharField("heures", max_length=60,
                             help_text="Heures de début, par exemple 08:00 et 19:00.")
    duration_minutes = models.PositiveSmallIntegerField(
        "durée (minutes)", validators=[MinValueValidator(5), MaxValueValidator(720)])
    start_date = models.DateField("à partir du")
    end_date = models.DateField("jusqu'au", null=True, blank=True)
    generated_until = models.DateField("passages créés jusqu'au", null=True, blank=True)
    instructions = models.CharField("consignes", max_length=300, blank=True)
    #: A visit done by two carers at once (a transfer): each carer has a series of their own,
    #: both marked, at the same times.
    two_person = models.BooleanField("visite à deux", default=False)
    #: How far each occurrence may move for the rounds (from the plan: « entre 7 h 30 et 9 h »).
    window_before = models.PositiveSmallIntegerField(
        "peut avancer de (min)", null=True, blank=True, validators=[MaxValueValidator(240)])
    window_after = models.PositiveSmallIntegerField(
        "peut reculer de (min)", null=True, blank=True, validators=[MaxValueValidator(240)])

    class Meta:
        verbose_name = "série de passages"
        verbose_name_plural = "séries de passages"
        constraints = [
            models.CheckConstraint(condition=Q(staff__isnull=True) | Q(professional__isnull=True),
                                   name="series_one_actor"),
            models.CheckConstraint(
                condition=Q(end_date__isnull=True) | Q(end_date__gte=models.F("start_date")),
                name="series_dates_ordered"),
        ]
        indexes = [models.Index(fields=["crt", "generated_until"], name="series_horizon")]

    def __str__(self) -> str:
        return f"{self.label} — {self.describe()}"

    @property
    def label(self) -> str:
        return self.service.name if self.service_id else "Passage"

    @property
    def weekday_list(self) -> list[int]:
        return [int(d) for d in self.weekdays.split(",") if d.strip()]

    @property
    def time_list(self) -> list[str]:
        return [t.strip() for t in self.times.split(",") if t.strip()]

    def describe(self) -> str:
        """The recurrence in words, e.g. « tous les jours à 08:00 et 19:00 »."""
        times = " et ".join(self.time_list)
        if self.frequency == self.Frequency.DAILY:
            rhythm = "tous les jours" if self.interval == 1 else f"tous les {self.interval} jours"
        else:
            days = ", ".join(dict(WEEKDAYS)[d] for d in self.weekday_list)
            rhythm = (f"chaque {days}" if self.interval == 1
                      else f"toutes les {self.interval} semaines le {days}")
        end = f" jusqu'au {self.end_date:%d/%m/%Y}" if self.end_date else ""
        return f"{rhythm} à {times}, {self.duration_minutes} min{end}"

    def occurs_on(self, day: date) -> bool:
        if day < self.start_date or (self.end_date and day > self.end_date):
            return False
        if self.frequency == self.Frequency.DAILY:
            return (day - self.start_date).days % self.interval == 0
        if day.weekday() not in self.weekday_list:
            return False
        # Weeks counted from the Monday of the start date.
        monday = self.start_date.toordinal() - self.start_date.weekday()
        return ((day.toordinal() - monday) // 7) % self.interval == 0


class Visit(TenantModel, VersionedModel, Actor):
    """One visit: planned, then traced (done / not done) by the professional."""

    #: A visit lasts at most this long (the forms' 720 minutes, checked by the services for
    #: every way of setting it): the reads of the visits overlapping some hours look back this
    #: far only (``elsewhere.busy_slots``), whatever the history of the CRT.
    LONGEST = timedelta(hours=12)

    class Status(models.TextChoices):
        PLANNED = "planned", "Prévu"
        DONE = "done", "Réalisé"
        NOT_DONE = "not_done", "Non réalisé"
        CANCELLED = "cancelled", "Annulé"

    class NotDoneReason(models.TextChoices):
        NO_ANSWER = "no_answer", "Personne absente ou ne répondant pas"
        REFUSED = "refused", "Refus de la personne"
        HOSPITALISED = "hospitalised", "Personne hospitalisée"
        TEMPORARY_EXIT = "temporary_exit", "Personne absente (sortie temporaire)"
        PLANNED_ABSENCE = "planned_absence", "Absence prévue (la personne avait prévenu)"
        STAFF_UNAVAILABLE = "staff_unavailable", "Intervenant indisponible"
        OTHER = "other", "Autre raison"

    beneficiary = models.ForeignKey(Beneficiary, on_delete=models.CASCADE,
                                    related_name="visits")
    series = models.ForeignKey(VisitSeries, on_delete=models.SET_NULL, null=True, blank=True,
                               related_name="visits")
    #: The slot this occurrence was generated for (a series occurrence keeps it when moved).
    original_start = models.DateTimeField(null=True, blank=True)
    #: Edited on its own: edits of the whole series leave it alone.
    detached = models.BooleanField(default=False)
    service = models.ForeignKey("care.Service", on_delete=models.PROTECT, null=True,
                                blank=True, related_name="+", verbose_name="prestation")
    place = models.CharField("lieu", max_length=5, choices=Place, default=Place.HOME)
    starts_at = models.DateTimeField("début prévu")
    ends_at = models.DateTimeField("fin prévue")
    instructions = models.CharField("consignes", max_length=300, blank=True)
    status = models.CharField("état", max_length=10, choices=Status, default=Status.PLANNED)
    actual_start = models.DateTimeField("arrivée", null=True, blank=True)
    actual_end = models.DateTimeField("départ", null=True, blank=True)
    report = models.TextField("ce qui a été fait", blank=True)
    not_done_reason = models.CharField("motif", max_length=20, choices=NotDoneReason,
                                       blank=True)
    traced_at = models.DateTimeField("tracé le", null=True, blank=True)
    traced_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                  null=True, blank=True, related_name="+",
                                  verbose_name="tracé par")
    missed_alert = models.ForeignKey("care.Alert", on_delete=models.SET_NULL, null=True,
                                     blank=True, related_name="+")
    #: Done by two carers at once (a transfer): the other half is the visit of the same person
    #: at the same time, also marked (``rounds.day._pairs`` finds them).
    two_person = models.BooleanField("visite à deux", default=False)
    #: When the visit may start (the plan's window, agreed with the person); empty: ± 30 min
    #: around its planned time, for the rounds. Absolute, so that a visit moved keeps it.
    window_start = models.DateTimeField("au plus tôt", null=True, blank=True)
    window_end = models.DateTimeField("au plus tard", null=True, blank=True)
    #: Traced on the phone without network and synchronised later (``maillage.offline``): its
    #: times are those the professional recorded on the spot.
    traced_offline = models.BooleanField("saisi hors ligne", default=False)

    class Meta:
        verbose_name = "passage"
        ordering = ["starts_at", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(staff__isnull=True) | Q(professional__isnull=True),
                                   name="visit_one_actor"),
            models.CheckConstraint(condition=Q(ends_at__gt=models.F("starts_at")),
                                   name="visit_ends_after_start"),
            models.CheckConstraint(
                condition=Q(window_start__isnull=True) | Q(window_end__isnull=True)
                | Q(window_end__gte=models.F("window_start")),
                name="visit_window_ordered"),
        ]
        indexes = [
            models.Index(fields=["crt", "starts_at"], name="visit_crt_time"),
            models.Index(fields=["crt", "beneficiary", "starts_at"], name="visit_benef_time"),
            models.Index(fields=["crt", "staff", "starts_at"], name="visit_staff_time"),
            models.Index(fields=["crt", "professional", "starts_at"], name="visit_pro_time"),
            models.Index(fields=["status", "ends_at"], name="visit_untraced"),
            models.Index(fields=["series", "starts_at"], name="visit_series_time"),
            # The FHIR API's pages (Encounter, Appointment): a CRT's visits in public id order
            # from a cursor, read in order instead of sorting all of them for each page.
            models.Index(fields=["crt", "public_id"], name="visit_crt_public_id"),
        ]

    def __str__(self) -> str:
        return f"{self.label} — {self.beneficiary.display_name}"

    @property
    def label(self) -> str:
        return self.service.name if self.service_id else "Passage"

    @property
    def is_traced(self) -> bool:
        return self.status in (self.Status.DONE, self.Status.NOT_DONE)


class VisitTask(TenantModel):
    """What became of one action of the plan during a visit (« fait », or not and why), as the
    professional ticked it when tracing the visit."""

    visit = models.ForeignKey(Visit, on_delete=models.CASCADE, related_name="tasks")
    action = models.ForeignKey("care.PlannedAction", on_delete=models.SET_NULL, null=True,
                               blank=True, related_name="+", verbose_name="action du plan")
    #: The action's wording when the visit was traced (the plan changes; the trace does not).
    description = models.CharField("action", max_length=300)
    done = models.BooleanField("faite")
    reason = models.CharField("pourquoi pas", max_length=300, blank=True)

    class Meta:
        verbose_name = "action du plan lors d'un passage"
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["visit", "action"], name="visit_task_once"),
            models.CheckConstraint(condition=Q(done=True) | ~Q(reason=""),
                                   name="visit_task_reason_when_not_done"),
        ]

    def __str__(self) -> str:
        return self.description


class CalendarToken(models.Model):
    """The private address of one professional's iCalendar feed. Only a hash is stored; the
    address is shown once, when it is created. Revoked by deleting its hash."""

    crt = models.ForeignKey("core.Crt", on_delete=models.CASCADE, related_name="+")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                             related_name="+")
    token_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["crt", "user"],
                                               name="one_calendar_token")]

    def __str__(self) -> str:
        return f"Agenda iCalendar de {self.user}"

    @staticmethod
    def hash(token: str) -> str:
        return hashlib.sha256(token.encode()).hexdigest()

    @staticmethod
    def new_token() -> str:
        return secrets.token_urlsafe(32)
