"""Views of the core app: health check, accounts, CRT switch, home pages, team, audit trail."""

import uuid
from datetime import datetime, timedelta

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse, reverse_lazy
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.module_loading import import_string
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from . import audit, selectors, services
from . import home as home_registry
from .access import login_only, public, require
from .audit import audit_log
from .csvexport import csv_streaming_response
from .discovery import app_modules
from .errors import DomainError
from .forms import (
    AUDIT_EXPORT_FIELDS,
    AuditFilterForm,
    LoginForm,
    MemberInviteForm,
    MemberRolesForm,
    PasswordSetForm,
)
from .forms_util import run_form
from .middleware import SESSION_KEY
from .models import Membership
from .permissions import can_manage_member, grantable_roles, has_permission
from .ratelimit import allow
from .roles import Role
from .tenancy import get_for_crt


@public
@require_GET
def healthz(request: HttpRequest) -> HttpResponse:
    """Liveness: the process answers (nothing else is checked: a database outage must not get
    every web worker restarted; that is what ``readyz`` tells)."""
    return JsonResponse({"status": "ok"})


@public
@require_GET
@never_cache
def readyz(request: HttpRequest) -> HttpResponse:
    """Readiness: the database, the cache and the task queue answer. 503 while one does not;
    200 again as soon as it is back, without restarting anything."""
    checks = selectors.readiness()
    ready = all(state == "ok" for state in checks.values())
    return JsonResponse({"status": "ok" if ready else "indisponible", **checks},
                        status=200 if ready else 503)


class LoginView(auth_views.LoginView):
    authentication_form = LoginForm
    template_name = "registration/login.html"
    redirect_authenticated_user = True

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        # « Se connecter avec Pro Santé Connect », once PSC is configured (docs/psc.md).
        context["psc_enabled"] = getattr(settings, "PSC_ENABLED", False)
        return context


class LogoutView(auth_views.LogoutView):
    """Ends the Maillage session, then the one at the identity provider the person logged in
    with, if any: ``OIDC_OP_LOGOUT_URL_METHOD`` (Pro Santé Connect's end-session URL, or None)
    is asked before the session, which holds the ID token, is flushed."""

    def post(self, request, *args, **kwargs):
        provider_logout = None
        method = getattr(settings, "OIDC_OP_LOGOUT_URL_METHOD", "")
        if method and request.user.is_authenticated:
            provider_logout = import_string(method)(request)
        # What ends with the session in each app (the offline day's device keys), before the
        # session that names them is flushed.
        for module in app_modules("session_end"):
            module.on_logout(request)
        response = super().post(request, *args, **kwargs)
        if provider_logout:
            response = HttpResponseRedirect(provider_logout)
        # The browser forgets what this origin stored (the offline day, its service worker,
        # cached pages): the next person on this device finds nothing.
        response["Clear-Site-Data"] = '"cache", "storage"'
        return response


login_view = public(LoginView.as_view())
logout_view = login_only(LogoutView.as_view())


class PasswordChangeView(auth_views.PasswordChangeView):
    template_name = "registration/password_change.html"
    success_url = reverse_lazy("core:password_change_done")

    def get_form(self, form_class=None):
        form = super().get_form(form_class)
        labels = {
            "old_password": "Mot de passe actuel",
            "new_password1": "Nouveau mot de passe",
            "new_password2": "Nouveau mot de passe (confirmation)",
        }
        for name, label in labels.items():
            form.fields[name].label = label
            form.fields[name].widget.attrs["class"] = "form-control"
        return form

    def form_valid(self, form):
        response = super().form_valid(form)
        audit_log(actor=self.request.user, action="auth.password_changed", obj=self.request.user)
        return response


password_change_view = login_only(PasswordChangeView.as_view())
password_change_done_view = login_only(
    auth_views.PasswordChangeDoneView.as_view(template_name="registration/password_change_done.html")
)


@login_only
@require_http_methods(["GET", "POST"])
def crt_choose(request: HttpRequest) -> HttpResponse:
    """The explicit CRT switch for users with several memberships."""
    error = None
    if request.method == "POST":
        wanted = request.POST.get("crt", "")
        chosen = next((m for m in request.memberships if str(m.crt.public_id) == wanted), None)
        if chosen is None:
            error = "Ce CRT est inconnu ou vous n'en êtes pas membre."
        else:
            request.session[SESSION_KEY] = str(chosen.crt.public_id)
            audit_log(actor=request.user, action="crt.switched", crt=chosen.crt, obj=chosen.crt)
            messages.success(request, f"Vous travaillez maintenant pour : {chosen.crt.name}.")
            # Back to the page the switch was asked from (a search's hint), this site only.
            back = request.POST.get("next", "")
            if back.startswith("/") and url_has_allowed_host_and_scheme(
                    back, allowed_hosts={request.get_host()},
                    require_https=request.is_secure()):
                return redirect(back)
            return redirect("core:home")
    status = 404 if error else 200
    if not request.memberships:
        return render(request, "core/no_access.html", status=403)
    return render(request, "core/crt_choose.html", {"error": error}, status=status)


@require("home.view")
@require_GET
def home(request: HttpRequest) -> HttpResponse:
    """The panels the apps contribute for this user's roles (``maillage.core.home``), or the
    page an app puts in their place (the portal, for a beneficiary or a caregiver)."""
    crt, roles = request.crt, request.roles
    override = home_registry.override_for(roles)
    if override is not None:
        return override(request)
    shown = home_registry.panels_for(crt=crt, user=request.user, roles=roles)
    return render(request, "core/home.html", {
        "crt": crt,
        "today": timezone.localdate(),
        "lead": shown[home_registry.LEAD],
        "figures": shown[home_registry.FIGURES],
        "sections": shown[home_registry.MAIN],
        "role_labels": [Role(r).label for r in sorted(roles)],
    })


@require("team.view")
@require_GET
def team(request: HttpRequest) -> HttpResponse:
    can_manage = has_permission(request.roles, "team.manage")
    members = selectors.team_members(crt=request.crt)
    former = selectors.team_members(crt=request.crt, active=False) if can_manage else []
    for m in members + former:
        m.is_self = m.user_id == request.user.pk
        m.manageable = can_manage and not m.is_self and can_manage_member(request.roles,
                                                                          m.role_codes)
    return render(request, "core/team.html", {
        "members": members,
        "former": former,
        "can_manage": can_manage,
        "new_link": pop_password_link(request),
    })


# --- Team administration ---------------------------------------------------------------------

#: Where a freshly made password link waits, in the session, to be shown once.
PASSWORD_LINK_SESSION_KEY = "maillage_password_link"  # noqa: S105 - a session key


def keep_password_link(request: HttpRequest, *, user, path: str, emailed: bool) -> None:
    """Keep a new password link for the next page to show it, once (then it is forgotten)."""
    request.session[PASSWORD_LINK_SESSION_KEY] = {
        "name": user.get_full_name() or user.username,
        "username": user.username,
        "url": request.build_absolute_uri(path),
        "email": user.email if emailed else "",
        "validity": services.link_validity(),
    }


def pop_password_link(request: HttpRequest) -> dict | None:
    return request.session.pop(PASSWORD_LINK_SESSION_KEY, None)


def _base_url(request: HttpRequest) -> str:
    return request.build_absolute_uri("/")


def _member(request: HttpRequest, public_id, *, manage: bool = True) -> Membership:
    """A team-page membership of the current CRT (404 otherwise) that the user may manage
    (403 otherwise: a coordinator does not manage the direction, nobody manages themselves
    from here)."""
    membership = get_for_crt(selectors.team_memberships(crt=request.crt), request.crt,
                             public_id)
    if manage:
        held = set(membership.roles.values_list("role", flat=True))
        if not can_manage_member(request.roles, held):
            raise PermissionDenied("Seule la direction peut gérer l'accès de cette personne.")
    return membership


@require("team.manage")
@require_http_methods(["GET", "POST"])
def member_add(request: HttpRequest) -> HttpResponse:
    form = MemberInviteForm(request.POST or None, grantable=grantable_roles(request.roles))

    def save(data):
        return services.member_invite(
            actor=request.user, crt=request.crt, username=data["username"],
            first_name=data["first_name"], last_name=data["last_name"], email=data["email"],
            phone=data["phone"], title=data["title"], roles=data["roles"],
            base_url=_base_url(request), psc_identifier=data["psc_identifier"])

    def done(result):
        user, path = result
        keep_password_link(request, user=user, path=path, emailed=bool(user.email))
        messages.success(request, f"{user.get_full_name()} fait maintenant partie de l'équipe.")
        return redirect("core:team")

    return run_form(request, form, save, template="core/form_page.html", on_success=done,
                    context={"title": "Ajouter une personne", "back_url": reverse("core:team"),
                             "back_label": "Équipe", "submit_label": "Ajouter",
                             "intro": "La personne choisira son mot de passe avec un lien à "
                                      "usage unique, affiché une seule fois après l'ajout "
                                      "(et envoyé par courriel si vous indiquez son adresse). "
                                      "Les accès au portail des bénéficiaires et des aidants "
                                      "se donnent depuis leur dossier."})


@require("team.manage")
@require_http_methods(["GET", "POST"])
def member_edit(request: HttpRequest, public_id) -> HttpResponse:
    membership = _member(request, public_id)
    if membership.user_id == request.user.pk:
        raise PermissionDenied("Vous ne pouvez pas modifier vos propres rôles.")
    held = sorted(membership.roles.values_list("role", flat=True))
    form = MemberRolesForm(request.POST or None, grantable=grantable_roles(request.roles),
                           initial={"title": membership.title, "roles": held,
                                    "psc_identifier": membership.user.psc_identifier,
                                    "version": membership.version})

    def save(data):
        return services.member_update_roles(actor=request.user, membership=membership,
                                            roles=data["roles"], title=data["title"],
                                            psc_identifier=data["psc_identifier"],
                                            version=data["version"])

    def done(result):
        messages.success(request, f"Les rôles de {_name(membership)} sont enregistrés.")
        return redirect("core:team")

    return run_form(request, form, save, template="core/form_page.html", on_success=done,
                    context={"title": f"Rôles de {_name(membership)}",
                             "back_url": reverse("core:team"), "back_label": "Équipe"})


def _name(membership: Membership) -> str:
    return membership.user.get_full_name() or membership.user.username


def _member_action(request: HttpRequest, public_id, action) -> HttpResponse:
    membership = _member(request, public_id)
    try:
        message = action(membership)
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, message)
    return redirect("core:team")


@require("team.manage")
@require_POST
def member_deactivate(request: HttpRequest, public_id) -> HttpResponse:
    def action(membership):
        services.member_deactivate(actor=request.user, membership=membership)
        return f"L'accès de {_name(membership)} au CRT a pris fin."

    return _member_action(request, public_id, action)


@require("team.manage")
@require_POST
def member_reactivate(request: HttpRequest, public_id) -> HttpResponse:
    def action(membership):
        services.member_reactivate(actor=request.user, membership=membership)
        return f"L'accès de {_name(membership)} au CRT est rétabli."

    return _member_action(request, public_id, action)


@require("team.manage")
@require_POST
def member_link(request: HttpRequest, public_id) -> HttpResponse:
    def action(membership):
        path = services.invite_link_renew(actor=request.user, crt=request.crt,
                                          user=membership.user, base_url=_base_url(request))
        if not path:
            return (f"Un nouveau lien a été envoyé à {_name(membership)} "
                    f"({membership.user.email}) : lui seul peut l'utiliser.")
        keep_password_link(request, user=membership.user, path=path,
                           emailed=bool(membership.user.email))
        return f"Nouveau lien créé pour {_name(membership)}."

    return _member_action(request, public_id, action)


# --- Choosing one's password from a link -----------------------------------------------------

#: The token leaves the address bar (and the Referer) at once: kept in the session instead.
PASSWORD_SET_SESSION_TOKEN = "maillage_password_set_token"  # noqa: S105 - a session key
PASSWORD_SET_URL_TOKEN = "choisir"  # noqa: S105 - the placeholder shown instead
#: Wrong links and attempts per address and quarter of an hour (guessing needs millions).
PASSWORD_SET_LIMIT = 20


def _link_user(uidb64: str):
    from django.contrib.auth import get_user_model
    from django.utils.http import urlsafe_base64_decode

    try:
        pk = urlsafe_base64_decode(uidb64).decode()
        return get_user_model()._default_manager.get(pk=pk)
    except (TypeError, ValueError, OverflowError, ValidationError, UnicodeDecodeError,
            get_user_model().DoesNotExist):
        return None


def _still_welcome(user) -> bool:
    """A link is for someone who still works here: an active account with an active CRT or
    region membership. A member whose access was ended before using it could still choose a
    password (and log in to « Aucun accès actif »)."""
    from .middleware import has_access

    return user.is_active and has_access(user)


@public
@sensitive_post_parameters()
@never_cache
@require_http_methods(["GET", "POST"])
def password_set(request: HttpRequest, uidb64: str, token: str) -> HttpResponse:
    """The page a single-use link opens: the person chooses their password, then logs in."""
    from django.contrib.auth import logout
    from django.contrib.auth.tokens import default_token_generator

    ip = audit.client_ip(request) or "inconnue"
    user = _link_user(uidb64)
    if token == PASSWORD_SET_URL_TOKEN:
        token = request.session.get(PASSWORD_SET_SESSION_TOKEN, "")
    elif user is not None and default_token_generator.check_token(user, token):
        # Same as Django's PasswordResetConfirmView: swap the token for a placeholder.
        request.session[PASSWORD_SET_SESSION_TOKEN] = token
        return redirect("core:password_set", uidb64=uidb64, token=PASSWORD_SET_URL_TOKEN)
    valid = (user is not None and bool(token)
             and default_token_generator.check_token(user, token) and _still_welcome(user))
    if (not valid or request.method == "POST") and not allow(
            f"password-set:{ip}", limit=PASSWORD_SET_LIMIT, window_seconds=900):
        return render(request, "registration/password_set_invalid.html",
                      {"flooded": True}, status=429)
    if not valid:
        return render(request, "registration/password_set_invalid.html", status=404)
    form = PasswordSetForm(user, request.POST or None)
    if request.method == "POST" and form.is_valid():
        services.password_set_from_link(user=user, password=form.cleaned_data["new_password1"])
        if request.user.is_authenticated:
            logout(request)  # someone else's session in this browser: not theirs
        request.session.pop(PASSWORD_SET_SESSION_TOKEN, None)
        messages.success(request, "Votre mot de passe est enregistré. Connectez-vous avec "
                                  f"votre identifiant « {user.username} » et ce mot de passe.")
        return redirect("core:login")
    status = 400 if form.is_bound else 200
    return render(request, "registration/password_set.html",
                  {"form": form, "link_user": user}, status=status)


def _local_midnight(day):
    return timezone.make_aware(datetime.combine(day, datetime.min.time()))


def _cursor(value: str | None) -> uuid.UUID | None:
    try:
        return uuid.UUID(value) if value else None
    except ValueError:
        return None


def _filtered_audit_events(request: HttpRequest):
    crt = request.crt
    form = AuditFilterForm(
        request.GET or None,
        actors=selectors.audit_actors(crt=crt),
        actions=audit.action_choices(),
        search_url=reverse("core:audit_actor_pick"),
    )
    events = selectors.audit_events(crt=crt)
    if form.is_bound and form.is_valid():
        data = form.cleaned_data
        if data["actor"]:
            events = events.filter(actor=data["actor"])
        if data["person"]:
            lookup = audit.person_lookup()
            events = (
                events.filter(beneficiary_public_id__in=lookup.search(crt, data["person"]))
                if lookup else events.none()
            )
        if data["beneficiary"]:
            events = events.filter(beneficiary_public_id=data["beneficiary"])
        if data["action"]:
            events = events.filter(action=data["action"])
        # Bounds in time (local days), not a cast of each row's date: the index on the time
        # serves the range.
        if data["date_from"]:
            events = events.filter(occurred_at__gte=_local_midnight(data["date_from"]))
        if data["date_to"]:
            events = events.filter(
                occurred_at__lt=_local_midnight(data["date_to"] + timedelta(days=1)))
        if data["emergency_only"]:
            events = events.filter(is_emergency_access=True)
    elif form.is_bound:
        events = events.none()
    return form, events


def _name_persons(crt, events) -> None:
    """Give each event of the page its person's name and access-history link (one query)."""
    lookup = audit.person_lookup()
    ids = {e.beneficiary_public_id for e in events if e.beneficiary_public_id}
    names = lookup.names(crt, ids) if lookup and ids else {}
    for e in events:
        e.person_name = names.get(e.beneficiary_public_id, "")
        e.person_url = (lookup.history_url(e.beneficiary_public_id)
                        if lookup and e.person_name else "")


@require("audit.view")
@require_GET
def audit_list(request: HttpRequest) -> HttpResponse:
    form, events = _filtered_audit_events(request)
    rows, has_newer, has_older = selectors.audit_page(
        events, crt=request.crt, before=_cursor(request.GET.get("before")),
        after=_cursor(request.GET.get("after")))
    _name_persons(request.crt, rows)
    page = {"object_list": rows, "has_newer": has_newer, "has_older": has_older,
            "newer": rows[0].public_id if rows else None,
            "older": rows[-1].public_id if rows else None}
    query = request.GET.copy()
    for key in ("page", "before", "after"):
        query.pop(key, None)
    # Opened from a person's access history: say whose events these are.
    focus = form.cleaned_data.get("beneficiary") if form.is_bound and form.is_valid() else None
    lookup = audit.person_lookup()
    focus_name = lookup.names(request.crt, [focus]).get(focus, "") if focus and lookup else ""
    return render(
        request,
        "core/audit_list.html",
        {"form": form, "page": page, "query": query.urlencode(), "focus_name": focus_name},
    )


@require("audit.view")
@require_GET
def audit_actor_pick(request: HttpRequest) -> HttpResponse:
    """The CRT's accounts matching a typed name, for the author filter (htmx fragment, at most
    20)."""
    from .pickers import picker_response

    form = AuditFilterForm(actors=selectors.audit_actors(crt=request.crt), actions=[])
    return picker_response(request, form, default="actor")


@require("audit.view")
@require_GET
def audit_export(request: HttpRequest) -> HttpResponse:
    form, events = _filtered_audit_events(request)
    if form.is_bound and not form.is_valid():
        return render(request, "core/audit_list.html", {"form": form, "page": None}, status=400)
    audit_log(
        actor=request.user,
        action="audit.exported",
        object_type="core.auditevent",
        details={"filtres": {k: v for k, v in request.GET.items() if v}},
    )
    # Cells typed by users (names, from the public form too) must not start a formula.
    rows = (
        [getattr(event, field) for field, _ in AUDIT_EXPORT_FIELDS]
        for event in events.iterator(chunk_size=2000)
    )
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    return csv_streaming_response(
        filename=f"journal-audit-{stamp}.csv",
        header=[label for _, label in AUDIT_EXPORT_FIELDS],
        rows=rows,
    )


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    return render(request, "core/csrf_failure.html", status=403)


@require("home.view")
@require_GET
def notifications(request: HttpRequest) -> HttpResponse:
    from .notifications import notifications_for, notifications_mark_read

    items = notifications_for(user=request.user, crt=request.crt, roles=request.roles)
    notifications_mark_read(user=request.user, crt=request.crt)
    return render(request, "core/notifications.html", {"items": items})
