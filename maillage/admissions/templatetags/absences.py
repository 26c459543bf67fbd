"""The line that says a person is away (hospitalisation, holidays…) and their visits
suspended: on the on-call screens, the person's visits and the portal (one query)."""

from django import template

register = template.Library()


@register.inclusion_tag("admissions/_absence.html")
def absence_banner(beneficiary, audience="team"):
    """``audience``: ``team`` (kind, place and dates) or ``portal`` (the person or their
    caregiver: the kind and dates, no place)."""
    from django.utils import timezone

    from ..models import Suspension
    from ..selectors import current_absence

    today = timezone.localdate()
    absence = current_absence(beneficiary=beneficiary, today=today) if beneficiary else None
    return {"absence": absence, "audience": audience,
            "started": absence is not None and absence.start_date <= today,
            "hospitalised": absence is not None
            and absence.kind == Suspension.Kind.HOSPITALISATION}
