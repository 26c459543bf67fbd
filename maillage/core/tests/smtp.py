"""A real SMTP server on a free local port (aiosmtpd), for the outbox tests."""

from __future__ import annotations

import asyncio
import email
import socket
import threading

from aiosmtpd.controller import Controller


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Recorder:
    """Keeps every message accepted. ``slow_first_ehlo`` seconds: the first client waits that
    long for the answer to EHLO (before any mail is given), so a test can kill it mid-task."""

    def __init__(self, slow_first_ehlo: float = 0):
        self.received: list[email.message.Message] = []
        self.slow_first_ehlo = slow_first_ehlo
        self.ehlo_started = threading.Event()

    async def handle_EHLO(self, server, session, envelope, hostname, responses):  # noqa: N802
        session.host_name = hostname
        if not self.ehlo_started.is_set():
            self.ehlo_started.set()
            if self.slow_first_ehlo:
                await asyncio.sleep(self.slow_first_ehlo)
        return responses

    async def handle_DATA(self, server, session, envelope):  # noqa: N802
        self.received.append(email.message_from_bytes(envelope.content))
        return "250 Message accepted for delivery"


class SmtpServer:
    def __init__(self, port: int, recorder: Recorder | None = None):
        self.port = port
        self.recorder = recorder or Recorder()
        self._controller = Controller(self.recorder, hostname="127.0.0.1", port=port)

    @property
    def received(self):
        return self.recorder.received

    def __enter__(self):
        self._controller.start()
        return self

    def __exit__(self, *exc):
        self._controller.stop()
