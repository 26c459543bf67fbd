"""A real IMAP server on a free local port (pymap, in-memory mailboxes) with STARTTLS from a
test certificate authority (trustme), for the MSSanté mailbox tests.

``deliver(raw)`` puts a message in the mailbox the way a mail operator would (IMAP APPEND);
``flags()`` tells what the application left read or unread."""

from __future__ import annotations

import imaplib
import shutil
import ssl
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from .smtp import free_port

USER = "crt@crt-test.mssante.fr"
PASSWORD = "secret-imap"


class ImapServer:
    def __init__(self):
        import trustme

        self.port = free_port()
        self.dir = Path(tempfile.mkdtemp(prefix="imap-"))
        ca = trustme.CA()
        cert = ca.issue_cert("127.0.0.1", "localhost")
        cert.private_key_pem.write_to_path(str(self.dir / "key.pem"))
        cert.cert_chain_pems[0].write_to_path(str(self.dir / "cert.pem"))
        ca.cert_pem.write_to_path(str(self.dir / "ca.pem"))
        self.ca_file = str(self.dir / "ca.pem")
        self._process: subprocess.Popen | None = None

    def settings(self) -> dict:
        """The application's settings that point the MSSanté mailbox at this server."""
        return {"MSSANTE_IMAP_HOST": "127.0.0.1", "MSSANTE_IMAP_PORT": self.port,
                "MSSANTE_IMAP_SECURITY": "starttls", "MSSANTE_IMAP_USER": USER,
                "MSSANTE_IMAP_PASSWORD": PASSWORD, "MSSANTE_IMAP_CA_FILE": self.ca_file,
                "MSSANTE_IMAP_FOLDER": "INBOX"}

    def __enter__(self):
        pymap = Path(sys.executable).with_name("pymap")
        self._process = subprocess.Popen(  # noqa: S603 - our own test server's fixed argv
            [str(pymap), "--host", "127.0.0.1", "--port", str(self.port),
             "--cert", str(self.dir / "cert.pem"), "--key", str(self.dir / "key.pem"),
             "dict", "--demo-user", USER, "--demo-password", PASSWORD],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 20
        while True:
            try:
                imaplib.IMAP4("127.0.0.1", self.port, timeout=2).logout()
                return self
            except OSError:
                if time.monotonic() > deadline or self._process.poll() is not None:
                    self.__exit__()
                    raise RuntimeError("le serveur IMAP de test n'a pas démarré") from None
                time.sleep(0.1)

    def __exit__(self, *exc):
        if self._process is not None:
            self._process.terminate()
            try:
                self._process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self._process.kill()
        shutil.rmtree(self.dir, ignore_errors=True)

    def _client(self) -> imaplib.IMAP4:
        client = imaplib.IMAP4("127.0.0.1", self.port, timeout=10)
        client.starttls(ssl_context=ssl.create_default_context(cafile=self.ca_file))
        client.login(USER, PASSWORD)
        return client

    def deliver(self, raw: bytes) -> None:
        client = self._client()
        try:
            typ, _ = client.append("INBOX", None, None, raw)
            assert typ == "OK"
        finally:
            client.logout()

    def clear(self) -> None:
        """Empty the inbox (between tests sharing the server)."""
        client = self._client()
        try:
            client.select("INBOX")
            _, data = client.search(None, "ALL")
            for num in (data[0] or b"").split():
                client.store(num, "+FLAGS", "(\\Deleted)")
            client.expunge()
        finally:
            client.logout()

    def flags(self) -> list[bool]:
        """For each message of the inbox, in order: was it read (``\\Seen``)?"""
        client = self._client()
        try:
            client.select("INBOX", readonly=True)
            _, data = client.search(None, "ALL")
            seen = []
            for num in (data[0] or b"").split():
                _, parts = client.fetch(num, "(FLAGS)")
                seen.append(b"\\Seen" in parts[0])
            return seen
        finally:
            client.logout()
