"""Bearer tokens for the tests, made through the service as the console would."""

from maillage.interop.services import api_token_create


def bearer(user, crt, *, days: int = 30) -> dict:
    """The headers of a client holding a fresh token of ``user`` in ``crt``."""
    created = api_token_create(actor=None, crt=crt, user=user, name="Test", days=days)
    return {"HTTP_AUTHORIZATION": f"Bearer {created.secret}"}


def issue(response) -> dict:
    """The first issue of the OperationOutcome the API answered."""
    assert response["Content-Type"].startswith("application/fhir+json"), response.content
    body = response.json()
    assert body["resourceType"] == "OperationOutcome", body
    return body["issue"][0]
