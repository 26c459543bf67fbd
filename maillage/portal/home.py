"""The home page of a beneficiary or a caregiver is their portal (see ``maillage.core.home``);
an account holding a portal role beside a team role sees the CRT's contacts among its panels."""

from maillage.core.home import HomePanel, register_home_override, register_panel
from maillage.core.roles import PORTAL


def _portal_only(roles) -> bool:
    return bool(roles) and roles <= PORTAL


def _portal_home(request):
    from .views import portal_home

    return portal_home(request)


def _contacts(*, crt, user, roles):
    return {"crt": crt}


register_home_override(applies=_portal_only, view=_portal_home)
register_panel(HomePanel(
    name="portal.contacts", template="portal/_home/contacts.html", selector=_contacts,
    roles=PORTAL, order=1))
