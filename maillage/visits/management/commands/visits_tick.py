"""Raise the missed-visit alerts and keep every series' occurrences created ahead, once. The task
queue does it every 5 minutes (``visits/tasks.py``, run by ``maillage worker``, which ``serve``
and ``demo`` start); this command is for a manual run or a deployment without a worker."""

from django.core.management.base import BaseCommand

from maillage.core.plurals import count_label
from maillage.visits.services import check_missed, extend_series


class Command(BaseCommand):
    help = "Alertes de passages non tracés et création des passages à venir des séries."

    def handle(self, *args, **options):
        raised, created = len(check_missed()), extend_series()
        self.stdout.write(
            f"{count_label(raised, 'alerte de passage non tracé,alertes de passage non tracé')}"
            f", {count_label(created, 'passage créé,passages créés')}.")
