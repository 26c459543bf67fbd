"""The access policy of a person's file (SPEC §3): who sees which people, and which parts.

One policy, two faces that cannot disagree because both are built from the same rules:

- ``beneficiaries_for(face, crt=, user=, roles=)``: the queryset of the people whose ``face`` the
  user may see (lists, exports, reports, the API);
- ``file_access(user=, roles=, beneficiary=)``: what the user may see of one file, every face
  computed in one query from the same expressions.

The faces of a file:

- ``identity``: identity, contacts, situation, administrative data;
- ``planning``: the visits and the plan's schedule;
- ``liaison``: the coordination of care — liaison notebook, alerts, the team conversation;
- ``health``: the medical section, evaluations, health notes and documents, telehealth;
- ``key_box``: the key-box code (a secret), for whoever visits the home.

The rules, by role (a user holding several roles gets the union):

- the CRT staff (direction, coordination, secretariat, health professionals) see every person of
  their CRT: identity and planning;
- the liaison notebook, alerts and team conversation: of every person of the CRT for the
  coordination (IDEC, médecin coordonnateur) and the nurses, who answer the 24/7 on-call
  service for anyone; of the people of their care team for the other health professionals
  (care aides, psychologists, occupational therapists: a note « Cercle de soins » is not read
  by those of the CRT who do not follow the person); never by the direction (counts and plans,
  no clinical free text) nor the secretariat (administrative data only);
- the activity leader sees only the people they accompany (current member of the care team),
  and not at all when the person objected to sharing within the care team; nothing clinical;
- health data: health professionals who are current members of the person's care team;
  within it, the medical section (``MedicalRecord``) field by field (``medical_fields``): the
  doctor, the nurses, the psychologist and the occupational therapist read all of it; a care aide
  (AS, ASG, AES) who holds no fuller role reads what home care needs — allergies, current
  treatments (help with taking them), advance directives, the resuscitation decision and the
  « urgence pallia » sheet (an emergency at the door), the usual state (to notice a change) —
  not the medical history (« antécédents ») nor the medical synthesis; a partner likewise by
  profession. Wherever the section is read (its page, its edit forms, the DLU, its PDF and CDA,
  the on-call screen, the API, the offline day), ``medical_section`` hands out the record as
  its reader may read it;
- the key-box code: members of the care team who visit the home;
- a partner sees a person only within the consent (``consent_q``): while in the care team under
  the care-team sharing consent, or through an explicit consent for their organisation; and only
  the categories consented to (health data only for health professions).

Consent is evaluated by ``consent_q`` alone; withdrawal takes effect at the next request (and,
for notifications, in the transaction of the withdrawal: they are sent to ``users_with_access``,
and one about a person is listed and counted only while its reader may still see the face of the
file it tells of — ``core.notifications``, through the policy registered in ``home.py``).
"""

from dataclasses import dataclass

from django.db.models import BooleanField, Case, Exists, OuterRef, Q, QuerySet, Value, When

from maillage.core.built import built
from maillage.core.permissions import has_permission
from maillage.core.roles import HEALTH_PROFESSIONALS, Role
from maillage.territory.models import Professional

from .models import Beneficiary, Caregiver, CareTeamMember, Consent, Document

HEALTH_PROFESSIONS = {
    Professional.Profession.GP, Professional.Profession.SPECIALIST,
    Professional.Profession.GERIATRICIAN, Professional.Profession.NURSE,
    Professional.Profession.PHYSIOTHERAPIST, Professional.Profession.PHARMACIST,
    Professional.Profession.CARE_AIDE, Professional.Profession.OCCUPATIONAL_THERAPIST,
    Professional.Profession.PSYCHOLOGIST,
}

FACES = ("identity", "planning", "liaison", "health", "key_box")

#: CRT roles that see every person of the CRT (identity and planning).
WHOLE_CRT_ROLES = frozenset({
    Role.DIRECTION, Role.COORDINATOR, Role.ADMIN_STAFF, *HEALTH_PROFESSIONALS,
})
#: CRT roles that read the liaison notebook and alerts of every person of the CRT: the
#: coordination and the nurses of the on-call service. The other health professionals read
#: those of the people of their care team (``LIAISON_TEAM_ROLES``).
LIAISON_ROLES = frozenset({Role.COORDINATOR, Role.DOCTOR, Role.NURSE})
LIAISON_TEAM_ROLES = HEALTH_PROFESSIONALS - LIAISON_ROLES
#: Roles that read clinical free text outside the medical section (the reason of a referral,
#: observations of admission steps, the reason of a hospitalisation) for every person of the
#: CRT: the coordination and the nurses. The other health professionals read it for the people
#: of their care team (``reads_clinical_text_about``); the direction, the secretariat and the
#: activity leader never.
CLINICAL_TEXT_ROLES = frozenset({Role.COORDINATOR, Role.DOCTOR, Role.NURSE})

#: The medical section (``MedicalRecord``) field by field (SPEC §3: the care aide, the
#: psychologist and the occupational therapist « for what their profession needs »). What home
#: care needs at the visit — what a care aide applies or watches (allergies, help with taking
#: the treatments, the usual state to notice a change) and what an emergency at the door needs
#: (advance directives, the resuscitation decision, the « urgence pallia » sheet):
MEDICAL_HOME_CARE_FIELDS = frozenset({
    "allergies_status", "allergies", "treatments_status", "treatments",
    "advance_directives_status", "advance_directives", "has_palliative_sheet",
    "resuscitation_status", "resuscitation_decision", "usual_state",
})
#: ... and the clinical reading of the person: the medical history (« antécédents ») and the
#: medical synthesis.
MEDICAL_CLINICAL_FIELDS = frozenset({"history", "synthesis"})
MEDICAL_FIELDS = MEDICAL_HOME_CARE_FIELDS | MEDICAL_CLINICAL_FIELDS
#: Roles that read the whole medical section wherever they read it at all (the health face of
#: a file, or the DLU under break-the-glass): the doctor and the nurses; the coordination
#: (IDEC, a nurse by training: it reads no file's health face by its role alone, but the DLU
#: under break-the-glass in full, and the whole section when it also holds a care role); the
#: psychologist and the occupational therapist, whose assessments (cognitive and psychological,
#: functional and of the home) rest on the diagnoses and their history — they evaluate, they do
#: not give daily care, and they record evaluations (``evaluation.record``).
WHOLE_MEDICAL_ROLES = frozenset({Role.DOCTOR, Role.NURSE, Role.COORDINATOR,
                                 Role.PSYCHOLOGIST, Role.OCCUPATIONAL_THERAPIST})
#: Roles that read only ``MEDICAL_HOME_CARE_FIELDS`` (unless they also hold a role above).
HOME_CARE_MEDICAL_ROLES = frozenset({Role.CARE_AIDE})
#: A partner reads the section by profession (their health face needs a health profession):
#: the care aide of a partner service as a CRT care aide, the other professions all of it.
HOME_CARE_PROFESSIONS = frozenset({Professional.Profession.CARE_AIDE})
#: What a reader sees in place of a field withheld from them.
WITHHELD = "Réservé aux médecins et infirmiers"

_NONE = Q(pk__in=[])
_ALL = Q()


def reads_clinical_text(roles) -> bool:
    """Whether these roles read clinical free text about every person of the CRT."""
    return bool(set(roles) & CLINICAL_TEXT_ROLES)


def reads_clinical_text_about(*, user, roles, beneficiary) -> bool:
    """Clinical free text about one person (``beneficiary`` may be None: a request without a
    file yet): ``CLINICAL_TEXT_ROLES``, or a health professional of the person's care team."""
    from maillage.core.permissions import is_in_care_team

    if reads_clinical_text(roles):
        return True
    return bool(beneficiary is not None and set(roles) & HEALTH_PROFESSIONALS
                and is_in_care_team(user, beneficiary))


def medical_fields(*, crt, user, roles) -> frozenset[str]:
    """The fields of the medical section ``user`` reads wherever they read the section (the
    caller decides whether they do: the health face, or a break-the-glass access to the DLU);
    no field outside these, on a page, a form, a document or the API. One query for a partner
    (their profession), none otherwise."""
    roles = set(roles)
    if roles & WHOLE_MEDICAL_ROLES:
        return MEDICAL_FIELDS
    fields = MEDICAL_HOME_CARE_FIELDS if roles & HOME_CARE_MEDICAL_ROLES else frozenset()
    if Role.PARTNER in roles and user is not None and getattr(user, "pk", None):
        professions = set(Professional.objects.filter(
            crt=crt, user=user, profession__in=HEALTH_PROFESSIONS,
        ).values_list("profession", flat=True))
        if professions - HOME_CARE_PROFESSIONS:
            return MEDICAL_FIELDS
        if professions:
            fields = MEDICAL_HOME_CARE_FIELDS
    return fields


def reads_whole_medical_section(fields) -> bool:
    """Whether a reader of ``fields`` reads every field of the medical section (e.g. to send
    the DLU away: a partial DLU would mislead its recipient)."""
    return MEDICAL_FIELDS <= set(fields)


def _read_only(*args, **kwargs):
    raise TypeError("This medical section is a reader's view of it, never saved.")


def medical_section(record, fields):
    """The medical section as a reader of ``fields`` (``medical_fields``) reads it: a copy of
    ``record`` whose other fields say ``WITHHELD`` (a page that prints them shows so, nothing
    misleading), ``withheld`` naming them; never saved (``services.medical_update`` refuses
    it). None stays None."""
    import copy

    if record is None:
        return None
    section = copy.copy(record)
    section.withheld = frozenset(MEDICAL_FIELDS - set(fields))
    for name in section.withheld:
        field = type(record)._meta.get_field(name)
        setattr(section, name, WITHHELD if field.get_internal_type() == "TextField" else None)
    section.save = _read_only
    return section


def _in_care_team(user, *, visits_home: bool = False) -> Q:
    """The people whose care team ``user`` is a current member of: their keys, found through
    the user's own memberships (as a CRT staff member, as a professional of the directory; one
    index each), the database keeping them as a list; not a correlated subquery run for every
    person of the CRT, which grew with the CRT (a psychologist's health face: 1.0 -> 3.0 ms from
    the demo x1 to x10 that way, 0.8 -> 0.9 ms this way)."""
    if not getattr(user, "is_authenticated", False):
        return Q(pk__in=[])
    members = CareTeamMember.objects.active()
    if visits_home:
        members = members.filter(visits_home=True)
    return (Q(pk__in=members.filter(user=user).values("beneficiary"))
            | Q(pk__in=members.filter(professional__user=user).values("beneficiary")))


def in_care_team_q(user) -> Q:
    """The people whose care team ``user`` is a current member of, as a condition on
    ``Beneficiary`` (the one definition of « team member », for the other apps' policies)."""
    return _in_care_team(user)


def _active_consents(kind: str, **flags) -> QuerySet:
    return Consent.objects.filter(
        beneficiary=OuterRef("pk"), kind=kind, granted=True, withdrawn_at__isnull=True, **flags
    )


def _objected() -> Exists:
    """The person, informed, objected to sharing within the care team (and did not change
    their mind since: the objection is a consent record with ``granted=False``, not withdrawn)."""
    return Exists(Consent.objects.filter(
        beneficiary=OuterRef("pk"), kind=Consent.Kind.CARE_TEAM_SHARING, granted=False,
        withdrawn_at__isnull=True,
    ))


def consent_q(*, crt, user, category: str | None) -> Q:
    """The one place consent is evaluated for someone outside the CRT team: the people whose
    ``category`` (``identity``, ``planning``, ``health``; None for any) this partner may see.

    Care-team sharing applies while the partner is a current member of the care team; an
    explicit partner-sharing consent names the partner's organisation."""
    flags = {f"share_{category}": True} if category else {}
    organizations = Professional.objects.filter(
        crt=crt, user=user, organization__isnull=False
    ).values("organization")
    team = _active_consents(Consent.Kind.CARE_TEAM_SHARING, **flags)
    explicit = _active_consents(Consent.Kind.PARTNER_SHARING, **flags).filter(
        organization__in=organizations
    )
    return (_in_care_team(user) & Q(Exists(team))) | Q(Exists(explicit))


def _rules(*, crt, user, roles) -> dict[str, Q]:
    """Each face as a condition on ``Beneficiary`` (of ``crt``) for this user."""
    roles = set(roles)
    rules = dict.fromkeys(FACES, _NONE)

    def grant(face: str, q: Q) -> None:
        # Q() | q is q in Django, not "everything": keep the everything marker explicit.
        if rules[face] is _ALL or q is _ALL:
            rules[face] = _ALL
        else:
            rules[face] = q if rules[face] is _NONE else (rules[face] | q)

    if roles & WHOLE_CRT_ROLES:
        grant("identity", _ALL)
        grant("planning", _ALL)
    if roles & LIAISON_ROLES:
        grant("liaison", _ALL)
    if roles & LIAISON_TEAM_ROLES:
        grant("liaison", _in_care_team(user))
    if Role.ACTIVITY_LEADER in roles:
        accompanied = _in_care_team(user) & ~Q(_objected())
        for face in ("identity", "planning", "liaison"):
            grant(face, accompanied)
    if roles & HEALTH_PROFESSIONALS:
        grant("health", _in_care_team(user))
    if Role.PARTNER in roles:
        grant("identity", consent_q(crt=crt, user=user, category="identity"))
        planning = consent_q(crt=crt, user=user, category="planning")
        grant("planning", planning)
        grant("liaison", planning)
        # Health data only for health professions (a condition in the same query: no query
        # of its own each time the rules are built).
        is_health_pro = Exists(Professional.objects.filter(
            user=user, crt=crt, profession__in=HEALTH_PROFESSIONS))
        grant("health", Q(is_health_pro) & consent_q(crt=crt, user=user, category="health"))
    if rules["identity"] is not _NONE:
        rules["key_box"] = _in_care_team(user, visits_home=True) & rules["identity"]
    return rules


def _visible_q(rules: dict[str, Q]) -> Q:
    granted = [q for q in rules.values() if q is not _NONE]
    if not granted:
        return _NONE
    if any(q is _ALL for q in granted):
        return _ALL
    combined = granted[0]
    for q in granted[1:]:
        combined |= q
    return combined


def beneficiaries_for(face: str | None = None, *, crt, user, roles) -> QuerySet[Beneficiary]:
    """The people of ``crt`` whose ``face`` this user may see (any face when None). Built once
    a day per user, CRT and roles (``core.built``: the rule's shape, never its rows)."""
    def build() -> QuerySet[Beneficiary]:
        rules = _rules(crt=crt, user=user, roles=roles)
        q = _visible_q(rules) if face is None else rules[face]
        return Beneficiary.objects.filter(crt=crt).filter(q)

    return built(("beneficiaries_for", face, getattr(crt, "pk", crt), getattr(user, "pk", None),
                  bool(getattr(user, "is_authenticated", False)), frozenset(roles)), build)


def caregivers_visible(*, crt, user, roles) -> QuerySet[Caregiver]:
    """The caregivers of the people whose identity this user may see: the file page shows them
    with the identity (its « Aidants » section), and so does the API (RelatedPerson)."""
    return Caregiver.objects.filter(
        crt=crt, beneficiary__in=beneficiaries_for("identity", crt=crt, user=user, roles=roles))


def consents_visible(*, crt, user, roles) -> QuerySet[Consent]:
    """The consents of the people whose identity this user may see: the file page shows them
    with the identity (its « Consentements » section), and so does the API (Consent)."""
    return Consent.objects.filter(
        crt=crt, beneficiary__in=beneficiaries_for("identity", crt=crt, user=user, roles=roles))


def visible_beneficiaries(*, crt, user, roles) -> QuerySet[Beneficiary]:
    """The people this user may see at all (one face at least)."""
    return beneficiaries_for(crt=crt, user=user, roles=roles)


def planning_visible_beneficiaries(*, crt, user, roles) -> QuerySet[Beneficiary]:
    return beneficiaries_for("planning", crt=crt, user=user, roles=roles)


def liaison_visible_beneficiaries(*, crt, user, roles) -> QuerySet[Beneficiary]:
    return beneficiaries_for("liaison", crt=crt, user=user, roles=roles)


def health_visible_beneficiaries(*, crt, user, roles) -> QuerySet[Beneficiary]:
    return beneficiaries_for("health", crt=crt, user=user, roles=roles)


def vital_signs_visible(*, crt, user, roles):
    """The vital signs this user may read (tombstones included: the API answers them 410): the
    health face of the file, as the medical section."""
    from .models import VitalSign

    return VitalSign.objects.filter(
        crt=crt, beneficiary__in=beneficiaries_for("health", crt=crt, user=user, roles=roles))


#: Roles that correct or retract any measure of the people whose health data they read
#: (``vital_sign.record`` and the file's health face); the other recorders, the measures they
#: entered themselves — on the screens and through the FHIR API alike. The coordinator (IDEC)
#: reads no health data (``health.view``), so corrects none.
CORRECTS_EVERY_MEASURE = frozenset({Role.DOCTOR})


def vital_signs_correctable(*, crt, user, roles):
    """The measures this user may correct or retract (not yet retracted):
    with ``vital_sign.record`` and the file's health face, those they recorded, or any for
    ``CORRECTS_EVERY_MEASURE``."""
    from .models import VitalSign

    if not has_permission(roles, "vital_sign.record"):
        return VitalSign.objects.none()
    signs = vital_signs_visible(crt=crt, user=user, roles=roles).filter(deleted_at__isnull=True)
    if set(roles) & CORRECTS_EVERY_MEASURE:
        return signs
    return signs.filter(recorded_by=user)


def can_correct_vital_sign(*, user, roles, sign, health: bool,
                           retracted: bool = False) -> bool:
    """``vital_signs_correctable`` for one measure of a file whose health face is known
    (``FileAccess.health``): no query, for each row of the charts page, and the rule of the
    FHIR API's update and retraction of an Observation. ``retracted``: a measure already
    retracted counts too (whether this user could have retracted it: they are told it is, the
    others refused)."""
    return (health and (retracted or sign.deleted_at is None)
            and has_permission(roles, "vital_sign.record")
            and (bool(set(roles) & CORRECTS_EVERY_MEASURE) or sign.recorded_by_id == user.pk))


def vital_sign_correction_refused(verb: str) -> str:
    """Why ``can_correct_vital_sign`` refuses (screens and API): ``verb`` « corriger »,
    « retirer »."""
    return f"Seule la personne qui a saisi cette mesure, ou le médecin, peut la {verb}."


def aggir_evaluations_visible(*, crt, user, roles):
    """The AGGIR evaluations this user may read: the health face, as the medical section."""
    from .models import AggirEvaluation

    return AggirEvaluation.objects.filter(
        crt=crt, beneficiary__in=beneficiaries_for("health", crt=crt, user=user, roles=roles))


def documents_visible(*, crt, user, roles) -> QuerySet[Document]:
    """The documents of the files this user may read, as the file's pages hand them out
    (``document_download``): a medical document with the health face, any other with the
    identity face (consent included for partners). The FHIR API's DocumentReference."""
    medical = Document.Category.MEDICAL
    return Document.objects.filter(crt=crt).filter(
        Q(~Q(category=medical),
          beneficiary__in=beneficiaries_for("identity", crt=crt, user=user, roles=roles))
        | Q(category=medical,
            beneficiary__in=beneficiaries_for("health", crt=crt, user=user, roles=roles)))


@dataclass(frozen=True)
class FileAccess:
    identity: bool = False
    planning: bool = False
    liaison: bool = False
    health: bool = False
    key_box: bool = False
    manage: bool = False
    #: Clinical free text outside the medical section (referral reason, admission step
    #: observations, hospitalisation reasons): a role rule, see ``CLINICAL_TEXT_ROLES``.
    clinical_text: bool = False
    #: Who is in the care team: the coordination (``care_team.manage``).
    care_team: bool = False
    #: The fields of the medical section this user reads (none without the health face):
    #: ``medical_fields``, to hand out with ``medical_section``.
    medical_fields: frozenset = frozenset()

    @property
    def anything(self) -> bool:
        return self.identity or self.planning or self.liaison or self.health

    def reads_document(self, document) -> bool:
        """Whether this reader may open ``document`` of the file (``document_download``): a
        medical one with the health face, any other with the identity face. The file's page
        names a medical document to the coordination without a link (``liaison`` face)."""
        return self.health if document.is_health_data else self.identity


def file_access(*, user, roles, beneficiary: Beneficiary) -> FileAccess:
    """What ``user`` may see of this file: every face in one query, from the same rules as
    ``beneficiaries_for``."""
    rules = _rules(crt=beneficiary.crt, user=user, roles=roles)
    faces = {face: q for face, q in rules.items() if q is not _NONE and q is not _ALL}
    values = {face: rules[face] is _ALL for face in FACES}
    if faces:
        row = (
            Beneficiary.objects.filter(pk=beneficiary.pk)
            .annotate(**{
                f"face_{face}": Case(When(q, then=Value(True)), default=Value(False),
                                     output_field=BooleanField())
                for face, q in faces.items()
            })
            .values(*(f"face_{face}" for face in faces))
            .first()
        ) or {}
        values.update({face: bool(row.get(f"face_{face}")) for face in faces})
    staff = bool(set(roles) & (WHOLE_CRT_ROLES | {Role.ACTIVITY_LEADER}))
    return FileAccess(
        **values,
        manage=staff and values["identity"] and has_permission(roles, "beneficiary.manage"),
        clinical_text=values["identity"] and (
            reads_clinical_text(roles)
            or bool(set(roles) & HEALTH_PROFESSIONALS and values["health"])),
        care_team=values["identity"] and has_permission(roles, "care_team.manage"),
        medical_fields=medical_fields(crt=beneficiary.crt, user=user, roles=roles)
        if values["health"] else frozenset(),
    )


def file_for_request(request, public_id):
    """The beneficiary named in a URL, if this user may see it at all (404 otherwise), and
    what they may see of it. Every app's pages about a person start here."""
    from maillage.core.tenancy import get_for_crt

    beneficiary = get_for_crt(
        visible_beneficiaries(crt=request.crt, user=request.user, roles=request.roles)
        .select_related("commune"),
        request.crt,
        public_id,
    )
    return beneficiary, file_access(user=request.user, roles=request.roles,
                                    beneficiary=beneficiary)


def users_with_access(face: str, *, beneficiary: Beneficiary, users) -> list:
    """Of ``users``, those who may see ``face`` of this file now: whoever is told about a person
    (notifications, e-mails) is chosen through the same policy as whoever reads the file."""
    from maillage.core.selectors import members_roles

    candidates = {u.pk: u for u in users if u is not None}
    if not candidates:
        return []
    roles = members_roles(crt=beneficiary.crt, user_ids=candidates)
    if face not in FACES:
        return [
            user for pk, user in candidates.items()
            if pk in roles and getattr(
                file_access(user=user, roles=frozenset(roles[pk]), beneficiary=beneficiary),
                face)
        ]
    # Every candidate's rule for this face, evaluated in one query (one column per user).
    allowed, columns = set(), {}
    for pk, user_roles in roles.items():
        rule = _rules(crt=beneficiary.crt, user=candidates[pk], roles=user_roles)[face]
        if rule is _ALL:
            allowed.add(pk)
        elif rule is not _NONE:
            columns[f"user_{pk}"] = Case(When(rule, then=Value(True)), default=Value(False),
                                         output_field=BooleanField())
    if columns:
        row = (Beneficiary.objects.filter(pk=beneficiary.pk).annotate(**columns)
               .values(*columns).first()) or {}
        allowed |= {int(name.removeprefix("user_")) for name, value in row.items() if value}
    return [user for pk, user in candidates.items() if pk in allowed]


def access_doc() -> list[tuple[str, dict[str, str]]]:
    """The rules above as rows for the "Access and audit" page (``maillage access_doc``):
    (what, {role: who among the persons}), built from the same constants as the policy."""
    everyone = "toutes les personnes du CRT"
    accompanied = "les personnes qu'il ou elle accompagne (cercle de soins), sauf opposition"
    team = "les personnes de son cercle de soins"
    consented = "dans son cercle de soins, selon le consentement (catégorie « {} »)"

    def row(face: str) -> dict[str, str]:
        cells = {}
        for role in Role:
            if face in ("identity", "planning") and role in WHOLE_CRT_ROLES:
                cells[role] = everyone
            elif face == "liaison" and role in LIAISON_ROLES:
                cells[role] = everyone
            elif face == "liaison" and role in LIAISON_TEAM_ROLES:
                cells[role] = team
            elif face == "health" and role in HEALTH_PROFESSIONALS:
                cells[role] = team
            elif face in ("identity", "planning", "liaison") and role == Role.ACTIVITY_LEADER:
                cells[role] = accompanied
            elif role == Role.PARTNER and face != "key_box":
                category = {"identity": "identité", "planning": "planning",
                            "liaison": "planning", "health": "santé"}[face]
                cells[role] = consented.format(category) + (
                    ", professions de santé seulement" if face == "health" else "")
            elif face == "key_box" and (role in WHOLE_CRT_ROLES or role in {
                    Role.ACTIVITY_LEADER, Role.PARTNER}):
                cells[role] = "s'il ou elle intervient au domicile (cercle de soins)"
        return cells

    def medical_rows() -> dict[str, str]:
        cells = {}
        for role in Role:
            if role in HEALTH_PROFESSIONALS and role in WHOLE_MEDICAL_ROLES:
                cells[role] = team
            elif role in WHOLE_MEDICAL_ROLES:
                cells[role] = ("avec l'accès aux données de santé (DLU ouvert en urgence, ou "
                               "un rôle de soin en plus)")
            elif role in HOME_CARE_MEDICAL_ROLES:
                cells[role] = ("jamais, sauf avec aussi un rôle qui les lit : du volet "
                               "médical, seulement ce que demandent les soins au domicile — "
                               "allergies, traitements en cours, directives anticipées, "
                               "décision de réanimation, fiche « urgence pallia », état "
                               "habituel ; à la place : « " + WITHHELD + " » (page, DLU, "
                               "documents, API)")
            elif role == Role.PARTNER:
                cells[role] = consented.format("santé") + (
                    ", professions de santé seulement ; jamais pour un·e aide-soignant·e")
        return cells

    return [
        ("Identité, coordonnées, situation, documents administratifs", row("identity")),
        ("Planning des passages, plan personnalisé", row("planning")),
        ("Cahier de liaison, alertes, conversation de l'équipe", row("liaison")),
        ("Données de santé (volet médical, évaluations, transmissions santé, télésanté)",
         row("health")),
        ("Volet médical : antécédents et synthèse médicale (le reste du volet, avec les "
         "données de santé)", medical_rows()),
        ("Code de la boîte à clés", row("key_box")),
        ("Texte clinique hors volet médical (motif d'une demande, observations d'admission, "
         "motif d'une hospitalisation)",
         {role: everyone if role in CLINICAL_TEXT_ROLES else
          team + " ; pour une demande, s'il ou elle a réalisé une de ses étapes"
          for role in CLINICAL_TEXT_ROLES | HEALTH_PROFESSIONALS}),
        ("Corriger ou retirer une constante (saisie erronée), depuis les écrans comme par "
         "l'API FHIR", {
            role: (team + " : toutes leurs mesures" if role in CORRECTS_EVERY_MEASURE
                   else (consented.format("santé") if role == Role.PARTNER else team)
                   + " : les mesures qu'il ou elle a saisies")
            for role in Role if has_permission({role}, "vital_sign.record")}),
        ("Composer le cercle de soins (jamais soi-même)", {
            role: everyone for role in Role
            if has_permission({role}, "care_team.manage")}),
    ]
