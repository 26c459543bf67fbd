"""Names in the order a French reader expects: accents and case set aside (« Écouflant » with
the E's, before « Villevêque »; « écuillé » after « Écouflant »), on SQLite and PostgreSQL.

``french("name")`` is an expression for ``order_by`` (``.desc()`` for the reverse):

- SQLite compares bytes (« É » after « Z »). ``maillage_fr``, a collation registered on every
  new connection (``connection_created``), compares the names folded (accents dropped, case
  folded, « œ » spelt « oe »), ties broken by the names as written so the order is total.
- PostgreSQL: the ICU root collation ``und-x-icu``. initdb creates it whenever the server is
  built with ICU (Debian's, the official images'), whatever the system locales, and the
  French of France has no rule of its own in CLDR (``fr-x-icu`` gives the same order): accents
  and case count only between names otherwise equal.
- Any other database: the column's own order.
"""

import unicodedata
from functools import lru_cache

from django.db.backends.signals import connection_created
from django.db.models import F
from django.db.models.functions import Collate

#: The collation's name on SQLite (registered by ``register_on_new_connections``).
SQLITE_COLLATION = "maillage_fr"
#: The collation's name on PostgreSQL (created by initdb on a server built with ICU).
POSTGRESQL_COLLATION = "und-x-icu"


@lru_cache(maxsize=8192)
def sort_key(text: str) -> tuple[str, str]:
    """The key that orders ``text`` among others: folded first, then as written."""
    decomposed = unicodedata.normalize("NFKD", text)
    folded = "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()
    return folded.replace("œ", "oe").replace("æ", "ae"), text


def compare(a: str, b: str) -> int:
    """SQLite's collation callback: negative, zero or positive as ``a`` sorts before, with or
    after ``b``."""
    ka, kb = sort_key(a), sort_key(b)
    return (ka > kb) - (ka < kb)


class FrenchCollate(Collate):
    """``expression COLLATE <the French order of this database>``."""

    def __init__(self, expression):
        super().__init__(expression, SQLITE_COLLATION)

    def as_sqlite(self, compiler, connection, **extra_context):
        return super().as_sql(compiler, connection, collation=connection.ops.quote_name(
            SQLITE_COLLATION), **extra_context)

    def as_postgresql(self, compiler, connection, **extra_context):
        return super().as_sql(compiler, connection, collation=connection.ops.quote_name(
            POSTGRESQL_COLLATION), **extra_context)

    def as_sql(self, compiler, connection, **extra_context):
        # Another database: no collation we know to exist there.
        return compiler.compile(self.get_source_expressions()[0])


def french(field_name: str) -> FrenchCollate:
    """``field_name`` (a field or a ``__`` path) in the French order, for ``order_by``."""
    return FrenchCollate(F(field_name))


def _register_sqlite_collation(sender, connection, **kwargs) -> None:
    if connection.vendor == "sqlite":
        connection.connection.create_collation(SQLITE_COLLATION, compare)


def register_on_new_connections() -> None:
    """Registers ``maillage_fr`` on every SQLite connection opened from now on (called by
    ``CoreConfig.ready``, before any connection is opened)."""
    connection_created.connect(_register_sqlite_collation,
                               dispatch_uid="maillage.core.collation.sqlite")
