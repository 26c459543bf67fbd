"""One-time submission keys for create forms: the same page posted twice creates once.

A create form offered with ``run_form(..., once=True)`` (or ``once_key``, ``replayed`` and
``save_once`` in a view of its own) carries a hidden random key, rendered by
``core/_form_errors.html`` (every form includes it). The save and the key are written in one
transaction, with the page the save led to; a later post of the same key (the browser's Back,
then the button again) finds it (one lookup on a unique index, within the user's CRT) and is
answered « Déjà enregistré » with a redirect there. Two posts at once meet the unique
constraint: the second waits for the first's commit and is answered the same way.

A post without the key (an older page, a test or a script) is saved as before: the key only
adds a guard, it is never required.
"""

import uuid
from collections.abc import Callable
from datetime import timedelta

from django.contrib import messages
from django.db import IntegrityError, transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils import timezone

from .models import SubmissionKey

FIELD = "submission_key"
#: How long a key is remembered (a page left open longer is saved as a new submission).
KEEP_DAYS = 30
ALREADY_SAVED = "Déjà enregistré : ce formulaire avait déjà été envoyé, rien n'a été ajouté."


def posted_key(request: HttpRequest) -> uuid.UUID | None:
    try:
        return uuid.UUID(request.POST.get(FIELD, ""))
    except ValueError:
        return None


def once_key(request: HttpRequest) -> str:
    """The key a form page carries: the one posted (a refused post keeps its key, nothing was
    saved with it), else a new one."""
    key = posted_key(request) if request.method == "POST" else None
    return str(key or uuid.uuid4())


def _owner(request: HttpRequest) -> dict | None:
    crt, user = getattr(request, "crt", None), getattr(request, "user", None)
    if crt is None or user is None or not user.is_authenticated:
        return None
    return {"crt": crt, "user": user}


def replayed(request: HttpRequest) -> HttpResponse | None:
    """For a post whose key already saved something: « Déjà enregistré » and a redirect to
    the page the save led to (one lookup on a unique index); None otherwise. Call it before
    validating the form: the page posted again may no longer be valid (a stale version…)."""
    key, owner = posted_key(request), _owner(request)
    if key is None or owner is None:
        return None
    done = SubmissionKey.objects.filter(key=key, **owner).values_list(
        "redirect_to", flat=True).first()
    if done is None:
        return None
    messages.info(request, ALREADY_SAVED)
    return redirect(done)


def save_once(request: HttpRequest, action: Callable[[], HttpResponse]) -> HttpResponse:
    """``action()`` (the save and its redirect), its key stored in the same transaction; call
    ``replayed`` first. Exceptions of ``action`` (a ``DomainError``…) leave nothing behind and
    pass through."""
    key, owner = posted_key(request), _owner(request)
    if key is None or owner is None:
        return action()
    # The messages ``action`` queues (« … ajouté. ») go with its save if it is rolled back.
    queued = getattr(messages.get_messages(request), "_queued_messages", None)
    before = len(queued) if queued is not None else 0
    try:
        with transaction.atomic():
            response = action()
            target = response.get("Location") if 300 <= response.status_code < 400 else None
            if target:
                SubmissionKey.objects.create(key=key, redirect_to=target[:500], **owner)
    except IntegrityError:
        # The same key saved meanwhile by a post sent at the same time: that one counts.
        if queued is not None:
            del queued[before:]
        if (done := replayed(request)) is not None:
            return done
        raise
    return response


def prune(now=None) -> int:
    """Forget the keys older than ``KEEP_DAYS`` (nightly, with the periodic runs' guard rows)."""
    limit = (now or timezone.now()) - timedelta(days=KEEP_DAYS)
    return SubmissionKey.objects.filter(created_at__lt=limit).delete()[0]
