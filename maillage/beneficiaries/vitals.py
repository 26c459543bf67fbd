"""Vital signs of the person (``VitalSign``): what each kind is (LOINC code, UCUM unit, the
plausible range a measure must fall in), and the services that record, correct and retract
one — for the team's screens and the FHIR API alike (atomic, versioned, audited)."""

from dataclasses import dataclass
from datetime import datetime, time, timedelta
from decimal import Decimal, InvalidOperation

from django.db import IntegrityError, transaction
from django.utils import timezone

from maillage.core.audit import audit_log
from maillage.core.errors import DomainError
from maillage.core.validators import BIRTH_DATE_MIN
from maillage.core.versioning import changes, save_versioned, snapshot, validate

from .models import Beneficiary, VitalSign, VitalSignRevision, VitalThresholds

Kind = VitalSign.Kind


@dataclass(frozen=True)
class KindInfo:
    label: str
    #: LOINC code and display (the HL7 vital-signs profiles' fixed codes).
    loinc: str
    display: str
    #: UCUM code and the unit as shown.
    unit: str
    unit_display: str
    low: Decimal
    high: Decimal
    #: Decimals kept (the value is rounded to this).
    decimals: int = 0


KINDS: dict[str, KindInfo] = {
    Kind.BODY_WEIGHT: KindInfo("Poids", "29463-7", "Body weight", "kg", "kg",
                               Decimal(20), Decimal(300), 1),
    Kind.BLOOD_PRESSURE: KindInfo("Pression artérielle", "85354-9",
                                  "Blood pressure panel with all children optional",
                                  "mm[Hg]", "mmHg", Decimal(30), Decimal(260)),
    Kind.HEART_RATE: KindInfo("Fréquence cardiaque", "8867-4", "Heart rate", "/min",
                              "/min", Decimal(20), Decimal(250)),
    Kind.BODY_TEMPERATURE: KindInfo("Température", "8310-5", "Body temperature", "Cel", "°C",
                                    Decimal(30), Decimal(45), 1),
    Kind.OXYGEN_SATURATION: KindInfo("Saturation en oxygène", "2708-6",
                                     "Oxygen saturation in Arterial blood", "%", "%",
                                     Decimal(50), Decimal(100)),
    Kind.BLOOD_GLUCOSE: KindInfo("Glycémie capillaire", "2339-0",
                                 "Glucose [Mass/volume] in Blood", "g/L", "g/L",
                                 Decimal("0.2"), Decimal(6), 2),
}
#: Blood pressure components: field → (LOINC, display, low, high).
BP_COMPONENTS = {
    "systolic": ("8480-6", "Systolic blood pressure", 50, 260),
    "diastolic": ("8462-4", "Diastolic blood pressure", 30, 160),
}
#: Range of each kind's thresholds a doctor may set (``VitalThresholds``): the plausible
#: range of the measure itself (a blood pressure's: the systolic one).
THRESHOLD_KINDS = tuple(KINDS)
#: HL7 v3 ObservationInterpretation codes that raise an alert (``interpretation`` sent with a
#: measure), and the severity of the alert each raises.
INTERPRETATION_SYSTEM = "http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation"
ALARMING = {"H": ("medium", "haute"), "L": ("medium", "basse"), "A": ("medium", "anormale"),
            "HH": ("high", "critique haute"), "LL": ("high", "critique basse"),
            "AA": ("high", "critique anormale")}


#: A measure dated a little ahead of the server's clock is accepted (devices' clocks drift).
CLOCK_SKEW = timedelta(minutes=5)


def _fmt(value: Decimal) -> str:
    return f"{value.normalize():f}".replace(".", ",")


def _check_value(kind: str, value) -> Decimal:
    info = KINDS[kind]
    try:
        number = Decimal(str(value))
    except (InvalidOperation, ValueError, TypeError):
        raise DomainError(f"{info.label} : la valeur doit être un nombre.", field="value") \
            from None
    if not number.is_finite():
        raise DomainError(f"{info.label} : la valeur doit être un nombre.", field="value")
    if not info.low <= number <= info.high:
        raise DomainError(
            f"{info.label} : {_fmt(number)} {info.unit_display} n'est pas une valeur plausible "
            f"(attendu entre {_fmt(info.low)} et {_fmt(info.high)} {info.unit_display}).",
            field="value")
    return round(number, info.decimals)


def _check_pressure(systolic, diastolic) -> tuple[int, int]:
    values = {}
    for field, raw in (("systolic", systolic), ("diastolic", diastolic)):
        _, _, low, high = BP_COMPONENTS[field]
        label = "systolique" if field == "systolic" else "diastolique"
        if raw is None:
            raise DomainError(f"Pression artérielle : la pression {label} manque.", field=field)
        try:
            number = Decimal(str(raw))
        except (InvalidOperation, ValueError, TypeError):
            raise DomainError(f"Pression artérielle : la pression {label} doit être un nombre.",
                              field=field) from None
        if not number.is_finite() or not low <= number <= high:
            raise DomainError(
                f"Pression artérielle : une pression {label} de {_fmt(number)} mmHg n'est pas "
                f"plausible (attendu entre {low} et {high} mmHg).", field=field)
        values[field] = int(number.to_integral_value())
    if values["diastolic"] >= values["systolic"]:
        raise DomainError("Pression artérielle : la pression diastolique doit être inférieure "
                          "à la systolique.", field="diastolic")
    return values["systolic"], values["diastolic"]


def _apply(sign: VitalSign, *, value, systolic, diastolic, measured_at, device: str) -> None:
    if measured_at is None:
        raise DomainError("La date et l'heure de la mesure manquent.", field="measured_at")
    if timezone.is_naive(measured_at):
        raise DomainError("La date et l'heure de la mesure doivent indiquer le fuseau horaire.",
                          field="measured_at")
    if measured_at > timezone.now() + CLOCK_SKEW:
        raise DomainError("La date de la mesure est dans le futur.", field="measured_at")
    born = sign.beneficiary.birth_date if sign.beneficiary_id else None
    # Compared as moments (an extreme one, year 1, has no local day to compare).
    earliest = datetime.combine(max(born or BIRTH_DATE_MIN, BIRTH_DATE_MIN), time.min,
                                tzinfo=timezone.get_current_timezone())
    if measured_at < earliest:
        raise DomainError(
            "La date de la mesure précède la naissance de la personne "
            f"({earliest:%d/%m/%Y}) : vérifiez la date et l'heure de l'appareil."
            if born and born >= BIRTH_DATE_MIN else
            "La date de la mesure est antérieure au 01/01/1900 : vérifiez la date et l'heure "
            "de l'appareil.", field="measured_at")
    if sign.kind == Kind.FALL:
        if value is not None or systolic is not None or diastolic is not None:
            raise DomainError("Chute : un événement, sans valeur mesurée.", field="value")
        sign.value = sign.systolic = sign.diastolic = None
    elif sign.kind == Kind.BLOOD_PRESSURE:
        if value is not None:
            raise DomainError("Pression artérielle : donnez la systolique et la diastolique, "
                              "pas une valeur unique.", field="value")
        sign.systolic, sign.diastolic = _check_pressure(systolic, diastolic)
        sign.value = None
    else:
        if systolic is not None or diastolic is not None:
            raise DomainError(f"{KINDS[sign.kind].label} : une seule valeur est attendue.",
                              field="value")
        if value is None:
            raise DomainError(f"{KINDS[sign.kind].label} : la valeur manque.", field="value")
        sign.value = _check_value(sign.kind, value)
        sign.systolic = sign.diastolic = None
    sign.measured_at = measured_at
    sign.device = (device or "").strip()[:200]


@transaction.atomic
def vital_sign_record(*, actor, beneficiary: Beneficiary, kind: str, measured_at,
                      source: str = VitalSign.Source.TEAM, value=None, systolic=None,
                      diastolic=None, device: str = "", identifier: str = "",
                      interpretation: str = "") -> VitalSign:
    """Record a measure or a fall event (the caller checked that ``actor`` may write this
    person's health data: ``beneficiaries_for("health")``), then check it against the
    person's thresholds (``check_alarm``: one place for the team's measures and the API's)."""
    if kind not in KINDS and kind != Kind.FALL:
        raise DomainError("Mesure non prise en charge.", field="kind")
    sign = VitalSign(crt=beneficiary.crt, beneficiary=beneficiary, kind=kind,
                     unit=KINDS[kind].unit if kind in KINDS else "", source=source,
                     recorded_by=actor, created_by=actor, updated_by=actor,
                     identifier=(identifier or "")[:255],
                     interpretation=(interpretation or "")[:10])
    _apply(sign, value=value, systolic=systolic, diastolic=diastolic,
           measured_at=measured_at, device=device)
    validate(sign, exclude=["crt", "beneficiary", "recorded_by", "created_by", "updated_by"])
    sign.save()
    audit_log(actor=actor, action="vital_sign.recorded", obj=sign, beneficiary=beneficiary,
              details={"mesure": sign.get_kind_display(),
                       "source": sign.get_source_display()})
    check_alarm(sign, actor=actor)
    return sign


def vital_sign_match(*, beneficiary: Beneficiary, kind: str, measured_at, identifier: str = "",
                     device: str = "") -> VitalSign | None:
    """The measure already recorded that a post repeats: the same sender identifier in the
    CRT (whoever the person: the caller refuses another person's); without one, the same
    device, kind and moment for this person (a retry of a sender that sets no identifier).
    Without identifier nor device, nothing is matched (two team entries are two measures)."""
    if identifier:
        return VitalSign.objects.filter(crt=beneficiary.crt, identifier=identifier).first()
    if device:
        return VitalSign.objects.filter(
            crt=beneficiary.crt, beneficiary=beneficiary, kind=kind, measured_at=measured_at,
            device=device.strip()[:200], identifier="").order_by("id").first()
    return None


def vital_sign_record_once(*, beneficiary: Beneficiary, kind: str, measured_at,
                           identifier: str = "", device: str = "",
                           **fields) -> tuple[VitalSign, bool]:
    """``vital_sign_record`` unless the post repeats a measure (``vital_sign_match``):
    (the measure, whether it was created). Two concurrent posts of one identifier: the
    unique constraint lets one in, the other answers the stored measure."""
    def match():
        found = vital_sign_match(beneficiary=beneficiary, kind=kind, measured_at=measured_at,
                                 identifier=identifier, device=device)
        if found is not None and (found.beneficiary_id != beneficiary.pk
                                  or found.kind != kind):
            raise DomainError("Cet identifiant de mesure est déjà celui d'une autre mesure "
                              "(autre personne ou autre type) : chaque mesure a le sien.",
                              field="identifier")
        return found

    found = match()
    if found is not None:
        return found, False
    try:
        with transaction.atomic():
            return vital_sign_record(beneficiary=beneficiary, kind=kind,
                                     measured_at=measured_at, identifier=identifier,
                                     device=device, **fields), True
    except IntegrityError:
        found = match()
        if found is None:
            raise
        return found, False


#: The source as an alert's description says it.
SOURCE_WORDS = {VitalSign.Source.TEAM: "équipe", VitalSign.Source.PARTNER: "partenaire",
                VitalSign.Source.TELEMONITORING: "télésurveillance"}


def _when(sign: VitalSign) -> str:
    return (f"{SOURCE_WORDS[sign.source]}, "
            f"{timezone.localtime(sign.measured_at):%d/%m/%Y %H:%M}")


def _measured(sign: VitalSign) -> tuple[str, Decimal]:
    """What a description says of the measure, and the number thresholds compare."""
    if sign.kind == Kind.BLOOD_PRESSURE:
        return f"Pression systolique {sign.systolic} mmHg", Decimal(sign.systolic)
    info = KINDS[sign.kind]
    return f"{info.label} {_fmt(sign.value)} {info.unit_display}", sign.value


def alarm_for(sign: VitalSign) -> tuple[str, str, str] | None:
    """(alert kind, severity, French description) when this measure calls for an alert: a
    fall; a value outside the person's thresholds; the sender's interpretation H, L, HH, LL,
    A or AA. None otherwise (a retracted measure never alarms)."""
    if sign.deleted_at is not None:
        return None
    if sign.kind == Kind.FALL:
        return "fall", "high", f"Chute signalée ({_when(sign)})"
    what, number = _measured(sign)
    unit = "mmHg" if sign.kind == Kind.BLOOD_PRESSURE else KINDS[sign.kind].unit_display
    thresholds = VitalThresholds.objects.filter(beneficiary=sign.beneficiary_id).first()
    low, high = thresholds.bounds(sign.kind) if thresholds else (None, None)
    breach = None
    if low is not None and number < low:
        breach = f"{what} sous le seuil de {_fmt(low)} {unit}"
    elif high is not None and number > high:
        breach = f"{what} au-dessus du seuil de {_fmt(high)} {unit}"
    flagged = ALARMING.get(sign.interpretation)
    if breach is None and flagged is None:
        return None
    severity = flagged[0] if flagged else "medium"
    text = breach or f"{what} signalée {flagged[1]} par l'émetteur"
    if breach and flagged:
        text += f", signalée {flagged[1]} par l'émetteur"
    return "vital_sign", severity, f"{text} ({_when(sign)})"


def check_alarm(sign: VitalSign, *, actor) -> None:
    """When ``sign`` calls for an alert (a threshold crossed, the sender's interpretation, a
    fall), the care app, which owns alerts, raises it in this transaction — at most one per
    measure (``care.services.liaison.alert_for_measure``)."""
    alarm = alarm_for(sign)
    if alarm is not None:
        from maillage.care.services.liaison import alert_for_measure

        alert_kind, severity, description = alarm
        alert_for_measure(sign=sign, actor=actor, alert_kind=alert_kind, severity=severity,
                          description=description)


TRACKED = ("value", "systolic", "diastolic", "measured_at", "device", "status",
           "interpretation")
#: The fields holding what was measured: the sender's interpretation describes them.
MEASURED = ("value", "systolic", "diastolic")


def _keep(sign: VitalSign, before: dict, *, version: int, actor, change: str,
          reason: str) -> None:
    """The measure as it was at ``version`` (``before``: its ``TRACKED`` fields), kept before
    a correction or a retraction replaces it: the value first entered is never erased."""
    VitalSignRevision.objects.create(
        crt=sign.crt, sign=sign, change=change, version=version, reason=reason.strip(),
        created_by=actor, updated_by=actor, **before)


@transaction.atomic
def vital_sign_update(*, actor, sign: VitalSign, version: int, kind: str, measured_at,
                      value=None, systolic=None, diastolic=None, device: str = "",
                      reason: str = "", interpretation: str | None = None) -> VitalSign:
    """Correct a measure (status « amended »); refused when someone saved it since
    ``version``, or when it was retracted. What it said before is kept
    (``VitalSignRevision``, with ``reason``: the screens ask one, the API sends none).
    ``interpretation``: the sender's, as the API's update carries it; None (the screens): kept
    while the measured value is, dropped when it changes (it described the value sent).

    The corrected measure is checked against the thresholds again, in this transaction
    (``care.services.liaison.alert_measure_corrected``): back into range, its alert still
    open is resolved, saying who corrected it and why; newly out of range, the alert is
    raised as recording it would have."""
    if sign.deleted_at is not None:
        raise DomainError("Cette mesure a été retirée : elle ne se modifie plus.",
                          code="conflict")
    if kind != sign.kind:
        raise DomainError("On ne change pas la nature d'une mesure : retirez-la et "
                          "enregistrez-en une nouvelle.", field="kind")
    before = snapshot(sign, TRACKED)
    was_alarming = alarm_for(sign) is not None
    _apply(sign, value=value, systolic=systolic, diastolic=diastolic,
           measured_at=measured_at, device=device)
    if interpretation is not None:
        sign.interpretation = interpretation[:10]
    elif any(before[field] != getattr(sign, field) for field in MEASURED):
        sign.interpretation = ""
    sign.status = VitalSign.Status.AMENDED
    validate(sign, exclude=["crt", "beneficiary", "recorded_by", "created_by", "updated_by"])
    save_versioned(sign, actor=actor, version=version, fields=TRACKED)
    _keep(sign, before, version=version, actor=actor, change=VitalSignRevision.Change.AMENDED,
          reason=reason)
    from maillage.care.services.liaison import alert_measure_corrected

    alert_measure_corrected(sign=sign, actor=actor, alarm=alarm_for(sign),
                            was_alarming=was_alarming, reason=reason)
    # The fields changed, not their values (a measure is health data: never in the audit).
    audit_log(actor=actor, action="vital_sign.updated", obj=sign, beneficiary=sign.beneficiary,
              details={"mesure": sign.get_kind_display(),
                       "champs": sorted(changes(before, sign))})
    return sign


@transaction.atomic
def vital_sign_retract(*, actor, sign: VitalSign, version: int, reason: str = "") -> VitalSign:
    """Retract a measure entered in error: the row stays as a tombstone (status
    « entered-in-error », ``deleted_at``), hidden from the file and the API's searches; the
    health readers still see it as « retirée » in the history, with ``reason`` (the screens
    ask one, the API sends none). Its alert still open is resolved, saying who retracted it
    and why (``care.services.liaison.alert_measure_retracted``); one the team took in charge
    is left to them."""
    if sign.deleted_at is not None:
        raise DomainError("Cette mesure a déjà été retirée.", code="conflict")
    before = snapshot(sign, TRACKED)
    sign.status, sign.deleted_at = VitalSign.Status.ENTERED_IN_ERROR, timezone.now()
    save_versioned(sign, actor=actor, version=version, fields=["status", "deleted_at"])
    _keep(sign, before, version=version, actor=actor,
          change=VitalSignRevision.Change.RETRACTED, reason=reason)
    audit_log(actor=actor, action="vital_sign.retracted", obj=sign,
              beneficiary=sign.beneficiary, details={"mesure": sign.get_kind_display()})
    from maillage.care.services.liaison import alert_measure_retracted

    alert_measure_retracted(sign=sign, actor=actor, reason=reason)
    return sign


# --- Alert thresholds ------------------------------------------------------------------------
#: The fields of ``VitalThresholds``, kind by kind: (kind, low field, high field).
THRESHOLD_FIELDS = tuple((kind, f"{kind}_low", f"{kind}_high") for kind in KINDS)


def threshold_range(kind: str) -> tuple[Decimal, Decimal, str]:
    """The range a threshold of ``kind`` must fall in (the plausible range of the measure; a
    blood pressure's thresholds are systolic) and its unit as shown."""
    if kind == Kind.BLOOD_PRESSURE:
        _, _, low, high = BP_COMPONENTS["systolic"]
        return Decimal(low), Decimal(high), "mmHg"
    info = KINDS[kind]
    return info.low, info.high, info.unit_display


def _check_thresholds(values: dict) -> dict:
    checked = {}
    for kind, low_field, high_field in THRESHOLD_FIELDS:
        label = "Pression systolique" if kind == Kind.BLOOD_PRESSURE else KINDS[kind].label
        least, most, unit = threshold_range(kind)
        for field in (low_field, high_field):
            raw = values.get(field)
            if raw in (None, ""):
                checked[field] = None
                continue
            try:
                number = Decimal(str(raw))
            except (InvalidOperation, ValueError, TypeError):
                raise DomainError(f"{label} : le seuil doit être un nombre.",
                                  field=field) from None
            if not number.is_finite() or not least <= number <= most:
                raise DomainError(
                    f"{label} : un seuil de {_fmt(number)} {unit} n'est pas plausible (attendu "
                    f"entre {_fmt(least)} et {_fmt(most)} {unit}).", field=field)
            checked[field] = round(number, 2)
        low, high = checked[low_field], checked[high_field]
        if low is not None and high is not None and low >= high:
            raise DomainError(f"{label} : le seuil bas doit être inférieur au seuil haut.",
                              field=high_field)
    return checked


@transaction.atomic
def vital_thresholds_set(*, actor, beneficiary: Beneficiary, version: int,
                         **values) -> VitalThresholds:
    """Set the person's alert thresholds (the doctor; the view checked the permission and the
    file's health face). ``version`` is the one the form showed (0: none existed): a change
    saved meanwhile is refused (``ConflictError``). Measures recorded from now on are
    checked; those already recorded are not re-examined."""
    from maillage.core.errors import ConflictError

    checked = _check_thresholds(values)
    thresholds = VitalThresholds.objects.select_for_update().filter(
        beneficiary=beneficiary).first()
    if thresholds is None:
        if version:
            raise ConflictError()
        thresholds = VitalThresholds(crt=beneficiary.crt, beneficiary=beneficiary,
                                     created_by=actor, updated_by=actor, **checked)
        try:
            with transaction.atomic():
                thresholds.save()
        except IntegrityError:  # created by someone else meanwhile
            raise ConflictError() from None
        changed = sorted(f for f, v in checked.items() if v is not None)
    else:
        before = snapshot(thresholds, checked)
        for field, value in checked.items():
            setattr(thresholds, field, value)
        changed = sorted(changes(before, thresholds))
        save_versioned(thresholds, actor=actor, version=version, fields=list(checked))
    # The fields changed, not their values (health data: never in the audit).
    audit_log(actor=actor, action="vital_thresholds.set", obj=thresholds,
              beneficiary=beneficiary, details={"champs": changed})
    return thresholds
