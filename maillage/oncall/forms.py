from datetime import UTC, datetime, time, timedelta

from django import forms
from django.utils import timezone

from maillage.care.forms import team_users
from maillage.core.collation import french
from maillage.core.forms import BootstrapFormMixin, DateInput, VersionedModelForm
from maillage.core.pickers import SearchPickerMixin, SearchSelect
from maillage.core.validators import validate_phone, validate_schedule_date
from maillage.territory.models import Organization, Professional
from maillage.visits.forms import TimeInput
from maillage.visits.services import local_dt

from .models import Arrangement, Call, Escalation, EscalationContact, Shift

PRESETS = [("night", "Nuit (20 h – 8 h le lendemain)"), ("day", "Jour (8 h – 20 h)"),
           ("24h", "24 heures (8 h – 8 h, week-end et jours fériés)"),
           ("custom", "Autres horaires")]


def _moments(day, t: time) -> list[datetime]:
    """The moments (UTC) the wall clock shows ``t`` on ``day``: one, or two the night the
    clocks go back (02:00–02:59 comes twice). A time the spring change skips is read an hour
    later, as a visit's time is (``visits.services.local_dt``)."""
    wall = datetime.combine(day, t)
    first = local_dt(day, t)
    second = timezone.make_aware(wall.replace(fold=1))
    if second.astimezone(UTC) != first and \
            timezone.localtime(second).replace(tzinfo=None) == wall:
        return [first, second.astimezone(UTC)]
    return [first]


def before_now(t: time | None) -> datetime | None:
    """A wall-clock time just typed on call: the last moment it was shown, today or
    yesterday (in real time: on the night the clocks go back, 02:50 typed at the second 02:20
    is the first 02:50, forty minutes ago)."""
    if t is None:
        return None
    limit = timezone.now() + timedelta(minutes=5)
    today = timezone.localdate()
    return max(m for day in (today - timedelta(days=1), today) for m in _moments(day, t)
               if m <= limit)


def after(reference: datetime, t: time | None) -> datetime | None:
    """A time of the same intervention: the first moment the wall clock shows ``t`` from
    ``reference`` (a call-out that ends after midnight ends the next day; on the night the
    clocks go back, 02:10 after the first 02:50 is the second 02:10)."""
    if t is None:
        return None
    day = timezone.localtime(reference).date()
    limit = reference - timedelta(minutes=30)
    return min(m for d in (day, day + timedelta(days=1)) for m in _moments(d, t)
               if m >= limit)


def _time(label, required=False):
    return forms.TimeField(label=label, required=required, widget=TimeInput(),
                           error_messages={"required": f"Indiquez : {label.lower()}.",
                                           "invalid": "Heure invalide (HH:MM)."})


class CallStartForm(BootstrapFormMixin, forms.Form):
    """Seconds on a phone: who calls, about whom, why; times pre-filled."""

    reason = forms.ChoiceField(label="Motif", choices=Call.Reason.choices,
                               widget=forms.RadioSelect,
                               error_messages={"required": "Choisissez le motif."})
    source = forms.ChoiceField(label="Appel de", choices=Call.Source.choices,
                               initial=Call.Source.TELEASSISTANCE)
    caller_name = forms.CharField(label="Appelant (si la personne n'est pas connue)",
                                  max_length=150, required=False)
    caller_phone = forms.CharField(label="Téléphone de l'appelant", max_length=30,
                                   required=False,
                                   validators=[validate_phone])
    received = _time("Reçu à", required=True)
    answered = _time("Décroché à")
    DOMAIN_FIELDS = {"received_at": "received", "answered_at": "answered"}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["caller_phone"].widget.input_type = "tel"


class CallForm(BootstrapFormMixin, forms.Form):
    assessment = forms.CharField(label="Évaluation", required=False,
                                 widget=forms.Textarea(attrs={"rows": 2}))
    advice = forms.CharField(label="Conseils donnés", required=False,
                             widget=forms.Textarea(attrs={"rows": 2}))
    call_out = forms.BooleanField(label="Déplacement au domicile (levée de doute)",
                                  required=False)
    departed = _time("Départ")
    arrived = _time("Arrivée au domicile")
    left = _time("Fin de l'intervention")
    DOMAIN_FIELDS = {"departed_at": "departed", "arrived_at": "arrived", "left_at": "left"}
    actions = forms.CharField(label="Actions réalisées", required=False,
                              widget=forms.Textarea(attrs={"rows": 2}))
    outcome = forms.ChoiceField(label="Issue", choices=[("", "— pas encore"),
                                                        *Call.Outcome.choices],
                                required=False, widget=forms.RadioSelect)
    hospital = forms.CharField(label="Hospitalisé·e à", max_length=150, required=False)
    outcome_notes = forms.CharField(label="Précisions sur l'issue", required=False,
                                    widget=forms.Textarea(attrs={"rows": 2}))
    follow_up = forms.CharField(label="Suite à donner (pour l'équipe du matin)",
                               required=False, widget=forms.Textarea(attrs={"rows": 2}))
    close = forms.BooleanField(label="Clore l'appel", required=False)
    version = forms.IntegerField(widget=forms.HiddenInput)

    @staticmethod
    def initial_for(call: Call) -> dict:
        def t(moment):
            return timezone.localtime(moment).time().replace(second=0, microsecond=0) \
                if moment else None

        return {"assessment": call.assessment, "advice": call.advice,
                "call_out": call.call_out, "departed": t(call.departed_at),
                "arrived": t(call.arrived_at), "left": t(call.left_at),
                "actions": call.actions, "outcome": call.outcome, "hospital": call.hospital,
                "outcome_notes": call.outcome_notes, "follow_up": call.follow_up,
                "version": call.version}


class EscalationForm(BootstrapFormMixin, forms.Form):
    to = forms.ChoiceField(label="Appel à", choices=Escalation.To.choices)
    at = _time("À")
    notes = forms.CharField(label="Précisions", max_length=250, required=False)


class BreakGlassForm(BootstrapFormMixin, forms.Form):
    reason = forms.CharField(
        label="Pourquoi devez-vous ouvrir ce dossier ?", widget=forms.Textarea(attrs={"rows": 2}),
        error_messages={"required": "Indiquez le motif de l'accès en urgence."})


def _professional_label(p) -> str:
    return (f"{p.first_name} {p.last_name} — {p.get_profession_display()}"
            + (f" ({p.organization.name})" if p.organization_id else ""))


class ShiftForm(SearchPickerMixin, BootstrapFormMixin, forms.Form):
    """Turns of the rota; who is on call is found by name (search-as-you-type), the page never
    lists the whole team or directory."""

    PICKERS = {
        "staff": (("first_name", "last_name", "username"),
                  lambda u: u.get_full_name() or u.username),
        "professional": (("first_name", "last_name"), _professional_label),
    }

    preset = forms.ChoiceField(label="Créneau", choices=PRESETS, initial="night",
                               widget=forms.RadioSelect)
    first_day = forms.DateField(label="Premier jour", widget=DateInput(),
                                validators=[validate_schedule_date],
                                error_messages={"required": "Indiquez le premier jour.",
                                                "invalid": "Date invalide."})
    days = forms.IntegerField(label="Nombre de jours consécutifs", min_value=1, max_value=31,
                              initial=1, error_messages={
                                  "min_value": "Un jour au moins.",
                                  "max_value": "31 jours au plus.",
                                  "invalid": "Indiquez un nombre de jours."})
    start_time = _time("Début (autres horaires)")
    end_time = _time("Fin (autres horaires)")
    DOMAIN_FIELDS = {"starts_at": "start_time", "ends_at": "end_time"}
    staff = forms.ModelChoiceField(
        label="Membre de l'équipe", queryset=Shift.objects.none(), to_field_name="public_id",
        required=False, widget=SearchSelect(),
        error_messages={"invalid_choice": "Choisissez un membre de l'équipe dans la liste."})
    professional = forms.ModelChoiceField(
        label="ou professionnel partenaire (IDE de nuit mutualisé…)",
        queryset=Professional.objects.none(), to_field_name="public_id", required=False,
        widget=SearchSelect(),
        error_messages={"invalid_choice": "Choisissez un professionnel dans la liste."})
    duty = forms.ChoiceField(label="Rôle", choices=Shift.Duty.choices)
    arrangement = forms.ModelChoiceField(label="Dans le cadre de",
                                         queryset=Arrangement.objects.none(),
                                         to_field_name="public_id", required=False,
                                         empty_label="—")
    phone = forms.CharField(label="Téléphone d'astreinte", max_length=30, required=False,
                            validators=[validate_phone])
    notes = forms.CharField(label="Précisions", max_length=250, required=False)

    def __init__(self, *args, crt, search_url: str = "", **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["staff"].queryset = team_users(crt)
        self.fields["professional"].queryset = (
            Professional.objects.filter(crt=crt, is_active=True)
            .select_related("organization").order_by(french("last_name"), french("first_name")))
        self.fields["arrangement"].queryset = Arrangement.objects.filter(crt=crt)
        self.setup_pickers(search_url)
        self._style_fields()

    def clean(self):
        data = super().clean()
        self.resolve_typed(data)
        if data.get("staff") and data.get("professional"):
            self.add_error("professional", "Une seule personne par tour d'astreinte.")
        elif not data.get("staff") and not data.get("professional") and not self.errors:
            self.add_error("staff", "Indiquez qui est d'astreinte.")
        if data.get("preset") == "custom" and not (data.get("start_time")
                                                   and data.get("end_time")):
            self.add_error("start_time", "Indiquez le début et la fin.")
        return data


class ArrangementForm(VersionedModelForm):
    class Meta:
        model = Arrangement
        fields = ["model", "partner", "start_date", "end_date", "agreement_signed_on",
                  "carrier_written_consent", "yearly_contribution", "scope", "notes"]
        widgets = {"start_date": DateInput(), "end_date": DateInput(),
                   "agreement_signed_on": DateInput(),
                   "scope": forms.Textarea(attrs={"rows": 2}),
                   "notes": forms.Textarea(attrs={"rows": 2})}
        error_messages = {"model": {"required": "Choisissez le modèle d'organisation."},
                          "start_date": {"required": "Indiquez la date de début.",
                                         "invalid": "Date invalide."}}

    def __init__(self, *args, crt, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["partner"].queryset = Organization.objects.filter(crt=crt, is_active=True)
        self.fields["partner"].to_field_name = "public_id"

    def _post_clean(self):
        pass


class ContactForm(BootstrapFormMixin, forms.Form):
    level = forms.ChoiceField(label="Niveau", choices=EscalationContact.Level.choices)
    label = forms.CharField(label="Libellé", max_length=150,
                            error_messages={"required": "Indiquez le libellé."})
    phone = forms.CharField(label="Téléphone", max_length=30,
                            error_messages={"required": "Indiquez le numéro."},
                            validators=[validate_phone])
    available_from = _time("Joignable de")
    available_until = _time("Jusqu'à")
    #: The contact's version when the edit page was loaded (concurrent edits are detected).
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["available_from"].help_text = (
            "Heures où ce recours répond (par exemple 08:00 à 20:00, ou 20:00 à 08:00 la "
            "nuit) ; laissez vide s'il répond jour et nuit.")

    def clean(self):
        data = super().clean()
        start, end = data.get("available_from"), data.get("available_until")
        if "available_from" in self.errors or "available_until" in self.errors:
            return data
        if start is None and end is not None:
            self.add_error("available_from", "Indiquez aussi l'heure de début, ou aucune des "
                                             "deux si le recours est joignable jour et nuit.")
        elif end is None and start is not None:
            self.add_error("available_until", "Indiquez aussi l'heure de fin, ou aucune des "
                                              "deux si le recours est joignable jour et nuit.")
        elif start is not None and start == end:
            self.add_error("available_until", "Le début et la fin sont identiques : laissez "
                                              "les deux heures vides si le recours est "
                                              "joignable jour et nuit.")
        return data
