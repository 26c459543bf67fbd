"""Audit of authentication events.

Django and django-axes announce logins, logouts, failures and lockouts only through signals, so
this is where they are traced (no business logic here). Each event is written once per CRT the
user belongs to, so every CRT's auditor sees the logins of its own people.
"""

from axes.signals import user_locked_out
from django.contrib.auth import get_user_model
from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.dispatch import receiver

from . import audit, metrics
from .models import Membership


def _crts_of(user) -> list:
    if user is None:
        return []
    return [
        m.crt
        for m in Membership.objects.filter(user=user, is_active=True).select_related("crt")
    ]


def _log_for_each_crt(*, actor, subject, action: str, request, details: dict | None = None):
    token = audit.set_request_context(
        audit.RequestContext(
            ip_address=audit.client_ip(request) if request is not None else None,
            user_agent=request.headers.get("user-agent", "") if request is not None else "",
        )
    )
    try:
        crts = _crts_of(subject) or [None]
        for crt in crts:
            audit.audit_log(
                actor=actor,
                action=action,
                crt=crt,
                object_type="core.user" if subject else "",
                object_id=str(subject.public_id) if subject else "",
                object_label=subject.username if subject else "",
                details=details,
            )
    finally:
        audit.reset_request_context(token)


def _method_details(request) -> dict:
    """What a login method other than the password form left on the request for the audit
    (e.g. ``{"méthode": "Pro Santé Connect", "motif": …}``, set by ``interop.psc``)."""
    return dict(getattr(request, "login_audit_details", None) or {})


@receiver(user_logged_in)
def audit_login(sender, request, user, **kwargs):
    _log_for_each_crt(actor=user, subject=user, action="auth.login", request=request,
                      details=_method_details(request) or None)


@receiver(user_logged_out)
def audit_logout(sender, request, user, **kwargs):
    if user is not None:
        _log_for_each_crt(actor=user, subject=user, action="auth.logout", request=request)


def _user_named(username: str | None):
    if not username:
        return None
    return get_user_model().objects.filter(username=username).first()


@receiver(user_login_failed)
def audit_login_failed(sender, credentials, request=None, **kwargs):
    metrics.login_failed()
    username = (credentials or {}).get("username", "") or ""
    details = {"identifiant": username[:150]} if username else {}
    details.update(_method_details(request))
    _log_for_each_crt(
        actor=None,
        subject=getattr(request, "login_failure_subject", None) or _user_named(username),
        action="auth.login_failed",
        request=request,
        details=details or {"identifiant": ""},
    )


@receiver(user_locked_out)
def audit_locked_out(sender, request, username=None, ip_address=None, **kwargs):
    _log_for_each_crt(
        actor=None,
        subject=_user_named(username),
        action="auth.locked_out",
        request=request,
        details={"identifiant": (username or "")[:150]},
    )
