# ruff: noqa: N999 -- the command is `maillage api-token` (Django loads any file name)
"""``maillage api-token create|list|revoke``: API tokens from the console (the secret is
printed once, never stored)."""

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from maillage.core.errors import DomainError
from maillage.core.middleware import active_memberships
from maillage.core.models import Crt
from maillage.interop.models import ApiToken
from maillage.interop.services import DEFAULT_DAYS, api_token_create, api_token_revoke


class Command(BaseCommand):
    help = "Jetons d'accès à l'API FHIR : créer (affiché une seule fois), lister, révoquer."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        create = sub.add_parser("create", help="Créer un jeton (affiché une seule fois).")
        create.add_argument("--user", required=True, help="Identifiant du compte utilisé.")
        create.add_argument("--crt", help="FINESS du CRT (si le compte est membre de plusieurs).")
        create.add_argument("--days", type=int, default=DEFAULT_DAYS,
                            help="Durée de validité (jours).")
        create.add_argument("--name", default="", help="Nom du jeton (le logiciel appelant).")
        listing = sub.add_parser("list", help="Lister les jetons.")
        listing.add_argument("--crt", help="FINESS du CRT.")
        revoke = sub.add_parser("revoke", help="Révoquer un jeton.")
        revoke.add_argument("prefix", help="Préfixe du jeton (ex. mlg_AbCdEfGh).")

    def handle(self, *args, action, **options):
        return getattr(self, f"_{action}")(**options)

    def _crt(self, finess: str | None) -> Crt | None:
        if not finess:
            return None
        crt = Crt.objects.filter(finess=finess.strip()).first()
        if crt is None:
            raise CommandError(f"Aucun CRT de FINESS « {finess} ».")
        return crt

    def _create(self, *, user, crt, days, name, **_):
        account = get_user_model().objects.filter(username=user).first()
        if account is None:
            raise CommandError(f"Aucun compte « {user} ».")
        chosen = self._crt(crt)
        crts = [m.crt for m in active_memberships(account)]
        if chosen is None:
            if len(crts) != 1:
                raise CommandError(
                    f"Le compte « {user} » est membre actif de {len(crts)} CRT : précisez "
                    "--crt FINESS." if crts else
                    f"Le compte « {user} » n'est membre actif d'aucun CRT.")
            chosen = crts[0]
        try:
            created = api_token_create(actor=None, crt=chosen, user=account, days=days,
                                       name=name or f"Jeton de {user}")
        except DomainError as error:
            raise CommandError(error.message) from None
        token = created.token
        self.stdout.write(
            f"Jeton « {token.name} » pour {user} ({chosen.name}), valable jusqu'au "
            f"{timezone.localtime(token.expires_at):%d/%m/%Y}.\n"
            "Copiez-le maintenant : il ne sera plus jamais affiché.\n")
        self.stdout.write(created.secret)

    def _list(self, *, crt, **_):
        tokens = ApiToken.objects.select_related("crt", "user").order_by("crt__name", "-created_at")
        chosen = self._crt(crt)
        if chosen is not None:
            tokens = tokens.filter(crt=chosen)
        now = timezone.now()
        for token in tokens:
            state = ("révoqué" if token.revoked_at else
                     "expiré" if token.expires_at <= now else "actif")
            used = (f"{timezone.localtime(token.last_used_at):%d/%m/%Y %H:%M}"
                    if token.last_used_at else "jamais")
            self.stdout.write(
                f"{token.prefix}\t{token.crt.finess}\t{token.user.username}\t{token.name}\t"
                f"{state}\texpire le {timezone.localtime(token.expires_at):%d/%m/%Y}\t"
                f"utilisé : {used}")

    def _revoke(self, *, prefix, **_):
        token = ApiToken.objects.filter(prefix=prefix.strip()).first()
        if token is None:
            raise CommandError(f"Aucun jeton de préfixe « {prefix} ».")
        try:
            api_token_revoke(actor=None, token=token)
        except DomainError as error:
            raise CommandError(error.message) from None
        self.stdout.write(f"Jeton {token.prefix}… révoqué.")
