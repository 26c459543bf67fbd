"""What of a person's file can be sent by MSSanté, and its bytes and XDS codes.

Three sources, each through its owning app's access policy (as the FHIR DocumentReference):

- the documents stored in the file (``beneficiaries.access.documents_visible``);
- the person's DLU (``oncall.access.emergency_files_visible``) — for the care team only: the
  health face of the file (``file_access().health``), never under a break-the-glass access;
- the versions of the personalised plan (``care.access.care_plans_visible``).

The DLU and the plan are printed on demand by the function their pages call (``oncall.dlu.pdf``,
``care.printing.plan_pdf``). The DLU also travels as its CDA (``oncall.cda.dlu_cda``), first
in the archive (``DOC0001.XML``, ``cda_code`` 74207-2): the X-MSS-CODECDA / X-MSS-INS headers
follow by themselves (``xdm.mss_headers``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time

from django.utils import timezone

from maillage.beneficiaries.access import (
    MEDICAL_FIELDS,
    documents_visible,
    medical_fields,
    reads_whole_medical_section,
)
from maillage.beneficiaries.models import Beneficiary, Document
from maillage.care.access import care_plans_visible
from maillage.care.models import CarePlanVersion
from maillage.core.errors import DomainError
from maillage.oncall.access import emergency_files_visible
from maillage.oncall.models import EmergencyFile

from .xdm import Code, XdmDocument

LOINC = "2.16.840.1.113883.6.1"
#: IHE format codes (ITI TF-3 §5.1, coding scheme 1.3.6.1.4.1.19376.1.2.3).
IHE_FORMAT = "1.3.6.1.4.1.19376.1.2.3"
PDF_FORMAT = Code("urn:ihe:iti:xds-sd:pdf:2008", IHE_FORMAT, "Document PDF (XDS-SD)")
TEXT_FORMAT = Code("urn:ihe:iti:xds-sd:text:2008", IHE_FORMAT, "Document texte (XDS-SD)")
MIME_FORMAT = Code("urn:ihe:iti:xds:2017:mimeTypeSufficient", IHE_FORMAT,
                   "Format défini par le type MIME")
#: CI-SIS classCode (TRE_A03-ClasseDocument, 1.2.250.1.213.1.1.4.1): **unverified** codes, see
#: docs/mssante.md.
CLASS_SYNTHESIS = Code("11", "1.2.250.1.213.1.1.4.1", "Synthèse")
CLASS_OTHER = Code("90", "1.2.250.1.213.1.1.4.1", "Autre document")
DLU_TYPE = Code("74207-2", LOINC, "Dossier de liaison d'urgence")
PLAN_TYPE = Code("18776-5", LOINC, "Plan personnalisé de coordination en santé")
NOTE_TYPE = Code("34109-9", LOINC, "Document")
PDF = "application/pdf"


@dataclass(frozen=True)
class Sendable:
    """A document of the file offered for sending (``kind``, ``obj``: the model instance)."""

    kind: str  # MssanteSending.DocumentKind
    obj: object
    title: str
    day: date

    @property
    def key(self) -> str:
        return f"{self.kind}:{self.obj.public_id}"


def sendable_documents(*, user, roles, beneficiary: Beneficiary, health: bool) -> list[Sendable]:
    """What this user may send of this file, newest first within each source. ``health``: the
    user's health face of the file (``file_access().health``), needed for the DLU — with the
    whole medical section (``access.medical_fields``): a DLU without the history would mislead
    its recipient, and a sender would hand out what they may not read."""
    crt = beneficiary.crt
    found: list[Sendable] = []
    if health and reads_whole_medical_section(
            medical_fields(crt=crt, user=user, roles=roles)):
        ef = (emergency_files_visible(crt=crt, user=user, roles=roles)
              .filter(beneficiary=beneficiary).first())
        if ef is not None:
            found.append(Sendable("dlu", ef, "DLU (dossier de liaison d'urgence)",
                                  timezone.localdate()))
    versions = (care_plans_visible(crt=crt, user=user, roles=roles)
                .filter(plan__beneficiary=beneficiary).order_by("-number")[:5])
    # A draft may be sent (to prepare it with the GP), said so: both versions read alike.
    found += [Sendable("plan", v, f"Plan personnalisé, version {v.number}"
                                  + ("" if v.is_validated else " (brouillon)"),
                       timezone.localdate(v.validated_at or v.created_at)) for v in versions]
    documents = (documents_visible(crt=crt, user=user, roles=roles)
                 .filter(beneficiary=beneficiary).order_by("-document_date", "-created_at")[:50])
    found += [Sendable("document", d, d.title, d.document_date) for d in documents]
    return found


def find_sendable(key: str, *, user, roles, beneficiary: Beneficiary, health: bool) -> Sendable:
    for sendable in sendable_documents(user=user, roles=roles, beneficiary=beneficiary,
                                       health=health):
        if sendable.key == key:
            return sendable
    raise DomainError("Choisissez un document de la liste.", field="document")


def _at(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time(12)))


def readable(sendable: Sendable, *, crt, printed_by) -> tuple[str, bytes, str]:
    """The document as a person reads it: (file name, bytes, MIME type)."""
    obj = sendable.obj
    if isinstance(obj, EmergencyFile):
        from maillage.oncall import dlu

        # Never the key-box code outside the CRT.
        built = dlu.build(beneficiary=obj.beneficiary, show_key_box=False,
                          medical_fields=MEDICAL_FIELDS)  # its sender reads all of it
        return (f"dlu-{timezone.localdate():%Y-%m-%d}.pdf",
                dlu.pdf(obj.beneficiary, built, crt=crt, printed_by=printed_by), PDF)
    if isinstance(obj, CarePlanVersion):
        from maillage.care import selectors
        from maillage.care.printing import plan_pdf

        version = selectors.version_with_items(beneficiary=obj.plan.beneficiary,
                                               number=obj.number)
        return (f"plan-personnalise-v{obj.number}.pdf",
                plan_pdf(obj.plan.beneficiary, version, crt=crt), PDF)
    assert isinstance(obj, Document)
    try:
        with obj.file.open("rb") as handle:
            data = handle.read()
    except FileNotFoundError as exc:
        raise DomainError("Le fichier de ce document n'est plus disponible.",
                          field="document") from exc
    return obj.original_name, data, obj.content_type


def xdm_documents(sendable: Sendable, data: bytes, mime_type: str, *, crt=None,
                  author=None) -> list[XdmDocument]:
    """The documents of the XDM for ``sendable``: its readable form, and for the DLU its CDA
    first (``oncall.cda.dlu_cda``, CI-SIS DLU 2022.01, built without the key-box code), so
    that ``X-MSS-CODECDA`` and ``X-MSS-INS`` follow (``xdm.mss_headers``)."""
    obj = sendable.obj
    found = []
    if isinstance(obj, EmergencyFile):
        from maillage.oncall import cda, dlu

        class_code, type_code, created = CLASS_SYNTHESIS, DLU_TYPE, timezone.now()
        built = dlu.build(beneficiary=obj.beneficiary, show_key_box=False,
                          medical_fields=MEDICAL_FIELDS)  # its sender reads all of it
        found.append(XdmDocument(
            mime_type="text/xml", content=cda.dlu_cda(built, crt=crt or obj.crt, author=author),
            title=sendable.title, class_code=class_code, type_code=type_code,
            format_code=MIME_FORMAT, created_at=created, cda_code=DLU_TYPE.code))
    elif isinstance(obj, CarePlanVersion):
        class_code, type_code = CLASS_SYNTHESIS, PLAN_TYPE
        created = obj.validated_at or obj.created_at
    else:
        class_code, type_code, created = CLASS_OTHER, NOTE_TYPE, _at(sendable.day)
    format_code = {PDF: PDF_FORMAT, "text/plain": TEXT_FORMAT}.get(mime_type, MIME_FORMAT)
    found.append(XdmDocument(mime_type=mime_type, content=data, title=sendable.title,
                             class_code=class_code, type_code=type_code,
                             format_code=format_code, created_at=created))
    return found
