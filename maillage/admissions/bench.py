"""Pages of admissions timed by ``maillage bench``."""

from django.urls import reverse

from maillage.beneficiaries.bench import demo_person

from .models import Enrolment


def pages():
    yield "coordinator", reverse("admissions:file_active")
    yield "coordinator", reverse("admissions:waiting_list")
    yield "coordinator", reverse("admissions:referral_list")
    e = Enrolment.objects.filter(beneficiary=demo_person()).first()
    if e:
        yield "doctor", reverse("admissions:enrolment_detail", kwargs={"public_id": e.public_id})
