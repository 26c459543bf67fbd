"""HealthcareService in the FHIR API: the CRT's offer described for the ROR, read by the CRT
team (``directory.view``), never another CRT's; searchable by identifier, offer type and name;
the same serialiser as the ROR export (``test_ror_export.py``)."""

import pytest

from maillage.core.models import AuditEvent
from maillage.core.permissions import has_permission
from maillage.core.roles import Role
from maillage.interop import ror
from maillage.interop.models import RorOffer
from maillage.lodging.tests.factories import room
from maillage.oncall.tests.factories import arrangement
from maillage.territory.tests.factories import CommuneFactory

from .helpers import bearer, issue
from .ror_rules import all_errors, ext

SERVICES = "/fhir/R4/HealthcareService"


def offer(crt, kind=RorOffer.Kind.HOME_SUPPORT) -> RorOffer:
    return RorOffer.objects.get(crt=crt, kind=kind)


@pytest.fixture
def coordinator(users, crt_a):
    return bearer(users["coordinator"], crt_a)


@pytest.fixture
def offers(crt_a):
    CommuneFactory(crt=crt_a, insee_code="49331", postal_code="49500",
                   name="Segré-en-Anjou Bleu")
    arrangement(crt_a)
    room(crt_a)
    return offer(crt_a), offer(crt_a, RorOffer.Kind.EMERGENCY_ROOM)


def test_the_crt_team_reads_the_offer_as_the_export_writes_it(client, users, crt_a, offers):
    home, _ = offers
    for role in Role:
        response = client.get(f"{SERVICES}/{home.public_id}", **bearer(users[role.value], crt_a))
        if has_permission({role}, "directory.view"):
            assert response.status_code == 200, role
            assert response["Content-Type"].startswith("application/fhir+json")
            assert response["ETag"] == f'W/"{home.version}"'
            body = response.json()
            assert all_errors(body) == []
            assert body["category"][0]["coding"][0]["code"] == "136"
            assert body["name"] == "Accompagnement renforcé à domicile (volet 2) — CRT A"
            assert body["providedBy"]["identifier"]["value"] == f"1{crt_a.finess}"
            assert "reference" not in body["providedBy"]  # the carrier is no API resource
            assert ext(body, ror.IG + "ror-territorial-division")
            # The export's serialiser: the same resource but the in-Bundle references.
            f = ror.facts(crt_a, RorOffer.objects.filter(crt=crt_a).offered())
            exported = ror.healthcare_service(home, f, in_bundle=True)
            del exported["providedBy"]["reference"], exported["location"][0]["reference"]
            assert body == exported
        else:
            assert response.status_code == 403, role
            assert issue(response)["code"] == "forbidden"


def test_another_crt_reads_404_and_searches_its_own(client, crt_a, crt_b, user_b, offers):
    home, emergency = offers
    headers = bearer(user_b, crt_b)
    for other in offers:
        response = client.get(f"{SERVICES}/{other.public_id}", **headers)
        assert response.status_code == 404
        assert issue(response)["code"] == "not-found"
    bundle = client.get(SERVICES, **headers).json()
    assert [e["resource"]["id"] for e in bundle["entry"]] == [str(offer(crt_b).public_id)]
    assert "CRT A" not in str(bundle)


def test_search_lists_the_offers_the_crt_makes(client, crt_a, coordinator, offers):
    home, emergency = offers
    bundle = client.get(SERVICES, **coordinator).json()
    assert bundle["type"] == "searchset" and bundle["total"] == 2
    codes = {e["resource"]["category"][0]["coding"][0]["code"] for e in bundle["entry"]}
    assert codes == {"136", "258"}
    for entry in bundle["entry"]:
        assert all_errors(entry["resource"]) == []
        assert entry["fullUrl"].endswith(f"/fhir/R4/HealthcareService/{entry['resource']['id']}")


def test_without_an_emergency_room_there_is_one_offer(client, crt_a, coordinator):
    bundle = client.get(SERVICES, **coordinator).json()
    assert bundle["total"] == 1
    emergency = offer(crt_a, RorOffer.Kind.EMERGENCY_ROOM)
    assert client.get(f"{SERVICES}/{emergency.public_id}", **coordinator).status_code == 404


@pytest.mark.parametrize(("params", "expected"), [
    ({"service-category": f"{ror.CATEGORY}|136"}, {"136"}),
    ({"service-category": "258"}, {"258"}),
    ({"service-category": "136,258"}, {"136", "258"}),
    ({"service-category": "999"}, set()),
    ({"name": "chambre"}, {"258"}),
    ({"name": "domicile"}, {"136"}),
    ({"name": "CRT A"}, {"136", "258"}),
])
def test_search_parameters(client, crt_a, coordinator, offers, params, expected):
    bundle = client.get(SERVICES, params, **coordinator).json()
    assert {e["resource"]["category"][0]["coding"][0]["code"]
            for e in bundle.get("entry", [])} == expected


def test_search_by_identifier(client, crt_a, coordinator, offers):
    home, _ = offers
    for value in (f"urn:ietf:rfc:3986|urn:uuid:{home.public_id}", str(home.public_id)):
        bundle = client.get(SERVICES, {"identifier": value}, **coordinator).json()
        assert [e["resource"]["id"] for e in bundle["entry"]] == [str(home.public_id)]
        assert bundle["entry"][0]["resource"]["identifier"][0]["value"] == \
            f"urn:uuid:{home.public_id}"
    bundle = client.get(SERVICES, {"identifier": "https://example.org|x"}, **coordinator).json()
    assert bundle["total"] == 0


@pytest.mark.parametrize(("params", "named"), [
    ({"service-category": "https://example.org/types|136"}, "service-category"),
    ({"birthdate": "2020"}, "birthdate"),
    ({"name": ""}, "name"),
])
def test_bad_parameters_are_400_in_french_naming_the_parameter(client, crt_a, coordinator,
                                                                params, named):
    response = client.get(SERVICES, params, **coordinator)
    assert response.status_code == 400
    text = issue(response)["details"]["text"]
    assert named in text
    assert "Paramètre" in text


def test_reads_are_not_audited(client, crt_a, coordinator, offers):
    """The CRT's own offer holds no personal data: no « qui a consulté » entry."""
    before = AuditEvent.objects.count()
    client.get(SERVICES, **coordinator)
    client.get(f"{SERVICES}/{offers[0].public_id}", **coordinator)
    assert AuditEvent.objects.count() == before


def test_a_search_page_costs_a_bounded_number_of_queries(client, crt_a, coordinator, offers,
                                                         django_assert_max_num_queries):
    for n in range(30):
        CommuneFactory(crt=crt_a, insee_code=f"49{600 + n}")
    for _ in range(5):
        room(crt_a)
    with django_assert_max_num_queries(25):
        bundle = client.get(SERVICES, **coordinator).json()
    assert bundle["total"] == 2


def test_the_capability_statement_lists_the_type(client, db):
    statement = client.get("/fhir/R4/metadata").json()
    [service] = [r for r in statement["rest"][0]["resource"]
                 if r["type"] == "HealthcareService"]
    assert service["supportedProfile"] == [ror.PROFILE_SERVICE, ror.FR_CORE_SERVICE]
    assert [p["name"] for p in service["searchParam"]] == [
        "identifier", "service-category", "name", "_count"]
    assert "136" in service["documentation"]


def test_a_new_crt_has_its_offers(crt_b):
    assert set(RorOffer.objects.filter(crt=crt_b).values_list("kind", flat=True)) == {
        "home_support", "emergency_room"}
