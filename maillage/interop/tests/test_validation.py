"""Every Patient the API serves validates offline: R4 JSON schema, the FR Core rules Maillage
relies on (one row per rule), the FR Core invariants in FHIRPath (INTEROP.md §2.3)."""

import copy

import pytest

from maillage.beneficiaries.identity import IdentityStatus, InsOid
from maillage.beneficiaries.tests.factories import BeneficiaryFactory
from maillage.interop.fhir.patient import serialize

from . import fhir_rules as fr
from .helpers import bearer, issue


def _qual(crt, **fields):
    return BeneficiaryFactory(crt=crt, **{
        "ins_matricule": "235034933100136", "ins_oid": InsOid.TEST_NIR,
        "identity_status": IdentityStatus.QUAL, "used_name": "DURAND",
        "used_first_name": "Jeannette", "phone": "02 41 00 00 00",
        "email": "jeanne@example.org", **fields})


def test_metadata_and_errors_validate(client, users, crt_a):
    assert fr.schema_errors(client.get("/fhir/R4/metadata").json()) == []
    response = client.get("/fhir/R4/Patient", {"gender": "x"}, **bearer(users["nurse"], crt_a))
    issue(response)
    assert fr.schema_errors(response.json()) == []


@pytest.mark.parametrize("status", list(IdentityStatus))
def test_the_ins_travels_only_for_a_qualified_identity(crt_a, status):
    p = serialize(_qual(crt_a, identity_status=status))
    systems = {i["system"] for i in p["identifier"]}
    assert ("urn:oid:1.2.250.1.213.1.4.10" in systems) == (status == IdentityStatus.QUAL)
    assert (p["meta"]["profile"] == [fr.PROFILE_INS]) == (status == IdentityStatus.QUAL)
    assert fr.schema_errors(p) == [] and fr.fr_core_errors(p) == []


def _drop_ext(url):
    def mutate(p):
        p["extension"] = [e for e in p["extension"] if e["url"] != url]
    return mutate


def _set(path, value):
    def mutate(p):
        target = p
        for key in path[:-1]:
            target = target[key]
        target[path[-1]] = value
    return mutate


RELIABILITY = fr.FR + "StructureDefinition/fr-core-identity-reliability"
BIRTH_PLACE = "http://hl7.org/fhir/StructureDefinition/patient-birthPlace"
#: One row per rule: a crafted break of a good qualified Patient that only this rule catches.
BROKEN = [
    (fr.rule_profile, _set(["meta", "profile"], [fr.PROFILE])),
    (fr.rule_ins_only_in_ins_profile, _set(["meta", "profile"], [fr.PROFILE])),
    (fr.rule_ins_slices, _set(["identifier", 0, "system"], "urn:oid:1.2.250.1.213.1.4.8")),
    (fr.rule_ins_slices, _set(["identifier", 0, "use"], "usual")),
    (fr.rule_identifier, _set(["identifier"], [])),
    (fr.rule_gender, _set(["gender"], "other")),
    (fr.rule_birth_date, lambda p: p.pop("birthDate")),
    (fr.rule_identity_reliability, _drop_ext(RELIABILITY)),
    (fr.rule_identity_reliability,
     _set(["extension", 0, "extension", 0, "valueCoding", "code"], "DOUT")),
    (fr.rule_birth_place, _drop_ext(BIRTH_PLACE)),
    (fr.rule_birth_place, _set(["extension", 1, "valueAddress", "extension"], [])),
    (fr.rule_official_name, _set(["name", 0, "given"], ["Jeanne", "Marie"])),
    (fr.rule_official_name, _set(["name", 0, "extension"], [])),
]


@pytest.mark.parametrize("rule, fsh", fr.RULES, ids=lambda x: getattr(x, "__name__", x))
def test_each_rule_holds_on_a_good_patient(crt_a, rule, fsh):
    assert fsh.startswith("input/fsh/")
    assert rule(serialize(_qual(crt_a)))
    assert rule(serialize(BeneficiaryFactory(crt=crt_a)))  # a provisional identity


@pytest.mark.parametrize("rule, mutate", BROKEN, ids=lambda x: getattr(x, "__name__", ""))
def test_each_rule_catches_its_break(crt_a, rule, mutate):
    bad = copy.deepcopy(serialize(_qual(crt_a)))
    mutate(bad)
    assert not rule(bad)
    assert rule in {r for r, _ in fr.RULES}


def test_every_rule_has_a_break():
    assert {r for r, _ in fr.RULES} == {r for r, _ in BROKEN}


class TestInvariants:
    def _vali(self, crt):
        p = serialize(_qual(crt))
        p["extension"][0]["extension"][0]["valueCoding"]["code"] = "VALI"
        return p

    def test_good(self, crt_a):
        assert fr.invariant(serialize(_qual(crt_a)), "fr-core-1") == [True]
        assert fr.invariant(self._vali(crt_a), "fr-core-1") == [True]
        assert fr.invariant(self._vali(crt_a), "fr-core-2") == [True]

    def test_vali_without_ins_breaks_fr_core_1(self, crt_a):
        p = self._vali(crt_a)
        p["identifier"] = [i for i in p["identifier"] if not i["system"].startswith("urn:oid")]
        assert fr.invariant(p, "fr-core-1") == [False]

    def test_vali_with_two_official_identifiers_breaks_fr_core_2(self, crt_a):
        p = self._vali(crt_a)
        p["identifier"].append({**p["identifier"][0], "value": "182052B02000457"})
        p["identifier"][-1]["system"] = "urn:oid:1.2.250.1.213.1.4.11"
        assert fr.invariant(p, "fr-core-2") == [False]
