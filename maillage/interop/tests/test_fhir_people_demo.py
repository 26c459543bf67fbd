"""Every RelatedPerson, Practitioner, PractitionerRole, CareTeam and Consent of the demo that the
demo coordinator may read validates offline (R4 schema, the FR Core rules of its type, the R4
Consent invariants), page after page; the trusted persons too (found with ``patient``)."""

import pytest

from maillage.core.middleware import active_memberships
from maillage.core.models import User
from maillage.interop.services import api_token_create

from . import people_rules as rules


@pytest.fixture
def coordinator(demo_module, db):
    user = User.objects.get(username="coordinator")
    crt = active_memberships(user)[0].crt
    return {"HTTP_AUTHORIZATION": "Bearer " + api_token_create(
        actor=None, crt=crt, user=user, name="Validation").secret}


def walk(client, headers, url):
    """Every resource of a search, following ``next``, each checked."""
    seen, total = [], None
    while url:
        bundle = client.get(url, **headers).json()
        assert rules.schema_errors(bundle) == [], bundle.get("issue")
        total = bundle["total"] if total is None else total
        for entry in bundle["entry"]:
            resource = entry["resource"]
            assert rules.schema_errors(resource) == [], resource["id"]
            assert rules.fr_core_errors(resource) == [], (resource["id"], resource)
            seen.append(resource)
        url = next((link["url"] for link in bundle["link"] if link["relation"] == "next"), None)
    assert len(seen) == total
    return seen


@pytest.mark.parametrize("type_", ["RelatedPerson", "Practitioner", "PractitionerRole",
                                   "CareTeam", "Consent"])
def test_every_resource_the_demo_coordinator_reads_validates(client, coordinator, type_):
    assert len(walk(client, coordinator, f"/fhir/R4/{type_}?_count=100")) > 0


def test_demo_content_exercises_the_codes(client, coordinator):
    caregivers = walk(client, coordinator, "/fhir/R4/RelatedPerson?_count=100")
    assert any(c["code"] == "CAREGIVER" for r in caregivers for c in r["relationship"][0]["coding"])
    assert any(len(r["relationship"]) > 1 and "coding" in r["relationship"][1] for r in caregivers)
    practitioners = walk(client, coordinator, "/fhir/R4/Practitioner?_count=100")
    assert any(i["system"] == "urn:oid:1.2.250.1.71.4.2.1" for p in practitioners
               for i in p["identifier"])
    assert any("extension" in t for p in practitioners for t in p.get("telecom", []))
    consents = walk(client, coordinator, "/fhir/R4/Consent?_count=100")
    assert {"active"} <= {c["status"] for c in consents}


def test_every_trusted_person_of_the_demo_validates(client, coordinator):
    """The trusted persons are found with ``patient``: ask for every person, by pages."""
    patients = [e["resource"]["id"] for e in client.get(
        "/fhir/R4/Patient?_count=100", **coordinator).json()["entry"]]
    trusted = []
    for start in range(0, len(patients), 20):
        ids = ",".join(patients[start:start + 20])
        trusted += [r for r in walk(client, coordinator,
                                    f"/fhir/R4/RelatedPerson?patient={ids}&_count=100")
                    if r["relationship"][0]["coding"][0]["code"] == "NOK"]
    assert trusted
    for r in trusted:
        read = client.get(f"/fhir/R4/RelatedPerson/{r['id']}", **coordinator)
        assert read.status_code == 200 and read.json() == r
