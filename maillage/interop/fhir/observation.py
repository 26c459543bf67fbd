"""Observation: the person's vital signs (``beneficiaries.VitalSign``, FR Core vital-sign
profiles; read, search, create, update, delete) and the GIR of their AGGIR evaluations
(``beneficiaries.AggirEvaluation``, read and search only). Both through the health face of the
file (``beneficiaries.access``), audited like the medical section.

Two models under one type: the vital signs are the type's own model (writes, tombstones), the
AGGIR evaluations a second ``Source``; a search pages over both by public id, and a parameter
restricts to the model it applies to (``code``, ``category``)."""

from datetime import datetime

from django.core.exceptions import PermissionDenied
from django.db.models import Q

from maillage.beneficiaries.access import (
    aggir_evaluations_visible,
    beneficiaries_for,
    can_correct_vital_sign,
    vital_sign_correction_refused,
    vital_signs_visible,
)
from maillage.beneficiaries.models import AggirEvaluation, VitalSign
from maillage.beneficiaries.vitals import (
    BP_COMPONENTS,
    INTERPRETATION_SYSTEM,
    KINDS,
    vital_sign_match,
    vital_sign_record_once,
    vital_sign_retract,
    vital_sign_update,
)
from maillage.core.errors import DomainError
from maillage.core.permissions import Perm
from maillage.core.roles import Role
from maillage.core.tenancy import get_for_crt

from .outcome import FhirError
from .resource import FR_CORE, Existing, ResourceType, Source, audited_reads
from .search import NOTHING, SearchParam, date_q, reference_q, split_token

LOINC = "http://loinc.org"
UCUM = "http://unitsofmeasure.org"
CATEGORY_SYSTEM = "http://terminology.hl7.org/CodeSystem/observation-category"
#: Neither FR Core nor LOINC defines a code for the GIR: Maillage's own code system (a URN, no
#: invented web address), documented in docs/api.md.
AGGIR_SYSTEM = "urn:maillage:codesystem:aggir"
AGGIR_CODE = "GIR"
AGGIR_DISPLAY = "Groupe iso-ressources (grille AGGIR)"
#: Pulse oximetry: the HL7 oxygen saturation profile's second code, accepted on input.
PULSE_OXIMETRY = "59408-5"
#: A fall (detected by a device or declared): SNOMED CT 1912002 « Fall » — the Télésurveillance
#: IG defines no code of its own for it. An event: no value, or ``valueBoolean`` true.
SNOMED = "http://snomed.info/sct"
FALL_CODE = "1912002"
FALL_DISPLAY = "Fall"

Kind = VitalSign.Kind
PROFILES = {
    Kind.BODY_WEIGHT: FR_CORE + "fr-core-observation-body-weight",
    Kind.BLOOD_PRESSURE: FR_CORE + "fr-core-observation-bp",
    Kind.HEART_RATE: FR_CORE + "fr-core-observation-heartrate",
    Kind.BODY_TEMPERATURE: FR_CORE + "fr-core-observation-body-temperature",
    Kind.OXYGEN_SATURATION: FR_CORE + "fr-core-observation-saturation-oxygen",
    # Capillary blood glucose: no FR Core profile (a laboratory result, base R4).
}
#: category code of each kind (glucose is not a vital sign).
CATEGORIES = {kind: "laboratory" if kind == Kind.BLOOD_GLUCOSE else "vital-signs"
              for kind in KINDS} | {Kind.FALL: "activity"}
CATEGORY_DISPLAY = {"vital-signs": "Vital Signs", "laboratory": "Laboratory",
                    "survey": "Survey", "activity": "Activity"}
#: LOINC code → kind (input).
KIND_BY_CODE = {info.loinc: kind for kind, info in KINDS.items()} | {
    PULSE_OXIMETRY: Kind.OXYGEN_SATURATION}


def _number(value):
    if value is None:
        return None
    return int(value) if value == value.to_integral_value() else float(value)


def _quantity(value, kind_unit: str, display: str) -> dict:
    return {"value": value, "unit": display, "system": UCUM, "code": kind_unit}


def _category(code: str) -> list[dict]:
    return [{"coding": [{"system": CATEGORY_SYSTEM, "code": code,
                         "display": CATEGORY_DISPLAY[code]}]}]


def _person(user) -> str:
    return (user.get_full_name() or user.get_username()) if user else ""


def _sender_elements(sign: VitalSign) -> dict:
    """What the sender gave that Maillage keeps: its identifier, its interpretation."""
    elements = {}
    if sign.identifier:
        system, _, value = sign.identifier.partition("|")
        elements["identifier"] = [{"system": system, "value": value}]
    if sign.interpretation:
        elements["interpretation"] = [{"coding": [{"system": INTERPRETATION_SYSTEM,
                                                   "code": sign.interpretation}]}]
    return elements


def serialize_fall(sign: VitalSign) -> dict:
    resource = {
        "resourceType": "Observation",
        "id": str(sign.public_id),
        **_sender_elements(sign),
        "meta": {"versionId": str(sign.version), "lastUpdated": sign.updated_at.isoformat()},
        "status": sign.status,
        "category": _category(CATEGORIES[Kind.FALL]),
        "code": {"coding": [{"system": SNOMED, "code": FALL_CODE, "display": FALL_DISPLAY}],
                 "text": "Chute"},
        "subject": {"reference": f"Patient/{sign.beneficiary.public_id}"},
        "effectiveDateTime": sign.measured_at.isoformat(),
        "issued": sign.created_at.isoformat(),
        "performer": [{"display": f"{_person(sign.recorded_by)} "
                                  f"({sign.get_source_display()})"}],
        "valueBoolean": True,
    }
    if sign.device:
        resource["device"] = {"display": sign.device}
    return resource


def serialize_vital_sign(sign: VitalSign, base_url: str = "") -> dict:
    if sign.kind == Kind.FALL:
        return serialize_fall(sign)
    info = KINDS[sign.kind]
    codings = [{"system": LOINC, "code": info.loinc, "display": info.display}]
    if sign.kind == Kind.OXYGEN_SATURATION:
        codings.append({"system": LOINC, "code": PULSE_OXIMETRY,
                        "display": "Oxygen saturation in Arterial blood by Pulse oximetry"})
    meta = {"versionId": str(sign.version), "lastUpdated": sign.updated_at.isoformat()}
    if sign.kind in PROFILES:
        meta["profile"] = [PROFILES[sign.kind]]
    resource = {
        "resourceType": "Observation",
        "id": str(sign.public_id),
        "meta": meta,
        "status": sign.status,
        "category": _category(CATEGORIES[sign.kind]),
        "code": {"coding": codings, "text": info.label},
        **_sender_elements(sign),
        "subject": {"reference": f"Patient/{sign.beneficiary.public_id}"},
        "effectiveDateTime": sign.measured_at.isoformat(),
        "issued": sign.created_at.isoformat(),
        "performer": [{"display": f"{_person(sign.recorded_by)} "
                                  f"({sign.get_source_display()})"}],
    }
    if sign.device:
        resource["device"] = {"display": sign.device}
    if sign.kind == Kind.BLOOD_PRESSURE:
        resource["component"] = [
            {"code": {"coding": [{"system": LOINC, "code": code, "display": display}]},
             "valueQuantity": _quantity(getattr(sign, field), info.unit, info.unit_display)}
            for field, (code, display, _, _) in BP_COMPONENTS.items()]
    else:
        resource["valueQuantity"] = _quantity(_number(sign.value), info.unit, info.unit_display)
    return resource


def serialize_aggir(evaluation: AggirEvaluation, base_url: str = "") -> dict:
    return {
        "resourceType": "Observation",
        "id": str(evaluation.public_id),
        "meta": {"versionId": "1", "lastUpdated": evaluation.updated_at.isoformat()},
        "status": "final",
        "category": _category("survey"),
        "code": {"coding": [{"system": AGGIR_SYSTEM, "code": AGGIR_CODE,
                             "display": AGGIR_DISPLAY}], "text": "GIR (grille AGGIR)"},
        "subject": {"reference": f"Patient/{evaluation.beneficiary.public_id}"},
        "effectiveDateTime": evaluation.evaluated_on.isoformat(),
        "performer": [{"display": _person(evaluation.evaluator)}],
        "valueInteger": evaluation.gir,
    }


def serialize(obj, base_url: str = "") -> dict:
    if isinstance(obj, AggirEvaluation):
        return serialize_aggir(obj, base_url)
    return serialize_vital_sign(obj, base_url)


def queryset(request):
    return vital_signs_visible(crt=request.crt, user=request.user, roles=request.roles) \
        .select_related("crt", "beneficiary", "recorded_by")


def aggir_queryset(request):
    return aggir_evaluations_visible(crt=request.crt, user=request.user, roles=request.roles) \
        .select_related("crt", "beneficiary", "evaluator")


# --- search --------------------------------------------------------------------------------


def vital_code_q(value: str) -> Q:
    system, code = split_token(value)
    if system in (None, "", SNOMED) and code == FALL_CODE:
        return Q(kind=Kind.FALL)
    if system not in (None, "", LOINC) or code not in KIND_BY_CODE:
        return NOTHING
    return Q(kind=KIND_BY_CODE[code])


def aggir_code_q(value: str) -> Q:
    system, code = split_token(value)
    return Q() if system in (None, AGGIR_SYSTEM) and code == AGGIR_CODE else NOTHING


def vital_category_q(value: str) -> Q:
    system, code = split_token(value)
    if system not in (None, CATEGORY_SYSTEM):
        return NOTHING
    kinds = [kind for kind, category in CATEGORIES.items() if category == code]
    return Q(kind__in=kinds) if kinds else NOTHING


def aggir_category_q(value: str) -> Q:
    system, code = split_token(value)
    return Q() if system in (None, CATEGORY_SYSTEM) and code == "survey" else NOTHING


_vital_date = date_q("measured_at", "date", is_datetime=True)
_aggir_date = date_q("evaluated_on", "date")


def aggir_date_q(value: str) -> Q:
    """An evaluation is dated by its day: a date and time compares its day."""
    prefix = value[:2] if value[:2].isalpha() else ""
    text = value[len(prefix):]
    return _aggir_date(prefix + text[:10] if "T" in text else value)


_patient_q = reference_q("beneficiary", "patient", "Patient")
_updated_q = date_q("updated_at", "_lastUpdated", is_datetime=True)

AGGIR_SOURCE = Source(aggir_queryset, {
    "patient": _patient_q, "date": aggir_date_q, "code": aggir_code_q,
    "category": aggir_category_q, "_lastUpdated": _updated_q,
})


# --- writes --------------------------------------------------------------------------------
#: Service field → the element of the Observation it comes from.
EXPRESSIONS = {
    "value": "Observation.valueQuantity.value",
    "measured_at": "Observation.effectiveDateTime",
    "kind": "Observation.code",
    "device": "Observation.device",
    "identifier": "Observation.identifier",
}
#: The statuses a post may carry: a measure (``final``, ``amended``, ``corrected``), or the
#: retraction of one sent before (``entered-in-error``, found by its identifier).
POSTED_STATUSES = {"final", "amended", "corrected"}
RETRACTED = "entered-in-error"


def _invalid(expression: str, text: str) -> FhirError:
    return FhirError(422, text, expression=expression, code="business-rule")


def _kind(body: dict) -> str:
    codings = (body.get("code") or {}).get("coding") or []
    for coding in codings:
        if coding.get("system") == LOINC and coding.get("code") in KIND_BY_CODE:
            return KIND_BY_CODE[coding["code"]]
        if coding.get("system") == SNOMED and coding.get("code") == FALL_CODE:
            return Kind.FALL
    accepted = ", ".join(f"{info.loinc} ({info.label.lower()})" for info in KINDS.values())
    raise _invalid("Observation.code", "Code de mesure non pris en charge : un code LOINC "
                                       f"parmi {accepted} est attendu, ou le code SNOMED CT "
                                       f"{FALL_CODE} (chute).")


def _quantity_value(quantity, expression: str, unit: str, unit_display: str):
    if not isinstance(quantity, dict) or quantity.get("value") is None:
        raise _invalid(f"{expression}.value", f"Élément « {expression}.value » manquant : la "
                                              "valeur mesurée est attendue.")
    if quantity.get("system") != UCUM or quantity.get("code") != unit:
        # Another unit (lb for kg…) is a malformed request, not a business refusal: 400, and
        # no conversion on our side (the sender knows its device).
        sent = quantity.get("code") or quantity.get("unit") or "aucune"
        raise FhirError(400, f"Unité « {sent} » non prise en charge : « {unit} » "
                             f"({unit_display}) du système UCUM ({UCUM}) est attendue ; "
                             "convertissez la valeur avant l'envoi.",
                        expression=f"{expression}.code", code="value")
    return quantity["value"]


def _identifier(body: dict) -> str:
    """``system|value`` of the sender's first identifier with a system ("" when none): a value
    without its system means nothing across senders (two partners' « 1 »), so it is neither
    stored nor used to deduplicate (device + code + moment then)."""
    first = next((i for i in body.get("identifier") or [] if i.get("system")), None)
    if first is None:
        return ""
    if not first.get("value"):
        raise _invalid("Observation.identifier.value", "Élément « identifier.value » "
                       "manquant : l'identifiant de la mesure chez l'émetteur est attendu.")
    text = f"{first['system']}|{first['value']}"
    if len(text) > 255:
        raise _invalid("Observation.identifier", "Identifiant de mesure trop long (255 "
                                                     "caractères au plus, système compris).")
    return text


def _interpretation(body: dict) -> str:
    for concept in body.get("interpretation") or []:
        for coding in concept.get("coding") or []:
            if coding.get("system") == INTERPRETATION_SYSTEM and coding.get("code"):
                return coding["code"][:10]
    return ""


def _device(body: dict) -> str:
    device = body.get("device") or {}
    return (device.get("display") or device.get("reference") or "").strip()


def _effective(body: dict) -> datetime:
    text = body.get("effectiveDateTime")
    if not text:
        raise _invalid("Observation.effectiveDateTime", "Élément « effectiveDateTime » "
                       "manquant : la date et l'heure de la mesure sont attendues.")
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        moment = None
    if moment is None or "T" not in text or moment.tzinfo is None:
        raise _invalid("Observation.effectiveDateTime", "La date de la mesure doit comporter "
                       "l'heure et le fuseau horaire (AAAA-MM-JJThh:mm:ss+hh:mm).")
    return moment


def _subject_id(body: dict, resource_type: str = "Observation") -> str:
    reference = (body.get("subject") or {}).get("reference") or ""
    kind, _, public_id = reference.rstrip("/").rpartition("/")
    if kind.rsplit("/", 1)[-1] != "Patient" or not public_id:
        raise FhirError(422, "Élément « subject » : une référence « Patient/<id> » est "
                             "attendue.", expression=f"{resource_type}.subject",
                        code="business-rule")
    return public_id


def _parse(body: dict, *, retraction: bool = False) -> dict:
    """The service's arguments from the Observation sent (422 naming the element)."""
    allowed = POSTED_STATUSES | ({RETRACTED} if retraction else set())
    if body.get("status") not in allowed:
        raise _invalid("Observation.status", "Statut non pris en charge : « final » (ou "
                                             "« amended ») est attendu ; pour retirer une "
                                             "mesure, utilisez DELETE ou renvoyez-la avec "
                                             "« entered-in-error » et son identifiant.")
    kind = _kind(body)
    args = {"kind": kind, "measured_at": _effective(body), "device": _device(body),
            "identifier": _identifier(body), "interpretation": _interpretation(body)}
    expressions = dict(EXPRESSIONS)
    if body.get("status") == RETRACTED:
        return {"args": args, "expressions": expressions, "retract": True}
    if kind == Kind.FALL:
        if any(key.startswith("value") and key != "valueBoolean" for key in body) \
                or body.get("valueBoolean") is False:
            raise _invalid("Observation.value[x]", "Chute : un événement, sans valeur (ou "
                                                   "« valueBoolean » vrai).")
        return {"args": args, "expressions": expressions, "retract": False}
    info = KINDS[kind]
    if kind == Kind.BLOOD_PRESSURE:
        if "valueQuantity" in body:
            raise _invalid("Observation.valueQuantity", "Pression artérielle : les valeurs se "
                                                         "donnent dans « component » (systolique "
                                                         "8480-6, diastolique 8462-4).")
        components = body.get("component") or []
        for field, (code, _, _, _) in BP_COMPONENTS.items():
            index = next((i for i, c in enumerate(components)
                          if any(cd.get("system") == LOINC and cd.get("code") == code
                                 for cd in (c.get("code") or {}).get("coding") or [])), None)
            label = "systolique" if field == "systolic" else "diastolique"
            if index is None:
                raise _invalid("Observation.component", f"Pression artérielle : la composante "
                                                        f"{label} (LOINC {code}) manque.")
            expression = f"Observation.component[{index}].valueQuantity"
            args[field] = _quantity_value(components[index].get("valueQuantity"), expression,
                                          info.unit, info.unit_display)
            expressions[field] = f"{expression}.value"
    else:
        args["value"] = _quantity_value(body.get("valueQuantity"),
                                        "Observation.valueQuantity", info.unit,
                                        info.unit_display)
    return {"args": args, "expressions": expressions, "retract": False}


def _service(call, expressions: dict):
    try:
        return call()
    except DomainError as error:
        if error.code != "invalid":
            raise
        raise _invalid(expressions.get(error.field, "Observation"), error.message) from None


def _source(request, body: dict) -> str:
    if _device(body):
        return VitalSign.Source.TELEMONITORING
    if Role.PARTNER in request.roles:
        return VitalSign.Source.PARTNER
    return VitalSign.Source.TEAM


def _subject(request, body: dict):
    """The person the Observation is about, among those whose health data the token's account
    may write (the file's health face, as every Observation write): ``subject.reference``
    (``Patient/<id>``: 404 when not found) or ``subject.identifier`` (the INS of a qualified
    identity or the local id, ``urn:ietf:rfc:3986`` + ``urn:uuid:<id>``: 400 when none
    matches), as the Mesures de santé IG's bundles send it."""
    from .patient import identifier_q

    people = beneficiaries_for("health", crt=request.crt, user=request.user,
                               roles=request.roles)
    subject = body.get("subject") or {}
    identifier = subject.get("identifier")
    if identifier and not subject.get("reference"):
        system, value = identifier.get("system") or "", identifier.get("value") or ""
        found = list(people.filter(identifier_q(f"{system}|{value}"))[:2]) if value else []
        if len(found) != 1:
            raise FhirError(400, "Élément « subject.identifier » : aucune personne ne "
                                 "correspond (INS d'une identité qualifiée, ou identifiant "
                                 "local urn:uuid:<id>, d'une personne que ce compte suit).",
                            expression="Observation.subject.identifier", code="not-found")
        return found[0]
    return get_for_crt(people, request.crt, _subject_id(body))


def check_write(request, sign: VitalSign, *, delete: bool = False) -> None:
    """The screens' rule (``access.can_correct_vital_sign``): a measure is corrected or
    retracted by whoever recorded it, or the doctor; 403 for the others. Every measure the
    API finds is one whose health data this account reads (``queryset``, ``_subject``)."""
    if not can_correct_vital_sign(user=request.user, roles=request.roles, sign=sign,
                                  health=True, retracted=True):
        raise PermissionDenied(vital_sign_correction_refused("retirer" if delete
                                                             else "corriger"))


def _retract_posted(request, beneficiary, parsed: dict):
    """A post with status ``entered-in-error``: the measure sent before under the same
    identifier (or device, code and moment) is retracted, its alert closed."""
    args = parsed["args"]
    sign = vital_sign_match(beneficiary=beneficiary, kind=args["kind"],
                            measured_at=args["measured_at"], identifier=args["identifier"],
                            device=args["device"])
    if sign is None or sign.beneficiary_id != beneficiary.pk:
        raise _invalid("Observation.identifier", "Aucune mesure envoyée sous cet identifiant "
                       "(ou ce dispositif, ce code et cette date) : rien à retirer.")
    check_write(request, sign, delete=True)
    if sign.deleted_at is None:
        vital_sign_retract(actor=request.user, sign=sign, version=sign.version)
    return Existing(sign)


def create(request, body: dict):
    parsed = _parse(body, retraction=True)
    beneficiary = _subject(request, body)
    if parsed["retract"]:
        return _retract_posted(request, beneficiary, parsed)
    sign, created = _service(lambda: vital_sign_record_once(
        actor=request.user, beneficiary=beneficiary, source=_source(request, body),
        **parsed["args"]), parsed["expressions"])
    # A re-post of a measure already stored answers it (200): no second measure nor alert.
    return sign if created else Existing(sign)


def update(request, sign: VitalSign, body: dict, version: int) -> VitalSign:
    parsed = _parse(body)
    if _subject_id(body) != str(sign.beneficiary.public_id):
        raise _invalid("Observation.subject", "On ne change pas la personne d'une mesure : "
                                              "retirez-la et enregistrez-en une nouvelle.")
    # The resource sent replaces the one stored: its interpretation too (none: none).
    args = {k: v for k, v in parsed["args"].items() if k != "identifier"}
    return _service(lambda: vital_sign_update(actor=request.user, sign=sign, version=version,
                                              **args), parsed["expressions"])


def delete(request, sign: VitalSign, version: int) -> VitalSign:
    return vital_sign_retract(actor=request.user, sign=sign, version=version)


OBSERVATION = ResourceType(
    type="Observation",
    permission=Perm.HEALTH_VIEW,
    write_permission=Perm.VITAL_SIGN_RECORD,
    queryset=queryset,
    serialize=serialize,
    on_read=audited_reads("fhir.observation_read"),
    create=create,
    update=update,
    delete=delete,
    check_write=check_write,
    gone=Q(deleted_at__isnull=False),
    sources=(AGGIR_SOURCE,),
    profiles=tuple(PROFILES.values()),
    documentation=(
        "Constantes (poids, pression artérielle, fréquence cardiaque, température, saturation "
        "en oxygène, glycémie capillaire ; profils FR Core des signes vitaux) et GIR des "
        "évaluations AGGIR (catégorie « survey », code GIR du système "
        f"{AGGIR_SYSTEM}), des personnes dont le compte du jeton voit les données de santé "
        "(professionnels de santé du cercle de soins ; partenaires de santé selon le "
        "consentement). Création, correction (If-Match) et retrait (DELETE : statut "
        "entered-in-error, puis 410) des constantes ; une constante se corrige ou se retire "
        "par le compte qui l'a saisie, ou par le médecin (sinon 403), comme sur les écrans ; "
        "une correction qui ramène la mesure dans les seuils clôt son alerte encore ouverte, "
        "une correction qui franchit un seuil crée l'alerte ; les GIR se lisent seulement. "
        "Télésurveillance : chute (SNOMED CT 1912002, sans valeur ou valueBoolean vrai) ; "
        "personne désignée par subject.reference ou subject.identifier (INS d'une identité "
        "qualifiée, ou identifiant local) ; un identifier (system|value) déjà reçu renvoie la "
        "mesure enregistrée (200), sans doublon ni seconde alerte (sans identifier : même "
        "dispositif, code et date) ; un envoi « entered-in-error » du même identifier retire "
        "la mesure et clôt son alerte encore ouverte ; interpretation H, L, HH, LL, A, AA ou "
        "une valeur hors des seuils de la personne crée une alerte ; unité autre que l'unité "
        "UCUM attendue : 400."),
    search_params=(
        SearchParam("patient", "reference",
                    "La personne : Patient/<id> (ou l'identifiant seul).", _patient_q,
                    "http://hl7.org/fhir/SearchParameter/clinical-patient"),
        SearchParam("date", "date",
                    "Date de la mesure ou de l'évaluation (préfixes eq, ne, lt, gt, le, ge).",
                    _vital_date, "http://hl7.org/fhir/SearchParameter/clinical-date"),
        SearchParam("code", "token",
                    f"Code LOINC de la mesure ({LOINC}|8867-4…) ou {AGGIR_SYSTEM}|GIR.",
                    vital_code_q, "http://hl7.org/fhir/SearchParameter/clinical-code"),
        SearchParam("category", "token",
                    "vital-signs, laboratory (glycémie) ou survey (GIR).", vital_category_q,
                    "http://hl7.org/fhir/SearchParameter/Observation-category"),
        SearchParam("_lastUpdated", "date",
                    "Date de dernière modification (préfixes eq, ne, lt, gt, le, ge).",
                    _updated_q, "http://hl7.org/fhir/SearchParameter/Resource-lastUpdated"),
    ),
)
