"""The demo's 14 months of reading, bulk-created after every app's demo: the care team and the
coordination opening the files (and the doctors and nurses their medical sections) during each
accompaniment, as audit events at their dates — what the DPO's journal and a person's access
list show after a year of work."""

from datetime import timedelta
from random import Random

from maillage.admissions.models import Enrolment
from maillage.core.demo import DemoContext, audit_event, insert_rows
from maillage.core.models import AuditEvent, Membership
from maillage.core.roles import Role

from .models import CareTeamMember


def load(ctx: DemoContext) -> None:
    rng = Random(f"reading-history-{ctx.scale}")
    events = []
    for crt in ctx.crts.values():
        roles = {m.user_id: ",".join(sorted(m.roles.values_list("role", flat=True)))
                 for m in Membership.objects.filter(crt=crt).prefetch_related("roles")}
        coordinator = Membership.objects.filter(
            crt=crt, roles__role=Role.COORDINATOR).select_related("user").first().user
        readers: dict[int, list] = {}
        for m in CareTeamMember.objects.filter(crt=crt, user__isnull=False).select_related(
                "user").order_by("pk"):
            if m.user_id in roles:
                readers.setdefault(m.beneficiary_id, []).append(m.user)
        for e in Enrolment.objects.filter(crt=crt).select_related(
                "beneficiary__medical").order_by("pk"):
            b = e.beneficiary
            people = [coordinator, *readers.get(b.pk, [])]
            last = min(e.ended_on or ctx.today, ctx.today - timedelta(days=1))
            day = e.admitted_on
            while day <= last:
                reader = rng.choice(people)
                at = DemoContext.day_at(day, rng.randint(8, 18), rng.randint(0, 59))
                events.append(audit_event(actor=reader, action="beneficiary.viewed", obj=b,
                                          beneficiary=b, at=at, roles=roles[reader.pk]))
                if {"doctor", "nurse"} & set(roles[reader.pk].split(",")) and rng.random() < 0.5:
                    events.append(audit_event(
                        actor=reader, action="beneficiary.medical_viewed", obj=b.medical,
                        beneficiary=b, at=at + timedelta(minutes=1), roles=roles[reader.pk]))
                # The larger demos (benchmarks) get a sparser journal.
                day += timedelta(days=rng.randint(2, 7) * (1 if ctx.scale == 1 else 5))
    insert_rows(AuditEvent, events)
    ctx.history["lectures"] = len(events)


def summary(ctx: DemoContext) -> str:
    """The progress line of this step."""
    return f"Historique 14 mois… {ctx.history.get('lectures', 0)} consultations de dossiers " \
           "tracées"
