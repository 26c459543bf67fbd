"""People found in the user's *other* CRTs: the hint « Suivi(e) par le CRT … — passer à ce CRT »
of the searches (on-call screen, file list) for users who work for several CRTs (a night nurse
shared between two CRTs).

Only the CRTs of the user's own active memberships, with a role that may search there
(``permission``), and only among the people the user would see there (``beneficiaries_for``
with the roles of that membership): never a CRT the user does not belong to, never a person
the user could not find after switching. The hint names the CRT and says there are matches —
no identity of the person before switching.

Audit: the hint reveals no health data (no field of the health-data registry, not even a name:
only that some person followed by a CRT the user works for matches the words the user typed),
so it writes no audit event of its own; the search that shows it is audited as usual."""

from collections.abc import Callable

from django.db.models import QuerySet

from maillage.core.permissions import has_permission

from .access import beneficiaries_for
from .models import Beneficiary


def other_crts_matching(*, request, permission: str,
                        matching: Callable[[QuerySet[Beneficiary]], QuerySet[Beneficiary] | None]
                        ) -> list:
    """The user's other CRTs (active memberships granting ``permission``) where ``matching``
    finds someone this user may see there. One query, whatever the number of CRTs: each CRT's
    visibility rule is OR-ed into a single queryset."""
    current = request.crt.pk if request.crt is not None else None
    others = [m for m in request.memberships
              if m.crt_id != current and has_permission(m.role_codes, permission)]
    if not others:
        return []
    people = None
    for m in others:
        part = beneficiaries_for(crt=m.crt, user=request.user, roles=m.role_codes)
        people = part if people is None else people | part
    found = matching(people)
    if found is None:
        return []
    crt_ids = set(found.order_by().values_list("crt_id", flat=True).distinct())
    return [m.crt for m in others if m.crt_id in crt_ids]
