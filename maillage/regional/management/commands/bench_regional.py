"""``maillage bench_regional``: the ARS's regional view over a region of many CRTs (issue 14
§5: 50 CRTs in under 10 s). A benchmark, not a test.

On the demo (loaded first when missing), inside one transaction rolled back at the end (the
database is left as it was): the region « Pays de la Loire » gets ``--crts`` CRTs in all, the
two demo CRTs and copies of « CRT Anjou Bleu »'s file active — communes, people, enrolments,
temporary exits, stored mois-forfait, the year's allocation and expenses — so that every CRT
weighs what a demo CRT weighs for the volet 2 indicators and the budget (its other records are
not copied: those indicators cost their one query each on an empty CRT). Then the ARS agent
opens the overview, an indicator page with its commune breakdown, the budget and the overview's
XLSX export ``--runs`` times each: median, worst and query count.
"""

import statistics
import time
import uuid

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from stdnum import luhn

from maillage.core.models import Crt, Region


class RollbackError(Exception):
    """Raised to roll the generated CRTs back."""


def _copy(model, rows, **changes):
    """Insert copies of ``rows`` (``values()`` dicts) with new keys; returns {old pk: new pk}."""
    objects, olds = [], []
    for row in rows:
        row = {**row, **{k: (v(row) if callable(v) else v) for k, v in changes.items()}}
        olds.append(row.pop("id"))
        if "public_id" in row:
            row["public_id"] = uuid.uuid4()
        objects.append(model(**row))
    created = model.objects.bulk_create(objects, batch_size=500)
    if created and created[0].pk is None:  # a backend that does not return keys
        raise CommandError("bulk_create must return primary keys (SQLite ≥ 3.35, PostgreSQL).")
    return {old: new.pk for old, new in zip(olds, created, strict=True)}


def clone_crt(source: Crt, n: int, region: Region) -> Crt:
    from maillage.admissions.models import Enrolment, ForfaitMonth, Suspension
    from maillage.beneficiaries.models import Beneficiary
    from maillage.steering.models import Allocation, Expense
    from maillage.territory.models import Commune

    prefix = f"49{7000 + n:06d}"
    crt = Crt.objects.get(pk=source.pk)
    crt.pk, crt.public_id = None, uuid.uuid4()
    crt.name, crt.finess, crt.region = f"CRT de banc {n:02d}", prefix + luhn.calc_check_digit(
        prefix), region
    crt.save()
    communes = _copy(Commune, Commune.objects.filter(crt=source).values(), crt_id=crt.pk)
    people = _copy(Beneficiary, Beneficiary.objects.filter(crt=source).values(), crt_id=crt.pk,
                   commune_id=lambda r: communes.get(r["commune_id"]),
                   portal_user_id=None, identity_validated_by_id=None,
                   ins_matricule=lambda r: "")
    enrolments = _copy(Enrolment, Enrolment.objects.filter(crt=source).values(),
                       crt_id=crt.pk, beneficiary_id=lambda r: people[r["beneficiary_id"]],
                       referral_id=None, admission_meeting_id=None)
    _copy(Suspension, Suspension.objects.filter(crt=source).values(), crt_id=crt.pk,
          enrolment_id=lambda r: enrolments[r["enrolment_id"]])
    _copy(ForfaitMonth, ForfaitMonth.objects.filter(crt=source).values(), crt_id=crt.pk,
          enrolment_id=lambda r: enrolments[r["enrolment_id"]],
          beneficiary_id=lambda r: people[r["beneficiary_id"]])
    _copy(Allocation, Allocation.objects.filter(crt=source).values(), crt_id=crt.pk)
    _copy(Expense, Expense.objects.filter(crt=source).values(), crt_id=crt.pk, domain_id=None,
          fec_import_id=None, fec_line=None, source="typed")
    return crt


class Command(BaseCommand):
    help = ("Mesure la vue régionale de l'ARS sur une région de nombreux CRT (données "
            "générées puis effacées).")

    def add_arguments(self, parser):
        parser.add_argument("--crts", type=int, default=50, help="CRT dans la région (50).")
        parser.add_argument("--runs", type=int, default=3, help="Mesures par page (3).")

    def handle(self, *args, crts: int, runs: int, **options):
        if crts < 2 or runs < 1:
            raise CommandError("--crts doit valoir au moins 2 et --runs au moins 1.")
        if not Crt.objects.filter(name="CRT Anjou Bleu").exists():
            from maillage.core.management.commands.demo import load_demo

            self.stdout.write("Chargement de la démonstration…")
            load_demo(scale=1)
        try:
            with transaction.atomic():
                self._bench(crts, runs)
                raise RollbackError
        except RollbackError:
            self.stdout.write("Données générées effacées (transaction annulée).")

    def _bench(self, crts: int, runs: int) -> None:
        region = Region.objects.get(code="52")
        source = Crt.objects.get(name="CRT Anjou Bleu")
        started = time.monotonic()
        for n in range(crts - Crt.objects.filter(region=region).count()):
            clone_crt(source, n + 1, region)
        self.stdout.write(f"{Crt.objects.filter(region=region).count()} CRT dans la région "
                          f"(générés en {time.monotonic() - started:.0f} s).")
        client = Client()
        client.force_login(get_user_model().objects.get(username="ars-region"))
        pages = [
            ("Indicateurs (année)", reverse("regional:overview", kwargs={"region": "52"})),
            ("V2-08 par commune", reverse("regional:indicator",
                                          kwargs={"region": "52", "code": "V2-08"})
             + "?ventilation=commune"),
            ("Budget (année)", reverse("regional:budget", kwargs={"region": "52"})),
            ("Export XLSX des indicateurs",
             reverse("regional:overview_export", kwargs={"region": "52", "fmt": "xlsx"})),
        ]
        client.get(pages[2][1])  # the session's first write
        self.stdout.write(f"{'page':32} {'médiane':>9} {'pire':>9} {'requêtes':>9}")
        for label, url in pages:
            times, queries = [], 0
            for _ in range(runs):
                with CaptureQueriesContext(connection) as ctx:
                    t = time.perf_counter()
                    response = client.get(url)
                    times.append(time.perf_counter() - t)
                if response.status_code != 200:
                    raise CommandError(f"{url} : {response.status_code}")
                queries = len(ctx.captured_queries)
            self.stdout.write(f"{label:32} {statistics.median(times):8.2f}s "
                              f"{max(times):8.2f}s {queries:9d}")
