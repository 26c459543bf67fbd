"""Permissions are an enumeration: a misspelt name fails here, not for a user at run time."""

import ast
from pathlib import Path

import pytest

from maillage.core.access import require
from maillage.core.permissions import MATRIX, Perm, has_permission

pytestmark = pytest.mark.engine_independent

PACKAGE = Path(__file__).resolve().parents[2]
CHECKED_CALLS = {"require", "has_permission"}


def _permission_literals():
    """Every string literal given as a permission name anywhere in the project's code."""
    for path in sorted(PACKAGE.rglob("*.py")):
        if "migrations" in path.parts or path == Path(__file__).resolve():
            continue
        tree = ast.parse(path.read_text(), filename=str(path))
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call):
                continue
            name = getattr(node.func, "id", None) or getattr(node.func, "attr", None)
            if name not in CHECKED_CALLS:
                continue
            args = [*node.args, *(k.value for k in node.keywords if k.arg == "permission")]
            for arg in args:
                if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
                    yield path.relative_to(PACKAGE.parent), node.lineno, arg.value


def test_the_matrix_gives_every_permission_its_roles():
    assert set(MATRIX) == set(Perm)


def test_every_permission_named_in_the_code_exists():
    literals = list(_permission_literals())
    assert len(literals) > 100  # the walk really reads the views
    unknown = [f"{path}:{line} {name!r}" for path, line, name in literals
               if name not in set(Perm)]
    assert unknown == []


def test_an_unknown_name_fails_at_once():
    with pytest.raises(ValueError):
        has_permission({"coordinator"}, "plan.veiw")
    with pytest.raises(Exception, match="Unknown permission 'plan.veiw'"):
        require("plan.veiw")
