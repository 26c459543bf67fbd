"""The CRT's offer described for the ROR (Répertoire national de l'Offre et des Ressources,
INTEROP.md §6): a FHIR ``Bundle`` (type ``collection``) of the carrier (``Organization``), one
``HealthcareService`` per operational offer (``interop.RorOffer``: the volet 2 home support,
and the emergency temporary room while the CRT has one) and their places (``Location``), on
the profiles of the ROR implementation guide 0.6.0 (ansforge/IG-fhir-repertoire-offre-
ressources-sante, ``input/fsh/profiles/ROR*.fsh``).

Where each datum comes from (nothing is typed in for the ROR, nothing is invented):

- carrier: ``core.Crt`` (FINESS, carrier name, site address, single number, e-mail);
- territory covered (``ror-territorial-division``): the communes of the territory marked for
  volet 2 (``territory.Commune``), one division of type « Commune » each;
- on-call hours (``availableTime``, « Horaire de garde »): the on-call arrangement in force
  (``oncall.Arrangement``, its dates); the service is continuous, 24 h a day, 7 days a week —
  the rota's coverage check asks someone on call every hour (``oncall/rota.py``);
- capacity (``ror-location-supported-capacity``): the CRT's number of places
  (``Crt.places``) for the home support; its available emergency rooms (``lodging.Room``)
  for the emergency room;
- contacts (``ror-healthcareservice-contact``, ``Organization.contact``): the CRT's single
  number and e-mail;
- patients: 60 years and over (volet 2 eligibility, ``admissions/eligibility.py``).

Gaps (documented in ``docs/api.md``): the national offer identifier (``identifiantOffre``) is
given by the ROR, so Maillage sends its own persistent identifier; office opening hours are
not recorded in Maillage (only the on-call hours are sent); the operational activity (TRE_R211)
and care mode (TRE_R213) that fit a CRT are not fixed nationally — defaults below, overridable
with the ``MAILLAGE_ROR_CODES`` setting.

Codes: ANS terminologies (https://interop.esante.gouv.fr/terminologies/, repository
ansforge/IG-terminologie-de-sante) — each constant cites its table.
"""

import uuid
from dataclasses import dataclass, field
from datetime import date, datetime

from django.conf import settings
from django.utils import timezone

from maillage.core.models import Crt
from maillage.lodging.models import Room
from maillage.oncall.models import Arrangement
from maillage.territory.models import Commune

from .fhir.search import LOCAL_SYSTEM
from .models import RorOffer

IG = "https://interop.esante.gouv.fr/ig/fhir/ror/StructureDefinition/"
FR_CORE = "https://hl7.fr/ig/fhir/core/StructureDefinition/"
PROFILE_ORGANIZATION = IG + "ror-organization"
PROFILE_SERVICE = IG + "ror-healthcareservice"
PROFILE_LOCATION = IG + "ror-location"
#: The ROR profiles derive from FR Core's (``Parent:`` of RORHealthcareService.fsh,
#: RORLocation.fsh; ROROrganization derives from as-organization, itself FR Core's).
FR_CORE_SERVICE = FR_CORE + "fr-core-healthcare-service"
FR_CORE_LOCATION = FR_CORE + "fr-core-location"
FR_CORE_ORGANIZATION = FR_CORE + "fr-core-organization"


def nos(table: str) -> str:
    """The canonical URL of an ANS terminology (« NOS »): ``TRE_R244-CategorieOrganisation``."""
    return f"https://mos.esante.gouv.fr/NOS/{table}/FHIR/{table.replace('_', '-', 1)}"


#: TRE_R244 CatégorieOrganisation (OID 1.2.250.1.213.3.3.39), the codes of the ROR offer-type
#: value set JDV_J238-TypeOffre-ROR (OID 1.2.250.1.213.3.4.65): 136 valid since 2024-06-28.
CATEGORY = nos("TRE_R244-CategorieOrganisation")
CRT_OFFER_TYPE = ("136", "Centre de ressources territorial (CRT)")
EMERGENCY_OFFER_TYPE = ("258", "Hébergement Temporaire d'urgence (dont HT-SH)")
#: TRE_R227 ChampActivite: 04 « Médico-social (MS) ».
ACTIVITY_FIELD = nos("TRE_R227-ChampActivite")
MEDICO_SOCIAL = ("04", "Médico-social (MS)")
CARE_MODE = nos("TRE_R213-ModePriseEnCharge")
OPERATIONAL_ACTIVITY = nos("TRE_R211-ActiviteOperationnelle")
#: TRE_R252 TypeHoraire: 03 « Horaire de garde ».
TIME_TYPE = nos("TRE_R252-TypeHoraire")
ON_CALL_TIME = ("03", "Horaire de garde")
#: TRE_R201 TypeDivisionTerritoriale (JDV_J223): 3 « Commune »; commune codes: TRE_R13 (COG).
DIVISION_TYPE = nos("TRE_R201-TypeDivisionTerritoriale")
COMMUNE_DIVISION = ("3", "Commune")
COMMUNE = nos("TRE_R13-Commune")
#: TRE_R239 PublicPrisEnCharge (JDV_J29): 01.
PATIENT_TYPE = nos("TRE_R239-PublicPrisEnCharge")
OLDER_PEOPLE = ("01", "Personnes âgées en perte d'autonomie (PA) et aidants")
#: Volet 2 accompanies people aged 60 and over (``admissions/eligibility.py``); 120 is how the
#: ROR's examples write « no upper bound ».
AGE_RANGE = (60, 120)
#: TRE_R287 NatureContact: 06 « Standard »; TRE_R283 NiveauConfidentialite: 1 « Accès libre »;
#: TRE_R200 CanalCommunication: 2 « Téléphone fixe », 3 « Courrier électronique ».
CONTACT_PURPOSE = nos("TRE_R287-NatureContact")
STANDARD = ("06", "Standard")
CONFIDENTIALITY = nos("TRE_R283-NiveauConfidentialite")
PUBLIC = ("1", "Accès libre")
CHANNEL = nos("TRE_R200-CanalCommunication")
PHONE, EMAIL = ("2", "Téléphone fixe"), ("3", "Courrier électronique")
#: Capacity (``ror-location-supported-capacity``): TRE_R329 NatureCapacite 02 « Place »,
#: TRE_R330 TypeStatutCapacite 01 « Installé », TRE_R331 TemporaliteCapacite 01 « Courant »,
#: TRE_R335 TypeSourceCapacite 01 « Saisie manuelle », TRE_R337 AffectationTemporaire
#: 01 « Aucune ».
PLACE, INSTALLED, CURRENT, MANUAL = "02", "01", "01", "01"
TEMPORARY_ASSIGNMENT = nos("TRE_R337-AffectationTemporaire")
NO_ASSIGNMENT = ("01", "Aucune")
#: idNatSt (INTEROP.md §1) typed as in the ROR's examples (TRE_G07 40); FINESS (FR Core).
IDNST_SYSTEM = "urn:oid:1.2.250.1.71.4.2.2"
STRUCTURE_ID_TYPE = nos("TRE_G07-TypeIdentifiantStructure")
FINESS_SYSTEM = "https://finess.esante.gouv.fr"
FR_IDENTIFIER_TYPES = "https://hl7.fr/ig/fhir/core/CodeSystem/fr-core-cs-v2-0203"
INSEE_CODE = FR_CORE + "fr-core-address-insee-code"

#: The care mode (TRE_R213) and operational activity (TRE_R211) of each offer. No national
#: rule says which fit a CRT (INTEROP.md §6, unverified): 49 « Sur les lieux de vie » for the
#: home support and 46 « Hébergement (accueil jour et nuit) » for the room are the TRE_R213
#: modes that describe them; the activity is 298 « Accompagnements pour vivre dans un
#: logement », the one the ANS documentation gives for a médico-social home service. To be
#: confirmed with the regional ROR team; ``settings.MAILLAGE_ROR_CODES`` overrides them.
DEFAULT_CODES = {
    RorOffer.Kind.HOME_SUPPORT: {
        "care_mode": ("49", "Sur les lieux de vie"),
        "activity": ("298", "Accompagnements pour vivre dans un logement"),
    },
    RorOffer.Kind.EMERGENCY_ROOM: {
        "care_mode": ("46", "Hébergement (accueil jour et nuit)"),
        "activity": ("298", "Accompagnements pour vivre dans un logement"),
    },
}
DAY_NAMES = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def codes(kind: str) -> dict[str, tuple[str, str]]:
    overrides = getattr(settings, "MAILLAGE_ROR_CODES", {}).get(str(kind), {})
    return {**DEFAULT_CODES[kind], **overrides}


def coding(system: str, code_display: tuple[str, str]) -> dict:
    code, display = code_display
    return {"system": system, "code": code, "display": display}


def concept(system: str, code_display: tuple[str, str]) -> dict:
    return {"coding": [coding(system, code_display)]}


def _instant(moment: datetime) -> str:
    return timezone.localtime(moment).isoformat(timespec="seconds")


def _ext(url: str, **value) -> dict:
    return {"url": url, **value}


def _years(value: int) -> dict:
    return {"value": value, "unit": "ans", "system": "http://unitsofmeasure.org", "code": "a"}


# --- What the offer is made of ---------------------------------------------------------------
@dataclass
class OfferFacts:
    """Everything the description of a CRT's offer reads, loaded once (a few queries)."""

    crt: Crt
    communes: list[Commune]
    site_commune: Commune | None
    arrangement: Arrangement | None
    emergency_rooms: int
    offers: list[RorOffer] = field(default_factory=list)

    @property
    def carrier_name(self) -> str:
        return self.crt.carrier_name or self.crt.name

    @property
    def last_updated(self) -> datetime:
        """The last change of what the offers are made of (each offer adds its own row's)."""
        moments = [self.crt.updated_at, *(c.updated_at for c in self.communes)]
        if self.arrangement:
            moments.append(self.arrangement.updated_at)
        return max(moments)


def facts(crt: Crt, offers, *, today: date | None = None) -> OfferFacts:
    """What ``crt``'s ``offers`` (those its reader may see: ``access.ror_offers_visible``) are
    made of."""
    today = today or timezone.localdate()
    volet2 = list(Commune.objects.filter(crt=crt, covers_volet2=True).order_by("insee_code"))
    site = Commune.objects.filter(crt=crt, postal_code=crt.base_postal_code,
                                  name__iexact=crt.base_city.strip()).first()
    arrangement = (Arrangement.objects.filter(crt=crt, start_date__lte=today)
                   .exclude(end_date__lt=today).order_by("-start_date").first())
    rooms = Room.objects.filter(crt=crt, is_active=True, kind=Room.Kind.CRT_EMERGENCY).count()
    return OfferFacts(crt=crt, communes=volet2, site_commune=site, arrangement=arrangement,
                      emergency_rooms=rooms,
                      offers=sorted(offers, key=lambda o: list(RorOffer.Kind).index(o.kind)))


# --- Resources -------------------------------------------------------------------------------
def organization_id(crt: Crt) -> str:
    return str(crt.public_id)


def location_id(offer: RorOffer) -> str:
    return str(uuid.uuid5(offer.public_id, "ror-location"))


def _telecom(system: str, value: str, channel: tuple[str, str]) -> dict:
    """A ROR ContactPoint: value, channel and confidentiality (both 1..1 in the profiles)."""
    return {
        "extension": [
            _ext(IG + "ror-telecom-communication-channel",
                 valueCodeableConcept=concept(CHANNEL, channel)),
            _ext(IG + "ror-telecom-confidentiality-level",
                 valueCodeableConcept=concept(CONFIDENTIALITY, PUBLIC)),
        ],
        "system": system, "value": value, "use": "work",
    }


def _telecoms(crt: Crt) -> list[dict]:
    found = []
    if crt.phone:
        found.append(_telecom("phone", crt.phone, PHONE))
    if crt.email:
        found.append(_telecom("email", crt.email, EMAIL))
    return found


def _address(f: OfferFacts) -> dict:
    address = {"use": "work", "line": [f.crt.base_address], "city": f.crt.base_city,
               "postalCode": f.crt.base_postal_code, "country": "FRA"}
    if f.site_commune:
        address["extension"] = [_ext(INSEE_CODE, valueCoding={
            "system": COMMUNE, "code": f.site_commune.insee_code,
            "display": f.site_commune.name})]
    return address


def organization(f: OfferFacts) -> dict:
    """The carrier (ROR « entité géographique »): ``ror-organization``."""
    crt = f.crt
    return {
        "resourceType": "Organization",
        "id": organization_id(crt),
        "meta": {"lastUpdated": _instant(crt.updated_at),
                 "profile": [PROFILE_ORGANIZATION, FR_CORE_ORGANIZATION]},
        "extension": [_ext(IG + "ror-meta-creation-date", valueDateTime=_instant(crt.created_at))],
        "identifier": [
            {"use": "official",
             "type": {"coding": [
                 {"system": FR_IDENTIFIER_TYPES, "code": "IDNST"},
                 coding(STRUCTURE_ID_TYPE, ("40", "Identifiant national de structure"))]},
             "system": IDNST_SYSTEM, "value": f"1{crt.finess}"},
            {"use": "official",
             "type": {"coding": [{"system": FR_IDENTIFIER_TYPES, "code": "FINEG"}]},
             "system": FINESS_SYSTEM, "value": crt.finess},
        ],
        "active": crt.is_active,
        "name": f.carrier_name,
        **({"alias": [crt.name]} if crt.carrier_name else {}),
        "address": [_address(f)],
        **({"contact": [{
            "extension": [_ext(IG + "ror-contact-confidentiality-level",
                               valueCodeableConcept=concept(CONFIDENTIALITY, PUBLIC))],
            "purpose": concept(CONTACT_PURPOSE, STANDARD),
            "name": {"text": crt.name},
            "telecom": _telecoms(crt),
        }]} if _telecoms(crt) else {}),
    }


def _capacity(count: int, updated: datetime) -> dict:
    """One ``ror-location-supported-capacity``: ``count`` places, installed, now."""
    return _ext(IG + "ror-location-supported-capacity", extension=[
        _ext("capacityType", valueCode=PLACE),
        _ext("capacityStatus", valueCode=INSTALLED),
        _ext("temporalityCapacity", valueCode=CURRENT),
        _ext("nbCapacity", valueInteger=count),
        _ext("capacitySourceType", valueCode=MANUAL),
        _ext("capacityUpdateDate", valueDateTime=_instant(updated)),
        _ext("temporaryAssignement",
             valueCodeableConcept=concept(TEMPORARY_ASSIGNMENT, NO_ASSIGNMENT)),
    ])


def capacity_of(offer: RorOffer, f: OfferFacts) -> int:
    if offer.kind == RorOffer.Kind.HOME_SUPPORT:
        return f.crt.places
    return f.emergency_rooms


def location(offer: RorOffer, f: OfferFacts) -> dict:
    """Where the offer is given from (ROR « lieu de réalisation de l'offre »): the CRT's site,
    with the offer's capacity: ``ror-location``."""
    crt = f.crt
    extensions = [_ext(IG + "ror-meta-creation-date", valueDateTime=_instant(offer.created_at))]
    if f.site_commune:
        extensions.insert(0, _ext(IG + "ror-commune-cog", valueCodeableConcept=concept(
            COMMUNE, (f.site_commune.insee_code, f.site_commune.name))))
    extensions.append(_capacity(capacity_of(offer, f), crt.updated_at))
    return {
        "resourceType": "Location",
        "id": location_id(offer),
        "meta": {"lastUpdated": _instant(max(crt.updated_at, offer.updated_at)),
                 "profile": [PROFILE_LOCATION, FR_CORE_LOCATION]},
        "extension": extensions,
        "status": "active",
        "name": f"{offer.get_kind_display()} — {crt.name}",
        "description": f"Site du CRT : {crt.base_address}, {crt.base_postal_code} "
                       f"{crt.base_city}",
        "address": _address(f),
        "managingOrganization": {"reference": f"urn:uuid:{organization_id(crt)}",
                                 "display": f.carrier_name},
    }


def _on_call_hours(f: OfferFacts) -> list[dict]:
    """« Horaire de garde », every day, all day, over the arrangement's dates."""
    arrangement = f.arrangement
    if arrangement is None:
        return []
    period = {"start": arrangement.start_date.isoformat()}
    if arrangement.end_date:
        period["end"] = arrangement.end_date.isoformat()
    return [{
        "extension": [
            _ext(IG + "ror-available-time-type-of-time",
                 valueCodeableConcept=concept(TIME_TYPE, ON_CALL_TIME)),
            _ext(IG + "ror-available-time-number-days-of-week", valueInteger=number),
            _ext(IG + "ror-available-time-effective-opening-closing-date", valuePeriod=period),
        ],
        "daysOfWeek": [day],
        "allDay": True,
    } for number, day in enumerate(DAY_NAMES, start=1)]


def _contact(crt: Crt) -> dict | None:
    telecoms = []
    for value, channel in ((crt.phone, PHONE), (crt.email, EMAIL)):
        if value:
            telecoms.append(_ext(IG + "ror-healthcareservice-contact-telecom", extension=[
                _ext(IG + "ror-telecom-communication-channel",
                     valueCodeableConcept=concept(CHANNEL, channel)),
                _ext(IG + "ror-telecom-confidentiality-level",
                     valueCodeableConcept=concept(CONFIDENTIALITY, PUBLIC)),
                _ext("telecomAddress", valueString=value),
            ]))
    if not telecoms:
        return None
    return _ext(IG + "ror-healthcareservice-contact", extension=[
        _ext("purposeContact", valueCodeableConcept=concept(CONTACT_PURPOSE, STANDARD)),
        _ext(IG + "ror-confidentiality-level",
             valueCodeableConcept=concept(CONFIDENTIALITY, PUBLIC)),
        *telecoms,
    ])


def _division(commune: Commune) -> dict:
    return _ext(IG + "ror-territorial-division", extension=[
        _ext("typeTerritorialDivision",
             valueCodeableConcept=concept(DIVISION_TYPE, COMMUNE_DIVISION)),
        _ext("codeTerritorialDivision",
             valueCodeableConcept=concept(COMMUNE, (commune.insee_code, commune.name))),
    ])


def healthcare_service(offer: RorOffer, f: OfferFacts, *, in_bundle: bool = False) -> dict:
    """One operational offer: ``ror-healthcareservice``. The carrier and the place are named
    by identifier and text; inside the export Bundle, also by reference to their entries."""
    crt = f.crt
    home = offer.kind == RorOffer.Kind.HOME_SUPPORT
    chosen = codes(offer.kind)
    extensions = [
        _ext(IG + "ror-meta-creation-date", valueDateTime=_instant(offer.created_at)),
        _ext(IG + "ror-healthcareservice-sensitive-unit", valueBoolean=False),
        _ext(IG + "ror-healthcareservice-patient-type", extension=[
            _ext("ageRange", valueRange={"low": _years(AGE_RANGE[0]),
                                         "high": _years(AGE_RANGE[1])}),
            _ext("supportedPatientInfo",
                 valueCodeableConcept=concept(PATIENT_TYPE, OLDER_PEOPLE)),
        ]),
    ]
    if home:
        extensions += [_division(c) for c in f.communes]
    contact = _contact(crt)
    if contact:
        extensions.append(contact)
    provided_by = {"identifier": {"system": IDNST_SYSTEM, "value": f"1{crt.finess}"},
                   "display": f.carrier_name}
    place = {"display": f"{crt.base_address}, {crt.base_postal_code} {crt.base_city}"}
    if in_bundle:
        provided_by["reference"] = f"urn:uuid:{organization_id(crt)}"
        place["reference"] = f"urn:uuid:{location_id(offer)}"
    resource = {
        "resourceType": "HealthcareService",
        "id": str(offer.public_id),
        "meta": {"versionId": str(offer.version),
                 "lastUpdated": _instant(max(f.last_updated, offer.updated_at)),
                 "profile": [PROFILE_SERVICE, FR_CORE_SERVICE]},
        "extension": extensions,
        # The national offer id (identifiantOffre) is given by the ROR: until then, ours.
        "identifier": [{"use": "usual", "system": LOCAL_SYSTEM,
                        "value": f"urn:uuid:{offer.public_id}"}],
        "active": crt.is_active,
        "providedBy": provided_by,
        "category": [concept(CATEGORY, CRT_OFFER_TYPE if home else EMERGENCY_OFFER_TYPE)],
        "type": [concept(ACTIVITY_FIELD, MEDICO_SOCIAL)],
        "specialty": [concept(OPERATIONAL_ACTIVITY, chosen["activity"])],
        "location": [place],
        "name": f"{offer.get_kind_display()} — {crt.name}",
        "characteristic": [concept(CARE_MODE, chosen["care_mode"])],
    }
    hours = _on_call_hours(f)
    if hours:
        resource["availableTime"] = hours
    return resource


def bundle(crt: Crt, offers, *, now: datetime | None = None) -> dict:
    """The export: the carrier, each offer and its place, cross-referenced (``urn:uuid``)."""
    f = facts(crt, offers)
    entries = [organization(f)]
    for offer in f.offers:
        entries += [healthcare_service(offer, f, in_bundle=True), location(offer, f)]
    return {
        "resourceType": "Bundle",
        "id": str(uuid.uuid4()),
        "meta": {"lastUpdated": _instant(now or timezone.now())},
        "type": "collection",
        "timestamp": _instant(now or timezone.now()),
        "entry": [{"fullUrl": f"urn:uuid:{r['id']}", "resource": r} for r in entries],
    }


# --- What the CRT page shows ------------------------------------------------------------------
@dataclass(frozen=True)
class OfferLine:
    name: str
    offer_type: str
    capacity: int


@dataclass(frozen=True)
class OfferSummary:
    offers: list[OfferLine]
    communes: int
    on_call: str
    contacts: list[str]
    site_commune_known: bool


def summary(crt: Crt, offers) -> OfferSummary:
    f = facts(crt, offers)
    lines = [OfferLine(
        name=offer.get_kind_display(),
        offer_type=(f"{CRT_OFFER_TYPE[0]} « {CRT_OFFER_TYPE[1]} »"
                    if offer.kind == RorOffer.Kind.HOME_SUPPORT
                    else f"{EMERGENCY_OFFER_TYPE[0]} « {EMERGENCY_OFFER_TYPE[1]} »"),
        capacity=capacity_of(offer, f)) for offer in f.offers]
    if f.arrangement:
        since = f.arrangement.start_date.strftime("%d/%m/%Y")
        on_call = f"24 h/24, 7 j/7 depuis le {since} ({f.arrangement.get_model_display()})"
        if f.arrangement.end_date:
            on_call += f", jusqu'au {f.arrangement.end_date.strftime('%d/%m/%Y')}"
    else:
        on_call = "aucune organisation de l'astreinte en vigueur : horaires non décrits"
    return OfferSummary(offers=lines, communes=len(f.communes), on_call=on_call,
                        contacts=[v for v in (crt.phone, crt.email) if v],
                        site_commune_known=f.site_commune is not None)
