"""The section « Offre décrite pour le ROR » of the CRT page (``interop/_ror_offer.html``):
core's page includes it, core's code never imports this app."""

from django import template

from maillage.interop import ror
from maillage.interop.access import ror_offers_visible

register = template.Library()


@register.simple_tag(takes_context=True)
def ror_offer_summary(context) -> ror.OfferSummary:
    request = context["request"]
    return ror.summary(request.crt, ror_offers_visible(crt=request.crt, roles=request.roles))
