"""Pages of the on-call service timed by ``maillage bench``."""

from django.urls import reverse

from maillage.beneficiaries.bench import demo_person


def pages():
    b = demo_person()
    if b:
        yield "nurse", reverse("oncall:screen") + f"?q={b.birth_name}"
    yield "coordinator", reverse("oncall:rota")
    yield "coordinator", reverse("oncall:calls")
    yield "direction", reverse("oncall:figures")
    if b:
        yield "doctor", reverse("oncall:dlu", kwargs={"public_id": b.public_id})
