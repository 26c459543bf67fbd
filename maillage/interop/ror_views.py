"""The ROR export of the CRT's offer, downloaded from the CRT page (its direction)."""

import json

from django.http import HttpRequest, HttpResponse
from django.views.decorators.http import require_GET

from maillage.core.access import require

from . import ror
from .access import ror_offers_visible


@require("crt.settings")
@require_GET
def ror_download(request: HttpRequest) -> HttpResponse:
    """The Bundle of ``ror.bundle`` as a JSON file to hand to the regional ROR team."""
    offers = ror_offers_visible(crt=request.crt, roles=request.roles)
    body = json.dumps(ror.bundle(request.crt, offers), ensure_ascii=False, indent=2)
    response = HttpResponse(body, content_type="application/fhir+json; charset=utf-8")
    response["Content-Disposition"] = (
        f'attachment; filename="offre-ror-{request.crt.finess}.json"')
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response
