"""Every Patient of the demo that the demo coordinator may read validates offline (R4 schema,
FR Core rules, and the invariants on those claiming fr-core-patient-ins)."""

from maillage.core.middleware import active_memberships
from maillage.core.models import User
from maillage.interop.services import api_token_create

from . import fhir_rules as fr


class TestDemo:
    def test_every_patient_the_demo_coordinator_reads_validates(self, demo_module, client, db):
        user = User.objects.get(username="coordinator")
        crt = active_memberships(user)[0].crt
        headers = {"HTTP_AUTHORIZATION": "Bearer " + api_token_create(
            actor=None, crt=crt, user=user, name="Validation").secret}
        url, patients, profiles = "/fhir/R4/Patient?_count=100", 0, set()
        while url:
            bundle = client.get(url, **headers).json()
            assert fr.schema_errors(bundle) == []
            for entry in bundle["entry"]:
                p = entry["resource"]
                assert fr.schema_errors(p) == [], p["id"]
                assert fr.fr_core_errors(p) == [], p["id"]
                if fr.PROFILE_INS in p["meta"]["profile"]:  # the invariants' profile
                    assert fr.invariant(p, "fr-core-1") == [True], p["id"]
                    assert fr.invariant(p, "fr-core-2") == [True], p["id"]
                profiles |= set(p["meta"]["profile"])
                patients += 1
            url = next((link["url"] for link in bundle["link"] if link["relation"] == "next"),
                       None)
        assert patients == bundle["total"] > 20
        assert profiles == {fr.PROFILE, fr.PROFILE_INS}  # both kinds are exercised


def test_every_organization_of_the_demo_directory_validates(demo_module, client, db):
    user = User.objects.get(username="coordinator")
    crt = active_memberships(user)[0].crt
    headers = {"HTTP_AUTHORIZATION": "Bearer " + api_token_create(
        actor=None, crt=crt, user=user, name="Validation").secret}
    url, seen = "/fhir/R4/Organization?_count=100", 0
    while url:
        bundle = client.get(url, **headers).json()
        assert fr.schema_errors(bundle) == []
        for entry in bundle["entry"]:
            assert fr.schema_errors(entry["resource"]) == [], entry["resource"]["id"]
            seen += 1
        url = next((link["url"] for link in bundle["link"] if link["relation"] == "next"), None)
    assert seen == bundle["total"] > 0
