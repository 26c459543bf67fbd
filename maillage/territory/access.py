"""The access policy of the territory (SPEC §3, §4.5), with both faces from one condition
(agreement tested in ``tests/test_map.py``):

- **Communes** of the territory (coverage, travel time, position): national reference data
  put together by the CRT, no personal data. The CRT team reads them (``territory.view``: the
  commune list) and so does the ARS on the map (``territory.map``); nobody else.
- **The territory map** (``territory.map``: the CRT team and the ARS) shows per-commune
  *counts* — never a person's location. A count of people is not health data, but a small
  one points at someone ("the one beneficiary in Miré"): **the small-cell rule** — for a
  role without access to the files (``enrolment.view``: the ARS, the activity leader), a
  count of people between 1 and 4 is shown as « < 5 », and the total of a layer is not
  shown when a cell is hidden (the hidden cell would be the total minus the others). The
  team that reads the file active sees the exact numbers (no more than its lists show).
- Partner structures on the map: their names for the roles that read the directory
  (``directory.view``), their number per commune for the others.
- **Annuaire Santé imports** (tested in ``tests/test_annuaire.py``): the changes a national
  extraction brings to the directory (public professional data, no health data), seen,
  applied or cancelled by those who keep the directory (``directory.manage``).
- **Partner agreements** (tested in ``tests/test_agreements.py``): an agreement holds no
  personal data, but financial terms; coordination, the direction and the secretariat
  (``agreement.view``) see every agreement of their CRT; nobody else sees any (partners, the
  ARS: nothing).
"""

from django.db.models import QuerySet

from maillage.core import smallcells
from maillage.core.permissions import has_permission
from maillage.core.roles import Role

from .models import Agreement, AnnuaireImport, Commune, Organization, Professional

#: Counts of people below this are hidden for roles without access to the files: the one
#: constant of INDICATORS §5 (``core.smallcells``).
SMALL_CELL_THRESHOLD = smallcells.THRESHOLD
SMALL_CELL_TEXT = smallcells.SMALL_TEXT


def _reads_communes(roles) -> bool:
    return has_permission(roles, "territory.view") or has_permission(roles, "territory.map")


def communes_visible(*, crt, user, roles) -> QuerySet[Commune]:
    if _reads_communes(roles):
        return Commune.objects.filter(crt=crt)
    return Commune.objects.none()


def can_view_commune(*, user, roles, commune: Commune) -> bool:
    return _reads_communes(roles)


def can_view_map(roles) -> bool:
    return has_permission(roles, "territory.map")


def sees_exact_counts(roles) -> bool:
    """The small-cell rule above: exact counts of people only with access to the files."""
    return has_permission(roles, "enrolment.view")


def sees_partner_names(roles) -> bool:
    return has_permission(roles, "directory.view")


def organizations_visible(*, crt, user, roles) -> QuerySet[Organization]:
    """The partner organisations of the directory, for the roles that read it
    (``directory.view``: the CRT team); partners, the DPO and the ARS see none."""
    if sees_partner_names(roles):
        return Organization.objects.filter(crt=crt)
    return Organization.objects.none()


def professionals_visible(*, crt, user, roles) -> QuerySet[Professional]:
    """The professionals of the directory, for the roles that read it (``directory.view``: the
    CRT team), as the professionals' page and the API (Practitioner, PractitionerRole) show
    them; partners, the DPO and the ARS see none."""
    if sees_partner_names(roles):
        return Professional.objects.filter(crt=crt)
    return Professional.objects.none()


def can_view_organization(*, user, roles, organization: Organization) -> bool:
    return sees_partner_names(roles)


def listed_communes(*, crt, user, roles) -> QuerySet[Commune]:
    """The communes as a list of records (the territory page, ``territory.view``: the CRT
    team). The ARS reads the map's counts (``territory.map``), not the list."""
    if has_permission(roles, "territory.view"):
        return Commune.objects.filter(crt=crt)
    return Commune.objects.none()


def shown_count(count: int, *, personal: bool, exact: bool) -> str | None:
    """What a map cell says: ``None`` for nothing, the number, or « < 5 » for a small count of
    people shown to a role without access to the files."""
    if not count:
        return None
    if personal and not exact and count < SMALL_CELL_THRESHOLD:
        return SMALL_CELL_TEXT
    return str(count)


def access_doc() -> list[tuple[str, dict[str, str]]]:
    """The rules above as rows of the "Access and audit" page (``maillage access_doc``)."""
    rows = {}
    for role in Role:
        roles = {role}
        if not can_view_map(roles):
            continue
        rows[role] = ("carte : nombres exacts" if sees_exact_counts(roles)
                      else "carte : nombres de personnes inférieurs à 5 masqués (« < 5 »)")
    return [
        ("Communes du territoire", {role: "toutes les communes du CRT" for role in Role
                                    if _reads_communes({role})}),
        ("Carte du territoire (nombres par commune, jamais la position d'une personne)", rows),
        ("Imports de l'Annuaire Santé (changements proposés à l'annuaire des partenaires)", {
            role: "tous les imports du CRT : examiner, appliquer, abandonner" for role in Role
            if has_permission({role}, "directory.manage")}),
        ("Conventions avec les partenaires", {
            role: "toutes les conventions du CRT" for role in Role
            if has_permission({role}, "agreement.view")}),
    ]


def agreements_visible(*, crt, user, roles) -> QuerySet[Agreement]:
    if has_permission(roles, "agreement.view"):
        return Agreement.objects.filter(crt=crt)
    return Agreement.objects.none()


def can_view_agreement(*, user, roles, agreement: Agreement) -> bool:
    return has_permission(roles, "agreement.view")


def can_edit_agreement(*, user, roles, agreement: Agreement) -> bool:
    return has_permission(roles, "agreement.manage")



def annuaire_imports_visible(*, crt, user, roles) -> QuerySet[AnnuaireImport]:
    if has_permission(roles, "directory.manage"):
        return AnnuaireImport.objects.filter(crt=crt)
    return AnnuaireImport.objects.none()


def can_manage_annuaire_import(*, user, roles, record: AnnuaireImport) -> bool:
    return has_permission(roles, "directory.manage")
