"""Clinical free text of the admission path (core.health_data)."""

from maillage.core.health_data import Registered

HEALTH_DATA = [
    Registered("admissions.Referral", ("reason",)),
    Registered("admissions.AdmissionStep", ("notes",)),
    Registered("admissions.Suspension", ("reason",)),
    Registered("admissions.Enrolment", ("exit_doctor_opinion",)),
]
