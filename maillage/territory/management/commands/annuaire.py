"""``maillage annuaire import --crt FINESS FILE [--apply]``: read an Annuaire Santé extraction
(``PS_LibreAcces_Personne_activite_*.txt``) for a CRT, print the changes it brings to the
partner directory, and apply them only with ``--apply``. Without it, the import waits on the
review screen (« Annuaire des partenaires » → « Annuaire Santé »). Reads the file line by line:
the national file (hundreds of Mo) is fine here, not through the screen."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from maillage.core.errors import DomainError
from maillage.core.models import Crt
from maillage.territory import annuaire, services


class Command(BaseCommand):
    help = "Importe une extraction de l'Annuaire Santé (PS_LibreAcces) dans l'annuaire des " \
           "partenaires d'un CRT."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True, title="actions")
        read = sub.add_parser("import", help="lit le fichier et affiche les changements",
                              called_from_command_line=getattr(self, "_called_from_command_line",
                                                               False))
        read.add_argument("--crt", required=True, metavar="FINESS",
                          help="numéro FINESS du CRT")
        read.add_argument("file", metavar="FICHIER",
                          help="PS_LibreAcces_Personne_activite_….txt")
        read.add_argument("--apply", action="store_true",
                          help="applique les changements (sinon ils attendent l'examen)")

    def handle(self, *args, action: str, crt: str, file: str, apply: bool, **options):
        found = Crt.objects.filter(finess=crt.strip().upper()).first()
        if found is None:
            raise CommandError(f"Aucun CRT ne porte le numéro FINESS « {crt} ».")
        path = Path(file)
        if not path.is_file():
            raise CommandError(f"Fichier introuvable : {file}")
        try:
            with path.open("rb") as source:
                record = services.annuaire_import_prepare(
                    actor=None, crt=found, file_name=path.name, source=source)
        except annuaire.AnnuaireFileError as error:
            raise CommandError("Fichier refusé, rien n'a été importé.\n"
                               + "\n".join(error.messages)) from error
        self.stdout.write(
            f"{found.name} — « {record.file_name} » : {record.lines_read} lignes lues, "
            f"{record.rows_kept} retenues (départements {', '.join(record.departments)}).")
        self.stdout.write(annuaire.summary_text(record.counts))
        for change in record.changes:
            self.stdout.write("  " + _line(change))
        if not apply:
            self.stdout.write("Rien n'est modifié : examinez l'import dans Maillage ou relancez "
                              "avec --apply.")
            return
        try:
            services.annuaire_import_apply(actor=None, record=record, version=record.version)
        except DomainError as error:
            raise CommandError(error.message) from error
        self.stdout.write(self.style.SUCCESS("Changements appliqués."))


def _line(change: dict) -> str:
    what = {("professional", "new"): "nouveau professionnel",
            ("professional", "changed"): "professionnel modifié",
            ("professional", "closed"): "professionnel à désactiver",
            ("organization", "new"): "nouvelle structure",
            ("organization", "changed"): "structure modifiée"}[(change["target"],
                                                                 change["kind"])]
    fields = "; ".join(f"{annuaire.FIELD_LABELS.get(f, f)} : {old or '(vide)'} → {new}"
                       for f, (old, new) in change["fields"].items())
    return f"{what} : {change['label']} ({change['key']}){' — ' + fields if fields else ''}"
