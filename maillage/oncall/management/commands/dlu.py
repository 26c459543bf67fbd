"""``maillage dlu export-cda --out DIR [--crt FINESS|NOM]``: every DLU as a CDA document.

Writes, for each person of the file who has a DLU (an ``EmergencyFile``, draft or validated):

- ``DIR/<person public id>-DLU.xml``: the DLU (CI-SIS DLU-DLU 2022.01, ``oncall.cda.dlu_cda``);
- ``DIR/<person public id>-FLUDT.xml``: the transfer sheet of the person's latest call that
  ended in a hospitalisation (outcome « Hospitalisation »), if any (DLU-FLUDT 2022.01,
  ``oncall.cda.transfer_cda``) — the transfer sheet is about a call; a person never sent to
  hospital has none.

Exported by the CRT's software (no person: the documents' author is the software, for the CRT,
without legal authenticator) and never with the key-box code. Each file written is audited
(``dlu.cda_exported``, in the person's access trail). Prints a summary in French."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.db.models import Q

from maillage.beneficiaries.access import MEDICAL_FIELDS
from maillage.core.audit import audit_log_many
from maillage.core.models import Crt
from maillage.oncall import cda
from maillage.oncall import dlu as dlu_module
from maillage.oncall.models import Call, EmergencyFile


def _crt(value: str) -> Crt:
    crt = Crt.objects.filter(Q(finess=value) | Q(name=value)).first()
    if crt is None:
        raise CommandError(f"CRT inconnu : « {value} » (indiquez son FINESS ou son nom exact).")
    return crt


def _sheets(n: int) -> str:
    return f"{n} fiche{'s' if n > 1 else ''} de liaison aller"


class Command(BaseCommand):
    help = "Dossiers de liaison d'urgence (DLU)."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
        export = sub.add_parser(
            "export-cda", help="Écrit chaque DLU (et la dernière fiche de liaison aller) en "
                               "document CDA R2 (volet DLU du CI-SIS).")
        export.add_argument("--out", required=True, metavar="DOSSIER",
                            help="Dossier où écrire les fichiers (créé au besoin).")
        export.add_argument("--crt", metavar="FINESS|NOM",
                            help="Limiter à un CRT (son FINESS ou son nom exact).")

    def handle(self, *args, action, out, crt=None, **options):
        crts = [_crt(crt)] if crt else list(Crt.objects.order_by("name"))
        folder = Path(out)
        try:
            folder.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise CommandError(f"Impossible de créer le dossier « {out} » : {exc}.") from exc
        total_dlu = total_fludt = 0
        for one in crts:
            n_dlu, n_fludt = self._export(one, folder)
            total_dlu += n_dlu
            total_fludt += n_fludt
            self.stdout.write(f"{one.name} : {n_dlu} DLU, {_sheets(n_fludt)}.")
        files = total_dlu + total_fludt
        self.stdout.write(self.style.SUCCESS(
            f"{files} fichier{'s' if files > 1 else ''} écrit{'s' if files > 1 else ''} dans "
            f"{folder} : {total_dlu} DLU et {_sheets(total_fludt)}."))

    def _export(self, crt: Crt, folder: Path) -> tuple[int, int]:
        files = (EmergencyFile.objects.filter(crt=crt)
                 .select_related("beneficiary__commune").order_by("beneficiary__birth_name"))
        events, n_fludt = [], 0
        for ef in files:
            b = ef.beneficiary
            b.crt = crt
            # The operator's export for the emergency services: the whole medical section.
            dlu = dlu_module.build(beneficiary=b, show_key_box=False,
                                   medical_fields=MEDICAL_FIELDS)
            (folder / f"{b.public_id}-DLU.xml").write_bytes(cda.dlu_cda(dlu, crt=crt,
                                                                       author=None))
            events.append({"action": "dlu.cda_exported", "crt": crt, "obj": ef,
                           "beneficiary": b, "details": {"document": "DLU"}})
            call = (Call.objects.filter(crt=crt, beneficiary=b,
                                        outcome=Call.Outcome.HOSPITALISED)
                    .select_related("answered_by", "travelled_by")
                    .order_by("-received_at").first())
            if call is not None:
                call.beneficiary = b
                (folder / f"{b.public_id}-FLUDT.xml").write_bytes(
                    cda.transfer_cda(call, dlu, crt=crt, author=None))
                events.append({"action": "dlu.cda_exported", "crt": crt, "obj": call,
                               "beneficiary": b, "details": {"document": "FLUDT"}})
                n_fludt += 1
        audit_log_many(actor=None, events=events)
        return len(files), n_fludt
