"""The access policies of the interoperability app:

- **API tokens** (the one policy of ``ApiToken``): the CRT's tokens, for the roles that manage
  the team (direction, coordination). The secret itself is never readable: only its SHA-256 is
  stored.
- **The CRT's offer described for the ROR** (``RorOffer``, FHIR ``HealthcareService``): no
  personal data; the roles that read the directory (``directory.view``: the CRT team) read it,
  in the API and on the CRT page (whose download is the direction's, ``crt.settings``).
"""

from django.db.models import QuerySet

from maillage.core.permissions import has_permission
from maillage.core.roles import Role

from .models import ApiToken, RorOffer


def tokens_visible(*, crt, roles) -> QuerySet[ApiToken]:
    if not has_permission(roles, "team.manage"):
        return ApiToken.objects.none()
    return ApiToken.objects.filter(crt=crt)


def ror_offers_visible(*, crt, roles) -> QuerySet[RorOffer]:
    """The CRT's offer as described for the ROR (``HealthcareService``): what the CRT makes
    known of itself to the regional directory — no personal data. Read by the roles that read
    the directory (``directory.view``: the CRT team), in the API and on the CRT page."""
    if not has_permission(roles, "directory.view"):
        return RorOffer.objects.none()
    return RorOffer.objects.filter(crt=crt).offered()


def access_doc() -> list[tuple[str, dict[str, str]]]:
    """The rules above as rows for the "Access and audit" page (``maillage access_doc``)."""
    return [
        ("Jetons d'API", {role: "les jetons du CRT (jamais le secret)" for role in Role
                          if has_permission({role}, "team.manage")}),
        ("Offre du CRT décrite pour le ROR (API FHIR HealthcareService)", {
            role: "l'offre du CRT (aucune donnée personnelle)" for role in Role
            if has_permission({role}, "directory.view")}),
    ]
