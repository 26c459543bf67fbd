"""Sending a document of a person's file by MSSanté: the message (the readable document and
``IHE_XDM.ZIP``, the X-MSS headers) is written to the outbox in the same transaction as the
``MssanteSending`` row and the audit event; the MSSanté transport sends it after commit, with
the outbox's retries. Only a qualified identity lets the INS travel (``ins_travels``): in the
XDM ``patientId``, in ``X-MSS-INS``, and as the Mon espace santé address."""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from maillage.beneficiaries.models import Beneficiary
from maillage.core.audit import audit_log
from maillage.core.collation import french
from maillage.core.errors import DomainError
from maillage.core.models import OutboxMessage
from maillage.core.outbox import outbox_add
from maillage.territory.models import Organization, Professional

from ..models import MssanteSending
from . import documents as docs
from .xdm import ZIP_NAME, XdmAuthor, XdmDocument, XdmPatient, build_xdm, cx, mss_headers

#: Mon espace santé: the person's box is ``<matricule INS>@patient.mssante.fr``.
PATIENT_DOMAIN = "patient.mssante.fr"
IDNPS_OID = "1.2.250.1.71.4.2.1"
IDNST_OID = "1.2.250.1.71.4.2.2"
SOFTWARE = "Maillage"


@dataclass(frozen=True)
class Recipient:
    kind: str  # MssanteSending.RecipientKind
    address: str
    label: str


def patient_box(b: Beneficiary) -> str:
    """The person's Mon espace santé address, or "" when the INS may not travel."""
    if not (b.ins_travels and b.ins_matricule):
        return ""
    return f"{b.ins_matricule}@{PATIENT_DOMAIN}"


def directory_recipients(*, crt, search: str = "", limit: int = 50) -> list[Recipient]:
    """The directory's professionals and organisations with an MSSanté address (Annuaire Santé
    import or typed in), matching ``search`` (name or address)."""
    pros = Professional.objects.filter(crt=crt).exclude(mssante_email="")
    orgs = Organization.objects.filter(crt=crt).exclude(mssante_email="")
    search = search.replace("\x00", "")  # a value posted back altered: PostgreSQL holds no NUL
    if search:
        from django.db.models import Q

        pros = pros.filter(Q(last_name__icontains=search) | Q(first_name__icontains=search)
                           | Q(mssante_email__icontains=search))
        orgs = orgs.filter(Q(name__icontains=search) | Q(mssante_email__icontains=search))
    found = [Recipient("professional", p.mssante_email,
                       f"{p.first_name} {p.last_name}".strip() + f" ({p.get_profession_display()})")
             for p in pros.order_by(french("last_name"), french("first_name"))[:limit]]
    found += [Recipient("organization", o.mssante_email, o.name)
              for o in orgs.order_by(french("name"))[:limit]]
    return found


def find_recipient(value: str, *, beneficiary: Beneficiary) -> Recipient:
    """The recipient chosen in the form: ``patient`` (Mon espace santé) or a directory address."""
    if not value:
        raise DomainError("Choisissez un destinataire.", field="recipient")
    if value == "patient":
        box = patient_box(beneficiary)
        if not box:
            raise DomainError(
                "La messagerie Mon espace santé n'est possible qu'avec une identité qualifiée "
                "(INS qualifiée).", field="recipient")
        return Recipient("patient", box, f"Mon espace santé de {beneficiary.display_name}")
    for recipient in directory_recipients(crt=beneficiary.crt, search=value, limit=5):
        if recipient.address.lower() == value.lower():
            return recipient
    raise DomainError("Choisissez un destinataire de l'annuaire ayant une adresse MSSanté.",
                      field="recipient")


def _patient(b: Beneficiary) -> XdmPatient:
    ins = ""
    if b.ins_travels and b.ins_matricule and b.ins_oid:
        ins = cx(b.ins_matricule, b.ins_oid, "NH")
    return XdmPatient(source_id=cx(str(b.public_id), settings.MSSANTE_SOURCE_OID, "PI"),
                      family=b.birth_name.upper(), given=b.first_name,
                      birth_date=f"{b.birth_date:%Y%m%d}",
                      sex={"F": "F", "M": "M"}.get(b.sex, "U"), ins=ins)


def _author(actor, crt, roles) -> XdmAuthor:
    from maillage.core.roles import Role

    institution = crt.name
    if actor is None:  # written by the software for the CRT (a reminder with no requester)
        return XdmAuthor(institution=institution)
    if crt.finess:
        institution += f"^^^^^&{IDNST_OID}&ISO^IDNST^^^1{crt.finess}"
    role = next((Role(r).label for r in sorted(roles) if r in Role.values), "")
    return XdmAuthor(person=f"^{actor.last_name}^{actor.first_name}", institution=institution,
                     role=role)


def _check_configured() -> None:
    from .transport import configured

    if not configured():
        raise DomainError("La messagerie MSSanté n'est pas configurée pour ce CRT (contactez "
                          "l'administrateur).")


def _queue(*, actor, roles, beneficiary: Beneficiary, recipient: Recipient, title: str,
           subject: str, body: str, readable: tuple[str, bytes, str],
           documents: list, block_replies: bool = False,
           extra_headers: dict[str, str] | None = None) -> tuple[OutboxMessage, bool]:
    """Package ``documents`` as ``IHE_XDM.ZIP`` with the readable document beside it, the X-MSS
    headers, and write the message to the outbox. Returns it, and whether the INS travelled."""
    crt = beneficiary.crt
    patient = _patient(beneficiary)
    xdm = build_xdm(documents=documents, patient=patient, author=_author(actor, crt, roles),
                    title=title, source_oid=settings.MSSANTE_SOURCE_OID,
                    sender=f"{crt.name} <{settings.MSSANTE_SENDER}>", software=SOFTWARE,
                    submitted_at=timezone.now(), recipient=recipient.address)
    headers = mss_headers(documents=documents, ins_qualified=bool(patient.ins),
                          nil=settings.MSSANTE_NIL, patient_box=recipient.kind == "patient",
                          block_replies=block_replies)
    headers.update(extra_headers or {})
    filename, data, mime_type = readable
    outbox = outbox_add(crt=crt, to=recipient.address, subject=subject, body=body,
                        kind=OutboxMessage.Kind.MSSANTE, headers=headers,
                        attachments=[(filename, data, mime_type),
                                     (ZIP_NAME, xdm.content, "application/zip")])
    return outbox, bool(patient.ins)


@transaction.atomic
def mssante_send(*, actor, roles, beneficiary: Beneficiary, sendable: docs.Sendable,
                 recipient: Recipient, message: str = "",
                 block_replies: bool = False) -> MssanteSending:
    """Write the MSSanté message of ``sendable`` to ``recipient`` in the outbox (sent after
    commit), its ``MssanteSending`` row and the audit event (health data leaving)."""
    _check_configured()
    if recipient.kind == "patient" and recipient.address != patient_box(beneficiary):
        raise DomainError("La messagerie Mon espace santé n'est possible qu'avec une identité "
                          "qualifiée (INS qualifiée).", field="recipient")
    crt = beneficiary.crt
    filename, data, mime_type = docs.readable(sendable, crt=crt, printed_by=actor)
    documents = docs.xdm_documents(sendable, data, mime_type, crt=crt, author=actor)
    body = (message.strip() + "\n\n" if message.strip() else "") + (
        f"Document joint : {sendable.title}.\nEnvoyé par {actor.get_full_name()} ({crt.name}) "
        "avec Maillage.\n")
    # The subject shows on the coordination's « Messages sortants » page: a stored document's
    # title (free text, maybe clinical) stays inside the message.
    subject = (sendable.title if sendable.kind != "document"
               else f"Document transmis par {crt.name}")
    outbox, ins_sent = _queue(
        actor=actor, roles=roles, beneficiary=beneficiary, recipient=recipient,
        title=sendable.title, subject=subject, body=body,
        readable=(filename, data, mime_type), documents=documents,
        block_replies=block_replies)
    return _record(actor=actor, beneficiary=beneficiary, recipient=recipient,
                   kind=sendable.kind, document_id=sendable.obj.public_id,
                   title=sendable.title, outbox=outbox, ins_sent=ins_sent)


def _record(*, actor, beneficiary, recipient: Recipient, kind: str, document_id, title: str,
            outbox: OutboxMessage, ins_sent: bool) -> MssanteSending:
    crt = beneficiary.crt
    sending = MssanteSending.objects.create(
        crt=crt, created_by=actor, updated_by=actor, beneficiary=beneficiary,
        recipient_kind=recipient.kind, recipient_address=recipient.address,
        recipient_label=recipient.label[:250], document_kind=kind,
        document_id=document_id, document_title=title[:250],
        ins_sent=ins_sent, outbox=outbox, message_id=outbox.message_id)
    audit_log(actor=actor, action="mssante.sent", crt=crt, obj=sending, beneficiary=beneficiary,
              details={"destinataire": recipient.address, "document": kind, "ins": ins_sent})
    return sending


@transaction.atomic
def mssante_send_letter(*, actor, beneficiary: Beneficiary, recipient: Recipient,
                        document_id, title: str, subject: str, body: str, filename: str,
                        pdf: bytes, in_reply_to: str = "") -> MssanteSending:
    """A letter written by Maillage (a prescription request to the GP, its reminders) sent as
    a PDF in ``IHE_XDM.ZIP``, recorded and audited like any sending. ``in_reply_to``: the
    Message-ID of an earlier message of the same thread (a reminder)."""
    from maillage.core.selectors import member_roles

    _check_configured()
    roles = member_roles(user=actor, crt=beneficiary.crt) if actor else frozenset()
    documents = [XdmDocument(mime_type=docs.PDF, content=pdf, title=title,
                             class_code=docs.CLASS_OTHER, type_code=docs.NOTE_TYPE,
                             format_code=docs.PDF_FORMAT, created_at=timezone.now())]
    thread = {"In-Reply-To": in_reply_to, "References": in_reply_to} if in_reply_to else {}
    outbox, ins_sent = _queue(
        actor=actor, roles=roles, beneficiary=beneficiary, recipient=recipient, title=title,
        subject=subject, body=body, readable=(filename, pdf, docs.PDF), documents=documents,
        extra_headers=thread)
    return _record(actor=actor, beneficiary=beneficiary, recipient=recipient,
                   kind=MssanteSending.DocumentKind.LETTER, document_id=document_id,
                   title=title, outbox=outbox, ins_sent=ins_sent)


@transaction.atomic
def mssante_acknowledged(*, message_id: str, at, error: str = "") -> MssanteSending | None:
    """An acknowledgement (delivery or read notification) naming ``message_id`` (its
    ``Original-Message-ID``) arrived at ``at``: the sending shows it (``interop.mssante.inbox``);
    the first acknowledgement counts. ``error``: a non-delivery report's reason instead (the
    sending shows « non remis »). None for an unknown message."""
    sending = (MssanteSending.objects.select_for_update().filter(message_id=message_id.strip())
               .first())
    if sending is None:
        return None
    if error:
        MssanteSending.objects.filter(pk=sending.pk).update(delivery_error=error[:300])
        sending.delivery_error = error[:300]
        return sending
    if sending.acknowledged_at is None:
        MssanteSending.objects.filter(pk=sending.pk).update(acknowledged_at=at)
        sending.acknowledged_at = at
    return sending
