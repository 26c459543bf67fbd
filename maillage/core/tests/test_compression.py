"""Pages travel compressed: HTML gzip-encoded by Django's GZipMiddleware when the browser
accepts it; the on-call screen's first load on a phone stays under 150 KB."""

import gzip
import re

from django.conf import settings
from django.urls import reverse

GZIP = {"HTTP_ACCEPT_ENCODING": "gzip, deflate, br"}


def _body(response) -> bytes:
    if response.streaming:
        return b"".join(response.streaming_content)
    return response.content


def test_html_is_gzip_encoded_when_the_browser_accepts_it(client, users):
    client.force_login(users["coordinator"])
    response = client.get(reverse("core:home"), **GZIP)
    assert response.status_code == 200
    assert response["Content-Encoding"] == "gzip"
    assert "Accept-Encoding" in response["Vary"]
    html = gzip.decompress(response.content).decode()
    assert "<title>" in html and "</html>" in html
    assert len(response.content) * 3 < len(html.encode())
    # A client that does not say it accepts gzip gets the page as is.
    plain = client.get(reverse("core:home"))
    assert not plain.has_header("Content-Encoding")
    assert "</html>" in plain.content.decode()


def test_gzip_sits_below_security_and_whitenoise_and_above_the_rest():
    middleware = settings.MIDDLEWARE
    gzip_at = middleware.index("django.middleware.gzip.GZipMiddleware")
    # Above it: the request id / access log (reads only the status), security, static files.
    assert middleware[:gzip_at] == ["maillage.core.observability.RequestContextMiddleware",
                                    "django.middleware.security.SecurityMiddleware",
                                    "whitenoise.middleware.WhiteNoiseMiddleware"]


def _transferred(client, url: str) -> int:
    """Bytes on the wire for ``url`` fetched by a browser accepting gzip. Static files are
    compressed ahead of time in production (WhiteNoise's CompressedManifest storage writes a
    ``.gz`` beside each file and serves it); outside production WhiteNoise serves the source
    file, so its gzip size is measured here the same way."""
    response = client.get(url, **GZIP)
    assert response.status_code == 200, url
    body = _body(response)
    if response.get("Content-Encoding") == "gzip":
        return len(body)
    return len(gzip.compress(body, compresslevel=9))


def test_on_call_screen_first_load_on_a_phone_is_under_150_kb(client, users):
    client.force_login(users["nurse"])
    page = client.get(reverse("oncall:screen"), HTTP_USER_AGENT="Mozilla/5.0 (Linux; Android "
                      "14) Mobile Safari/537.36", **GZIP)
    assert page.status_code == 200
    assert page["Content-Encoding"] == "gzip"
    html = gzip.decompress(page.content).decode()
    assets = (re.findall(r'<link[^>]+rel="stylesheet"[^>]+href="([^"]+)"', html)
              + re.findall(r'<script[^>]+src="([^"]+)"', html))
    assert any(a.endswith(".css") for a in assets) and any(a.endswith(".js") for a in assets)
    total = len(page.content) + sum(_transferred(client, url) for url in assets)
    assert total < 150 * 1024, f"{total} octets"
    print(f"on-call screen first load: {total} bytes gzip ({len(assets)} assets)")
