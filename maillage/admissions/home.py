"""The home-page panels of admissions (see ``maillage.core.home``)."""

from maillage.core.home import FIGURES, HomePanel, register_panel
from maillage.core.permissions import MATRIX, has_permission
from maillage.core.roles import Role
from maillage.core.smallcells import count_cell

from . import selectors


def _figures(*, crt, user, roles):
    """File active and waiting list, in figures (no person named): a link only to the pages
    this reader may open. The ARS reads aggregates only: a count of 1 to 4 people is « < 5 »
    there (INDICATORS §5 rule 2; inside the CRT, rule 7, figures are not suppressed)."""
    f = selectors.admission_figures(crt=crt)
    cells = None
    if not has_permission(roles, "enrolment.view"):
        cells = {name: count_cell(getattr(f, name))
                 for name in ("file_active", "waiting", "to_review")}
    return {
        "f": f,
        "cells": cells,
        "target": crt.file_active_target,
        "link_file_active": has_permission(roles, "enrolment.view"),
        "link_waiting": has_permission(roles, "waiting_list.view"),
        "link_referrals": has_permission(roles, "referral.view"),
    }


register_panel(HomePanel(
    name="admissions.figures", template="admissions/_home/figures.html", selector=_figures,
    roles=frozenset(MATRIX["enrolment.view"]) | {Role.ARS}, order=10, area=FIGURES))
