"""``maillage restore FILE``: a backup of ``maillage backup`` into an empty database and an empty
MEDIA_ROOT, then verified table by table and document by document (``maillage.core.backup``)."""

from django.core.management.base import BaseCommand, CommandError
from django.db import DEFAULT_DB_ALIAS

from maillage.core.backup import restore
from maillage.core.backup_crypto import BackupError


class Command(BaseCommand):
    help = (
        "Restaure une sauvegarde de « maillage backup » dans la base de DATABASE_URL, qui doit "
        "être vide (aucune table), et dans MEDIA_ROOT, qui doit être vide ; puis vérifie chaque "
        "table et chaque document. La clé BACKUP_KEY doit être celle de la sauvegarde."
    )
    requires_system_checks = []

    def add_arguments(self, parser):
        parser.add_argument("file", metavar="FICHIER", help="La sauvegarde à restaurer.")
        parser.add_argument("--database", default=DEFAULT_DB_ALIAS)

    def handle(self, *args, file: str, database: str, **options):
        try:
            report = restore(file, using=database)
        except BackupError as exc:
            raise CommandError(exc.message) from exc
        self.stdout.write(self.style.SUCCESS(
            f"Restauration vérifiée : {report.tables} tables ({report.rows} lignes) et "
            f"{_count(report.documents, 'document')} identiques à la sauvegarde du "
            f"{_when(report.created_at)}."
        ))
        migrate = ("si cette version de Maillage est plus récente que la sauvegarde, "
                   "lancez maillage migrate")
        if report.engine == "postgresql":
            self.stdout.write(
                "Les tables appartiennent maintenant au rôle qui a restauré (le propriétaire). "
                f"Avant de démarrer : {migrate} (rôle propriétaire), puis donnez ses droits au "
                "rôle de l'application : maillage db_app_role <rôle de l'application>."
            )
        else:
            self.stdout.write(f"Avant de démarrer : {migrate}.")


def _when(iso: str) -> str:
    from datetime import datetime
    from zoneinfo import ZoneInfo

    moment = datetime.fromisoformat(iso).astimezone(ZoneInfo("Europe/Paris"))
    return f"{moment:%d/%m/%Y à %H:%M}"


def _count(n: int, word: str) -> str:
    return f"{n} {word}{'s' if n > 1 else ''}"
