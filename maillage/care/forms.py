from django import forms
from django.contrib.auth import get_user_model
from django.utils import timezone

from maillage.core.collation import french
from maillage.core.forms import (
    BootstrapFormMixin,
    DateInput,
    DateTimeInput,
    VersionedModelForm,
)
from maillage.core.pickers import SearchPickerMixin, SearchSelect
from maillage.core.roles import CRT_TEAM
from maillage.core.selectors import team_member_users
from maillage.outreach.models import Attendee
from maillage.territory.models import Organization, Professional

from .models import (
    Alert,
    CarePlanVersion,
    Domain,
    Goal,
    LiaisonNote,
    PrescriptionRequest,
    Service,
    TelehealthAct,
)


class ServiceForm(VersionedModelForm):
    price = forms.DecimalField(
        label="Prix pour la personne (€)", required=False, min_value=0, max_digits=8,
        decimal_places=2, localize=True,
        error_messages={"invalid": "Indiquez un prix en euros (par exemple 9,50).",
                        "min_value": "Le prix ne peut pas être négatif."},
        help_text="Seulement pour une prestation optionnelle.",
    )

    class Meta:
        model = Service
        fields = ["domain", "name", "description", "funding", "price", "price_unit", "funder",
                  "provider", "qualification", "is_active"]
        widgets = {"description": forms.Textarea(attrs={"rows": 2})}
        error_messages = {
            "name": {"required": "Indiquez le nom de la prestation."},
            "domain": {"required": "Choisissez le domaine."},
            "funding": {"required": "Choisissez le financement."},
        }

    def __init__(self, *args, crt, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["domain"].queryset = Domain.objects.filter(crt=crt, is_active=True)
        self.fields["domain"].to_field_name = "public_id"
        self.fields["provider"].queryset = Organization.objects.filter(crt=crt, is_active=True)
        self.fields["provider"].to_field_name = "public_id"
        self.fields["provider"].empty_label = "Équipe du CRT"
        self.fields["price"].widget.attrs["inputmode"] = "decimal"

    def _post_clean(self):
        pass  # the service holds the funding rules


class BasketForm(BootstrapFormMixin, forms.Form):
    service = forms.ModelChoiceField(label="Prestation", queryset=Service.objects.none(),
                                     to_field_name="public_id",
                                     error_messages={"required": "Choisissez la prestation."})
    start_date = forms.DateField(label="Depuis le", widget=DateInput(),
                                 error_messages={"required": "Indiquez la date de début.",
                                                 "invalid": "Date invalide."})
    notes = forms.CharField(label="Précisions", max_length=250, required=False)

    def __init__(self, *args, crt, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["service"].queryset = Service.objects.filter(
            crt=crt, is_active=True).select_related("domain")
        self.fields["service"].label_from_instance = (
            lambda s: f"{s.domain.name} — {s.name} ({s.get_funding_display().split(' (')[0]})")
        self._style_fields()


class PlanTextForm(VersionedModelForm):
    class Meta:
        model = CarePlanVersion
        fields = ["situation_summary", "wishes", "life_project", "referent", "next_review_on"]
        widgets = {
            "situation_summary": forms.Textarea(attrs={"rows": 4}),
            "wishes": forms.Textarea(attrs={"rows": 3}),
            "life_project": forms.Textarea(attrs={"rows": 3}),
            "next_review_on": DateInput(),
        }

    def __init__(self, *args, crt, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["referent"].queryset = team_users(crt)
        self.fields["referent"].to_field_name = "public_id"
        self.fields["referent"].label_from_instance = lambda u: u.get_full_name()

    def _post_clean(self):
        pass


class ProblemForm(BootstrapFormMixin, forms.Form):
    description = forms.CharField(label="Problème", max_length=300,
                                  error_messages={"required": "Décrivez le problème."})


class GoalForm(BootstrapFormMixin, forms.Form):
    description = forms.CharField(label="Objectif", max_length=300,
                                  error_messages={"required": "Décrivez l'objectif."})
    target_date = forms.DateField(label="Échéance", widget=DateInput(), required=False,
                                  error_messages={"invalid": "Date invalide."})
    status = forms.ChoiceField(label="État", choices=Goal.Status.choices,
                               initial=Goal.Status.PLANNED)


class GoalStatusForm(BootstrapFormMixin, forms.Form):
    new_status = forms.ChoiceField(
        label="Nouvel état", error_messages={"required": "Choisissez le nouvel état.",
                                             "invalid_choice": "Choisissez un état de la liste."})
    changed_on = forms.DateField(label="Constaté le", widget=DateInput(),
                                 error_messages={"required": "Indiquez la date.",
                                                 "invalid": "Date invalide."})
    comment = forms.CharField(
        label="Commentaire", widget=forms.Textarea(attrs={"rows": 3}), required=False,
        max_length=2000, error_messages={"max_length": "Commentaire trop long (2 000 caractères "
                                                       "au plus)."},
        help_text="Obligatoire pour un objectif abandonné ou partiellement atteint.")
    row_version = forms.IntegerField(widget=forms.HiddenInput)

    def __init__(self, *args, goal, **kwargs):
        from .services.plans import GOAL_STATUS_TARGETS

        super().__init__(*args, **kwargs)
        self.fields["new_status"].choices = [("", "—")] + [
            (s.value, s.label) for s in GOAL_STATUS_TARGETS if s != goal.status]
        if not self.is_bound:
            self.initial.update({"row_version": goal.row_version,
                                 "changed_on": timezone.localdate()})
        self._style_fields()


def _professional_label(p) -> str:
    return " — ".join(x for x in (str(p), p.organization.name if p.organization else "") if x)


class ActionForm(SearchPickerMixin, BootstrapFormMixin, forms.Form):
    """An action of the plan; who does it is found by name (search-as-you-type), the page never
    lists the whole team or directory."""

    PICKERS = {
        "staff": (("first_name", "last_name", "username"), lambda u: u.get_full_name()),
        "professional": (("first_name", "last_name"), _professional_label),
    }

    domain = forms.ModelChoiceField(label="Domaine", queryset=Domain.objects.none(),
                                    to_field_name="public_id",
                                    error_messages={"required": "Choisissez le domaine."})
    description = forms.CharField(label="Action", max_length=300,
                                  error_messages={"required": "Décrivez l'action."})
    service = forms.ModelChoiceField(label="Prestation", queryset=Service.objects.none(),
                                     to_field_name="public_id", required=False,
                                     empty_label="—")
    staff = forms.ModelChoiceField(
        label="Réalisée par (équipe du CRT)", queryset=get_user_model().objects.none(),
        to_field_name="public_id", required=False, widget=SearchSelect(),
        error_messages={"invalid_choice": "Choisissez un membre de l'équipe dans la liste."})
    professional = forms.ModelChoiceField(
        label="ou par (professionnel partenaire)", queryset=Professional.objects.none(),
        to_field_name="public_id", required=False, widget=SearchSelect(),
        error_messages={"invalid_choice": "Choisissez un professionnel dans la liste."})
    frequency = forms.CharField(label="Fréquence", max_length=120, required=False,
                                help_text="Par exemple : tous les jours à 8 h et 19 h.")
    start_date = forms.DateField(label="Début", widget=DateInput(), required=False,
                                 error_messages={"invalid": "Date invalide."})
    end_date = forms.DateField(label="Fin", widget=DateInput(), required=False,
                               error_messages={"invalid": "Date invalide."})

    def __init__(self, *args, crt, search_url: str = "", **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["domain"].queryset = Domain.objects.filter(crt=crt, is_active=True)
        self.fields["service"].queryset = Service.objects.filter(crt=crt, is_active=True)
        self.fields["staff"].queryset = team_users(crt)
        self.fields["professional"].queryset = (
            Professional.objects.filter(crt=crt, is_active=True)
            .select_related("organization").order_by(french("last_name"), french("first_name")))
        self.setup_pickers(search_url)
        self._style_fields()

    def clean(self):
        cleaned = super().clean()
        self.resolve_typed(cleaned)
        return cleaned


class EndForm(BootstrapFormMixin, forms.Form):
    end_date = forms.DateField(label="Fin le", widget=DateInput(),
                               error_messages={"required": "Indiquez la date de fin.",
                                               "invalid": "Date invalide."})
    version = forms.IntegerField(widget=forms.HiddenInput)


def team_users(crt):
    """The picker of team members: the one definition (``core.selectors.team_member_users``)."""
    if crt is None:
        return get_user_model().objects.none()
    return team_member_users(crt=crt)


class NoteForm(BootstrapFormMixin, forms.Form):
    text = forms.CharField(label="Transmission", widget=forms.Textarea(attrs={"rows": 3}),
                           max_length=4000,
                           error_messages={"required": "Écrivez la transmission."})
    category = forms.ChoiceField(label="Catégorie", choices=LiaisonNote.Category.choices,
                                 initial=LiaisonNote.Category.GENERAL)
    visibility = forms.ChoiceField(
        label="Visible par", choices=LiaisonNote.Visibility.choices,
        initial=LiaisonNote.Visibility.TEAM,
        # Who reads each option (beneficiaries.access: the liaison and health faces).
        help_text="« Cercle de soins » : le cercle de soins de la personne, la coordination "
                  "(IDEC, médecin coordonnateur) et les infirmiers du CRT, qui assurent "
                  "l'astreinte. « Professionnels de santé seulement » : ceux du cercle de soins. "
                  "« Cercle de soins et aidant » : s'y ajoutent les aidants, sur le portail.")


class AlertForm(SearchPickerMixin, BootstrapFormMixin, forms.Form):
    """An alert; whom it is entrusted to is found by name (search-as-you-type)."""

    PICKERS = {"assignee": (("first_name", "last_name", "username"),
                            lambda u: u.get_full_name())}

    kind = forms.ChoiceField(label="Type", choices=[("", "—"), *Alert.Kind.choices],
                             error_messages={"required": "Choisissez le type d'alerte."})
    severity = forms.ChoiceField(label="Gravité", choices=Alert.Severity.choices,
                                 initial=Alert.Severity.MEDIUM)
    description = forms.CharField(label="Situation", widget=forms.Textarea(attrs={"rows": 3}),
                                  error_messages={"required": "Décrivez la situation."})
    assignee = forms.ModelChoiceField(
        label="Confier à", queryset=get_user_model().objects.none(), to_field_name="public_id",
        required=False, widget=SearchSelect(),
        help_text="Sans choix, l'alerte va à la coordination.",
        error_messages={"invalid_choice": "Choisissez un membre de l'équipe dans la liste."})

    def __init__(self, *args, crt, search_url: str = "", **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["assignee"].queryset = team_users(crt)
        self.setup_pickers(search_url)
        self._style_fields()

    def clean(self):
        cleaned = super().clean()
        self.resolve_typed(cleaned)
        return cleaned


class ResolveForm(BootstrapFormMixin, forms.Form):
    outcome = forms.CharField(label="Suites données", widget=forms.Textarea(attrs={"rows": 3}),
                              error_messages={"required": "Indiquez les suites données."})
    version = forms.IntegerField(widget=forms.HiddenInput)


class MessageForm(BootstrapFormMixin, forms.Form):
    text = forms.CharField(label="Message", widget=forms.Textarea(attrs={"rows": 3}),
                           max_length=4000,
                           error_messages={"required": "Écrivez votre message.",
                                           "max_length": "Message trop long (4 000 caractères "
                                                         "au plus)."})
    mentions = forms.ModelMultipleChoiceField(
        label="Mentionner", queryset=get_user_model().objects.none(), to_field_name="public_id",
        required=False, widget=forms.CheckboxSelectMultiple,
        help_text="Les personnes mentionnées sont prévenues. Vous pouvez aussi écrire "
                  "@identifiant dans le message.",
        error_messages={"invalid_choice": "Cette personne n'a pas accès à ce fil.",
                        "invalid_pk_value": "Cette personne n'a pas accès à ce fil."})
    attachment = forms.FileField(
        label="Pièce jointe (PDF, PNG ou JPEG)", required=False,
        error_messages={"empty": "Le fichier est vide.",
                        "invalid": "Aucun fichier n'a été envoyé."})

    def __init__(self, *args, candidates, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["mentions"].queryset = get_user_model().objects.filter(
            pk__in=[u.pk for u in candidates]).order_by(french("last_name"), french("first_name"))
        self.fields["mentions"].label_from_instance = (
            lambda u: f"{u.get_full_name() or u.username} (@{u.username})")
        if not candidates:
            del self.fields["mentions"]
        self.fields["attachment"].widget.attrs["accept"] = ".pdf,.png,.jpg,.jpeg"
        self._style_fields()


class TelehealthForm(SearchPickerMixin, BootstrapFormMixin, forms.Form):
    """A telehealth act; who accompanied it and the remote professional are found by name
    (search-as-you-type)."""

    PICKERS = {
        "staff": (("first_name", "last_name", "username"),
                  lambda u: u.get_full_name() or u.username),
        "professional": (("first_name", "last_name"),
                         lambda p: f"{p.last_name} {p.first_name} — "
                                   f"{p.get_profession_display()}".strip()),
    }
    kind = forms.ChoiceField(label="Type d'acte",
                             choices=[("", "—"), *TelehealthAct.Kind.choices],
                             error_messages={"required": "Choisissez le type d'acte."})
    performed_at = forms.DateTimeField(
        label="Date et heure", widget=DateTimeInput(),
        error_messages={"required": "Indiquez la date et l'heure de l'acte.",
                        "invalid": "Date ou heure invalide."})
    staff = forms.ModelChoiceField(label="Accompagné par (équipe du CRT)",
                                   queryset=get_user_model().objects.none(),
                                   to_field_name="public_id", widget=SearchSelect(),
                                   error_messages={"required": "Indiquez qui a accompagné "
                                                               "ou réalisé l'acte.",
                                                   "invalid_choice": "Choisissez un membre "
                                                   "de l'équipe dans la liste."})
    professional = forms.ModelChoiceField(
        label="Professionnel à distance (annuaire)", queryset=Professional.objects.none(),
        to_field_name="public_id", required=False, widget=SearchSelect(),
        error_messages={"invalid_choice": "Choisissez un professionnel dans la liste."})
    professional_name = forms.CharField(
        label="ou professionnel à distance (hors annuaire)", max_length=200, required=False,
        help_text="Nom, profession et lieu d'exercice, par exemple : Dr Martin, cardiologue, "
                  "CHU d'Angers.")
    requester = forms.ChoiceField(
        label="Demandé par", choices=[("", "—"), *TelehealthAct.Requester.choices],
        error_messages={"required": "Indiquez qui a demandé l'acte.",
                        "invalid_choice": "Choisissez le demandeur dans la liste."})
    requester_detail = forms.CharField(
        label="Précision sur le demandeur", max_length=200, required=False,
        help_text="Obligatoire pour « Autre » ; par exemple : service de cardiologie du CHU.")
    performer_employer = forms.ChoiceField(
        label="La personne qui a réalisé ou accompagné l'acte travaille pour",
        choices=[("", "—"), *TelehealthAct.PerformerEmployer.choices],
        error_messages={"required": "Indiquez pour quelle structure travaille la personne qui "
                                    "a réalisé ou accompagné l'acte.",
                        "invalid_choice": "Choisissez la structure dans la liste."})
    reason = forms.CharField(label="Motif", widget=forms.Textarea(attrs={"rows": 2}),
                             error_messages={"required": "Indiquez le motif."})
    outcome = forms.CharField(label="Résultat et suites", widget=forms.Textarea(attrs={"rows": 3}),
                              error_messages={"required": "Indiquez le résultat et les suites."})
    notes = forms.CharField(label="Remarques", widget=forms.Textarea(attrs={"rows": 2}),
                            required=False)

    def __init__(self, *args, crt, search_url: str = "", **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["staff"].queryset = (
            get_user_model().objects.filter(memberships__crt=crt, memberships__is_active=True,
                                            memberships__roles__role__in=CRT_TEAM)
            .order_by(french("last_name"), french("first_name")).distinct())
        self.fields["professional"].queryset = Professional.objects.filter(
            crt=crt, is_active=True).order_by(french("last_name"), french("first_name"))
        self.set_querysets()
        self.setup_pickers(search_url)
        self._style_fields()

    def set_querysets(self) -> None:
        """A subclass's own choices, set before the pickers are."""

    def clean(self):
        cleaned = super().clean()
        self.resolve_typed(cleaned)
        return cleaned


class TerritoryTelehealthForm(TelehealthForm):
    """A telehealth act for an older person of the territory (volet 1), chosen by name among
    the light records the user may see (``care.access.territory_people_visible``)."""

    PICKERS = {
        "attendee": (("last_name", "first_name"),
                     lambda a: f"{a.display_name}"
                               + (f" — {a.commune.name}" if a.commune_id else "")),
        **TelehealthForm.PICKERS,
    }
    attendee = forms.ModelChoiceField(
        label="Personne âgée du territoire", queryset=Attendee.objects.none(),
        to_field_name="public_id",
        widget=SearchSelect(nothing="Personne", several="Plusieurs personnes"),
        error_messages={"required": "Choisissez la personne concernée.",
                        "invalid_choice": "Choisissez une personne dans la liste."})
    field_order = ["attendee"]

    def __init__(self, *args, people, **kwargs):
        self._people = people
        super().__init__(*args, **kwargs)

    def set_querysets(self) -> None:
        self.fields["attendee"].queryset = self._people.select_related("commune").order_by(
            french("last_name"), french("first_name"))


class PrescriptionRequestForm(BootstrapFormMixin, forms.Form):
    """What the GP is asked for; the letter adds the person's identity and the reference."""

    kind = forms.ChoiceField(label="Objet de la demande",
                             choices=[("", "—")] + PrescriptionRequest.Kind.choices)
    details = forms.CharField(
        label="Ce qui est demandé", max_length=4000, widget=forms.Textarea(attrs={"rows": 5}),
        help_text="Par exemple : renouvellement des soins infirmiers (toilette, surveillance) "
                  "pour 3 mois ; lit médicalisé ; NFS, ionogramme, créatinine.")
    context = forms.CharField(
        label="Éléments cliniques utiles", required=False, max_length=4000,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="Ce qui aide le médecin à décider (évolution, dernières constantes…).")


class PrescriptionCancelForm(BootstrapFormMixin, forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput)
    reason = forms.CharField(label="Motif de l'annulation", max_length=300)
