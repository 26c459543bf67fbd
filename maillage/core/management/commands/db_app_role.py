"""Grant the PostgreSQL role the application runs as exactly what it needs (docs/operations.md).

Run by the owner role (the one that runs the migrations), after every ``migrate``::

    DATABASE_URL=postgres://maillage_owner@…/maillage uv run maillage db_app_role maillage_app

The application role gets SELECT, INSERT, UPDATE, DELETE on every table and USAGE, SELECT on
the sequences, but only SELECT and INSERT on the audit trail; it owns nothing, so it can neither
TRUNCATE, ALTER, disable the triggers of, nor drop any table. Default privileges make the
tables the owner creates later follow the same rule. Idempotent.
"""

from django.core.management.base import BaseCommand, CommandError
from django.db import DEFAULT_DB_ALIAS, connections, transaction

from maillage.core.models import AuditEvent

TABLE_PRIVILEGES = "SELECT, INSERT, UPDATE, DELETE"
AUDIT_PRIVILEGES = "SELECT, INSERT"


class Command(BaseCommand):
    help = (
        "PostgreSQL : donne au rôle de l'application ses droits (lecture et écriture des tables, "
        "journal d'audit en ajout seul), sans rien lui faire posséder. À lancer par le rôle "
        "propriétaire, après chaque migration. Sans effet sur SQLite."
    )

    def add_arguments(self, parser):
        parser.add_argument("role", help="Nom du rôle PostgreSQL de l'application.")
        parser.add_argument("--database", default=DEFAULT_DB_ALIAS)

    def handle(self, *args, role: str, database: str, **options):
        connection = connections[database]
        if connection.vendor == "sqlite":
            self.stdout.write(
                "SQLite : rien à faire. Il n'y a pas de rôles : l'application et les migrations "
                "utilisent le même fichier, protégé par les droits du système. Le journal "
                "d'audit y est protégé par des déclencheurs (modification et suppression "
                "refusées)."
            )
            return
        if connection.vendor != "postgresql":
            raise CommandError(f"Base {connection.vendor!r} non prise en charge.")
        with transaction.atomic(using=database), connection.cursor() as cursor:
            self._check_role(cursor, role)
            for statement in self._statements(connection, cursor, role):
                cursor.execute(statement)
            self._verify(cursor, role)
        self.stdout.write(self.style.SUCCESS(
            f"Droits du rôle « {role} » à jour : tables en lecture et écriture, journal d'audit "
            "en lecture et ajout seulement, aucune table possédée."
        ))

    def _check_role(self, cursor, role: str) -> None:
        cursor.execute(
            "SELECT rolsuper, rolbypassrls, pg_has_role(%s, current_user, 'MEMBER'), "
            "current_user FROM pg_roles WHERE rolname = %s",
            [role, role],
        )
        row = cursor.fetchone()
        if row is None:
            raise CommandError(
                f"Le rôle « {role} » n'existe pas. Créez-le d'abord, par exemple : "
                f"CREATE ROLE {role} LOGIN PASSWORD '…';"
            )
        is_super, bypass_rls, is_member_of_owner, owner = row
        if role == owner or is_member_of_owner:
            raise CommandError(
                f"Le rôle « {role} » est (ou hérite de) « {owner} », le propriétaire qui lance "
                "cette commande : l'application doit utiliser un autre rôle."
            )
        if is_super or bypass_rls:
            raise CommandError(
                f"Le rôle « {role} » est superutilisateur : il pourrait tout modifier, journal "
                "d'audit compris. Utilisez un rôle ordinaire (NOSUPERUSER)."
            )
        cursor.execute(
            "SELECT count(*) FROM pg_class c JOIN pg_roles r ON r.oid = c.relowner "
            "WHERE r.rolname = %s",
            [role],
        )
        if cursor.fetchone()[0]:
            raise CommandError(
                f"Le rôle « {role} » possède des tables de cette base. Réattribuez-les au "
                f"propriétaire (REASSIGN OWNED BY {role} TO {owner};) puis relancez."
            )

    def _statements(self, connection, cursor, role: str) -> list[str]:
        from psycopg import sql

        cursor.execute("SELECT current_database(), current_schema()")
        database, schema = cursor.fetchone()
        raw = connection.connection  # the psycopg connection, to quote identifiers
        ident = {
            "role": sql.Identifier(role),
            "database": sql.Identifier(database),
            "schema": sql.Identifier(schema),
            "audit": sql.Identifier(schema, AuditEvent._meta.db_table),
            "table_privileges": sql.SQL(TABLE_PRIVILEGES),
            "audit_privileges": sql.SQL(AUDIT_PRIVILEGES),
        }
        templates = [
            "GRANT CONNECT ON DATABASE {database} TO {role}",
            "GRANT USAGE ON SCHEMA {schema} TO {role}",
            "REVOKE CREATE ON SCHEMA {schema} FROM {role}",
            # Every table: read and write rows, nothing else (no TRUNCATE, TRIGGER, REFERENCES).
            "REVOKE ALL ON ALL TABLES IN SCHEMA {schema} FROM {role}",
            "GRANT {table_privileges} ON ALL TABLES IN SCHEMA {schema} TO {role}",
            # USAGE: nextval for inserts; SELECT: read their position (pg_dump, for the nightly
            # backup run by the worker as this role).
            "GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA {schema} TO {role}",
            # The audit trail: read and append only (triggers refuse the rest even to the owner).
            "REVOKE ALL ON {audit} FROM {role}, PUBLIC",
            "GRANT {audit_privileges} ON {audit} TO {role}",
            # Tables and sequences the owner creates later (next migrations) follow.
            "ALTER DEFAULT PRIVILEGES IN SCHEMA {schema} "
            "GRANT {table_privileges} ON TABLES TO {role}",
            "ALTER DEFAULT PRIVILEGES IN SCHEMA {schema} "
            "GRANT USAGE, SELECT ON SEQUENCES TO {role}",
        ]
        return [sql.SQL(t).format(**ident).as_string(raw) for t in templates]

    def _verify(self, cursor, role: str) -> None:
        table = AuditEvent._meta.db_table
        cursor.execute(
            "SELECT has_table_privilege(%(r)s, %(t)s, 'INSERT'), "
            "has_table_privilege(%(r)s, %(t)s, 'UPDATE'), "
            "has_table_privilege(%(r)s, %(t)s, 'DELETE'), "
            "has_table_privilege(%(r)s, %(t)s, 'TRUNCATE')",
            {"r": role, "t": table},
        )
        if cursor.fetchone() != (True, False, False, False):
            raise CommandError(
                f"Les droits de « {role} » sur le journal d'audit ne sont pas ceux attendus "
                "(un droit donné à PUBLIC ou à un rôle parent ?). Rien n'a été modifié."
            )
