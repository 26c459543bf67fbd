"""The home page of an ARS agent who follows a CRT (the ``ars`` role in that CRT): a link to
that CRT's aggregates in the regional view (``access.crts_visible``), when the CRT has a
region."""

from maillage.core.home import FIGURES, HomePanel, register_panel
from maillage.core.roles import Role


def _figures(*, crt, user, roles):
    if Role.ARS not in roles or crt.region_id is None:
        return None
    from maillage.core.models import Region

    return {"region": Region.objects.only("code", "name").get(pk=crt.region_id)}


register_panel(HomePanel(
    name="regional.crt_figures", template="regional/_home/crt_figures.html", selector=_figures,
    roles=frozenset({Role.ARS}), order=5, area=FIGURES))
