"""The on-call service: the phone-first on-call screen (search, the person's emergency
essentials, break the glass), the call log, the rota and its coverage, break-the-glass reviews,
the figures."""

from datetime import date, datetime, timedelta

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from maillage.beneficiaries.access import file_access, visible_beneficiaries
from maillage.beneficiaries.elsewhere import other_crts_matching
from maillage.core.access import require
from maillage.core.audit import audit_log, audit_log_many
from maillage.core.errors import DomainError
from maillage.core.forms_util import run_form
from maillage.core.permissions import has_permission
from maillage.core.plurals import count_label
from maillage.core.tenancy import get_for_crt

from . import selectors, services
from .access import (
    calls_visible,
    can_edit_call,
    can_view_call,
    emergency_access,
    glass_valid_until,
)
from .forms import (
    ArrangementForm,
    BreakGlassForm,
    CallForm,
    CallStartForm,
    ContactForm,
    EscalationForm,
    ShiftForm,
    after,
    before_now,
)
from .models import Arrangement, BreakGlass, Call, EscalationContact, Shift
from .rota import SlotKind, holiday_name, slot_kind
from .views_dlu import reads_dlu

# --- The on-call screen ----------------------------------------------------------------------


@require("oncall.respond")
@require_GET
def screen(request: HttpRequest) -> HttpResponse:
    query = request.GET.get("q", "").strip()
    results = selectors.search(crt=request.crt, query=query) if query else []
    if query:
        audit_log(actor=request.user, action="oncall.searched", crt=request.crt,
                  details={"résultats": len(results)})
    # Someone of that name followed by another CRT this user works for (no audit of its own:
    # see beneficiaries/elsewhere.py).
    elsewhere = other_crts_matching(
        request=request, permission="oncall.respond",
        matching=lambda qs: selectors.matching(qs, query)) if query else []
    alerts = selectors.screen_alerts(crt=request.crt, user=request.user, roles=request.roles)
    # Their descriptions are clinical text: a read of each person's alerts, as their page.
    audit_log_many(actor=request.user, events=[
        {"action": "alerts.viewed", "crt": request.crt, "obj": b, "beneficiary": b,
         "details": {"écran": "astreinte"}}
        for b in {a.beneficiary_id: a.beneficiary for a in alerts["alerts"]}.values()])
    return render(request, "oncall/screen.html", {
        **alerts,
        "query": query, "results": results, "searched": bool(query), "elsewhere": elsewhere,
        "on_call": selectors.on_call_now(crt=request.crt),
        "contacts": selectors.contacts(crt=request.crt),
        "open_calls": selectors.open_calls(crt=request.crt, user=request.user,
                                           roles=request.roles),
        "today": timezone.localdate(),
    })


def _person(request, public_id):
    return get_for_crt(visible_beneficiaries(crt=request.crt, user=request.user,
                                             roles=request.roles).select_related("commune"),
                       request.crt, public_id)


@require("oncall.respond")
@require_http_methods(["GET", "POST"])
def person(request: HttpRequest, public_id) -> HttpResponse:
    """What the on-call professional needs about one person, on a phone."""
    b = _person(request, public_id)
    access = emergency_access(user=request.user, roles=request.roles, beneficiary=b)
    form = BreakGlassForm(request.POST or None)
    status = 200
    if request.method == "POST":
        if not access.may_break_glass:
            raise PermissionDenied("L'accès en urgence est réservé au professionnel "
                                   "d'astreinte en ce moment, pendant un appel en cours au "
                                   "sujet de cette personne, qu'il a pris ou pour lequel il "
                                   "se déplace.")
        if form.is_valid():
            try:
                services.break_glass(actor=request.user, call=access.open_call, beneficiary=b,
                                     reason=form.cleaned_data["reason"])
            except DomainError as error:
                form.add_domain_error(error)
                status = 400
            else:
                messages.warning(request, "Accès en urgence enregistré : il sera examiné par "
                                          "la coordination et le délégué à la protection des "
                                          "données.")
                return redirect("oncall:person", public_id=b.public_id)
        else:
            status = 400
    files = file_access(user=request.user, roles=request.roles, beneficiary=b)
    context = {"b": b, "access": access, "form": form,
               **selectors.person_essentials(beneficiary=b, with_health=access.health,
                                             medical_fields=access.medical_fields),
               # Ways on from the phone, each only when it opens for this reader.
               "can_raise_alert": has_permission(request.roles, "alert.raise")
               and files.liaison,
               "can_open_dlu": access.health and files.identity
               and has_permission(request.roles, "dlu.view"),
               "can_open_file": files.identity
               and has_permission(request.roles, "beneficiary.view")}
    if access.health:
        context["key_box"] = b.key_box_code if b.has_key_box and (
            files.key_box or access.break_glass) else None
    # Identity, address and phones are shown in every case: always a read of the file.
    audit_log(actor=request.user, action="oncall.person_viewed", obj=b, beneficiary=b,
              emergency=access.break_glass is not None,
              reason=access.break_glass.reason if access.break_glass else "",
              details={"données de santé": access.health})
    return render(request, "oncall/person.html", context, status=status)


# --- Calls -----------------------------------------------------------------------------------


#: A call is typed while or soon after it comes in: a time that would be further back (a time
#: still ahead today, read as yesterday's) is refused.
TYPED_CALL_WITHIN = timedelta(hours=12)


@require("oncall.respond")
@require_http_methods(["GET", "POST"])
def call_new(request: HttpRequest) -> HttpResponse:
    b = None
    if request.GET.get("personne"):
        b = _person(request, request.GET["personne"])
    now = timezone.localtime().time().replace(second=0, microsecond=0)
    form = CallStartForm(request.POST or None, initial={"received": now, "answered": now})

    def save(data):
        received = before_now(data["received"])
        if received < timezone.now() - TYPED_CALL_WITHIN:
            # A time still ahead today is read as yesterday's: said, not filed a day back.
            raise DomainError(
                f"{data['received']:%H:%M} serait hier, le "
                f"{timezone.localtime(received):%d/%m à %H:%M}, il y a plus de 12 heures : "
                "vérifiez l'heure de réception.", field="received")
        return services.call_create(
            actor=request.user, crt=request.crt, source=data["source"], beneficiary=b,
            caller_name=data["caller_name"], caller_phone=data["caller_phone"],
            reason=data["reason"], received_at=received,
            answered_at=before_now(data["answered"]))

    def done(call):
        return redirect("oncall:call", call_id=call.public_id)

    title = f"Nouvel appel — {b.display_name}" if b else "Nouvel appel"
    earlier = None
    if b is not None:
        earlier = selectors.earlier_calls(beneficiary=b, user=request.user, roles=request.roles)
        # Audited whether the page is shown or the form answered with an error (the list is
        # shown again); a saved call redirects, but its form was opened with the list anyway.
        if earlier.readable:
            audit_log(actor=request.user, action="oncall_call.history_viewed", obj=b,
                      beneficiary=b, details={"appels lus": len(earlier.readable)})
    return run_form(request, form, save, template="oncall/call_new.html", on_success=done,
                    once=True, context={"title": title, "b": b, "earlier": earlier})


def _call(request, call_id) -> Call:
    """The call named in the URL (404 in another CRT), if this user may read it (403)."""
    call = get_for_crt(Call.objects.select_related(*selectors.CALL_RELATED), request.crt,
                       call_id)
    if not can_view_call(user=request.user, roles=request.roles, call=call):
        raise PermissionDenied("Cet appel est réservé au professionnel d'astreinte, à la "
                               "coordination et au cercle de soins de la personne.")
    return call


@require("oncall.calls.view")
@require_http_methods(["GET", "POST"])
def call(request: HttpRequest, call_id) -> HttpResponse:
    item = _call(request, call_id)
    may_edit = can_edit_call(user=request.user, roles=request.roles, call=item)
    form = CallForm(request.POST or None, initial=CallForm.initial_for(item))
    status = 200
    if request.method == "POST":
        if not may_edit:
            raise PermissionDenied("Seul le professionnel qui a pris l'appel le complète.")
        if form.is_valid():
            data = form.cleaned_data
            start = item.answered_at or item.received_at
            departed = after(start, data["departed"])
            arrived = after(departed or start, data["arrived"])
            left = after(arrived or departed or start, data["left"])
            try:
                with transaction.atomic():  # completed and closed, or nothing saved
                    services.call_update(
                        actor=request.user, call=item, version=data["version"],
                        assessment=data["assessment"], advice=data["advice"],
                        call_out=data["call_out"], departed_at=departed, arrived_at=arrived,
                        left_at=left, actions=data["actions"], outcome=data["outcome"],
                        hospital=data["hospital"], outcome_notes=data["outcome_notes"],
                        follow_up=data["follow_up"])
                    if data["close"]:
                        services.call_close(actor=request.user, call=item,
                                            version=item.version)
            except DomainError as error:
                item.refresh_from_db()
                form.add_domain_error(error)
                status = 409 if error.code == "conflict" else 400
            else:
                messages.success(request, "Appel clos." if data["close"]
                                 else "Appel enregistré.")
                if data["close"]:
                    return redirect("oncall:screen")
                return redirect("oncall:call", call_id=item.public_id)
        else:
            status = 400
    earlier = selectors.earlier_calls(
        beneficiary=item.beneficiary, user=request.user, roles=request.roles,
        at=item.received_at, exclude=item) if item.beneficiary_id else None
    audit_log(actor=request.user, action="oncall_call.viewed", obj=item,
              beneficiary=item.beneficiary,
              details={"autres appels lus": len(earlier.readable)} if earlier else None)
    return render(request, "oncall/call.html", {
        "call": item, "earlier": earlier, "form": form,
        "may_edit": may_edit and item.status == Call.Status.OPEN,
        "escalation_form": EscalationForm(initial={"at": timezone.localtime().time().replace(
            second=0, microsecond=0)}),
        "escalations": list(item.escalations.all()),
        "perms_lodging": has_permission(request.roles, "lodging.manage"),
        "transfer_sheet": _transfer_sheet_opens(request, item),
    }, status=status)


def _transfer_sheet_opens(request: HttpRequest, call: Call) -> bool:
    """Whether the call's « fiche aller » (PDF and CDA) opens for this reader, as
    ``views_dlu._transfer_read`` decides: a responder who may read the person's DLU. Its links
    are shown only then (the coordination, outside the care team, was led to a refusal)."""
    return (call.beneficiary_id is not None and has_permission(request.roles, "oncall.respond")
            and reads_dlu(request, call.beneficiary))


@require("oncall.respond")
@require_POST
def escalation_add(request: HttpRequest, call_id) -> HttpResponse:
    item = _call(request, call_id)
    if not can_edit_call(user=request.user, roles=request.roles, call=item):
        raise PermissionDenied("Seul le professionnel qui a pris l'appel le complète.")
    form = EscalationForm(request.POST)
    if form.is_valid():
        try:
            services.escalation_add(actor=request.user, call=item, to=form.cleaned_data["to"],
                                    at=after(item.received_at, form.cleaned_data["at"]),
                                    notes=form.cleaned_data["notes"])
        except DomainError as error:
            messages.error(request, error.message)
        else:
            messages.success(request, "Recours noté.")
    else:
        messages.error(request, " ".join(e for errors in form.errors.values() for e in errors))
    return redirect("oncall:call", call_id=item.public_id)


@require("oncall.calls.view")
@require_GET
def calls(request: HttpRequest) -> HttpResponse:
    """The call log: the calls this user may read. The direction reads the figures instead."""
    page = Paginator(selectors.calls(crt=request.crt, user=request.user, roles=request.roles),
                     30).get_page(request.GET.get("page"))
    return render(request, "oncall/calls.html", {
        "page": page, "calls": list(page.object_list),
        "can_view_figures": has_permission(request.roles, "oncall.figures")})


# --- Rota ------------------------------------------------------------------------------------


@require("oncall.rota.view")
@require_GET
def rota(request: HttpRequest) -> HttpResponse:
    return _rota_page(request, ContactForm())


def _rota_page(request, contact_form, status=200) -> HttpResponse:
    now = timezone.now()
    shifts = selectors.shifts_between(crt=request.crt, start=now, end=now + timedelta(days=30))
    days: dict[date, list[Shift]] = {}
    for shift in shifts:
        days.setdefault(timezone.localtime(max(shift.starts_at, now)).date(), []).append(shift)
    return render(request, "oncall/rota.html", {
        "days": [{"day": d, "holiday": holiday_name(d), "weekend": d.weekday() >= 5,
                  "shifts": items} for d, items in sorted(days.items())],
        "gaps": selectors.coverage(crt=request.crt, start=now),
        "contacts": selectors.contacts(crt=request.crt),
        "arrangements": list(Arrangement.objects.filter(crt=request.crt)
                             .select_related("partner")),
        "can_manage": has_permission(request.roles, "oncall.rota.manage"),
        "contact_form": contact_form,
        "slot_labels": SlotKind.LABELS, "now_kind": SlotKind.LABELS[slot_kind(now)],
    }, status=status)


@require("oncall.rota.manage")
@require_GET
def shift_pick(request: HttpRequest) -> HttpResponse:
    """Team members or directory professionals matching a typed name, to put on the rota (htmx
    fragment, at most 20)."""
    from maillage.core.pickers import picker_response

    return picker_response(request, ShiftForm(crt=request.crt), default="staff")


@require("oncall.rota.manage")
@require_http_methods(["GET", "POST"])
def shift_add(request: HttpRequest) -> HttpResponse:
    form = ShiftForm(request.POST or None, crt=request.crt,
                     initial={"first_day": timezone.localdate()},
                     search_url=reverse("oncall:shift_pick"))

    def save(data):
        starts = ends = None
        if data["preset"] == "custom":
            starts = timezone.make_aware(datetime.combine(data["first_day"],
                                                          data["start_time"]))
            ends = timezone.make_aware(datetime.combine(data["first_day"], data["end_time"]))
            if ends <= starts:
                ends += timedelta(days=1)
        return services.shifts_add(
            actor=request.user, crt=request.crt, preset=data["preset"],
            first_day=data["first_day"], days=data["days"], staff=data["staff"],
            professional=data["professional"], duty=data["duty"],
            arrangement=data["arrangement"], phone=data["phone"], starts_at=starts,
            ends_at=ends, notes=data["notes"])

    def done(created):
        messages.success(request, count_label(
            len(created), "tour d'astreinte ajouté,tours d'astreinte ajoutés") + ".")
        return redirect("oncall:rota")

    return run_form(request, form, save, template="core/form_page.html", on_success=done,
                    context={"title": "Ajouter au planning d'astreinte",
                             "back_url": reverse("oncall:rota"),
                             "back_label": "Planning d'astreinte"})


@require("oncall.rota.manage")
@require_POST
def shift_remove(request: HttpRequest, shift_id) -> HttpResponse:
    shift = get_for_crt(Shift.objects.select_related("staff", "professional"), request.crt,
                        shift_id)
    services.shift_remove(actor=request.user, shift=shift)
    messages.success(request, "Tour d'astreinte retiré.")
    return redirect("oncall:rota")


@require("oncall.rota.manage")
@require_POST
def contact_add(request: HttpRequest) -> HttpResponse:
    form = ContactForm(request.POST)
    if form.is_valid():
        data = {k: v for k, v in form.cleaned_data.items() if k != "version"}
        try:
            services.contact_add(actor=request.user, crt=request.crt, **data)
        except DomainError as error:
            form.add_domain_error(error)
        else:
            messages.success(request, "Recours ajouté.")
            return redirect("oncall:rota")
    # The planning again, the errors next to their field and what was typed kept.
    return _rota_page(request, form, status=400)


@require("oncall.rota.manage")
@require_http_methods(["GET", "POST"])
def contact_edit(request: HttpRequest, contact_id) -> HttpResponse:
    contact = get_for_crt(EscalationContact.objects.all(), request.crt, contact_id)
    initial = {f: getattr(contact, f) for f in services.CONTACT_FIELDS}
    form = ContactForm(request.POST or None, initial={**initial, "version": contact.version})

    def save(data):
        return services.contact_update(
            actor=request.user, contact=contact, version=data.get("version"),
            **{f: data[f] for f in services.CONTACT_FIELDS})

    def done(result):
        messages.success(request, "Recours modifié.")
        return redirect("oncall:rota")

    return run_form(request, form, save, template="core/form_page.html", on_success=done,
                    context={"title": f"Modifier le recours : {contact.label}",
                             "back_url": reverse("oncall:rota"),
                             "back_label": "Planning d'astreinte"})


@require("oncall.rota.manage")
@require_POST
def contact_remove(request: HttpRequest, contact_id) -> HttpResponse:
    contact = get_for_crt(EscalationContact.objects.all(), request.crt, contact_id)
    services.contact_remove(actor=request.user, contact=contact)
    messages.success(request, "Recours retiré.")
    return redirect("oncall:rota")


def _arrangement_form(request, arrangement):
    form = ArrangementForm(request.POST or None, instance=arrangement, crt=request.crt)

    def save(data):
        return services.arrangement_save(
            actor=request.user, crt=request.crt, arrangement=arrangement,
            version=data.get("version"),
            **{f: data[f] for f in services.ARRANGEMENT_FIELDS})

    def done(result):
        messages.success(request, "Organisation de l'astreinte enregistrée.")
        return redirect("oncall:rota")

    return run_form(request, form, save, template="core/form_page.html", on_success=done,
                    context={"title": "Organisation de l'astreinte",
                             "intro": "Qui répond à la centrale de téléassistance et qui se "
                                      "déplace, de jour, de nuit et les jours fériés ; en cas "
                                      "de mutualisation avec un dispositif IDE de nuit entre "
                                      "EHPAD, la convention et l'accord écrit de son porteur.",
                             "back_url": reverse("oncall:rota"),
                             "back_label": "Planning d'astreinte"})


@require("oncall.rota.manage")
@require_http_methods(["GET", "POST"])
def arrangement_add(request: HttpRequest) -> HttpResponse:
    return _arrangement_form(request, None)


@require("oncall.rota.manage")
@require_http_methods(["GET", "POST"])
def arrangement_edit(request: HttpRequest, arrangement_id) -> HttpResponse:
    return _arrangement_form(request, get_for_crt(Arrangement.objects.all(), request.crt,
                                                  arrangement_id))


# --- Break-the-glass review, figures ---------------------------------------------------------


@require("oncall.break_glass.review")
@require_http_methods(["GET", "POST"])
def break_glass_list(request: HttpRequest) -> HttpResponse:
    if request.method == "POST":
        item = get_for_crt(BreakGlass.objects.select_related("beneficiary"), request.crt,
                           request.POST.get("item"))
        try:
            services.break_glass_review(actor=request.user, item=item)
        except DomainError as error:
            messages.error(request, error.message)
        else:
            messages.success(request, "Accès marqué comme examiné.")
        return redirect("oncall:break_glass_list")
    page = Paginator(selectors.break_glass_list(crt=request.crt), 30).get_page(
        request.GET.get("page"))
    items = list(page.object_list)
    # The call's page only for those who may read it (the coordinator): the auditor reviews
    # the access with the call's time and reason code, not its clinical text.
    readable = set(calls_visible(crt=request.crt, user=request.user, roles=request.roles)
                   .filter(pk__in=[g.call_id for g in items]).values_list("pk", flat=True))
    now = timezone.now()
    for g in items:
        g.call_readable = g.call_id in readable
        g.valid_until = glass_valid_until(g.call)
        g.expired = g.valid_until is not None and g.valid_until <= now
    return render(request, "oncall/break_glass.html", {"page": page, "items": items})


@require("oncall.figures")
@require_GET
def figures(request: HttpRequest) -> HttpResponse:
    return render(request, "oncall/figures.html",
                  {"f": selectors.figures(crt=request.crt)})
