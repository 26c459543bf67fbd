"""The main navigation's drop-down menus: the links of every day first, the rest grouped by
menu; a menu of one entry is its link; a role with few entries sees them all as links."""

from django.urls import reverse

from maillage.core.navigation import FLAT_UP_TO, NAVIGATION, navigation_for
from maillage.core.permissions import has_permission
from maillage.core.roles import Role


def _names(entries) -> list[str]:
    return [e["menu"] if "entries" in e else e["label"] for e in entries]


def _urls(entries) -> list[str]:
    return [u for e in entries for u in ([i["url"] for i in e["entries"]] if "entries" in e
                                         else [e["url"]])]


def test_the_coordination_keeps_every_entry_in_four_menus():
    roles = frozenset({Role.COORDINATOR})
    shown = navigation_for(roles, reverse("steering:dashboard"))
    allowed = [reverse(i.url_name) for i in NAVIGATION if has_permission(roles, i.permission)]
    assert sorted(_urls(shown)) == sorted(allowed) and len(allowed) > 25
    assert _names(shown) == [
        "Accueil", "Bénéficiaires", "Mes passages", "Planning", "Messages", "Astreinte",
        "Alertes", "Volet 2", "Volet 1", "Territoire", "Pilotage"]
    steering = shown[-1]
    assert steering["active"] and not shown[-2]["active"]
    assert [i["label"] for i in steering["entries"] if i["active"]] == ["Indicateurs"]


def test_a_menu_of_one_entry_is_its_link():
    shown = navigation_for(frozenset({Role.NURSE}), "/")
    assert _names(shown)[-4:] == [
        "Volet 2", "Volet 1", "Territoire", "Gouvernance"]


def test_a_short_menu_stays_flat():
    shown = navigation_for(frozenset({Role.AUDITOR}), "/")
    assert len(shown) <= FLAT_UP_TO
    assert [e["label"] for e in shown] == ["Accueil", "Journal d'audit", "Accès en urgence"]
