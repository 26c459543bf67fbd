"""The home-page panels of the CRT's organisation (see ``maillage.core.home``): the overdue
decisions, on their owner's home and on the coordination's and the direction's."""

from django.utils import timezone

from maillage.core.home import HomePanel, register_panel
from maillage.core.permissions import has_permission
from maillage.core.roles import CRT_TEAM

from . import selectors
from .access import can_view_meeting

SHOWN = 8


def _overdue_decisions(*, crt, user, roles):
    """Every overdue decision for those who manage meetings; else the reader's own."""
    everyone = has_permission(roles, "meeting.manage")
    if everyone:
        rows = selectors.open_decisions(crt=crt, user=user, roles=roles,
                                        overdue_on=timezone.localdate())
    else:
        rows = selectors.my_overdue_decisions(crt=crt, user=user)
    rows = list(rows[:SHOWN + 1])
    if not rows:
        return None
    for d in rows:
        d.link = can_view_meeting(user=user, roles=roles, meeting=d.meeting)
    return {"decisions": rows[:SHOWN], "more": len(rows) > SHOWN or everyone, "all": everyone}


register_panel(HomePanel(
    name="organisation.overdue_decisions", template="organisation/_home/overdue_decisions.html",
    selector=_overdue_decisions, roles=CRT_TEAM, permission="meeting.view", order=26))
