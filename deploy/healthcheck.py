"""Container health check: GET a path of the local Maillage server, exit 0 on HTTP 200.

``python deploy/healthcheck.py [/healthz|/readyz]``: the image's HEALTHCHECK (``/healthz``) and
the compose file's web health check (``/readyz``). Standard library only: the runtime image has
no curl. ``PORT`` (default 8000) is the port the server listens on.

In production Django answers only the hosts of ``ALLOWED_HOSTS`` and redirects plain HTTP to
HTTPS; the proxy in front of it terminates TLS and says so with ``X-Forwarded-Proto: https``. The
check therefore sends the first allowed host name and that header, as the proxy would.
"""

import os
import sys
import urllib.error
import urllib.request


def allowed_host() -> str:
    """The first concrete name of ``ALLOWED_HOSTS`` (``.example.org`` → ``example.org``)."""
    for host in os.environ.get("ALLOWED_HOSTS", "").split(","):
        host = host.strip().lstrip(".")
        if host and host != "*":
            return host
    return "localhost"


def check(path: str, port: int, timeout: float = 4.0) -> tuple[bool, str]:
    request = urllib.request.Request(  # noqa: S310 - a fixed http://127.0.0.1 URL
        f"http://127.0.0.1:{port}{path}",
        headers={"Host": allowed_host(), "X-Forwarded-Proto": "https"},
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310
            return response.status == 200, f"{path}: HTTP {response.status}"
    except urllib.error.HTTPError as error:
        return False, f"{path}: HTTP {error.code}"
    except OSError as error:
        return False, f"{path}: {error}"


def main(argv: list[str]) -> int:
    path = argv[1] if len(argv) > 1 else "/healthz"
    ok, message = check(path, int(os.environ.get("PORT", "8000")))
    print(message)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))
