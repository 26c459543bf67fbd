"""The ROR description of the CRT's offer (INTEROP.md §6, issue 15 item 4): the Bundle downloaded
from the CRT page validates (R4 schema + the ROR profile rules of ``ror_rules.py``), carries
code 136 of TRE_R244, the territory, the on-call hours, the capacity and the contacts; the page
shows the section; each CRT downloads its own; other roles are refused."""

import copy
import json
from pathlib import Path

import pytest
from django.urls import reverse

from maillage.core.roles import Role
from maillage.interop import ror
from maillage.interop.models import RorOffer
from maillage.lodging.models import Room
from maillage.lodging.tests.factories import room
from maillage.oncall.tests.factories import arrangement
from maillage.territory.tests.factories import CommuneFactory

from . import ror_rules
from .ror_rules import all_errors, ror_errors, schema_errors

EXAMPLES = Path(__file__).with_name("ror_examples")
URL = reverse("ror:download")


def _example(name: str) -> dict:
    return json.loads((EXAMPLES / name).read_text(encoding="utf-8"))


@pytest.fixture
def territory(crt_a):
    """CRT A's site commune (Segré-en-Anjou Bleu, « 49331 ») and two more communes of volet 2,
    one of volet 1 only; the internal on-call arrangement since 2025-01-01."""
    communes = [
        CommuneFactory(crt=crt_a, insee_code="49331", postal_code="49500",
                       name="Segré-en-Anjou Bleu"),
        CommuneFactory(crt=crt_a, insee_code="49163", postal_code="49500", name="Chazé-sur-Argos"),
        CommuneFactory(crt=crt_a, insee_code="49027", postal_code="49440", name="Candé"),
        CommuneFactory(crt=crt_a, insee_code="49321", postal_code="49520", name="Pouancé",
                       covers_volet2=False),
    ]
    arrangement(crt_a)
    return communes


def _resources(bundle: dict, kind: str) -> list[dict]:
    return [e["resource"] for e in bundle["entry"] if e["resource"]["resourceType"] == kind]


def _download(client, user) -> dict:
    client.force_login(user)
    response = client.get(URL)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/fhir+json")
    assert response["Content-Disposition"].startswith("attachment;")
    return json.loads(response.content)


# --- The Bundle ------------------------------------------------------------------------------
def test_the_bundle_validates_and_describes_the_crt_offer(client, users, crt_a, territory):
    bundle = _download(client, users["direction"])
    assert bundle["type"] == "collection"
    assert schema_errors(bundle) == []
    for entry in bundle["entry"]:
        assert all_errors(entry["resource"]) == [], entry["resource"]["resourceType"]
        assert entry["fullUrl"] == f"urn:uuid:{entry['resource']['id']}"
    [org] = _resources(bundle, "Organization")
    [service] = _resources(bundle, "HealthcareService")  # no emergency room: one offer
    [place] = _resources(bundle, "Location")
    # The carrier: FINESS as idNatSt and FINESS, the single number as contact.
    assert {(i["system"], i["value"]) for i in org["identifier"]} == {
        ("urn:oid:1.2.250.1.71.4.2.2", f"1{crt_a.finess}"),
        ("https://finess.esante.gouv.fr", crt_a.finess)}
    assert org["contact"][0]["telecom"][0]["value"] == "02 61 91 00 01"
    assert org["name"] == "CRT A" and "alias" not in org  # no carrier name recorded
    # The offer: type 136 of TRE_R244, médico-social, references resolved inside the Bundle.
    assert service["category"][0]["coding"] == [{
        "system": "https://mos.esante.gouv.fr/NOS/TRE_R244-CategorieOrganisation/FHIR/"
                  "TRE-R244-CategorieOrganisation",
        "code": "136", "display": "Centre de ressources territorial (CRT)"}]
    assert service["type"][0]["coding"][0]["code"] == "04"
    assert service["providedBy"]["reference"] == f"urn:uuid:{org['id']}"
    assert service["location"][0]["reference"] == f"urn:uuid:{place['id']}"
    assert place["managingOrganization"]["reference"] == f"urn:uuid:{org['id']}"
    # The territory: every volet 2 commune, and only them.
    divisions = ror_rules.ext(service, ror.IG + "ror-territorial-division")
    codes = {ror_rules.ext(d, "codeTerritorialDivision")[0]["valueCodeableConcept"]["coding"][0]
             ["code"] for d in divisions}
    assert codes == {"49331", "49163", "49027"}
    # On-call hours: every day, all day, « Horaire de garde », since the arrangement began.
    assert [slot["daysOfWeek"] for slot in service["availableTime"]] == [
        ["mon"], ["tue"], ["wed"], ["thu"], ["fri"], ["sat"], ["sun"]]
    first = service["availableTime"][0]
    assert first["allDay"] is True
    assert ror_rules.ext(first, ror.IG + "ror-available-time-type-of-time")[0][
        "valueCodeableConcept"]["coding"][0]["display"] == "Horaire de garde"
    assert ror_rules.ext(first, ror.IG + "ror-available-time-effective-opening-closing-date")[0][
        "valuePeriod"] == {"start": "2025-01-01"}
    # Capacity: the CRT's places; the site's commune code.
    [capacity] = ror_rules.ext(place, ror.IG + "ror-location-supported-capacity")
    assert ror_rules.ext(capacity, "nbCapacity")[0]["valueInteger"] == crt_a.places
    assert ror_rules.ext(place, ror.IG + "ror-commune-cog")[0]["valueCodeableConcept"][
        "coding"][0]["code"] == "49331"
    # Contacts of the offer: the single number.
    [contact] = ror_rules.ext(service, ror.IG + "ror-healthcareservice-contact")
    telecom = ror_rules.ext(contact, ror.IG + "ror-healthcareservice-contact-telecom")
    assert ror_rules.ext(telecom[0], "telecomAddress")[0]["valueString"] == "02 61 91 00 01"


def test_an_emergency_room_adds_its_offer_with_its_capacity(client, users, crt_a, territory):
    room(crt_a)
    room(crt_a)
    room(crt_a, is_active=False)
    room(crt_a, kind=Room.Kind.PARTNER_HT)  # a partner's place is not the CRT's offer
    bundle = _download(client, users["direction"])
    services = {s["category"][0]["coding"][0]["code"]: s
                for s in _resources(bundle, "HealthcareService")}
    assert set(services) == {"136", "258"}
    emergency = services["258"]
    assert all_errors(emergency) == []
    assert not ror_rules.ext(emergency, ror.IG + "ror-territorial-division")
    place = next(p for p in _resources(bundle, "Location")
                 if f"urn:uuid:{p['id']}" == emergency["location"][0]["reference"])
    [capacity] = ror_rules.ext(place, ror.IG + "ror-location-supported-capacity")
    assert ror_rules.ext(capacity, "nbCapacity")[0]["valueInteger"] == 2


def test_without_arrangement_no_hours_are_claimed(client, users, crt_a):
    bundle = _download(client, users["direction"])
    [service] = _resources(bundle, "HealthcareService")
    assert "availableTime" not in service
    assert all_errors(service) == []


def test_each_crt_downloads_its_own_offer(client, users, crt_a, crt_b, user_b, territory):
    bundle = _download(client, user_b)
    [org] = _resources(bundle, "Organization")
    assert org["id"] == str(crt_b.public_id) and org["name"] == "CRT B"
    offers = {str(o.public_id) for o in RorOffer.objects.filter(crt=crt_b)}
    assert {s["id"] for s in _resources(bundle, "HealthcareService")} <= offers
    assert "CRT A" not in json.dumps(bundle, ensure_ascii=False)
    assert "49331" not in json.dumps(bundle)


@pytest.mark.parametrize("role", [r for r in Role if r != Role.DIRECTION])
def test_other_roles_cannot_download(client, users, crt_a, role):
    client.force_login(users[role.value])
    assert client.get(URL).status_code == 403


def test_the_download_needs_a_login(client, crt_a):
    response = client.get(URL)
    assert response.status_code == 302


# --- The CRT page ----------------------------------------------------------------------------
def test_the_crt_page_shows_the_offer_and_its_download(client, users, crt_a, territory):
    from maillage.core.tests.helpers import visible_text

    room(crt_a)
    client.force_login(users["direction"])
    response = client.get(reverse("core:crt_settings"))
    text = visible_text(response)
    assert "Offre décrite pour le ROR" in text
    assert ("Accompagnement renforcé à domicile (volet 2) — type d'offre 136 « Centre de "
            "ressources territorial (CRT) » — capacité : 40 places") in text
    assert "Chambre d'urgence temporaire — type d'offre 258" in text
    assert text.index("Accompagnement renforcé") < text.index("Chambre d'urgence")
    assert "capacité : 1 place" in text
    assert "Territoire couvert (volet 2) 3 communes" in text
    assert "24 h/24, 7 j/7 depuis le 01/01/2025" in text
    assert "02 61 91 00 01" in text
    assert "Télécharger la description ROR (JSON)" in text
    assert f'href="{URL}"' in response.content.decode()
    assert "code officiel géographique" not in text


def test_the_page_warns_when_the_site_commune_is_unknown(client, users, crt_a):
    client.force_login(users["direction"])
    text = visible_text_of(client.get(reverse("core:crt_settings")))
    assert "La commune du site n'est pas dans le territoire du CRT" in text
    assert "aucune organisation de l'astreinte en vigueur" in text


def visible_text_of(response):
    from maillage.core.tests.helpers import visible_text

    return visible_text(response)


# --- The profile rules: the IG's examples pass, broken copies fail ----------------------------
EXAMPLE_SERVICE = "HealthcareService-ror-healthcareservice-exemple-ville.json"
EXAMPLE_ORG = "Organization-ror-organisation-exemple-eg.json"


@pytest.mark.parametrize("name", [EXAMPLE_SERVICE, EXAMPLE_ORG])
def test_the_guides_examples_pass_the_rules(name):
    assert all_errors(_example(name)) == []


def _drop_ext(resource: dict, url: str) -> dict:
    resource["extension"] = [e for e in resource["extension"] if e["url"] != url]
    return resource


def _drop(resource: dict, key: str) -> dict:
    resource.pop(key)
    return resource


def _no_age_range(resource):
    patient = ror_rules.ext(resource, ror.IG + "ror-healthcareservice-patient-type")[0]
    patient["extension"] = [e for e in patient["extension"] if e["url"] != "ageRange"]
    return resource


def _day_eight(resource):
    ror_rules.ext(resource["availableTime"][0],
                  ror.IG + "ror-available-time-number-days-of-week")[0]["valueInteger"] = 8
    return resource


def _no_telecom_address(resource):
    contact = ror_rules.ext(resource, ror.IG + "ror-healthcareservice-contact")[0]
    telecom = ror_rules.ext(contact, ror.IG + "ror-healthcareservice-contact-telecom")[0]
    telecom["extension"] = [e for e in telecom["extension"] if e["url"] != "telecomAddress"]
    return resource


def _two_identifiers(resource):
    resource["identifier"].append({"value": "YYY"})
    return resource


def _second_care_mode(resource):
    resource["characteristic"].append(copy.deepcopy(resource["characteristic"][0]))
    return resource


BROKEN_SERVICES = {  # rule → how to break the guide's example
    "rule_last_updated": lambda r: r["meta"].pop("lastUpdated") and r,
    "rule_creation_date": lambda r: _drop_ext(r, ror.IG + "ror-meta-creation-date"),
    "rule_hs_sensitive_unit": lambda r: _drop_ext(
        r, ror.IG + "ror-healthcareservice-sensitive-unit"),
    "rule_hs_patient_type": _no_age_range,
    "rule_hs_identifier": _two_identifiers,
    "rule_hs_type": lambda r: _drop(r, "type"),
    "rule_hs_operational_activity": lambda r: _drop(r, "specialty"),
    "rule_hs_care_mode": _second_care_mode,
    "rule_hs_available_time": _day_eight,
    "rule_hs_contact": _no_telecom_address,
}


@pytest.mark.parametrize("rule", BROKEN_SERVICES)
def test_a_broken_copy_of_the_example_fails_its_rule(rule):
    broken = BROKEN_SERVICES[rule](_example(EXAMPLE_SERVICE))
    assert rule in ror_errors(broken)


def test_a_wrong_offer_type_system_fails():
    service = _example(EXAMPLE_SERVICE)
    service["category"] = [{"coding": [{"system": "https://example.org/types", "code": "136"}]}]
    assert "rule_hs_category" in ror_errors(service)


def test_a_broken_organization_fails():
    org = _example(EXAMPLE_ORG)
    org["contact"][0]["telecom"][0]["extension"].pop()  # no confidentiality level
    org["identifier"][0].pop("type")
    errors = ror_errors(org)
    assert {"rule_org_contact_telecom", "rule_org_identifier_type"} <= set(errors)


def test_a_broken_location_fails(crt_a, territory):
    f = ror.facts(crt_a, RorOffer.objects.filter(crt=crt_a).offered())
    place = ror.location(f.offers[0], f)
    assert ror_errors(place) == []
    capacity = ror_rules.ext(place, ror.IG + "ror-location-supported-capacity")[0]
    capacity["extension"] = [e for e in capacity["extension"] if e["url"] != "nbCapacity"]
    place["extension"] = [e for e in place["extension"]
                          if e["url"] != ror.IG + "ror-commune-cog"]
    assert {"rule_location_capacity", "rule_location_commune"} <= set(ror_errors(place))


def test_a_profile_not_claimed_is_an_error():
    service = _example(EXAMPLE_SERVICE)
    service["meta"]["profile"] = []
    assert ror_errors(service) == ["profile"]


def test_the_carrier_is_named_by_its_own_name(client, users, crt_a):
    crt_a.carrier_name = "EHPAD Les Tilleuls"
    crt_a.save()
    [org] = _resources(_download(client, users["direction"]), "Organization")
    assert org["name"] == "EHPAD Les Tilleuls" and org["alias"] == ["CRT A"]
    assert all_errors(org) == []
