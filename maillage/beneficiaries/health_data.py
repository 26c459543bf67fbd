"""Health data and secrets of the person's file (core.health_data)."""

from maillage.core.health_data import Registered

HEALTH_DATA = [
    Registered("beneficiaries.Beneficiary", ("key_box_code",), kind="secret"),
    Registered("beneficiaries.MedicalRecord", (
        "history", "allergies_status", "allergies", "treatments_status", "treatments",
        "advance_directives_status", "advance_directives", "resuscitation_status",
        "resuscitation_decision", "usual_state", "synthesis")),
    Registered("beneficiaries.AggirEvaluation", ("notes",)),
    Registered("beneficiaries.IcopeScreening", ("notes",)),
    Registered("beneficiaries.FreeEvaluation", ("findings",)),
    # The measures themselves are numbers (the registry's marker walk writes text): their
    # reads are audited by the pages and the API that show them, never written to the audit.
    Registered("beneficiaries.VitalSign", ("device",)),
    # A measure as it was before a correction or a retraction, and why (free text).
    Registered("beneficiaries.VitalSignRevision", ("device", "reason")),
]
