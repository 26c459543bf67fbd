"""The Annuaire Santé FHIR API v2 (``https://gateway.api.esante.gouv.fr/fhir/v2``, IG
``https://interop.esante.gouv.fr/ig/fhir/annuaire``): a small client (searches following
``link[next]`` only, API key in the ``ESANTE-API-KEY`` header, retry on 429 and 5xx) and the
reading of its resources into the same ``annuaire.Extraction`` as the bulk file, so the review
and apply steps are shared (``services.annuaire_import_from_api``).

The standard library's ``urllib`` is enough for a few paged GETs: no new dependency.

What is asked: the organisations of each department of the CRT (``Organization`` with
``address-postalcode=<department>``: a FHIR string search, prefix match — the ANS server's
support of this parameter is **unverified**, the API documentation lists the Practitioner
parameters), then their active ``PractitionerRole``s with the practitioners included
(``_include=PractitionerRole:practitioner``), by batches of organisations. The profession is
read from ``Practitioner.qualification`` (TRE_G15 coding), as in the IG example
``pp19dp-practitioner``.
"""

import json
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterable, Iterator

from django.conf import settings
from django.core.exceptions import ValidationError

from maillage.core.errors import DomainError
from maillage.core.validators import (
    rpps_key_is_valid,
    validate_finess,
    validate_siret,
    without_control_characters,
)

from . import annuaire

RPPS_SYSTEM = "https://rpps.esante.gouv.fr"
IDNPS_SYSTEM = "urn:oid:1.2.250.1.71.4.2.1"
FINESS_SYSTEM = "https://finess.esante.gouv.fr"
SIRENE_SYSTEMS = {"https://sirene.fr", "http://sirene.fr"}
PROFESSION_SYSTEM = ("https://mos.esante.gouv.fr/NOS/TRE_G15-ProfessionSante/FHIR/"
                     "TRE-G15-ProfessionSante")
SECTOR_SYSTEM = ("https://mos.esante.gouv.fr/NOS/TRE_R02-SecteurActivite/FHIR/"
                 "TRE-R02-SecteurActivite")
#: Organisations per PractitionerRole search (the ``organization`` parameter's OR list).
BATCH = 50


class AnnuaireApiError(DomainError):
    pass


class Client:
    def __init__(self, *, base_url: str | None = None, api_key: str | None = None,
                 retries: int = 3, pause: float = 1.0, timeout: float = 30):
        self.base_url = (base_url or settings.ESANTE_API_URL).rstrip("/")
        self.api_key = settings.ESANTE_API_KEY if api_key is None else api_key
        if not self.base_url.startswith(("https://", "http://")):
            raise AnnuaireApiError("L'adresse de l'API de l'Annuaire Santé doit commencer par "
                                   "https://.")
        self.retries, self.pause, self.timeout = retries, pause, timeout

    def get(self, url: str) -> dict:
        """One JSON document; 429, 5xx and network errors retried ``retries`` times."""
        if not url.startswith(self.base_url + "/"):  # never send the key elsewhere
            raise AnnuaireApiError(f"Adresse inattendue dans la réponse de l'Annuaire Santé : "
                                   f"{url[:100]}")
        request = urllib.request.Request(url, headers={  # noqa: S310 (http(s) only, above)
            "ESANTE-API-KEY": self.api_key, "Accept": "application/fhir+json"})
        for attempt in range(self.retries + 1):
            try:
                with urllib.request.urlopen(request,  # noqa: S310 (http(s) only)
                                            timeout=self.timeout) as response:
                    return json.loads(response.read().decode("utf-8"))
            except urllib.error.HTTPError as error:
                if error.code != 429 and error.code < 500 or attempt == self.retries:
                    raise AnnuaireApiError(
                        f"L'Annuaire Santé a répondu {error.code} à la recherche.") from error
                wait = error.headers.get("Retry-After", "") if error.headers else ""
                time.sleep(min(int(wait), 60) if wait.isdigit() else self.pause * (attempt + 1))
            except (urllib.error.URLError, TimeoutError) as error:
                if attempt == self.retries:
                    raise AnnuaireApiError("L'Annuaire Santé ne répond pas.") from error
                time.sleep(self.pause * (attempt + 1))
        raise AssertionError("unreachable")

    def search(self, resource: str, params: dict) -> Iterator[dict]:
        """Every resource of every page of a search, following ``link[next]`` only."""
        url = f"{self.base_url}/{resource}?{urllib.parse.urlencode(params)}"
        while url:
            bundle = self.get(url)
            for entry in bundle.get("entry", []):
                if "resource" in entry:
                    yield entry["resource"]
            url = next((link["url"] for link in bundle.get("link", [])
                        if link.get("relation") == "next"), None)


def _codings(concepts: Iterable[dict]) -> Iterator[dict]:
    for concept in concepts:
        yield from concept.get("coding", [])


def _text(value) -> str:
    """A text of a resource as we keep it: a string without control or invisible characters
    (PostgreSQL cannot store a NUL), "" for anything else (null, a number where a string is
    due)."""
    return without_control_characters(value).strip() if isinstance(value, str) else ""


def _identifier(resource: dict, systems: set[str], types: set[str] | None = None) -> str:
    for ident in resource.get("identifier", []):
        codes = {c.get("code") for c in _codings([ident.get("type", {})])}
        if ident.get("system") in systems and (types is None or codes & types):
            return _text(ident.get("value"))
    return ""


def _valid(validator, value: str) -> str:
    try:
        validator(value)
    except ValidationError:
        return ""
    return value


def rpps_of(practitioner: dict) -> str:
    value = _identifier(practitioner, {RPPS_SYSTEM})
    if not value:
        idnat = _identifier(practitioner, {IDNPS_SYSTEM})
        value = idnat[1:] if idnat.startswith("8") else ""
    return value if rpps_key_is_valid(value) else ""


def organization_row(org: dict) -> dict:
    """An ``Organization`` as the parser's structure dict (``annuaire.parse``)."""
    finess = (_identifier(org, {FINESS_SYSTEM}, {"FINEG"})
              or _identifier(org, {FINESS_SYSTEM}, None)).upper()
    siret = _identifier(org, SIRENE_SYSTEMS, {"SIRET"})
    address = (org.get("address") or [{}])
    address = address[0] if isinstance(address, list) else address
    insee = next((ext.get("valueCoding", {}).get("code", "") for ext in
                  address.get("extension", []) if ext.get("url", "").lower().endswith(
                      ("inseecode", "insee-code"))), "")
    telecom = org.get("telecom", [])
    phone = next((_text(t.get("value")) for t in sorted(telecom, key=lambda t: t.get("rank", 99))
                  if t.get("system") == "phone"), "")
    email = next((_text(t.get("value")) for t in telecom if t.get("system") == "email"), "")
    sector = next((c.get("code") for c in _codings(org.get("type", []))
                   if c.get("system") == SECTOR_SYSTEM), "")
    return {
        "finess": _valid(validate_finess, finess) if finess else "",
        "siret": _valid(validate_siret, siret) if siret else "",
        "name": _text(org.get("name"))[:200],
        "kind": annuaire.SECTORS.get(sector, annuaire.Organization.Kind.OTHER),
        "address": " ".join(filter(None, map(_text, address.get("line") or [])))[:250],
        "postal_code": _text(address.get("postalCode"))[:5],
        "city": _text(address.get("city"))[:120],
        "insee": _text(insee), "phone": annuaire._phone(phone),
        "email": email if annuaire._EMAIL.match(email) else "",
    }


def _reference_id(reference: dict | None) -> str:
    return ((reference or {}).get("reference") or "").rsplit("/", 1)[-1]


def extraction(client: Client, *, departments: list[str]) -> annuaire.Extraction:
    """The CRT's departments read from the API, as the file parser reads them."""
    wanted = set(departments)
    orgs: dict[str, dict] = {}
    for department in departments:
        for org in client.search("Organization", {"address-postalcode": department,
                                                  "active": "true", "_count": 50}):
            row = organization_row(org)
            if annuaire.department_of(row["insee"], row["postal_code"]) in wanted:
                orgs[org["id"]] = row
    activities: list[annuaire.Activity] = []
    present: set[str] = set()
    ids = sorted(orgs)
    number = 0
    for start in range(0, len(ids), BATCH):
        batch = ids[start:start + BATCH]
        roles, practitioners = [], {}
        for resource in client.search("PractitionerRole", {
                "organization": ",".join(f"Organization/{i}" for i in batch),
                "active": "true", "_include": "PractitionerRole:practitioner", "_count": 50}):
            if resource.get("resourceType") == "PractitionerRole":
                roles.append(resource)
            elif resource.get("resourceType") == "Practitioner":
                practitioners[resource["id"]] = resource
        for role in roles:
            practitioner = practitioners.get(_reference_id(role.get("practitioner")))
            org = orgs.get(_reference_id(role.get("organization")))
            if practitioner is None or org is None or practitioner.get("active") is False:
                continue
            rpps = rpps_of(practitioner)
            if not rpps:
                continue
            present.add(rpps)
            codings = list(_codings(q.get("code", {})
                                    for q in practitioner.get("qualification", [])))
            code = next((c.get("code") for c in codings
                         if c.get("system") == PROFESSION_SYSTEM), "")
            if code not in annuaire.PROFESSIONS:
                continue
            skill = next((_text(c.get("display")) for c in codings
                          if "TRE_R38" in c.get("system", "")), "")
            profession, specialty = annuaire._profession(code, skill)
            name = (practitioner.get("name") or [{}])[0]
            number += 1
            activities.append(annuaire.Activity(
                line=number, rpps=rpps, last_name=_text(name.get("family"))[:120],
                first_name=" ".join(filter(None, map(_text, name.get("given") or [])))[:120],
                profession=profession,
                specialty=specialty, profession_label=annuaire.PROFESSIONS[code][1],
                department=annuaire.department_of(org["insee"], org["postal_code"]),
                org=org if (org["finess"] or org["siret"]) and org["name"] else {},
                from_file=False))
    seen = {annuaire.department_of(o["insee"], o["postal_code"]) for o in orgs.values()}
    return annuaire.Extraction(lines_read=number, departments=sorted(wanted),
                               activities=activities, present_rpps=present,
                               departments_in_file=seen & wanted, encoding="json")
