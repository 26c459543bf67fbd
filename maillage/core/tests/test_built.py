"""``core.built``: the access rules' querysets built once a day per key and reused, the rows
they match read anew each time — the notifications badge and the file policy follow a change
of the care team at once, although their rules were built before it."""

from datetime import datetime, timedelta

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from maillage.beneficiaries.access import beneficiaries_for
from maillage.beneficiaries.models import CareTeamMember
from maillage.beneficiaries.tests.factories import BeneficiaryFactory, shared_file
from maillage.core import built as built_module
from maillage.core.built import built, built_count
from maillage.core.models import Crt
from maillage.core.notifications import notify, unread_count
from maillage.core.tests.helpers import visible_text

pytestmark = pytest.mark.django_db


class Builds:
    """A queryset factory that counts its calls (the test's own, not the code under test)."""

    def __init__(self, **filters):
        self.calls, self.filters = 0, filters

    def __call__(self):
        self.calls += 1
        return Crt.objects.filter(**self.filters).order_by("pk")


def test_built_once_per_key_and_day_the_rows_read_each_time(crt_a):
    build = Builds(name__startswith="CRT")
    first = built(("test_built", "crts"), build)
    assert [c.name for c in first] == ["CRT A"]
    Crt.objects.create(name="CRT Z")
    second = built(("test_built", "crts"), build)
    assert [c.name for c in second] == ["CRT A", "CRT Z"]  # read anew
    assert build.calls == 1
    assert second is not first
    narrowed = second.filter(name="CRT Z")  # a caller's filter stays its own
    assert [c.name for c in built(("test_built", "crts"), build)] == ["CRT A", "CRT Z"]
    assert [c.name for c in narrowed] == ["CRT Z"]
    built(("test_built", "other key"), build)
    assert build.calls == 2
    tomorrow = timezone.localtime() + timedelta(days=1)
    with time_machine.travel(tomorrow):  # the rules compare dates with the day they are built
        built(("test_built", "crts"), build)
    assert build.calls == 3


def test_built_count_compiles_once_and_counts_now(crt_a):
    build = Builds(name__startswith="CRT")
    assert built_count(("test_built", "count"), build) == 1
    Crt.objects.create(name="CRT Z")
    assert built_count(("test_built", "count"), build) == 2
    assert build.calls == 1


def test_the_least_recently_used_shapes_go_first(crt_a, monkeypatch):
    monkeypatch.setattr(built_module, "MAX", 2)
    monkeypatch.setattr(built_module, "_kept", type(built_module._kept)())
    build = Builds()
    built(("test_built", 1), build)
    built(("test_built", 2), build)
    built(("test_built", 1), build)  # used again: 2 is now the oldest
    built(("test_built", 3), build)
    assert build.calls == 3
    built(("test_built", 1), build)
    assert build.calls == 3
    built(("test_built", 2), build)
    assert build.calls == 4
    assert len(built_module._kept) == 2


def test_the_badge_and_the_policy_follow_the_care_team_at_once(client, users, crt_a):
    """The care aide's rule is built (the badge, the list of people) while she is in Mrs
    Lemoine's care team; she leaves it: the same day, with the same rule kept, the
    notification about Mrs Lemoine no longer counts and her notebook is closed to her."""
    aide = users["care_aide"]
    person = shared_file(crt_a, aide)
    person.birth_name = person.used_name = "LEMOINE"
    person.save()
    BeneficiaryFactory(crt=crt_a)  # someone she never followed
    notify(crt=crt_a, users=[aide], text="Nouvelle transmission", url="/",
           beneficiary=person, face="liaison")
    roles = {"care_aide"}
    assert unread_count(user=aide, crt=crt_a, roles=roles) == 1
    assert list(beneficiaries_for("liaison", crt=crt_a, user=aide, roles=roles)) == [person]
    client.force_login(aide)
    assert "Mon compte 1" in visible_text(client.get(reverse("core:home")))
    CareTeamMember.objects.filter(beneficiary=person, user=aide).update(
        end_date=timezone.localdate() - timedelta(days=1))
    assert unread_count(user=aide, crt=crt_a, roles=roles) == 0
    assert not beneficiaries_for("liaison", crt=crt_a, user=aide, roles=roles).exists()
    page = visible_text(client.get(reverse("core:home")))
    assert "Mon compte" in page and "Mon compte 1" not in page


def test_a_new_day_builds_the_rule_again(users, crt_a):
    """A membership that ends today still counts today and no longer tomorrow: the rule kept
    today compares with today, tomorrow's is built anew."""
    aide = users["care_aide"]
    person = shared_file(crt_a, aide)
    CareTeamMember.objects.filter(beneficiary=person, user=aide).update(
        end_date=timezone.localdate())
    roles = {"care_aide"}
    assert list(beneficiaries_for("liaison", crt=crt_a, user=aide, roles=roles)) == [person]
    noon_tomorrow = datetime.combine(timezone.localdate() + timedelta(days=1),
                                     datetime.min.time().replace(hour=12))
    with time_machine.travel(timezone.make_aware(noon_tomorrow), tick=False):
        assert not beneficiaries_for("liaison", crt=crt_a, user=aide, roles=roles).exists()
