"""Messages to people outside the application (referrers, partners), through the durable
outbox (``maillage.core.outbox``): written in the caller's transaction, sent by the task queue
once it commits, retried while the mail server is down. A mail server failure never undoes what
was saved, and nothing is lost."""

from .models import OutboxMessage
from .outbox import outbox_add


def send_email(*, crt, to: str, subject: str, body: str) -> OutboxMessage | None:
    """Queue an e-mail in the current transaction (nothing is sent if it rolls back). Returns
    the outbox row, or None when there is no address."""
    if not to:
        return None
    return outbox_add(crt=crt, to=to, subject=subject, body=body)
