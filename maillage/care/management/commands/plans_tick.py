"""Run once a day (cron, systemd timer): tell the referent and the coordination of each plan
whose review date has come. Running it again the same day sends nothing new."""

from django.core.management.base import BaseCommand

from maillage.care.services import careplan_review_reminders


class Command(BaseCommand):
    help = "Rappels des plans personnalisés à réviser (une fois par date de révision)."

    def handle(self, *args, **options):
        count = careplan_review_reminders()
        self.stdout.write(f"{count} plan(s) à réviser signalé(s).")
