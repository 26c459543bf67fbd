"""The main navigation, by domain. An entry shows only to roles holding its permission.

Each app adds its entries here when its first page lands (no link to a page that does not exist).
"""

from dataclasses import dataclass

from django.urls import reverse

from .permissions import has_permission


@dataclass(frozen=True)
class NavItem:
    label: str
    url_name: str
    permission: str
    domain: str


NAVIGATION: list[NavItem] = [
    NavItem("Accueil", "core:home", "home.view", "Accueil"),
    NavItem("Bénéficiaires", "beneficiaries:list", "beneficiary.view", "Volet 2"),
    NavItem("File active", "admissions:file_active", "enrolment.view", "Volet 2"),
    NavItem("Admissions", "admissions:waiting_list", "waiting_list.view", "Volet 2"),
    NavItem("Alertes", "care:open_alerts", "alert.view", "Volet 2"),
    NavItem("Prestations", "care:catalogue", "catalogue.view", "Volet 2"),
    NavItem("Territoire", "territory:commune_list", "territory.view", "Territoire"),
    NavItem("Partenaires", "territory:organization_list", "directory.view", "Territoire"),
    NavItem("Équipe", "core:team", "team.view", "Territoire"),
    NavItem("Journal d'audit", "core:audit_list", "audit.view", "Conformité"),
]


def navigation_for(roles, current_path: str) -> list[dict]:
    items = []
    for item in NAVIGATION:
        if not has_permission(roles, item.permission):
            continue
        url = reverse(item.url_name)
        active = current_path == url if url == "/" else current_path.startswith(url)
        items.append({"label": item.label, "url": url, "active": active, "domain": item.domain})
    return items
