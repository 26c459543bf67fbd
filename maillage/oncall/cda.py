"""The DLU and the « fiche de liaison aller » as CDA R2 documents (ANS CI-SIS volet DLU 2022.01).

Two models of the volet (INTEROP.md §9, docs/cda.md), shaped on the ANS examples
``DLU-EHPAD-DLU_2022.01.xml`` and ``DLU-EHPAD-FLUDT_2022.01.xml``:

- ``dlu_cda``: DLU-DLU (templateId ``1.2.250.1.213.1.1.1.22``), from the same ``Dlu`` the page
  and the PDF show (``oncall.dlu.build``);
- ``transfer_cda``: DLU-FLUDT (``1.2.250.1.213.1.1.1.23``), the transfer sheet of a call: the
  call and the DLU built without the key-box code, as the PDF « fiche aller ».

Both are pure: they read what they are given (and the person's latest vital signs for the
FLUDT), write nothing and audit nothing — the caller checked the access and audits.

The sections the volet requires are always present. Our data is mostly free text, so each
section carries its narrative (``text``); coded entries are added where our data maps to one
(the preferred hospital as FR-Disposition, the documents kept at home as FR-Document-attache
with the ANS checklist codes, the FLUDT vital signs with LOINC/UCUM, the reason for transfer
``57277-6`` with the text as ``originalText``) and where the volet's schematron requires one
(the FLUDT consciousness observation, unknown here: ``value nullFlavor="UNK"``). Nothing we do
not know is invented: a section without data says so in French (« Non renseigné dans le
dossier du CRT »). docs/cda.md maps every section.

Identity (INTEROP.md §3): the INS (matricule + OID) is written only for a qualified identity
(``Beneficiary.ins_travels``); the local id (the file's public id) always.
"""

import re
import uuid
from datetime import datetime, timedelta

from django.conf import settings
from django.utils import timezone
from lxml import etree

from maillage.beneficiaries.identity import Sex
from maillage.beneficiaries.models import MedicalRecord

from .dlu import Contact, Dlu

NS = "urn:hl7-org:v3"
XSI = "http://www.w3.org/2001/XMLSchema-instance"
LOINC = "2.16.840.1.113883.6.1"
#: TA_ASIP, the ANS terminology of the DLU observations (consciousness).
TA_ASIP = "1.2.250.1.213.1.1.4.322"
#: FINESS structure identifiers (national structure id: « 1 » + FINESS number).
FINESS_OID = "1.2.250.1.71.4.2.2"
DLU_CODE = ("74207-2", "Dossier de liaison d'urgence")
#: (templateId of the model, serviceEvent code, display, document title)
MODELS = {
    "DLU": ("1.2.250.1.213.1.1.1.22", "34117-2", "Historique et clinique",
            "Dossier de liaison d'urgence (DLU) — domicile"),
    "FLUDT": ("1.2.250.1.213.1.1.1.23", "28651-8",
              "Transfert du patient au service des urgences",
              "Fiche de liaison d'urgence — transfert du domicile vers le service des urgences"),
}
GENDER = {Sex.FEMALE: ("F", "Féminin"), Sex.MALE: ("M", "Masculin"),
          Sex.UNDETERMINED: ("UN", "Indéterminé")}
NOT_FILLED = "Non renseigné dans le dossier du CRT."
#: Characters XML 1.0 refuses (control characters but tab, newline, carriage return).
_INVALID_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
#: Namespace of the stable ids derived from our public ids (setId, section and entry ids).
_ID_NAMESPACE = uuid.UUID("9b7c1f0e-4f7e-4b8e-9a55-3f1d2c6a0d11")


def oid_root() -> str:
    """The OID root of the CRT's CDA identifiers (setting ``CDA_OID_ROOT``), or "" — then
    every identifier is a UUID (``id root="<uuid>"``, valid in CDA R2)."""
    return getattr(settings, "CDA_OID_ROOT", "") or ""


def _clean(text) -> str:
    return _INVALID_XML.sub("", str(text or "")).strip()


def _ts(value) -> str:
    """An HL7 TS: a date as YYYYMMDD, a datetime as YYYYMMDDHHMMSS+ZZZZ (local time)."""
    if isinstance(value, datetime):
        return timezone.localtime(value).strftime("%Y%m%d%H%M%S%z")
    return value.strftime("%Y%m%d")


def _uuid(*parts) -> str:
    return str(uuid.uuid5(_ID_NAMESPACE, "/".join(str(p) for p in parts))).upper()


class _Doc:
    """A small lxml builder for the HL7 v3 namespace."""

    def __init__(self):
        self.root = etree.Element(f"{{{NS}}}ClinicalDocument", nsmap={None: NS, "xsi": XSI})
        #: (code, display, start) of the documented act, set by ``_header``.
        self.service: tuple = ()

    @staticmethod
    def el(parent, tag: str, text=None, **attrs):
        node = etree.SubElement(parent, f"{{{NS}}}{tag}")
        for name, value in attrs.items():
            if value is None:
                continue
            if name == "xsi_type":
                node.set(f"{{{XSI}}}type", value)
            else:
                node.set(name.rstrip("_").replace("__", ":"), _clean(value))
        if text is not None:
            node.text = _clean(text)
        return node


el = _Doc.el


def _code(parent, tag: str, code: str, display: str, system: str = LOINC, name: str = "LOINC"):
    return el(parent, tag, code=code, displayName=display, codeSystem=system,
              codeSystemName=name)


def _telecoms(parent, phones: list[tuple[str, str]]) -> None:
    for number, use in phones:
        number = re.sub(r"[^0-9+]", "", number or "")
        if number:
            el(parent, "telecom", value=f"tel:{number}", use=use)


def _crt_organization(parent, tag: str, crt):
    org = el(parent, tag)
    el(org, "id", root=FINESS_OID, extension=f"1{crt.finess}")
    el(org, "name", crt.name)
    _telecoms(org, [(crt.phone, "WP")])
    addr = el(org, "addr")
    el(addr, "streetAddressLine", crt.base_address)
    el(addr, "postalCode", crt.base_postal_code)
    el(addr, "city", crt.base_city)
    return org


def _person_name(parent, user) -> None:
    name = el(parent, "name")
    el(name, "given", user.first_name or user.username)
    el(name, "family", user.last_name or user.username)


def _user_id(parent, user) -> None:
    root = oid_root()
    if root:
        el(parent, "id", root=f"{root}.3", extension=str(user.public_id))
    else:
        el(parent, "id", root=str(user.public_id).upper())


def _header(doc: _Doc, *, model: str, b, crt, author, now: datetime, document_id: str,
            set_id: str, version: int, service_start: datetime, informants: list) -> None:
    template, service_code, service_display, title = MODELS[model]
    root = doc.root
    el(root, "realmCode", code="FR")
    el(root, "typeId", root="2.16.840.1.113883.1.3", extension="POCD_HD000040")
    el(root, "templateId", root="2.16.840.1.113883.2.8.2.1")
    el(root, "templateId", root="1.2.250.1.213.1.1.1.1")
    el(root, "templateId", root=template, extension="2022.01")
    oid = oid_root()
    if oid:
        el(root, "id", root=f"{oid}.2", extension=document_id)
    else:
        el(root, "id", root=document_id)
    _code(root, "code", *DLU_CODE)
    el(root, "title", title)
    el(root, "effectiveTime", value=_ts(now))
    el(root, "confidentialityCode", code="N", displayName="Normal",
       codeSystem="2.16.840.1.113883.5.25", codeSystemName="Confidentiality")
    el(root, "languageCode", code="fr-FR")
    if oid:
        el(root, "setId", root=f"{oid}.2", extension=set_id)
    else:
        el(root, "setId", root=set_id)
    el(root, "versionNumber", value=max(version, 1))
    _record_target(root, b)
    # Author: the person who produced this export, for the CRT; or, exported by the command
    # line (no person), the CRT's software.
    a = el(el(root, "author"), "time", value=_ts(now)).getparent()
    assigned = el(a, "assignedAuthor")
    if author is not None:
        _user_id(assigned, author)
        _person_name(el(assigned, "assignedPerson"), author)
    else:
        el(assigned, "id", root=FINESS_OID, extension=f"1{crt.finess}")
        device = el(assigned, "assignedAuthoringDevice")
        el(device, "manufacturerModelName", "Maillage")
        el(device, "softwareName", "Maillage")
    _crt_organization(assigned, "representedOrganization", crt)
    for informant in informants:
        _informant(root, *informant)
    custodian = el(el(el(root, "custodian"), "assignedCustodian"),
                   "representedCustodianOrganization")
    el(custodian, "id", root=FINESS_OID, extension=f"1{crt.finess}")
    el(custodian, "name", crt.name)
    _telecoms(custodian, [(crt.phone, "WP")])
    addr = el(custodian, "addr")
    el(addr, "streetAddressLine", crt.base_address)
    el(addr, "postalCode", crt.base_postal_code)
    el(addr, "city", crt.base_city)
    if author is not None:  # the person who produced the document answers for it
        legal = el(root, "legalAuthenticator")
        el(legal, "time", value=_ts(now))
        el(legal, "signatureCode", code="S")
        entity = el(legal, "assignedEntity")
        _user_id(entity, author)
        _person_name(el(entity, "assignedPerson"), author)
        _crt_organization(entity, "representedOrganization", crt)
    doc.service = (service_code, service_display, service_start)


def _record_target(root, b) -> None:
    role = el(el(root, "recordTarget"), "patientRole")
    if b.ins_travels and b.ins_matricule and b.ins_oid:
        el(role, "id", root=b.ins_oid, extension=re.sub(r"\s", "", b.ins_matricule))
    oid = oid_root()
    if oid:
        el(role, "id", root=f"{oid}.1", extension=str(b.public_id))
    else:
        el(role, "id", root=str(b.public_id).upper())
    addr = el(role, "addr", use="H")
    el(addr, "streetAddressLine", b.address)
    if b.address_complement:
        el(addr, "streetAddressLine", b.address_complement)
    el(addr, "postalCode", b.commune.postal_code)
    el(addr, "city", b.commune.name)
    _telecoms(role, [(b.phone, "H"), (b.mobile, "MC")])
    patient = el(role, "patient", classCode="PSN")
    name = el(patient, "name")
    el(name, "family", b.birth_name, qualifier="BR")
    el(name, "given", b.first_names or b.first_name)
    el(name, "given", b.first_name, qualifier="BR")
    if b.used_name or b.used_first_name:
        el(name, "family", b.used_name or b.birth_name, qualifier="CL")
        el(name, "given", b.used_first_name or b.first_name, qualifier="CL")
    code, display = GENDER.get(b.sex, GENDER[Sex.UNDETERMINED])
    el(patient, "administrativeGenderCode", code=code, displayName=display,
       codeSystem="2.16.840.1.113883.5.1")
    el(patient, "birthTime", value=_ts(b.birth_date))
    if b.birth_place_code:
        place_addr = el(el(el(patient, "birthplace"), "place"), "addr")
        el(place_addr, "county", b.birth_place_code)


def _informant(root, class_code: str, contact: Contact) -> None:
    entity = el(el(root, "informant"), "relatedEntity", classCode=class_code)
    _telecoms(entity, [(contact.phone, "H")])
    person = el(entity, "relatedPerson")
    el(person, "name", contact.name)


def _informants(dlu: Dlu) -> list:
    """ECON (emergency contacts: the caregivers), NOK (the trusted person), as the example."""
    people = [("ECON", c) for c in dlu.caregivers if c.name]
    if dlu.trusted_person is not None:
        people.append(("NOK", dlu.trusted_person))
    return people


def _gp_participant(root, dlu: Dlu, now: datetime) -> None:
    """The GP (``participant typeCode="INF"``, functionCode PCP: required by the DLU model)."""
    participant = el(root, "participant", typeCode="INF")
    el(participant, "functionCode", code="PCP", displayName="Médecin traitant",
       codeSystem="2.16.840.1.113883.5.88")
    entity = el(participant, "associatedEntity", classCode="PROV")
    if dlu.gp is None:
        el(entity, "id", nullFlavor="NI")
        return
    if dlu.gp.rpps:  # national id of a health professional: « 8 » + RPPS
        el(entity, "id", root="1.2.250.1.71.4.2.1", extension=f"8{dlu.gp.rpps}")
    else:
        el(entity, "id", nullFlavor="NI")
    _telecoms(entity, [(p, "WP") for p in dlu.gp.phone.split(" / ")])
    el(el(entity, "associatedPerson"), "name", dlu.gp.name)


def _service(doc: _Doc, end: datetime | None = None) -> None:
    code, display, start = doc.service
    event = el(el(doc.root, "documentationOf"), "serviceEvent")
    _code(event, "code", code, display)
    period = el(event, "effectiveTime")
    el(period, "low", value=_ts(start))
    if end is not None and end >= start:
        el(period, "high", value=_ts(end))


def _encounter(doc: _Doc, start: datetime) -> None:
    """The care context: home health care by the CRT."""
    encounter = el(el(doc.root, "componentOf"), "encompassingEncounter")
    el(encounter, "code", code="HH", displayName="Soins à domicile",
       codeSystem="2.16.840.1.113883.5.4", codeSystemName="HL7:ActEncounterCode")
    el(el(encounter, "effectiveTime"), "low", value=_ts(start))


# --- narrative -------------------------------------------------------------------------------


def _paragraphs(text_node, text: str) -> None:
    for line in _clean(text).splitlines():
        if line.strip():
            el(text_node, "paragraph", line.strip())


def _table(text_node, rows: list[tuple[str, str]], ids: dict[str, str] | None = None) -> None:
    """A two-column narrative table; ``ids`` names the cells entries refer to."""
    tbody = el(el(text_node, "table", border="0"), "tbody")
    for label, value in rows:
        tr = el(tbody, "tr")
        el(tr, "th", label)
        td = el(tr, "td")
        lines = [line.strip() for line in _clean(value).splitlines() if line.strip()] or ["—"]
        target = td
        if ids and label in ids:
            target = el(td, "content", ID=ids[label])
        for i, line in enumerate(lines):
            if i:
                br = el(target, "br")
                br.tail = line
            elif target.text:
                target.text += line
            else:
                target.text = line


def _section(body, *, templates: tuple[str, ...], code: tuple[str, str], title: str,
             section_id: str):
    section = el(el(body, "component"), "section")
    for template in templates:
        el(section, "templateId", root=template)
    el(section, "id", root=section_id)
    _code(section, "code", *code)
    el(section, "title", title)
    return section, el(section, "text")


def _contact_line(c: Contact) -> str:
    parts = [c.name + (f" ({c.role})" if c.role else "")]
    if c.phone:
        parts.append(c.phone)
    if c.notes:
        parts.append(c.notes)
    return " — ".join(parts)


S_DISPOSITION = ("1.3.6.1.4.1.19376.1.5.3.1.1.13.2.10", "1.2.250.1.213.1.1.2.172")
S_HISTORY = ("1.3.6.1.4.1.19376.1.5.3.1.3.8", "1.2.250.1.213.1.1.2.134")
S_ALLERGIES = ("2.16.840.1.113883.10.20.1.2", "1.3.6.1.4.1.19376.1.5.3.1.3.13",
               "1.2.250.1.213.1.1.2.137")
S_TREATMENTS = ("2.16.840.1.113883.10.20.1.8", "1.3.6.1.4.1.19376.1.5.3.1.3.19",
                "1.2.250.1.213.1.1.2.143")
S_DIRECTIVES = ("2.16.840.1.113883.10.20.1.1", "1.3.6.1.4.1.19376.1.5.3.1.3.34",
                "1.3.6.1.4.1.19376.1.5.3.1.3.35", "1.2.250.1.213.1.1.2.157")
S_EVENTS = ("1.3.6.1.4.1.19376.1.5.3.1.1.21.2.9", "1.3.6.1.4.1.19376.1.7.3.1.1.13.7",
            "1.2.250.1.213.1.1.2.163")
S_RESULTS = ("1.3.6.1.4.1.19376.1.5.3.1.3.27", "1.3.6.1.4.1.19376.1.5.3.1.3.28",
             "1.2.250.1.213.1.1.2.151")
S_ATTACHED = ("1.2.250.1.213.1.1.2.37",)
S_COMMENT = ("2.16.840.1.113883.10.12.201", "1.3.6.1.4.1.19376.1.4.1.2.16",
             "1.2.250.1.213.1.1.2.73")
S_VITALS = ("2.16.840.1.113883.10.20.1.16", "1.3.6.1.4.1.19376.1.5.3.1.3.25",
            "1.3.6.1.4.1.19376.1.5.3.1.1.5.3.2", "1.2.250.1.213.1.1.2.75")
S_EATING = ("1.3.6.1.4.1.19376.1.7.3.1.1.13.5", "1.2.250.1.213.1.1.2.162")
S_PROSTHESES = ("1.2.250.1.213.1.1.2.53",)


def _medical_sections(body, dlu: Dlu, key: str, *, with_history: bool = True) -> None:
    """Allergies, treatments, advance directives (and history): the DLU's medical synthesis."""
    m = dlu.medical
    if with_history:
        _, text = _section(body, templates=S_HISTORY, code=("11348-0", "Antécédents médicaux"),
                           title="Antécédents", section_id=_uuid(key, "history"))
        _paragraphs(text, (m.history if m else "") or NOT_FILLED)
    _, text = _section(body, templates=S_ALLERGIES,
                       code=("48765-2", "Allergies et hypersensibilités"),
                       title="Allergies et hypersensibilités",
                       section_id=_uuid(key, "allergies"))
    _paragraphs(text, (m.allergies_summary if m else "") or "Allergies non renseignées.")
    _, text = _section(body, templates=S_TREATMENTS,
                       code=("10160-0", "Historique de la prise médicamenteuse"),
                       title="Traitements en cours", section_id=_uuid(key, "treatments"))
    _paragraphs(text, (m.treatments_summary if m else "") or "Traitements non renseignés.")
    section, text = _section(body, templates=S_DIRECTIVES,
                             code=("42348-3", "Directives anticipées"),
                             title="Directives anticipées et soins palliatifs",
                             section_id=_uuid(key, "directives"))
    _table(text, [
        ("Directives anticipées", (m.advance_directives_summary if m else "") or
         "non renseignées"),
        ("Fiche « urgence pallia »", "établie" if m and m.has_palliative_sheet else
         "non établie ou non renseignée"),
        ("Réanimation / limitation des soins", (m.resuscitation_summary if m else "") or
         "non renseignée"),
    ], ids={"Directives anticipées": "directives-anticipees"})
    written = {MedicalRecord.DirectivesStatus.DOCUMENTED: "true",
               MedicalRecord.DirectivesStatus.NONE: "false"}.get(
        m.advance_directives_status if m else "")
    if written:
        # FR-Directive-anticipee: written or not (a boolean), the details in the narrative.
        observation = el(el(section, "entry"), "observation", classCode="OBS", moodCode="EVN")
        for template in ("2.16.840.1.113883.10.20.1.17", "1.3.6.1.4.1.19376.1.5.3.1.4.13",
                         "1.3.6.1.4.1.19376.1.5.3.1.4.13.7", "1.2.250.1.213.1.1.3.54"):
            el(observation, "templateId", root=template)
        el(observation, "id", root=_uuid(key, "directives-entry"))
        _code(observation, "code", "42348-3", "Directives anticipées")
        el(el(observation, "text"), "reference", value="#directives-anticipees")
        el(observation, "statusCode", code="completed")
        el(observation, "effectiveTime", nullFlavor="UNK")
        el(observation, "value", xsi_type="BL", value=written)


#: Our documents kept with the DLU → JDV_ChecklistDLU_CISIS codes (TA_ASIP); the ECG and the
#: « urgence pallia » sheet have none (text only).
CHECKLIST = {
    "prescriptions": [("DLU_011", "Photocopies des ordonnances en cours")],
    "biology": [("DLU_013", "Résultats récents de biologie (1 à 3 mois) avec clairance de la "
                            "créatinine et INR (si AVK)")],
    "letters": [("DLU_014", "CR de la dernière hospitalisation")],
    "directives": [("DLU_010", "Photocopie des directives anticipées")],
    "cards": [("DLU_006", "Attestation de la carte vitale"),
              ("DLU_007", "Attestation de mutuelle")],
    "identity": [("DLU_008", "Photocopie de la carte d’identité")],
}


def _attached_documents(section, text, key: str, annexes: list[str]) -> None:
    """The documents kept at home with the DLU: a list, and a FR-Document-attache entry per
    document of the ANS checklist — the document itself stays at home (``observationMedia``
    value ``nullFlavor="NAV"``)."""
    from .models import EmergencyFile

    labels = dict(EmergencyFile.Annex.choices)
    if not annexes:
        _paragraphs(text, "Aucun document signalé avec le DLU au domicile.")
        return
    items = el(text, "list")
    for n, annex in enumerate(annexes, start=1):
        el(el(items, "item"), "content", labels.get(annex, annex), ID=f"document-{n}")
        for code, display in CHECKLIST.get(annex, []):
            organizer = el(el(section, "entry"), "organizer", classCode="CLUSTER",
                           moodCode="EVN")
            el(organizer, "templateId", root="1.2.250.1.213.1.1.3.18")
            el(organizer, "id", root=_uuid(key, "document", code))
            _code(organizer, "code", "55107-7", "Document attaché")
            el(organizer, "statusCode", code="completed")
            observation = el(el(organizer, "component"), "observation", classCode="OBS",
                             moodCode="EVN")
            for template in ("1.3.6.1.4.1.19376.1.5.3.1.4.13", "1.2.250.1.213.1.1.3.48",
                             "1.2.250.1.213.1.1.3.48.18"):
                el(observation, "templateId", root=template)
            el(observation, "id", root=_uuid(key, "document-type", code))
            _code(observation, "code", "69764-9", "Type de document")
            el(el(observation, "text"), "reference", value=f"#document-{n}")
            el(observation, "statusCode", code="completed")
            el(observation, "effectiveTime", nullFlavor="NA")
            el(observation, "value", xsi_type="CD", code=code, displayName=display,
               codeSystem=TA_ASIP, codeSystemName="TA_ASIP")
            media = el(el(organizer, "component"), "observationMedia", classCode="OBS",
                       moodCode="EVN")
            el(media, "value", nullFlavor="NAV")


def _state_rows(dlu: Dlu) -> list[tuple[str, str]]:
    m, ef = dlu.medical, dlu.emergency_file
    rows = []
    if ef and ef.important_info:
        rows.append(("À savoir d'emblée", ef.important_info))
    rows.append(("État habituel (cognition, mobilité…)", (m.usual_state if m else "") or "—"))
    if ef and ef.communication:
        rows.append(("Communication et comportement", ef.communication))
    if m and m.synthesis:
        rows.append(("Synthèse du médecin traitant", m.synthesis))
    if dlu.incomplete:
        rows.append(("DLU incomplet", " ".join(dlu.essentials_missing.values())))
    if dlu.to_revalidate:
        rows.append(("DLU à revalider", " ; ".join(dlu.revalidation)))
    return rows


def _environment_rows(dlu: Dlu, *, short: bool = False) -> list[tuple[str, str]]:
    """The environmental synthesis, as the PDF (never the key-box code)."""
    b, ef = dlu.beneficiary, dlu.emergency_file
    situation = "Vit seul·e" if dlu.lives_alone else (b.get_living_situation_display() or "—")
    if b.get_housing_type_display():
        situation += f" — {b.get_housing_type_display().lower()}"
    if dlu.floor_label:
        situation += f", {dlu.floor_label}"
    rows = [("Situation", situation)]
    if dlu.protection:
        rows.append(("Mesure de protection", dlu.protection))
    rows.append(("Personne de confiance", _contact_line(dlu.trusted_person)
                 if dlu.trusted_person else "non désignée"))
    rows.append(("Aidants", "\n".join(_contact_line(c) for c in dlu.caregivers) or "aucun"))
    if ef and ef.people_to_warn:
        rows.append(("Autres personnes à prévenir", ef.people_to_warn))
    rows.append(("Médecin traitant", _contact_line(dlu.gp) if dlu.gp else "non renseigné"))
    if dlu.professionals:
        rows.append(("Intervenants", "\n".join(_contact_line(p) for p in dlu.professionals)))
    if dlu.services or dlu.visit_rhythms:
        rows.append(("Prestations et passages à domicile",
                     "\n".join([*dlu.services, *dlu.visit_rhythms])))
    rows.append(("Équipements", ", ".join(dlu.equipment) or "—"))
    if not short and b.access_notes:
        rows.append(("Accès au domicile", b.access_notes))
    return rows


def _comment_section(body, key: str, rows) -> None:
    _, text = _section(body, templates=S_COMMENT, code=("55112-7", "Commentaire"),
                       title="Synthèse environnementale", section_id=_uuid(key, "comment"))
    _table(text, rows)


def _serialize(doc: _Doc) -> bytes:
    return etree.tostring(doc.root, xml_declaration=True, encoding="UTF-8", pretty_print=True)


def _document_id(document_id: str | None) -> str:
    return document_id or str(uuid.uuid4()).upper()


def dlu_cda(dlu: Dlu, *, crt, author, now: datetime | None = None,
            document_id: str | None = None) -> bytes:
    """The DLU ``dlu`` (``oncall.dlu.build``) as a CDA DLU-DLU 2022.01 document.

    ``author``: the user who exports it (author and legal authenticator, for the CRT, the
    custodian); None for an export by the command line (authored by the CRT's software, no
    legal authenticator). ``setId`` is stable for the person's DLU; ``versionNumber`` is the DLU's
    version. The caller checked the access and audits; nothing is written here."""
    now = now or timezone.now()
    b, ef = dlu.beneficiary, dlu.emergency_file
    key = f"dlu/{b.public_id}"
    start = (ef.reviewed_at if ef and ef.reviewed_at else None) or now
    doc = _Doc()
    _header(doc, model="DLU", b=b, crt=crt, author=author, now=now,
            document_id=_document_id(document_id), set_id=_uuid(key),
            version=ef.version if ef else 1, service_start=start,
            informants=_informants(dlu))
    _gp_participant(doc.root, dlu, now)
    _service(doc)
    _encounter(doc, start)
    body = el(el(doc.root, "component"), "structuredBody")
    # Preferred hospital (ED disposition), with its FR-Disposition entry.
    section, text = _section(body, templates=S_DISPOSITION,
                             code=("11302-7", "Etablissement de santé de préférence"),
                             title="Établissement de santé de préférence",
                             section_id=_uuid(key, "hospital"))
    hospital = _clean(ef.preferred_hospital if ef else "")
    el(el(text, "paragraph"), "content", hospital or NOT_FILLED, ID="etablissement-prefere")
    act = el(el(section, "entry"), "act", classCode="ACT", moodCode="INT")
    el(act, "templateId", root="1.3.6.1.4.1.19376.1.5.3.1.1.10.4.2")
    el(act, "templateId", root="1.2.250.1.213.1.1.3.97")
    el(act, "id", root=_uuid(key, "hospital-entry"))
    _code(act, "code", "11302-7", "Etablissement de santé de préférence")
    el(el(act, "text"), "reference", value="#etablissement-prefere")
    el(act, "statusCode", code="normal")
    el(act, "effectiveTime", nullFlavor="NAV")
    if hospital:
        role = el(el(act, "participant", typeCode="DST"), "participantRole", classCode="ROL")
        el(el(role, "playingEntity"), "name", hospital)
    _medical_sections(body, dlu, key)
    # Mental state, disabilities, moving, risks: our free text, no coded observation.
    _, text = _section(body, templates=S_EVENTS, code=("42545-4", "Evènements observés"),
                       title="État psychique, handicaps, déplacements, risques",
                       section_id=_uuid(key, "events"))
    _table(text, _state_rows(dlu))
    # Multi-drug-resistant bacteria: not recorded by the CRT.
    _, text = _section(body, templates=S_RESULTS, code=("30954-2", "Résultats d'examens"),
                       title="Bactérie multirésistante (BMR / BHRe)",
                       section_id=_uuid(key, "bmr"))
    _paragraphs(text, "Portage de bactérie multirésistante : " + NOT_FILLED[0].lower()
                + NOT_FILLED[1:])
    # Attached documents: the checklist of what is kept with the DLU at home.
    section, text = _section(body, templates=S_ATTACHED, code=("55107-7", "Documents ajoutés"),
                             title="Documents rangés avec le DLU au domicile",
                             section_id=_uuid(key, "annexes"))
    _attached_documents(section, text, key, ef.annexes if ef else [])
    _table(text, [
        ("Où trouver le DLU au domicile", (ef.kept_at if ef else "") or "non précisé"),
        ("Volet médical validé", (f"par {ef.medical_validated_by} le "
                                  f"{ef.medical_validated_on:%d/%m/%Y}"
                                  if ef and ef.medical_validated_on else "non")),
        ("Dernière validation du DLU", (f"le {timezone.localtime(ef.reviewed_at):%d/%m/%Y}"
                                        if ef and ef.reviewed_at else "jamais validé")),
    ])
    _comment_section(body, key, _environment_rows(dlu))
    return _serialize(doc)


def latest_vitals(beneficiary, *, before: datetime, hours: int = 24) -> list:
    """The latest measurement of each kind taken within ``hours`` before ``before`` (not
    withdrawn): the vital signs of the transfer sheet."""
    from maillage.beneficiaries.models import VitalSign

    rows = (VitalSign.objects.filter(beneficiary=beneficiary, deleted_at__isnull=True,
                                     measured_at__lte=before,
                                     measured_at__gte=before - timedelta(hours=hours))
            .exclude(status=VitalSign.Status.ENTERED_IN_ERROR).order_by("-measured_at", "-id"))
    latest = {}
    for v in rows:
        latest.setdefault(v.kind, v)
    return list(latest.values())


def _vital_signs_entry(section, key: str, vitals: list) -> None:
    """FR-Signes-vitaux: one organizer, one FR-Signe-vital-observe per value (LOINC, UCUM:
    ``beneficiaries.vitals.KINDS``; a blood pressure gives its systolic and diastolic)."""
    from maillage.beneficiaries.vitals import BP_COMPONENTS, KINDS

    organizer = el(el(section, "entry"), "organizer", classCode="CLUSTER", moodCode="EVN")
    for template in ("2.16.840.1.113883.10.20.1.32", "2.16.840.1.113883.10.20.1.35",
                     "1.3.6.1.4.1.19376.1.5.3.1.4.13.1", "1.2.250.1.213.1.1.3.49"):
        el(organizer, "templateId", root=template)
    el(organizer, "id", root=_uuid(key, "vitals-organizer"))
    _code(organizer, "code", "85353-1", "Signes vitaux")
    el(organizer, "statusCode", code="completed")
    el(organizer, "effectiveTime", value=_ts(max(v.measured_at for v in vitals)))
    for v in vitals:
        info = KINDS[v.kind]
        if v.kind == v.Kind.BLOOD_PRESSURE:
            values = [(BP_COMPONENTS[f][0], label, getattr(v, f), info.unit)
                      for f, label in (("systolic", "Pression artérielle systolique"),
                                       ("diastolic", "Pression artérielle diastolique"))]
        else:
            values = [(info.loinc, info.label, v.value, info.unit)]
        for loinc, label, value, unit in values:
            observation = el(el(organizer, "component", typeCode="COMP"), "observation",
                             classCode="OBS", moodCode="EVN")
            for template in ("2.16.840.1.113883.10.20.1.31", "1.3.6.1.4.1.19376.1.5.3.1.4.13",
                             "1.3.6.1.4.1.19376.1.5.3.1.4.13.2", "1.2.250.1.213.1.1.3.50"):
                el(observation, "templateId", root=template)
            el(observation, "id", root=_uuid(key, "vital", v.public_id, loinc))
            _code(observation, "code", loinc, label)
            el(el(observation, "text"), "reference", value=f"#constante-{v.kind}")
            el(observation, "statusCode", code="completed")
            el(observation, "effectiveTime", value=_ts(v.measured_at))
            number = f"{value.normalize():f}" if hasattr(value, "normalize") else str(value)
            el(observation, "value", xsi_type="PQ", value=number, unit=unit)


def transfer_cda(call, dlu: Dlu, *, crt, author, now: datetime | None = None,
                 document_id: str | None = None, vitals: list | None = None) -> bytes:
    """The « fiche de liaison aller » of ``call`` as a CDA DLU-FLUDT 2022.01 document.

    ``dlu``: built for this call without the key-box code (the sheet travels with the person).
    ``vitals``: the measurements to show (default: ``latest_vitals`` before the call ended).
    Pure, like ``dlu_cda``."""
    now = now or timezone.now()
    b = dlu.beneficiary
    key = f"fludt/{call.public_id}"
    doc = _Doc()
    _header(doc, model="FLUDT", b=b, crt=crt, author=author, now=now,
            document_id=_document_id(document_id), set_id=_uuid(key),
            version=call.version or 1, service_start=call.received_at,
            informants=_informants(dlu))
    _service(doc, end=call.left_at or call.closed_at)
    _encounter(doc, call.received_at)
    body = el(el(doc.root, "component"), "structuredBody")
    # The transfer: reason (coded as free text), the call, who to call back.
    section, text = _section(body, templates=S_EVENTS,
                             code=("42545-4", "Evènements observés"),
                             title="Transfert du domicile vers le service des urgences",
                             section_id=_uuid(key, "transfer"))
    rows = [
        ("Motif", f"{call.get_reason_display()}" + (f" — {call.assessment}"
                                                    if call.assessment else "")),
        ("Appel reçu", f"le {timezone.localtime(call.received_at):%d/%m/%Y à %H:%M} — "
                       f"{call.get_source_display().lower()}"),
        ("Actions réalisées", call.actions or "—"),
    ]
    if call.advice:
        rows.append(("Conseils donnés", call.advice))
    if call.call_out:
        trip = call.travelled_by.get_full_name() if call.travelled_by_id else ""
        if call.arrived_at:
            trip += f" — arrivée à {timezone.localtime(call.arrived_at):%H:%M}"
        rows.append(("Déplacement au domicile", trip or "oui"))
    escalations = [f"{e.get_to_display()} à {timezone.localtime(e.at):%H:%M}"
                   + (f" ({e.notes})" if e.notes else "") for e in call.escalations.all()]
    if escalations:
        rows.append(("Recours", " ; ".join(escalations)))
    rows.append(("Établissement", call.hospital or "non précisé"))
    answered = call.answered_by
    rows.append(("Fiche établie par",
                 f"{answered.get_full_name() or answered.username}, astreinte du {crt.name}"
                 f" — joignable 24 h/24 au {crt.phone or '—'}" if answered else crt.name))
    _table(text, rows, ids={"Motif": "transfert-motif", "Établissement": "transfert-es"})
    observation = el(el(section, "entry"), "observation", classCode="OBS", moodCode="EVN")
    el(observation, "templateId", root="1.3.6.1.4.1.19376.1.5.3.1.4.13")
    el(observation, "templateId", root="1.2.250.1.213.1.1.3.48")
    el(observation, "id", root=_uuid(key, "reason"))
    _code(observation, "code", "57277-6", "Motif du transfert vers le service des urgences")
    el(el(observation, "text"), "reference", value="#transfert-motif")
    el(observation, "statusCode", code="completed")
    el(observation, "effectiveTime", value=_ts(call.received_at))
    value = el(observation, "value", xsi_type="CD")
    el(el(value, "originalText"), "reference", value="#transfert-motif")
    if call.hospital:  # FR-Transfert-du-patient, to the named hospital
        act = el(el(section, "entry"), "act", classCode="ACT", moodCode="EVN")
        el(act, "templateId", root="1.3.6.1.4.1.19376.1.5.3.1.1.25.1.4.1")
        el(act, "templateId", root="1.2.250.1.213.1.1.3.28")
        el(act, "id", root=_uuid(key, "transfer-act"))
        _code(act, "code", "80413-8", "Transfert du patient")
        el(el(act, "text"), "reference", value="#transfert-es")
        el(act, "statusCode", code="completed")
        period = el(act, "effectiveTime")
        el(period, "low", value=_ts(call.received_at))
        end = call.left_at or call.closed_at
        el(period, "high", value=_ts(end if end and end >= call.received_at
                                     else call.received_at))
        role = el(el(act, "participant", typeCode="DST"), "participantRole", classCode="SDLOC")
        el(el(role, "playingEntity", classCode="ENT"), "name", call.hospital)
    # Vital signs: the latest of the day, as measured by the team or telemonitoring.
    section, text = _section(body, templates=S_VITALS, code=("8716-3", "Signes vitaux"),
                       title="Constantes", section_id=_uuid(key, "vitals"))
    if vitals is None:
        vitals = latest_vitals(b, before=call.left_at or call.closed_at or now)
    if vitals:
        _table(text, [(v.get_kind_display(), f"{v.display_value} — mesurée le "
                       f"{timezone.localtime(v.measured_at):%d/%m/%Y à %H:%M}") for v in vitals],
               ids={v.get_kind_display(): f"constante-{v.kind}" for v in vitals})
        _vital_signs_entry(section, key, vitals)
    else:
        _paragraphs(text, "Aucune constante enregistrée dans les 24 heures précédentes.")
    # Consciousness and recent pain: the volet requires a coded consciousness observation;
    # the CRT records none: its value is unknown (the assessment is in the transfer section).
    section, text = _section(body, templates=S_RESULTS, code=("30954-2", "Résultats d'examens"),
                             title="État de conscience et douleurs récentes",
                             section_id=_uuid(key, "consciousness"))
    _table(text, [("État de conscience", "non renseigné (voir l'évaluation de l'appel)"),
                  ("Douleurs récentes", "non renseignées (voir l'évaluation de l'appel)")],
           ids={"État de conscience": "etat-conscience"})
    observation = el(el(section, "entry"), "observation", classCode="OBS", moodCode="EVN")
    el(observation, "templateId", root="1.3.6.1.4.1.19376.1.5.3.1.4.13")
    el(observation, "templateId", root="1.2.250.1.213.1.1.3.48")
    el(observation, "id", root=_uuid(key, "consciousness-entry"))
    _code(observation, "code", "DLU_002", "Conscient et éveillé", TA_ASIP, "TA_ASIP")
    el(el(observation, "text"), "reference", value="#etat-conscience")
    el(observation, "statusCode", code="completed")
    el(observation, "effectiveTime", value=_ts(call.received_at))
    el(observation, "value", xsi_type="BL", nullFlavor="UNK")
    # Treatments, then the medical essentials the PDF prints.
    _medical_sections(body, dlu, key, with_history=True)
    _, text = _section(body, templates=S_EATING,
                       code=("47420-5", "Évaluation du statut fonctionnel"),
                       title="Date et heure du dernier repas", section_id=_uuid(key, "meal"))
    _paragraphs(text, "Date et heure du dernier repas : non renseignées dans le dossier du CRT.")
    _, text = _section(body, templates=S_PROSTHESES, code=("46264-8", "Dispositifs médicaux"),
                       title="Prothèses et objets personnels",
                       section_id=_uuid(key, "prostheses"))
    _paragraphs(text, "Prothèses et objets personnels confiés : non renseignés dans le dossier "
                      "du CRT.")
    _comment_section(body, key, _state_rows(dlu) + _environment_rows(dlu, short=True))
    return _serialize(doc)

