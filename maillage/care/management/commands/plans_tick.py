"""Tell the referent and the coordination of each plan whose review date has come. The task
queue does it every day (``care/tasks.py``); this command is for a manual run or cron. Running
it again the same day sends nothing new."""

from django.core.management.base import BaseCommand

from maillage.care.services import careplan_review_reminders
from maillage.core.plurals import count_label


class Command(BaseCommand):
    help = "Rappels des plans personnalisés à réviser (une fois par date de révision)."

    def handle(self, *args, **options):
        count = careplan_review_reminders()
        self.stdout.write(count_label(count, "plan à réviser signalé,plans à réviser signalés")
                          + ".")
