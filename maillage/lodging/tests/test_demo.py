"""The lodging demo: the rooms of both CRTs, six months of stays through the services."""

from datetime import date

from django.utils import timezone

from maillage.admissions.models import Suspension
from maillage.lodging.models import LodgingSettings, Room, Stay


def test_demo_rooms_and_stays(demo):
    today = timezone.localdate()
    anjou = Room.objects.filter(crt__name="CRT Anjou Bleu")
    assert sorted(anjou.values_list("kind", flat=True)) == [
        "crt_emergency", "partner_ht", "partner_htsh"]
    assert list(Room.objects.filter(crt__name="CRT Baugeois Vallée").values_list(
        "kind", flat=True)) == ["crt_emergency"]
    assert anjou.get(kind="partner_htsh").organization.kind == "hospital"
    assert anjou.get(kind="partner_ht").organization.kind == "ehpad"
    stays = Stay.objects.filter(crt__name="CRT Anjou Bleu")
    guests = stays.filter(beneficiary__isnull=True)
    assert guests.count() == 2
    assert set(guests.values_list("reason", flat=True)) == {"caregiver_hospitalised"}
    assert stays.filter(status="in_progress", actual_start__lte=today).count() == 1
    assert stays.filter(status="planned", planned_start__gt=today).count() == 1
    assert stays.filter(planned_start__lte=date.fromordinal(today.toordinal() - 150)).exists()
    # Every started stay of a beneficiary in the file active has its temporary exit.
    for stay in stays.filter(beneficiary__isnull=False).exclude(status="planned"):
        s = stay.suspension
        assert s is not None and s.kind == Suspension.Kind.TEMPORARY_ROOM, stay
        assert (s.start_date, s.end_date) == (stay.actual_start, stay.actual_end), stay
    assert LodgingSettings.objects.get(crt__name="CRT Anjou Bleu").place_kept_days == 45
