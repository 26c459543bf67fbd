"""Pages of the files timed by ``maillage bench`` (demo accounts, demo data)."""

from django.urls import reverse

from .models import Beneficiary

DEMO_CRT = "CRT Anjou Bleu"


def demo_person() -> Beneficiary | None:
    """The person whose pages the benchmark opens: the first of the demo's first CRT."""
    return Beneficiary.objects.filter(crt__name=DEMO_CRT).order_by("pk").first()


def pages():
    b = demo_person()
    yield "coordinator", reverse("beneficiaries:list")
    if b:
        yield "doctor", reverse("beneficiaries:detail", kwargs={"public_id": b.public_id})
        yield "doctor", reverse("beneficiaries:medical", kwargs={"public_id": b.public_id})
