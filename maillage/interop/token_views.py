"""The coordinator's API token page: list, create (the secret shown once), revoke."""

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_POST

from maillage.core.access import require
from maillage.core.errors import DomainError
from maillage.core.selectors import team_members

from .access import tokens_visible
from .services import MAX_DAYS, api_token_create, api_token_revoke

#: Where a new token waits, in the session, for the next page to show it once.
NEW_TOKEN_SESSION_KEY = "maillage_new_api_token"  # noqa: S105 - a session key


@require("team.manage")
@require_GET
def tokens(request: HttpRequest) -> HttpResponse:
    rows = (tokens_visible(crt=request.crt, roles=request.roles)
            .select_related("user", "created_by"))
    return render(request, "interop/tokens.html", {
        "tokens": rows, "members": team_members(crt=request.crt), "max_days": MAX_DAYS,
        "new_token": request.session.pop(NEW_TOKEN_SESSION_KEY, None),
    })


@require("team.manage")
@require_POST
def token_create(request: HttpRequest) -> HttpResponse:
    member = next((m for m in team_members(crt=request.crt)
                   if str(m.public_id) == request.POST.get("member")), None)
    try:
        days = int(request.POST.get("days") or 365)
    except ValueError:
        days = 0
    try:
        if member is None:
            raise DomainError("Choisissez le compte que le logiciel utilisera.")
        created = api_token_create(actor=request.user, crt=request.crt, user=member.user,
                                   name=request.POST.get("name", ""), days=days)
    except DomainError as error:
        messages.error(request, error.message)
        return redirect("api_tokens:list")
    request.session[NEW_TOKEN_SESSION_KEY] = {
        "name": created.token.name, "secret": created.secret,
        "user": member.user.get_full_name() or member.user.username,
    }
    return redirect("api_tokens:list")


@require("team.manage")
@require_POST
def token_revoke(request: HttpRequest, prefix: str) -> HttpResponse:
    token = tokens_visible(crt=request.crt, roles=request.roles).filter(prefix=prefix).first()
    if token is None:
        raise Http404("Aucun jeton ne correspond.")
    try:
        api_token_revoke(actor=request.user, token=token)
        messages.success(request, f"Le jeton {token.prefix}… est révoqué.")
    except DomainError as error:
        messages.error(request, error.message)
    return redirect("api_tokens:list")
