"""IHE-XDM (ITI TF-1 §16, TF-3 §4.2, ZIP over e-mail) for MSSanté: ``build_xdm`` packs documents
and their ebRIM 3.0 metadata into ``IHE_XDM.ZIP``::

    README.TXT                      who sent it, with which software
    INDEX.HTM                       a human-readable list of the documents
    IHE_XDM/SUBSET01/METADATA.XML   lcm:SubmitObjectsRequest: one SubmissionSet (RegistryPackage),
                                    one ExtrinsicObject (DocumentEntry) per document, one
                                    HasMember Association per document
    IHE_XDM/SUBSET01/DOC0001.PDF    the documents, in the order given (a CDA is DOC000n.XML)

Pure: no database, no Django model; ``mssante.documents`` turns Maillage's documents into
``XdmDocument`` and ``mssante.services`` sends the zip through the outbox.

The patient: ``XdmPatient.ins`` (the CX ``matricule^^^&OID&ISO^NH``) is set by the caller only
when the identity is qualified (``Beneficiary.ins_travels``); without it no ``patientId``
external identifier is written at all and the person is named by the local id
(``sourcePatientId``) and the traits (``sourcePatientInfo``). Codes that are not IHE's own
(CI-SIS value sets) are chosen in ``documents.py`` and listed as unverified in docs/mssante.md.
"""

from __future__ import annotations

import hashlib
import html
import io
import uuid
import zipfile
from dataclasses import dataclass, field
from datetime import UTC, datetime

from lxml import etree

RIM = "urn:oasis:names:tc:ebxml-regrep:xsd:rim:3.0"
LCM = "urn:oasis:names:tc:ebxml-regrep:xsd:lcm:3.0"
NSMAP = {"lcm": LCM, "rim": RIM}

# IHE ITI TF-3 §4.2.5 (the fixed UUIDs of the XDS metadata model).
DOCUMENT_ENTRY = "urn:uuid:7edca82f-054d-47f2-a032-9b2a5b5186c1"
SUBMISSION_SET_NODE = "urn:uuid:a54d6aa5-d40d-43f9-88c5-b4633d873bdd"
REGISTRY_PACKAGE = "urn:oasis:names:tc:ebxml-regrep:ObjectType:RegistryObject:RegistryPackage"
CLASSIFICATION = "urn:oasis:names:tc:ebxml-regrep:ObjectType:RegistryObject:Classification"
EXTERNAL_IDENTIFIER = (
    "urn:oasis:names:tc:ebxml-regrep:ObjectType:RegistryObject:ExternalIdentifier")
ASSOCIATION = "urn:oasis:names:tc:ebxml-regrep:ObjectType:RegistryObject:Association"
HAS_MEMBER = "urn:oasis:names:tc:ebxml-regrep:AssociationType:HasMember"

DE_AUTHOR = "urn:uuid:93606bcf-9494-43ec-9b4e-a7748d1a838d"
DE_CLASS = "urn:uuid:41a5887f-8865-4c09-adf7-e362475b143a"
DE_CONFIDENTIALITY = "urn:uuid:f4f85eac-e6cb-4883-b524-f2705394840f"
DE_FORMAT = "urn:uuid:a09d5840-386c-46f2-b5ad-9c3699a4309d"
DE_FACILITY = "urn:uuid:f33fb8ac-18af-42cc-ae0e-ed0b0bdb91e1"
DE_PRACTICE = "urn:uuid:cccf5598-8b07-4b77-a05e-ae952c785ead"
DE_TYPE = "urn:uuid:f0306f51-975f-434e-a61c-c59651d33983"
DE_PATIENT_ID = "urn:uuid:58a6f841-87b3-4a3e-92fd-a8ffeff98427"
DE_UNIQUE_ID = "urn:uuid:2e82c1f6-a085-4c72-9da3-8640a32e42ab"
SS_AUTHOR = "urn:uuid:a7058bb9-b4e4-4307-ba5b-e3f0ab85e12d"
SS_CONTENT_TYPE = "urn:uuid:aa543740-bdda-424e-8c96-df4873be8500"
SS_UNIQUE_ID = "urn:uuid:96fdda7c-d067-4183-912e-bf5ee74998a8"
SS_SOURCE_ID = "urn:uuid:554ac39e-e3fe-47fe-b233-965d2a147832"
SS_PATIENT_ID = "urn:uuid:6b5aea1a-874d-4603-a4bc-96a0a7b38446"

SUBSET = "IHE_XDM/SUBSET01"
METADATA_PATH = f"{SUBSET}/METADATA.XML"
ZIP_NAME = "IHE_XDM.ZIP"
EXTENSIONS = {"application/pdf": "PDF", "text/xml": "XML", "application/xml": "XML",
              "text/plain": "TXT", "image/jpeg": "JPG", "image/png": "PNG",
              "application/hl7-v3+xml": "XML"}


@dataclass(frozen=True)
class Code:
    code: str
    scheme: str  # the coding scheme's OID (or IHE's name, e.g. for format codes)
    display: str


@dataclass(frozen=True)
class XdmDocument:
    mime_type: str
    content: bytes
    title: str
    class_code: Code
    type_code: Code
    format_code: Code
    created_at: datetime
    confidentiality: Code = Code("N", "2.16.840.1.113883.5.25", "Normal")
    #: The CDA header ``code`` when the document is a CDA (X-MSS-CODECDA); empty otherwise.
    cda_code: str = ""
    #: The author of this document, if not the submission's.
    author: XdmAuthor | None = None

    @property
    def size(self) -> int:
        return len(self.content)

    @property
    def sha1(self) -> str:
        return hashlib.sha1(self.content).hexdigest()  # noqa: S324 - the XDS hash is SHA-1

    @property
    def is_cda(self) -> bool:
        return bool(self.cda_code)


@dataclass(frozen=True)
class XdmPatient:
    #: ``local^^^&OID&ISO^PI``: always (the receiver's fallback and our trace).
    source_id: str
    family: str
    given: str
    birth_date: str  # YYYYMMDD
    sex: str  # F, M, U
    #: ``matricule^^^&OID&ISO^NH``, only for a qualified identity (set by the caller).
    ins: str = ""


@dataclass(frozen=True)
class XdmAuthor:
    person: str = ""  # XCN: id^family^given^^^^^^&OID&ISO
    institution: str = ""  # XON: name^^^^^&OID&ISO^IDNST^^^id
    role: str = ""
    specialty: str = ""


@dataclass
class Xdm:
    content: bytes
    metadata: bytes
    documents: list[tuple[str, XdmDocument]] = field(default_factory=list)
    submission_unique_id: str = ""


def cx(value: str, oid: str, type_code: str) -> str:
    """An HL7 v2 CX identifier as XDS writes it: ``value^^^&oid&ISO^type``."""
    return f"{value}^^^&{oid}&ISO^{type_code}"


def dtm(moment: datetime) -> str:
    """An XDS date-time: UTC, ``YYYYMMDDhhmmss``."""
    return moment.astimezone(UTC).strftime("%Y%m%d%H%M%S")


def oid_from_uuid(value: uuid.UUID) -> str:
    """An OID for a UUID (ITU-T X.667: ``2.25.<the UUID as an integer>``): the unique ids of
    XDS must be OIDs."""
    return f"2.25.{value.int}"


def file_names(documents: list[XdmDocument]) -> list[str]:
    return [f"DOC{i:04d}.{EXTENSIONS.get(d.mime_type, 'BIN')}"
            for i, d in enumerate(documents, start=1)]


def _sub(parent, tag: str, **attrs) -> etree._Element:
    return etree.SubElement(parent, f"{{{RIM}}}{tag}", {k: v for k, v in attrs.items() if v})


def _slot(parent, name: str, *values: str) -> None:
    values = [v for v in values if v]
    if not values:
        return
    slot = _sub(parent, "Slot", name=name)
    value_list = _sub(slot, "ValueList")
    for v in values:
        _sub(value_list, "Value").text = v


def _name(parent, text: str) -> None:
    name = _sub(parent, "Name")
    _sub(name, "LocalizedString", value=text, **{"{http://www.w3.org/XML/1998/namespace}lang":
                                                 "fr-FR", "charset": "UTF-8"})


def _new_id() -> str:
    return f"urn:uuid:{uuid.uuid4()}"


def _code(parent, *, scheme: str, obj: str, code: Code) -> None:
    c = _sub(parent, "Classification", classificationScheme=scheme, classifiedObject=obj,
             nodeRepresentation=code.code, id=_new_id(), objectType=CLASSIFICATION)
    _slot(c, "codingScheme", code.scheme)
    _name(c, code.display)


def _author(parent, *, scheme: str, obj: str, author: XdmAuthor) -> None:
    c = _sub(parent, "Classification", classificationScheme=scheme, classifiedObject=obj,
             nodeRepresentation="", id=_new_id(), objectType=CLASSIFICATION)
    c.set("nodeRepresentation", "")  # an author classification has an empty one (ITI TF-3)
    _slot(c, "authorPerson", author.person)
    _slot(c, "authorInstitution", author.institution)
    _slot(c, "authorRole", author.role)
    _slot(c, "authorSpecialty", author.specialty)


def _external(parent, *, scheme: str, obj: str, value: str, label: str) -> None:
    e = _sub(parent, "ExternalIdentifier", identificationScheme=scheme, value=value,
             registryObject=obj, id=_new_id(), objectType=EXTERNAL_IDENTIFIER)
    _name(e, label)


def intended_recipient(address: str) -> str:
    """The SubmissionSet's ``intendedRecipient`` (XON|XCN|XTN) for an e-mail address only."""
    return f"||^^Internet^{address}" if address else ""


def metadata_xml(*, documents: list[XdmDocument], names: list[str], patient: XdmPatient,
                 author: XdmAuthor, title: str, source_oid: str, submitted_at: datetime,
                 submission_unique_id: str, content_type: Code, recipient: str = "") -> bytes:
    """METADATA.XML: the ebRIM 3.0 ``SubmitObjectsRequest`` describing ``documents``."""
    root = etree.Element(f"{{{LCM}}}SubmitObjectsRequest", nsmap=NSMAP)
    objects = _sub(root, "RegistryObjectList")
    entry_ids = []
    for doc, name in zip(documents, names, strict=True):
        entry_id = _new_id()
        entry_ids.append(entry_id)
        eo = _sub(objects, "ExtrinsicObject", id=entry_id, mimeType=doc.mime_type,
                  objectType=DOCUMENT_ENTRY)
        _slot(eo, "creationTime", dtm(doc.created_at))
        _slot(eo, "hash", doc.sha1)
        _slot(eo, "languageCode", "fr-FR")
        _slot(eo, "size", str(doc.size))
        _slot(eo, "sourcePatientId", patient.source_id)
        _slot(eo, "sourcePatientInfo", f"PID-3|{patient.source_id}",
              f"PID-5|{patient.family}^{patient.given}^^^^^L",
              f"PID-7|{patient.birth_date}", f"PID-8|{patient.sex}")
        _slot(eo, "URI", name)
        _name(eo, doc.title)
        _author(eo, scheme=DE_AUTHOR, obj=entry_id, author=doc.author or author)
        _code(eo, scheme=DE_CLASS, obj=entry_id, code=doc.class_code)
        _code(eo, scheme=DE_CONFIDENTIALITY, obj=entry_id, code=doc.confidentiality)
        _code(eo, scheme=DE_FORMAT, obj=entry_id, code=doc.format_code)
        _code(eo, scheme=DE_FACILITY, obj=entry_id, code=FACILITY_TYPE)
        _code(eo, scheme=DE_PRACTICE, obj=entry_id, code=PRACTICE_SETTING)
        _code(eo, scheme=DE_TYPE, obj=entry_id, code=doc.type_code)
        if patient.ins:
            _external(eo, scheme=DE_PATIENT_ID, obj=entry_id, value=patient.ins,
                      label="XDSDocumentEntry.patientId")
        _external(eo, scheme=DE_UNIQUE_ID, obj=entry_id,
                  value=oid_from_uuid(uuid.uuid4()), label="XDSDocumentEntry.uniqueId")
    ss_id = _new_id()
    package = _sub(objects, "RegistryPackage", id=ss_id, objectType=REGISTRY_PACKAGE)
    _slot(package, "intendedRecipient", intended_recipient(recipient))
    _slot(package, "submissionTime", dtm(submitted_at))
    _name(package, title)
    _author(package, scheme=SS_AUTHOR, obj=ss_id, author=author)
    _code(package, scheme=SS_CONTENT_TYPE, obj=ss_id, code=content_type)
    _external(package, scheme=SS_UNIQUE_ID, obj=ss_id, value=submission_unique_id,
              label="XDSSubmissionSet.uniqueId")
    _external(package, scheme=SS_SOURCE_ID, obj=ss_id, value=source_oid,
              label="XDSSubmissionSet.sourceId")
    if patient.ins:
        _external(package, scheme=SS_PATIENT_ID, obj=ss_id, value=patient.ins,
                  label="XDSSubmissionSet.patientId")
    _sub(objects, "Classification", classifiedObject=ss_id,
         classificationNode=SUBMISSION_SET_NODE, id=_new_id(), objectType=CLASSIFICATION)
    for entry_id in entry_ids:
        association = _sub(objects, "Association", associationType=HAS_MEMBER,
                           sourceObject=ss_id, targetObject=entry_id, id=_new_id(),
                           objectType=ASSOCIATION)
        _slot(association, "SubmissionSetStatus", "Original")
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)


#: The facility and practice setting of every document Maillage sends (CI-SIS value sets
#: JDV_J02-HealthcareFacilityTypeCode-CISIS and JDV_J04-PracticeSettingCode-CISIS: **unverified**
#: codes, see docs/mssante.md; one place to correct them).
FACILITY_TYPE = Code("SA29", "1.2.250.1.71.4.2.4", "Etablissement pour personnes âgées")
PRACTICE_SETTING = Code("ETABLISSEMENT", "1.2.250.1.213.1.1.4.9", "Etablissement de santé")


def _readme(*, sender: str, software: str, names: list[str], documents) -> str:
    lines = [f"Envoi MSSanté de : {sender}", f"Logiciel : {software}",
             "Contenu : archive IHE XDM (IHE ITI XDM, ZIP sur messagerie).", ""]
    lines += [f"{SUBSET}/{n} : {d.title}" for n, d in zip(names, documents, strict=True)]
    return "\r\n".join(lines) + "\r\n"


def _index(*, title: str, names: list[str], documents) -> str:
    items = "".join(
        f'<li><a href="{SUBSET}/{n}">{html.escape(d.title)}</a> ({html.escape(d.mime_type)}, '
        f"{d.size} octets)</li>" for n, d in zip(names, documents, strict=True))
    return ('<!DOCTYPE html><html lang="fr"><head><meta charset="utf-8">'
            f"<title>{html.escape(title)}</title></head><body><h1>{html.escape(title)}</h1>"
            f'<ul>{items}</ul><p><a href="{METADATA_PATH}">Métadonnées (METADATA.XML)</a></p>'
            "</body></html>")


def build_xdm(*, documents: list[XdmDocument], patient: XdmPatient, author: XdmAuthor,
              title: str, source_oid: str, sender: str, software: str,
              content_type: Code | None = None, submitted_at: datetime | None = None,
              recipient: str = "") -> Xdm:
    """The ``IHE_XDM.ZIP`` of ``documents`` (at least one); ``recipient``: the address it is
    sent to (the SubmissionSet's ``intendedRecipient``)."""
    if not documents:
        raise ValueError("An XDM holds at least one document")
    submitted_at = submitted_at or datetime.now(UTC)
    names = file_names(documents)
    unique_id = oid_from_uuid(uuid.uuid4())
    metadata = metadata_xml(documents=documents, names=names, patient=patient, author=author,
                            title=title, source_oid=source_oid, submitted_at=submitted_at,
                            submission_unique_id=unique_id,
                            content_type=content_type or documents[0].type_code,
                            recipient=recipient)
    buffer = io.BytesIO()
    stamp = submitted_at.astimezone(UTC).timetuple()[:6]
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        def put(path: str, data: bytes) -> None:
            archive.writestr(zipfile.ZipInfo(path, date_time=stamp), data,
                             compress_type=zipfile.ZIP_DEFLATED)

        put("README.TXT", _readme(sender=sender, software=software, names=names,
                                  documents=documents).encode())
        put("INDEX.HTM", _index(title=title, names=names, documents=documents).encode())
        put(METADATA_PATH, metadata)
        for name, doc in zip(names, documents, strict=True):
            put(f"{SUBSET}/{name}", doc.content)
    return Xdm(content=buffer.getvalue(), metadata=metadata,
               documents=list(zip(names, documents, strict=True)),
               submission_unique_id=unique_id)


def mss_headers(*, documents: list[XdmDocument], ins_qualified: bool, nil: str,
                patient_box: bool = False, block_replies: bool = False) -> dict[str, str]:
    """The X-MSS headers of the MSSanté client référentiel (INTEROP.md §8):

    - ``X-MSS-NIL`` on every message (the software's reference, a setting);
    - ``X-MSS-CODECDA`` and ``X-MSS-INS`` only when the archive holds a CDA: the CDA codes
      (comma-separated), and ``O`` when a qualified INS is in the archive, else ``N``;
    - ``X-MSS-MES: FIN`` to a person's Mon espace santé box when replies are blocked."""
    headers = {}
    if nil:
        headers["X-MSS-NIL"] = nil
    cda_codes = [d.cda_code for d in documents if d.is_cda]
    if cda_codes:
        headers["X-MSS-CODECDA"] = ",".join(dict.fromkeys(cda_codes))
        headers["X-MSS-INS"] = "O" if ins_qualified else "N"
    if patient_box and block_replies:
        headers["X-MSS-MES"] = "FIN"
    return headers
