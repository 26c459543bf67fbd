"""How a view declares who may reach it. Every view carries exactly one of these markers.

- ``@require(permission)``: a logged-in user with an active membership in the current CRT and a
  role holding ``permission`` (see ``permissions.MATRIX``).
- ``@login_only``: any logged-in user, even without membership (log out, change password,
  choose a CRT).
- ``@public``: anyone (login page, health check, public forms).
- ``@api(permission)``: a machine client (``Authorization: Bearer``, no session, no CSRF),
  authenticated by the API authenticator an app registers (``register_api_authenticator``),
  acting as the token's user in the token's CRT with that membership's roles, whose roles hold
  ``permission``; ``@api()`` without a permission: any authenticated client.
- ``@require_region(permission)``: a logged-in user with an active membership of the region
  named in the URL (``region``: its INSEE code; an ARS agent belongs to a region, not to a CRT),
  or with the ``ars`` role in a CRT of that region (that CRT's aggregates only), whose regional
  role (``REGION_ROLE``) holds ``permission``. Without a ``region`` parameter
  (the list of the user's regions): region members, and CRT members whose role holds it.

``CurrentCrtMiddleware`` refuses any view without a marker (deny by default).
"""

from collections.abc import Callable
from functools import wraps

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import ImproperlyConfigured, PermissionDenied
from django.db.models import Q
from django.http import Http404
from django.shortcuts import redirect, render

from maillage.core.collation import french

from .models import Membership, Region
from .permissions import Perm, has_permission
from .roles import Role

PERMISSION_ATTR = "maillage_permission"
LOGIN_ONLY_ATTR = "maillage_login_only"
PUBLIC_ATTR = "maillage_public"
API_ATTR = "maillage_api"


def _known(permission: str) -> Perm:
    try:
        return Perm(permission)
    except ValueError:
        raise ImproperlyConfigured(
            f"Unknown permission {permission!r}: add it to Perm and MATRIX."
        ) from None


def require(permission: str) -> Callable:
    permission = _known(permission)

    def decorator(view: Callable) -> Callable:
        @wraps(view)
        def wrapped(request, *args, **kwargs):
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            if request.membership is None:
                if request.memberships:
                    return redirect("core:crt_choose")
                if active_regions(request.user):
                    return redirect(REGIONAL_HOME)
                return render(request, "core/no_access.html", status=403)
            if not has_permission(request.roles, permission):
                raise PermissionDenied("Votre rôle ne permet pas d'accéder à cette page.")
            return view(request, *args, **kwargs)

        setattr(wrapped, PERMISSION_ATTR, permission)
        return wrapped

    return decorator


#: The role a region membership gives (the ARS: aggregates only, SPEC §3).
REGION_ROLE = Role.ARS
#: Where a user who belongs to regions only lands (the list of their regions).
REGIONAL_HOME = "regional:index"


def active_regions(user) -> list[Region]:
    """The regions ``user`` reads now, by name, in one query: those of their active region
    memberships (an ARS agent of the region: all its CRTs), and the region of each CRT where
    they hold the ``ars`` role in an active membership (that CRT's aggregates only: the CRTs
    shown are ``regional.access.crts_visible``'s)."""
    if not user.is_authenticated:
        return []
    crt_level = Membership.objects.filter(
        user=user, is_active=True, crt__is_active=True, roles__role=REGION_ROLE,
    ).values("crt__region")
    return list(Region.objects.filter(
        Q(memberships__user=user, memberships__is_active=True) | Q(pk__in=crt_level)
    ).distinct().order_by(french("name")))


def require_region(permission: str) -> Callable:
    """A regional page: the region named by ``region`` (its INSEE code) in the URL, for its
    members and for the ``ars`` role of one of its CRTs (``active_regions``). Someone else of
    a CRT of that region is refused (403); anyone else learns nothing of the region (404, as
    for another CRT's object)."""
    permission = _known(permission)

    def decorator(view: Callable) -> Callable:
        @wraps(view)
        def wrapped(request, *args, **kwargs):
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            regions = active_regions(request.user)
            request.regions = regions
            if not regions and not request.memberships:
                return render(request, "core/no_access.html", status=403)
            code = kwargs.get("region")
            if code is None:  # the list of the user's regions
                if regions and has_permission({REGION_ROLE}, permission):
                    return view(request, *args, **kwargs)
                if request.membership is not None and has_permission(request.roles, permission):
                    return view(request, *args, **kwargs)
                raise PermissionDenied("Votre rôle ne permet pas d'accéder à cette page.")
            region = next((r for r in regions if r.code == code), None)
            if region is not None and has_permission({REGION_ROLE}, permission):
                _set_region_context(request)
                kwargs["region"] = region
                return view(request, *args, **kwargs)
            region_id = Region.objects.filter(code=code).values_list("pk", flat=True).first()
            if region_id is not None and any(m.crt.region_id == region_id
                                             for m in request.memberships):
                raise PermissionDenied("Votre compte n'est pas rattaché à cette région.")
            raise Http404("Aucun élément ne correspond à cette adresse.")

        setattr(wrapped, PERMISSION_ATTR, permission)
        return wrapped

    return decorator


def _set_region_context(request) -> None:
    """The audit context of a regional page: the regional role, no current CRT (each event
    names the CRT it is about)."""
    from . import audit

    audit.set_request_context(audit.RequestContext(
        ip_address=audit.client_ip(request),
        user_agent=request.headers.get("user-agent", ""),
        roles=(str(REGION_ROLE),), crt=None))


#: Who authenticates API requests: ``fn(request) -> HttpResponse | None``, registered by the app
#: that owns the credentials (core knows no token model). It sets ``request.user``,
#: ``membership``, ``crt``, ``roles`` and ``api_authenticated`` or answers the refusal itself.
_api_authenticator: Callable | None = None


def register_api_authenticator(fn: Callable) -> None:
    global _api_authenticator
    _api_authenticator = fn


def authenticate_api(request):
    """Run the registered API authenticator; without one, nothing reaches an API view."""
    if _api_authenticator is None:
        raise PermissionDenied("Aucune authentification d'API n'est configurée.")
    return _api_authenticator(request)


def api(permission: str | None = None) -> Callable:
    """Mark an API view (see the module docstring). ``CurrentCrtMiddleware`` authenticates the
    request before the view; the wrapper checks the role. Refusals raise ``PermissionDenied``:
    the API's own error handler (outside this decorator) turns them into its format."""
    permission = _known(permission) if permission is not None else None

    def decorator(view: Callable) -> Callable:
        @wraps(view)
        def wrapped(request, *args, **kwargs):
            if not getattr(request, "api_authenticated", False):
                raise PermissionDenied("Requête d'API non authentifiée.")
            if permission is not None and not has_permission(request.roles, permission):
                raise PermissionDenied("Votre rôle ne permet pas d'accéder à cette ressource.")
            return view(request, *args, **kwargs)

        wrapped.csrf_exempt = True  # no session, no cookie: nothing to forge
        setattr(wrapped, API_ATTR, True)
        if permission is None:
            setattr(wrapped, LOGIN_ONLY_ATTR, True)
        else:
            setattr(wrapped, PERMISSION_ATTR, permission)
        return wrapped

    return decorator


def is_api(view: Callable) -> bool:
    """A machine endpoint (JSON, not a page): token views, and public ones such as FHIR
    ``metadata`` (``public_api``)."""
    return getattr(view, API_ATTR, False)


def public_api(view: Callable) -> Callable:
    """A public machine endpoint: anyone, no token (e.g. the FHIR CapabilityStatement)."""
    setattr(view, API_ATTR, True)
    return public(view)


def login_only(view: Callable) -> Callable:
    @wraps(view)
    def wrapped(request, *args, **kwargs):
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        return view(request, *args, **kwargs)

    setattr(wrapped, LOGIN_ONLY_ATTR, True)
    return wrapped


def public(view: Callable) -> Callable:
    setattr(view, PUBLIC_ATTR, True)
    return view


def declared_access(view: Callable) -> str | None:
    """The access a view declared: a permission name, 'login_only', 'public', or None."""
    if getattr(view, PUBLIC_ATTR, False):
        return "public"
    if getattr(view, LOGIN_ONLY_ATTR, False):
        return "login_only"
    return getattr(view, PERMISSION_ATTR, None)
