"""Writes of the territory and the partner directory: validated, versioned and audited."""

from django.db import transaction

from maillage.core.audit import audit_log
from maillage.core.errors import DomainError
from maillage.core.models import Crt
from maillage.core.versioning import changes, save_versioned, snapshot, validate

from . import reference
from .models import Commune, Organization, Professional

COMMUNE_FIELDS = (
    "postal_code", "name", "covers_volet1", "covers_volet2", "travel_minutes", "latitude",
    "longitude",
)


def _check_commune(commune: Commune) -> None:
    validate(commune)
    if not (commune.covers_volet1 or commune.covers_volet2):
        raise DomainError(
            "Une commune du territoire est couverte au moins par un volet (1 ou 2).",
            field="covers_volet2",
        )
    if (commune.latitude is None) != (commune.longitude is None):
        missing = "longitude" if commune.longitude is None else "latitude"
        raise DomainError(
            "Indiquez la latitude et la longitude, ou aucune des deux.", field=missing
        )


def _refuse_unknown(changes_: dict, allowed: tuple[str, ...]) -> None:
    unknown = set(changes_) - set(allowed)
    if unknown:
        raise DomainError(f"Champ non modifiable : {', '.join(sorted(unknown))}.")


@transaction.atomic
def commune_create(
    *,
    actor,
    crt: Crt,
    insee_code: str,
    travel_minutes: int,
    covers_volet1: bool = True,
    covers_volet2: bool = True,
    postal_code: str = "",
    name: str = "",
) -> Commune:
    """Add the commune with this INSEE code to ``crt``'s territory. Its name, postal code,
    population and position come from the national reference (``reference.py``); a name or
    postal code given here (e.g. another postal code of the commune) wins."""
    insee_code = (insee_code or "").strip().upper()
    ref = reference.lookup(insee_code)
    if ref is None:
        raise DomainError(
            "Aucune commune actuelle ne porte ce code INSEE (code officiel géographique 2026).",
            field="insee_code",
        )
    if Commune.objects.filter(crt=crt, insee_code=insee_code).exists():
        raise DomainError("Cette commune fait déjà partie du territoire.", field="insee_code")
    commune = Commune(
        crt=crt,
        insee_code=insee_code,
        postal_code=postal_code or ref.postal_code,
        name=name or ref.name,
        travel_minutes=travel_minutes,
        covers_volet1=covers_volet1,
        covers_volet2=covers_volet2,
        latitude=ref.latitude,
        longitude=ref.longitude,
        population=ref.population,
        created_by=actor,
        updated_by=actor,
    )
    _check_commune(commune)
    commune.save()
    audit_log(actor=actor, action="commune.created", obj=commune)
    return commune


@transaction.atomic
def commune_update(*, actor, commune: Commune, version: int, **fields) -> Commune:
    """Update the editable fields of ``commune``; ``version`` is the one the user loaded."""
    return _update(commune, actor=actor, version=version, fields=fields, allowed=COMMUNE_FIELDS,
                   check=_check_commune, action="commune.updated")


# --- Partner directory ---------------------------------------------------------------------

ORGANIZATION_FIELDS = (
    "kind", "name", "finess", "siret", "address", "postal_code", "city", "commune", "phone",
    "email", "mssante_email", "notes", "is_active",
)
PROFESSIONAL_FIELDS = (
    "last_name", "first_name", "profession", "specialty", "rpps", "organization", "phone",
    "mobile", "email", "mssante_email", "notes", "is_active",
)


def _check_organization(org: Organization) -> None:
    validate(org, exclude=["crt", "created_by", "updated_by"])
    if org.commune_id and org.commune.crt_id != org.crt_id:
        raise DomainError("Cette commune n'appartient pas au territoire du CRT.", field="commune")
    if org.finess:
        twin = Organization.objects.filter(crt=org.crt, finess=org.finess).exclude(pk=org.pk)
        if twin.exists():
            raise DomainError(
                f"Une structure de l'annuaire porte déjà ce numéro FINESS : {twin.first().name}.",
                field="finess",
            )


def _check_professional(pro: Professional) -> None:
    validate(pro, exclude=["crt", "created_by", "updated_by"])
    if pro.organization_id and pro.organization.crt_id != pro.crt_id:
        raise DomainError("Structure inconnue.", field="organization")
    if pro.rpps:
        twin = Professional.objects.filter(crt=pro.crt, rpps=pro.rpps).exclude(pk=pro.pk)
        if twin.exists():
            raise DomainError(
                f"Un professionnel de l'annuaire porte déjà ce numéro RPPS : {twin.first()}.",
                field="rpps",
            )


def _create(model, *, actor, crt: Crt, fields: dict, allowed, check, action: str):
    _refuse_unknown(fields, allowed)
    obj = model(crt=crt, created_by=actor, updated_by=actor, **fields)
    check(obj)
    obj.save()
    audit_log(actor=actor, action=action, obj=obj)
    return obj


def _update(obj, *, actor, version: int, fields: dict, allowed, check, action: str):
    _refuse_unknown(fields, allowed)
    before = snapshot(obj, allowed)
    for field, value in fields.items():
        setattr(obj, field, value)
    check(obj)
    save_versioned(obj, actor=actor, version=version, fields=allowed)
    audit_log(actor=actor, action=action, obj=obj, details=changes(before, obj))
    return obj


@transaction.atomic
def organization_create(*, actor, crt: Crt, **fields) -> Organization:
    return _create(Organization, actor=actor, crt=crt, fields=fields,
                   allowed=ORGANIZATION_FIELDS, check=_check_organization,
                   action="organization.created")


@transaction.atomic
def organization_update(*, actor, organization: Organization, version: int, **fields):
    return _update(organization, actor=actor, version=version, fields=fields,
                   allowed=ORGANIZATION_FIELDS, check=_check_organization,
                   action="organization.updated")


@transaction.atomic
def professional_create(*, actor, crt: Crt, **fields) -> Professional:
    return _create(Professional, actor=actor, crt=crt, fields=fields,
                   allowed=PROFESSIONAL_FIELDS, check=_check_professional,
                   action="professional.created")


@transaction.atomic
def professional_update(*, actor, professional: Professional, version: int, **fields):
    return _update(professional, actor=actor, version=version, fields=fields,
                   allowed=PROFESSIONAL_FIELDS, check=_check_professional,
                   action="professional.updated")
