"""The Annuaire Santé bulk extraction ``PS_LibreAcces_Personne_activite_<date>.txt``: a pure
parser and the comparison with the partner directory (no write: ``services.annuaire_*``).

The file: pipe-separated, a header line, every line ending with ``|``; UTF-8 in recent
extractions, Latin-1 in older ones (detected line by line: a line that is not valid UTF-8
switches the file to Latin-1). One row per person × activity. Columns are found **by their
header name** (case, accents of « Département » and spacing as published vary), never by
position: newer files add columns (« Code rôle », « Code genre activité »…), ignored here.

What is kept: rows whose structure lies in one of the CRT's departments (the departments of its
communes, else the department of the CRT itself) and whose profession is in ``PROFESSIONS``;
RPPS identifiers only (ADELI rows, identifier type ``0``, are left out: ADELI is being retired).

A file with an error is refused whole, each error as « ligne N : raison »: a missing required
column and a line with the wrong number of columns anywhere in the file; a bad RPPS (11 digits,
Luhn key), FINESS or SIRET on the rows of the CRT's departments (the national file is checked
where it matters to the CRT; a bad row of another region does not block its import).
"""

import re
import unicodedata
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from maillage.core.errors import FileRefusedError
from maillage.core.plurals import fr_plural
from maillage.core.validators import IMPORTED_CONTROL_CHARACTER, imported_cell, rpps_key_is_valid

from .models import Organization, Professional

#: Profession codes of the national nomenclature TRE_G15-ProfessionSante kept by Maillage,
#: with the directory's profession. 10 (Médecin) and 21 (Pharmacien) are confirmed by the
#: ANS IG examples (``qualification[exercicePro]`` of ``pp19dp-practitioner``); the others are
#: the usual TRE_G15 codes as published in the extraction's « Libellé profession » column but
#: were NOT checked against the nomenclature file here: verify on a real extraction (the
#: review screen shows the file's own label next to each professional). The professions the
#: directory has no choice for are kept as « Autre » with the file's label as « spécialité ».
PROFESSIONS: dict[str, tuple[str, str]] = {
    "10": (Professional.Profession.SPECIALIST, "Médecin"),  # GP / geriatrician: savoir-faire
    "21": (Professional.Profession.PHARMACIST, "Pharmacien"),
    "40": (Professional.Profession.OTHER, "Chirurgien-dentiste"),
    "60": (Professional.Profession.NURSE, "Infirmier"),
    "70": (Professional.Profession.PHYSIOTHERAPIST, "Masseur-kinésithérapeute"),
    "91": (Professional.Profession.OTHER, "Orthophoniste"),
    "93": (Professional.Profession.PSYCHOLOGIST, "Psychologue"),  # unverified code
    "94": (Professional.Profession.OCCUPATIONAL_THERAPIST, "Ergothérapeute"),
    "96": (Professional.Profession.OTHER, "Psychomotricien"),
}
#: Savoir-faire (TRE_R38 specialités ordinales) of a doctor read from its label: « Médecine
#: générale » (SM53/SM54 depending on the year) makes a GP, « Gériatrie » a geriatrician.
_GP_WORDS = ("médecine générale",)
_GERIATRIC_WORDS = ("gériatrie",)

#: Activity sector (TRE_R02-SecteurActivite) → kind of organisation. SA17 (EHPAD) is in the
#: ANS documentation (INTEROP.md §5); the hospital codes are the usual ones, unverified.
SECTORS: dict[str, str] = {
    "SA01": Organization.Kind.HOSPITAL,
    "SA02": Organization.Kind.HOSPITAL,
    "SA03": Organization.Kind.HOSPITAL,
    "SA17": Organization.Kind.EHPAD,
}

# Columns, as named in the header (compared after ``_norm``).
RPPS_TYPE = "Type d'identifiant PP"
RPPS_ID = "Identifiant PP"
LAST_NAME = "Nom d'exercice"
FIRST_NAME = "Prénom d'exercice"
PROFESSION = "Code profession"
PROFESSION_LABEL = "Libellé profession"
SKILL_LABEL = "Libellé savoir-faire"
SIRET = "Numéro SIRET site"
FINESS = "Numéro FINESS site"
NAME = "Raison sociale site"
BRAND = "Enseigne commerciale site"
STREET_NUMBER = "Numéro Voie (coord. structure)"
STREET_INDEX = "Indice répétition voie (coord. structure)"
STREET_TYPE = "Libellé type de voie (coord. structure)"
STREET = "Libellé Voie (coord. structure)"
POSTAL_CODE = "Code postal (coord. structure)"
COMMUNE = "Code commune (coord. structure)"
CITY = "Libellé commune (coord. structure)"
PHONE = "Téléphone (coord. structure)"
EMAIL = "Adresse e-mail (coord. structure)"
DEPARTMENT = "Code Département (structure)"
SECTOR = "Code secteur d'activité"

#: Without these the file cannot be read (the others may be absent: their values are empty).
REQUIRED = (RPPS_TYPE, RPPS_ID, LAST_NAME, FIRST_NAME, PROFESSION, COMMUNE, POSTAL_CODE)
OPTIONAL = (PROFESSION_LABEL, SKILL_LABEL, SIRET, FINESS, NAME, BRAND, STREET_NUMBER,
            STREET_INDEX, STREET_TYPE, STREET, CITY, PHONE, EMAIL, DEPARTMENT, SECTOR)
#: Errors listed before the file is refused (the rest summed up).
MAX_ERRORS = 20
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
MISSING_COLUMNS = ("colonne obligatoire absente de l'en-tête,"
                   "colonnes obligatoires absentes de l'en-tête")


class AnnuaireFileError(FileRefusedError):
    """The file is refused; ``errors`` lists (line number, French reason)."""


def _norm(name: str) -> str:
    name = unicodedata.normalize("NFC", name).replace("\u2019", "'")
    return " ".join(name.split()).casefold()


@dataclass
class Activity:
    """One kept row: a professional at one site."""

    line: int
    rpps: str
    last_name: str
    first_name: str
    profession: str
    specialty: str
    profession_label: str
    department: str
    org: dict = field(default_factory=dict)  # {finess, siret, name, kind, address, …} or {}
    from_file: bool = True  # False: read from the FHIR API (``line`` is then an order only)


@dataclass
class Extraction:
    lines_read: int
    departments: list[str]
    activities: list[Activity]
    #: RPPS of every row of the departments, whatever the profession: who is still there.
    present_rpps: set[str]
    #: Departments of the CRT that have at least one row in the file (complete for them).
    departments_in_file: set[str]
    encoding: str = "utf-8"


def _lines(source: Iterable[bytes]) -> Iterator[tuple[int, str, str]]:
    """(number, text, encoding) of each line of ``source``; the header is line 1."""
    encoding = "utf-8"
    for number, raw in enumerate(source, start=1):
        if number == 1 and raw.startswith(b"\xef\xbb\xbf"):
            raw = raw[3:]
        raw = raw.rstrip(b"\r\n")
        if encoding == "utf-8":
            try:
                text = raw.decode("utf-8")
            except UnicodeDecodeError:
                encoding = "latin-1"
        if encoding == "latin-1":
            text = raw.decode("latin-1")
        yield number, text, encoding


def _cells(text: str) -> list[str]:
    cells = text.split("|")
    if cells and cells[-1].strip() == "":
        cells = cells[:-1]  # the trailing « | »
    return [c.strip() for c in cells]


def department_of(commune: str, postal_code: str = "") -> str:
    """The department of an INSEE commune code (2A/2B, 971–976), else of a postal code."""
    code = commune or postal_code
    if len(code) != 5:
        return ""
    return code[:3] if code.startswith("97") else code[:2]


def _phone(text: str) -> str:
    digits = re.sub(r"\D", "", text)
    if len(digits) == 10:
        return " ".join(digits[i:i + 2] for i in range(0, 10, 2))
    return text[:30]


def _rpps_problem(value: str) -> str | None:
    if not re.fullmatch(r"\d{11}", value):
        return f"identifiant RPPS « {value[:20]} » invalide : il compte 11 chiffres."
    if not rpps_key_is_valid(value):
        return f"identifiant RPPS « {value} » invalide : la clé de contrôle est fausse."
    return None


def _finess_problem(value: str) -> str | None:
    from django.core.exceptions import ValidationError

    from maillage.core.validators import validate_finess

    try:
        validate_finess(value)
    except ValidationError as exc:
        return f"numéro FINESS site « {value[:20]} » invalide : {exc.messages[0]}"
    return None


def _siret_problem(value: str) -> str | None:
    from stdnum.fr import siret

    if not siret.is_valid(value):
        return f"numéro SIRET site « {value[:20]} » invalide (14 chiffres avec leur clé)."
    return None


def _profession(code: str, skill: str) -> tuple[str, str]:
    profession, label = PROFESSIONS[code]
    skill_low = skill.casefold()
    if code == "10":
        if any(w in skill_low for w in _GP_WORDS):
            return Professional.Profession.GP, ""
        if any(w in skill_low for w in _GERIATRIC_WORDS):
            return Professional.Profession.GERIATRICIAN, ""
        return profession, skill[:120]
    if profession == Professional.Profession.OTHER:
        return profession, label
    return profession, ""


def parse(source: Iterable[bytes], *, departments: Iterable[str]) -> Extraction:
    """The kept rows of an extraction (``source``: its lines as bytes), or
    ``AnnuaireFileError`` listing what is wrong (nothing partial)."""
    departments = sorted({d.upper() for d in departments if d})
    wanted = set(departments)
    lines = _lines(source)
    first = next(lines, None)
    if first is None or not first[1].strip():
        raise AnnuaireFileError([(1, "le fichier est vide ou ne commence pas par la ligne "
                                     "d'en-tête des colonnes.")])
    _, header_text, encoding = first
    if "|" not in header_text:
        raise AnnuaireFileError([(1, "en-tête non reconnu : les colonnes doivent être "
                                     "séparées par des barres verticales (|).")])
    names = _cells(header_text)
    position = {}
    for index, name in enumerate(names):
        position.setdefault(_norm(name), index)
    missing = [c for c in REQUIRED if _norm(c) not in position]
    if missing:
        raise AnnuaireFileError([(1, fr_plural(len(missing), MISSING_COLUMNS) + " : "
                                     + ", ".join(f"« {c} »" for c in missing) + ".")])
    columns = {c: position.get(_norm(c)) for c in REQUIRED + OPTIONAL}
    width = len(names)
    errors: list[tuple[int, str]] = []
    activities: list[Activity] = []
    present: set[str] = set()
    seen_departments: set[str] = set()
    count = 0
    for number, text, line_encoding in lines:
        encoding = line_encoding  # Latin-1 from the first line that is not UTF-8
        if not text.strip():
            continue
        count += 1
        cells = _cells(text)
        if len(cells) != width:
            errors.append((number, f"{len(cells)} colonnes au lieu des {width} de l'en-tête."))
            continue

        def value(column: str, cells=cells) -> str:
            index = columns[column]
            return cells[index] if index is not None else ""

        department = (value(DEPARTMENT).upper()
                      or department_of(value(COMMUNE), value(POSTAL_CODE)))
        if department not in wanted or value(RPPS_TYPE) != "8":
            continue
        cleaned = [imported_cell(c) for c in cells]
        damaged = [names[i] for i, c in enumerate(cleaned) if c is None]
        if damaged:
            errors.extend((number, IMPORTED_CONTROL_CHARACTER.format(column=column))
                          for column in damaged)
            continue
        cells[:] = [c.strip() for c in cleaned]
        seen_departments.add(department)
        problems = []
        rpps = value(RPPS_ID)
        if (problem := _rpps_problem(rpps)) is not None:
            problems.append(problem)
        finess, siret = value(FINESS).upper(), value(SIRET)
        if finess and (problem := _finess_problem(finess)) is not None:
            problems.append(problem)
        if siret and (problem := _siret_problem(siret)) is not None:
            problems.append(problem)
        if not value(LAST_NAME):
            problems.append("nom d'exercice manquant.")
        if problems:
            errors.extend((number, p) for p in problems)
            continue
        present.add(rpps)
        code = value(PROFESSION)
        if code not in PROFESSIONS:
            continue
        profession, specialty = _profession(code, value(SKILL_LABEL))
        org = {}
        name = value(NAME) or value(BRAND)
        if (finess or siret) and name:
            street = " ".join(p for p in (value(STREET_NUMBER), value(STREET_INDEX),
                                          value(STREET_TYPE), value(STREET)) if p)
            email = value(EMAIL)
            org = {
                "finess": finess, "siret": siret, "name": name[:200],
                "kind": SECTORS.get(value(SECTOR), Organization.Kind.OTHER),
                "address": street[:250], "postal_code": value(POSTAL_CODE)[:5],
                "city": value(CITY)[:120], "insee": value(COMMUNE),
                "phone": _phone(value(PHONE)),
                "email": email if _EMAIL.match(email) else "",
            }
        activities.append(Activity(
            line=number, rpps=rpps, last_name=value(LAST_NAME)[:120],
            first_name=value(FIRST_NAME)[:120], profession=profession, specialty=specialty,
            profession_label=value(PROFESSION_LABEL) or PROFESSIONS[code][1],
            department=department, org=org))
    if errors:
        raise AnnuaireFileError(errors[:MAX_ERRORS], more=max(len(errors) - MAX_ERRORS, 0))
    if count == 0:
        raise AnnuaireFileError([(2, "aucune ligne après l'en-tête.")])
    return Extraction(lines_read=count, departments=departments, activities=activities,
                      present_rpps=present, departments_in_file=seen_departments,
                      encoding=encoding)


# --- Comparison with the directory -----------------------------------------------------------

#: Fields the file sets on a professional / an organisation. A value the file leaves empty
#: never erases what the CRT typed (phone, e-mail…).
PRO_FIELDS = ("last_name", "first_name", "profession", "specialty", "organization", "is_active")
ORG_FIELDS = ("name", "finess", "siret", "address", "postal_code", "city", "commune", "phone",
              "email")
FIELD_LABELS = {
    "last_name": "nom", "first_name": "prénom", "profession": "profession",
    "specialty": "spécialité", "organization": "structure", "is_active": "actif",
    "name": "nom", "finess": "FINESS", "siret": "SIRET", "address": "adresse",
    "postal_code": "code postal", "city": "commune", "commune": "commune du territoire",
    "phone": "téléphone", "email": "courriel", "kind": "type de structure",
}


def org_key(org: dict) -> str:
    return f"finess:{org['finess']}" if org.get("finess") else f"siret:{org['siret']}"


def _shown(field_name: str, value) -> str:
    if field_name == "profession":
        return str(Professional.Profession(value).label) if value else ""
    if field_name == "kind":
        return str(Organization.Kind(value).label) if value else ""
    if field_name == "is_active":
        return "oui" if value else "non"
    return "" if value is None else str(value)


def compare(extraction: Extraction, *, crt) -> list[dict]:
    """The changes the file brings to ``crt``'s directory, as JSON-ready dicts:

    ``{"kind": "new" | "changed" | "closed", "target": "organization" | "professional",
    "key": …, "label": …, "line": …, "values": {field: value}, "fields": {field: [old, new]},
    "public_id": …, "version": …}``; ``fields`` holds the readable old → new texts,
    ``values`` what will be written. Organisations come first (professionals point at them).
    """
    from .models import Commune

    communes = {c.insee_code: c for c in Commune.objects.filter(crt=crt)}
    orgs_by_finess, orgs_by_siret = {}, {}
    for org in Organization.objects.filter(crt=crt).select_related("commune"):
        if org.finess:
            orgs_by_finess.setdefault(org.finess, org)
        if org.siret:
            orgs_by_siret.setdefault(org.siret, org)
    pros = {p.rpps: p for p in Professional.objects.filter(crt=crt).exclude(rpps="")
            .select_related("organization", "organization__commune")}

    def local_org(org: dict):
        found = orgs_by_finess.get(org["finess"]) if org["finess"] else None
        return found or (orgs_by_siret.get(org["siret"]) if org["siret"] else None)

    changes: list[dict] = []
    org_changes: dict[str, dict] = {}
    # One activity per person: the first row with a structure, else the first row.
    chosen: dict[str, Activity] = {}
    for activity in extraction.activities:
        current = chosen.get(activity.rpps)
        if current is None or (not current.org and activity.org):
            chosen[activity.rpps] = activity
    org_rows = {}
    for activity in chosen.values():
        if activity.org:
            org_rows.setdefault(org_key(activity.org), (activity.line, activity.org,
                                                         activity.from_file))
    for key, (line, org, from_file) in sorted(org_rows.items(), key=lambda item: item[1][0]):
        line = line if from_file else None
        commune = communes.get(org["insee"])
        values = {"name": org["name"], "finess": org["finess"], "siret": org["siret"],
                  "address": org["address"], "postal_code": org["postal_code"],
                  "city": org["city"], "phone": org["phone"], "email": org["email"],
                  "commune": str(commune.public_id) if commune else None}
        existing = local_org(org)
        if existing is None:
            values["kind"] = org["kind"]
            change = {"kind": "new", "target": "organization", "key": key, "label": org["name"],
                      "line": line, "values": {k: v for k, v in values.items() if v},
                      "fields": {}}
            change["fields"] = {f: ["", _shown(f, v) if f != "commune" else commune.name]
                                for f, v in change["values"].items()}
        else:
            diff, fields = {}, {}
            for f, v in values.items():
                if not v:
                    continue
                old = existing.commune and str(existing.commune.public_id) if f == "commune" \
                    else getattr(existing, f)
                if old != v:
                    diff[f] = v
                    fields[f] = ([existing.commune.name if existing.commune else "",
                                  commune.name] if f == "commune" else [_shown(f, old), v])
            if not diff:
                org_changes[key] = {"public_id": str(existing.public_id),
                                    "label": existing.name, "values": {}}
                continue
            change = {"kind": "changed", "target": "organization", "key": key,
                      "label": existing.name, "line": line, "values": diff, "fields": fields,
                      "public_id": str(existing.public_id), "version": existing.version}
        org_changes[key] = change
        changes.append(change)

    def org_label(key: str) -> str:
        change = org_changes[key]
        return change["values"].get("name", change["label"])

    for rpps, activity in sorted(chosen.items(), key=lambda item: item[1].line):
        values = {"last_name": activity.last_name, "first_name": activity.first_name,
                  "profession": activity.profession, "specialty": activity.specialty,
                  "rpps": rpps}
        key = org_key(activity.org) if activity.org else None
        line = activity.line if activity.from_file else None
        existing = pros.get(rpps)
        label = f"{activity.first_name} {activity.last_name}".strip()
        if existing is None:
            if key:
                values["organization"] = key
            change = {"kind": "new", "target": "professional", "key": rpps, "label": label,
                      "line": line, "detail": activity.profession_label,
                      "values": {k: v for k, v in values.items() if v}}
            change["fields"] = {f: ["", org_label(v) if f == "organization" else _shown(f, v)]
                                for f, v in change["values"].items() if f != "rpps"}
            changes.append(change)
            continue
        diff, fields = {}, {}
        for f in ("last_name", "first_name", "profession", "specialty"):
            old = getattr(existing, f)
            if values[f] and old != values[f] and not (
                    f == "profession" and _same_doctor(old, values[f])):
                diff[f] = values[f]
                fields[f] = [_shown(f, old), _shown(f, values[f])]
        if key:
            current = str(existing.organization.public_id) if existing.organization else None
            target = org_changes[key].get("public_id")
            if target is None or target != current:
                diff["organization"] = key
                fields["organization"] = [existing.organization.name
                                          if existing.organization else "", org_label(key)]
        if not existing.is_active:
            diff["is_active"] = True
            fields["is_active"] = ["non", "oui"]
        if diff:
            changes.append({"kind": "changed", "target": "professional", "key": rpps,
                            "label": str(existing), "line": line,
                            "detail": activity.profession_label, "values": diff,
                            "fields": fields, "public_id": str(existing.public_id),
                            "version": existing.version})

    for rpps, pro in sorted(pros.items(), key=lambda item: str(item[1])):
        if not pro.is_active or rpps in extraction.present_rpps:
            continue
        org = pro.organization
        department = department_of(org.commune.insee_code if org and org.commune else "",
                                   org.postal_code if org else "") or crt.department
        if department not in extraction.departments_in_file:
            continue  # the file says nothing of their department: not complete for them
        changes.append({"kind": "closed", "target": "professional", "key": rpps,
                        "label": str(pro), "line": None, "values": {"is_active": False},
                        "fields": {"is_active": ["oui", "non"]},
                        "public_id": str(pro.public_id), "version": pro.version})
    return changes


def _same_doctor(old: str, new: str) -> bool:
    """A doctor the CRT typed as GP or geriatrician stays so when the file only says
    « specialist » (its savoir-faire label did not say which)."""
    doctors = {Professional.Profession.GP, Professional.Profession.SPECIALIST,
               Professional.Profession.GERIATRICIAN}
    return new == Professional.Profession.SPECIALIST and old in doctors


def summary(changes: list[dict]) -> dict[str, int]:
    counts = {f"{t}_{k}": 0 for t in ("professional", "organization")
              for k in ("new", "changed", "closed")}
    for change in changes:
        counts[f"{change['target']}_{change['kind']}"] += 1
    return counts


def summary_text(counts: dict[str, int]) -> str:
    def n(count: int, one: str, many: str) -> str:
        return f"{count} {one if count < 2 else many}"

    return (f"Professionnels : {n(counts['professional_new'], 'nouveau', 'nouveaux')}, "
            f"{n(counts['professional_changed'], 'modifié', 'modifiés')}, "
            f"{n(counts['professional_closed'], 'à désactiver', 'à désactiver')}. "
            f"Structures : {n(counts['organization_new'], 'nouvelle', 'nouvelles')}, "
            f"{n(counts['organization_changed'], 'modifiée', 'modifiées')}.")
