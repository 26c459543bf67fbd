"""Finding 13: a file that was both a PDF and an HTML page or a ZIP archive (a polyglot) was
accepted, as only its first bytes were checked. Uploads are now judged on their structure
(PDF readable by pypdf and ending with %%EOF, PNG chunks up to IEND, JPEG segments up to EOI),
polyglots are refused, and every stored file is served as an attachment, under a safe name,
with ``X-Content-Type-Options: nosniff``."""

import io
import zipfile

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image

from maillage.beneficiaries.models import Document
from maillage.beneficiaries.tests.factories import PDF, shared_file
from maillage.care.models import Message
from maillage.core.tests.helpers import visible_text


def _zip() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("index.html", "<h1>hello</h1>")
    return buffer.getvalue()


def _image(fmt: str) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (32, 16), (200, 30, 30)).save(buffer, fmt)
    return buffer.getvalue()


HTML = b"<html><body><script>alert(document.cookie)</script></body></html>"
PDF_BODY, PDF_END = PDF[: PDF.rindex(b"%%EOF")], b"%%EOF\n"

POLYGLOTS = {
    # HTML in a PDF comment: still a valid PDF, and a web page for a sniffing browser.
    "pdf+html": PDF_BODY + b"%" + HTML + b"\n" + PDF_END,
    "pdf+html (uppercase, spaced)": PDF_BODY + b"% < SCRIPT >x</script>\n" + PDF_END,
    # A ZIP appended to a PDF: readers of both formats open it.
    "pdf+zip appended": PDF + _zip(),
    # A ZIP hidden before %%EOF.
    "pdf+zip inside": PDF_BODY + b"%" + _zip() + b"\n" + PDF_END,
    "png+html": _image("PNG") + HTML,
    "png+zip": _image("PNG") + _zip(),
    "jpeg+zip": _image("JPEG") + _zip(),
    "jpeg+html": _image("JPEG")[:-2] + HTML + b"\xff\xd9",
}
BROKEN = {
    "pdf header only": b"%PDF-1.7\nnothing here\n%%EOF\n",
    "pdf without end": PDF[:-6],
    "png truncated": _image("PNG")[:40],
    "jpeg truncated": _image("JPEG")[:60],
}


def _doc_upload(client, b, content, name="ordonnance.pdf"):
    return client.post(reverse("beneficiaries:document_add", kwargs={"public_id": b.public_id}),
                       {"title": "Ordonnance", "category": "medical",
                        "document_date": "2025-03-01", "file": SimpleUploadedFile(name, content)})


def _attachment_upload(client, b, content, name="ordonnance.pdf"):
    return client.post(reverse("care:conversation", kwargs={"public_id": b.public_id,
                                                            "kind": "equipe"}),
                       {"text": "Voir pièce jointe",
                        "attachment": SimpleUploadedFile(name, content)})


@pytest.fixture
def b(crt_a, users):
    return shared_file(crt_a, users["doctor"])


@pytest.mark.parametrize("name", sorted(POLYGLOTS))
def test_polyglot_documents_refused(client_for, b, name):
    response = _doc_upload(client_for("doctor"), b, POLYGLOTS[name])
    assert response.status_code == 400
    assert "contient aussi une page web ou une archive" in visible_text(response)
    assert not Document.objects.exists()


@pytest.mark.parametrize("name", sorted(BROKEN))
def test_broken_files_refused(client_for, b, name):
    response = _doc_upload(client_for("doctor"), b, BROKEN[name])
    assert response.status_code == 400
    assert "illisible ou endommagé" in visible_text(response)
    assert not Document.objects.exists()


@pytest.mark.parametrize("name", ["pdf+html", "pdf+zip appended", "png+html", "jpeg+zip"])
def test_polyglot_attachments_refused(client_for, b, name):
    response = _attachment_upload(client_for("doctor"), b, POLYGLOTS[name])
    assert response.status_code == 400
    assert "contient aussi une page web ou une archive" in visible_text(response)
    assert not Message.objects.exists()


@pytest.mark.parametrize(("content", "content_type", "extension"), [
    (PDF, "application/pdf", ".pdf"), (_image("PNG"), "image/png", ".png"),
    (_image("JPEG"), "image/jpeg", ".jpg"),
], ids=["pdf", "png", "jpeg"])
def test_real_files_accepted_and_served_as_safe_attachments(client_for, b, content,
                                                            content_type, extension):
    client = client_for("doctor")
    response = _doc_upload(client, b, content, name='ordo"<script>x.html')
    assert response.status_code == 302
    doc = Document.objects.get()
    assert doc.content_type == content_type
    download = client.get(reverse("beneficiaries:document_download",
                                  kwargs={"public_id": b.public_id, "item_id": doc.public_id}))
    assert download.status_code == 200
    assert b"".join(download.streaming_content) == content
    assert download["Content-Type"] == content_type
    assert download["X-Content-Type-Options"] == "nosniff"
    assert download["Content-Disposition"] == f'attachment; filename="ordo script x{extension}"'


def test_attachment_download_headers(client_for, b):
    client = client_for("doctor")
    assert _attachment_upload(client, b, PDF, name="compte rendu.pdf").status_code == 302
    message = Message.objects.get()
    download = client.get(reverse("care:message_attachment",
                                  kwargs={"public_id": b.public_id, "item_id": message.public_id}))
    assert download.status_code == 200
    assert download["Content-Disposition"] == 'attachment; filename="compte rendu.pdf"'
    assert download["X-Content-Type-Options"] == "nosniff"
