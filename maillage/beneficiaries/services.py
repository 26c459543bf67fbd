"""Writes of the beneficiary file. Every write is validated, audited and on the timeline."""

from datetime import date

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from maillage.core.audit import audit_log
from maillage.core.errors import DomainError
from maillage.core.models import Crt
from maillage.core.permissions import Perm, has_permission
from maillage.core.selectors import is_team_member, member_roles
from maillage.core.versioning import changes, save_versioned, snapshot, validate

from . import aggir, icope, medical
from .identity import IdentityStatus, check_status, check_traits, normalize_matricule
from .models import (
    AggirEvaluation,
    Beneficiary,
    Caregiver,
    CareTeamMember,
    Consent,
    Document,
    FreeEvaluation,
    IcopeScreening,
    MedicalRecord,
    TimelineEvent,
)

IDENTITY_FIELDS = (
    "birth_name", "used_name", "first_names", "first_name", "used_first_name", "birth_date",
    "sex", "birth_place_code", "ins_matricule", "ins_oid", "identity_status",
    "identity_document", "address", "address_complement", "commune", "phone", "mobile", "email",
)
SITUATION_FIELDS = (
    "living_situation", "housing_type", "floor", "has_lift", "adaptations_done",
    "adaptations_needed", "has_teleassistance", "teleassistance_provider", "has_key_box",
    "key_box_code", "has_grab_bars", "has_medical_bed", "other_equipment", "access_notes",
    "has_apa", "apa_plan", "has_social_aid", "retirement_fund_help", "protection_measure",
    "protection_contact", "trusted_person_name", "trusted_person_relation",
    "trusted_person_phone", "trusted_person_designated_on",
)
CAREGIVER_FIELDS = (
    "last_name", "first_name", "relation", "phone", "email", "address", "lives_with", "is_main",
    "exhaustion_risk", "notes",
)
MEDICAL_FIELDS = (
    "history", "allergies_status", "allergies", "treatments_status", "treatments",
    "advance_directives_status", "advance_directives", "has_palliative_sheet",
    "resuscitation_status", "resuscitation_decision", "usual_state", "synthesis",
)


def timeline_add(*, beneficiary, kind: str, title: str, actor=None, health: bool = False,
                 at=None) -> TimelineEvent:
    return TimelineEvent.objects.create(
        crt=beneficiary.crt, beneficiary=beneficiary, occurred_at=at or timezone.now(),
        kind=kind, title=title[:250], is_health_data=health, created_by=actor, updated_by=actor,
    )


def _refuse_unknown(fields: dict, allowed) -> None:
    unknown = set(fields) - set(allowed)
    if unknown:
        raise DomainError(f"Champ non modifiable : {', '.join(sorted(unknown))}.")


def _check_identity(b: Beneficiary) -> None:
    b.ins_matricule = normalize_matricule(b.ins_matricule)
    validate(b, exclude=["crt", "created_by", "updated_by", "identity_validated_by"])
    if b.commune.crt_id != b.crt_id:
        raise DomainError("Cette commune n'appartient pas au territoire du CRT.", field="commune")
    if b.birth_date > timezone.localdate():
        raise DomainError("La date de naissance est dans le futur.", field="birth_date")
    if b.first_name and b.first_name.split()[0].lower() != b.first_names.split()[0].lower():
        raise DomainError(
            "Le premier prénom doit être le premier des prénoms de naissance.", field="first_name"
        )
    problems = []
    if b.ins_matricule:
        problems += check_traits(matricule=b.ins_matricule, sex=b.sex, birth_date=b.birth_date,
                                 birth_place_code=b.birth_place_code)
    problems += check_status(
        status=b.identity_status, matricule=b.ins_matricule, oid=b.ins_oid,
        document=b.identity_document, validated_by=b.identity_validated_by,
        validated_on=b.identity_validated_on,
    )
    if b.ins_matricule:
        twin = Beneficiary.objects.filter(crt=b.crt, ins_matricule=b.ins_matricule).exclude(
            pk=b.pk
        )
        if twin.exists():
            problems.append(("ins_matricule", "Un autre dossier porte déjà ce matricule INS."))
    if problems:
        field, message = problems[0]
        raise DomainError(message, field=field)


def possible_duplicates(*, crt: Crt, birth_name: str, first_name: str, birth_date,
                        ins_matricule: str = "", used_name: str = "", exclude_pk=None):
    """Files that may be the same person: same INS, or same birth date and a matching name."""
    name_q = Q(birth_name__iexact=birth_name) | Q(used_name__iexact=birth_name)
    if used_name:
        name_q |= Q(birth_name__iexact=used_name) | Q(used_name__iexact=used_name)
    same_person = Q(birth_date=birth_date) & (name_q | Q(first_name__iexact=first_name))
    if ins_matricule:
        same_person |= Q(ins_matricule=normalize_matricule(ins_matricule))
    qs = Beneficiary.objects.filter(crt=crt).filter(same_person).select_related("commune")
    if exclude_pk:
        qs = qs.exclude(pk=exclude_pk)
    return list(qs[:10])


def _apply_identity_validation(b: Beneficiary, actor) -> None:
    if b.identity_status in {IdentityStatus.VALI, IdentityStatus.QUAL}:
        if b.identity_validated_by_id is None:
            b.identity_validated_by = actor
            b.identity_validated_on = timezone.localdate()
    else:
        b.identity_validated_by = None
        b.identity_validated_on = None


@transaction.atomic
def beneficiary_create(*, actor, crt: Crt, duplicates_checked: bool = False,
                       **fields) -> Beneficiary:
    _refuse_unknown(fields, IDENTITY_FIELDS)
    b = Beneficiary(crt=crt, created_by=actor, updated_by=actor, **fields)
    _apply_identity_validation(b, actor)
    _check_identity(b)
    if not duplicates_checked and possible_duplicates(
        crt=crt, birth_name=b.birth_name, first_name=b.first_name, birth_date=b.birth_date,
        ins_matricule=b.ins_matricule, used_name=b.used_name,
    ):
        raise DomainError(
            "Un ou plusieurs dossiers ressemblent à cette personne : vérifiez qu'il ne s'agit "
            "pas d'un doublon.",
            field="duplicates_checked", code="possible_duplicate",
        )
    b.save()
    MedicalRecord.objects.create(crt=crt, beneficiary=b, created_by=actor, updated_by=actor)
    audit_log(actor=actor, action="beneficiary.created", obj=b, beneficiary=b)
    timeline_add(beneficiary=b, kind="file.created", title="Ouverture du dossier", actor=actor)
    return b


@transaction.atomic
def beneficiary_update_identity(*, actor, beneficiary: Beneficiary, version: int, **fields):
    _refuse_unknown(fields, IDENTITY_FIELDS)
    before = snapshot(beneficiary, IDENTITY_FIELDS)
    for field, value in fields.items():
        setattr(beneficiary, field, value)
    if before["identity_status"] != beneficiary.identity_status:
        beneficiary.identity_validated_by = None
    _apply_identity_validation(beneficiary, actor)
    _check_identity(beneficiary)
    beneficiary.refresh_name_key()
    save_versioned(
        beneficiary, actor=actor, version=version,
        fields=(*IDENTITY_FIELDS, "identity_validated_by", "identity_validated_on", "name_key"),
    )
    diff = changes(before, beneficiary)
    audit_log(actor=actor, action="beneficiary.identity_updated", obj=beneficiary,
              beneficiary=beneficiary, details=diff)
    if "identity_status" in diff:
        timeline_add(beneficiary=beneficiary, kind="identity.status", actor=actor,
                     title=f"Identité : {beneficiary.get_identity_status_display()}")
    return beneficiary


@transaction.atomic
def beneficiary_update_situation(*, actor, beneficiary: Beneficiary, version: int, **fields):
    _refuse_unknown(fields, SITUATION_FIELDS)
    before = snapshot(beneficiary, SITUATION_FIELDS)
    for field, value in fields.items():
        setattr(beneficiary, field, value)
    if not beneficiary.has_key_box:
        beneficiary.key_box_code = ""
    if beneficiary.has_teleassistance is False:
        beneficiary.teleassistance_provider = ""
    validate(beneficiary, exclude=["crt", "created_by", "updated_by", "identity_validated_by"])
    save_versioned(beneficiary, actor=actor, version=version, fields=SITUATION_FIELDS)
    diff = changes(before, beneficiary)
    if "key_box_code" in diff:  # never write the code itself into the trail
        diff["key_box_code"] = {"avant": "•••", "après": "•••"}
    audit_log(actor=actor, action="beneficiary.situation_updated", obj=beneficiary,
              beneficiary=beneficiary, details=diff)
    return beneficiary


@transaction.atomic
def caregiver_save(*, actor, beneficiary: Beneficiary, caregiver: Caregiver | None = None,
                   version: int | None = None, **fields) -> Caregiver:
    _refuse_unknown(fields, CAREGIVER_FIELDS)
    creating = caregiver is None
    if creating:
        caregiver = Caregiver(crt=beneficiary.crt, beneficiary=beneficiary, created_by=actor)
    before = snapshot(caregiver, CAREGIVER_FIELDS)
    for field, value in fields.items():
        setattr(caregiver, field, value)
    caregiver.updated_by = actor
    validate(caregiver, exclude=["crt", "beneficiary", "created_by", "updated_by", "user"])
    if caregiver.is_main:
        Caregiver.objects.filter(beneficiary=beneficiary, is_main=True).exclude(
            pk=caregiver.pk
        ).update(is_main=False)
    if creating:
        caregiver.save()
        audit_log(actor=actor, action="caregiver.created", obj=caregiver, beneficiary=beneficiary)
        timeline_add(beneficiary=beneficiary, kind="caregiver.added", actor=actor,
                     title=f"Aidant ajouté : {caregiver}")
    else:
        save_versioned(caregiver, actor=actor, version=version or 0, fields=CAREGIVER_FIELDS)
        audit_log(actor=actor, action="caregiver.updated", obj=caregiver, beneficiary=beneficiary,
                  details=changes(before, caregiver))
    return caregiver


def _check_care_team_manager(actor, crt) -> None:
    """Only the coordination changes a care team (``care_team.manage``), whoever calls."""
    if not has_permission(member_roles(user=actor, crt=crt), Perm.CARE_TEAM_MANAGE):
        raise DomainError("Seule la coordination modifie le cercle de soins.", field="user")


def _unread_counters_follow(beneficiary: Beneficiary, member: CareTeamMember | None = None):
    """The care team or the consents of this person changed: whoever follows their threads (and
    the member who joined or left) has their unread-messages counter recomputed, in this
    transaction (``care.services.unread``)."""
    from maillage.care.services.unread import unread_counters_for_file

    also = []
    if member is not None:
        also.append(member.user if member.user_id else
                    member.professional.user if member.professional_id else None)
    unread_counters_for_file(beneficiary=beneficiary, also=also)


@transaction.atomic
def care_team_add(*, actor, beneficiary: Beneficiary, user=None, professional=None, role: str,
                  start_date: date, is_gp: bool = False, is_referent: bool = False,
                  visits_home: bool = True) -> CareTeamMember:
    _check_care_team_manager(actor, beneficiary.crt)
    if (user is None) == (professional is None):
        raise DomainError(
            "Choisissez soit un membre de l'équipe du CRT, soit un professionnel partenaire.",
            field="user",
        )
    if user is not None and user.pk == actor.pk:
        raise DomainError(
            "Personne ne s'ajoute soi-même au cercle de soins : demandez-le à un·e autre "
            "coordinateur·rice.", field="user")
    if user is not None and not is_team_member(user, beneficiary.crt):
        raise DomainError("Cette personne n'est pas membre de l'équipe soignante ou de "
                          "coordination du CRT.", field="user")
    if professional is not None and professional.crt_id != beneficiary.crt_id:
        raise DomainError("Professionnel inconnu.", field="professional")
    active = CareTeamMember.objects.active(start_date).filter(beneficiary=beneficiary)
    if active.filter(Q(user=user) if user else Q(professional=professional)).exists():
        raise DomainError("Cette personne fait déjà partie du cercle de soins.", field="user")
    if is_gp and active.filter(is_gp=True).exists():
        raise DomainError(
            "La personne a déjà un médecin traitant : mettez fin à sa participation d'abord.",
            field="is_gp",
        )
    member = CareTeamMember(
        crt=beneficiary.crt, beneficiary=beneficiary, user=user, professional=professional,
        role=role, start_date=start_date, is_gp=is_gp, is_referent=is_referent,
        visits_home=visits_home, created_by=actor, updated_by=actor,
    )
    # user and professional were checked above (membership, CRT).
    validate(
        member,
        exclude=["crt", "beneficiary", "created_by", "updated_by", "user", "professional"],
    )
    member.save()
    audit_log(actor=actor, action="care_team.member_added", obj=member, beneficiary=beneficiary)
    timeline_add(beneficiary=beneficiary, kind="care_team.added", actor=actor,
                 title=f"Cercle de soins : {member}")
    _unread_counters_follow(beneficiary, member)
    return member


def care_team_already_ended(member: CareTeamMember) -> str:
    return f"Déjà terminé le {member.end_date:%d/%m/%Y} : rien n'a été modifié."


@transaction.atomic
def care_team_end(*, actor, member: CareTeamMember, end_date: date, version: int):
    _check_care_team_manager(actor, member.crt)
    ended = CareTeamMember.objects.filter(pk=member.pk).values_list("end_date", flat=True)[0]
    if ended is not None:  # ended meanwhile (two clicks at once): say so, not « modifiée »
        member.end_date = ended
        raise DomainError(care_team_already_ended(member), code="conflict")
    if end_date < member.start_date:
        raise DomainError("La date de fin précède la date de début.", field="end_date")
    member.end_date = end_date
    save_versioned(member, actor=actor, version=version, fields=["end_date"])
    audit_log(actor=actor, action="care_team.member_ended", obj=member,
              beneficiary=member.beneficiary, details={"fin": f"{end_date:%d/%m/%Y}"})
    timeline_add(beneficiary=member.beneficiary, kind="care_team.ended", actor=actor,
                 title=f"Fin de participation au cercle de soins : {member}")
    _unread_counters_follow(member.beneficiary, member)
    return member


@transaction.atomic
def consent_record(*, actor, beneficiary: Beneficiary, kind: str, granted: bool,
                   collected_on: date, method: str, organization=None,
                   share_identity: bool = True, share_planning: bool = True,
                   share_health: bool = False, scope_notes: str = "") -> Consent:
    if kind == Consent.Kind.PARTNER_SHARING and organization is None:
        raise DomainError("Indiquez le partenaire concerné par ce partage.", field="organization")
    if kind != Consent.Kind.PARTNER_SHARING:
        organization = None
    if organization is not None and organization.crt_id != beneficiary.crt_id:
        raise DomainError("Partenaire inconnu.", field="organization")
    if collected_on > timezone.localdate():
        raise DomainError("La date de recueil est dans le futur.", field="collected_on")
    now = timezone.now()
    # A new consent of the same kind (and partner) replaces the previous one.
    previous = Consent.objects.select_for_update().filter(
        beneficiary=beneficiary, kind=kind, organization=organization, withdrawn_at__isnull=True
    )
    for old in previous:
        old.withdrawn_at, old.withdrawn_by = now, actor
        old.withdrawal_reason = "Remplacé par un nouveau recueil."
        old.save(update_fields=["withdrawn_at", "withdrawn_by", "withdrawal_reason"])
    consent = Consent(
        crt=beneficiary.crt, beneficiary=beneficiary, kind=kind, granted=granted,
        organization=organization, share_identity=share_identity, share_planning=share_planning,
        share_health=share_health, scope_notes=scope_notes, collected_on=collected_on,
        method=method, collected_by=actor, created_by=actor, updated_by=actor,
    )
    validate(consent, exclude=["crt", "beneficiary", "created_by", "updated_by", "collected_by"])
    consent.save()
    verb = "accord" if granted else "opposition / refus"
    audit_log(actor=actor, action="consent.recorded", obj=consent, beneficiary=beneficiary,
              details={"objet": consent.get_kind_display(), "sens": verb})
    title = f"Consentement ({verb}) : {consent.get_kind_display()}"
    if organization:
        title += f" — {organization.name}"
    timeline_add(beneficiary=beneficiary, kind="consent.recorded", actor=actor, title=title)
    _unread_counters_follow(beneficiary)
    return consent


def _forget_notifications_of_lost_readers(beneficiary: Beneficiary) -> None:
    """In the transaction of a withdrawal: the unread notices about this person (they name
    them, and lead to their file) are taken back from whoever may no longer read its notebook.
    Later notices go only to readers (``access.users_with_access``)."""
    from maillage.core.models import Notification

    from .access import users_with_access

    notices = Notification.objects.filter(
        crt=beneficiary.crt, read_at__isnull=True, url__contains=str(beneficiary.public_id))
    users = [n.user for n in notices.select_related("user").distinct()]
    if not users:
        return
    keep = {u.pk for u in users_with_access("liaison", beneficiary=beneficiary, users=users)}
    notices.exclude(user__in=keep).delete()


@transaction.atomic
def consent_withdraw(*, actor, consent: Consent, reason: str) -> Consent:
    if consent.withdrawn_at is not None:
        raise DomainError("Ce consentement a déjà été retiré.")
    if not reason.strip():
        raise DomainError("Indiquez le motif ou les circonstances du retrait.", field="reason")
    updated = Consent.objects.filter(pk=consent.pk, withdrawn_at__isnull=True).update(
        withdrawn_at=timezone.now(), withdrawn_by=actor, withdrawal_reason=reason.strip(),
        updated_by=actor, updated_at=timezone.now(),
    )
    if updated != 1:
        raise DomainError("Ce consentement a déjà été retiré.", code="conflict")
    consent.refresh_from_db()
    _forget_notifications_of_lost_readers(consent.beneficiary)
    audit_log(actor=actor, action="consent.withdrawn", obj=consent,
              beneficiary=consent.beneficiary, reason=reason.strip())
    timeline_add(beneficiary=consent.beneficiary, kind="consent.withdrawn", actor=actor,
                 title=f"Consentement retiré : {consent.get_kind_display()}")
    _unread_counters_follow(consent.beneficiary)
    return consent


@transaction.atomic
def medical_update(*, actor, record: MedicalRecord, version: int, **fields) -> MedicalRecord:
    """Write the medical section. The four emergency essentials (``medical.py``): a text
    without its status counts as documented; a status at odds with its text is refused. A
    change of allergies or treatments dates ``allergies_treatments_changed_at``: the DLU
    validated before it is to be validated again. No one changes a field they may not read
    (``access.medical_fields``: a care aide, the history or the synthesis), whatever the form
    or the request."""
    from .access import medical_fields

    if hasattr(record, "withheld"):  # a reader's view of the section (``medical_section``)
        raise TypeError("medical_update writes the record itself, not a reader's view of it.")
    _refuse_unknown(fields, MEDICAL_FIELDS)
    before = snapshot(record, MEDICAL_FIELDS)
    after = {**before, **fields}
    medical.normalise(after)
    errors = medical.inconsistencies(after)
    if errors:
        field, message = next(iter(errors.items()))
        raise DomainError(message, field=field)
    changed = [f for f in MEDICAL_FIELDS if after[f] != before[f]]
    if changed:
        readable = medical_fields(crt=record.crt_id, user=actor,
                                  roles=member_roles(user=actor, crt=record.crt_id))
        refused = [f for f in changed if f not in readable]
        if refused:
            label = MedicalRecord._meta.get_field(refused[0]).verbose_name
            raise DomainError(f"{label.capitalize()} : champ réservé aux médecins et "
                              "infirmiers, vous ne pouvez pas le modifier.", field=refused[0])
    for field, value in after.items():
        setattr(record, field, value)
    if any(before[f] != getattr(record, f) for f in medical.REVALIDATE_ON):
        record.allergies_treatments_changed_at = timezone.now()
    save_versioned(record, actor=actor, version=version,
                   fields=(*MEDICAL_FIELDS, "allergies_treatments_changed_at"))
    audit_log(actor=actor, action="beneficiary.medical_updated", obj=record,
              beneficiary=record.beneficiary,
              details={"champs": sorted(changes(before, record))})
    timeline_add(beneficiary=record.beneficiary, kind="medical.updated", actor=actor,
                 title="Volet médical mis à jour", health=True)
    return record


def input_label(input_code: str) -> str:
    """French label of an AGGIR input: "Habillage — moyen" or "Transferts"."""
    if input_code in aggir.SUB_VARIABLES_BY_CODE:
        parent = aggir.VARIABLES_BY_CODE[input_code.split(".")[0]]
        return f"{parent.label} — {aggir.SUB_VARIABLES_BY_CODE[input_code].label}"
    return aggir.VARIABLES_BY_CODE[input_code].label


@transaction.atomic
def aggir_record(*, actor, beneficiary: Beneficiary, evaluated_on: date,
                 inputs: dict[str, dict], notes: str = "") -> AggirEvaluation:
    """``inputs``: per input code (variable or sub-variable), {"code": "A"} or
    {"adverbs": [s, t, c, h]} — the adverbs are used when no code is given."""
    if evaluated_on > timezone.localdate():
        raise DomainError("La date d'évaluation est dans le futur.", field="evaluated_on")
    letters: dict[str, str] = {}
    for input_code in aggir.INPUT_CODES:
        entry = inputs.get(input_code) or {}
        code = (entry.get("code") or "").upper()
        if not code and entry.get("adverbs") is not None:
            code = aggir.code_from_adverbs(*entry["adverbs"])
        if code not in {"A", "B", "C"}:
            raise DomainError(
                f"Codez la variable « {input_label(input_code)} » (A, B ou C, "
                "ou par les quatre adverbes).",
                field=input_code,
            )
        letters[input_code] = code
    variables = aggir.variable_codes_from_inputs(letters)
    try:
        rang, gir = aggir.gir_from_variables(
            {c: variables[c] for c in aggir.DISCRIMINANT_CODES}
        )
    except (KeyError, ValueError) as exc:
        raise DomainError(f"Grille incomplète : {exc}") from exc
    evaluation = AggirEvaluation.objects.create(
        crt=beneficiary.crt, beneficiary=beneficiary, evaluated_on=evaluated_on, evaluator=actor,
        inputs={k: letters[k] for k in aggir.INPUT_CODES},
        codes="".join(variables[c] for c in aggir.DISCRIMINANT_CODES),
        illustrative_codes="".join(variables[c] for c in aggir.ILLUSTRATIVE_CODES),
        rang=rang, gir=gir, notes=notes, created_by=actor, updated_by=actor,
    )
    latest = beneficiary.aggir_evaluations.order_by("-evaluated_on", "-created_at").first()
    if latest.pk == evaluation.pk:
        Beneficiary.objects.filter(pk=beneficiary.pk).update(
            current_gir=gir, current_gir_on=evaluated_on
        )
        beneficiary.current_gir, beneficiary.current_gir_on = gir, evaluated_on
    audit_log(actor=actor, action="aggir.recorded", obj=evaluation, beneficiary=beneficiary,
              details={"gir": gir, "rang": rang})
    timeline_add(beneficiary=beneficiary, kind="aggir.recorded", actor=actor,
                 title=f"Évaluation AGGIR : GIR {gir}", health=True)
    return evaluation


@transaction.atomic
def icope_record(*, actor, beneficiary: Beneficiary, screened_on: date,
                 answers: dict[str, bool], notes: str = "") -> IcopeScreening:
    if screened_on > timezone.localdate():
        raise DomainError("La date du repérage est dans le futur.", field="screened_on")
    try:
        flagged = icope.domains_needing_follow_up(answers)
    except ValueError as exc:
        raise DomainError(str(exc)) from exc
    screening = IcopeScreening.objects.create(
        crt=beneficiary.crt, beneficiary=beneficiary, screened_on=screened_on,
        screened_by=actor, answers=answers, domains_flagged=flagged, notes=notes,
        created_by=actor, updated_by=actor,
    )
    audit_log(actor=actor, action="icope.recorded", obj=screening, beneficiary=beneficiary,
              details={"domaines": flagged})
    labels = ", ".join(icope.DOMAINS_BY_CODE[d].label for d in flagged) or "aucun domaine"
    timeline_add(beneficiary=beneficiary, kind="icope.recorded", actor=actor, health=True,
                 title=f"Repérage ICOPE : à approfondir — {labels}")
    return screening


@transaction.atomic
def free_evaluation_record(*, actor, beneficiary: Beneficiary, kind: str, evaluated_on: date,
                           title: str, findings: str) -> FreeEvaluation:
    if evaluated_on > timezone.localdate():
        raise DomainError("La date de l'évaluation est dans le futur.", field="evaluated_on")
    evaluation = FreeEvaluation(
        crt=beneficiary.crt, beneficiary=beneficiary, kind=kind, evaluated_on=evaluated_on,
        author=actor, title=title.strip(), findings=findings.strip(), created_by=actor,
        updated_by=actor,
    )
    validate(evaluation, exclude=["crt", "beneficiary", "author", "created_by", "updated_by"])
    evaluation.save()
    audit_log(actor=actor, action="evaluation.recorded", obj=evaluation, beneficiary=beneficiary)
    timeline_add(beneficiary=beneficiary, kind="evaluation.recorded", actor=actor, health=True,
                 title=f"{evaluation.get_kind_display()} : {evaluation.title}")
    return evaluation


def upload_check(uploaded_file, *, max_bytes: int, field: str = "file") -> tuple[str, str]:
    """The content type and extension of an uploaded file, judged on its content (not its name):
    magic bytes, structure, no polyglot (``core.uploads``); a ``DomainError`` on ``field`` when
    it is too big or refused. Every upload of the application (documents, message attachments)
    goes through here."""
    from maillage.core.uploads import UploadRefusedError, inspect_upload

    if uploaded_file.size > max_bytes:
        raise DomainError(
            f"Le fichier dépasse la taille maximale ({max_bytes // (1024 * 1024)} Mo).",
            field=field,
        )
    uploaded_file.seek(0)
    data = uploaded_file.read(max_bytes + 1)
    uploaded_file.seek(0)
    if len(data) > max_bytes:  # the announced size was wrong
        raise DomainError(
            f"Le fichier dépasse la taille maximale ({max_bytes // (1024 * 1024)} Mo).",
            field=field,
        )
    try:
        kind = inspect_upload(data)
    except UploadRefusedError as exc:
        raise DomainError(exc.message, field=field) from exc
    return kind.content_type, kind.extension


@transaction.atomic
def document_add(*, actor, beneficiary: Beneficiary, category: str, title: str,
                 document_date: date, uploaded_file, max_bytes: int) -> Document:
    kind = upload_check(uploaded_file, max_bytes=max_bytes)
    if document_date > timezone.localdate():
        raise DomainError("La date du document est dans le futur.", field="document_date")
    doc = Document(
        crt=beneficiary.crt, beneficiary=beneficiary, category=category, title=title,
        document_date=document_date, original_name=uploaded_file.name[:200],
        content_type=kind[0], size=uploaded_file.size, created_by=actor, updated_by=actor,
    )
    try:
        doc.full_clean(exclude=["file", "crt", "beneficiary", "created_by", "updated_by"])
    except ValidationError as exc:
        field, messages = next(iter(exc.message_dict.items()))
        raise DomainError(messages[0], field=field) from exc
    doc.file.save(f"{doc.public_id}{kind[1]}", uploaded_file, save=False)
    doc.save()
    audit_log(actor=actor, action="document.added", obj=doc, beneficiary=beneficiary)
    timeline_add(beneficiary=beneficiary, kind="document.added", actor=actor,
                 title=f"Document ajouté : {title}", health=doc.is_health_data)
    return doc
