"""Tenant-scoped lookups: the one way to fetch an object named in a URL."""

from typing import TypeVar

from django.core.exceptions import ValidationError
from django.db.models import Model, QuerySet
from django.http import Http404

from .models import Crt

M = TypeVar("M", bound=Model)


def get_for_crt(source: type[M] | QuerySet[M], crt: Crt, public_id) -> M:
    """The object of ``crt`` whose public id is ``public_id``, or 404.

    Another CRT's object, an unknown id and a malformed id all answer the same 404, so nobody
    learns that an object exists elsewhere.
    """
    queryset = source if isinstance(source, QuerySet) else source._default_manager.all()
    try:
        return queryset.get(crt=crt, public_id=public_id)
    except (queryset.model.DoesNotExist, ValidationError, ValueError, TypeError) as exc:
        raise Http404("Aucun élément ne correspond à cette adresse.") from exc


def get_visible(queryset: QuerySet[M], public_id) -> M:
    """The object whose public id is ``public_id`` in ``queryset``, already restricted by an
    access policy that spans several CRTs (a region's, for its ARS agent), or the same 404 as
    ``get_for_crt``."""
    try:
        return queryset.get(public_id=public_id)
    except (queryset.model.DoesNotExist, ValidationError, ValueError, TypeError) as exc:
        raise Http404("Aucun élément ne correspond à cette adresse.") from exc
