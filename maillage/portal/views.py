"""The portal pages of a beneficiary or a caregiver: phone-first, nothing else of the file."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from maillage.beneficiaries.access import file_for_request
from maillage.beneficiaries.models import Caregiver
from maillage.core import selectors as core_selectors
from maillage.core import services as core_services
from maillage.core.access import require
from maillage.core.audit import audit_log
from maillage.core.errors import DomainError
from maillage.core.forms_util import run_form
from maillage.core.permissions import has_permission
from maillage.core.tenancy import get_for_crt
from maillage.core.views import keep_password_link, pop_password_link
from maillage.visits import selectors as visit_selectors

from . import selectors, services
from .forms import CaregiverNoteForm, PortalAccessForm


def _file(request: HttpRequest, public_id):
    return selectors.portal_file(crt=request.crt, user=request.user, roles=request.roles,
                                 public_id=public_id)


def _by_day(visits) -> list[tuple]:
    """The visits grouped by their day in local time: [(date, [visit, ...]), ...]."""
    days: dict = {}
    for v in visits:
        days.setdefault(timezone.localtime(v.starts_at).date(), []).append(v)
    return list(days.items())


def _file_page(request: HttpRequest, b, *, several: bool) -> HttpResponse:
    caregiver = selectors.caregiver_record(beneficiary=b, user=request.user)
    is_self = b.portal_user_id == request.user.pk
    audit_log(actor=request.user, action="portal.viewed", crt=request.crt, obj=b,
              beneficiary=b)
    return render(request, "portal/file.html", {
        "b": b,
        "crt": request.crt,
        "is_self": is_self,
        "several": several,
        "visit_days": _by_day(visit_selectors.coming_for_beneficiary(beneficiary=b, limit=20)),
        "notes": selectors.shared_notes(beneficiary=b),
        "contacts": selectors.contacts(beneficiary=b),
        "caregivers": selectors.caregivers(beneficiary=b) if is_self else [],
        "can_post": caregiver is not None
        and has_permission(request.roles, "portal.post_note"),
        "can_access_log": is_self and has_permission(request.roles, "portal.access_log"),
    })


def portal_home(request: HttpRequest) -> HttpResponse:
    """The account's only file straight away; a choice when they help several people.
    Also the home page (``core:home``) of an account holding portal roles only."""
    files = list(selectors.portal_files(crt=request.crt, user=request.user,
                                        roles=request.roles))
    if len(files) == 1:
        return _file_page(request, files[0], several=False)
    return render(request, "portal/home.html", {"files": files, "crt": request.crt})


@require("portal.view")
@require_GET
def home(request: HttpRequest) -> HttpResponse:
    return portal_home(request)


@require("portal.view")
@require_GET
def file(request: HttpRequest, public_id) -> HttpResponse:
    b = _file(request, public_id)
    several = selectors.portal_files(crt=request.crt, user=request.user,
                                     roles=request.roles).count() > 1
    return _file_page(request, b, several=several)


@require("portal.post_note")
@require_http_methods(["GET", "POST"])
def note_add(request: HttpRequest, public_id) -> HttpResponse:
    b = _file(request, public_id)
    caregiver = selectors.caregiver_record(beneficiary=b, user=request.user)
    if caregiver is None:
        raise PermissionDenied("Seul un aidant de la personne peut écrire à son équipe.")

    def save(data):
        return services.caregiver_note_post(actor=request.user, caregiver=caregiver,
                                            text=data["text"])

    def done(note):
        messages.success(request, "Votre message a été transmis à l'équipe.")
        return redirect("portal:file", public_id=b.public_id)

    return run_form(
        request, CaregiverNoteForm(request.POST or None), save,
        template="core/form_page.html", once=True, on_success=done,
        context={"title": f"Écrire à l'équipe — {b.display_name}",
                 "back_url": reverse("portal:file", kwargs={"public_id": b.public_id}),
                 "back_label": "Mon espace", "submit_label": "Envoyer"})


@require("portal.access_log")
@require_GET
def access_log(request: HttpRequest, public_id) -> HttpResponse:
    """« Qui a consulté mon dossier » : the person's right of access to the trail of their file
    (SPEC §3), on their own account."""
    b = selectors.own_file(crt=request.crt, user=request.user, roles=request.roles,
                           public_id=public_id)
    audit_log(actor=request.user, action="portal.access_log_viewed", crt=request.crt, obj=b,
              beneficiary=b)
    page = Paginator(selectors.access_events(beneficiary=b, user=request.user), 50) \
        .get_page(request.GET.get("page"))
    for event in page.object_list:
        event.actor_name = selectors.actor_name(event.actor_label)
    return render(request, "portal/access_log.html", {"b": b, "crt": request.crt,
                                                      "page": page})


# --- Portal accounts, given by the team from the person's file ------------------------------


def _account_file(request: HttpRequest, public_id):
    b, access = file_for_request(request, public_id)
    if not access.identity:
        raise PermissionDenied("Vous ne pouvez pas voir l'identité de cette personne.")
    return b


def _caregiver(request: HttpRequest, b, item_id):
    if item_id is None:
        return None
    return get_for_crt(Caregiver.objects.filter(beneficiary=b).select_related("user"),
                       request.crt, item_id)


def _access_url(b) -> str:
    return reverse("portal:access", kwargs={"public_id": b.public_id})


def _holder_urls(b, caregiver) -> dict:
    if caregiver is None:
        kwargs, suffix = {"public_id": b.public_id}, "self"
    else:
        kwargs, suffix = {"public_id": b.public_id, "item_id": caregiver.public_id}, "caregiver"
    return {action: reverse(f"portal:access_{action}_{suffix}", kwargs=kwargs)
            for action in ("create", "link", "remove")}


@require("portal.accounts")
@require_GET
def access(request: HttpRequest, public_id) -> HttpResponse:
    """"Accès au portail" of one person: their own account and each caregiver's."""
    b = _account_file(request, public_id)
    rows = selectors.portal_accounts(beneficiary=b)
    for row in rows:
        row.urls = _holder_urls(b, row.caregiver)
    audit_log(actor=request.user, action="portal_access.viewed", obj=b, beneficiary=b)
    return render(request, "portal/access.html", {
        "b": b, "rows": rows, "new_link": pop_password_link(request),
        "validity": core_services.link_validity(),
    })


def _holder_name(b, caregiver) -> str:
    if caregiver is None:
        return b.display_name
    return f"{caregiver.first_name} {caregiver.last_name}".strip()


@require("portal.accounts")
@require_http_methods(["GET", "POST"])
def access_create(request: HttpRequest, public_id, item_id=None) -> HttpResponse:
    b = _account_file(request, public_id)
    caregiver = _caregiver(request, b, item_id)
    name = _holder_name(b, caregiver)
    linked = caregiver.user_id if caregiver is not None else b.portal_user_id
    if linked and request.method == "GET":
        messages.info(request, f"{name} a déjà un accès au portail.")
        return redirect("portal:access", public_id=b.public_id)
    if caregiver is None:
        first, last = b.used_first_name or b.first_name, b.used_name or b.birth_name
        email, phone = b.email, b.mobile or b.phone
    else:
        first, last = caregiver.first_name, caregiver.last_name
        email, phone = caregiver.email, caregiver.phone
    initial = {"first_name": first, "last_name": last.title() if last.isupper() else last,
               "email": email, "phone": phone,
               "username": core_selectors.username_suggestion(first_name=first, last_name=last)}
    form = PortalAccessForm(request.POST or None, initial=initial)

    def save(data):
        if data["link_existing"]:
            user = services.portal_access_link_existing(
                actor=request.user, beneficiary=b, caregiver=caregiver,
                username=data["username"])
            return user, None
        return services.portal_access_create(
            actor=request.user, beneficiary=b, caregiver=caregiver, username=data["username"],
            first_name=data["first_name"], last_name=data["last_name"], email=data["email"],
            phone=data["phone"], base_url=request.build_absolute_uri("/"))

    def done(result):
        user, path = result
        if path is None:
            messages.success(request, f"Le compte « {user.username} » est relié à ce dossier : "
                                      "la personne se connecte comme d'habitude.")
        else:
            keep_password_link(request, user=user, path=path, emailed=bool(user.email))
            messages.success(request, f"L'accès au portail de {name} est créé.")
        return redirect("portal:access", public_id=b.public_id)

    who = "la personne" if caregiver is None else "l'aidant"
    return run_form(
        request, form, save, template="core/form_page.html", on_success=done,
        context={"title": f"Créer l'accès au portail — {name}",
                 "back_url": _access_url(b), "back_label": "Accès au portail",
                 "submit_label": "Créer l'accès",
                 "intro": f"Le portail montre à {who} les passages à venir de "
                          f"{b.display_name}, les transmissions partagées avec l'aidant, les "
                          "contacts du cercle de soins et le numéro du CRT ; rien d'autre du "
                          "dossier. Après la création, un lien pour choisir le mot de passe "
                          "s'affiche une fois (valable "
                          f"{core_services.link_validity()})."})


@require("portal.accounts")
@require_POST
def access_link(request: HttpRequest, public_id, item_id=None) -> HttpResponse:
    b = _account_file(request, public_id)
    caregiver = _caregiver(request, b, item_id)
    user = caregiver.user if caregiver is not None else b.portal_user
    if user is None:
        messages.error(request, "Cette personne n'a pas d'accès au portail.")
        return redirect("portal:access", public_id=b.public_id)
    try:
        path = core_services.invite_link_renew(actor=request.user, crt=request.crt, user=user,
                                               base_url=request.build_absolute_uri("/"))
    except DomainError as error:
        messages.error(request, error.message)
    else:
        if path:
            keep_password_link(request, user=user, path=path, emailed=bool(user.email))
            messages.success(request, f"Nouveau lien créé pour {_holder_name(b, caregiver)}.")
        else:
            messages.success(request, f"Un nouveau lien a été envoyé par courriel à "
                                      f"{_holder_name(b, caregiver)}.")
    return redirect("portal:access", public_id=b.public_id)


@require("portal.accounts")
@require_POST
def access_remove(request: HttpRequest, public_id, item_id=None) -> HttpResponse:
    b = _account_file(request, public_id)
    caregiver = _caregiver(request, b, item_id)
    name = _holder_name(b, caregiver)
    try:
        ended = services.portal_access_remove(actor=request.user, beneficiary=b,
                                              caregiver=caregiver)
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, f"L'accès au portail de {name} est retiré"
                         + (" et son compte est fermé." if ended
                            else " ; son compte reste ouvert pour les autres dossiers qui lui "
                                 "sont reliés."))
    return redirect("portal:access", public_id=b.public_id)
