"""Every CarePlan, Encounter, Appointment and DocumentReference of the demo that the demo
coordinator or doctor may read validates offline (R4 schema, the FR Core rules of the profiles
claimed, the R4 invariants), following every page; each type has at least one."""

import pytest
from django.test import override_settings

from maillage.core.middleware import active_memberships
from maillage.core.models import User
from maillage.interop.services import api_token_create

from .fhir_care_rules import all_errors, schema_errors

TYPES = ("CarePlan", "Encounter", "Appointment", "DocumentReference")
#: A whole export goes past the per-token rate limit (150 pages of Encounter): not the point here.
pytestmark = pytest.mark.usefixtures("no_rate_limit")


@pytest.fixture
def no_rate_limit():
    with override_settings(FHIR_RATE_LIMIT_PER_MINUTE=10**6):
        yield


def headers(username: str) -> dict:
    user = User.objects.get(username=username)
    crt = active_memberships(user)[0].crt
    return {"HTTP_AUTHORIZATION": "Bearer " + api_token_create(
        actor=None, crt=crt, user=user, name="Validation").secret}


def every(client, auth, resource_type: str) -> list[dict]:
    """Every resource of every page, each page's Bundle validated whole against the schema."""
    url, seen = f"/fhir/R4/{resource_type}?_count=100", []
    while url:
        response = client.get(url, **auth)
        assert response.status_code == 200, response.content
        bundle = response.json()
        assert schema_errors(bundle) == []
        seen += [e["resource"] for e in bundle["entry"]]
        url = next((link["url"] for link in bundle["link"] if link["relation"] == "next"), None)
    assert len(seen) == bundle["total"]
    return seen


@pytest.mark.parametrize("username", ["coordinator", "doctor"])
@pytest.mark.parametrize("resource_type", TYPES)
def test_every_resource_the_demo_reads_validates(demo_module, client, db, username,
                                                 resource_type):
    resources = every(client, headers(username), resource_type)
    assert resources, f"{username} ne lit aucun {resource_type} de la démo"
    for resource in resources:
        assert resource["resourceType"] == resource_type
        assert all_errors(resource) == [], resource["id"]


def test_the_demo_shows_each_kind(demo_module, client, db):
    """The statuses a consumer meets: plans in force and replaced, visits of every kind, the
    doctor's medical document that the coordinator does not see."""
    coordinator, doctor = headers("coordinator"), headers("doctor")

    def total(resource_type, **query):
        response = client.get(f"/fhir/R4/{resource_type}", {**query, "_count": 1},
                              **coordinator)
        return response.json()["total"]

    assert total("CarePlan", status="active") > 0 and total("CarePlan", status="revoked") > 0
    for status in ("booked", "cancelled", "noshow"):
        assert total("Appointment", status=status) > 0, status
    assert total("Encounter") > 0
    kinds = {d["type"]["text"]: d["id"] for d in every(client, doctor, "DocumentReference")}
    assert "Médical" in kinds
    assert kinds["Médical"] not in {
        d["id"] for d in every(client, coordinator, "DocumentReference")}
