"""The Annuaire Santé FHIR API v2 client, against recorded answers served by a local HTTP
server (never the network). The bundles under ``data/fhir/`` are built from the ANS IG
examples (ansforge/IG-fhir-annuaire ``input/fsh/examples/DP/``: ``pp19dp-practitioner``,
``pp19dp-practitioner-role-sal``, ``pp19dp-organization-eg-ch``, ``pp19dp-organization-ej-cab``)
moved to Segré (49) and given Luhn-valid RPPS, FINESS and SIRET (the IG's RPPS
« 10003461033 » has no valid key)."""

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from django.urls import reverse

from maillage.core.tests.helpers import visible_text
from maillage.territory import annuaire_api, services
from maillage.territory.models import AnnuaireImport, Organization, Professional
from maillage.territory.tasks import annuaire_monthly

from .annuaire_sample import rpps
from .factories import CommuneFactory, ProfessionalFactory

FIXTURES = Path(__file__).parent / "data" / "fhir"
KEY = "cle-de-test"


class Server:
    """Serves the recorded bundles; the first PractitionerRole search answers 503 once."""

    def __init__(self):
        self.requests: list[tuple[str, dict, str]] = []
        self.failures = {"PractitionerRole": 1}
        self.transform = lambda text: text  # a recorded answer changed by a test
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_GET(self):
                url = urlsplit(self.path)
                query = parse_qs(url.query)
                resource = url.path.rsplit("/", 1)[-1]
                server.requests.append((resource, query, self.headers.get("ESANTE-API-KEY")))
                if self.headers.get("ESANTE-API-KEY") != KEY:
                    return self._answer(401, {"resourceType": "OperationOutcome"})
                if server.failures.get(resource):
                    server.failures[resource] -= 1
                    return self._answer(503, {"resourceType": "OperationOutcome"})
                if resource == "Organization":
                    page = "2" if query.get("_page") == ["2"] else "1"
                    return self._fixture(f"organization_page{page}.json")
                if resource == "PractitionerRole":
                    return self._fixture("practitionerrole_page1.json")
                return self._answer(404, {"resourceType": "OperationOutcome"})

            def _fixture(self, name):
                text = server.transform(
                    (FIXTURES / name).read_text().replace("{base}", server.base_url))
                self._answer(200, json.loads(text))

            def _answer(self, status, body):
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/fhir+json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.base_url = f"http://127.0.0.1:{self.httpd.server_port}/fhir/v2"
        # Polled every 50 ms for shutdown (0.5 s by default: half a second per test).
        threading.Thread(target=self.httpd.serve_forever, args=(0.05,), daemon=True).start()

    def client(self, key: str = KEY) -> annuaire_api.Client:
        return annuaire_api.Client(base_url=self.base_url, api_key=key, pause=0.01)


@pytest.fixture
def server():
    s = Server()
    yield s
    s.httpd.shutdown()
    s.httpd.server_close()


@pytest.fixture
def segre(crt_a):
    return CommuneFactory(crt=crt_a, insee_code="49331", name="Segré-en-Anjou Bleu")


def test_search_follows_next_with_the_key_and_retries(server):
    orgs = list(server.client().search("Organization", {"address-postalcode": "49"}))
    assert [o["name"] for o in orgs] == ["CH EURE-SEINE", "CABINET SAINT ANTOINE"]
    roles = list(server.client().search("PractitionerRole", {"organization": "x"}))
    assert len(roles) == 4  # after one 503, retried
    assert {key for _, _, key in server.requests} == {KEY}
    assert [r for r, _, _ in server.requests] == ["Organization", "Organization",
                                                  "PractitionerRole", "PractitionerRole"]


def test_wrong_key_is_a_french_error(server):
    with pytest.raises(annuaire_api.AnnuaireApiError,
                       match="L'Annuaire Santé a répondu 401 à la recherche."):
        list(server.client("mauvaise").search("Organization", {}))


def test_a_next_link_elsewhere_is_not_followed(server):
    client = server.client()
    with pytest.raises(annuaire_api.AnnuaireApiError, match="Adresse inattendue"):
        client.get("https://ailleurs.example.org/fhir/v2/Organization")


def test_import_from_the_api_with_review(client, users, crt_a, segre, server):
    gone = ProfessionalFactory(crt=crt_a, rpps=rpps(22), last_name="MARTEL")
    record = services.annuaire_import_from_api(actor=None, crt=crt_a, client=server.client())
    assert record.counts["professional_new"] == 1
    assert record.counts["professional_closed"] == 1  # active=false in the Annuaire
    assert record.counts["organization_new"] == 1
    query = next(q for r, q, _ in server.requests if r == "PractitionerRole")
    assert query["_include"] == ["PractitionerRole:practitioner"]
    assert query["organization"] == ["Organization/158480DP,Organization/548812DP"]

    client.force_login(users["coordinator"])
    url = reverse("territory:annuaire_import_review", args=[record.public_id])
    text = visible_text(client.get(url))
    assert f"Nouveau professionnel Arthur Saucier — RPPS {rpps(21)} (Médecin)" in text
    assert "structure : CH EURE-SEINE" in text
    assert "Nouvelle structure CH EURE-SEINE nom : CH EURE-SEINE FINESS : 490003001" in text
    assert "Professionnel à désactiver" in text and "ligne" not in text.split("Détail")[-1]
    client.post(reverse("territory:annuaire_import_apply", args=[record.public_id]),
                {"version": record.version})
    saucier = Professional.objects.get(crt=crt_a, rpps=rpps(21))
    assert saucier.organization.kind == Organization.Kind.HOSPITAL
    assert saucier.organization.commune == segre
    assert saucier.organization.phone == "04 50 63 63 63"
    gone.refresh_from_db()
    assert gone.is_active is False
    again = services.annuaire_import_from_api(actor=None, crt=crt_a, client=server.client())
    assert again.changes == []


def test_control_characters_are_dropped_and_a_missing_text_is_empty(crt_a, segre, server):
    """A NUL in a name (PostgreSQL cannot store it: the monthly import failed every month) or
    a bidirectional mark is dropped; a null where a text is due is an empty text, not a
    crash."""
    server.transform = lambda text: (
        text.replace('"Saucier"', '"Sau\\u0000cier\\u202e"')
        .replace('"CH EURE-SEINE"', '"CH EURE\\u200b-SEINE"')
        .replace('"city": "SEGRE-EN-ANJOU BLEU"', '"city": null'))
    record = services.annuaire_import_from_api(actor=None, crt=crt_a, client=server.client())
    names = {(c.get("label") or "") for c in record.changes}
    assert any("Saucier" in n for n in names), names
    assert not any("\x00" in n or "\u202e" in n for n in names)
    services.annuaire_import_apply(actor=None, record=record, version=record.version)
    saucier = Professional.objects.get(crt=crt_a, rpps=rpps(21))
    assert saucier.last_name == "Saucier"
    assert saucier.organization.name == "CH EURE-SEINE"
    assert saucier.organization.commune == segre  # by its INSEE code, the city left empty


def test_monthly_task_needs_a_key(crt_a, segre, settings):
    settings.ESANTE_API_KEY = ""
    assert annuaire_monthly.call_local() == 0
    assert not AnnuaireImport.objects.exists()


def test_monthly_task_leaves_the_changes_for_review(crt_a, segre, server, settings):
    settings.ESANTE_API_KEY = KEY
    settings.ESANTE_API_URL = server.base_url
    assert annuaire_monthly.call_local() == 1
    record = AnnuaireImport.objects.get(crt=crt_a)
    assert record.status == AnnuaireImport.Status.PENDING
    assert not Professional.objects.exists()
