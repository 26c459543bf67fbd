"""How a view declares who may reach it. Every view carries exactly one of these markers.

- ``@require(permission)``: a logged-in user with an active membership in the current CRT and a
  role holding ``permission`` (see ``permissions.MATRIX``).
- ``@login_only``: any logged-in user, even without membership (log out, change password,
  choose a CRT).
- ``@public``: anyone (login page, health check, public forms).

``CurrentCrtMiddleware`` refuses any view without a marker (deny by default).
"""

from collections.abc import Callable
from functools import wraps

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import ImproperlyConfigured, PermissionDenied
from django.shortcuts import redirect, render

from .permissions import Perm, has_permission

PERMISSION_ATTR = "maillage_permission"
LOGIN_ONLY_ATTR = "maillage_login_only"
PUBLIC_ATTR = "maillage_public"


def require(permission: str) -> Callable:
    try:
        permission = Perm(permission)
    except ValueError:
        raise ImproperlyConfigured(
            f"Unknown permission {permission!r}: add it to Perm and MATRIX."
        ) from None

    def decorator(view: Callable) -> Callable:
        @wraps(view)
        def wrapped(request, *args, **kwargs):
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            if request.membership is None:
                if request.memberships:
                    return redirect("core:crt_choose")
                return render(request, "core/no_access.html", status=403)
            if not has_permission(request.roles, permission):
                raise PermissionDenied("Votre rôle ne permet pas d'accéder à cette page.")
            return view(request, *args, **kwargs)

        setattr(wrapped, PERMISSION_ATTR, permission)
        return wrapped

    return decorator


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
