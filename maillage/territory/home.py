"""The home-page panels of the territory (see ``maillage.core.home``)."""

from maillage.core.home import FIGURES, HomePanel, register_panel
from maillage.core.permissions import has_permission
from maillage.core.roles import CRT_TEAM, Role

from . import selectors


def _figures(*, crt, user, roles):
    return {"f": selectors.territory_figures(crt=crt),
            "link": has_permission(roles, "territory.view")}


register_panel(HomePanel(
    name="territory.figures", template="territory/_home/figures.html", selector=_figures,
    roles=CRT_TEAM, order=20, area=FIGURES))


def _agreement_reminders(*, crt, user, roles):
    """Agreements ending within 90 days (30: urgent): left out when there is none."""
    reminders = selectors.agreement_reminders(crt=crt, user=user, roles=roles)
    return {"reminders": reminders} if reminders else None


register_panel(HomePanel(
    name="territory.agreement_reminders", template="territory/_home/agreement_reminders.html",
    selector=_agreement_reminders, roles=frozenset({Role.COORDINATOR, Role.DIRECTION}),
    permission="agreement.manage", order=25))
