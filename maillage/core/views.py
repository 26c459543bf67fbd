"""Views of the core app: health check, accounts, CRT switch, home pages, team, audit trail."""

import csv

from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.core.paginator import Paginator
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse_lazy
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods

from maillage.admissions import selectors as admission_selectors
from maillage.territory import selectors as territory_selectors

from . import selectors
from .access import login_only, public, require
from .audit import audit_log
from .forms import AUDIT_EXPORT_FIELDS, AuditFilterForm, LoginForm
from .middleware import SESSION_KEY
from .roles import CRT_TEAM, HEALTH_PROFESSIONALS, PORTAL, Role


@public
@require_GET
def healthz(request: HttpRequest) -> HttpResponse:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception:  # noqa: BLE001 - any database failure means "not healthy"
        return JsonResponse({"status": "indisponible", "database": "erreur"}, status=503)
    return JsonResponse({"status": "ok", "database": "ok"})


login_view = public(
    auth_views.LoginView.as_view(
        authentication_form=LoginForm,
        template_name="registration/login.html",
        redirect_authenticated_user=True,
    )
)
logout_view = login_only(auth_views.LogoutView.as_view())


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
            return redirect("core:home")
    status = 404 if error else 200
    if not request.memberships:
        return render(request, "core/no_access.html", status=403)
    return render(request, "core/crt_choose.html", {"error": error}, status=status)


@require("home.view")
@require_GET
def home(request: HttpRequest) -> HttpResponse:
    crt, roles = request.crt, request.roles
    if roles and roles <= PORTAL:
        # A beneficiary or a caregiver lands on their portal page.
        from maillage.portal.views import portal_home

        return portal_home(request)
    context: dict = {"crt": crt, "today": timezone.localdate()}
    if roles & (CRT_TEAM | {Role.ARS}):
        context["budget"] = selectors.budget_figures(crt=crt)
    if roles & CRT_TEAM:
        context["territory"] = territory_selectors.territory_figures(crt=crt)
        context["admissions"] = admission_selectors.admission_figures(crt=crt)
    if roles & {Role.DIRECTION, Role.COORDINATOR, Role.ADMIN_STAFF}:
        context["team"] = selectors.team_figures(crt=crt)
    if roles & {Role.COORDINATOR, Role.DIRECTION}:
        from maillage.care import selectors as care_selectors

        context["reviews_due"] = care_selectors.reviews_due(crt=crt)
        from maillage.oncall import selectors as oncall_selectors

        # The night's calls and the holes of the on-call rota (one query each).
        context["night_calls"] = oncall_selectors.night_summary(crt=crt)
        context["oncall_gaps"] = oncall_selectors.coverage(crt=crt)
    if roles & {Role.COORDINATOR, Role.DIRECTION, Role.DOCTOR}:
        from maillage.oncall import dlu as oncall_dlu

        from .permissions import has_permission

        # DLUs missing or due for their yearly review, file active only (one query).
        due = oncall_dlu.reviews_due(crt=crt, limit=10)
        context["dlu_due"], context["dlu_due_more"] = due[:10], len(due) > 10
        context["can_view_dlu"] = has_permission(roles, "dlu.view")
    if roles & {Role.COORDINATOR, Role.DIRECTION, Role.DOCTOR, Role.NURSE}:
        from maillage.care import selectors as care_selectors

        context["open_alerts"] = care_selectors.open_alerts(crt=crt, limit=10)
    if Role.AUDITOR in roles:
        context["audit"] = selectors.audit_figures(crt=crt)
    context["is_team"] = bool(roles & CRT_TEAM)
    context["is_field"] = bool(roles & HEALTH_PROFESSIONALS)
    context["is_partner"] = Role.PARTNER in roles
    context["is_portal"] = bool(roles & PORTAL)
    context["is_ars"] = Role.ARS in roles
    context["role_labels"] = [Role(r).label for r in sorted(roles)]
    return render(request, "core/home.html", context)


@require("team.view")
@require_GET
def team(request: HttpRequest) -> HttpResponse:
    return render(
        request, "core/team.html", {"members": selectors.team_members(crt=request.crt)}
    )


def _filtered_audit_events(request: HttpRequest):
    crt = request.crt
    form = AuditFilterForm(
        request.GET or None,
        actors=selectors.audit_actors(crt=crt),
        actions=selectors.audit_actions(crt=crt),
    )
    events = selectors.audit_events(crt=crt)
    if form.is_bound and form.is_valid():
        data = form.cleaned_data
        if data["actor"]:
            events = events.filter(actor=data["actor"])
        if data["beneficiary"]:
            events = events.filter(beneficiary_public_id=data["beneficiary"])
        if data["action"]:
            events = events.filter(action=data["action"])
        if data["date_from"]:
            events = events.filter(occurred_at__date__gte=data["date_from"])
        if data["date_to"]:
            events = events.filter(occurred_at__date__lte=data["date_to"])
        if data["emergency_only"]:
            events = events.filter(is_emergency_access=True)
    elif form.is_bound:
        events = events.none()
    return form, events


@require("audit.view")
@require_GET
def audit_list(request: HttpRequest) -> HttpResponse:
    form, events = _filtered_audit_events(request)
    page = Paginator(events, 50).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "core/audit_list.html",
        {"form": form, "page": page, "query": query.urlencode()},
    )


class _Echo:
    def write(self, value):
        return value


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
    writer = csv.writer(_Echo(), delimiter=";")
    tz = timezone.get_current_timezone()

    def rows():
        yield "\ufeff" + writer.writerow([label for _, label in AUDIT_EXPORT_FIELDS])
        for event in events.iterator(chunk_size=2000):
            values = []
            for field, _ in AUDIT_EXPORT_FIELDS:
                value = getattr(event, field)
                if field == "occurred_at":
                    value = value.astimezone(tz).strftime("%d/%m/%Y %H:%M:%S")
                elif isinstance(value, bool):
                    value = "oui" if value else "non"
                values.append("" if value is None else value)
            yield writer.writerow(values)

    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    response = StreamingHttpResponse(rows(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="journal-audit-{stamp}.csv"'
    return response


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    return render(request, "core/csrf_failure.html", status=403)


@require("home.view")
@require_GET
def notifications(request: HttpRequest) -> HttpResponse:
    from .notifications import notifications_for, notifications_mark_read

    items = notifications_for(user=request.user, crt=request.crt)
    notifications_mark_read(user=request.user, crt=request.crt)
    return render(request, "core/notifications.html", {"items": items})
