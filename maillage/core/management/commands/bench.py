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

from maillage.core.discovery import app_modules


def pages():
    """The pages each app contributes in its ``bench.py``, in INSTALLED_APPS order."""
    for module in app_modules("bench"):
        yield from module.pages()


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
