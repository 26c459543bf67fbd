from .navigation import navigation_for


def shell(request) -> dict:
    """What the base layout needs: navigation for the roles, the CRT and the CRT switcher."""
    roles = getattr(request, "roles", frozenset())
    return {
        "nav_items": navigation_for(roles, request.path) if roles else [],
        "current_crt": getattr(request, "crt", None),
        "current_membership": getattr(request, "membership", None),
        "user_memberships": getattr(request, "memberships", []),
    }
