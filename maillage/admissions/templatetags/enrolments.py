"""The person's volet 2 on their file: in the file active since when, and the way to the
admission's page (temporary exits, definitive exit)."""

from django import template

register = template.Library()


@register.inclusion_tag("admissions/_file_enrolment.html", takes_context=True)
def file_enrolment(context, beneficiary):
    """The current stay in the file active, for the roles that read enrolments
    (``access.enrolments_visible``; one query)."""
    from ..access import enrolments_visible

    request = context.get("request")
    if request is None or getattr(request, "crt", None) is None:
        return {"enrolment": None}
    enrolment = (enrolments_visible(crt=request.crt, user=request.user, roles=request.roles)
                 .filter(beneficiary=beneficiary, ended_on__isnull=True)
                 .order_by("-admitted_on").first())
    return {"enrolment": enrolment}
