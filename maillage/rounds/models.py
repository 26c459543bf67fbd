"""A rounds proposal: the solver's plan for a CRT's day, computed on the task queue, compared
with the current plan and applied (or not) by the coordination."""

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q

from maillage.core.models import TenantModel, VersionedModel
from maillage.visits.models import WEEKDAYS


class Proposal(TenantModel):
    class Status(models.TextChoices):
        PENDING = "pending", "En attente"
        RUNNING = "running", "En calcul"
        DONE = "done", "Prête"
        FAILED = "failed", "Échec"
        APPLIED = "applied", "Appliquée"

    day = models.DateField("jour")
    #: The night from this day's evening (the on-call round), not the day.
    night = models.BooleanField("nuit", default=False)
    #: Ids of the members of staff who do not work that day (« Marie est malade ce matin »).
    excluded = models.JSONField("intervenant·es absent·es", default=list, blank=True)
    #: The absent come back at this time (« malade ce matin »); empty: the whole day.
    absent_until = models.TimeField("absent·es jusqu'à", null=True, blank=True)
    #: Ids of the visits kept at their planned time with their planned carer (confirmed).
    locked = models.JSONField("passages verrouillés", default=list, blank=True)
    status = models.CharField("état", max_length=8, choices=Status, default=Status.PENDING)
    progress = models.PositiveSmallIntegerField("avancement (%)", default=0)
    #: The comparison and the routes (ids and minutes only: names are read when shown).
    result = models.JSONField(null=True, blank=True)
    error = models.CharField("erreur", max_length=300, blank=True)
    applied_at = models.DateTimeField("appliquée le", null=True, blank=True)
    applied_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                   null=True, blank=True, related_name="+",
                                   verbose_name="appliquée par")

    class Meta:
        verbose_name = "proposition de tournées"
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["crt", "-created_at"], name="rounds_proposal_crt")]

    def __str__(self) -> str:
        return f"Tournées de la nuit du {self.day:%d/%m/%Y}" if self.night \
            else f"Tournées du {self.day:%d/%m/%Y}"


class CarerHours(TenantModel, VersionedModel):
    """A carer's working hours on one weekday, for the rounds: the shift, its break (a split
    day: the round stops and starts again), where it starts and ends (the CRT's base or the
    carer's home commune) and the most working time. A carer without hours for a day works
    around her visits (an hour before the first, an hour after the last), from the base.
    An end before the start is the next morning's (night hours, 20:00 → 08:00): the weekday is
    the evening's, and the break falls in between, maybe across midnight."""

    class StartFrom(models.TextChoices):
        BASE = "base", "Le site du CRT"
        HOME = "home", "Son domicile"

    class Vehicle(models.TextChoices):
        CAR = "car", "Voiture"
        BIKE = "bike", "Vélo à assistance électrique"
        FOOT = "foot", "À pied"

    #: Travel times × this, from the car's (a rough ratio of the speeds in the country).
    SLOWNESS = {Vehicle.CAR: 1.0, Vehicle.BIKE: 2.5, Vehicle.FOOT: 6.0}

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                             related_name="+", verbose_name="intervenant·e")
    weekday = models.PositiveSmallIntegerField("jour", choices=WEEKDAYS)
    starts = models.TimeField("début")
    ends = models.TimeField("fin")
    break_start = models.TimeField("coupure de", null=True, blank=True)
    break_end = models.TimeField("à", null=True, blank=True)
    start_from = models.CharField("part de et revient à", max_length=4, choices=StartFrom,
                                  default=StartFrom.BASE)
    home_commune = models.ForeignKey("territory.Commune", on_delete=models.PROTECT, null=True,
                                     blank=True, related_name="+",
                                     verbose_name="commune du domicile")
    vehicle = models.CharField("se déplace en", max_length=4, choices=Vehicle,
                               default=Vehicle.CAR)
    max_working_minutes = models.PositiveSmallIntegerField(
        "temps de travail au plus (min)", null=True, blank=True,
        validators=[MinValueValidator(30), MaxValueValidator(720)])

    class Meta:
        verbose_name = "horaires d'un·e intervenant·e"
        ordering = ["user_id", "weekday"]
        constraints = [
            models.UniqueConstraint(fields=["crt", "user", "weekday"],
                                    name="carer_hours_one_per_day"),
            models.CheckConstraint(condition=~Q(ends=models.F("starts")),
                                   name="carer_hours_not_empty",
                                   violation_error_message="La fin doit différer du début."),
            models.CheckConstraint(
                condition=(Q(break_start__isnull=True) & Q(break_end__isnull=True))
                # The day's hours: start, break, end in this order.
                | (Q(ends__gt=models.F("starts")) & Q(break_start__gt=models.F("starts"))
                   & Q(break_end__gt=models.F("break_start"))
                   & Q(ends__gt=models.F("break_end")))
                # The night's: the break in the evening, across midnight or in the morning.
                | (Q(ends__lt=models.F("starts")) & (
                    (Q(break_start__gt=models.F("starts"))
                     & (Q(break_end__gt=models.F("break_start"))
                        | Q(break_end__lt=models.F("ends"))))
                    | (Q(break_start__lt=models.F("ends"))
                       & Q(break_end__gt=models.F("break_start"))
                       & Q(break_end__lt=models.F("ends"))))),
                name="carer_hours_break_inside",
                violation_error_message="La coupure doit tenir dans la journée, après le début "
                                        "et avant la fin."),
            models.CheckConstraint(condition=~Q(start_from="home")
                                   | Q(home_commune__isnull=False),
                                   name="carer_hours_home_known"),
        ]

    @property
    def overnight(self) -> bool:
        """Hours that end the next morning."""
        return self.ends < self.starts

    def __str__(self) -> str:
        return f"{self.get_weekday_display()} {self.starts:%H:%M}–{self.ends:%H:%M}" \
            + (" (le lendemain)" if self.overnight else "")
