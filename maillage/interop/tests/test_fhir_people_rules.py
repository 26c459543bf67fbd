"""The FR Core rules of ``people_rules`` hold on what the serialisers write, and each one
catches a crafted break of a good resource (one row per break); the R4 Consent invariants too."""

import copy
from datetime import date

import pytest
from django.utils import timezone

from maillage.beneficiaries.models import Consent
from maillage.beneficiaries.tests.factories import BeneficiaryFactory, CaregiverFactory, consent
from maillage.interop.fhir import consent as consent_fhir
from maillage.interop.fhir import practitioner, practitioner_role, related_person
from maillage.territory.tests.factories import OrganizationFactory, ProfessionalFactory

from . import people_rules as rules


def _related(crt):
    b = BeneficiaryFactory(crt=crt, trusted_person_name="Paul Morin",
                           trusted_person_relation="fils", trusted_person_phone="06 00 00 00 09",
                           trusted_person_designated_on=date(2024, 1, 5))
    c = CaregiverFactory(crt=crt, beneficiary=b, relation="épouse", phone="06 00 00 00 01",
                         email="a@example.fr")
    return [related_person.serialize(c), related_person.serialize(related_person.TrustedPerson(b))]


def _practitioner(crt):
    pro = ProfessionalFactory(crt=crt, profession="gp", rpps="10100000017",
                              mssante_email="a.b@medecin.mssante.fr", email="a@example.fr",
                              organization=OrganizationFactory(crt=crt))
    return [practitioner.serialize(pro), practitioner_role.serialize(pro)]


def _consent(crt):
    b = BeneficiaryFactory(crt=crt)
    return [consent_fhir.serialize(c) for c in (
        consent(b, kind=Consent.Kind.PARTNER_SHARING, organization=OrganizationFactory(crt=crt)),
        consent(b, granted=False, withdrawn_at=timezone.now()),
        consent(b, kind=Consent.Kind.CONTRACT))]


def good(crt, type_):
    made = _related(crt) + _practitioner(crt) + _consent(crt)
    return [r for r in made if r["resourceType"] == type_]


def _set(path, value):
    def mutate(r):
        target = r
        for key in path[:-1]:
            target = target[key]
        target[path[-1]] = value
    return mutate


IDNAT, RPPS = ["identifier", 0], ["identifier", 1]
#: (type, rule, a break of the good resource that this rule catches)
BROKEN = [
    ("RelatedPerson", rules.rule_related_profile, _set(["meta", "profile"], [])),
    ("RelatedPerson", rules.rule_related_identifier, _set(["identifier"], [])),
    ("RelatedPerson", rules.rule_related_identifier,
     lambda r: r["identifier"].append(dict(r["identifier"][0]))),
    ("RelatedPerson", rules.rule_related_patient, _set(["patient", "reference"], "Group/1")),
    ("RelatedPerson", rules.rule_related_role,  # QUAL: the retired trusted-person code
     _set(["relationship", 0, "coding", 0, "code"], "QUAL")),
    ("RelatedPerson", rules.rule_related_role,
     lambda r: r["relationship"].append(copy.deepcopy(r["relationship"][0]))),
    ("RelatedPerson", rules.rule_related_relation_type,
     _set(["relationship", 1, "coding", 0, "code"], "COUSIN")),
    ("RelatedPerson", rules.rule_contact_points, _set(["telecom", 0, "value"], "")),
    ("Practitioner", rules.rule_practitioner_profile, _set(["meta", "profile"], [])),
    ("Practitioner", rules.rule_idnatps, _set([*IDNAT, "value"], "10100000017")),
    ("Practitioner", rules.rule_idnatps,
     _set([*IDNAT, "type", "coding", 0, "code"], "RPPS")),
    ("Practitioner", rules.rule_rpps, _set([*RPPS, "value"], "810100000017")),
    ("Practitioner", rules.rule_rpps, _set([*RPPS, "value"], "10100000018")),  # ≠ idNatPs
    ("Practitioner", rules.rule_exercice_pro,  # aide-soignant: retired in 2024
     _set(["qualification", 0, "code", "coding", 0, "code"], "35")),
    ("Practitioner", rules.rule_contact_points,  # the MSSanté type on a phone
     lambda r: r["telecom"].append({**r["telecom"][0], "system": "phone"})),
    ("PractitionerRole", rules.rule_role_profile, _set(["meta", "profile"], [])),
    ("PractitionerRole", rules.rule_role_references,
     _set(["practitioner", "reference"], "Patient/1")),
    ("PractitionerRole", rules.rule_role_references,
     _set(["organization", "reference"], "Location/1")),
    ("Consent", rules.rule_consent_profile, _set(["meta", "profile"], [])),
    ("Consent", rules.rule_consent_references, _set(["patient", "reference"], "Group/1")),
    ("Consent", rules.rule_consent_references, _set(["performer"], [{"reference": "Group/1"}])),
]


@pytest.mark.parametrize("type_", ["RelatedPerson", "Practitioner", "PractitionerRole",
                                   "Consent"])
def test_each_rule_holds_on_good_resources(crt_a, type_):
    resources = good(crt_a, type_)
    assert resources
    for r in resources:
        assert rules.schema_errors(r) == [], r
        assert rules.fr_core_errors(r) == [], r
    for _, fsh in rules.RULES[type_]:
        assert fsh.startswith("input/fsh/")


@pytest.mark.parametrize("type_, rule, mutate", BROKEN,
                         ids=lambda x: getattr(x, "__name__", x if isinstance(x, str) else ""))
def test_each_rule_catches_its_break(crt_a, type_, rule, mutate):
    bad = copy.deepcopy(good(crt_a, type_)[0])
    assert rule(bad)
    mutate(bad)
    assert not rule(bad)
    assert rule in {r for r, _ in rules.RULES[type_]}


def test_every_rule_has_a_break():
    assert {r for rows in rules.RULES.values() for r, _ in rows} == {r for _, r, _ in BROKEN}


class TestConsentInvariants:
    def test_good(self, crt_a):
        for r in good(crt_a, "Consent"):
            for name in rules.CONSENT_INVARIANTS:
                assert rules.consent_invariant(r, name) == [True], (name, r)

    def test_no_policy_breaks_ppc_1(self, crt_a):
        r = good(crt_a, "Consent")[0]
        del r["policyRule"]
        assert rules.consent_invariant(r, "ppc-1") == [False]

    def test_a_privacy_consent_without_patient_breaks_ppc_2(self, crt_a):
        # R4 writes the scope system 'something' in ppc-2..5: crafted as written.
        r = good(crt_a, "Consent")[0]
        del r["patient"]
        r["scope"]["coding"][0]["system"] = "something"
        assert rules.consent_invariant(r, "ppc-2") == [False]
