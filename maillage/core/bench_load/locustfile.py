"""Load scenario of ``maillage bench --load`` (Locust): the roles' journeys on the demo.

Run by Locust in its own process (gevent monkey-patches everything: never import this module
from Django or pytest). Each demo account logs in once, its users share the session, then
repeat their role's journey with the think time of a person reading a page. Two more classes
measure capacity, run alone by ``maillage bench --load`` before the mix: ``Health`` (the bare
health check) and ``MyDaySaturation`` (« Mes passages »), each by clients without any pause.

    uv run locust -f maillage/core/bench_load/locustfile.py --headless -u 100 -r 20 \
        -t 60s -H http://127.0.0.1:8001
"""

import random
import re

from gevent.lock import Semaphore
from locust import HttpUser, between, constant, task

PASSWORD = "maillage-demo"  # noqa: S105 - the documented demo password
TRACE_LINK = re.compile(r'href="(/passages/[0-9a-f-]{36}/realise/)"')
SEARCHES = ["Mar", "Jean", "Ber", "Lem", "Cha", "Gui"]
_SESSIONS: dict[str, dict] = {}
_LOGIN = Semaphore()


class DemoUser(HttpUser):
    abstract = True
    username = ""
    wait_time = between(2, 6)  # a person reads the page before the next click

    def on_start(self):
        # One login per demo account, its session shared by the users of that account: a
        # hundred password hashes at once would measure the hasher, not the pages.
        with _LOGIN:
            cookies = _SESSIONS.get(self.username)
            if cookies is None:
                self._login()
                cookies = _SESSIONS[self.username] = self.client.cookies.get_dict()
        for name, value in cookies.items():
            self.client.cookies.set(name, value)

    def _login(self):
        self.client.get("/connexion/", name="connexion (formulaire)")
        token = self.client.cookies.get("csrftoken", "")
        with self.client.post(
                "/connexion/", name="connexion",
                data={"username": self.username, "password": PASSWORD,
                      "csrfmiddlewaretoken": token},
                headers={"Referer": self.host + "/connexion/"},
                catch_response=True) as response:
            if "/connexion/" in response.url:
                response.failure(f"connexion refusée pour {self.username}")

    def page(self, url: str, name: str):
        return self.client.get(url, name=name, headers={"Accept-Encoding": "gzip"})


class Coordinator(DemoUser):
    username = "coordinator"
    weight = 25

    @task(3)
    def home(self):
        self.page("/", "accueil coordination")

    @task(2)
    def file_active(self):
        self.page("/admissions/file-active/", "file active")

    @task(2)
    def waiting_list(self):
        self.page("/admissions/liste-attente/", "liste d'attente")

    @task(2)
    def team_day(self):
        self.page("/passages/equipe/", "journée de l'équipe")

    @task(1)
    def professional_week(self):
        self.page("/passages/professionnels/", "semaine des professionnels")

    @task(2)
    def people(self):
        self.page("/beneficiaires/", "liste des personnes")


class CareAide(DemoUser):
    username = "care_aide"
    weight = 45
    wait_time = between(3, 8)  # on a doorstep, between two visits

    @task(4)
    def my_day(self):
        response = self.page("/passages/mes-passages/", "mes passages")
        links = TRACE_LINK.findall(response.text or "")
        if links:
            # Opening the trace form (the journey to trace a visit), without recording it: the
            # demo stays the same from one run to the next.
            self.page(random.choice(links), "tracer un passage (formulaire)")  # noqa: S311


class Nurse(DemoUser):
    username = "nurse"
    weight = 15

    @task(2)
    def oncall_search(self):
        self.page("/astreinte/?q=" + random.choice(SEARCHES), "recherche d'astreinte")  # noqa: S311

    @task(1)
    def my_day(self):
        self.page("/passages/mes-passages/", "mes passages")


class Auditor(DemoUser):
    username = "auditor"
    weight = 5

    @task
    def audit_list(self):
        self.page("/audit/", "journal d'audit")


class Doctor(DemoUser):
    username = "doctor"
    weight = 10

    @task
    def people(self):
        self.page("/beneficiaires/", "liste des personnes")


class Health(HttpUser):
    """The bare health check, by clients without pause: the server's ceiling (run alone)."""

    wait_time = constant(0)

    @task
    def healthz(self):
        self.client.get("/healthz", name="healthz")


class MyDaySaturation(DemoUser):
    """« Mes passages » by clients without pause (run alone): its capacity, compared to the
    health check's."""

    username = "care_aide"
    wait_time = constant(0)

    @task
    def my_day(self):
        self.page("/passages/mes-passages/", "mes passages")
