"""URLs of many objects of one page without a ``reverse`` per object: ``reverse`` once, with a
marker in place of the object's public id, then a string replacement per object (a day of
1,000 timeline blocks, the cards of « Mes passages »)."""

from collections.abc import Callable

from django.urls import reverse

_MARKER = "00000000-0000-0000-0000-000000000000"


def public_id_url(name: str, kwarg: str) -> Callable[[object], str]:
    """``url(public_id)``: the URL named ``name`` whose only argument ``kwarg`` is a public id
    (a UUID), as ``reverse(name, kwargs={kwarg: public_id})`` gives it."""
    head, _, tail = reverse(name, kwargs={kwarg: _MARKER}).partition(_MARKER)
    return lambda public_id: f"{head}{public_id}{tail}"
