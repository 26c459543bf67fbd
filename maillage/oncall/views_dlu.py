"""The DLU-domicile pages: read it (page, one-page PDF), update it, mark it reviewed, and print
the « fiche aller » of a call for the emergency department.

Reading follows ``oncall.access.emergency_access``: a health professional of the care team, or
the on-call professional who broke the glass on an open call about that person (audited as an
emergency access, with the stated reason; valid until the end of the call + 2 hours). The
« fiche aller » also prints the call: ``oncall.access.can_view_call`` too. Updating is for the
care team only (``file_access().health``): the DLU is written away from the emergency, never
under a break-the-glass access.

The DLU and the « fiche aller » are also downloadable as CDA R2 documents (CI-SIS volet DLU,
``oncall.cda``): same access path as their PDF, their own audit actions."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from maillage.beneficiaries.access import (
    file_access,
    file_for_request,
    reads_whole_medical_section,
)
from maillage.beneficiaries.models import Beneficiary, MedicalRecord
from maillage.core.access import require
from maillage.core.audit import audit_log
from maillage.core.errors import DomainError
from maillage.core.forms_util import run_form
from maillage.core.permissions import has_permission
from maillage.core.tenancy import get_for_crt

from . import cda
from . import dlu as dlu_module
from .access import EmergencyAccess, can_view_call, emergency_access
from .forms_dlu import DluForm, DluReviewForm
from .home import dlu_rows
from .models import Call, EmergencyFile

#: Rows per page of the DLUs to review.
REVIEWS_PAGE_SIZE = 50


@require("dlu.reviews")
@require_GET
def reviews_due(request: HttpRequest) -> HttpResponse:
    """Every DLU of the file active to establish, complete or revalidate, the most urgent first
    (the home panel shows the first ten): computed and paginated by the database, each row
    linking to the DLU or, for who may not open it, to the person's file (``home.dlu_rows``).
    Names and the state of each DLU, no content: not a read of the DLU."""
    page = Paginator(dlu_module.reviews_due_people(crt=request.crt),
                     REVIEWS_PAGE_SIZE).get_page(request.GET.get("page"))
    rows = dlu_module.due_rows(page.object_list)
    return render(request, "oncall/dlu_reviews.html", {
        "page": page,
        "rows": dlu_rows(rows, crt=request.crt, user=request.user, roles=request.roles)})


def _refused(request: HttpRequest, b: Beneficiary, access: EmergencyAccess | None = None,
             *, edit: bool = False) -> HttpResponse:
    return render(request, "oncall/dlu_refused.html", {
        "b": b, "edit": edit,
        "may_break_glass": bool(access and access.may_break_glass),
    }, status=403)


def _file(request: HttpRequest, public_id):
    b, fa = file_for_request(request, public_id)
    b.crt = request.crt  # fetched within it: spares a query per use
    return b, fa


def _read(request: HttpRequest, b: Beneficiary, fa) -> EmergencyAccess | None:
    """The emergency access of this reader, or None when they may not read the DLU."""
    ea = emergency_access(user=request.user, roles=request.roles, beneficiary=b)
    if not ea.health or not fa.identity:
        return None
    return ea


def reads_dlu(request: HttpRequest, b: Beneficiary) -> bool:
    """Whether this reader may read the person's DLU (its page, PDF, CDA, transfer sheet): the
    rule ``_read`` applies, for the pages that link to them."""
    return _read(request, b, file_access(user=request.user, roles=request.roles,
                                         beneficiary=b)) is not None


def _audit_read(request, *, action: str, b: Beneficiary, ea: EmergencyAccess, dlu, obj=None):
    glass = ea.break_glass
    details = {"code_boite_a_cles": True} if dlu.key_box_code is not None else None
    audit_log(actor=request.user, action=action, crt=request.crt,
              obj=obj or dlu.emergency_file or b, beneficiary=b,
              reason=glass.reason if glass else "", emergency=glass is not None,
              details=details)


def _build(b: Beneficiary, fa, ea: EmergencyAccess, *, key_box: bool = True):
    # The key-box code: those of the care team who visit the home, or the responder who
    # broke the glass on a call (the one who travels needs it).
    show = key_box and (fa.key_box or ea.break_glass is not None)
    # Of the medical section, what this reader may read (a care aide: not the history nor
    # the medical synthesis), on the page, in the PDF and in the CDA alike.
    return dlu_module.build(beneficiary=b, show_key_box=show, medical_fields=ea.medical_fields)


def _pdf(template: str, context: dict, filename: str) -> HttpResponse:
    from maillage.core.pdf import render_pdf  # WeasyPrint loads on first use only

    return _pdf_response(render_pdf(render_to_string(template, context)), filename)


def _pdf_response(content: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(content, content_type="application/pdf")
    # Inline: the browser opens it ready to print (one click from the on-call screen).
    response["Content-Disposition"] = f'inline; filename="{filename}"'
    response["Cache-Control"] = "private, no-store"
    return response


def _dlu_read(request, public_id):
    """The person, the file access and the emergency access to read their DLU (page, PDF,
    CDA), or the refusal page (the last item) when there is none."""
    b, fa = _file(request, public_id)
    ea = _read(request, b, fa)
    if ea is None:
        return b, fa, None, _refused(request, b, emergency_access(
            user=request.user, roles=request.roles, beneficiary=b))
    return b, fa, ea, None


def _dlu_url(b: Beneficiary) -> str:
    return reverse("oncall:dlu", kwargs={"public_id": b.public_id})


@require("dlu.view")
@require_GET
def dlu_detail(request: HttpRequest, public_id) -> HttpResponse:
    b, fa, ea, refusal = _dlu_read(request, public_id)
    if refusal is not None:
        return refusal
    dlu = _build(b, fa, ea)
    _audit_read(request, action="dlu.viewed", b=b, ea=ea, dlu=dlu)
    can_edit = has_permission(request.roles, "dlu.edit") and fa.health
    # Sent by the care team only, never under a break-the-glass access (interop.mssante), by
    # whoever reads the whole medical section (``mssante.documents.sendable_documents``).
    can_mssante = has_permission(request.roles, "mssante.send") and fa.health and bool(
        dlu.emergency_file) and reads_whole_medical_section(fa.medical_fields)
    return render(request, "oncall/dlu.html", {
        "b": b, "dlu": dlu, "emergency": ea, "can_edit": can_edit, "crt": request.crt,
        "can_mssante": can_mssante,
        "version": dlu.emergency_file.version if dlu.emergency_file else 0,
    })


@require("dlu.view")
@require_GET
def dlu_pdf(request: HttpRequest, public_id) -> HttpResponse:
    b, fa, ea, refusal = _dlu_read(request, public_id)
    if refusal is not None:
        return refusal
    dlu = _build(b, fa, ea)
    _audit_read(request, action="dlu.printed", b=b, ea=ea, dlu=dlu)
    return _pdf_response(dlu_module.pdf(b, dlu, crt=request.crt, printed_by=request.user),
                         filename=f"dlu-{timezone.localdate():%Y-%m-%d}.pdf")


def _cda_response(content: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(content, content_type="application/xml; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "private, no-store"
    return response


@require("dlu.view")
@require_GET
def dlu_cda(request: HttpRequest, public_id) -> HttpResponse:
    """The DLU as a CDA document (CI-SIS DLU-DLU 2022.01): read as the PDF is, audited."""
    b, fa, ea, refusal = _dlu_read(request, public_id)
    if refusal is not None:
        return refusal
    # A document that leaves the CRT: never the key-box code (the CDA does not carry it).
    dlu = _build(b, fa, ea, key_box=False)
    _audit_read(request, action="dlu.cda_downloaded", b=b, ea=ea, dlu=dlu)
    return _cda_response(cda.dlu_cda(dlu, crt=request.crt, author=request.user),
                         filename=f"dlu-{timezone.localdate():%Y-%m-%d}.xml")


def _gp_name(b: Beneficiary) -> str:
    from maillage.beneficiaries.models import CareTeamMember

    gp = (CareTeamMember.objects.active().filter(beneficiary=b, is_gp=True)
          .select_related("user", "professional").first())
    if gp is None:
        return ""
    if gp.user_id:
        return f"Dr {gp.user.get_full_name()}".strip()
    return f"Dr {gp.professional.first_name} {gp.professional.last_name}".strip()


@require("dlu.edit")
@require_http_methods(["GET", "POST"])
def dlu_edit(request: HttpRequest, public_id) -> HttpResponse:
    b, fa = _file(request, public_id)
    if not fa.health:
        return _refused(request, b, edit=True)
    medical = MedicalRecord.objects.filter(beneficiary=b).first()
    if medical is None:
        raise Http404("Ce dossier n'a pas de volet médical.")
    ef = EmergencyFile.objects.filter(beneficiary=b).first()
    form = DluForm(request.POST or None, medical=medical, emergency_file=ef,
                   gp_name=_gp_name(b), readable=fa.medical_fields)
    if request.method == "GET":  # the form shows health data: a read
        audit_log(actor=request.user, action="dlu.viewed", obj=ef or b, beneficiary=b,
                  details={"page": "modification"})

    def save(data):
        return dlu_module.emergency_file_save(
            actor=request.user, beneficiary=b, version=data["version"] or 0,
            medical_version=data["medical_version"], medical=form.medical_data(),
            validate=form.validating, **form.dlu_data(),
        )

    def done(ef):
        if form.validating:
            messages.success(request, "DLU enregistré et validé. Prochaine revue le "
                                      f"{ef.next_review_on:%d/%m/%Y}.")
        else:
            messages.info(request, "DLU enregistré comme brouillon : il n'est pas validé.")
        return redirect(_dlu_url(b))

    return run_form(request, form, save, template="oncall/dlu_form.html",
                    context={"b": b, "title": f"Modifier le DLU — {b.display_name}"},
                    on_success=done)


@require("dlu.edit")
@require_POST
def dlu_review(request: HttpRequest, public_id) -> HttpResponse:
    b, fa = _file(request, public_id)
    if not fa.health:
        return _refused(request, b, edit=True)
    form = DluReviewForm(request.POST)
    status, message = 400, "Demande incomplète : rechargez le DLU puis recommencez."
    missing = []
    if form.is_valid():
        try:
            ef = dlu_module.emergency_file_review(
                actor=request.user, beneficiary=b, version=form.cleaned_data["version"],
                medical_version=form.cleaned_data["medical_version"])
        except dlu_module.DluIncompleteError as error:
            message = "Le DLU ne peut pas être validé tant que ces réponses manquent :"
            missing = list(error.missing.values())
        except DomainError as error:
            status = 409 if error.code == "conflict" else 400
            message = error.message
        else:
            messages.success(request, "DLU relu et validé. Prochaine revue le "
                                      f"{ef.next_review_on:%d/%m/%Y}.")
            return redirect(_dlu_url(b))
    return render(request, "oncall/dlu_message.html", {
        "b": b, "message": message, "missing": missing,
        "title": "Le DLU n'a pas été validé"}, status=status)


def _transfer_read(request: HttpRequest, call_id):
    """The call and the reader's access to its transfer sheet, ``(call, b, fa, ea)``; or the
    refusal page (an ``HttpResponse``) when this reader may not read the DLU."""
    call = get_for_crt(
        Call.objects.filter(beneficiary__isnull=False)
        .select_related("beneficiary", "answered_by", "travelled_by"),
        request.crt, call_id,
    )
    if not can_view_call(user=request.user, roles=request.roles, call=call):
        raise PermissionDenied("Cet appel est réservé au professionnel d'astreinte, à la "
                               "coordination et au cercle de soins de la personne.")
    b, fa = _file(request, call.beneficiary.public_id)
    ea = _read(request, b, fa)
    if ea is None:
        return _refused(request, b, emergency_access(user=request.user, roles=request.roles,
                                                     beneficiary=b))
    return call, b, fa, ea


@require("oncall.respond")
@require_GET
def transfer_sheet(request: HttpRequest, call_id) -> HttpResponse:
    """The « fiche aller » (DLU-domicile): what the emergency department needs on arrival —
    the call (time, reason, assessment, actions, who calls) and the DLU essentials."""
    read = _transfer_read(request, call_id)
    if isinstance(read, HttpResponse):
        return read
    call, b, fa, ea = read
    # The sheet travels with the person to the hospital: never the key-box code.
    dlu = _build(b, fa, ea, key_box=False)
    _audit_read(request, action="dlu.transfer_sheet_printed", b=b, ea=ea, dlu=dlu, obj=call)
    return _pdf("oncall/fiche_aller_pdf.html", {
        "b": b, "dlu": dlu, "call": call, "escalations": list(call.escalations.all()),
        "crt": request.crt, "printed_at": timezone.now(), "printed_by": request.user,
    }, filename=f"fiche-aller-{timezone.localdate():%Y-%m-%d}.pdf")


@require("oncall.respond")
@require_GET
def transfer_sheet_cda(request: HttpRequest, call_id) -> HttpResponse:
    """The « fiche aller » as a CDA document (CI-SIS DLU-FLUDT 2022.01), read as its PDF."""
    read = _transfer_read(request, call_id)
    if isinstance(read, HttpResponse):
        return read
    call, b, fa, ea = read
    dlu = _build(b, fa, ea, key_box=False)
    _audit_read(request, action="dlu.transfer_sheet_cda_downloaded", b=b, ea=ea, dlu=dlu,
                obj=call)
    return _cda_response(cda.transfer_cda(call, dlu, crt=request.crt, author=request.user),
                         filename=f"fiche-aller-{timezone.localdate():%Y-%m-%d}.xml")
