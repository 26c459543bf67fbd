"""Names in the order a French reader expects: accents and case set aside (« Écouflant » with
the E's, before « Villevêque »; « écuillé » after « Écouflant »), on SQLite and PostgreSQL.

``french("name")`` is an expression for ``order_by`` (``.desc()`` for the reverse):

- SQLite compares bytes (« É » after « Z »). The names are ordered by ``maillage_fold(name)``,
  a function registered on every new connection (``connection_created``): the name folded
  (accents dropped, case folded, « œ » spelt « oe »), then the name as written so that the
  order is total. SQLite computes it once per row and sorts the keys itself (a collation
  would call Python for every comparison: a list of 400 people cost 1.5 times one of 40).
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

#: The sort-key function's name on SQLite (registered by ``register_on_new_connections``).
SQLITE_FUNCTION = "maillage_fold"
#: The collation's name on PostgreSQL (created by initdb on a server built with ICU).
POSTGRESQL_COLLATION = "und-x-icu"


@lru_cache(maxsize=8192)
def sort_key(text: str | None) -> str | None:
    """The key that orders ``text`` among others: folded first, then as written (after a NUL,
    which sorts before any character)."""
    if text is None:
        return None
    decomposed = unicodedata.normalize("NFKD", text)
    folded = "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()
    return f"{folded.replace('œ', 'oe').replace('æ', 'ae')}\x00{text}"


class FrenchCollate(Collate):
    """``expression COLLATE <the French order of this database>`` (on SQLite, its sort key)."""

    def __init__(self, expression):
        super().__init__(expression, POSTGRESQL_COLLATION)

    def as_sqlite(self, compiler, connection, **extra_context):
        sql, params = compiler.compile(self.get_source_expressions()[0])
        return f"{SQLITE_FUNCTION}({sql})", params

    def as_postgresql(self, compiler, connection, **extra_context):
        return super().as_sql(compiler, connection, collation=connection.ops.quote_name(
            POSTGRESQL_COLLATION), **extra_context)

    def as_sql(self, compiler, connection, **extra_context):
        # Another database: no collation we know to exist there.
        return compiler.compile(self.get_source_expressions()[0])


def french(field_name: str) -> FrenchCollate:
    """``field_name`` (a field or a ``__`` path) in the French order, for ``order_by``."""
    return FrenchCollate(F(field_name))


def _register_sqlite_function(sender, connection, **kwargs) -> None:
    if connection.vendor == "sqlite":
        connection.connection.create_function(SQLITE_FUNCTION, 1, sort_key, deterministic=True)


def register_on_new_connections() -> None:
    """Registers ``maillage_fold`` on every SQLite connection opened from now on (called by
    ``CoreConfig.ready``, before any connection is opened)."""
    connection_created.connect(_register_sqlite_function,
                               dispatch_uid="maillage.core.collation.sqlite")
