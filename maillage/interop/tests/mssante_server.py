"""A local MSSanté operator for the tests: aiosmtpd on 127.0.0.1 with STARTTLS required, a
server certificate from a trustme CA, and a client certificate required at the handshake
(as an operator does for applicative boxes). ``tls_files`` writes the CA, the server's and a
client's certificates; ``mssante_settings`` points Maillage at the server."""

from __future__ import annotations

import email
import io
import ssl
import zipfile
from dataclasses import dataclass
from pathlib import Path

import trustme
from aiosmtpd.controller import Controller

from maillage.core.tests.smtp import Recorder


@dataclass
class TlsFiles:
    ca: trustme.CA
    ca_file: Path
    client_file: Path  # the client's key and certificate chain, in one PEM file


def tls_files(tmp_path: Path) -> TlsFiles:
    ca = trustme.CA()
    ca_file = tmp_path / "ca.pem"
    ca.cert_pem.write_to_path(str(ca_file))
    client = ca.issue_cert("bal-applicative.crt-a.mssante.fr")
    client_file = tmp_path / "client.pem"
    client.private_key_and_cert_chain_pem.write_to_path(str(client_file))
    return TlsFiles(ca=ca, ca_file=ca_file, client_file=client_file)


class TlsSmtpServer:
    """STARTTLS required (or implicit TLS); the client must present a certificate signed by
    ``files.ca``."""

    def __init__(self, port: int, files: TlsFiles, *, implicit: bool = False):
        self.port = port
        self.recorder = Recorder()
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        files.ca.issue_cert("127.0.0.1", "localhost").configure_cert(context)
        files.ca.configure_trust(context)
        context.verify_mode = ssl.CERT_REQUIRED
        if implicit:  # TLS from the first byte (port 465 style)
            self._controller = Controller(self.recorder, hostname="127.0.0.1", port=port,
                                          ssl_context=context)
        else:
            self._controller = Controller(self.recorder, hostname="127.0.0.1", port=port,
                                          tls_context=context, require_starttls=True)

    @property
    def received(self) -> list[email.message.Message]:
        return self.recorder.received

    def __enter__(self):
        self._controller.start()
        return self

    def __exit__(self, *exc):
        self._controller.stop()


def attachments(message: email.message.Message) -> dict[str, bytes]:
    return {part.get_filename(): part.get_payload(decode=True)
            for part in message.walk() if part.get_filename()}


def unzip(data: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def use_operator(settings, files: TlsFiles, port: int) -> None:
    """Point Maillage's MSSanté settings at a ``TlsSmtpServer`` on ``port``."""
    settings.MSSANTE_HOST, settings.MSSANTE_PORT = "127.0.0.1", port
    settings.MSSANTE_SECURITY, settings.MSSANTE_TIMEOUT = "starttls", 5
    settings.MSSANTE_CA_FILE = str(files.ca_file)
    settings.MSSANTE_CERT_FILE, settings.MSSANTE_KEY_FILE = str(files.client_file), ""
    settings.MSSANTE_SENDER = "crt-a@crt-a.mssante.fr"
    settings.MSSANTE_NIL = "MAILLAGE-NIL-TEST"
