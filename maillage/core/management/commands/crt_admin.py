"""``maillage crt_admin <username> "<CRT name>"``: the first direction account of a CRT.

The account comes from ``maillage createsuperuser`` (or any existing account); this gives it an
active membership of the CRT with the direction role. Everyone else is then added from the
"Équipe" page, and portal accounts from each person's file.
"""

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from maillage.core.models import Crt
from maillage.core.services import crt_admin_grant


class Command(BaseCommand):
    help = "Donne le rôle de direction d'un CRT à un compte existant (premier compte du CRT)."

    def add_arguments(self, parser):
        parser.add_argument("username", help="identifiant du compte (créé par createsuperuser)")
        parser.add_argument("crt", help="nom exact du CRT, entre guillemets")

    def handle(self, *args, username: str, crt: str, **options):
        user = get_user_model().objects.filter(username=username).first()
        if user is None:
            raise CommandError(f"Aucun compte « {username} » : créez-le d'abord avec "
                               "« maillage createsuperuser ».")
        found = Crt.objects.filter(name=crt).first()
        if found is None:
            names = ", ".join(f"« {n} »" for n in Crt.objects.values_list("name", flat=True))
            raise CommandError(f"Aucun CRT nommé « {crt} ». CRT existants : {names or 'aucun'}.")
        crt_admin_grant(user=user, crt=found)
        self.stdout.write(self.style.SUCCESS(
            f"« {username} » fait partie de la direction du {found.name}. Connectez-vous, puis "
            "ajoutez l'équipe depuis la page « Équipe »."))
