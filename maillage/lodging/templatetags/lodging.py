"""The line of the beneficiary's file about their temporary-room stays."""

from django import template

from maillage.core.permissions import has_permission

register = template.Library()


@register.inclusion_tag("lodging/_beneficiary_stays.html", takes_context=True)
def lodging_stays(context, beneficiary):
    """Shown to the lodging roles only (one query)."""
    request = context.get("request")
    roles = getattr(request, "roles", frozenset())
    if request is None or not has_permission(roles, "lodging.view"):
        return {"show": False}
    from ..models import Stay

    stays = list(Stay.objects.filter(crt=request.crt, beneficiary=beneficiary)
                 .exclude(status=Stay.Status.CANCELLED).select_related("room")
                 .order_by("-planned_start")[:1])
    return {"show": True, "b": beneficiary, "stays": stays,
            "can_manage": has_permission(roles, "lodging.manage")}
