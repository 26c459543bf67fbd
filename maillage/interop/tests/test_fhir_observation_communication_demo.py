"""Every Observation and Communication of the demo that the demo ``doctor`` (health data) and
``coordinator`` may read validates offline: R4 schema, and the FR Core vital-sign rules."""

import pytest

from maillage.core.middleware import active_memberships
from maillage.core.models import User
from maillage.interop.services import api_token_create

from . import fhir_rules as fr
from .test_fhir_observation_communication import vital_sign_errors


def _headers(username: str) -> dict:
    user = User.objects.get(username=username)
    crt = active_memberships(user)[0].crt
    return {"HTTP_AUTHORIZATION": "Bearer " + api_token_create(
        actor=None, crt=crt, user=user, name="Validation").secret}


def _walk(client, url: str, headers: dict):
    """Every resource of every page of a search (and the Bundles' own validity)."""
    total, seen = None, 0
    while url:
        bundle = client.get(url, **headers).json()
        assert fr.schema_errors(bundle) == [], url
        total = bundle["total"]
        for entry in bundle["entry"]:
            seen += 1
            yield entry["resource"]
        url = next((link["url"] for link in bundle["link"] if link["relation"] == "next"), None)
    assert seen == total


@pytest.mark.parametrize("username", ["doctor", "partner"])
def test_every_observation_validates(demo_module, client, db, username):
    categories, profiles = set(), set()
    for o in _walk(client, "/fhir/R4/Observation?_count=100", _headers(username)):
        assert fr.schema_errors(o) == [], o["id"]
        assert vital_sign_errors(o) == [], o["id"]
        categories.add(o["category"][0]["coding"][0]["code"])
        profiles |= set(o["meta"].get("profile", []))
    assert categories == {"vital-signs", "survey"}  # vital signs and GIRs both exercised
    assert len(profiles) == 3  # weight, blood pressure, heart rate


@pytest.mark.parametrize("username", ["coordinator", "doctor"])
def test_every_communication_validates(demo_module, client, db, username):
    seen = 0
    for c in _walk(client, "/fhir/R4/Communication?_count=100", _headers(username)):
        assert fr.schema_errors(c) == [], c["id"]
        assert c["payload"][0]["contentString"].strip()
        seen += 1
    assert seen > 0
