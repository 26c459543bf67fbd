"""Finding 1: a person's name printed inside a CSS string of the DLU PDF could close the string,
hide the page (allergies included) and make WeasyPrint fetch any URL (SSRF).

Now the identity form refuses control characters in names, every value printed in CSS is
escaped for CSS, and WeasyPrint only gets the app's own static files."""

import io
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest
from django.urls import reverse
from pypdf import PdfReader

from maillage.beneficiaries.models import Beneficiary, MedicalRecord
from maillage.beneficiaries.tests.factories import BeneficiaryFactory, consent, join_care_team
from maillage.core.tests.helpers import visible_text


class _Recorder(BaseHTTPRequestHandler):
    hits: list[str] = []

    def do_GET(self):  # noqa: N802 (http.server's naming)
        _Recorder.hits.append(self.path)
        self.send_response(200)
        self.send_header("Content-Type", "text/css")
        self.end_headers()
        self.wfile.write(b"body{display:none}")

    def log_message(self, *args):
        pass


@pytest.fixture
def listener():
    """A local HTTP server: any request it gets is an outbound fetch by the PDF renderer."""
    _Recorder.hits = []
    server = HTTPServer(("127.0.0.1", 0), _Recorder)
    # Polled every 50 ms for shutdown (0.5 s by default).
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}", _Recorder.hits
    server.shutdown()
    server.server_close()


def _payload(base: str) -> str:
    # A line break ends the CSS string of the footer; what follows becomes style rules (kept
    # within the 80 characters of the column, for PostgreSQL).
    payload = f"J\n}}}}body{{display:none}}html{{background:url({base}/b)}}\f\\'"
    assert len(payload) <= 80
    return payload


@pytest.fixture
def person(crt_a, users):
    b = BeneficiaryFactory(crt=crt_a, birth_name="HAMON", first_name="Jeanne",
                           first_names="Jeanne")
    MedicalRecord.objects.filter(beneficiary=b).update(
        allergies="Pénicilline (œdème de Quincke)")
    consent(b, share_health=True)
    join_care_team(b, users["nurse"])
    return b


def _pdf_text(content: bytes) -> str:
    reader = PdfReader(io.BytesIO(content))
    # Some fonts come out as UTF-16 code units from pypdf: drop the NULs it leaves.
    return " ".join(" ".join(page.extract_text().replace("\x00", "").split())
                    for page in reader.pages)


def test_identity_form_refuses_control_characters_in_names(client_for, person, listener):
    base, _ = listener
    client = client_for("coordinator")
    response = client.post(
        reverse("beneficiaries:identity_edit", kwargs={"public_id": person.public_id}),
        {"birth_name": "HAMON", "used_first_name": _payload(base),
         "first_names": "Jeanne", "first_name": "Jeanne\u2028",
         "birth_date": "1938-05-12", "sex": "F", "birth_place_code": "49331",
         "identity_status": "PROV", "address": "3 rue des Lilas",
         "commune": str(person.commune.public_id), "version": person.version},
    )
    assert response.status_code == 400
    assert "caractères de contrôle" in visible_text(response)
    person.refresh_from_db()
    assert person.used_first_name == ""
    assert person.first_name == "Jeanne"


@pytest.mark.parametrize("view", ["dlu_pdf", "fiche_aller"])
def test_forced_name_neither_hides_the_allergies_nor_fetches_urls(
        client_for, person, listener, users, view):
    base, hits = listener
    # Forced into the database (an import, an old row): the PDF must still be safe.
    Beneficiary.objects.filter(pk=person.pk).update(used_first_name=_payload(base))
    client = client_for("nurse")
    if view == "dlu_pdf":
        url = reverse("oncall:dlu_pdf", kwargs={"public_id": person.public_id})
    else:
        from maillage.oncall.tests import factories as oncall

        call = oncall.call(person.crt, users["nurse"], person, assessment="Chute")
        url = reverse("oncall:fiche_aller", kwargs={"call_id": call.public_id})
    response = client.get(url)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert hits == []  # no outbound fetch
    text = _pdf_text(response.content)
    # (The control characters of the name make pypdf misread the "œ" of this font subset.)
    assert "ALLERGIES" in text and "Pénicilline (" in text and "dème de Quincke)" in text


def test_care_plan_pdf_footer_is_escaped_too(client_for, person, listener, users):
    from maillage.care.tests import factories as care

    base, hits = listener
    version = care.filled(care.plan_version(person, situation_summary="Vit seule à Candé."),
                          users["care_aide"])
    Beneficiary.objects.filter(pk=person.pk).update(used_first_name=_payload(base))
    response = client_for("nurse").get(reverse(
        "care:plan_pdf", kwargs={"public_id": person.public_id, "number": version.number}))
    assert response.status_code == 200
    assert hits == []
    text = _pdf_text(response.content)
    assert "Vit seule à Candé." in text and "Passage du soir" in text


@pytest.mark.parametrize("url", [
    "http://127.0.0.1:9/x.css", "https://example.org/x.png", "file:///etc/passwd",
    "ftp://example.org/x", "https://maillage.invalid/static/../../settings.py",
    "https://maillage.invalid/static/%2e%2e/%2e%2e/pyproject.toml",
    "https://maillage.invalid/media/x.pdf",
])
def test_url_fetcher_refuses_everything_but_static_files(url):
    from maillage.core.pdf import StaticOnlyURLFetcher

    with pytest.raises(ValueError):
        StaticOnlyURLFetcher().fetch(url)


def test_url_fetcher_serves_the_apps_static_files():
    from maillage.core.pdf import StaticOnlyURLFetcher

    response = StaticOnlyURLFetcher().fetch(
        "https://maillage.invalid/static/maillage/js/app.js")
    assert response.read()


def test_no_autoescape_off_in_any_template():
    from pathlib import Path

    root = Path(__file__).resolve().parents[2] / "maillage"
    offenders = [str(p) for p in root.rglob("*.html") if "autoescape off" in p.read_text()]
    assert offenders == []


def test_every_value_printed_in_css_goes_through_css_string():
    import re
    from pathlib import Path

    root = Path(__file__).resolve().parents[2] / "maillage"
    offenders = []
    for path in root.rglob("*.html"):
        text = path.read_text()
        for block in re.findall(r"<style[^>]*>(.*?)</style>", text, re.S | re.I):
            offenders += [(path.name, v) for v in re.findall(r"{{(.*?)}}", block)
                          if not re.search(r"\|css_string\s*$", v.strip())]
        offenders += [(path.name, a) for a in re.findall(r'style="[^"]*{[{%][^"]*"', text)]
    assert offenders == []


@pytest.mark.parametrize("char", ["\n", "\r", "\t", "\f", "\x00", "\x1b", "\x7f", "\x85",
                                  "\u2028", "\u2029", "\u202e", "\u200b"])
def test_names_refuse_every_control_character(char):
    from maillage.core.validators import has_control_characters

    assert has_control_characters(f"Jean{char}ne")
    assert has_control_characters(f"Jean{char}ne", multiline=True) == (char not in "\n\r\t")
    assert not has_control_characters("Anne-Sophie d’Aubigné Œlberg")


def test_css_string_escapes_everything_that_could_end_the_string():
    from maillage.core.templatetags.escaping import escape_css_string

    escaped = escape_css_string("A\"'\n\f\\<}{;é—")
    assert escaped == "A\\000022\\000027\\00000A\\00000C\\00005C\\00003C\\00007D\\00007B;é—"
