"""The volet 1 home panel (see ``maillage.core.home``): the year's figures and the yearly check
(each field has an action, one action is anti-fall), for those who run or steer volet 1."""

from django.utils import timezone

from maillage.core.home import HomePanel, register_panel
from maillage.core.roles import Role

from . import selectors


def _volet1(*, crt, user, roles):
    f = selectors.home_figures(crt=crt, year=timezone.localdate().year)
    return {"f": f, "check": f.check}


register_panel(HomePanel(
    name="outreach.volet1", template="outreach/_home/volet1.html", selector=_volet1,
    roles=frozenset({Role.ACTIVITY_LEADER, Role.DIRECTION, Role.COORDINATOR}),
    permission="outreach.view", order=35))
