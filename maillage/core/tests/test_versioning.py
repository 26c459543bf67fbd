"""``validate``: French errors, and the uniqueness checks the demo leaves to the database."""

import pytest
from django.db import IntegrityError, transaction

from maillage.core.errors import DomainError
from maillage.core.models import Crt
from maillage.core.versioning import uniqueness_left_to_database, validate

from .factories import CrtFactory


def _twin(crt: Crt) -> Crt:
    """An unsaved CRT with the same name and FINESS (unique fields) as ``crt``."""
    return Crt(**{f.attname: getattr(crt, f.attname) for f in Crt._meta.concrete_fields
                  if not f.primary_key and f.name != "public_id"})


def test_validate_refuses_a_duplicate_in_french(db):
    existing = CrtFactory()
    twin = _twin(existing)
    with pytest.raises(DomainError):
        validate(twin)


def test_uniqueness_left_to_database_skips_the_queries_not_the_rule(db, django_assert_num_queries):
    existing = CrtFactory()
    twin = _twin(existing)
    with uniqueness_left_to_database():
        with django_assert_num_queries(0):
            validate(twin)
        with pytest.raises(IntegrityError), transaction.atomic():
            twin.save()
    with pytest.raises(DomainError):  # checked again after the block
        validate(twin)
