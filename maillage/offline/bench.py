"""The offline day timed by ``maillage bench``: the JSON a care aide's phone downloads."""

from django.contrib.auth import get_user_model
from django.urls import reverse

from maillage.core.models import Membership

from .models import Device


def pages():
    aide = get_user_model().objects.filter(username="care_aide").first()
    membership = Membership.objects.filter(user=aide, is_active=True).first() if aide else None
    if membership is None:
        return
    device = (Device.objects.filter(crt=membership.crt, user=aide, erased_at__isnull=True)
              .first() or Device.objects.create(crt=membership.crt, user=aide))
    yield "care_aide", reverse("offline:day", args=[device.public_id])
