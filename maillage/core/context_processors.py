from .navigation import navigation_for


def shell(request) -> dict:
    """What the base layout needs: navigation for the roles, the CRT and the CRT switcher."""
    roles = getattr(request, "roles", frozenset())
    crt = getattr(request, "crt", None)
    unread = 0
    if crt is not None and request.user.is_authenticated:
        from .notifications import unread_count

        unread = unread_count(user=request.user, crt=crt, roles=roles)
    return {
        "unread_notifications": unread,
        "nav_items": navigation_for(roles, request.path, user=request.user, crt=crt)
        if roles else [],
        "current_crt": getattr(request, "crt", None),
        "current_membership": getattr(request, "membership", None),
        "user_memberships": getattr(request, "memberships", []),
    }
