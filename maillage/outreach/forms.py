import copy
from datetime import datetime

from django import forms
from django.utils import timezone

from maillage.beneficiaries.identity import Sex
from maillage.beneficiaries.models import Beneficiary, Caregiver, by_shown_name
from maillage.core.collation import french
from maillage.core.forms import BootstrapFormMixin, DateInput, VersionedModelForm
from maillage.core.pickers import SearchPickerMixin, SearchSelect
from maillage.core.selectors import team_member_users
from maillage.core.validators import validate_phone
from maillage.territory.models import Commune, Organization, Professional
from maillage.territory.selectors import communes
from maillage.visits.forms import TimeInput

from .merge import MERGE_GROUPS
from .models import (
    GIR_SOURCE_NEEDS_GIR,
    INSTITUTE_FIELDS,
    AgeBand,
    Attendee,
    Participation,
    Session,
    SupportAction,
    TrainingInstitute,
)


def _communes(crt):
    return communes(crt=crt)


def _by_public_id(field: forms.ModelChoiceField, qs, empty_label="—"):
    field.queryset = qs
    field.to_field_name = "public_id"
    if hasattr(field, "empty_label"):
        field.empty_label = empty_label


class ActionForm(VersionedModelForm):
    partners = forms.ModelMultipleChoiceField(
        label="Partenaires", queryset=Organization.objects.none(), required=False,
        widget=forms.CheckboxSelectMultiple, to_field_name="public_id",
        error_messages={"invalid_choice": "Structure inconnue."})
    training_institutes = forms.MultipleChoiceField(
        label="Instituts de formation invités", required=False,
        choices=TrainingInstitute.choices, widget=forms.CheckboxSelectMultiple,
        help_text="Pour l'axe « amélioration des pratiques professionnelles » : les écoles "
                  "dont les étudiants ou internes sont invités.",
        error_messages={"invalid_choice": "Institut inconnu."})

    class Meta:
        model = SupportAction
        fields = ["title", "description", "field", "anti_fall", "end_of_life", "practice_kind",
                  "training_institutes", "for_older_people", "for_caregivers",
                  "for_professionals", "partners", "funding", "total_cost", "co_funder",
                  "co_funding_amount", "is_remote", "commune", "address", "status"]
        labels = {"for_older_people": "Public : personnes âgées à domicile",
                  "for_caregivers": "Public : aidants",
                  "for_professionals": "Public : professionnels"}
        error_messages = {
            "title": {"required": "Indiquez l'intitulé de l'action."},
            "field": {"required": "Choisissez l'axe du volet 1."},
            "total_cost": {"min_value": "Le coût ne peut pas être négatif.",
                           "invalid": "Indiquez un montant en euros."},
            "co_funding_amount": {"min_value": "Le montant doit être positif.",
                                  "invalid": "Indiquez un montant en euros."},
        }
        help_texts = {
            "anti_fall": "Pour l'axe « accès aux soins et à la prévention ».",
            "end_of_life": "Pour l'axe « amélioration des pratiques professionnelles ».",
            "co_funder": "Cofinancée : l'autre financeur (conférence des financeurs, caisse de "
                         "retraite…) et son montant ; la part du CRT est le reste du coût "
                         "total. Pas de double financement.",
            "commune": "Lieu par défaut des séances.",
        }
        widgets = {"description": forms.Textarea(attrs={"rows": 3})}

    def __init__(self, *args, crt, **kwargs):
        super().__init__(*args, **kwargs)
        _by_public_id(self.fields["commune"], _communes(crt))
        self.fields["partners"].queryset = Organization.objects.filter(
            crt=crt, is_active=True).order_by(french("name"))
        for name in ("total_cost", "co_funding_amount"):
            self.fields[name].widget.attrs["inputmode"] = "decimal"
        if not self.is_bound and self.instance.pk:
            self.initial["training_institutes"] = self.instance.training_institutes
        self._style_fields()

    def clean(self):
        data = super().clean()
        chosen = set(data.get("training_institutes") or ())
        for value, name in INSTITUTE_FIELDS.items():
            data[name] = value in chosen
        return data


def _local(day, at) -> datetime:
    return timezone.make_aware(datetime.combine(day, at))


class SessionForm(BootstrapFormMixin, forms.Form):
    #: The service's moments, typed here as a day and two times: its errors beside them.
    DOMAIN_FIELDS = {"starts_at": "day", "ends_at": "end_time"}

    day = forms.DateField(label="Date", widget=DateInput(),
                          error_messages={"required": "Indiquez la date de la séance.",
                                          "invalid": "Date invalide."})
    start_time = forms.TimeField(label="Début", widget=TimeInput(),
                                 error_messages={"required": "Indiquez l'heure de début.",
                                                 "invalid": "Heure invalide."})
    end_time = forms.TimeField(label="Fin", widget=TimeInput(),
                               error_messages={"required": "Indiquez l'heure de fin.",
                                               "invalid": "Heure invalide."})
    record_held = forms.BooleanField(
        label="Enregistrer une séance déjà tenue", required=False,
        help_text="Seule façon de saisir une séance passée.")
    is_remote = forms.BooleanField(label="À distance", required=False)
    commune = forms.ModelChoiceField(label="Commune", queryset=Commune.objects.none(),
                                     required=False,
                                     error_messages={"invalid_choice": "Commune inconnue."})
    address = forms.CharField(label="Adresse (lieu précis)", max_length=250, required=False)
    capacity = forms.IntegerField(label="Nombre de places", required=False, min_value=1,
                                  max_value=1000,
                                  error_messages={"min_value": "Une place au moins.",
                                                  "max_value": "1000 places au plus.",
                                                  "invalid": "Indiquez un nombre."})
    facilitators = forms.ModelMultipleChoiceField(
        label="Animateurs de l'équipe", queryset=Professional.objects.none(), required=False,
        widget=forms.CheckboxSelectMultiple, to_field_name="public_id",
        error_messages={"invalid_choice": "Membre de l'équipe inconnu."})
    partner_facilitators = forms.ModelMultipleChoiceField(
        label="Intervenants partenaires", queryset=Professional.objects.none(),
        required=False, widget=forms.CheckboxSelectMultiple, to_field_name="public_id",
        error_messages={"invalid_choice": "Professionnel inconnu."})
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, crt, action: SupportAction, session: Session | None = None,
                 **kwargs):
        if not kwargs.get("initial"):
            if session is None:
                kwargs["initial"] = {"is_remote": action.is_remote, "commune": action.commune,
                                     "address": action.address}
            else:
                start = timezone.localtime(session.starts_at)
                kwargs["initial"] = {
                    "day": start.date(), "start_time": start.time(),
                    "end_time": timezone.localtime(session.ends_at).time(),
                    "is_remote": session.is_remote, "commune": session.commune,
                    "address": session.address, "capacity": session.capacity,
                    "facilitators": list(session.facilitators.all()),
                    "partner_facilitators": list(session.partner_facilitators.all()),
                    "status": session.status, "version": session.version}
        super().__init__(*args, **kwargs)
        if session is not None:
            del self.fields["record_held"]
            self.fields["status"] = forms.ChoiceField(
                label="État", choices=Session.Status.choices,
                help_text="« Annulée » : plus d'inscription possible ; les inscrits restent "
                          "listés pour être prévenus.",
                error_messages={"required": "Choisissez l'état.",
                                "invalid_choice": "État inconnu."})
        _by_public_id(self.fields["commune"], _communes(crt))
        self.fields["facilitators"].queryset = team_member_users(crt=crt)
        self.fields["facilitators"].label_from_instance = (
            lambda u: u.get_full_name() or u.username)
        self.fields["partner_facilitators"].queryset = Professional.objects.filter(
            crt=crt, is_active=True).select_related("organization").order_by(
            french("last_name"), french("first_name"))
        self.fields["partner_facilitators"].label_from_instance = lambda p: (
            f"{p}{' — ' + p.organization.name if p.organization_id else ''}")
        self._style_fields()

    def clean(self):
        data = super().clean()
        day, start, end = data.get("day"), data.get("start_time"), data.get("end_time")
        if day and start and end:
            data["starts_at"], data["ends_at"] = _local(day, start), _local(day, end)
            if end <= start:
                self.add_error("end_time", "La fin de la séance doit être après son début.")
        return data


def _beneficiary_label(b) -> str:
    return f"{b.display_name} ({b.born} le {b.birth_date:%d/%m/%Y})"


def _caregiver_label(c) -> str:
    """Identity only: never the helped person."""
    return f"{c.last_name.upper()} {c.first_name}".strip() + \
        " — aidant d'un bénéficiaire du volet 2"


def _attendee_label(a) -> str:
    extra = a.structure_label if a.kind == Attendee.Kind.PROFESSIONAL else (
        a.commune.name if a.commune_id else "")
    return f"{a.display_name} — {a.get_kind_display().lower()}{', ' + extra if extra else ''}"


class RegistrationForm(SearchPickerMixin, BootstrapFormMixin, forms.Form):
    """Registration in a few taps (by phone): a known person by name, a volet 2 beneficiary
    or a volet 2 caregiver by name (identity only), or a new light record."""

    PICKERS = {
        "attendee": (("last_name", "first_name"), _attendee_label),
        "beneficiary": (("birth_name", "used_name", "first_name", "used_first_name"),
                        _beneficiary_label),
        "caregiver": (("last_name", "first_name"), _caregiver_label),
    }
    CHOSEN = ("attendee", "beneficiary", "caregiver")

    attendee = forms.ModelChoiceField(
        label="Personne déjà connue du volet 1", queryset=Attendee.objects.none(),
        to_field_name="public_id", required=False, widget=SearchSelect(),
        error_messages={"invalid_choice": "Personne inconnue."})
    beneficiary = forms.ModelChoiceField(
        label="ou bénéficiaire du volet 2 (personne âgée)", queryset=Beneficiary.objects.none(),
        to_field_name="public_id", required=False, widget=SearchSelect(),
        help_text="Nom et date de naissance seulement ; l'inscription est tracée.",
        error_messages={"invalid_choice": "Bénéficiaire inconnu."})
    caregiver = forms.ModelChoiceField(
        label="ou aidant d'un bénéficiaire du volet 2", queryset=Caregiver.objects.none(),
        to_field_name="public_id", required=False, widget=SearchSelect(),
        help_text="Nom seulement ; sa fiche du volet 1 est créée à la première inscription, "
                  "puis reprise. L'inscription est tracée.",
        error_messages={"invalid_choice": "Aidant inconnu."})
    kind = forms.ChoiceField(label="ou nouvelle personne : type", required=False,
                             choices=[("", "—"), *Attendee.Kind.choices])
    last_name = forms.CharField(label="Nom", max_length=120, required=False)
    first_name = forms.CharField(label="Prénom", max_length=120, required=False)
    phone = forms.CharField(label="Téléphone", max_length=30, required=False,
                            validators=[validate_phone])
    commune = forms.ModelChoiceField(label="Commune", queryset=Commune.objects.none(),
                                     required=False,
                                     error_messages={"invalid_choice": "Commune inconnue."})
    age_band = forms.ChoiceField(label="Tranche d'âge (personne âgée)", required=False,
                                 choices=[("", "—"), *AgeBand.choices])
    sex = forms.ChoiceField(label="Sexe (personne âgée)", required=False,
                            choices=[("", "—"), ("F", "Femme"), ("M", "Homme")])
    lives_alone = forms.NullBooleanField(
        label="Vit seul·e (personne âgée)", required=False,
        widget=forms.NullBooleanSelect)
    living_place = forms.ChoiceField(label="Lieu de vie (personne âgée)", required=False,
                                     choices=[("", "—"), *Attendee.LivingPlace.choices])
    gir = forms.TypedChoiceField(label="GIR si connu (personne âgée)", required=False,
                                 coerce=int, empty_value=None,
                                 choices=[("", "Non connu"), *[(i, f"GIR {i}")
                                                               for i in range(1, 7)]])
    gir_source = forms.ChoiceField(label="GIR évalué ou déclaré", required=False,
                                   choices=[("", "—"), *Attendee.GirSource.choices],
                                   error_messages={"invalid_choice": "Choisissez « évalué » "
                                                                     "ou « déclaré »."})
    helps_volet2_beneficiary = forms.NullBooleanField(
        label="La personne aidée est accompagnée au volet 2 (aidant)", required=False,
        widget=forms.NullBooleanSelect)
    organization = forms.ModelChoiceField(
        label="Structure du professionnel (annuaire)", queryset=Organization.objects.none(),
        required=False, error_messages={"invalid_choice": "Structure inconnue."})
    organization_name = forms.CharField(label="ou structure (saisie libre)", max_length=200,
                                        required=False)
    employer_type = forms.ChoiceField(label="Type de structure (professionnel)",
                                      required=False,
                                      choices=[("", "—"), *Attendee.EmployerType.choices])

    duplicates_checked = forms.BooleanField(
        label="Ce n'est pas la même personne : créer une nouvelle fiche", required=False,
        help_text="Seulement après avoir vérifié chacune des fiches proposées.")

    NEW_FIELDS = ("kind", "last_name", "first_name", "phone", "commune", "age_band", "sex",
                  "lives_alone", "living_place", "gir", "gir_source",
                  "helps_volet2_beneficiary", "organization", "organization_name",
                  "employer_type")

    def __init__(self, *args, crt, search_url: str = "", attendees=None, beneficiaries=None,
                 caregivers=None, with_gir: bool = True, **kwargs):
        super().__init__(*args, **kwargs)
        if not with_gir:  # health data: not for the secretariat (``access.reads_attendee_gir``)
            del self.fields["gir"], self.fields["gir_source"]
        self.fields["attendee"].queryset = (attendees if attendees is not None
                                            else Attendee.objects.filter(crt=crt)).select_related(
            "commune", "organization").order_by(french("last_name"), french("first_name"))
        self.fields["beneficiary"].queryset = (
            beneficiaries if beneficiaries is not None else Beneficiary.objects.none()).order_by(
            *by_shown_name(), "pk")
        self.fields["caregiver"].queryset = (
            caregivers if caregivers is not None else Caregiver.objects.none()).order_by(
            french("last_name"), french("first_name"), "pk")
        _by_public_id(self.fields["commune"], _communes(crt))
        _by_public_id(self.fields["organization"], Organization.objects.filter(
            crt=crt, is_active=True).order_by(french("name")))
        self.setup_pickers(search_url)
        self._style_fields()

    def clean(self):
        data = super().clean()
        self.resolve_typed(data)
        if self.errors:
            return data
        chosen = [n for n in self.CHOSEN if data.get(n)]
        typed_new = data.get("kind") or data.get("last_name")
        if len(chosen) > 1 or (chosen and typed_new):
            self.add_error("attendee", "Une seule personne à la fois : choisissez une personne "
                                       "connue, un bénéficiaire, un aidant, ou créez une "
                                       "fiche.")
        elif not chosen and not typed_new:
            self.add_error("attendee", "Choisissez une personne, ou créez sa fiche (type et "
                                       "nom).")
        elif not chosen:
            if not data.get("kind"):
                self.add_error("kind", "Choisissez le type de la nouvelle personne.")
            if not data.get("last_name"):
                self.add_error("last_name", "Indiquez le nom de la nouvelle personne.")
        return data

    def new_attendee_fields(self) -> dict:
        data = self.cleaned_data
        nullable = ("commune", "organization", "lives_alone", "gir",
                    "helps_volet2_beneficiary")
        return {f: data.get(f) if f in nullable else (data.get(f) or "")
                for f in self.NEW_FIELDS}


class AttendeeForm(VersionedModelForm):
    """A light record corrected (its type does not change)."""

    class Meta:
        model = Attendee
        fields = ["last_name", "first_name", "phone", "commune", "age_band", "sex",
                  "lives_alone", "living_place", "gir", "gir_source",
                  "helps_volet2_beneficiary", "organization", "organization_name",
                  "employer_type"]
        error_messages = {"last_name": {"required": "Indiquez le nom de la personne."},
                          "gir": {"min_value": "GIR de 1 à 6.", "max_value": "GIR de 1 à 6."},
                          "gir_source": {"invalid_choice": "Choisissez « évalué » ou "
                                                           "« déclaré »."}}
        widgets = {"lives_alone": forms.NullBooleanSelect,
                   "helps_volet2_beneficiary": forms.NullBooleanSelect}

    def __init__(self, *args, crt, with_gir: bool = True, **kwargs):
        super().__init__(*args, **kwargs)
        _by_public_id(self.fields["commune"], _communes(crt))
        _by_public_id(self.fields["organization"], Organization.objects.filter(
            crt=crt, is_active=True).order_by(french("name")))
        older = self.instance.kind == Attendee.Kind.OLDER_PERSON
        drop = (["organization", "organization_name", "employer_type"] if older
                else ["age_band", "sex", "lives_alone", "living_place", "gir", "gir_source"])
        if not with_gir:  # health data: not for the secretariat (``access.reads_attendee_gir``)
            drop += ["gir", "gir_source"]
        if self.instance.kind != Attendee.Kind.CAREGIVER or self.instance.caregiver_id:
            # A volet 2 caregiver's record: the helped person is in volet 2, by definition.
            drop.append("helps_volet2_beneficiary")
        if self.instance.kind == Attendee.Kind.CAREGIVER:
            drop += ["organization", "organization_name", "employer_type"]
        for name in drop:
            self.fields.pop(name, None)
        # The older person's traits offered as at registration (the same choices, « — » for
        # none, the GIR from a list), under this page's shorter labels.
        for name in ("age_band", "sex", "living_place", "gir", "gir_source"):
            if name in self.fields:
                label = self.fields[name].label
                self.fields[name] = copy.deepcopy(RegistrationForm.base_fields[name])
                self.fields[name].label = label[:1].upper() + label[1:]
        if "sex" in self.fields and self.instance.sex == Sex.UNDETERMINED:
            self.fields["sex"].choices = [*self.fields["sex"].choices,
                                          (Sex.UNDETERMINED, Sex.UNDETERMINED.label)]
        self._style_fields()

    def clean(self):
        data = super().clean()
        # Said next to the field (the model's constraint would say it above the form).
        if data.get("gir_source") and data.get("gir") is None and "gir" not in self.errors:
            self.add_error("gir_source", GIR_SOURCE_NEEDS_GIR)
        return data


class AttendanceForm(BootstrapFormMixin, forms.Form):
    """One choice per registration (present, absent…) and the unidentified head-count."""

    anonymous_count = forms.IntegerField(
        label="Participants non identifiés", min_value=0, max_value=1000, required=False,
        help_text="Personnes venues sans être inscrites ni identifiées.",
        error_messages={"min_value": "Un nombre positif.", "max_value": "1000 au plus.",
                        "invalid": "Indiquez un nombre."})
    version = forms.IntegerField(widget=forms.HiddenInput)

    def __init__(self, *args, participations, session: Session, **kwargs):
        kwargs.setdefault("initial", {"anonymous_count": session.anonymous_count,
                                      "version": session.version})
        super().__init__(*args, **kwargs)
        self.participations = participations
        for p in participations:
            self.fields[f"p_{p.public_id}"] = forms.ChoiceField(
                label=p.person_name, choices=Participation.Status.choices,
                initial=p.status, widget=forms.RadioSelect,
                error_messages={"required": "Choisissez la présence.",
                                "invalid_choice": "Présence inconnue."})
        self._style_fields()

    def statuses(self) -> dict:
        return {p: self.cleaned_data[f"p_{p.public_id}"] for p in self.participations}


class TransportForm(BootstrapFormMixin, forms.Form):
    transport_mode = forms.ChoiceField(
        label="Transport organisé", required=False,
        choices=[("", "Aucun"), *Participation.TransportMode.choices])
    transport_provider = forms.CharField(label="Assuré par", max_length=200, required=False,
                                         help_text="Qui a conduit ou transporté la personne.")
    transport_cost = forms.DecimalField(
        label="Coût (€)", required=False, min_value=0, max_digits=8, decimal_places=2,
        localize=True, widget=forms.TextInput(attrs={"inputmode": "decimal"}),
        error_messages={"min_value": "Le coût ne peut pas être négatif.",
                        "invalid": "Indiquez un montant en euros (ex. 12,50).",
                        "max_decimal_places": "Deux décimales au plus."})
    transport_from = forms.ModelChoiceField(label="Commune de départ",
                                            queryset=Commune.objects.none(), required=False,
                                            error_messages={"invalid_choice":
                                                            "Commune inconnue."})
    transport_reason = forms.ChoiceField(
        label="Aucune autre solution de transport : pourquoi ?", required=False,
        choices=[("", "—"), *Participation.TransportReason.choices],
        help_text="Le CRT organise le transport seulement quand la personne n'a pas d'autre "
                  "moyen de venir.",
        error_messages={"invalid_choice": "Motif inconnu."})
    transport_reason_detail = forms.CharField(label="Précision (motif « autre »)",
                                              max_length=200, required=False)
    version = forms.IntegerField(widget=forms.HiddenInput)

    def __init__(self, *args, crt, participation: Participation, **kwargs):
        kwargs.setdefault("initial", {
            "transport_mode": participation.transport_mode,
            "transport_provider": participation.transport_provider,
            "transport_cost": participation.transport_cost,
            "transport_from": participation.transport_from or (
                participation.attendee.commune if participation.attendee_id else None),
            "transport_reason": participation.transport_reason,
            "transport_reason_detail": participation.transport_reason_detail,
            "version": participation.version})
        super().__init__(*args, **kwargs)
        _by_public_id(self.fields["transport_from"], _communes(crt))
        self._style_fields()


def _yes_no(value) -> str:
    return "—" if value is None else ("Oui" if value else "Non")


#: The values compared by a merge, in the order shown, with their label and how a record
#: shows them (``merge.MERGE_GROUPS``).
MERGE_VALUES = {
    "last_name": ("Nom", lambda a: a.last_name),
    "first_name": ("Prénom", lambda a: a.first_name),
    "phone": ("Téléphone", lambda a: a.phone),
    "commune": ("Commune", lambda a: a.commune.name if a.commune_id else ""),
    "age_band": ("Tranche d'âge", lambda a: a.get_age_band_display()),
    "sex": ("Sexe", lambda a: a.get_sex_display()),
    "lives_alone": ("Vit seul·e", lambda a: _yes_no(a.lives_alone)),
    "living_place": ("Lieu de vie", lambda a: a.get_living_place_display()),
    "gir": ("GIR", lambda a: f"GIR {a.gir} ({a.get_gir_source_display().lower()})"
            if a.gir is not None else ""),
    "helps_volet2_beneficiary": ("La personne aidée est accompagnée au volet 2",
                                 lambda a: _yes_no(a.helps_volet2_beneficiary)),
    "structure": ("Structure", lambda a: a.organization.name + " (annuaire)"
                  if a.organization_id else a.organization_name),
    "employer_type": ("Type de structure", lambda a: a.get_employer_type_display()),
}
_KIND_VALUES = {
    Attendee.Kind.OLDER_PERSON: ("age_band", "sex", "lives_alone", "living_place", "gir"),
    Attendee.Kind.CAREGIVER: ("helps_volet2_beneficiary",),
    Attendee.Kind.PROFESSIONAL: ("structure", "employer_type"),
}


class AttendeeMergeForm(BootstrapFormMixin, forms.Form):
    """The merge of ``duplicate`` into ``kept`` confirmed: for each value that differs, which
    one is kept (the kept record's, unless it has none), and the versions both records were
    seen at (a change meanwhile is a conflict)."""

    kept_version = forms.IntegerField(widget=forms.HiddenInput, required=False)
    duplicate_version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, kept: Attendee, duplicate: Attendee, with_gir: bool = True,
                 **kwargs):
        kwargs.setdefault("initial", {"kept_version": kept.version,
                                      "duplicate_version": duplicate.version})
        super().__init__(*args, **kwargs)
        groups = ["last_name", "first_name", "phone", "commune", *_KIND_VALUES[kept.kind]]
        if kept.caregiver_id or duplicate.caregiver_id:
            # A volet 2 caregiver's record: the helped person is in volet 2, by definition.
            groups.remove("helps_volet2_beneficiary")
        #: Groups taken from the duplicate without being shown: the GIR for a reader who may
        #: not read it (health data, ``access.reads_attendee_gir``) — the kept record's, or
        #: the duplicate's when the kept record has none, so that nothing is lost.
        self.unseen = []
        if not with_gir and "gir" in groups:
            groups.remove("gir")
            if kept.gir is None and duplicate.gir is not None:
                self.unseen.append("gir")
        self.groups = []
        self.DOMAIN_FIELDS = {}
        for group in groups:
            names = MERGE_GROUPS[group]
            attnames = [Attendee._meta.get_field(n).attname for n in names]
            if [getattr(kept, n) for n in attnames] == [getattr(duplicate, n) for n in attnames]:
                continue
            label, show = MERGE_VALUES[group]
            mine, theirs = show(kept), show(duplicate)
            self.fields[f"take_{group}"] = forms.ChoiceField(
                label=label, required=False, widget=forms.RadioSelect,
                initial="duplicate" if theirs and not mine else "kept",
                choices=[("kept", f"{mine or '(vide)'} — fiche conservée"),
                         ("duplicate", f"{theirs or '(vide)'} — fiche en double")],
                error_messages={"invalid_choice": "Choisissez l'une des deux valeurs."})
            self.groups.append(group)
            self.DOMAIN_FIELDS.update({n: f"take_{group}" for n in names})
        self._style_fields()

    def clean(self):
        data = super().clean()
        versions = ("kept_version", "duplicate_version")
        if any(n in self.errors or data.get(n) is None for n in versions):
            for name in versions:  # hidden: said above the form instead
                self.errors.pop(name, None)
            raise forms.ValidationError("La fusion n'a pas pu être lue : rechargez la page, "
                                        "puis confirmez de nouveau.")
        return data

    def take(self) -> list[str]:
        """The groups of values taken from the duplicate."""
        return [*self.unseen,
                *(g for g in self.groups if self.cleaned_data.get(f"take_{g}") == "duplicate")]


class AttendeeJoinForm(SearchPickerMixin, BootstrapFormMixin, forms.Form):
    """The volet 2 file of a light record's person (``merge.attendee_join_file``): chosen
    among ``beneficiaries`` (those the user may read: ``access.volet2_beneficiaries_offered``),
    then confirmed as seen (``confirming``: the versions of both, a change meanwhile is a
    conflict)."""

    PICKERS = {"beneficiary": RegistrationForm.PICKERS["beneficiary"]}

    beneficiary = forms.ModelChoiceField(
        label="Dossier du volet 2 de la personne", queryset=Beneficiary.objects.none(),
        to_field_name="public_id", widget=SearchSelect(),
        help_text="Tapez son nom : nom et date de naissance des personnes dont vous voyez le "
                  "dossier.",
        error_messages={"required": "Choisissez le dossier du volet 2 de la personne.",
                        "invalid_choice": "Bénéficiaire inconnu : choisissez-le dans la "
                                          "liste."})
    attendee_version = forms.IntegerField(widget=forms.HiddenInput, required=False)
    beneficiary_version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, beneficiaries, search_url: str = "", confirming: bool = False,
                 **kwargs):
        super().__init__(*args, **kwargs)
        self.confirming = confirming
        self.fields["beneficiary"].queryset = beneficiaries.order_by(
            *by_shown_name(), "pk")
        self.setup_pickers(search_url)
        self._style_fields()

    def clean(self):
        data = super().clean()
        self.resolve_typed(data)
        versions = ("attendee_version", "beneficiary_version")
        if self.confirming and any(n in self.errors or data.get(n) is None for n in versions):
            for name in versions:  # hidden: said above the form instead
                self.errors.pop(name, None)
            raise forms.ValidationError("Le rattachement n'a pas pu être lu : rechargez la "
                                        "page, puis confirmez de nouveau.")
        return data
