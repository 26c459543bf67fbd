"""Querysets built once and reused: the access rules' querysets are trees of subqueries whose
building (resolving every condition against the model) costs about a millisecond of Python
each, several times on every page (the navigation's badges, then the page itself). What is kept
is a rule's *shape* only — a lazy queryset, never a row: the rows it matches are read from the
database each time it runs. Its key must therefore hold everything the shape is built from
(the CRT, the user, the roles, what was asked) — ``built`` adds the day, since the rules compare
dates (a care-team membership that ends yesterday) with the day they are built on. A rule that
compared with the moment (``timezone.now()``) could not be kept: none does.

Per process, at most ``MAX`` shapes, the least recently used dropped first. Each caller gets a
clone (``QuerySet.all``): its own filters never reach the kept queryset. ``built_count`` keeps
a count's SQL, compiled (the badges on every page: compiling a rule's subqueries costs as much
as building them)."""

from collections import OrderedDict
from collections.abc import Callable, Hashable

from django.db import connection
from django.db.models import QuerySet
from django.utils import timezone

MAX = 1024

_kept: OrderedDict[tuple, QuerySet] = OrderedDict()


def _kept_for(key: tuple, build: Callable[[], object]):
    key = (*key, connection.alias, timezone.localdate())
    kept = _kept.get(key)
    if kept is None:
        kept = _kept[key] = build()
        while len(_kept) > MAX:
            _kept.popitem(last=False)
    else:
        try:
            _kept.move_to_end(key)
        except KeyError:  # dropped by another thread meanwhile
            pass
    return kept


def built(key: tuple[Hashable, ...], build: Callable[[], QuerySet]) -> QuerySet:
    """The queryset ``build()`` returns for ``key`` (today), built on the first call."""
    return _kept_for(("queryset", *key), build).all()


def built_count(key: tuple[Hashable, ...], build: Callable[[], QuerySet]) -> int:
    """How many rows the queryset ``build()`` returns for ``key`` (today) matches now: its SQL
    compiled on the first call, run each time."""
    def compile_count() -> tuple[str, tuple]:
        sql, params = build().order_by().values("pk").query.sql_with_params()
        # Django's own compiled SQL, its values kept apart as parameters.
        return f"SELECT COUNT(*) FROM ({sql}) counted", tuple(params)  # noqa: S608

    sql, params = _kept_for(("count", *key), compile_count)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchone()[0]
