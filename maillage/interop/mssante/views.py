"""« Envoyer par MSSanté » from a person's file (and the DLU and plan pages): choose a document
the user may read, a recipient of the directory with an MSSanté address (searched) or the
person's Mon espace santé box (qualified identity only), a short message; the file's sendings
with their state (en attente / envoyé / échec with the error, attempts)."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.views.decorators.http import require_http_methods

from maillage.beneficiaries.access import file_for_request
from maillage.core.access import require
from maillage.core.audit import audit_log
from maillage.core.forms_util import run_form

from ..access import mssante_sendings_visible
from . import documents as docs
from . import services
from .forms import MssanteSendForm
from .transport import configured


@require("mssante.send")
@require_http_methods(["GET", "POST"])
def mssante_file(request: HttpRequest, public_id) -> HttpResponse:
    b, fa = file_for_request(request, public_id)
    b.crt = request.crt
    if not fa.identity:
        raise PermissionDenied
    search = request.GET.get("q", "").strip()[:100]
    sendables = docs.sendable_documents(user=request.user, roles=request.roles, beneficiary=b,
                                        health=fa.health)
    recipients = services.directory_recipients(crt=request.crt, search=search)
    chosen = request.POST.get("recipient", "")
    if chosen and chosen != "patient" and chosen not in {r.address for r in recipients}:
        # A recipient chosen before a new search stays offered.
        recipients += [r for r in services.directory_recipients(crt=request.crt, search=chosen)
                       if r.address == chosen]
    form = MssanteSendForm(request.POST or None, documents=sendables, recipients=recipients,
                           patient_box=services.patient_box(b),
                           initial={"document": request.GET.get("document", "")})

    def save(data):
        sendable = docs.find_sendable(data["document"], user=request.user, roles=request.roles,
                                      beneficiary=b, health=fa.health)
        recipient = services.find_recipient(data["recipient"], beneficiary=b)
        return services.mssante_send(actor=request.user, roles=request.roles, beneficiary=b,
                                     sendable=sendable, recipient=recipient,
                                     message=data["message"],
                                     block_replies=data["block_replies"])

    def done(sending):
        messages.success(request, f"Envoi MSSanté à {sending.recipient_address} enregistré : "
                                  "il part dans un instant (état ci-dessous).")
        return redirect(reverse("mssante:file", kwargs={"public_id": b.public_id}))

    if request.method == "GET":
        # The page lists the file's documents (titles of medical ones for the care team) and
        # where they were sent: a read of the file, in its access trail.
        audit_log(actor=request.user, action="mssante.viewed", crt=request.crt, obj=b,
                  beneficiary=b)
    sendings = mssante_sendings_visible(user=request.user, roles=request.roles, beneficiary=b,
                                        health=fa.health)[:50]
    return run_form(request, form, save, template="interop/mssante.html", context={
        "b": b, "sendings": sendings, "search": search, "configured": configured(),
        "has_documents": bool(sendables)}, on_success=done)
