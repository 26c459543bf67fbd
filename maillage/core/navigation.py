"""The main navigation, by domain. An entry shows only to roles holding its permission.

Each app adds its entries here when its first page lands (no link to a page that does not exist).
"""

from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache

from django.urls import get_script_prefix, get_urlconf, reverse

from .permissions import has_permission


@dataclass(frozen=True)
class NavItem:
    label: str
    url_name: str
    permission: str
    domain: str
    #: The drop-down menu grouping it on the main navigation (``MENUS``), "" for a link of its
    #: own (the pages of every day).
    menu: str = ""


#: The drop-down menus of the main navigation, in order, after the links of their own: the
#: coordination's thirty entries kept on one line of a 1366 px desk screen. A menu of one entry
#: for a role is that entry's link; a role with few entries (``FLAT_UP_TO``) sees them all as
#: links.
VOLET_2, VOLET_1, TERRITORY, STEERING = "Volet 2", "Volet 1", "Territoire", "Pilotage"
MENUS = (VOLET_2, VOLET_1, TERRITORY, STEERING)
FLAT_UP_TO = 8

NAVIGATION: list[NavItem] = [
    NavItem("Accueil", "core:home", "home.view", "Accueil"),
    NavItem("Mon espace", "portal:home", "portal.view", "Accueil"),
    NavItem("Bénéficiaires", "beneficiaries:list", "beneficiary.view", "Volet 2"),
    NavItem("Mes passages", "visits:my_day", "visit.trace", "Volet 2"),
    NavItem("Planning", "visits:team_day", "visit.team", "Volet 2"),
    NavItem("Messages", "care:conversations", "conversation.view", "Volet 2"),
    NavItem("Astreinte", "oncall:screen", "oncall.respond", "Volet 2"),
    NavItem("Alertes", "care:open_alerts", "alert.view", "Volet 2"),
    NavItem("File active", "admissions:file_active", "enrolment.view", "Volet 2", VOLET_2),
    NavItem("Admissions", "admissions:waiting_list", "waiting_list.view", "Volet 2", VOLET_2),
    NavItem("Planning d'astreinte", "oncall:rota", "oncall.rota.manage", "Volet 2", VOLET_2),
    NavItem("Prestations", "care:catalogue", "catalogue.view", "Volet 2", VOLET_2),
    NavItem("Télésanté", "care:telehealth_overview", "telehealth.stats", "Volet 2", VOLET_2),
    NavItem("Chambres", "lodging:rooms", "lodging.view", "Volet 2", VOLET_2),
    NavItem("Actions", "outreach:actions", "outreach.view", "Volet 1", VOLET_1),
    NavItem("Séances", "outreach:sessions", "outreach.participants", "Volet 1", VOLET_1),
    NavItem("Satisfaction", "surveys:home", "survey.results", "Volet 1", VOLET_1),
    NavItem("Télésanté des personnes âgées", "care:telehealth_territory", "telehealth.territory",
            "Volet 1", VOLET_1),
    NavItem("Communes", "territory:commune_list", "territory.view", "Territoire", TERRITORY),
    NavItem("Carte du territoire", "territory:map", "territory.map", "Territoire", TERRITORY),
    NavItem("Partenaires", "territory:organization_list", "directory.view", "Territoire",
            TERRITORY),
    NavItem("Conventions", "territory:agreement_list", "agreement.view", "Territoire",
            TERRITORY),
    NavItem("Équipe", "core:team", "team.view", "Territoire", STEERING),
    NavItem("Postes et ETP", "organisation:position_list", "position.view", "Territoire",
            STEERING),
    NavItem("Gouvernance", "organisation:meeting_list", "meeting.view", "Territoire", STEERING),
    NavItem("Budget", "steering:budget", "budget.view", "Territoire", STEERING),
    NavItem("Indicateurs", "steering:dashboard", "indicator.view", "Pilotage", STEERING),
    NavItem("Rapports d'activité", "steering:report_list", "report.view", "Pilotage", STEERING),
    NavItem("Paramètres du CRT", "core:crt_settings", "crt.settings", "Territoire", STEERING),
    NavItem("Messages sortants", "core:outbox", "outbox.view", "Territoire", STEERING),
    NavItem("Jetons d'API", "api_tokens:list", "team.manage", "Territoire", STEERING),
    NavItem("Journal d'audit", "core:audit_list", "audit.view", "Conformité", STEERING),
    NavItem("Accès en urgence", "oncall:break_glass_list", "oncall.break_glass.review",
            "Conformité", STEERING),
]


#: Badges of navigation entries, by URL name: ``function(crt=, user=, roles=) -> int`` (one
#: query), registered by the app owning the page (core imports no domain app).
BADGES: dict[str, Callable[..., int]] = {}


def register_badge(url_name: str, count: Callable[..., int]) -> None:
    BADGES[url_name] = count


@lru_cache(maxsize=256)
def _entries(roles: frozenset, urlconf, prefix: str) -> tuple[tuple[NavItem, str], ...]:
    """The entries these roles may open, with their URLs: the same for every page of every
    user with these roles (``reverse`` once, not for each entry of each page)."""
    return tuple((item, reverse(item.url_name)) for item in NAVIGATION
                 if has_permission(roles, item.permission))


def navigation_for(roles, current_path: str, *, user=None, crt=None) -> list[dict]:
    """The role's entries of the main navigation: links (``label``, ``url``, ``active``,
    ``badge``), and drop-down menus of them (``menu``: its label, ``entries``,
    ``active`` when one of them is)."""
    items = []
    for item, url in _entries(frozenset(roles), get_urlconf(), get_script_prefix()):
        active = current_path == url if url == "/" else current_path.startswith(url)
        badge = 0
        count = BADGES.get(item.url_name)
        if count is not None and user is not None and crt is not None:
            badge = count(crt=crt, user=user, roles=roles)
        items.append({"label": item.label, "url": url, "active": active, "domain": item.domain,
                      "badge": badge, "menu": item.menu})
    if len(items) <= FLAT_UP_TO:
        return items
    shown = [i for i in items if not i["menu"]]
    for menu in MENUS:
        inside = [i for i in items if i["menu"] == menu]
        if len(inside) == 1:
            shown += inside
        elif inside:
            shown.append({"menu": menu, "entries": inside,
                          "active": any(i["active"] for i in inside)})
    return shown
