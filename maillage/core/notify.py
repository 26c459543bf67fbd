"""Emails to people outside the application (referrers, partners). A mail server failure never
undoes what was saved: it is logged and the page goes on."""

import logging

from django.conf import settings
from django.core.mail import send_mail

logger = logging.getLogger(__name__)


def send_email(*, to: str, subject: str, body: str) -> bool:
    if not to:
        return False
    try:
        send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, [to])
    except Exception:  # noqa: BLE001 - any transport failure is logged, never fatal
        logger.exception("Email to %s failed", to)
        return False
    return True
