"""Who may read a person's emergency data on call (DLU, allergies, treatments, directives).

Normally a health professional of the person's care team (``file_access(...).health``). On
call, a professional outside the care team may open the file only during an open call they
answer, with a stated reason: « bris de glace », recorded, flagged in the audit trail and
listed for the coordinator and the auditor to review (SPEC §3, §4.4)."""

from dataclasses import dataclass

from django.db.models import Q

from maillage.beneficiaries.access import file_access
from maillage.core.permissions import has_permission

from .models import BreakGlass, Call


@dataclass(frozen=True)
class EmergencyAccess:
    health: bool
    break_glass: BreakGlass | None = None
    #: The open call of this user, if any (needed to break the glass).
    open_call: Call | None = None

    @property
    def may_break_glass(self) -> bool:
        return not self.health and self.open_call is not None


def open_call_of(user, crt) -> Call | None:
    """The open call this user took, or travels for (the one who goes to the home needs the
    file as much as the one who answered)."""
    return (Call.objects.filter(Q(answered_by=user) | Q(travelled_by=user), crt=crt,
                                status=Call.Status.OPEN)
            .order_by("-received_at").first())


def emergency_access(*, user, roles, beneficiary) -> EmergencyAccess:
    """May ``user`` read ``beneficiary``'s emergency data now, and how."""
    call = open_call_of(user, beneficiary.crt) if has_permission(roles, "oncall.respond") \
        else None
    if file_access(user=user, roles=roles, beneficiary=beneficiary).health:
        return EmergencyAccess(health=True, open_call=call)
    if call is None:
        return EmergencyAccess(health=False)
    glass = (BreakGlass.objects.filter(call=call, user=user, beneficiary=beneficiary)
             .order_by("-created_at").first())
    return EmergencyAccess(health=glass is not None, break_glass=glass, open_call=call)
