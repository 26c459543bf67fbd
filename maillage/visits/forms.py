from django import forms

from maillage.care.forms import team_users
from maillage.care.models import LiaisonNote, Service
from maillage.core.forms import BootstrapFormMixin, DateInput
from maillage.core.validators import validate_schedule_date
from maillage.territory.models import Professional

from .models import WEEKDAYS, Place, Visit, VisitSeries

ONCE = "once"
RECURRENCE_CHOICES = [(ONCE, "Une seule fois"), *VisitSeries.Frequency.choices]
SCOPE_CHOICES = [("following", "Ce passage et les suivants"), ("all", "Toute la série")]


class TimeInput(forms.TimeInput):
    input_type = "time"

    def __init__(self, **kwargs):
        super().__init__(format="%H:%M", **kwargs)


def _date(label, required=True, **kwargs):
    return forms.DateField(label=label, widget=DateInput(), required=required,
                           validators=[validate_schedule_date],
                           error_messages={"required": f"Indiquez {label.lower()}.",
                                           "invalid": "Date invalide."}, **kwargs)


class WhoFieldsMixin:
    """The service, the person who visits (team member or partner), the place."""

    def _setup_who(self, crt):
        self.fields["staff"].queryset = team_users(crt)
        self.fields["staff"].label_from_instance = lambda u: u.get_full_name() or u.username
        self.fields["professional"].queryset = Professional.objects.filter(
            crt=crt, is_active=True).select_related("organization")
        self.fields["professional"].label_from_instance = (
            lambda p: f"{p.first_name} {p.last_name} — {p.get_profession_display()}"
                      + (f" ({p.organization.name})" if p.organization_id else ""))
        self.fields["service"].queryset = Service.objects.filter(crt=crt, is_active=True)
        self._style_fields()

    def clean(self):
        data = super().clean()
        if data.get("staff") and data.get("professional"):
            self.add_error("professional", "Un passage est fait par une seule personne : "
                                           "choisissez un membre de l'équipe ou un partenaire.")
        elif not data.get("staff") and not data.get("professional") and not self.errors:
            self.add_error("staff", "Indiquez qui fait le passage.")
        return data


def _who_fields():
    return {
        "staff": forms.ModelChoiceField(
            label="Membre de l'équipe du CRT", queryset=team_users(None).none(),
            to_field_name="public_id", required=False, empty_label="—"),
        "professional": forms.ModelChoiceField(
            label="ou professionnel partenaire", queryset=Professional.objects.none(),
            to_field_name="public_id", required=False, empty_label="—"),
        "service": forms.ModelChoiceField(
            label="Prestation", queryset=Service.objects.none(), to_field_name="public_id",
            required=False, empty_label="—"),
        "place": forms.ChoiceField(label="Lieu", choices=Place.choices, initial=Place.HOME),
    }


_duration = forms.IntegerField(
    label="Durée (minutes)", min_value=5, max_value=720, initial=30,
    error_messages={"required": "Indiquez la durée.", "invalid": "Indiquez un nombre de minutes.",
                    "min_value": "Cinq minutes au moins.",
                    "max_value": "Douze heures au plus."})
_overlap = forms.BooleanField(label="Planifier malgré l'avertissement", required=False,
                              help_text="À cocher seulement si ce créneau est voulu malgré "
                                        "la double réservation ou le repos de "
                                        "l'intervenant·e.")
_instructions = forms.CharField(label="Consignes", max_length=300, required=False)


def _window(label):
    return forms.IntegerField(
        label=label, min_value=0, max_value=240, required=False,
        help_text="Pour l'optimisation des tournées, le créneau convenu avec la personne ; "
                  "vide : 30 minutes.",
        error_messages={"invalid": "Indiquez un nombre de minutes.",
                        "min_value": "Zéro minute au moins.",
                        "max_value": "Quatre heures au plus."})


_second_staff_help = ("Visite à deux (transfert, toilette lourde) : les deux intervenant·es "
                      "ont chacun·e leur passage, à la même heure.")
_interval = forms.IntegerField(
    label="Toutes les", min_value=1, max_value=12, initial=1,
    help_text="1 : chaque jour (ou chaque semaine) ; 2 : un sur deux…",
    error_messages={"invalid": "Indiquez un nombre.", "min_value": "1 au moins.",
                    "max_value": "12 au plus."})
_weekdays = forms.MultipleChoiceField(label="Jours", choices=WEEKDAYS, required=False,
                                      widget=forms.CheckboxSelectMultiple)
_times = forms.CharField(label="Heure(s) de début", max_length=60,
                         help_text="Une heure, ou plusieurs pour une série : 08:00, 19:00.",
                         error_messages={"required": "Indiquez l'heure du passage."})


class VisitPlanForm(WhoFieldsMixin, BootstrapFormMixin, forms.Form):
    """A new visit: one-off, or a series (every day, some weekdays…)."""

    DOMAIN_FIELDS = {"starts_at": "start_date"}

    start_date = _date("Date (premier jour)")
    times = _times
    duration_minutes = _duration
    recurrence = forms.ChoiceField(label="Récurrence", choices=RECURRENCE_CHOICES,
                                   initial=ONCE, widget=forms.RadioSelect)
    interval = _interval
    weekdays = _weekdays
    end_date = _date("Jusqu'au (inclus)", required=False,
                     help_text="Vide : la série continue jusqu'à ce qu'on l'arrête.")
    instructions = _instructions
    window_before = _window("Peut avancer de (minutes)")
    window_after = _window("Peut reculer de (minutes)")
    allow_overlap = _overlap

    def __init__(self, *args, crt, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields.update(_who_fields())
        self.fields["second_staff"] = forms.ModelChoiceField(
            label="Second·e intervenant·e (visite à deux)", queryset=team_users(crt),
            to_field_name="public_id", required=False, empty_label="—",
            help_text=_second_staff_help)
        self.fields["second_staff"].label_from_instance = \
            lambda u: u.get_full_name() or u.username
        order = ["start_date", "times", "duration_minutes", "staff", "professional",
                 "second_staff", "service", "place", "recurrence", "interval", "weekdays",
                 "end_date", "window_before", "window_after", "instructions", "allow_overlap"]
        self.order_fields(order)
        self._setup_who(crt)
        self.fields["interval"].required = False

    def clean(self):
        data = super().clean()
        second = data.get("second_staff")
        if second is not None and second == data.get("staff"):
            self.add_error("second_staff", "Une visite à deux demande deux personnes "
                                           "différentes.")
        return data


class SeriesEditForm(WhoFieldsMixin, BootstrapFormMixin, forms.Form):
    scope = forms.ChoiceField(label="Appliquer à", choices=SCOPE_CHOICES, initial="following",
                              widget=forms.RadioSelect)
    frequency = forms.ChoiceField(label="Récurrence", choices=VisitSeries.Frequency.choices,
                                  widget=forms.RadioSelect)
    interval = _interval
    weekdays = _weekdays
    times = _times
    duration_minutes = _duration
    end_date = _date("Jusqu'au (inclus)", required=False)
    window_before = _window("Peut avancer de (minutes)")
    window_after = _window("Peut reculer de (minutes)")
    instructions = _instructions
    allow_overlap = _overlap
    version = forms.IntegerField(widget=forms.HiddenInput)

    def __init__(self, *args, crt, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields.update(_who_fields())
        self.order_fields(["scope", "frequency", "interval", "weekdays", "times",
                           "duration_minutes", "staff", "professional", "service", "place",
                           "end_date", "window_before", "window_after", "instructions",
                           "allow_overlap", "version"])
        self._setup_who(crt)

    @staticmethod
    def initial_for(series: VisitSeries) -> dict:
        return {
            "frequency": series.frequency, "interval": series.interval,
            "weekdays": [str(d) for d in series.weekday_list],
            "times": ", ".join(series.time_list), "duration_minutes": series.duration_minutes,
            "staff": series.staff.public_id if series.staff_id else None,
            "professional": series.professional.public_id if series.professional_id else None,
            "service": series.service.public_id if series.service_id else None,
            "place": series.place, "end_date": series.end_date,
            "window_before": series.window_before, "window_after": series.window_after,
            "instructions": series.instructions, "version": series.version,
        }


class VisitEditForm(WhoFieldsMixin, BootstrapFormMixin, forms.Form):
    """One occurrence (moved, given to someone else…): the series is left as it is."""

    DOMAIN_FIELDS = {"starts_at": "day"}
    day = _date("Date")
    start_time = forms.TimeField(label="Heure de début", widget=TimeInput(),
                                 error_messages={"required": "Indiquez l'heure.",
                                                 "invalid": "Heure invalide (HH:MM)."})
    duration_minutes = _duration
    window_before = _window("Peut avancer de (minutes)")
    window_after = _window("Peut reculer de (minutes)")
    instructions = _instructions
    allow_overlap = _overlap
    version = forms.IntegerField(widget=forms.HiddenInput)

    def __init__(self, *args, crt, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields.update(_who_fields())
        self.order_fields(["day", "start_time", "duration_minutes", "staff", "professional",
                           "service", "place", "window_before", "window_after",
                           "instructions", "allow_overlap", "version"])
        self._setup_who(crt)


class DoneForm(BootstrapFormMixin, forms.Form):
    actual_start = forms.TimeField(label="Arrivée", widget=TimeInput(),
                                   error_messages={"required": "Indiquez l'heure d'arrivée.",
                                                   "invalid": "Heure invalide (HH:MM)."})
    actual_end = forms.TimeField(label="Départ", widget=TimeInput(),
                                 error_messages={"required": "Indiquez l'heure de départ.",
                                                 "invalid": "Heure invalide (HH:MM)."})
    report = forms.CharField(label="Ce qui a été fait", required=False, max_length=2000,
                             widget=forms.Textarea(attrs={"rows": 2}))
    note_text = forms.CharField(
        label="Transmission au cahier de liaison (facultatif)", required=False,
        max_length=4000, widget=forms.Textarea(attrs={"rows": 3}))
    note_category = forms.ChoiceField(label="Catégorie de la transmission",
                                      choices=LiaisonNote.Category.choices,
                                      initial=LiaisonNote.Category.GENERAL, required=False)
    note_visibility = forms.ChoiceField(label="Transmission visible par",
                                        choices=LiaisonNote.Visibility.choices,
                                        initial=LiaisonNote.Visibility.TEAM, required=False)
    version = forms.IntegerField(widget=forms.HiddenInput)


class NotDoneForm(BootstrapFormMixin, forms.Form):
    reason = forms.ChoiceField(label="Motif", choices=Visit.NotDoneReason.choices,
                               widget=forms.RadioSelect,
                               error_messages={"required": "Choisissez le motif."})
    comment = forms.CharField(label="Précisions", required=False, max_length=2000,
                              widget=forms.Textarea(attrs={"rows": 2}))
    version = forms.IntegerField(widget=forms.HiddenInput)
