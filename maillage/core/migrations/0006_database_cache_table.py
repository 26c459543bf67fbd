"""The table of the default cache (``django.core.cache.backends.db.DatabaseCache``).

Rate limits of public forms and the login form live in this cache: in the database, every worker
of the server sees the same counters (Redis replaces it when ``CACHE_URL`` is set). The table is
created whatever the cache settings are at migration time, so that switching back from Redis
needs no extra step; the test database gets it too.
"""

from django.core.management.commands.createcachetable import Command as CreateCacheTable
from django.db import migrations

CACHE_TABLE = "maillage_cache"


def create(apps, schema_editor):
    # Django's own DDL for the cache table; it does nothing when the table exists.
    command = CreateCacheTable()
    command.verbosity = 0
    command.create_table(schema_editor.connection.alias, CACHE_TABLE, dry_run=False)


def drop(apps, schema_editor):
    schema_editor.execute(f"DROP TABLE IF EXISTS {schema_editor.quote_name(CACHE_TABLE)}")


class Migration(migrations.Migration):
    dependencies = [("core", "0005_audit_no_delete_no_truncate")]

    operations = [migrations.RunPython(create, drop)]
