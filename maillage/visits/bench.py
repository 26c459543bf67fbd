"""Pages of the visits timed by ``maillage bench``."""

from datetime import timedelta

from django.urls import reverse
from django.utils import timezone

from maillage.beneficiaries.bench import demo_person


def working_day():
    """The next Tuesday (today on a Tuesday): a full day of the team's visits, whatever the day
    the bench runs (a Sunday's team day holds a fraction of them)."""
    today = timezone.localdate()
    return today + timedelta(days=(1 - today.weekday()) % 7)


def pages():
    yield "coordinator", f"{reverse('visits:team_day')}?jour={working_day().isoformat()}"
    yield "coordinator", reverse("visits:professional_week")
    yield "care_aide", reverse("visits:my_day")
    b = demo_person()
    if b:
        yield "coordinator", reverse("visits:beneficiary", kwargs={"public_id": b.public_id})
