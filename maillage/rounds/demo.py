"""Demo data of the rounds: the care aides' hours (a split day, morning and evening rounds,
one of them from her home), so that « Optimiser les tournées » plans a realistic day; the night
nurse's planned visits (turning a bedridden person, a night check), for the night's round."""

from datetime import time, timedelta

from django.utils import timezone

from maillage.admissions.models import Enrolment
from maillage.core.demo import DemoContext
from maillage.core.models import Membership
from maillage.core.roles import Role
from maillage.visits.models import Visit

from .models import CarerHours


def load(ctx: DemoContext) -> None:
    for key, crt in ctx.crts.items():
        aides = [m.user for m in Membership.objects.filter(crt=crt, roles__role=Role.CARE_AIDE)
                 .select_related("user").order_by("user__username")]
        coordinator = Membership.objects.filter(
            crt=crt, roles__role=Role.COORDINATOR).select_related("user").first()
        # The first aide lives in her sector (``visits.demo``), in the commune of her round's
        # first visit: she starts there.
        home = Visit.objects.filter(
            crt=crt, staff=aides[0] if aides else None, status=Visit.Status.PLANNED,
            starts_at__gte=timezone.now(), beneficiary__commune__latitude__isnull=False,
        ).order_by("starts_at").values_list("beneficiary__commune", flat=True).first()
        rows = []
        for index, aide in enumerate(aides):
            from_home = index == 0 and home is not None
            rows.extend(CarerHours(
                crt=crt, user=aide, weekday=day, starts=time(7), ends=time(22),
                break_start=time(13, 30), break_end=time(17, 30),
                start_from=CarerHours.StartFrom.HOME if from_home
                else CarerHours.StartFrom.BASE,
                home_commune_id=home if from_home else None,
                created_by=coordinator.user if coordinator else None,
                updated_by=coordinator.user if coordinator else None) for day in range(7))
        CarerHours.objects.bulk_create(rows)
        _night_visits(ctx, crt, coordinator.user if coordinator else None, NIGHT_TIMES[key])


#: The night nurse's visits in each CRT: she works for both, never at two homes at once (the
#: drive from one home to the next between two visits, whichever CRT: an hour from one CRT to
#: the other; none between 2 and 3 h, an hour that a change of time skips or repeats).
NIGHT_TIMES = {
    "anjou_bleu": ["22:30, 03:30", "23:20, 04:20", "00:05, 05:05"],
    "baugeois": ["21:00, 01:25", "01:50, 06:15", "21:50, 05:40"],
}


def _night_visits(ctx: DemoContext, crt, coordinator, times: list[str]) -> None:
    """Three people followed at night by the night nurse of the CRT (if she works for it),
    since yesterday: she joined their care teams the afternoon before."""
    from maillage.care.models import Service
    from maillage.visits.services import _join_care_team, series_create

    nurse = Membership.objects.filter(crt=crt, user__username="night_nurse").select_related(
        "user").first()
    if nurse is None or coordinator is None:
        return
    service = Service.objects.filter(crt=crt, name__icontains="Surveillance").first()
    today = timezone.localdate()
    stays = Enrolment.objects.filter(crt=crt, ended_on__isnull=True,
                                     suspensions__isnull=True).select_related(
        "beneficiary").order_by("pk")[3:6]
    for index, stay in enumerate(stays):
        with ctx.at(ctx.past(2, 16)):
            _join_care_team(coordinator, stay.beneficiary, nurse.user, None,
                            today - timedelta(days=1))
        series_create(actor=coordinator, beneficiary=stay.beneficiary, staff=nurse.user,
                      service=service, place="home", frequency="daily", interval=1,
                      weekdays="", times=times[index],
                      duration_minutes=20, start_date=today - timedelta(days=1),
                      end_date=None, instructions="Passage de nuit : change, installation, "
                      "surveillance.", allow_overlap=True)
