"""The home-page panel of the files: the people this professional accompanies
(see ``maillage.core.home``)."""

from maillage.core.home import HomePanel, register_panel
from maillage.core.notifications import register_people_policy
from maillage.core.roles import HEALTH_PROFESSIONALS, Role

from .access import FACES, beneficiaries_for, in_care_team_q
from .models import by_shown_name

SHOWN = 12


def _people(*, crt, user, roles):
    """The people whose care team this user is in (a partner: those whose consent lets them
    see the file), whose identity they may open; by name."""
    qs = beneficiaries_for("identity", crt=crt, user=user, roles=roles)
    if Role.PARTNER not in roles:
        qs = qs.filter(in_care_team_q(user))
    qs = qs.select_related("commune").order_by(*by_shown_name(), "pk")
    people = list(qs[:SHOWN + 1])
    total = len(people) if len(people) <= SHOWN else qs.count()
    return {"people": people[:SHOWN], "total": total, "partner": Role.PARTNER in roles}


register_panel(HomePanel(
    name="beneficiaries.people", template="beneficiaries/_home/people.html", selector=_people,
    roles=HEALTH_PROFESSIONALS | {Role.ACTIVITY_LEADER, Role.PARTNER},
    permission="beneficiary.view", order=15))


def _people_visible(face, *, crt, user, roles):
    return beneficiaries_for(face, crt=crt, user=user, roles=roles)


# A notification about a person is shown while the user may see that face of their file.
register_people_policy(_people_visible, faces=FACES)
