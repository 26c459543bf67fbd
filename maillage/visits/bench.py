"""Pages of the visits timed by ``maillage bench``."""

from django.urls import reverse

from maillage.beneficiaries.bench import demo_person


def pages():
    yield "coordinator", reverse("visits:team_day")
    yield "coordinator", reverse("visits:professional_week")
    yield "care_aide", reverse("visits:my_day")
    b = demo_person()
    if b:
        yield "coordinator", reverse("visits:beneficiary", kwargs={"public_id": b.public_id})
