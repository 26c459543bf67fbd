"""The team's day as a timeline (one row per professional, hours 0–24, flags), its JSON range
endpoint, the professional's week on the same timeline, and what both cost."""

import re
from datetime import date, timedelta
from pathlib import Path

import pytest
import time_machine
from django.http import HttpResponse
from django.urls import reverse
from django.utils import timezone

from maillage.beneficiaries.tests.factories import BeneficiaryFactory, shared_file
from maillage.care.tests import factories as care
from maillage.core.roles import Role
from maillage.core.tests.helpers import visible_text
from maillage.territory.models import Professional
from maillage.territory.tests.factories import CommuneFactory, ProfessionalFactory
from maillage.visits import timeline
from maillage.visits.models import Place, Visit
from maillage.visits.services import local_dt

from .factories import visit

TODAY = timezone.localdate()


def _json(client, **params):
    return client.get(reverse("visits:team_range"), params)


def _blocks(data) -> list[dict]:
    return [b for s in data["sections"] for r in s["rows"] for b in r["blocks"]]


@pytest.fixture
def night(crt_a, users):
    """A visit at 01:00 (the night) by the nurse (an hour every day has, even the two days
    the clocks change at 02:00)."""
    return visit(shared_file(crt_a, users["nurse"]), users["nurse"],
                 starts_at=local_dt(TODAY, "01:00"), minutes=30)


class TestTeamDay:
    def test_rows_per_professional_and_the_night_is_shown(self, crt_a, users, client, night):
        visit(shared_file(crt_a, users["care_aide"]), users["care_aide"],
              starts_at=local_dt(TODAY, "09:00"))
        client.force_login(users["coordinator"])
        response = client.get(reverse("visits:team_day"))
        html = response.content.decode()
        page = visible_text(response)
        assert "01:00–01:30" in page and night.beneficiary.display_name in page
        assert html.count('<h3 class="tl-h">') == 2  # one row per professional
        assert "tl-s-4 tl-d-2" in html  # 01:00 is the 5th quarter-hour, 30 min = 2 slots
        assert f'href="{reverse("visits:detail", kwargs={"visit_id": night.public_id})}"' in html
        # One rendering: no calendar JSON, no second table of the same visits.
        assert "visit-calendar" not in html and "<table" not in html
        assert page.count(night.beneficiary.display_name) == 1

    def test_forbidden_for_a_partner_and_other_crt_visits_are_not_shown(
            self, crt_a, crt_b, users, user_b, client):
        other = visit(shared_file(crt_b, user_b), user_b, starts_at=local_dt(TODAY, "10:00"))
        client.force_login(users["partner"])
        assert client.get(reverse("visits:team_day")).status_code == 403
        assert _json(client).status_code == 403
        client.force_login(users["coordinator"])
        assert other.beneficiary.display_name not in visible_text(
            client.get(reverse("visits:team_day")))
        assert _blocks(_json(client).json()) == []

    def test_other_crts_professional_week_is_404(self, crt_b, users, user_b, client):
        client.force_login(users["coordinator"])
        response = client.get(reverse("visits:professional_week"),
                              {"qui": f"s-{user_b.public_id}"})
        assert response.status_code == 404

    def test_double_booking_and_short_travel_are_flagged(self, crt_a, users, client):
        aide = users["care_aide"]
        near = CommuneFactory(crt=crt_a, name="Segré", travel_minutes=5)
        far = CommuneFactory(crt=crt_a, name="Candé", travel_minutes=30)
        first = visit(BeneficiaryFactory(crt=crt_a, commune=near), aide,
                      starts_at=local_dt(TODAY, "08:00"), minutes=30)
        # 10 minutes later in another commune, 25 minutes further from the CRT than the first.
        travel = visit(BeneficiaryFactory(crt=crt_a, commune=far), aide,
                       starts_at=local_dt(TODAY, "08:40"), minutes=30)
        # Same commune right after: no travel, no flag.
        same = visit(BeneficiaryFactory(crt=crt_a, commune=far), aide,
                     starts_at=local_dt(TODAY, "09:15"), minutes=30)
        a = visit(shared_file(crt_a), users["nurse"], starts_at=local_dt(TODAY, "14:00"))
        b = visit(shared_file(crt_a), users["nurse"], starts_at=local_dt(TODAY, "14:10"))
        client.force_login(users["coordinator"])
        page = visible_text(client.get(reverse("visits:team_day")))
        assert "2 passages se chevauchent (double réservation)" in page
        assert "1 trajet trop court" in page
        assert "trajet trop court (10 min depuis Segré)" in page
        assert "l'écart de leurs temps d'accès depuis le CRT" in page  # the rule, in the legend
        blocks = {b["url"].split("/")[-2]: b for b in _blocks(_json(client).json())}
        assert blocks[str(travel.public_id)]["travel"] is True
        assert not blocks[str(same.public_id)]["travel"]
        assert not blocks[str(first.public_id)]["travel"]
        assert blocks[str(a.public_id)]["overlap"] and blocks[str(b.public_id)]["overlap"]
        # Overlapping blocks of one row are on two lanes.
        assert {blocks[str(a.public_id)]["lane"], blocks[str(b.public_id)]["lane"]} == {0, 1}

    def test_a_visit_at_the_crt_then_at_home_needs_travel_time(self, crt_a, users):
        aide = users["care_aide"]
        v1 = visit(shared_file(crt_a), aide, starts_at=local_dt(TODAY, "08:00"),
                   place=Place.CRT)
        v2 = visit(shared_file(crt_a), aide, starts_at=local_dt(TODAY, "08:40"))
        v2.beneficiary.commune.travel_minutes = 20
        flagged = timeline.short_travel([v1, v2], timeline.Rule())
        assert flagged == {v2.pk: (10, "le CRT")}
        v2.beneficiary.commune.travel_minutes = 8  # 10 minutes are enough to get there
        assert timeline.short_travel([v1, v2], timeline.Rule()) == {}

    def test_states_are_shown_cancelled_included(self, crt_a, users, client):
        b = shared_file(crt_a)
        visit(b, users["nurse"], starts_at=local_dt(TODAY, "22:30"), status="done")
        visit(b, users["nurse"], starts_at=local_dt(TODAY, "23:30"), minutes=60,
              status=Visit.Status.CANCELLED)
        client.force_login(users["coordinator"])
        page = visible_text(client.get(reverse("visits:team_day")))
        assert f"22:30–23:00 · {b.display_name} · Passage · réalisé" in page
        assert "annulé" in page and "1 passage" in page
        data = _json(client).json()
        spans = sorted((b["slot"], b["span"], b["state"]) for b in _blocks(data))
        # The visit running past midnight is cut at the end of the day.
        assert spans == [(90, 2, "done"), (94, 2, "cancelled")]

    def test_filter_by_profession(self, crt_a, users, client):
        users["nurse"].profession = "Infirmière"
        users["nurse"].save()
        pro = ProfessionalFactory(crt=crt_a, profession=Professional.Profession.PHYSIOTHERAPIST)
        visit(shared_file(crt_a), users["nurse"], starts_at=local_dt(TODAY, "09:00"))
        kine = visit(shared_file(crt_a), professional=pro, starts_at=local_dt(TODAY, "10:00"))
        client.force_login(users["coordinator"])
        data = _json(client, profession="Masseur-kinésithérapeute").json()
        assert data["professions"] == ["Infirmier·ère", "Masseur-kinésithérapeute"]
        rows = data["sections"][0]["rows"]
        assert [r["sub"] for r in rows] == ["Masseur-kinésithérapeute"]
        assert _blocks(data)[0]["url"].endswith(f"{kine.public_id}/")
        page = visible_text(client.get(reverse("visits:team_day"),
                                       {"profession": "Masseur-kinésithérapeute"}))
        assert kine.beneficiary.display_name in page and "Infirmier·ère" in page  # the option
        # A day without any of them: the filter in force stays shown, nobody under it.
        tomorrow = _json(client, profession="Masseur-kinésithérapeute",
                         start=(TODAY + timedelta(days=1)).isoformat()).json()
        assert tomorrow["profession"] == "Masseur-kinésithérapeute"
        assert tomorrow["professions"] == ["Masseur-kinésithérapeute"]
        assert _blocks(tomorrow) == []

    def test_one_profession_whatever_the_titles(self, crt_a, users, make_user, client):
        """The filter groups the care aides of the team, whatever title each wears
        (« Aide-soignante », « Aide-soignant », « AES »), with a partner service's care aide:
        it offered each title apart, and choosing one left the others out."""
        aides = [make_user(crt_a, Role.CARE_AIDE, first_name=first, last_name="Martin",
                           profession=title)
                 for first, title in [("Anne", "Aide-soignante"), ("Paul", "Aide-soignant"),
                                      ("Inès", "AES")]]
        users["nurse"].profession = "Infirmière coordinatrice"
        users["nurse"].save()
        partner = ProfessionalFactory(crt=crt_a, first_name="Léa", last_name="Roux",
                                      profession=Professional.Profession.CARE_AIDE)
        for i, aide in enumerate(aides):
            visit(shared_file(crt_a), aide, starts_at=local_dt(TODAY, f"0{8 + i}:00"))
        visit(shared_file(crt_a), users["nurse"], starts_at=local_dt(TODAY, "09:00"))
        visit(shared_file(crt_a), professional=partner, starts_at=local_dt(TODAY, "11:00"))
        client.force_login(users["coordinator"])
        page = client.get(reverse("visits:team_day"), {"profession": "Aide-soignant·e"})
        options = re.findall(r"<option[^>]*>([^<]*)</option>",
                             page.content.decode().split('id="id_profession"')[1]
                             .split("</select>")[0])
        assert options == ["Toutes", "Aide-soignant·e", "Infirmier·ère"]
        rows = _json(client, profession="Aide-soignant·e").json()["sections"][0]["rows"]
        assert sorted(r["sub"] for r in rows) == [
            "AES", "Aide-soignant", "Aide-soignante", "Aide-soignant·e"]
        text = visible_text(page)
        assert "Anne Martin" in text and "Léa Roux" in text and "Infirmière" not in text

    def test_no_javascript_navigation_links(self, users, client):
        client.force_login(users["coordinator"])
        day = TODAY + timedelta(days=3)
        response = client.get(reverse("visits:team_day"), {"jour": day.isoformat()})
        html = response.content.decode()
        assert f'href="?jour={(day + timedelta(days=1)).isoformat()}"' in html
        assert f'href="?jour={(day - timedelta(days=1)).isoformat()}"' in html
        monday = day - timedelta(days=day.weekday())
        week = client.get(reverse("visits:team_day"), {"jour": day.isoformat(), "jours": "7"})
        text = visible_text(week)
        assert "semaine du" in text and "Semaine suivante" in text
        assert f'href="?jour={(monday + timedelta(days=7)).isoformat()}&amp;jours=7"' in (
            week.content.decode())
        # Bad parameters: today, no error.
        assert client.get(reverse("visits:team_day"), {"jour": "hier",
                                                       "jours": "3"}).status_code == 200


class TestRangeEndpoint:
    def test_json_shape(self, users, client, night):
        client.force_login(users["coordinator"])
        response = _json(client, start=TODAY.isoformat(), days="1")
        assert response.status_code == 200
        data = response.json()
        assert data["start"] == TODAY.isoformat() and data["days"] == 1
        assert data["count"] == 1 and data["overlaps"] == 0 and data["travel"] == 0
        assert data["heading"].startswith("Passages de l'équipe — ")
        assert set(data["nav"]) == {"prev", "next", "today", "day", "week"}
        (section,) = data["sections"]
        (row,) = section["rows"]
        assert row["who"] == night.who and row["lanes"] == 1
        assert row["url"].startswith(reverse("visits:professional_week") + "?qui=s-")
        (block,) = row["blocks"]
        assert block == {
            "url": reverse("visits:detail", kwargs={"visit_id": night.public_id}),
            "version": night.version, "slot": 4, "span": 2, "lane": 0, "state": "planned",
            "overlap": False, "travel": False,
            "label": f"01:00–01:30 · {night.beneficiary.display_name} · Passage · prévu"}

    def test_week(self, users, client, night):
        client.force_login(users["coordinator"])
        data = _json(client, start=TODAY.isoformat(), days="7").json()
        monday = TODAY - timedelta(days=TODAY.weekday())
        assert data["start"] == monday.isoformat()
        assert [s["date"] for s in data["sections"]] == [
            (monday + timedelta(days=i)).isoformat() for i in range(7)]
        assert len(_blocks(data)) == 1

    @pytest.mark.parametrize("params", [{"start": "2026-13-01"}, {"days": "3"},
                                        {"days": "x"}, {"start": "0001-01-01", "days": "7"},
                                        {"start": "9999-12-31"}])
    def test_bad_input_is_a_400_in_french(self, users, client, params):
        client.force_login(users["coordinator"])
        response = _json(client, **params)
        assert response.status_code == 400
        assert "invalide" in response.json()["error"]

    @pytest.mark.parametrize("url", ["visits:team_day", "visits:my_day"])
    @pytest.mark.parametrize("day", ["0001-01-01", "9999-12-31", "2026-02-30"])
    def test_a_day_out_of_range_in_the_address_shows_today(self, users, client, night, url,
                                                            day):
        client.force_login(users["nurse"])
        response = client.get(reverse(url), {"jour": day})
        assert response.status_code == 200
        assert "01:00–01:30" in visible_text(response)  # today's night visit


class TestMove:
    """Drag and drop on the timeline: through the visit edit service."""

    @pytest.fixture(autouse=True)
    def just_after_midnight(self):
        """The moves below go to today's early hours: still to come at 00:05 (a visit is
        never moved into the past)."""
        with time_machine.travel(local_dt(TODAY, "00:05"), tick=True):
            yield

    def test_a_visit_is_not_moved_into_the_past_but_to_another_day_to_come(
            self, crt_a, users, client, night):
        """Moved to a moment gone by, it would be at once « non tracé », with its missed-visit
        alert: refused, in the timeline's words. Another day of the week view, to come: moved."""
        with time_machine.travel(local_dt(TODAY, "00:40"), tick=True):
            client.force_login(users["coordinator"])
            past = self._move(client, night, start=f"{TODAY.isoformat()}T00:15")
            assert past.status_code == 409
            assert past.json()["error"].startswith("Ce moment est passé : un passage ne se "
                                                   "déplace que vers un moment à venir")
            assert self._move(client, night, start=f"{TODAY.isoformat()}T00:30").status_code \
                == 200  # the quarter of an hour under way
            night.refresh_from_db()
            later = TODAY + timedelta(days=2)
            moved = self._move(client, night, start=f"{later.isoformat()}T09:00")
        assert moved.status_code == 200, moved.content
        night.refresh_from_db()
        assert timezone.localtime(night.starts_at).date() == later

    def _move(self, client, v, **data):
        return client.post(reverse("visits:move", kwargs={"visit_id": v.public_id}),
                           {"version": v.version, **data})

    def test_coordinator_moves_and_reassigns(self, crt_a, users, client, night):
        client.force_login(users["coordinator"])
        response = self._move(client, night, start=f"{TODAY.isoformat()}T03:15",
                              qui=f"s-{users['care_aide'].public_id}")
        assert response.status_code == 200, response.content
        assert response.json()["message"].startswith("Passage déplacé")
        night.refresh_from_db()
        assert night.staff == users["care_aide"] and night.version == 2
        assert timezone.localtime(night.starts_at).strftime("%H:%M") == "03:15"
        assert (night.ends_at - night.starts_at) == timedelta(minutes=30)
        html = client.get(reverse("visits:team_day")).content.decode()
        assert 'draggable="true"' in html and "data-move" in html

    @pytest.mark.parametrize("day, expected", [
        (date(2027, 3, 28), "28/03 03:30–04:15 +0200"),  # 02:30 is skipped: read as 03:30
        (date(2027, 10, 31), "31/10 02:30 +0200–02:15 +0100"),  # 02:30 comes twice
    ], ids=["spring", "autumn"])
    def test_moved_on_the_night_the_clocks_change_it_keeps_its_minutes(
            self, crt_a, users, client, day, expected):
        with time_machine.travel(local_dt(day - timedelta(days=2), "10:00"), tick=True):
            v = visit(shared_file(crt_a, users["nurse"]), users["nurse"],
                      starts_at=local_dt(day, "01:00"), minutes=45)
            client.force_login(users["coordinator"])
            response = self._move(client, v, start=f"{day.isoformat()}T02:30")
        assert response.status_code == 200, response.content
        v.refresh_from_db()
        assert v.ends_at - v.starts_at == timedelta(minutes=45)
        start, end = timezone.localtime(v.starts_at), timezone.localtime(v.ends_at)
        shown = f"{start:%d/%m %H:%M}–{end:%H:%M %z}" if start.utcoffset() == end.utcoffset() \
            else f"{start:%d/%m %H:%M %z}–{end:%H:%M %z}"
        assert shown == expected

    def test_double_booking_and_stale_version_are_refused_in_french(self, crt_a, users,
                                                                    client, night):
        visit(shared_file(crt_a), users["nurse"], starts_at=local_dt(TODAY, "05:00"))
        client.force_login(users["coordinator"])
        response = self._move(client, night, start=f"{TODAY.isoformat()}T05:10")
        assert response.status_code == 409
        error = response.json()["error"]
        assert "Double réservation" in error
        # The timeline has no « Planifier malgré l'avertissement » box: the way is the form.
        assert error.endswith("Changez l'heure ou l'intervenant, ou ouvrez le passage et "
                              "« Modifier ce passage » pour le planifier malgré "
                              "l'avertissement.")
        stale = self._move(client, night, start=f"{TODAY.isoformat()}T04:00", version=0)
        assert stale.status_code == 409
        assert self._move(client, night, start="demain").status_code == 400
        with_offset = self._move(client, night, start=f"{TODAY.isoformat()}T04:00+01:00")
        assert with_offset.status_code == 400
        assert with_offset.json()["error"] == "Heure ou version invalide."
        night.refresh_from_db()
        assert night.version == 1

    @pytest.mark.parametrize("start", ["0001-01-01T00:00", "9999-12-31T23:59",
                                       "1999-12-31T23:59"])
    def test_a_start_outside_the_schedule_is_refused_in_french(self, crt_a, users, client,
                                                               night, start):
        client.force_login(users["coordinator"])
        response = self._move(client, night, start=start)
        assert response.status_code == 400
        assert response.json()["error"].startswith(
            "Date hors du planning : indiquez une date entre le 01/01/2000 et dans deux ans "
            "au plus (le ")
        night.refresh_from_db()
        assert night.version == 1
        page = client.get(reverse("visits:detail", kwargs={"visit_id": night.public_id}))
        assert page.status_code == 200

    def test_forbidden_role_and_other_crt(self, crt_b, users, user_b, client, night):
        client.force_login(users["care_aide"])
        assert self._move(client, night, start=f"{TODAY.isoformat()}T03:00").status_code == 403
        other = visit(shared_file(crt_b, user_b), user_b, starts_at=local_dt(TODAY, "10:00"))
        client.force_login(users["coordinator"])
        assert self._move(client, other, start=f"{TODAY.isoformat()}T11:00").status_code == 404


class TestProfessionalWeek:
    def test_week_on_the_timeline_one_row_per_day(self, crt_a, users, client, night):
        client.force_login(users["coordinator"])
        response = client.get(reverse("visits:professional_week"),
                              {"qui": f"s-{users['nurse'].public_id}"})
        html = response.content.decode()
        page = visible_text(response)
        assert html.count('<h3 class="tl-h">') == 7
        assert "01:00–01:30" in page and "visit-calendar" not in html

    def test_the_week_as_a_list_for_a_phone(self, crt_a, users, client):
        """On a phone the timeline's blocks shrink to « 0… »: below the md breakpoint the
        week is a list, day by day — when, who, what, its state, a link to the visit."""
        monday = date(2026, 12, 7)
        aide = users["care_aide"]
        with time_machine.travel(local_dt(monday, "12:00"), tick=False):
            soin = care.service(crt_a, name="Toilette")
            done = visit(shared_file(crt_a, aide), aide, starts_at=local_dt(monday, "08:00"),
                         service=soin, status=Visit.Status.DONE,
                         actual_start=local_dt(monday, "08:05"),
                         actual_end=local_dt(monday, "08:35"))
            later = visit(shared_file(crt_a, aide), aide,
                          starts_at=local_dt(monday + timedelta(days=2), "18:30"))
            client.force_login(aide)
            response = client.get(reverse("visits:my_day"), {"jour": monday.isoformat()})
            week_url = reverse("visits:professional_week") + f"?semaine={monday.isoformat()}"
            assert f'href="{week_url}"' in response.content.decode()  # « Ma semaine »
            response = client.get(week_url)
        html = response.content.decode()
        start = html.index('<div class="d-md-none" id="week-list">')
        listed = visible_text(HttpResponse(html[start:html.index("</div>", start)]))
        assert listed.startswith("Lundi 7 décembre 08:00–08:30 · "
                                 f"{done.beneficiary.display_name} — Toilette Réalisé "
                                 "08:05–08:35 Mardi 8 décembre Aucun passage. Mercredi 9 "
                                 f"décembre 18:30–19:00 · {later.beneficiary.display_name} — "
                                 "Passage Prévu Jeudi 10 décembre Aucun passage.")
        for v in (done, later):
            assert f'<a href="{reverse("visits:detail", kwargs={"visit_id": v.public_id})}">' \
                in html[start:]
        # The timeline is there still, for wider screens.
        assert '<div class="d-none d-md-block">' in html and html.count('<h3 class="tl-h">') == 7

    def test_partner_sees_their_own_week(self, crt_a, users, client):
        b = shared_file(crt_a, users["partner"], {Role.PARTNER})
        pro = Professional.objects.get(user=users["partner"])
        mine = visit(b, professional=pro, starts_at=local_dt(TODAY, "11:00"))
        client.force_login(users["partner"])
        page = visible_text(client.get(reverse("visits:professional_week")))
        assert mine.beneficiary.display_name in page


# --- Size and cost ---------------------------------------------------------------------------


@pytest.fixture
def busy_day(crt_a, users, make_user):
    """About 1,000 visits today by 16 professionals of the team (a ×10 day)."""
    staff = [make_user(crt_a, Role.CARE_AIDE, first_name=f"Aide{i}", last_name=f"Nom{i}",
                       profession="Aide-soignante") for i in range(16)]
    people = [BeneficiaryFactory(crt=crt_a) for _ in range(40)]
    visits = []
    for i in range(1_000):
        who = staff[i % 16]
        minute = (i // 16) * 22 % (24 * 60)
        start = local_dt(TODAY, f"{minute // 60:02d}:{minute % 60:02d}")
        visits.append(Visit(crt=crt_a, beneficiary=people[i % 40], staff=who, starts_at=start,
                            ends_at=start + timedelta(minutes=30)))
    Visit.objects.bulk_create(visits)
    return staff


def test_team_day_at_scale_is_small_and_has_a_bounded_query_count(
        users, client, busy_day, django_assert_max_num_queries):
    client.force_login(users["coordinator"])
    with django_assert_max_num_queries(12):
        response = client.get(reverse("visits:team_day"))
    assert response.status_code == 200
    assert len(response.content) <= 300_000
    # About 100 visits a page: each of these professionals has 62 or 63 visits, so a page shows
    # one of them; the page costs the same however full the days are.
    assert response.content.decode().count('<h3 class="tl-h">') == 1
    page = visible_text(response)
    assert "1\u202f000 passages" in page and "Professionnel 1 sur 16" in page
    with django_assert_max_num_queries(12):
        data = _json(client).json()
    assert len(_blocks(data)) == 63  # Aide0 Nom0: visits 0, 16, 32… 992
    assert data["pages"]["count"] == 16 and data["pages"]["next"].endswith("&page=2")
    assert data["count"] == 1_000  # the whole team's visits, counted by the database
    last = _json(client, page=16).json()
    assert len(_blocks(last)) == 62 and [r["who"] for r in last["sections"][0]["rows"]] \
        == ["Aide9 Nom9"]
    assert last["pages"]["next"] == "" and last["pages"]["prev"].endswith("&page=15")


def test_a_page_of_the_team_holds_15_professionals_or_about_100_visits():
    def team(*loads):
        return [{"who": f"P{i}", "loaded": n} for i, n in enumerate(loads)]

    def sizes(actors, **kw):
        return [len(p) for p in timeline.actor_pages(actors, **kw)]

    assert sizes(team(*[5] * 40), per_page=15, visits_per_page=100) == [15, 15, 10]
    assert sizes(team(*[10] * 25), per_page=15, visits_per_page=100) == [10, 10, 5]
    # One professional with more than a page's visits still gets a page of their own.
    assert sizes(team(30, 120, 30, 60), per_page=15, visits_per_page=100) == [1, 1, 2]
    assert timeline.actor_pages([], per_page=15, visits_per_page=100) == []


def test_professional_week_at_scale_has_a_bounded_query_count(
        crt_a, users, client, busy_day, django_assert_max_num_queries):
    for _ in range(60):  # a large directory does not make the week's page heavier
        ProfessionalFactory(crt=crt_a)
    client.force_login(users["coordinator"])
    with django_assert_max_num_queries(12):
        response = client.get(reverse("visits:professional_week"),
                              {"qui": f"s-{busy_day[0].public_id}"})
    assert response.status_code == 200
    assert len(response.content) <= 100_000


def test_the_placement_classes_are_in_the_stylesheet():
    css = (Path(__file__).resolve().parents[2] / "static" / "maillage" / "css"
           / "timeline.css").read_text()
    assert timeline.css() in css
    # Nothing but rules before them: a stray line (a shell's « 63 objects imported… » pasted
    # with the generated classes) made the next rule's selector invalid, and the browser
    # dropped it (visits at 00:00 lost their column).
    written, generated = css.split(timeline.css())
    assert written.rstrip().endswith("}") and generated == ""
