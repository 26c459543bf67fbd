"""Raise the missed-visit alerts and keep every series' occurrences created ahead, once. The task
queue does it every 5 minutes (``visits/tasks.py``, run by ``maillage worker``, which ``serve``
and ``demo`` start); this command is for a manual run or a deployment without a worker."""

import os
import time

from django.core.management.base import BaseCommand
from django.db import close_old_connections

from maillage.visits.services import check_missed, extend_series


def tick() -> tuple[int, int]:
    return len(check_missed()), extend_series()


class Command(BaseCommand):
    help = "Alertes de passages non tracés et création des passages à venir des séries."

    def add_arguments(self, parser):
        parser.add_argument("--loop", type=int, default=0, metavar="SECONDES",
                            help="Recommence toutes les SECONDES secondes, tant que le "
                                 "processus parent vit.")

    def handle(self, *args, loop, **options):
        parent = os.getppid()
        while True:
            raised, created = tick()
            self.stdout.write(f"{raised} alerte(s) de passage non tracé, "
                              f"{created} passage(s) créé(s).")
            if loop <= 0 or os.getppid() != parent:
                return
            time.sleep(loop)
            close_old_connections()
