"""The demo's offer as the ROR would receive it: every HealthcareService the demo coordinator
reads through the API, and the whole export of each demo CRT, validate offline (R4 schema and
the ROR profile rules of ``ror_rules.py``)."""

from maillage.core.middleware import active_memberships
from maillage.core.models import Crt, User
from maillage.interop import ror
from maillage.interop.models import RorOffer
from maillage.interop.services import api_token_create

from .ror_rules import all_errors, schema_errors


def test_every_healthcare_service_the_demo_coordinator_reads_validates(demo_module, client, db):
    user = User.objects.get(username="coordinator")
    crt = active_memberships(user)[0].crt
    headers = {"HTTP_AUTHORIZATION": "Bearer " + api_token_create(
        actor=None, crt=crt, user=user, name="Validation").secret}
    url, seen, types = "/fhir/R4/HealthcareService?_count=100", 0, set()
    while url:
        bundle = client.get(url, **headers).json()
        assert schema_errors(bundle) == []
        for entry in bundle["entry"]:
            assert all_errors(entry["resource"]) == [], entry["resource"]["id"]
            types.add(entry["resource"]["category"][0]["coding"][0]["code"])
            seen += 1
        url = next((link["url"] for link in bundle["link"] if link["relation"] == "next"), None)
    assert seen == bundle["total"] > 0
    assert "136" in types


def test_the_export_of_every_demo_crt_validates(demo_module, db):
    for crt in Crt.objects.all():
        bundle = ror.bundle(crt, RorOffer.objects.filter(crt=crt).offered())
        assert schema_errors(bundle) == []
        kinds = [e["resource"]["resourceType"] for e in bundle["entry"]]
        assert kinds.count("Organization") == 1 and "HealthcareService" in kinds, crt.name
        for entry in bundle["entry"]:
            assert all_errors(entry["resource"]) == [], (crt.name, entry["resource"]["id"])
