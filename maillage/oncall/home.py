"""The home-page panels of the on-call service: the night's calls and the holes of the rota;
the DLUs to establish or review (see ``maillage.core.home``)."""

from maillage.beneficiaries.access import health_visible_beneficiaries
from maillage.core.home import HomePanel, register_panel
from maillage.core.permissions import has_permission
from maillage.core.roles import Role

from . import dlu, selectors
from .access import calls_visible

DLU_SHOWN = 10


def _night(*, crt, user, roles):
    """Since yesterday 08:00: the calls this reader may read (the coordinator: all of them; a
    nurse taking over in the morning: those she took or was on call for, and those about the
    people of her care team who agreed that it be informed), the others only counted (the
    direction: figures, never a call's text); the rota's holes."""
    calls = selectors.night_summary(crt=crt)
    readable = set(calls_visible(crt=crt, user=user, roles=roles)
                   .filter(pk__in=[c.pk for c in calls]).values_list("pk", flat=True)) \
        if calls else set()
    can_manage_rota = has_permission(roles, "oncall.rota.manage")
    return {
        "calls": [c for c in calls if c.pk in readable],
        "others": sum(1 for c in calls if c.pk not in readable),
        "call_outs": sum(1 for c in calls if c.call_out),
        "gaps": selectors.coverage(crt=crt) if can_manage_rota else [],
        "link_rota": can_manage_rota,
        "link_figures": has_permission(roles, "oncall.figures"),
    }


def dlu_rows(rows, *, crt, user, roles) -> list[tuple]:
    """Each row of ``dlu.due_rows`` with whether this reader may open the DLU (a health
    professional of the person's care team): the row links to the DLU, otherwise to the
    person's file, so that no link leads to a refusal. One query at most."""
    readable = set()
    if rows and has_permission(roles, "dlu.view"):
        readable = set(health_visible_beneficiaries(crt=crt, user=user, roles=roles)
                       .filter(pk__in=[r.beneficiary.pk for r in rows])
                       .values_list("pk", flat=True))
    return [(r, r.beneficiary.pk in readable) for r in rows]


def _dlu_due(*, crt, user, roles):
    """DLUs missing or due for their yearly review (file active): the most urgent, the others
    on their own page (``views_dlu.reviews_due``)."""
    due = dlu.reviews_due(crt=crt, limit=DLU_SHOWN)
    return {"rows": dlu_rows(due[:DLU_SHOWN], crt=crt, user=user, roles=roles),
            "more": len(due) > DLU_SHOWN}


register_panel(HomePanel(
    name="oncall.night", template="oncall/_home/night.html", selector=_night,
    roles=frozenset({Role.COORDINATOR, Role.DIRECTION, Role.NURSE}), order=20))
register_panel(HomePanel(
    name="oncall.dlu_due", template="oncall/_home/dlu_due.html", selector=_dlu_due,
    permission="dlu.reviews", order=40))
