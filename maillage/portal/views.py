"""The portal pages of a beneficiary or a caregiver: phone-first, nothing else of the file."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods

from maillage.core.access import require
from maillage.core.audit import audit_log
from maillage.core.forms_util import run_form
from maillage.core.permissions import has_permission
from maillage.visits import selectors as visit_selectors

from . import selectors, services
from .forms import CaregiverNoteForm


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
        template="core/form_page.html", on_success=done,
        context={"title": f"Écrire à l'équipe — {b.display_name}",
                 "back_url": reverse("portal:file", kwargs={"public_id": b.public_id}),
                 "back_label": "Mon espace", "submit_label": "Envoyer"})
