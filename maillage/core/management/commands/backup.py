"""``maillage backup --out FILE``: the database and the uploaded documents in one encrypted file
(``maillage.core.backup``; docs/operations.md, "Backups and restore")."""

from django.core.management.base import BaseCommand, CommandError
from django.db import DEFAULT_DB_ALIAS

from maillage.core.backup import backup
from maillage.core.backup_crypto import BackupError, new_key


class Command(BaseCommand):
    help = (
        "Sauvegarde la base de données et les documents déposés dans un seul fichier chiffré "
        "avec la clé BACKUP_KEY. Se restaure avec « maillage restore FICHIER »."
    )
    requires_system_checks = []

    def add_arguments(self, parser):
        parser.add_argument("--out", metavar="FICHIER",
                            help="Fichier à écrire (refusé s'il existe déjà).")
        parser.add_argument("--nouvelle-cle", action="store_true", dest="new_key",
                            help="Affiche une clé BACKUP_KEY neuve, sans rien sauvegarder.")
        parser.add_argument("--database", default=DEFAULT_DB_ALIAS)

    def handle(self, *args, out=None, new_key=False, database=DEFAULT_DB_ALIAS, **options):
        if new_key:
            self.stdout.write(new_key_text())
            return
        if not out:
            raise CommandError("Indiquez le fichier à écrire : maillage backup --out FICHIER.")
        try:
            summary = backup(out, using=database)
        except BackupError as exc:
            raise CommandError(exc.message) from exc
        self.stdout.write(self.style.SUCCESS(
            f"Sauvegarde écrite : {summary.path} ({_size(summary.size)}, base "
            f"{summary.engine} : {summary.tables} tables, {summary.rows} lignes ; "
            f"{summary.documents} document{'s' if summary.documents > 1 else ''}). "
            "Chiffrée avec BACKUP_KEY : sans cette clé, elle est illisible."
        ))


def new_key_text() -> str:
    return (
        f"{new_key()}\n"
        "Nouvelle clé de sauvegarde : mettez-la dans BACKUP_KEY et gardez-en une copie à l'abri, "
        "ailleurs que les sauvegardes (sans elle, elles ne peuvent pas être restaurées)."
    )


def _size(size: int) -> str:
    if size < 1024 * 1024:
        return f"{size / 1024:.0f} Ko".replace(".", ",")
    return f"{size / 1024 / 1024:.1f} Mo".replace(".", ",")
