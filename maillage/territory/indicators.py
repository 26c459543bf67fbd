"""The territory's indicators for the engine of ``maillage.core.indicators`` (INDICATORS §2):
T-04, the agreements with the other actors of the sector."""

from datetime import timedelta

from django.db.models import Case, Q, Value, When

from maillage.core.indicators import Breakdown, Indicator, Period

from .access import agreements_visible
from .models import Agreement, Organization
from .selectors import REMINDER_DAYS, agreements_in_force_during

ENDED, TO_RENEW, IN_FORCE = "ended", "to_renew", "in_force"


def _state_at_end(period: Period) -> Case:
    """Where each agreement stands on the last day of the period: ended (expired, terminated
    or past its end without tacit renewal), to renew (its end within the 90 days after,
    without tacit renewal: the reminders' horizon) or in force."""
    end, horizon = period.end, period.end + timedelta(days=REMINDER_DAYS[0])
    ended = (Q(terminated_on__lte=end)
             | Q(status__in=[Agreement.Status.EXPIRED, Agreement.Status.TERMINATED],
                 ends_on__lte=end)
             | Q(ends_on__lt=end, tacit_renewal=False))
    return Case(
        When(ended, then=Value(ENDED)),
        When(Q(ends_on__lte=horizon, tacit_renewal=False), then=Value(TO_RENEW)),
        default=Value(IN_FORCE))


T_04 = Indicator(
    code="T-04",
    name="Nombre de conventions passées avec d'autres acteurs de la filière",
    definition=(
        "Conventions signées en vigueur au moins un jour de la période : commencées au plus "
        "tard le dernier jour, ni échues ni résiliées avant le premier (une convention à "
        "reconduction tacite continue). Ventilées par objet, par type de structure "
        "partenaire (une convention peut lier plusieurs structures) et selon leur état au "
        "dernier jour de la période. Règle Maillage : « à renouveler » = échéance dans les "
        "90 jours qui suivent, sans reconduction tacite (l'horizon des rappels)."
    ),
    unit="conventions",
    people=False,
    population=lambda crt, period: agreements_in_force_during(
        crt=crt, start=period.start, end=period.end),
    visible=agreements_visible,
    breakdowns=(
        Breakdown("subject", "Objet", lambda p: "subject", labels=dict(Agreement.Subject.choices)),
        Breakdown("partner_type", "Type de structure partenaire",
                  lambda p: "organizations__kind", labels=dict(Organization.Kind.choices),
                  exclusive=False),
        Breakdown("state", "État à la fin de la période", _state_at_end,
                  labels={IN_FORCE: "En vigueur", TO_RENEW: "À renouveler (sous 90 jours)",
                          ENDED: "Échue ou résiliée"}),
    ),
)

INDICATORS = [T_04]
