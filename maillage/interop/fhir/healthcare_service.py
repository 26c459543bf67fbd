"""HealthcareService (ROR ``ror-healthcareservice``, FR Core ``fr-core-healthcare-service``):
the CRT's own offer — the volet 2 home support, and the emergency temporary room while the CRT
has one — as the ROR export describes it (the same serialiser, ``interop/ror.py``), for the
roles that read the directory (``directory.view``, the policy ``ror_offers_visible``)."""


from django.db.models import Q

from maillage.core.permissions import Perm
from maillage.interop import ror
from maillage.interop.access import ror_offers_visible
from maillage.interop.models import RorOffer

from .outcome import FhirError
from .resource import ResourceType
from .search import LOCAL_SYSTEM, NOTHING, SearchParam, any_of, local_id_q, split_token

#: TRE_R244 code of each offer (``ror.CRT_OFFER_TYPE``, ``ror.EMERGENCY_OFFER_TYPE``).
KIND_OF_CATEGORY = {ror.CRT_OFFER_TYPE[0]: RorOffer.Kind.HOME_SUPPORT,
                    ror.EMERGENCY_OFFER_TYPE[0]: RorOffer.Kind.EMERGENCY_ROOM}


def serialize(offer: RorOffer, base_url: str = "") -> dict:
    return ror.healthcare_service(offer, ror.facts(offer.crt, [offer]))


def queryset(request):
    return ror_offers_visible(crt=request.crt, roles=request.roles).select_related("crt")


def on_read(request, offers) -> None:
    """The CRT's offer is no personal data: reads are not audited (as the directory)."""


def identifier_q(value: str) -> Q:
    system, code = split_token(value)
    return any_of([local_id_q(code)] if system in (None, LOCAL_SYSTEM) else [])


def category_q(value: str) -> Q:
    system, code = split_token(value)
    if system not in (None, ror.CATEGORY):
        raise FhirError(400, f"Paramètre « service-category » : seul le système {ror.CATEGORY} "
                             "(TRE_R244) est pris en charge.", code="invalid")
    kind = KIND_OF_CATEGORY.get(code)
    return Q(kind=kind) if kind else NOTHING


def name_q(value: str) -> Q:
    kinds = [kind for kind in RorOffer.Kind if value.lower() in kind.label.lower()]
    return Q(kind__in=kinds) | Q(crt__name__icontains=value)


HEALTHCARE_SERVICE = ResourceType(
    type="HealthcareService",
    permission=Perm.DIRECTORY_VIEW,
    queryset=queryset,
    serialize=serialize,
    on_read=on_read,
    profiles=(ror.PROFILE_SERVICE, ror.FR_CORE_SERVICE),
    documentation="L'offre du CRT décrite pour le ROR (type d'offre 136 « Centre de ressources "
                  "territorial (CRT) » de la TRE_R244) : accompagnement renforcé à domicile, "
                  "et chambre d'urgence temporaire quand le CRT en a une (rôles de l'équipe du "
                  "CRT). Export complet (Organization, HealthcareService, Location) sur la page "
                  "du CRT.",
    search_params=(
        SearchParam("identifier", "token", f"{LOCAL_SYSTEM}|urn:uuid:<id> (identifiant "
                    "persistant de l'offre dans Maillage).", identifier_q,
                    "http://hl7.org/fhir/SearchParameter/HealthcareService-identifier"),
        SearchParam("service-category", "token",
                    f"Type d'offre : {ror.CATEGORY}|136 (CRT) ou |258 (hébergement temporaire "
                    "d'urgence).", category_q,
                    "http://hl7.org/fhir/SearchParameter/HealthcareService-service-category"),
        SearchParam("name", "string", "Partie du nom de l'offre, sans tenir compte de la casse.",
                    name_q, "http://hl7.org/fhir/SearchParameter/HealthcareService-name"),
    ),
)
