"""Prescription requests to the person's GP (SPEC §4.7): a structured letter sent by MSSanté,
followed until the answer arrives, reminded when it does not.

- ``prescription_request``: the doctor or a nurse of the care team asks; the letter (PDF) leaves
  through the durable outbox as an MSSanté message to the GP's address from the directory.
- ``prescription_answer``: the MSSanté inbox (``maillage.interop.mssante.inbox``) found a message
  from that GP answering the request (same thread, or the reference in its subject); its document
  is attached to the file, the request closed, the requester told.
- ``prescription_reminders``: a periodic task re-sends the letter, marked « relance », after
  ``settings.PRESCRIPTION_REMINDER_DAYS`` days without an answer, at most
  ``settings.PRESCRIPTION_MAX_REMINDERS`` times, and tells the requester each time.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from maillage.beneficiaries.models import Beneficiary, CareTeamMember, Document
from maillage.beneficiaries.services import timeline_add
from maillage.core.audit import audit_log
from maillage.core.errors import DomainError
from maillage.core.models import OutboxMessage
from maillage.core.notifications import notify
from maillage.core.uploads import UploadRefusedError, inspect_upload
from maillage.core.validators import is_uuid
from maillage.core.versioning import save_versioned

from ..models import PrescriptionRequest

logger = logging.getLogger(__name__)

HEALTH_ONLY = "Données de santé : réservées aux professionnels de santé du cercle de soins."


def current_gp(beneficiary: Beneficiary) -> CareTeamMember | None:
    """The person's GP as the care team records it (a directory professional), or None."""
    return (CareTeamMember.objects.active().filter(beneficiary=beneficiary, is_gp=True,
                                                   professional__isnull=False)
            .select_related("professional").first())


def letter_pdf(req: PrescriptionRequest, *, requester, sent_at: datetime,
               reminder: int = 0) -> bytes:
    """The letter to the GP: the person's identity (the INS only when qualified), what is
    asked, the clinical context, the reference to quote."""
    from maillage.core.pdf import render_pdf  # WeasyPrint loads on first use only
    from maillage.core.selectors import member_roles

    from .liaison import author_role

    b = req.beneficiary
    roles = member_roles(user=requester, crt=req.crt) if requester else frozenset()
    return render_pdf(render_to_string("care/prescription_letter.html", {
        "req": req, "b": b, "crt": req.crt, "requester": requester,
        "requester_role": author_role(roles) if roles else "",
        "sent_at": sent_at, "reminder": reminder}))


def _subject(req: PrescriptionRequest, *, reminder: int = 0) -> str:
    prefix = f"Relance {reminder} — " if reminder else ""
    return (f"{prefix}Demande de prescription : {req.get_kind_display().lower()} "
            f"[Réf. {req.reference}]")


def _body(req: PrescriptionRequest, *, reminder: int = 0) -> str:
    lines = [
        "Bonjour Docteur,",
        "",
        (f"Nous revenons vers vous (relance n° {reminder}) au sujet de notre demande du "
         f"{timezone.localtime(req.created_at):%d/%m/%Y}." if reminder else
         "Vous trouverez ci-joint une demande de prescription pour votre patient·e, suivi·e par "
         "notre centre de ressources territorial."),
        "",
        f"Objet : {req.get_kind_display()}",
        f"Référence : {req.reference}",
        "",
        "Merci de répondre à ce message en joignant l'ordonnance (PDF) : elle sera rattachée "
        "au dossier de la personne.",
        "",
        "Bien cordialement,",
        req.crt.name,
    ]
    return "\n".join(lines)


def _send(req: PrescriptionRequest, *, requester, reminder: int = 0) -> OutboxMessage:
    """The letter, as an MSSanté message through the outbox (sent after commit), recorded
    among the file's MSSanté sendings; a reminder goes in the thread of the first message."""
    from maillage.interop.mssante.services import Recipient, mssante_send_letter

    pdf = letter_pdf(req, requester=requester, sent_at=timezone.now(), reminder=reminder)
    title = f"Demande de prescription {req.reference}" + (f" (relance {reminder})"
                                                          if reminder else "")
    sending = mssante_send_letter(
        # A reminder is sent by the software (the periodic task), in the requester's name.
        actor=None if reminder else requester, beneficiary=req.beneficiary,
        recipient=Recipient("professional", req.gp_address,
                            f"Dr {req.gp.first_name} {req.gp.last_name} (médecin traitant)"),
        document_id=req.public_id, title=title, subject=_subject(req, reminder=reminder),
        body=_body(req, reminder=reminder), filename=f"{req.reference}.pdf", pdf=pdf,
        in_reply_to=req.message.message_id if (reminder and req.message) else "")
    return sending.outbox


@transaction.atomic
def prescription_request(*, actor, beneficiary: Beneficiary, access, kind: str, details: str,
                         context: str = "") -> PrescriptionRequest:
    """Write the request and queue its letter to the GP (``access``: the actor's file access;
    the letter is health data)."""
    if not access.health:
        raise DomainError(HEALTH_ONLY)
    if kind not in PrescriptionRequest.Kind.values:
        raise DomainError("Choisissez l'objet de la demande.", field="kind")
    details, context = details.strip(), context.strip()
    if not details:
        raise DomainError("Indiquez ce qui est demandé au médecin.", field="details")
    member = current_gp(beneficiary)
    if member is None:
        raise DomainError("Le médecin traitant n'est pas renseigné dans le cercle de soins : "
                          "ajoutez-le (depuis l'annuaire) avant de lui écrire.")
    gp = member.professional
    if not gp.mssante_email:
        raise DomainError(f"Le Dr {gp.last_name.upper()} n'a pas d'adresse MSSanté dans "
                          "l'annuaire : complétez sa fiche (ou importez l'Annuaire Santé) avant "
                          "de lui écrire.")
    req = PrescriptionRequest(
        crt=beneficiary.crt, beneficiary=beneficiary, kind=kind, details=details,
        context=context, gp=gp, gp_address=gp.mssante_email, created_by=actor,
        updated_by=actor, last_sent_at=timezone.now())
    req.full_clean(exclude=["crt", "beneficiary", "gp", "message", "answer_document",
                            "created_by", "updated_by"])
    req.save()
    req.message = _send(req, requester=actor)
    req.save(update_fields=["message"])
    audit_log(actor=actor, action="prescription.requested", obj=req, beneficiary=beneficiary,
              details={"objet": req.get_kind_display(), "destinataire": req.gp_address})
    timeline_add(beneficiary=beneficiary, kind="prescription.requested", actor=actor,
                 health=True, title=f"Demande de prescription au médecin traitant : "
                                    f"{req.get_kind_display().lower()}")
    return req


@transaction.atomic
def prescription_cancel(*, actor, req: PrescriptionRequest, version: int,
                        reason: str) -> PrescriptionRequest:
    reason = reason.strip()
    if not reason:
        raise DomainError("Indiquez pourquoi la demande est annulée.", field="reason")
    if req.status != PrescriptionRequest.Status.SENT:
        raise DomainError("Cette demande n'est plus en attente : elle ne peut pas être annulée.",
                          code="conflict")
    req.status = PrescriptionRequest.Status.CANCELLED
    req.cancelled_reason = reason[:300]
    save_versioned(req, actor=actor, version=version, fields=["status", "cancelled_reason"])
    audit_log(actor=actor, action="prescription.cancelled", obj=req,
              beneficiary=req.beneficiary)
    return req


def _requester_url(req: PrescriptionRequest) -> str:
    return reverse("care:prescriptions", kwargs={"public_id": req.beneficiary.public_id})


def prescription_reminders(*, now: datetime | None = None) -> int:
    """Re-send every request left unanswered ``PRESCRIPTION_REMINDER_DAYS`` days since its last
    sending (at most ``PRESCRIPTION_MAX_REMINDERS`` times). Idempotent: a conditional update
    takes each request once per period. Returns how many reminders were queued."""
    now = now or timezone.now()
    period = timedelta(days=settings.PRESCRIPTION_REMINDER_DAYS)
    due = list(PrescriptionRequest.objects.filter(
        status=PrescriptionRequest.Status.SENT, last_sent_at__lte=now - period,
        reminders__lt=settings.PRESCRIPTION_MAX_REMINDERS,
    ).values_list("pk", "last_sent_at"))
    sent = 0
    for pk, last_sent_at in due:
        try:
            sent += _remind(pk, last_sent_at, now=now)
        except DomainError as error:  # MSSanté not configured…: retried at the next run
            logger.warning("Prescription request %s not reminded: %s", pk, error.message)
    return sent


@transaction.atomic
def _remind(pk: int, last_sent_at: datetime, *, now: datetime) -> int:
    """One reminder, if this run takes the request (a conditional update); 1 when sent."""
    taken = PrescriptionRequest.objects.filter(
        pk=pk, status=PrescriptionRequest.Status.SENT, last_sent_at=last_sent_at,
    ).update(last_sent_at=now)
    if not taken:
        return 0
    req = (PrescriptionRequest.objects.select_related("beneficiary", "crt", "message",
                                                       "created_by").get(pk=pk))
    req.reminders += 1
    req.save(update_fields=["reminders"])
    _send(req, requester=req.created_by, reminder=req.reminders)
    audit_log(actor=None, action="prescription.reminded", obj=req, crt=req.crt,
              beneficiary=req.beneficiary, details={"relance": req.reminders})
    if req.created_by_id:
        notify(crt=req.crt, users=[req.created_by], url=_requester_url(req),
               beneficiary=req.beneficiary, face="health",
               text=f"Demande de prescription {req.reference} sans réponse : relance "
                    f"n° {req.reminders} envoyée au médecin.")
    return 1


def find_answered(*, sender: str, subject: str,
                  thread_ids: list[str]) -> PrescriptionRequest | None:
    """The open request a message answers: same thread (its Message-ID among the message's
    In-Reply-To/References), or the reference in the subject — and always from the address the
    request went to (MSSanté is a closed space of identified professionals; anything else is
    left for a person to look at)."""
    sender = sender.strip().lower()
    thread_ids = [t.strip() for t in thread_ids if t.strip()]
    qs = PrescriptionRequest.objects.select_related("beneficiary", "crt", "created_by")
    candidates = []
    if thread_ids:
        ids = {t.strip("<>").split("@", 1)[0] for t in thread_ids}
        candidates = list(qs.filter(message__public_id__in=[i for i in ids if is_uuid(i)]))
    if not candidates:
        for word in subject.replace("[", " ").replace("]", " ").split():
            if word.upper().startswith("PR-") and len(word) == 11:
                hexa = word[3:].lower()
                # The reference is the UUID's first 8 hex digits: before its first hyphen, so
                # the prefix matches in SQLite's hex text and PostgreSQL's uuid text alike.
                candidates = [r for r in qs.filter(public_id__startswith=hexa)
                              if r.reference == word.upper()] if _is_hex(hexa) else []
                if candidates:
                    break
    candidates = [r for r in candidates if r.gp_address.lower() == sender]
    return candidates[0] if len(candidates) == 1 else None


def _is_hex(text: str) -> bool:
    return all(c in "0123456789abcdef" for c in text)


@transaction.atomic
def prescription_answer(*, req: PrescriptionRequest, filename: str, content: bytes,
                        received_at: datetime) -> Document:
    """Attach the GP's answer to the file and close the request (or, when it was answered or
    cancelled already, attach it still: a second document from the GP is kept, never lost)."""
    from maillage.beneficiaries.services import document_add

    req = PrescriptionRequest.objects.select_for_update(of=("self",)).select_related(
        "beneficiary", "crt", "created_by").get(pk=req.pk)
    try:
        kind = inspect_upload(content)
    except UploadRefusedError as exc:
        raise DomainError(exc.message) from exc
    title = f"Réponse du médecin traitant — {req.get_kind_display()} ({req.reference})"
    upload = ContentFile(content, name=(filename or f"{req.reference}{kind.extension}")[:200])
    doc = document_add(actor=None, beneficiary=req.beneficiary,
                       category=Document.Category.MEDICAL, title=title[:200],
                       document_date=timezone.localdate(received_at), uploaded_file=upload,
                       max_bytes=settings.MSSANTE_MAX_ATTACHMENT_BYTES)
    if req.status == PrescriptionRequest.Status.SENT:
        req.status = PrescriptionRequest.Status.ANSWERED
        req.answered_at = received_at
        req.answer_document = doc
        req.version += 1
        req.save(update_fields=["status", "answered_at", "answer_document", "version",
                                "updated_at"])
    audit_log(actor=None, action="prescription.answered", obj=req, crt=req.crt,
              beneficiary=req.beneficiary)
    if req.created_by_id:
        notify(crt=req.crt, users=[req.created_by], url=_requester_url(req),
               beneficiary=req.beneficiary, face="health",
               text=f"Le médecin a répondu à la demande de prescription {req.reference} : "
                    "document joint au dossier.")
    return doc
