"""The home-page panels of admissions (see ``maillage.core.home``)."""

from maillage.core.home import FIGURES, HomePanel, register_panel
from maillage.core.permissions import MATRIX, has_permission
from maillage.core.roles import Role

from . import selectors


def _figures(*, crt, user, roles):
    """File active and waiting list, in figures (no person named): a link only to the pages
    this reader may open."""
    return {
        "f": selectors.admission_figures(crt=crt),
        "target": crt.file_active_target,
        "link_file_active": has_permission(roles, "enrolment.view"),
        "link_waiting": has_permission(roles, "waiting_list.view"),
        "link_referrals": has_permission(roles, "referral.view"),
    }


register_panel(HomePanel(
    name="admissions.figures", template="admissions/_home/figures.html", selector=_figures,
    roles=frozenset(MATRIX["enrolment.view"]) | {Role.ARS}, order=10, area=FIGURES))
