"""The access policies of the interoperability app:

- **API tokens** (the one policy of ``ApiToken``): the CRT's tokens, for the roles that manage
  the team (direction, coordination). The secret itself is never readable: only its SHA-256 is
  stored.
- **The CRT's offer described for the ROR** (``RorOffer``, FHIR ``HealthcareService``): no
  personal data; the roles that read the directory (``directory.view``: the CRT team) read it,
  in the API and on the CRT page (whose download is the direction's, ``crt.settings``).
- **MSSanté sendings** (``MssanteSending``): ``mssante.send`` (health professionals and the
  coordination) and the sent document's own policy — a stored document through
  ``documents_visible``, the plan through ``care_plans_visible``, the DLU with the file's health
  face (the care team): whoever may not read a document does not see that it was sent.
"""

from django.db.models import QuerySet

from maillage.core.permissions import has_permission
from maillage.core.roles import Role

from .models import ApiToken, MssanteSending, RorOffer


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


def mssante_sendings_visible(*, user, roles, beneficiary, health: bool
                             ) -> QuerySet[MssanteSending]:
    """The MSSanté sendings of this file the user may see (``health``: the file's health face,
    ``beneficiaries.access.file_access().health``)."""
    from django.db.models import Q

    from maillage.beneficiaries.access import documents_visible
    from maillage.care.access import care_plans_visible

    if not has_permission(roles, "mssante.send"):
        return MssanteSending.objects.none()
    crt = beneficiary.crt
    documents = documents_visible(crt=crt, user=user, roles=roles).filter(
        beneficiary=beneficiary).values("public_id")
    plans = care_plans_visible(crt=crt, user=user, roles=roles).filter(
        plan__beneficiary=beneficiary).values("public_id")
    kinds = MssanteSending.DocumentKind
    visible = (Q(document_kind=kinds.DOCUMENT, document_id__in=documents)
               | Q(document_kind=kinds.PLAN, document_id__in=plans))
    if health:
        visible |= Q(document_kind=kinds.DLU)
    if health and has_permission(roles, "prescription.view"):
        # The letters to the GP (prescription requests): health data, as the requests' page.
        visible |= Q(document_kind=kinds.LETTER)
    return (MssanteSending.objects.filter(crt=crt, beneficiary=beneficiary).filter(visible)
            .select_related("outbox", "created_by"))


def access_doc() -> list[tuple[str, dict[str, str]]]:
    """The rules above as rows for the "Access and audit" page (``maillage access_doc``)."""
    return [
        ("Jetons d'API", {role: "les jetons du CRT (jamais le secret) ; n'en crée que pour "
                                "son propre compte" for role in Role
                          if has_permission({role}, "team.manage")}),
        ("Offre du CRT décrite pour le ROR (API FHIR HealthcareService)", {
            role: "l'offre du CRT (aucune donnée personnelle)" for role in Role
            if has_permission({role}, "directory.view")}),
        ("Envois MSSanté d'un dossier (envoyer, voir les envois)", {
            role: "les documents du dossier qu'il ou elle peut lire (DLU, courriers au médecin : "
                  "professionnels de santé du cercle de soins)"
            for role in Role if has_permission({role}, "mssante.send")}),
    ]
