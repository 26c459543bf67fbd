"""The form → service → redirect loop every editing view shares."""

from collections.abc import Callable

from django.forms import Form
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from . import submissions
from .errors import DomainError
from .validators import INTEGER_RANGE


def run_form(
    request: HttpRequest,
    form: Form,
    save: Callable[[dict], object],
    *,
    template: str,
    context: dict,
    on_success: Callable[[object], HttpResponse],
    once: bool = False,
) -> HttpResponse:
    """Validate ``form`` on POST, call ``save(cleaned_data)``, answer ``on_success(result)``.

    Domain errors go next to their field. Invalid input answers 400, a conflict 409, so that
    nothing looks saved when it was not. ``once``: a create form whose page, posted again
    (the browser's Back), must not create twice (``core.submissions``).
    """
    status = 200
    if once:
        form.submission_key = submissions.once_key(request)  # rendered by _form_errors.html
    if request.method == "POST":
        if once and (done := submissions.replayed(request)) is not None:
            return done
        if not form.is_bound:
            # ``Form(request.POST or None)`` leaves a form unbound when every field was left
            # empty: bind it, so an all-optional form can still be submitted.
            form.is_bound, form.data, form.files = True, request.POST, request.FILES
            form._errors = None
        if form.is_valid():
            try:
                if once:  # the save, its redirect and the key in one transaction
                    return submissions.save_once(
                        request, lambda: on_success(save(form.cleaned_data)))
                result = save(form.cleaned_data)
            except DomainError as error:
                form.add_domain_error(error)
                status = 409 if error.code == "conflict" else 400
            else:
                return on_success(result)
        else:
            status = 400
    return render(request, template, {**context, "form": form}, status=status)


def posted_version(request: HttpRequest, name: str = "version") -> int:
    """The version a page sent back in its hidden field ``name`` for a service's optimistic
    lock: -1 when it is missing, not a whole number or beyond the database's integers (an
    altered page). No row is ever at -1, so the service answers with its conflict message
    instead of the view failing."""
    try:
        version = int(request.POST.get(name, ""))
    except ValueError:
        return -1
    return version if 0 <= version <= INTEGER_RANGE[1] else -1
