"""The home page, contributed by the apps.

``core`` knows no domain app. Each app declares, in its own ``home.py`` module (imported by
name when the project starts, see ``CoreConfig.ready``), the panels it adds to the home page:

    register_panel(HomePanel(
        name="visits.my_day", template="visits/_home/my_day.html", selector=my_day_panel,
        permission="visit.trace", order=40))

A panel shows to a user holding one of its ``roles`` (any role when empty) **and** its
``permission`` (none when empty). Its ``selector(*, crt, user, roles)`` reads what the panel
shows and returns it (the template receives it as ``data``), or ``None`` to leave the panel
out for this user. Panels of the ``FIGURES`` area are the key-figure cards at the top, under
those of the ``LEAD`` area (the reader's own day); the others are sections, in ``order``.

An app may also take over the whole home page for some users (the portal for a beneficiary or
a caregiver): ``register_home_override(applies=..., view=...)``.

A panel links only to pages its reader may open: the selector decides (permission and object
rules of the target page), the template never guesses.
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.http import HttpRequest, HttpResponse

from . import selectors
from .permissions import MATRIX, has_permission
from .roles import Role

FIGURES = "figures"
MAIN = "main"
#: Sections above the key figures: the reader's own work of the day (a care aide's visits come
#: before the CRT's budget, two screens down on a phone).
LEAD = "lead"


@dataclass(frozen=True)
class HomePanel:
    #: Unique, ``<app>.<panel>``.
    name: str
    #: The app's fragment, ``<app>/_home/<panel>.html``; it receives ``data``.
    template: str
    #: ``selector(*, crt, user, roles)`` -> what the panel shows, or None to leave it out.
    selector: Callable[..., Any]
    #: Shown to these roles (empty: to any role holding ``permission``).
    roles: frozenset[str] = field(default_factory=frozenset)
    #: And only with this permission (empty: no permission needed beyond ``home.view``).
    permission: str = ""
    order: int = 100
    area: str = MAIN

    def __post_init__(self):
        if self.permission and self.permission not in MATRIX:
            raise ValueError(f"Home panel {self.name}: unknown permission {self.permission!r}.")
        if self.area not in (FIGURES, MAIN, LEAD):
            raise ValueError(f"Home panel {self.name}: unknown area {self.area!r}.")

    def shown_to(self, roles) -> bool:
        if self.roles and not set(roles) & self.roles:
            return False
        return not self.permission or has_permission(roles, self.permission)


@dataclass(frozen=True)
class HomeOverride:
    #: ``applies(roles)``: does this view replace the home page for a user holding ``roles``?
    applies: Callable[[frozenset], bool]
    view: Callable[[HttpRequest], HttpResponse]


_PANELS: dict[str, HomePanel] = {}
_OVERRIDES: list[HomeOverride] = []


def register_panel(panel: HomePanel) -> HomePanel:
    """Add (or replace, by name) a panel of the home page."""
    _PANELS[panel.name] = panel
    return panel


def register_home_override(*, applies: Callable[[frozenset], bool],
                           view: Callable[[HttpRequest], HttpResponse]) -> None:
    if not any(o.view is view for o in _OVERRIDES):
        _OVERRIDES.append(HomeOverride(applies=applies, view=view))


def panels() -> list[HomePanel]:
    return sorted(_PANELS.values(), key=lambda p: (p.order, p.name))


def override_for(roles) -> Callable[[HttpRequest], HttpResponse] | None:
    return next((o.view for o in _OVERRIDES if o.applies(frozenset(roles))), None)


@dataclass(frozen=True)
class ShownPanel:
    name: str
    template: str
    data: Any


def panels_for(*, crt, user, roles) -> dict[str, list[ShownPanel]]:
    """The panels this user sees, by area, each with what its selector read."""
    shown: dict[str, list[ShownPanel]] = {LEAD: [], FIGURES: [], MAIN: []}
    for panel in panels():
        if not panel.shown_to(roles):
            continue
        data = panel.selector(crt=crt, user=user, roles=roles)
        if data is not None:
            shown[panel.area].append(ShownPanel(panel.name, panel.template, data))
    return shown


# --- The panels of core itself ---------------------------------------------------------------


def _team(*, crt, user, roles):
    return selectors.team_figures(crt=crt)


def _budget(*, crt, user, roles):
    return selectors.budget_figures(crt=crt)


def _audit(*, crt, user, roles):
    return selectors.audit_figures(crt=crt)


register_panel(HomePanel(
    name="core.team", template="core/_home/team.html", selector=_team,
    roles=frozenset({Role.DIRECTION, Role.COORDINATOR, Role.ADMIN_STAFF}),
    permission="team.view", order=30, area=FIGURES))
# The allocation is for those who steer the CRT and read its budget (``budget.view``: direction,
# coordination), and for the ARS, who notifies it; the field team has no use for it.
register_panel(HomePanel(
    name="core.budget", template="core/_home/budget.html", selector=_budget,
    roles=frozenset(MATRIX["budget.view"]) | {Role.ARS}, order=40, area=FIGURES))
register_panel(HomePanel(
    name="core.audit", template="core/_home/audit.html", selector=_audit,
    permission="audit.view", order=90))
