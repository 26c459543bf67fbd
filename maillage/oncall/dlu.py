"""The DLU-domicile (dossier de liaison d'urgence, HAS model, 2021).

The DLU is assembled from the file each time it is read, so it is never a stale copy:

- the *medical synthesis* (under the GP's responsibility): history, current treatments,
  allergies, advance directives, the « urgence pallia » sheet, decisions to limit care or
  resuscitation, usual state — the file's medical section (``MedicalRecord``);
- the *environmental synthesis*: living situation, caregivers, trusted person, protection
  measure, care team and GP, services and visits at home, equipment, access to the home;
- what only the DLU holds (``EmergencyFile``): what the emergency doctor must know at once,
  communication and behaviour, the usual hospital, other people to warn, the documents kept
  with the DLU at home and where, who validated the medical part and when, the last update
  (who, when) and the next yearly review.

``build`` reads (the caller has checked the access: ``oncall.access.emergency_access``),
with the fields of the medical section its reader may read (``medical_fields``: a care aide
reads the DLU without the history and the medical synthesis, which say « Réservé aux médecins
et infirmiers »: ``beneficiaries.access.medical_section``);
``emergency_file_save`` and ``emergency_file_review`` write, audited, on the timeline.

Completeness and validation. Allergies, current treatments, advance directives and the
resuscitation decision each need an explicit answer (``beneficiaries.medical``: « Aucune
allergie connue » is one, an empty status is not). A DLU may be saved as a draft with answers
missing — the team fills it over time — and then reads « DLU incomplet » with the list, on
screen and in the PDF; it cannot be *validated* (``validate=True``, or the « relu, toujours
exact » review) while one is missing: ``DluIncompleteError`` lists them, field by field.
A validation sets ``reviewed_at``/``reviewed_by`` and the next yearly review. The DLU is « à
revalider » when that review is overdue, or when allergies or treatments changed after the
validation (``MedicalRecord.allergies_treatments_changed_at``, wherever they were edited:
medical section or DLU form saved as a draft).
"""

from dataclasses import dataclass, field
from datetime import date, timedelta

from django.db import IntegrityError, transaction
from django.db.models import Case, Exists, F, OuterRef, Q, QuerySet, Value, When
from django.utils import timezone

from maillage.beneficiaries import medical as medical_rules
from maillage.beneficiaries import services as file_services
from maillage.beneficiaries.access import medical_section
from maillage.beneficiaries.models import Beneficiary, CareTeamMember, MedicalRecord
from maillage.care.models import BasketItem
from maillage.core.audit import audit_log
from maillage.core.errors import ConflictError, DomainError
from maillage.core.versioning import changes, save_versioned, snapshot
from maillage.core.versioning import validate as validate_model
from maillage.visits.models import Visit, VisitSeries

from .models import EmergencyFile

#: The medical section fields edited through the DLU form (saved by the file's service), in
#: the order an emergency doctor reads them.
MEDICAL_FIELDS = (
    "allergies_status", "allergies", "advance_directives_status", "advance_directives",
    "has_palliative_sheet", "resuscitation_status", "resuscitation_decision",
    "treatments_status", "treatments", "history", "usual_state", "synthesis",
)
#: What only the DLU holds.
DLU_FIELDS = (
    "important_info", "communication", "preferred_hospital", "people_to_warn", "annexes",
    "kept_at", "medical_validated_by", "medical_validated_on",
)
_REVIEW_FIELDS = ("reviewed_at", "reviewed_by", "next_review_on")


class DluIncompleteError(DomainError):
    """The DLU cannot be validated: ``missing`` = {status field: French message}."""

    def __init__(self, missing: dict[str, str]):
        super().__init__("Le DLU ne peut pas être validé tant que ces réponses manquent : "
                         + " ".join(missing.values()), field=None, code="incomplete")
        self.missing = missing


def revalidation_reasons(*, medical: MedicalRecord | None, ef: EmergencyFile | None,
                         today: date) -> list[str]:
    """Why a validated DLU must be validated again (French), or [] (never validated: it is to
    be *established*, not revalidated)."""
    if ef is None or ef.reviewed_at is None:
        return []
    reasons = []
    if ef.next_review_on is None or ef.next_review_on < today:
        reasons.append("revue annuelle en retard" + (
            f" depuis le {ef.next_review_on:%d/%m/%Y}" if ef.next_review_on else ""))
    changed = medical.allergies_treatments_changed_at if medical else None
    if changed and changed > ef.reviewed_at:
        reasons.append(f"allergies ou traitements modifiés le "
                       f"{timezone.localtime(changed):%d/%m/%Y} après la dernière validation")
    return reasons


@dataclass(frozen=True)
class Contact:
    name: str
    role: str = ""
    phone: str = ""
    notes: str = ""
    #: RPPS of a health professional of the annuaire (the CDA's GP id), else "".
    rpps: str = ""


@dataclass
class Dlu:
    """Everything the DLU shows, sections in the order an emergency doctor reads them."""

    beneficiary: Beneficiary
    medical: MedicalRecord | None
    emergency_file: EmergencyFile | None
    #: The key-box code, or None when this reader may not see it.
    key_box_code: str | None
    gp: Contact | None
    caregivers: list[Contact]
    trusted_person: Contact | None
    professionals: list[Contact]
    services: list[str]
    visit_rhythms: list[str]
    next_visits: list[Visit]
    today: date
    #: Everything to complete (French): the four essentials first (they block the
    #: validation), then what is advised.
    missing: list[str] = field(default_factory=list)
    #: {status field: French message}: the essentials not filled in.
    essentials_missing: dict[str, str] = field(default_factory=dict)
    #: Why the validated DLU is to be validated again (French).
    revalidation: list[str] = field(default_factory=list)

    @property
    def incomplete(self) -> bool:
        """« DLU incomplet »: an essential (allergies, treatments, directives, resuscitation)
        has no answer."""
        return bool(self.essentials_missing)

    @property
    def advised(self) -> list[str]:
        """What is missing beyond the essentials: advised, not blocking."""
        return self.missing[len(self.essentials_missing):]

    @property
    def to_revalidate(self) -> bool:
        return bool(self.revalidation)

    @property
    def validated(self) -> bool:
        return bool(self.emergency_file and self.emergency_file.reviewed_at)

    # --- identity -------------------------------------------------------------------------
    @property
    def ins(self) -> str:
        """The INS, only when the identity is qualified (the only one that may travel)."""
        b = self.beneficiary
        return b.ins_matricule if b.ins_travels and b.ins_matricule else ""

    @property
    def floor_label(self) -> str:
        b = self.beneficiary
        if b.floor is None:
            return ""
        level = "rez-de-chaussée" if b.floor == 0 else f"{b.floor}ᵉ étage"
        if b.floor < 0:
            level = f"sous-sol ({b.floor})"
        if b.floor > 0:
            level += ", avec ascenseur" if b.has_lift else ", sans ascenseur"
        return level

    # --- environment ----------------------------------------------------------------------
    @property
    def lives_alone(self) -> bool:
        return self.beneficiary.living_situation == Beneficiary.LivingSituation.ALONE

    @property
    def protection(self) -> str:
        b = self.beneficiary
        if not b.protection_measure:
            return ""
        label = b.get_protection_measure_display()
        return f"{label} — {b.protection_contact}" if b.protection_contact else label

    @property
    def equipment(self) -> list[str]:
        return self.beneficiary.equipment_labels

    @property
    def annexes(self) -> list[str]:
        return self.emergency_file.annex_labels if self.emergency_file else []

    # --- freshness ------------------------------------------------------------------------
    @property
    def reviewed_at(self):
        return self.emergency_file.reviewed_at if self.emergency_file else None

    @property
    def reviewed_by(self):
        return self.emergency_file.reviewed_by if self.emergency_file else None

    @property
    def next_review_on(self) -> date | None:
        return self.emergency_file.next_review_on if self.emergency_file else None

    @property
    def review_overdue(self) -> bool:
        return self.next_review_on is None or self.next_review_on < self.today

    @property
    def changed_since_review(self) -> bool:
        """The medical section was changed (on the file) after the last validation."""
        return bool(self.reviewed_at and self.medical
                    and self.medical.updated_at > self.reviewed_at)


def _user_contact(user, role: str) -> Contact:
    return Contact(name=user.get_full_name() or user.username, role=role, phone=user.phone)


def _member_contact(member: CareTeamMember) -> Contact:
    if member.user_id:
        return _user_contact(member.user, member.role)
    pro = member.professional
    name = f"{pro.first_name} {pro.last_name}".strip()
    role = member.role
    if pro.organization_id:
        role = f"{role} — {pro.organization.name}"
    phone = " / ".join(p for p in (pro.phone, pro.mobile) if p)
    if not phone and pro.organization_id:
        phone = pro.organization.phone
    return Contact(name=name, role=role, phone=phone, rpps=pro.rpps)


def _caregiver_contact(c) -> Contact:
    notes = []
    if c.is_main:
        notes.append("aidant principal")
    if c.lives_with:
        notes.append("vit avec la personne")
    if c.exhaustion_risk == c.ExhaustionRisk.HIGH:
        notes.append("risque d'épuisement élevé")
    return Contact(name=f"{c.first_name} {c.last_name}".strip(), role=c.relation,
                   phone=c.phone, notes=", ".join(notes))


def build(*, beneficiary: Beneficiary, show_key_box: bool, medical_fields,
          today: date | None = None) -> Dlu:
    """The DLU of ``beneficiary`` (health data: the caller checked the access), with only the
    fields of the medical section in ``medical_fields`` (``access.medical_fields``)."""
    today = today or timezone.localdate()
    b = beneficiary
    medical = MedicalRecord.objects.select_related("updated_by").filter(beneficiary=b).first()
    if medical is not None:
        medical = medical_section(medical, medical_fields)
    ef = EmergencyFile.objects.select_related("reviewed_by").filter(beneficiary=b).first()
    for record in (medical, ef):
        if record is not None:  # already loaded: no query for their str() in the audit trail
            record.beneficiary = b
    caregivers = [_caregiver_contact(c) for c in b.caregivers.all()]
    members = list(
        CareTeamMember.objects.active(today).filter(beneficiary=b)
        .select_related("user", "professional__organization")
        .order_by("-is_gp", "-is_referent", "role")
    )
    gp_member = next((m for m in members if m.is_gp), None)
    professionals = [_member_contact(m) for m in members if not m.is_gp]
    basket = (
        BasketItem.objects.filter(beneficiary=b, start_date__lte=today)
        .filter(Q(end_date__isnull=True) | Q(end_date__gte=today))
        .select_related("service__provider")
    )
    services = [
        f"{item.service.name}" + (f" ({item.service.provider.name})"
                                  if item.service.provider_id else " (équipe du CRT)")
        for item in basket
    ]
    series = (
        VisitSeries.objects.filter(beneficiary=b, start_date__lte=today)
        .filter(Q(end_date__isnull=True) | Q(end_date__gte=today))
        .select_related("service", "staff", "professional__organization")
        .order_by("start_date", "id")
    )
    rhythms = [f"{s.label} : {s.describe()} — {s.who}" for s in series]
    next_visits = list(
        Visit.objects.filter(beneficiary=b, status=Visit.Status.PLANNED,
                             starts_at__gte=timezone.now())
        .select_related("service", "staff", "professional__organization")
        .order_by("starts_at")[:3]
    )
    trusted = None
    if b.trusted_person_name:
        trusted = Contact(name=b.trusted_person_name, role=b.trusted_person_relation,
                          phone=b.trusted_person_phone)
    dlu = Dlu(
        beneficiary=b, medical=medical, emergency_file=ef,
        key_box_code=(b.key_box_code or "") if show_key_box and b.has_key_box else None,
        gp=_member_contact(gp_member) if gp_member else None, caregivers=caregivers,
        trusted_person=trusted, professionals=professionals, services=services,
        visit_rhythms=rhythms, next_visits=next_visits, today=today,
    )
    dlu.essentials_missing = medical_rules.missing_essentials(medical)
    dlu.missing = _missing(dlu)
    dlu.revalidation = revalidation_reasons(medical=medical, ef=ef, today=today)
    return dlu


def _missing(dlu: Dlu) -> list[str]:
    """What the team should complete: an emergency doctor would miss it. The essentials
    first: the DLU cannot be validated without them."""
    missing = list(dlu.essentials_missing.values())
    ef = dlu.emergency_file
    if dlu.gp is None:
        missing.append("Pas de médecin traitant dans le cercle de soins.")
    if ef is None or not ef.medical_validated_on:
        missing.append("Volet médical non validé par le médecin traitant.")
    if not dlu.caregivers and dlu.trusted_person is None:
        missing.append("Ni aidant ni personne de confiance à prévenir.")
    return missing


@dataclass(frozen=True)
class DueReview:
    beneficiary: Beneficiary
    next_review_on: date | None
    #: False when the DLU was never validated (no ``EmergencyFile``, or a draft).
    established: bool
    overdue: bool
    #: A draft exists (never validated).
    draft: bool = False
    #: An essential (allergies, treatments, directives, resuscitation) has no answer.
    incomplete: bool = False
    #: Allergies or treatments changed after the validation: when.
    changed_at: object = None

    @property
    def to_revalidate(self) -> bool:
        return self.established and (self.overdue or self.changed_at is not None)


def reviews_due_people(*, crt, within_days: int = 15) -> QuerySet[Beneficiary]:
    """People of the file active whose DLU is to be established (none, or a draft never
    validated), incomplete, to be validated again (allergies or treatments changed since), or
    due for its yearly review within ``within_days``: those to establish first, then those to
    revalidate or complete, then by review date. A queryset, to bound or paginate; each person
    becomes a row with ``due_rows``."""
    from maillage.admissions.models import Enrolment

    today = timezone.localdate()
    active = Enrolment.objects.filter(beneficiary=OuterRef("pk"), ended_on__isnull=True)
    never = Q(emergency_file__isnull=True) | Q(emergency_file__reviewed_at__isnull=True)
    changed = Q(medical__allergies_treatments_changed_at__gt=F("emergency_file__reviewed_at"))
    incomplete = Q()
    for status_field in medical_rules.STATUS_FIELDS:
        incomplete |= Q(**{f"medical__{status_field}": ""})
    soon = (Q(emergency_file__next_review_on__isnull=True)
            | Q(emergency_file__next_review_on__lte=today + timedelta(days=within_days)))
    urgent = Q(emergency_file__next_review_on__lt=today) | changed | incomplete
    return (
        Beneficiary.objects.filter(crt=crt)
        .filter(Exists(active))
        .filter(never | soon | changed | incomplete)
        .annotate(priority=Case(When(never, then=Value(0)), When(urgent, then=Value(1)),
                                default=Value(2)))
        .select_related("emergency_file", "medical")
        .order_by("priority", F("emergency_file__next_review_on").asc(nulls_first=True),
                  "birth_name", "first_name", "pk")
    )


def due_rows(people) -> list[DueReview]:
    """Each person of ``reviews_due_people`` (already fetched, or a slice of it) as a row:
    what is due for their DLU. No query beyond the slice's."""
    today = timezone.localdate()
    rows = []
    for b in people:
        try:
            ef = b.emergency_file
        except EmergencyFile.DoesNotExist:
            ef = None
        try:
            medical = b.medical
        except MedicalRecord.DoesNotExist:
            medical = None
        next_on = ef.next_review_on if ef else None
        validated = bool(ef and ef.reviewed_at)
        changed_at = (medical.allergies_treatments_changed_at if medical and validated else None)
        if changed_at and changed_at <= ef.reviewed_at:
            changed_at = None
        rows.append(DueReview(
            beneficiary=b, next_review_on=next_on, established=validated,
            overdue=next_on is None or next_on < today, draft=bool(ef and not validated),
            incomplete=bool(medical_rules.missing_essentials(medical)),
            changed_at=changed_at))
    return rows


def reviews_due(*, crt, within_days: int = 15, limit: int = 10) -> list[DueReview]:
    """The first ``reviews_due_people`` as rows. One query; ``limit + 1`` rows, so that the
    caller can tell there are more."""
    return due_rows(reviews_due_people(crt=crt, within_days=within_days)[:limit + 1])


# --- writes ---------------------------------------------------------------------------------


def _check_fields(fields: dict) -> None:
    unknown = set(fields) - set(DLU_FIELDS)
    if unknown:
        raise DomainError(f"Champ non modifiable : {', '.join(sorted(unknown))}.")
    validated_on = fields.get("medical_validated_on")
    if validated_on and validated_on > timezone.localdate():
        raise DomainError("La date de validation est dans le futur.",
                          field="medical_validated_on")
    if validated_on and not (fields.get("medical_validated_by") or "").strip():
        raise DomainError("Indiquez le médecin qui a validé le volet médical.",
                          field="medical_validated_by")
    annexes = fields.get("annexes") or []
    if not isinstance(annexes, list) or set(annexes) - set(EmergencyFile.Annex.values):
        raise DomainError("Document inconnu dans la liste.", field="annexes")


def _reviewed(ef: EmergencyFile, actor) -> None:
    ef.reviewed_at = timezone.now()
    ef.reviewed_by = actor
    ef.next_review_on = timezone.localdate() + timedelta(days=EmergencyFile.REVIEW_EVERY_DAYS)


def _check_medical_version(beneficiary: Beneficiary, medical_version: int) -> MedicalRecord:
    record = MedicalRecord.objects.select_for_update().filter(beneficiary=beneficiary).first()
    if record is None:
        raise DomainError("Ce dossier n'a pas de volet médical.")
    if record.version != medical_version:
        raise ConflictError()
    return record


def _create(ef: EmergencyFile) -> None:
    try:
        with transaction.atomic():
            ef.save()
    except IntegrityError as exc:  # created by someone else meanwhile
        raise ConflictError() from exc


def _check_complete(record: MedicalRecord, medical: dict | None = None) -> None:
    """Refuse the validation while an essential has no answer (``DluIncompleteError``)."""
    values = {f: getattr(record, f) for f in medical_rules.STATUS_FIELDS}
    values.update({f: v for f, v in (medical or {}).items() if f in values})
    missing = medical_rules.missing_essentials(values)
    if missing:
        raise DluIncompleteError(missing)


@transaction.atomic
def emergency_file_save(*, actor, beneficiary: Beneficiary, version: int, medical_version: int,
                        medical: dict, validate: bool = False, **fields) -> EmergencyFile:
    """Save the DLU: the medical part into the file's medical section (through its service),
    the rest into the ``EmergencyFile``.

    ``validate``: the DLU is also validated now (``reviewed_at``/``reviewed_by``, next yearly
    review in a year) — refused with ``DluIncompleteError`` while an essential has no answer;
    otherwise it is saved as a draft: the validation, if any, stays as it was (and the DLU is
    « à revalider » if allergies or treatments changed).

    ``version`` is the ``EmergencyFile`` version the user loaded (0: there was none),
    ``medical_version`` the medical section's; either stale raises ``ConflictError``."""
    unknown = set(medical) - set(MEDICAL_FIELDS)
    if unknown:
        raise DomainError(f"Champ non modifiable : {', '.join(sorted(unknown))}.")
    medical = dict(medical)
    medical_rules.normalise(medical)
    _check_fields(fields)
    fields["medical_validated_by"] = (fields.get("medical_validated_by") or "").strip()
    record = _check_medical_version(beneficiary, medical_version)
    if validate:
        _check_complete(record, medical)
    medical_changed = sorted(f for f, v in medical.items() if getattr(record, f) != v)
    if medical_changed:
        file_services.medical_update(actor=actor, record=record, version=medical_version,
                                     **medical)
    ef = EmergencyFile.objects.filter(beneficiary=beneficiary).first()
    exclude = ["crt", "beneficiary", "created_by", "updated_by", "reviewed_by"]
    if ef is None:
        if version:
            raise ConflictError()
        ef = EmergencyFile(crt=beneficiary.crt, beneficiary=beneficiary, created_by=actor,
                           updated_by=actor, **fields)
        if validate:
            _reviewed(ef, actor)
        validate_model(ef, exclude=exclude)
        _create(ef)
        changed = sorted(fields)
    else:
        before = snapshot(ef, DLU_FIELDS)
        for name, value in fields.items():
            setattr(ef, name, value)
        if validate:
            _reviewed(ef, actor)
        validate_model(ef, exclude=exclude)
        save_versioned(ef, actor=actor, version=version,
                       fields=(*DLU_FIELDS, *(_REVIEW_FIELDS if validate else ())))
        changed = sorted(changes(before, ef))
    audit_log(actor=actor, action="dlu.updated", obj=ef, beneficiary=beneficiary,
              details={"champs": changed, "volet_medical": medical_changed,
                       "validation": validate})
    file_services.timeline_add(beneficiary=beneficiary, kind="dlu.updated", actor=actor,
                               title="DLU mis à jour et validé" if validate
                               else "DLU mis à jour (brouillon, non validé)", health=True)
    return ef


@transaction.atomic
def emergency_file_review(*, actor, beneficiary: Beneficiary, version: int,
                          medical_version: int) -> EmergencyFile:
    """The DLU was read through and is still right: it is validated again for a year —
    refused with ``DluIncompleteError`` while an essential has no answer.

    The versions are those of the DLU the user read: if it changed since, they must read it
    again (``ConflictError``)."""
    record = _check_medical_version(beneficiary, medical_version)
    _check_complete(record)
    ef = EmergencyFile.objects.filter(beneficiary=beneficiary).first()
    if ef is None:
        if version:
            raise ConflictError()
        ef = EmergencyFile(crt=beneficiary.crt, beneficiary=beneficiary, created_by=actor,
                           updated_by=actor)
        _reviewed(ef, actor)
        _create(ef)
    else:
        _reviewed(ef, actor)
        save_versioned(ef, actor=actor, version=version, fields=_REVIEW_FIELDS)
    audit_log(actor=actor, action="dlu.reviewed", obj=ef, beneficiary=beneficiary,
              details={"prochaine_revue": f"{ef.next_review_on:%d/%m/%Y}"})
    file_services.timeline_add(beneficiary=beneficiary, kind="dlu.reviewed", actor=actor,
                               title="DLU relu et validé pour un an", health=True)
    return ef


def pdf(beneficiary: Beneficiary, dlu: Dlu, *, crt, printed_by) -> bytes:
    """The one-page PDF of ``dlu`` (built by ``build``), as the DLU page prints it and the API
    serves it (``Binary``): the caller checked the access and audits the print."""
    from django.template.loader import render_to_string

    from maillage.core.pdf import render_pdf  # WeasyPrint loads on first use only

    return render_pdf(render_to_string("oncall/dlu_pdf.html", {
        "b": beneficiary, "dlu": dlu, "crt": crt, "printed_at": timezone.now(),
        "printed_by": printed_by}))
