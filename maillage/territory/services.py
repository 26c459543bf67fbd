"""Writes of the territory and the partner directory: validated, versioned and audited."""

import calendar
import hashlib
from collections.abc import Iterable, Iterator
from datetime import date

from django.db import transaction
from django.utils import timezone

from maillage.core.audit import audit_log
from maillage.core.errors import ConflictError, DomainError
from maillage.core.models import Crt
from maillage.core.versioning import changes, save_versioned, snapshot, validate

from . import annuaire, reference
from .models import Agreement, AnnuaireImport, Commune, Organization, Professional

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


# --- Partner agreements ----------------------------------------------------------------------

AGREEMENT_FIELDS = (
    "title", "subject", "starts_on", "ends_on", "tacit_renewal", "renewal_months",
    "financial_terms", "status", "signed_on", "terminated_on", "notes",
)
#: The largest signed document or minutes accepted (a scanned agreement of some pages).
MAX_PDF_BYTES = 10 * 1024 * 1024


def pdf_check(uploaded_file, *, field: str, max_bytes: int = MAX_PDF_BYTES) -> None:
    """An uploaded signed document must be a real PDF, judged on its content (magic bytes,
    structure, no polyglot: ``core.uploads``), not too big; else a ``DomainError`` on
    ``field``."""
    from maillage.core.uploads import PDF, UploadRefusedError, inspect_upload

    too_big = f"Le fichier dépasse la taille maximale ({max_bytes // (1024 * 1024)} Mo)."
    if uploaded_file.size > max_bytes:
        raise DomainError(too_big, field=field)
    uploaded_file.seek(0)
    data = uploaded_file.read(max_bytes + 1)
    uploaded_file.seek(0)
    if len(data) > max_bytes:
        raise DomainError(too_big, field=field)
    try:
        kind = inspect_upload(data)
    except UploadRefusedError as exc:
        raise DomainError(exc.message, field=field) from exc
    if kind != PDF:
        raise DomainError("Déposez le document signé au format PDF.", field=field)


def add_months(day: date, months: int) -> date:
    """``day`` ``months`` later, on the last day of the month when it has fewer days."""
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    month += 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def _check_agreement(agreement: Agreement, organizations) -> None:
    a = agreement
    today = timezone.localdate()
    if a.starts_on and a.ends_on and a.ends_on < a.starts_on:
        raise DomainError("La fin de la convention ne peut pas précéder son début.",
                          field="ends_on")
    if a.tacit_renewal:
        if a.ends_on is None:
            raise DomainError("Une convention à reconduction tacite a une date de fin de "
                              "période : indiquez-la.", field="ends_on")
        if not a.renewal_months:
            raise DomainError("Indiquez la durée de chaque reconduction, en mois.",
                              field="renewal_months")
    else:
        a.renewal_months = None
    validate(a, exclude=["crt", "created_by", "updated_by", "file", "organizations"])
    if not organizations:
        raise DomainError("Choisissez au moins une structure partenaire.",
                          field="organizations")
    if any(org.crt_id != a.crt_id for org in organizations):
        raise DomainError("Structure inconnue.", field="organizations")
    if a.status == Agreement.Status.DRAFT:
        a.signed_on = a.terminated_on = None
    if a.status in {Agreement.Status.SIGNED, Agreement.Status.EXPIRED,
                    Agreement.Status.TERMINATED} and a.signed_on is None:
        raise DomainError("Indiquez la date de signature.", field="signed_on")
    if a.signed_on and a.signed_on > today:
        raise DomainError("La date de signature est dans le futur.", field="signed_on")
    if a.status == Agreement.Status.TERMINATED:
        if a.terminated_on is None:
            raise DomainError("Indiquez la date de résiliation.", field="terminated_on")
        if a.terminated_on < a.starts_on:
            raise DomainError("La résiliation ne peut pas précéder le début de la convention.",
                              field="terminated_on")
    else:
        a.terminated_on = None
    if a.status == Agreement.Status.EXPIRED and (a.ends_on is None or a.ends_on >= today):
        raise DomainError("Une convention n'est échue qu'après sa date de fin.", field="status")


def _attach_pdf(agreement: Agreement, uploaded_file) -> None:
    agreement.file.save(f"{agreement.public_id}.pdf", uploaded_file, save=False)
    Agreement.objects.filter(pk=agreement.pk).update(
        file=agreement.file.name, file_name=uploaded_file.name[:200],
        file_size=uploaded_file.size)
    agreement.file_name, agreement.file_size = uploaded_file.name[:200], uploaded_file.size


@transaction.atomic
def agreement_create(*, actor, crt: Crt, organizations, uploaded_file=None,
                     **fields) -> Agreement:
    _refuse_unknown(fields, AGREEMENT_FIELDS)
    organizations = list(organizations)
    agreement = Agreement(crt=crt, created_by=actor, updated_by=actor, **fields)
    _check_agreement(agreement, organizations)
    if uploaded_file is not None:
        pdf_check(uploaded_file, field="file")
    agreement.save()
    agreement.organizations.set(organizations)
    if uploaded_file is not None:
        _attach_pdf(agreement, uploaded_file)
    audit_log(actor=actor, action="agreement.created", obj=agreement,
              details={"objet": agreement.get_subject_display(),
                       "statut": agreement.get_status_display()})
    return agreement


@transaction.atomic
def agreement_update(*, actor, agreement: Agreement, version: int, organizations,
                     uploaded_file=None, **fields) -> Agreement:
    """A new version of the agreement (``version``: the one the user loaded; stale: conflict);
    a new signed PDF replaces the previous one."""
    _refuse_unknown(fields, AGREEMENT_FIELDS)
    organizations = list(organizations)
    before = snapshot(agreement, AGREEMENT_FIELDS)
    before_orgs = sorted(o.name for o in agreement.organizations.all())
    for field, value in fields.items():
        setattr(agreement, field, value)
    _check_agreement(agreement, organizations)
    if uploaded_file is not None:
        pdf_check(uploaded_file, field="file")
    save_versioned(agreement, actor=actor, version=version, fields=AGREEMENT_FIELDS)
    agreement.organizations.set(organizations)
    details = changes(before, agreement)
    after_orgs = sorted(o.name for o in organizations)
    if after_orgs != before_orgs:
        details["structures"] = {"avant": ", ".join(before_orgs), "après": ", ".join(after_orgs)}
    if uploaded_file is not None:
        _attach_pdf(agreement, uploaded_file)
        details["document"] = {"avant": "", "après": "nouveau PDF signé"}
    audit_log(actor=actor, action="agreement.updated", obj=agreement, details=details)
    return agreement


@transaction.atomic
def agreements_roll_over(*, today: date | None = None) -> int:
    """At the end date of a signed agreement: with tacit renewal, it goes on for another
    period (``ends_on`` moved by ``renewal_months`` until it is today or later); without, it
    expires. Run every night (``tasks.agreements_daily``); returns the number changed."""
    today = today or timezone.localdate()
    changed = 0
    due = Agreement.objects.select_for_update().filter(
        status=Agreement.Status.SIGNED, ends_on__lt=today).select_related("crt")
    for agreement in due:
        old_end = agreement.ends_on
        if agreement.tacit_renewal and agreement.renewal_months:
            end = old_end
            while end < today:
                end = add_months(end, agreement.renewal_months)
            Agreement.objects.filter(pk=agreement.pk).update(
                ends_on=end, version=agreement.version + 1, updated_at=timezone.now())
            audit_log(actor=None, action="agreement.renewed", obj=agreement,
                      details={"ends_on": {"avant": f"{old_end:%d/%m/%Y}",
                                           "après": f"{end:%d/%m/%Y}"}})
        else:
            Agreement.objects.filter(pk=agreement.pk).update(
                status=Agreement.Status.EXPIRED, version=agreement.version + 1,
                updated_at=timezone.now())
            audit_log(actor=None, action="agreement.expired", obj=agreement,
                      details={"fin": f"{old_end:%d/%m/%Y}"})
        changed += 1
    return changed


# --- Annuaire Santé import (docs/annuaire.md) ------------------------------------------------


def annuaire_departments(crt: Crt) -> list[str]:
    """The departments whose professionals concern the CRT: those of its communes, else its
    own."""
    codes = {annuaire.department_of(code) for code in
             Commune.objects.filter(crt=crt).values_list("insee_code", flat=True)}
    return sorted(codes - {""}) or [crt.department]


def _hashed(source: Iterable[bytes], digest) -> Iterator[bytes]:
    for line in source:
        digest.update(line)
        yield line


def annuaire_import_prepare(*, actor, crt: Crt, file_name: str,
                            source: Iterable[bytes]) -> AnnuaireImport:
    """Read an extraction (``source``: its lines as bytes) and store the changes it brings to
    the directory, for review: nothing of the directory is written here. A malformed file
    raises ``annuaire.AnnuaireFileError`` (every bad line with its number)."""
    digest = hashlib.sha256()
    extraction = annuaire.parse(_hashed(source, digest), departments=annuaire_departments(crt))
    return _annuaire_store(actor=actor, crt=crt, file_name=file_name,
                           file_hash=digest.hexdigest(), extraction=extraction)


def annuaire_import_from_api(*, actor, crt: Crt, client=None) -> AnnuaireImport:
    """The same review from the Annuaire Santé FHIR API v2 (``annuaire_api``) instead of a
    file; ``client`` defaults to the one configured in settings (``ESANTE_API_KEY``)."""
    from . import annuaire_api

    client = client or annuaire_api.Client()
    extraction = annuaire_api.extraction(client, departments=annuaire_departments(crt))
    stamp = timezone.localtime().strftime("%d/%m/%Y %H:%M")
    return _annuaire_store(actor=actor, crt=crt, file_name=f"API Annuaire Santé, {stamp}",
                           file_hash="", extraction=extraction)


@transaction.atomic
def _annuaire_store(*, actor, crt: Crt, file_name: str, file_hash: str,
                    extraction: annuaire.Extraction) -> AnnuaireImport:
    changes_ = annuaire.compare(extraction, crt=crt)
    counts = annuaire.summary(changes_)
    record = AnnuaireImport.objects.create(
        crt=crt, file_name=file_name[:200], file_hash=file_hash,
        departments=extraction.departments, lines_read=extraction.lines_read,
        rows_kept=len(extraction.activities), changes=changes_, counts=counts,
        created_by=actor, updated_by=actor)
    audit_log(actor=actor, action="annuaire.prepared", obj=record, details={
        "lignes lues": extraction.lines_read, "changements": len(changes_)})
    return record


def _locked_pending(record: AnnuaireImport, version: int) -> AnnuaireImport:
    locked = AnnuaireImport.objects.select_for_update().get(pk=record.pk)
    if locked.status != AnnuaireImport.Status.PENDING:
        raise DomainError(f"Cet import est déjà {locked.get_status_display().lower()} : il ne "
                          "peut plus être appliqué ni annulé.")
    if locked.version != version:
        raise ConflictError()
    return locked


def _decide(record: AnnuaireImport, *, actor, version: int, status: str) -> None:
    record.status = status
    record.decided_at = timezone.now()
    save_versioned(record, actor=actor, version=version, fields=["status", "decided_at"])


def _org_for_key(crt: Crt, key: str, created: dict) -> Organization | None:
    if key in created:
        return created[key]
    kind, _, number = key.partition(":")
    return Organization.objects.filter(crt=crt, **{kind: number}).order_by("pk").first()


def _apply_change(change: dict, *, actor, crt: Crt, created: dict) -> None:
    values = dict(change["values"])
    if "commune" in values:
        values["commune"] = Commune.objects.filter(crt=crt, public_id=values["commune"]).first()
    if change["target"] == "organization":
        if change["kind"] == "new":
            created[change["key"]] = organization_create(actor=actor, crt=crt, **values)
            return
        org = Organization.objects.filter(crt=crt, public_id=change["public_id"]).first()
        if org is None:
            raise ConflictError("gone")
        created[change["key"]] = organization_update(
            actor=actor, organization=org, version=change["version"], **values)
        return
    if "organization" in values:
        values["organization"] = _org_for_key(crt, values["organization"], created)
    if change["kind"] == "new":
        professional_create(actor=actor, crt=crt, **values)
        return
    pro = Professional.objects.filter(crt=crt, public_id=change["public_id"]).first()
    if pro is None:
        raise ConflictError("gone")
    professional_update(actor=actor, professional=pro, version=change["version"], **values)


@transaction.atomic
def annuaire_import_apply(*, actor, record: AnnuaireImport, version: int) -> AnnuaireImport:
    """Write the reviewed changes, all or nothing: new organisations and professionals
    created, changed ones updated, the closed ones deactivated (never deleted), each through
    the directory's services (validated, versioned, audited). A record edited by someone since
    the review (its version moved) refuses the whole import: prepare it again."""
    locked = _locked_pending(record, version)
    created: dict[str, Organization] = {}
    for change in locked.changes:
        where = f"{change['label']}" + (f" (ligne {change['line']})" if change["line"] else "")
        try:
            _apply_change(change, actor=actor, crt=locked.crt, created=created)
        except ConflictError as error:
            raise ConflictError(
                f"{where} a été modifié·e dans Maillage depuis la préparation de cet import : "
                "rien n'a été appliqué. Importez le fichier à nouveau pour revoir les "
                "changements.") from error
        except DomainError as error:
            raise DomainError(f"{where} : {error.message} Rien n'a été appliqué.") from error
    _decide(locked, actor=actor, version=version, status=AnnuaireImport.Status.APPLIED)
    audit_log(actor=actor, action="annuaire.applied", obj=locked, details=locked.counts)
    return locked


@transaction.atomic
def annuaire_import_cancel(*, actor, record: AnnuaireImport, version: int) -> AnnuaireImport:
    """Drop a pending import: the directory stays as it is."""
    locked = _locked_pending(record, version)
    _decide(locked, actor=actor, version=version, status=AnnuaireImport.Status.CANCELLED)
    audit_log(actor=actor, action="annuaire.cancelled", obj=locked)
    return locked


def annuaire_refresh(*, client=None) -> int:
    """For every CRT, an import from the Annuaire Santé API left pending for review (the
    monthly task); nothing without an API key. A CRT whose refresh fails is logged and
    skipped. Returns the number of imports prepared with at least one change."""
    import logging

    from django.conf import settings

    from . import annuaire_api

    if client is None and not settings.ESANTE_API_KEY:
        return 0
    prepared = 0
    for crt in Crt.objects.order_by("pk"):
        try:
            record = annuaire_import_from_api(actor=None, crt=crt, client=client)
        except annuaire_api.AnnuaireApiError as error:
            logging.getLogger(__name__).warning("Annuaire Santé for %s: %s", crt, error.message)
            continue
        prepared += bool(record.changes)
    return prepared
