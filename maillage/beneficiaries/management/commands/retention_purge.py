"""Yearly: delete the health data kept 20 years past the person's last episode (SPEC §3).

Lists by default; deletes only with ``--confirm``. See ``maillage/beneficiaries/retention.py``
for what counts as an episode and what is deleted or kept."""

from datetime import date

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from maillage.beneficiaries import retention
from maillage.core.models import Crt
from maillage.core.plurals import count_label


def _day(value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError as exc:
        raise CommandError(f"Date invalide : {value} (format attendu AAAA-MM-JJ).") from exc


def _summary(counts: dict[str, int]) -> str:
    parts = [count_label(n, retention.KINDS[k]) for k, n in counts.items() if n]
    return ", ".join(parts) or "aucune donnée de santé enregistrée"


class Command(BaseCommand):
    help = ("Suppression des données de santé conservées plus de 20 ans après le dernier "
            "épisode. Sans --confirm, liste seulement les personnes concernées.")

    def add_arguments(self, parser):
        mode = parser.add_mutually_exclusive_group()
        mode.add_argument("--dry-run", action="store_true",
                          help="Liste sans rien supprimer (comportement par défaut).")
        mode.add_argument("--confirm", action="store_true",
                          help="Supprime réellement les données de santé.")
        parser.add_argument("--today", metavar="AAAA-MM-JJ",
                            help="Date du jour à retenir (par défaut : aujourd'hui).")
        parser.add_argument("--crt", metavar="NOM", help="Limiter à un CRT (son nom exact).")

    def handle(self, *args, dry_run, confirm, today, crt, **options):
        today = _day(today) if today else timezone.localdate()
        if crt is not None:
            try:
                crt = Crt.objects.get(name=crt)
            except Crt.DoesNotExist as exc:
                raise CommandError(f"CRT inconnu : « {crt} ».") from exc
        candidates = retention.eligible(today=today, crt=crt)
        totals = dict.fromkeys(retention.KINDS, 0)
        done = 0
        for c in candidates:
            b = c.beneficiary
            if confirm:
                counts = retention.purge(beneficiary=b, today=today)
                if counts is None:  # changed since the selection (e.g. readmitted)
                    self.stdout.write(f"{b.public_id} : n'est plus concerné·e, ignoré·e.")
                    continue
                verb = "supprimé"
            else:
                counts = retention.health_data_counts(b)
                verb = "à supprimer"
            done += 1
            for k, n in counts.items():
                totals[k] += n
            self.stdout.write(f"{b.public_id} ({b.crt.name}) — dernier épisode le "
                              f"{c.last_episode:%d/%m/%Y} — {verb} : {_summary(counts)}.")
        scope = f" au CRT « {crt.name} »" if crt is not None else ""
        people = count_label(done, "personne")
        if confirm:
            self.stdout.write(f"{people}{scope} : données de santé supprimées "
                              f"({_summary(totals)}).")
        else:
            self.stdout.write(f"{people}{scope} dont les données de santé ont plus de "
                              f"{retention.RETENTION_YEARS} ans après le dernier épisode "
                              f"({_summary(totals)}).")
            self.stdout.write("Simulation : rien n'a été supprimé. Relancez avec --confirm "
                              "pour supprimer.")
