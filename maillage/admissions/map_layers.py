"""The file active on the territory map (see ``territory/map.py`` for the contract): the
number of volet 2 beneficiaries per commune — a count, never a person's location; the map
hides small counts from the roles without access to the files (``territory/access.py``)."""

from django.db.models import Count, Q

from maillage.territory.map import MapLayer

from .models import Enrolment


def beneficiaries_by_commune(*, crt, user, start, end) -> dict[str, int]:
    """People accompanied in volet 2 at some point of [start, end] (an enrolment overlapping
    the period), by the commune of their home, in one grouped query."""
    rows = (
        Enrolment.objects.filter(crt=crt, admitted_on__lte=end)
        .filter(Q(ended_on__isnull=True) | Q(ended_on__gte=start))
        .values("beneficiary__commune__insee_code")
        .annotate(n=Count("beneficiary", distinct=True))
        .order_by()
    )
    return {row["beneficiary__commune__insee_code"]: row["n"] for row in rows}


LAYERS = [
    MapLayer(key="admissions.beneficiaries", label="Bénéficiaires du volet 2",
             unit="bénéficiaire(s)", counts=beneficiaries_by_commune, personal=True, order=40),
]
