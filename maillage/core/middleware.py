"""Resolve the current CRT and roles of the request; refuse views that declare no access; keep
the session alive while it is used."""

import time

from django.contrib.sessions.backends.base import UpdateError
from django.contrib.sessions.exceptions import SessionInterrupted
from django.contrib.sessions.middleware import SessionMiddleware as DjangoSessionMiddleware
from django.core.exceptions import PermissionDenied
from django.http import QueryDict

from . import audit
from .access import authenticate_api, declared_access, is_api
from .error_pages import is_database_unavailable
from .models import Membership, MembershipRole

SESSION_KEY = "maillage_crt"


def has_access(user) -> bool:
    """What a password login would open: an active membership with a role in an active CRT
    (``active_memberships``), or a region's view. Pro Santé Connect and the password links
    ask it too."""
    from .models import RegionMembership

    return bool(active_memberships(user)) or RegionMembership.objects.filter(
        user=user, is_active=True).exists()


def active_memberships(user) -> list[Membership]:
    """The user's active memberships (active CRT, at least one role), each with ``role_codes``.

    One query: roles joined to their membership and CRT.
    """
    rows = (
        MembershipRole.objects.filter(
            membership__user=user, membership__is_active=True, membership__crt__is_active=True
        )
        .select_related("membership__crt")
        .order_by("membership__crt__name", "role")
    )
    by_id: dict[int, Membership] = {}
    roles: dict[int, set[str]] = {}
    for row in rows:
        by_id.setdefault(row.membership_id, row.membership)
        roles.setdefault(row.membership_id, set()).add(row.role)
    for membership in by_id.values():
        membership.role_codes = frozenset(roles[membership.pk])
    return list(by_id.values())


class CurrentCrtMiddleware:
    """Sets ``request.memberships``, ``request.membership``, ``request.crt``, ``request.roles``.

    A user reaches a CRT only through an active membership; with several, the one chosen in the
    session (explicit switch); with exactly one, that one.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.memberships = []
        request.membership = None
        request.crt = None
        request.roles = frozenset()
        token = audit.set_request_context(None)
        try:
            return self.get_response(request)
        finally:
            audit.reset_request_context(token)

    def process_view(self, request, view_func, view_args, view_kwargs):
        access = declared_access(view_func)
        if access is None:
            raise PermissionDenied("Cette page ne déclare aucune permission : accès refusé.")
        if access != "public" and is_api(view_func):
            # A machine client: its bearer token, never the session (the authenticator sets
            # the user, membership, CRT, roles and the audit context, or answers the refusal).
            return authenticate_api(request)
        user = request.user
        if access == "public" or not user.is_authenticated:
            return None
        request.memberships = active_memberships(user)
        chosen = request.session.get(SESSION_KEY)
        current = next(
            (m for m in request.memberships if str(m.crt.public_id) == chosen), None
        )
        if current is None and len(request.memberships) == 1:
            current = request.memberships[0]
        if current is not None:
            request.membership = current
            request.crt = current.crt
            request.roles = current.role_codes
        audit.set_request_context(
            audit.RequestContext(
                ip_address=audit.client_ip(request),
                user_agent=request.headers.get("user-agent", ""),
                roles=tuple(sorted(request.roles)),
                crt=request.crt,
            )
        )
        return None


#: The session key of the time (epoch seconds) the session's expiry was last pushed back.
SESSION_REFRESHED_KEY = "maillage_refreshed"
#: At most one session write per this many seconds of activity.
SESSION_REFRESH_SECONDS = 60


class SessionMiddleware(DjangoSessionMiddleware):
    """Django's, except that a database outage while the session is saved after the view is
    the outage it is (``handler500``: the French 503), not an interrupted session.

    Django's database backend turns any ``DatabaseError`` of that save into ``UpdateError``, which
    the middleware turns into ``SessionInterrupted`` (answered 400, as for a session deleted by a
    logout in another tab). The database's own error is kept as the context of ``UpdateError``:
    a connection lost or refused is raised again; a session really deleted stays a 400
    (``400.html``)."""

    def process_response(self, request, response):
        try:
            return super().process_response(request, response)
        except SessionInterrupted as interrupted:
            update = interrupted.__context__
            cause = update.__context__ if isinstance(update, UpdateError) else None
            if is_database_unavailable(cause):
                raise cause from None
            raise


class SessionRefreshMiddleware:
    """The idle timeout: a session ends ``SESSION_COOKIE_AGE`` (30 min) after its last write.
    Each request of a signed-in user pushes it back, but the session row is rewritten at most
    once a minute (instead of on every request, 3 queries): the timeout is 29 to 30 minutes of
    inactivity. Placed just inside ``SessionMiddleware``, which saves a modified session."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        session = getattr(request, "session", None)
        if session is not None and session.session_key and not session.is_empty():
            now = int(time.time())
            if now - session.get(SESSION_REFRESHED_KEY, 0) >= SESSION_REFRESH_SECONDS:
                session[SESSION_REFRESHED_KEY] = now  # modified: saved with a new expiry
        return response


class NulFreeQueryMiddleware:
    """The query string's NUL characters dropped before any view reads ``request.GET``. No one
    types one, and PostgreSQL's text cannot hold one: a search for « a%00b » failed there with
    a ``DataError`` (a 500; SQLite takes it). Forms refuse a NUL next to their field (Django's
    ``CharField``); a search box, a filter or a page number read from the address has no field
    to say it in, and the search without the NUL is the one meant."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        query = request.META.get("QUERY_STRING", "")
        if "%00" in query or "\x00" in query:
            clean = QueryDict(mutable=True)
            for key, values in request.GET.lists():
                clean.setlist(key.replace("\x00", ""), [v.replace("\x00", "") for v in values])
            clean._mutable = False
            request.GET = clean
        return self.get_response(request)
