"""The home-page panels of the territory (see ``maillage.core.home``)."""

from maillage.core.home import FIGURES, HomePanel, register_panel
from maillage.core.permissions import has_permission
from maillage.core.roles import CRT_TEAM

from . import selectors


def _figures(*, crt, user, roles):
    return {"f": selectors.territory_figures(crt=crt),
            "link": has_permission(roles, "territory.view")}


register_panel(HomePanel(
    name="territory.figures", template="territory/_home/figures.html", selector=_figures,
    roles=CRT_TEAM, order=20, area=FIGURES))
