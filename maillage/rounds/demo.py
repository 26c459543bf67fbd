"""Demo data of the rounds: the care aides' hours (a split day, morning and evening rounds,
one of them from her home), so that « Optimiser les tournées » plans a realistic day."""

from datetime import time

from maillage.beneficiaries.models import Beneficiary
from maillage.core.demo import DemoContext
from maillage.core.models import Membership
from maillage.core.roles import Role

from .models import CarerHours


def load(ctx: DemoContext) -> None:
    for crt in ctx.crts.values():
        aides = [m.user for m in Membership.objects.filter(crt=crt, roles__role=Role.CARE_AIDE)
                 .select_related("user").order_by("user__username")]
        coordinator = Membership.objects.filter(
            crt=crt, roles__role=Role.COORDINATOR).select_related("user").first()
        # The first aide lives in the commune of the last person followed: she starts there.
        home = Beneficiary.objects.filter(crt=crt, commune__latitude__isnull=False) \
            .order_by("-pk").values_list("commune", flat=True).first()
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
