"""Communication: the liaison notebook's notes (``care.LiaisonNote``) the requester may read —
the liaison face of the file, notes reserved to health professionals only where the health
face is seen too (``care.access.liaison_notes_visible``, the notebook screen's rule) — and a
note posted by a partner's software (create, through ``care.services.liaison.note_add`` as the
token's user). No FR Core profile exists for Communication: base R4."""

from django.db.models import Q

from maillage.beneficiaries.access import beneficiaries_for, file_access
from maillage.care.access import liaison_notes_visible
from maillage.care.models import LiaisonNote
from maillage.care.services.liaison import note_add
from maillage.core.errors import DomainError
from maillage.core.permissions import Perm
from maillage.core.tenancy import get_for_crt

from .observation import _subject_id
from .outcome import FhirError
from .resource import ResourceType, audited_reads
from .search import NOTHING, SearchParam, date_q, last_updated, reference_q, split_token

#: The notebook's categories (Maillage's own code system: a URN, documented in docs/api.md).
CATEGORY_SYSTEM = "urn:maillage:codesystem:liaison-note-category"
#: A note reserved to health professionals is « restricted » (HL7 v3 Confidentiality R).
CONFIDENTIALITY = "http://terminology.hl7.org/CodeSystem/v3-Confidentiality"


def _author(note: LiaisonNote) -> str:
    name = note.author.get_full_name() or note.author.get_username()
    return f"{name} ({note.author_role})" if note.author_role else name


def serialize(note: LiaisonNote, base_url: str = "") -> dict:
    restricted = note.visibility == LiaisonNote.Visibility.HEALTH
    return {
        "resourceType": "Communication",
        "id": str(note.public_id),
        "meta": {
            "versionId": "1",
            "lastUpdated": note.updated_at.isoformat(),
            "security": [{"system": CONFIDENTIALITY, "code": "R" if restricted else "N",
                          "display": "restricted" if restricted else "normal"}],
        },
        "status": "completed",
        "category": [{"coding": [{"system": CATEGORY_SYSTEM, "code": note.category,
                                  "display": note.get_category_display()}],
                      "text": note.get_category_display()}],
        "subject": {"reference": f"Patient/{note.beneficiary.public_id}"},
        "topic": {"text": "Cahier de liaison"},
        "sent": note.created_at.isoformat(),
        "sender": {"display": _author(note)},
        "payload": [{"contentString": note.text}],
    }


def queryset(request):
    return liaison_notes_visible(crt=request.crt, user=request.user, roles=request.roles) \
        .select_related("crt", "beneficiary", "author")


def category_q(value: str) -> Q:
    system, code = split_token(value)
    if system not in (None, CATEGORY_SYSTEM) or code not in LiaisonNote.Category.values:
        return NOTHING
    return Q(category=code)


# --- create --------------------------------------------------------------------------------
def _invalid(expression: str, text: str) -> FhirError:
    return FhirError(422, text, expression=expression, code="business-rule")


def create(request, body: dict) -> LiaisonNote:
    if body.get("status") != "completed":
        raise _invalid("Communication.status", "Statut attendu : « completed » (une "
                                               "transmission écrite).")
    payload = body.get("payload") or []
    texts = [p.get("contentString") for p in payload if isinstance(p, dict)]
    if len(texts) != 1 or not isinstance(texts[0], str) or not texts[0].strip():
        raise _invalid("Communication.payload", "Élément « payload » : une seule partie "
                                                "« contentString » (le texte de la "
                                                "transmission) est attendue.")
    category = LiaisonNote.Category.GENERAL
    codings = [c for cat in body.get("category") or [] for c in cat.get("coding") or []]
    if codings:
        known = [c["code"] for c in codings if c.get("system") == CATEGORY_SYSTEM
                 and c.get("code") in LiaisonNote.Category.values]
        if not known:
            raise _invalid("Communication.category", "Catégorie non prise en charge : codes "
                           f"du système {CATEGORY_SYSTEM} : "
                           f"{', '.join(LiaisonNote.Category.values)}.")
        category = known[0]
    security = [s.get("code") for s in (body.get("meta") or {}).get("security") or []
                if s.get("system") == CONFIDENTIALITY]
    visibility = (LiaisonNote.Visibility.HEALTH if "R" in security
                  else LiaisonNote.Visibility.TEAM)
    people = beneficiaries_for("liaison", crt=request.crt, user=request.user,
                               roles=request.roles)
    beneficiary = get_for_crt(people.select_related("crt"), request.crt, _subject_id(
        body, "Communication"))
    access = file_access(user=request.user, roles=request.roles, beneficiary=beneficiary)
    try:
        return note_add(actor=request.user, roles=set(request.roles), beneficiary=beneficiary,
                        access=access, category=category, visibility=visibility,
                        text=texts[0])
    except DomainError as error:
        expression = {"text": "Communication.payload[0].contentString",
                      "visibility": "Communication.meta.security",
                      "category": "Communication.category"}.get(error.field, "Communication")
        raise _invalid(expression, error.message) from None


COMMUNICATION = ResourceType(
    type="Communication",
    permission=Perm.NOTES_VIEW,
    write_permission=Perm.NOTES_WRITE,
    queryset=queryset,
    serialize=serialize,
    on_read=audited_reads("fhir.communication_read"),
    create=create,
    documentation=(
        "Transmissions du cahier de liaison des personnes dont le compte du jeton voit la "
        "coordination des soins (celles réservées aux professionnels de santé, marquées "
        "meta.security R, seulement s'il voit aussi les données de santé). Création d'une "
        "transmission au nom du compte du jeton (membre du cercle de soins, dans le "
        "consentement) : payload[0].contentString, catégorie, meta.security R pour la "
        "réserver aux professionnels de santé."),
    search_params=(
        SearchParam("patient", "reference", "La personne : Patient/<id> (ou l'identifiant "
                    "seul).", reference_q("beneficiary", "patient", "Patient"),
                    "http://hl7.org/fhir/SearchParameter/Communication-patient"),
        SearchParam("sent", "date", "Date d'écriture (préfixes eq, ne, lt, gt, le, ge).",
                    date_q("created_at", "sent", is_datetime=True),
                    "http://hl7.org/fhir/SearchParameter/Communication-sent"),
        SearchParam("category", "token", f"Catégorie ({CATEGORY_SYSTEM}|care, fall…).",
                    category_q, "http://hl7.org/fhir/SearchParameter/Communication-category"),
        last_updated(),
    ),
)
