"""Conversations around a person: the care team's thread, the health professionals' thread,
their attachments, and the list of the user's conversations with unread counts."""

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from maillage.core.access import require
from maillage.core.audit import audit_log
from maillage.core.downloads import file_download
from maillage.core.errors import DomainError
from maillage.core.permissions import has_permission
from maillage.core.tenancy import get_for_crt

from .. import selectors, services
from ..forms import MessageForm
from ..models import Conversation, Message
from ..services.conversations import HEALTH_ONLY
from .liaison import _shared_file

PAGE_SIZE = 50


def _thread(request, public_id, kind: str):
    """The person, what the user may see of their file, the thread kind, and the person's
    threads by kind (the team thread is missing until its first message)."""
    b, access = _shared_file(request, public_id)
    if kind not in Conversation.SLUGS:
        raise Http404("Fil de conversation inconnu.")
    kind = Conversation.SLUGS[kind]
    if kind == Conversation.Kind.HEALTH and not access.health:
        raise PermissionDenied(HEALTH_ONLY)
    threads = {c.kind: c for c in Conversation.objects.filter(beneficiary=b)}
    if kind == Conversation.Kind.HEALTH and kind not in threads:
        raise Http404("Aucun fil réservé aux professionnels de santé n'est ouvert pour cette "
                      "personne.")
    return b, access, kind, threads


def _writer(request, b, access) -> bool:
    """Whether the object rules let this user write here (the form is not offered otherwise;
    a post still gets the service's reason)."""
    return services.may_write_about(actor=request.user, roles=request.roles, beneficiary=b,
                                    access=access)


def _thread_url(b, kind: str) -> str:
    return reverse("care:conversation", kwargs={"public_id": b.public_id,
                                                "kind": Conversation.slug_for(kind)})


def _page(conversation, number):
    """A page of the history (page 1 = the newest messages), shown oldest first."""
    if conversation is None:
        return None, []
    page = Paginator(selectors.thread_messages(conversation=conversation), PAGE_SIZE).get_page(
        number)
    return page, list(reversed(page.object_list))


def _read(request, b, conversation, shown, *, refresh: bool = False) -> None:
    """Mark what is shown as read, and trace the reading: one event per request that shows
    messages (a refresh re-sends the newest page, read again whether new or not)."""
    if conversation is None:
        return
    before = selectors.last_read_at(conversation=conversation, user=request.user)
    new = 0
    for m in shown:
        m.is_new = m.author_id != request.user.pk and (before is None or m.created_at > before)
        new += m.is_new
    if shown:
        services.conversation_mark_read(user=request.user, conversation=conversation,
                                        until=max(m.created_at for m in shown),
                                        roles=request.roles)
    if not refresh or shown:
        audit_log(actor=request.user, action="conversation.viewed", obj=conversation,
                  crt=request.crt, beneficiary=b,
                  details={"fil": conversation.get_kind_display(), "nouveaux messages": new})


@require("conversation.view")
@require_http_methods(["GET", "POST"])
def conversation(request: HttpRequest, public_id, kind: str) -> HttpResponse:
    b, access, kind, threads = _thread(request, public_id, kind)
    thread = threads.get(kind)
    can_write = has_permission(request.roles, "conversation.write")
    form = None
    if can_write and (request.method == "POST" or _writer(request, b, access)):
        candidates = selectors.mention_candidates(beneficiary=b, kind=kind, crt=request.crt,
                                                  exclude=request.user)
        form = MessageForm(request.POST or None, request.FILES or None, candidates=candidates)
    status = 200
    if request.method == "POST":
        if not can_write:
            raise PermissionDenied("Votre rôle ne permet pas d'écrire dans cette conversation.")
        if form.is_valid():
            data = form.cleaned_data
            try:
                services.message_post(
                    actor=request.user, roles=request.roles, beneficiary=b, access=access,
                    kind=kind, text=data["text"], mentions=data.get("mentions") or (),
                    candidates=candidates, attachment=data["attachment"] or None,
                    max_bytes=settings.DOCUMENT_MAX_BYTES)
            except DomainError as error:
                form.add_domain_error(error)
                status = 400
            else:
                return redirect(_thread_url(b, kind) + "#nouveau-message")
        else:
            status = 400
    page, shown = _page(thread, request.GET.get("page"))
    _read(request, b, thread, shown)
    return render(request, "care/conversation.html", {
        "b": b, "kind": kind, "slug": Conversation.slug_for(kind),
        "conversation": thread, "page": page, "shown": shown, "form": form,
        "access": access, "health_thread": threads.get(Conversation.Kind.HEALTH),
        "can_write": can_write,
        "poll": page is None or page.number == 1,
    }, status=status)


@require("conversation.view")
@require_GET
def conversation_messages(request: HttpRequest, public_id, kind: str) -> HttpResponse:
    """The newest messages, refreshed by htmx every 15 seconds while the thread is open:
    204 (nothing shown, nothing read, nothing traced) while the newest is still the one the
    page shows (``depuis``); else the box redrawn, read and traced."""
    b, _, kind, threads = _thread(request, public_id, kind)
    thread = threads.get(kind)
    _, shown = _page(thread, 1)
    newest = str(shown[-1].public_id) if shown else ""
    if "depuis" in request.GET and request.GET["depuis"] == newest:
        return HttpResponse(status=204, headers={"Cache-Control": "private, no-store"})
    _read(request, b, thread, shown, refresh=True)
    response = render(request, "care/_partials/messages_box.html", {
        "b": b, "conversation": thread, "shown": shown, "poll": True,
        "slug": Conversation.slug_for(kind)})
    response["Cache-Control"] = "private, no-store"
    return response


@require("conversation.write")
@require_POST
def conversation_open_health(request: HttpRequest, public_id) -> HttpResponse:
    b, access = _shared_file(request, public_id)
    try:
        services.conversation_open_health(actor=request.user, roles=request.roles,
                                          beneficiary=b, access=access)
    except DomainError as error:
        messages.error(request, error.message)
        return redirect(_thread_url(b, Conversation.Kind.TEAM))
    return redirect(_thread_url(b, Conversation.Kind.HEALTH))


@require("conversation.view")
@require_GET
def message_attachment(request: HttpRequest, public_id, item_id) -> HttpResponse:
    b, access = _shared_file(request, public_id)
    message = get_for_crt(
        Message.objects.filter(conversation__beneficiary=b).exclude(attachment="")
        .select_related("conversation"), request.crt, item_id)
    if message.conversation.kind == Conversation.Kind.HEALTH and not access.health:
        raise PermissionDenied(HEALTH_ONLY)
    try:
        handle = message.attachment.open("rb")
    except FileNotFoundError as exc:
        raise Http404("Le fichier n'est plus disponible.") from exc
    audit_log(actor=request.user, action="message.attachment_downloaded", obj=message,
              beneficiary=b, details={"fil": message.conversation.get_kind_display()})
    return file_download(handle, content_type=message.attachment_type,
                         filename=message.attachment_name)


@require("conversation.view")
@require_GET
def conversations(request: HttpRequest) -> HttpResponse:
    page = Paginator(selectors.my_conversations(crt=request.crt, user=request.user,
                                                roles=request.roles), 30).get_page(
        request.GET.get("page"))
    return render(request, "care/conversations.html", {"page": page, "rows": page.object_list})
