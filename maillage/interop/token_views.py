"""The coordinator's API token page: list, create (the secret shown once), revoke."""

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_POST

from maillage.core.access import require
from maillage.core.errors import DomainError

from .access import tokens_visible
from .forms import ApiTokenForm
from .services import api_token_create, api_token_revoke, token_accounts

#: Where a new token waits, in the session, for the next page to show it once.
NEW_TOKEN_SESSION_KEY = "maillage_new_api_token"  # noqa: S105 - a session key


def _page(request: HttpRequest, form: ApiTokenForm, *, status: int = 200) -> HttpResponse:
    rows = (tokens_visible(crt=request.crt, roles=request.roles)
            .select_related("user", "created_by"))
    return render(request, "interop/tokens.html", {
        "tokens": rows, "form": form,
        "new_token": request.session.pop(NEW_TOKEN_SESSION_KEY, None),
    }, status=status)


@require("team.manage")
@require_GET
def tokens(request: HttpRequest) -> HttpResponse:
    return _page(request, ApiTokenForm(members=token_accounts(actor=request.user, crt=request.crt)))


@require("team.manage")
@require_POST
def token_create(request: HttpRequest) -> HttpResponse:
    """The form's errors next to their field (400), nothing created; else the secret waits in
    the session for the list to show it once."""
    form = ApiTokenForm(request.POST, members=token_accounts(actor=request.user, crt=request.crt))
    if form.is_valid():
        member = form.members[form.cleaned_data["member"]]
        try:
            created = api_token_create(
                actor=request.user, crt=request.crt, user=member.user,
                name=form.cleaned_data["name"], days=form.cleaned_data["days"])
        except DomainError as error:
            form.add_domain_error(error)
        else:
            request.session[NEW_TOKEN_SESSION_KEY] = {
                "name": created.token.name, "secret": created.secret,
                "user": member.user.get_full_name() or member.user.username,
            }
            return redirect("api_tokens:list")
    return _page(request, form, status=400)


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
