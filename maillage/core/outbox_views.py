"""« Messages sortants »: the CRT's outbox for the coordination (state, attempts, last error,
a new attempt for the failed ones)."""

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from .access import require
from .errors import DomainError
from .models import OutboxMessage
from .outbox import messages_for
from .outbox import outbox_retry as retry_message
from .tenancy import get_for_crt

PER_PAGE = 50


@require("outbox.view")
def outbox_list(request: HttpRequest) -> HttpResponse:
    page = Paginator(messages_for(crt=request.crt), PER_PAGE).get_page(request.GET.get("page"))
    return render(request, "core/outbox.html", {"page": page, "State": OutboxMessage.State})


@require("outbox.view")
@require_POST
def outbox_retry(request: HttpRequest, public_id) -> HttpResponse:
    message = get_for_crt(OutboxMessage, request.crt, public_id)
    try:
        retry_message(actor=request.user, message=message)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, f"Nouvel envoi demandé pour le message à {message.to}.")
    return redirect("core:outbox")
