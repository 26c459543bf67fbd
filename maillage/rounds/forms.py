from django import forms

from maillage.core.forms import BootstrapFormMixin, DateInput
from maillage.core.selectors import team_member_users

from .day import PROFESSIONS


class ProposalForm(BootstrapFormMixin, forms.Form):
    day = forms.DateField(label="Jour à optimiser", widget=DateInput())
    excluded = forms.MultipleChoiceField(
        label="Absent·es ce jour-là", required=False, widget=forms.CheckboxSelectMultiple,
        help_text="Leurs passages sont confiés à des collègues du même métier ; ceux qui ne "
                  "trouvent pas de place sont signalés.")

    def __init__(self, *args, crt, **kwargs):
        super().__init__(*args, **kwargs)
        carers = team_member_users(crt=crt).filter(
            memberships__crt=crt, memberships__roles__role__in=[str(p) for p in PROFESSIONS]
        ).distinct()
        self.fields["excluded"].choices = [(str(u.pk), u.get_full_name() or u.username)
                                           for u in carers]
