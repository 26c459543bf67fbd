from django import forms
from django.utils import timezone

from maillage.admissions.models import Referral
from maillage.beneficiaries.models import Beneficiary, by_shown_name
from maillage.core.collation import french
from maillage.core.forms import BootstrapFormMixin, DateInput, VersionedModelForm
from maillage.core.pickers import SearchPickerMixin, SearchSelect
from maillage.core.validators import validate_phone
from maillage.territory.models import Organization

from .models import LodgingSettings, Room, Stay


def _date(label: str, required: bool = True, **kwargs):
    return forms.DateField(label=label, widget=DateInput(), required=required,
                           error_messages={"required": f"Indiquez la date ({label.lower()}).",
                                           "invalid": "Date invalide."}, **kwargs)


class RoomForm(VersionedModelForm):
    class Meta:
        model = Room
        fields = ["name", "kind", "organization", "max_stay_days", "daily_charge", "is_active",
                  "notes"]
        error_messages = {
            "name": {"required": "Indiquez le nom de la chambre ou de la place."},
            "kind": {"required": "Choisissez le type de place."},
            "max_stay_days": {"min_value": "Un jour au moins.",
                              "max_value": "365 jours au plus."},
            "daily_charge": {"min_value": "Le reste à charge ne peut pas être négatif."},
        }
        help_texts = {
            "organization": "Pour une place HT ou HTSH : le partenaire qui l'accueille. Vide "
                            "pour la chambre d'urgence du CRT.",
            "max_stay_days": "Le CRT la fixe et l'indique dans son dossier. Vide : 30 jours "
                             "(chambre d'urgence, HTSH), 90 jours (HT).",
            "daily_charge": "Gratuit en chambre d'urgence du CRT (socle), 20,00 € en HTSH "
                            "(fixés) ; pour l'HT, le prix de journée du partenaire.",
            "notes": "Accès, contact de l'établissement, équipement…",
        }
        widgets = {"notes": forms.Textarea(attrs={"rows": 2})}

    def __init__(self, *args, crt, **kwargs):
        super().__init__(*args, **kwargs)
        field = self.fields["organization"]
        field.queryset = Organization.objects.filter(crt=crt).order_by(french("name"))
        field.to_field_name = "public_id"
        field.empty_label = "—"
        self.fields["max_stay_days"].required = False
        self.fields["daily_charge"].required = False
        if self.instance.pk is None:
            # Blank, not the model's 0: blank takes the rule of the kind (20 € for HTSH).
            self.fields["daily_charge"].initial = None
        self.fields["daily_charge"].widget.attrs["inputmode"] = "decimal"
        self._style_fields()

    def clean(self):
        # Said next to the field (the model's constraint would say it at the top of the form).
        data = super().clean()
        kind, org = data.get("kind"), data.get("organization")
        if kind == Room.Kind.CRT_EMERGENCY and org is not None:
            self.add_error("organization", "La chambre d'urgence du CRT n'appartient pas à un "
                                           "partenaire : laissez la structure vide.")
        elif kind and kind != Room.Kind.CRT_EMERGENCY and org is None:
            self.add_error("organization", "Indiquez la structure partenaire qui met cette "
                                           "place à disposition.")
        return data


class SettingsForm(VersionedModelForm):
    class Meta:
        model = LodgingSettings
        fields = ["place_kept_days"]
        error_messages = {"place_kept_days": {
            "required": "Indiquez un nombre de jours.", "invalid": "Indiquez un nombre de jours.",
            "min_value": "Un jour au moins.", "max_value": "365 jours au plus."}}
        help_texts = {"place_kept_days": (
            "Combien de temps le CRT garde la place d'une personne de la file active hospitalisée "
            "ou accueillie en chambre temporaire (90 jours par défaut : au-delà de 3 mois "
            "d'hospitalisation, une sortie définitive est proposée).")}


def _beneficiary_label(b) -> str:
    return f"{b.display_name} ({b.born} le {b.birth_date:%d/%m/%Y})"


def _referral_label(r) -> str:
    return f"{r} — reçue le {timezone.localtime(r.received_at):%d/%m/%Y}"


class StayForm(SearchPickerMixin, BootstrapFormMixin, forms.Form):
    """A stay; the beneficiary and the referral are found by name (search-as-you-type), the
    page never lists every file or referral of the CRT."""

    PICKERS = {
        "beneficiary": (("birth_name", "used_name", "first_name", "used_first_name"),
                        _beneficiary_label),
        "referral": (("person_last_name", "person_first_name"), _referral_label),
    }

    room = forms.ModelChoiceField(label="Chambre", queryset=Room.objects.none(),
                                  to_field_name="public_id", empty_label="—",
                                  error_messages={"required": "Choisissez la chambre.",
                                                  "invalid_choice": "Chambre inconnue."})
    beneficiary = forms.ModelChoiceField(
        label="Bénéficiaire", queryset=Beneficiary.objects.none(), to_field_name="public_id",
        required=False, widget=SearchSelect(),
        help_text="Sans choix : une personne qui n'est pas bénéficiaire.",
        error_messages={"invalid_choice": "Bénéficiaire inconnu."})
    guest_last_name = forms.CharField(
        label="ou nom de la personne accueillie", max_length=120, required=False,
        help_text="Une personne qui n'est pas (encore) bénéficiaire, par exemple dont l'aidant "
                  "est hospitalisé.")
    guest_first_name = forms.CharField(label="Prénom", max_length=120, required=False)
    guest_birth_date = _date("Date de naissance", required=False)
    guest_phone = forms.CharField(label="Téléphone (ou celui d'un proche)", max_length=30,
                                  required=False,
                                  validators=[validate_phone])
    reason = forms.ChoiceField(label="Motif", choices=[("", "—"), *Stay.Reason.choices],
                               error_messages={"required": "Choisissez le motif du séjour."})
    planned_start = _date("Arrivée prévue le")
    planned_end = _date("Départ prévu le")
    over_max_justification = forms.CharField(
        label="Justification si le séjour dépasse la durée maximale de la chambre",
        required=False, widget=forms.Textarea(attrs={"rows": 2}))
    referral = forms.ModelChoiceField(
        label="Demande d'admission (si la personne a été orientée vers le CRT)",
        queryset=Referral.objects.none(), to_field_name="public_id", required=False,
        widget=SearchSelect(nothing="Aucune demande", several="Plusieurs demandes"),
        error_messages={"invalid_choice": "Demande inconnue."})
    notes = forms.CharField(label="Observations", required=False,
                            widget=forms.Textarea(attrs={"rows": 3}))
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, crt, beneficiaries, stay: Stay | None = None,
                 search_url: str = "", **kwargs):
        """``beneficiaries``: the people offered, from the file policy (identity face)."""
        if stay is not None and not kwargs.get("initial"):
            kwargs["initial"] = {
                **{f: getattr(stay, f) for f in (
                    "room", "beneficiary", "guest_last_name", "guest_first_name",
                    "guest_birth_date", "guest_phone", "referral", "reason", "planned_start",
                    "planned_end", "over_max_justification", "notes")},
                "version": stay.version,
            }
        super().__init__(*args, **kwargs)
        rooms = Room.objects.filter(crt=crt).select_related("organization")
        if stay is None:
            rooms = rooms.filter(is_active=True)
        self.fields["room"].queryset = rooms.order_by("kind", french("name"))
        self.fields["room"].label_from_instance = lambda r: (
            f"{r.label} ({r.short_kind}, {r.max_stay_days} jours au plus)")
        self.fields["beneficiary"].queryset = beneficiaries.order_by(
            *by_shown_name(), "pk")
        self.fields["referral"].queryset = Referral.objects.filter(
            crt=crt, status__in=[Referral.Status.RECEIVED, Referral.Status.WAITING,
                                 Referral.Status.ADMITTED]).order_by("-received_at")
        self.setup_pickers(search_url)
        self._style_fields()

    def clean(self):
        data = super().clean()
        self.resolve_typed(data)  # each picker in its own words (its SearchSelect's)
        start, end = data.get("planned_start"), data.get("planned_end")
        if start and end and end <= start:
            self.add_error("planned_end", "Le départ prévu doit être au moins le lendemain de "
                                          "l'arrivée.")
        return data


class DateForm(BootstrapFormMixin, forms.Form):
    """Arrival or departure: one date and the version the user loaded."""

    version = forms.IntegerField(widget=forms.HiddenInput)

    def __init__(self, *args, name: str, label: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields[name] = _date(label)
        self.fields[name].error_messages["required"] = f"Indiquez la date ({label.lower()})."
        self._style_fields()


class CancelForm(BootstrapFormMixin, forms.Form):
    reason = forms.CharField(label="Motif de l'annulation",
                             widget=forms.Textarea(attrs={"rows": 2}),
                             error_messages={"required": "Indiquez le motif de l'annulation."})
    version = forms.IntegerField(widget=forms.HiddenInput)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._style_fields()
