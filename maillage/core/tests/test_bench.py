"""``maillage bench``: the pieces of the ×1/×N comparison (the whole command loads the demo
twice, too slow for the suite) and the Locust report (Locust itself never runs in pytest)."""

import io
from dataclasses import replace
from datetime import date
from pathlib import Path

import pytest
from django.conf import settings
from django.utils import timezone

from maillage.core.bench_db import bench_name
from maillage.core.bench_load.run import capacity_share, read_stats, report
from maillage.core.management.commands.bench import (
    KEY_PAGES,
    Measure,
    measure_pages,
    misses,
    p95,
)


def _measure(p95_ms=50.0, html=10_000, encoded=True, status=200, url="/passages/equipe/",
             username="coordinator"):
    return Measure(username, url, p95_ms, p95_ms, p95_ms, 12, html, html // 5, encoded,
                   status=status)


def test_p95_is_the_nearest_rank():
    assert p95([float(n) for n in range(1, 101)]) == 95.0
    assert p95([3.0, 1.0]) == 3.0  # below 20 runs: the worst
    assert p95([7.0]) == 7.0


def test_a_key_page_within_the_targets_misses_nothing():
    key = ("coordinator", "visits:team_day")
    assert misses(key, _measure(40), _measure(55)) == []


def test_each_missed_target_is_named():
    key = ("coordinator", "visits:team_day")
    missed = misses(key, _measure(40), _measure(200, html=400 * 1024, encoded=False))
    assert missed == ["ratio > 1.5", "p95 > 150 ms", "HTML > 300 Ko", "pas de gzip"]


def test_other_pages_have_no_targets_but_errors_show():
    key = ("coordinator", "lodging:rooms")
    assert misses(key, _measure(10), _measure(500, encoded=False)) == []
    assert misses(key, _measure(10), _measure(status=500)) == ["statut 500"]


def test_bench_databases_are_named_after_the_configured_one():
    sqlite = {"ENGINE": "django.db.backends.sqlite3", "NAME": "x"}
    assert bench_name(10, sqlite) == str(Path(settings.VAR_DIR) / "bench" / "maillage_x10.sqlite3")
    pg = {"ENGINE": "django.db.backends.postgresql", "NAME": "maillage"}
    assert bench_name(1, pg) == "maillage_bench_x1"


@pytest.mark.django_db
def test_every_key_page_is_measured_on_the_demo(demo_module):
    measured = measure_pages(runs=1)
    assert set(KEY_PAGES) <= set(measured)
    for key in KEY_PAGES:
        m = measured[key]
        assert m.status == 200, (key, m.status)
        assert m.html_bytes > 0 and 0 < m.gzip_bytes < m.html_bytes
    # The API's pages are called with a bearer token: a Bundle of Patients, then the last page
    # of the export through the keyset cursor, at the default size (the key pages) and at 100.
    for count in (20, 100):
        first = measured["coordinator", f"interop:patient_search _count={count}"]
        last = measured["doctor", f"interop:patient_search _count={count}"]
        assert "_cursor=" in last.url and "_cursor=" not in first.url
        assert f"_count={count}" in first.url and f"_count={count}" in last.url
        assert first.queries == last.queries  # the same work at the end as at the start
    assert set(measure_pages(runs=1, only="interop:")) == {
        (user, f"interop:patient_search _count={count}")
        for user in ("coordinator", "doctor") for count in (20, 100)}
    # The team's day is a working day's (the next Tuesday), whatever the day of the run.
    team_day = measured["coordinator", "visits:team_day"]
    tuesday = date.fromisoformat(team_day.url.partition("?jour=")[2])
    assert tuesday.weekday() == 1 and 0 <= (tuesday - timezone.localdate()).days < 7


def test_the_load_report_gives_throughput_p95_errors_and_the_health_share(tmp_path):
    stats = tmp_path / "load_stats.csv"
    header = "Type,Name,Request Count,Failure Count,Requests/s,50%,95%\n"
    stats.write_text(header
                     + "GET,mes passages,600,0,10.0,40,120\n"
                     + "GET,journal d'audit,100,2,1.7,90,310\n"
                     + ",Aggregated,5700,2,91.7,5,110\n")
    health, my_day = tmp_path / "health_stats.csv", tmp_path / "myday_stats.csv"
    health.write_text(header + "GET,healthz,5000,0,400.0,3,6\n,Aggregated,5000,0,400.0,3,6\n")
    my_day.write_text(header + "GET,mes passages,900,0,50.0,30,60\n"
                      + ",Aggregated,900,0,50.0,30,60\n")
    out = io.StringIO()
    report(read_stats(stats), 60, out)
    capacity_share(read_stats(health), read_stats(my_day), out)
    text = out.getvalue()
    assert "journal d'audit" in text and "310ms" in text
    assert "total" in text
    assert ("Capacité, clients sans pause : « Mes passages » 50.0 req/s, 12.5 % du simple "
            "contrôle de santé (400.0 req/s)") in text


def test_the_locustfile_is_valid_python_without_importing_locust():
    import ast

    from maillage.core.bench_load.run import MIX

    source = Path(__file__).parents[1] / "bench_load" / "locustfile.py"
    tree = ast.parse(source.read_text(), str(source))
    classes = {node.name for node in tree.body if isinstance(node, ast.ClassDef)}
    # Every class the command names on Locust's command line exists in the scenario.
    assert {*MIX, "Health", "MyDaySaturation"} <= classes


def test_rounds_merge_their_runs():
    first = Measure("coordinator", "/passages/equipe/", 0, 0, 0, 12, 100, 20, True,
                    times=[10.0, 30.0], cpu_times=[9.0, 20.0])
    second = Measure("coordinator", "/passages/equipe/", 0, 0, 0, 12, 100, 20, True,
                     times=[20.0, 40.0], cpu_times=[8.0, 25.0])
    both = first.merged(second)
    assert both.times == [10.0, 30.0, 20.0, 40.0]
    assert (both.median_ms, both.p95_ms, both.worst_ms) == (25.0, 40.0, 40.0)
    assert both.cpu_p95_ms == 25.0
    broken = replace(second, status=500)
    assert first.merged(broken).status == 500
