from django import forms

from maillage.core.forms import BootstrapFormMixin, DateInput
from maillage.core.selectors import team_member_users

from .day import PROFESSIONS


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
    excluded = forms.MultipleChoiceField(
        label="Absent·es ce jour-là", required=False, widget=forms.CheckboxSelectMultiple,
        help_text="Leurs passages sont confiés à des collègues du même métier ; ceux qui ne "
                  "trouvent pas de place sont signalés.")
    locked = VisitIdsField(required=False, label="Passages verrouillés")

    def __init__(self, *args, crt, **kwargs):
        super().__init__(*args, **kwargs)
        carers = team_member_users(crt=crt).filter(
            memberships__crt=crt, memberships__roles__role__in=[str(p) for p in PROFESSIONS]
        ).distinct()
        self.fields["excluded"].choices = [(str(u.pk), u.get_full_name() or u.username)
                                           for u in carers]

    def clean(self):
        data = super().clean()
        # The locks come from the proposal page's check boxes, not from a field of this form:
        # what is wrong with them is said at the top of the form.
        errors = self._errors.pop("locked", None)
        if errors:
            self.add_error(None, errors)
        return data
