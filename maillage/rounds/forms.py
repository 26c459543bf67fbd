from django import forms

from maillage.core.forms import BootstrapFormMixin, DateInput
from maillage.visits.forms import TimeInput
from maillage.visits.models import WEEKDAYS

from . import selectors
from .models import CarerHours


class VisitIdsField(forms.Field):
    """Visit ids sent back by the proposal page (hidden inputs or check boxes)."""

    widget = forms.MultipleHiddenInput
    default_error_messages = {"invalid": "Identifiant de passage invalide."}

    def to_python(self, value):
        values = value if isinstance(value, list | tuple) else ([value] if value else [])
        try:
            return sorted({int(v) for v in values})
        except (TypeError, ValueError) as exc:
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid") from exc


class ProposalForm(BootstrapFormMixin, forms.Form):
    day = forms.DateField(label="Jour à optimiser", widget=DateInput())
    night = forms.BooleanField(
        label="La nuit qui suit (tournée de l'astreinte de nuit)", required=False,
        help_text="Les passages de la nuit, confiés aux personnes d'astreinte qui se "
                  "déplacent, en gardant le temps que prennent d'habitude les appels.")
    excluded = forms.MultipleChoiceField(
        label="Absent·es ce jour-là", required=False, widget=forms.CheckboxSelectMultiple,
        help_text="Leurs passages sont confiés à des collègues du même métier ; ceux qui ne "
                  "trouvent pas de place sont signalés.")
    absent_until = forms.TimeField(
        label="Absent·es jusqu'à", required=False, widget=TimeInput(),
        help_text="Pour une absence d'une partie de la journée (« malade ce matin ») : "
                  "l'heure de leur retour. Vide : toute la journée.",
        error_messages={"invalid": "Heure invalide (HH:MM)."})
    locked = VisitIdsField(required=False, label="Passages verrouillés")

    def __init__(self, *args, crt, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["excluded"].choices = [(str(u.pk), u.get_full_name() or u.username)
                                           for u in selectors.carers(crt=crt)]

    def clean(self):
        data = super().clean()
        # The locks come from the proposal page's check boxes, not from a field of this form:
        # what is wrong with them is said at the top of the form.
        errors = self._errors.pop("locked", None)
        if errors:
            self.add_error(None, errors)
        return data


#: Hours that end the next morning (night hours) span at most this many hours.
MAX_NIGHT_HOURS = 16


def _time(label):
    return forms.TimeField(label=label, required=False, widget=TimeInput(),
                           error_messages={"invalid": "Heure invalide (HH:MM)."})


class CarerHoursForm(BootstrapFormMixin, forms.Form):
    """A carer's week: for each day she works, her hours and break; where her rounds start
    and end, and her most working time, for every day. An end before the start is the next
    morning's (night hours, 20:00 → 08:00, on the evening's day)."""

    start_from = forms.ChoiceField(label="Ses tournées partent de et reviennent à",
                                   choices=CarerHours.StartFrom.choices,
                                   initial=CarerHours.StartFrom.BASE)
    home_commune = forms.ModelChoiceField(
        label="Commune de son domicile", queryset=None, required=False, empty_label="—",
        to_field_name="insee_code",
        help_text="Seulement si ses tournées partent de chez elle ou lui.")
    vehicle = forms.ChoiceField(label="Se déplace en", choices=CarerHours.Vehicle.choices,
                                initial=CarerHours.Vehicle.CAR)
    max_working_minutes = forms.IntegerField(
        label="Temps de travail par jour au plus (minutes)", required=False, min_value=30,
        max_value=720, help_text="Vide : toute la plage horaire.",
        error_messages={"invalid": "Indiquez un nombre de minutes.",
                        "min_value": "Trente minutes au moins.",
                        "max_value": "Douze heures au plus."})
    stamp = forms.CharField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, crt, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["home_commune"].queryset = selectors.home_communes(crt=crt)
        self.days = []
        for number, name in WEEKDAYS:
            prefix = f"d{number}_"
            self.fields[prefix + "works"] = forms.BooleanField(
                label=f"Travaille le {name}", required=False)
            self.fields[prefix + "starts"] = _time(f"{name.capitalize()} : début")
            self.fields[prefix + "ends"] = _time(f"{name.capitalize()} : fin")
            self.fields[prefix + "break_start"] = _time(f"{name.capitalize()} : coupure de")
            self.fields[prefix + "break_end"] = _time(f"{name.capitalize()} : coupure jusqu'à")
            self.days.append((number, name, prefix))
        self._style_fields()

    def day_rows(self):
        """For the template: each day's name and its bound fields."""
        return [(name, [self[prefix + f] for f in ("works", "starts", "ends", "break_start",
                                                   "break_end")])
                for _, name, prefix in self.days]

    def common_fields(self):
        return [self[name] for name in ("start_from", "home_commune", "vehicle",
                                        "max_working_minutes", "stamp")]

    @staticmethod
    def initial_for(hours: dict[int, CarerHours], stamp: str) -> dict:
        initial = {"stamp": stamp}
        first = next(iter(hours.values()), None)
        if first is not None:
            initial.update(start_from=first.start_from,
                           home_commune=first.home_commune.insee_code
                           if first.home_commune_id else None,
                           vehicle=first.vehicle,
                           max_working_minutes=first.max_working_minutes)
        for number, h in hours.items():
            initial.update({f"d{number}_works": True, f"d{number}_starts": h.starts,
                            f"d{number}_ends": h.ends, f"d{number}_break_start": h.break_start,
                            f"d{number}_break_end": h.break_end})
        return initial

    def clean(self):
        data = super().clean()
        if data.get("start_from") == CarerHours.StartFrom.HOME and not data.get("home_commune") \
                and "home_commune" not in self.errors:
            self.add_error("home_commune", "Indiquez la commune de son domicile.")
        for _, name, p in self.days:
            starts, ends = data.get(p + "starts"), data.get(p + "ends")
            pause, resume = data.get(p + "break_start"), data.get(p + "break_end")
            if not data.get(p + "works"):
                continue
            if starts is None and p + "starts" not in self.errors:
                self.add_error(p + "starts", f"Indiquez l'heure de début du {name}.")
            if ends is None and p + "ends" not in self.errors:
                self.add_error(p + "ends", f"Indiquez l'heure de fin du {name}.")
            if starts is None or ends is None:
                continue

            def after_start(t, starts=starts):
                """Minutes from the start, the next morning's past 24:00."""
                return (t.hour * 60 + t.minute - starts.hour * 60 - starts.minute) % 1440

            if ends == starts:
                self.add_error(p + "ends", "La fin doit différer du début.")
            elif ends < starts and after_start(ends) > MAX_NIGHT_HOURS * 60:
                self.add_error(p + "ends", (
                    f"Une fin avant le début se lit le lendemain matin : ici plus de "
                    f"{MAX_NIGHT_HOURS} heures d'affilée. Vérifiez les heures."))
            elif (pause is None) != (resume is None):
                self.add_error(p + "break_end" if pause else p + "break_start",
                               "Indiquez le début et la fin de la coupure.")
            elif pause and not 0 < after_start(pause) < after_start(resume) < after_start(ends):
                self.add_error(p + "break_start",
                               "La coupure doit tenir dans la journée, après le début et avant "
                               "la fin.")
        return data

    def week(self) -> dict[int, dict]:
        """The days worked, in the service's terms."""
        data = self.cleaned_data
        return {number: {"starts": data[p + "starts"], "ends": data[p + "ends"],
                         "break_start": data[p + "break_start"],
                         "break_end": data[p + "break_end"]}
                for number, _, p in self.days if data.get(p + "works")}
