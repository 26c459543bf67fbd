"""``maillage bench``: server time of the main pages on the loaded data (demo or real).

Runs each page through the whole Django stack (middleware, permissions, templates) with the
test client, as the demo accounts, and prints the median and worst time and the query count.
"""

import statistics
import time

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from maillage.admissions.models import Enrolment
from maillage.beneficiaries.models import Beneficiary


def pages():
    b = Beneficiary.objects.filter(crt__name="CRT Anjou Bleu").order_by("pk").first()
    e = Enrolment.objects.filter(beneficiary=b).first()
    yield "coordinator", reverse("core:home")
    yield "coordinator", reverse("beneficiaries:list")
    yield "coordinator", reverse("admissions:file_active")
    yield "coordinator", reverse("admissions:waiting_list")
    yield "coordinator", reverse("admissions:referral_list")
    yield "coordinator", reverse("territory:organization_list")
    yield "auditor", reverse("core:audit_list")
    yield "coordinator", reverse("visits:team_day")
    yield "coordinator", reverse("visits:professional_week")
    yield "care_aide", reverse("visits:my_day")
    yield "coordinator", reverse("visits:beneficiary", kwargs={"public_id": b.public_id})
    yield "coordinator", reverse("care:conversations")
    yield "nurse", reverse("oncall:screen") + f"?q={b.birth_name}"
    yield "coordinator", reverse("oncall:rota")
    yield "coordinator", reverse("oncall:calls")
    yield "direction", reverse("oncall:figures")
    yield "doctor", reverse("oncall:dlu", kwargs={"public_id": b.public_id})
    yield "coordinator", reverse("lodging:rooms")
    yield "coordinator", reverse("lodging:occupancy")
    yield "doctor", reverse("beneficiaries:detail", kwargs={"public_id": b.public_id})
    yield "doctor", reverse("beneficiaries:medical", kwargs={"public_id": b.public_id})
    if e:
        yield "doctor", reverse("admissions:enrolment_detail", kwargs={"public_id": e.public_id})


class Command(BaseCommand):
    help = "Mesure le temps serveur des pages principales (données de démonstration chargées)."

    def add_arguments(self, parser):
        parser.add_argument("--runs", type=int, default=20)

    def handle(self, *args, runs, **options):
        users = get_user_model().objects
        if not users.filter(username="coordinator").exists():
            raise CommandError("Chargez d'abord la démonstration : uv run maillage demo "
                               "--no-serve")
        host = next((h for h in settings.ALLOWED_HOSTS if h not in {"*", ""}), "localhost")
        clients = {}
        self.stdout.write(f"{'page':55} {'médiane':>8} {'pire':>8} {'requêtes':>9}")
        for username, url in pages():
            client = clients.get(username)
            if client is None:
                client = clients[username] = Client(HTTP_HOST=host)
                client.force_login(users.get(username=username))
            client.get(url)  # warm-up
            times = []
            for _ in range(runs):
                with CaptureQueriesContext(connection) as queries:
                    start = time.perf_counter()
                    response = client.get(url)
                    times.append((time.perf_counter() - start) * 1000)
                if response.status_code != 200:
                    raise CommandError(f"{url} : statut {response.status_code}")
            self.stdout.write(
                f"{username + ' ' + url:55} {statistics.median(times):7.1f}ms "
                f"{max(times):7.1f}ms {len(queries):9d}"
            )
