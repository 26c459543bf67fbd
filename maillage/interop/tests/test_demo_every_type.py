"""Issue 15's « done means »: the demo answers every resource type the API serves with at least
one resource (tokens of the demo coordinator and doctor together), valid against the R4 schema,
and a read gives what the search gave. Every page of every type is walked and validated by the
type's own demo test (``test_validation_demo*.py``, ``test_fhir_*_demo.py``); this one holds
the registry to it: a type added without demo data fails here."""

import pytest

from maillage.core.middleware import active_memberships
from maillage.core.models import User
from maillage.core.permissions import has_permission
from maillage.interop.fhir.registry import RESOURCES
from maillage.interop.services import api_token_create

from . import fhir_rules as fr


@pytest.fixture(scope="module")
def readers(demo_module, django_db_blocker):
    with django_db_blocker.unblock():
        headers = []
        for username in ("coordinator", "doctor"):
            user = User.objects.get(username=username)
            crt = active_memberships(user)[0].crt
            secret = api_token_create(actor=None, crt=crt, user=user, name="Démo").secret
            headers.append((active_memberships(user)[0].role_codes,
                            {"HTTP_AUTHORIZATION": f"Bearer {secret}"}))
        return headers


def _first_page(client, headers, url):
    response = client.get(url, **headers)
    assert response.status_code == 200, (url, response.content[:300])
    bundle = response.json()
    assert fr.schema_errors(bundle) == [], url  # the Bundle whole; its resources one by one below
    return [entry["resource"] for entry in bundle.get("entry", [])]


# A type only read by id (Binary: the file of a DocumentReference) has no search to walk; its
# demo test reads it through the DocumentReferences (``test_fhir_binary.py``).
@pytest.mark.parametrize("resource_type", sorted(t for t, rt in RESOURCES.items()
                                                 if rt.searchable))
def test_the_demo_answers_every_type_and_each_resource_validates(resource_type, readers,
                                                                 client, db):
    seen = {}
    for roles, headers in readers:
        if not has_permission(roles, RESOURCES[resource_type].permission):
            continue  # health data: the doctor's token reads them, not the coordinator's
        for resource in _first_page(client, headers, f"/fhir/R4/{resource_type}?_count=100"):
            assert resource["resourceType"] == resource_type
            assert fr.schema_errors(resource) == [], (resource_type, resource["id"])
            seen[resource["id"]] = (resource, headers)
    assert seen, f"la démonstration ne donne aucune ressource {resource_type}"
    # A read gives what the search gave (same serialiser, same policy).
    resource, headers = next(iter(seen.values()))
    read = client.get(f"/fhir/R4/{resource_type}/{resource['id']}", **headers)
    assert read.status_code == 200 and read.json() == resource
