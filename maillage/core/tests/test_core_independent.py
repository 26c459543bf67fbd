"""``core`` is the spine every app plugs into: it never imports a domain app (the apps
contribute their home panels, demo data, benchmark pages… by name, see ``core/home.py`` and
``core/discovery.py``). This walks every module of ``maillage/core`` (tests excepted)."""

import ast
import re
from pathlib import Path

import maillage.core

CORE = Path(maillage.core.__file__).parent
DOMAIN_APPS = ("territory", "beneficiaries", "admissions", "care", "visits", "oncall", "portal",
               "lodging")


def _imported(tree: ast.AST, package: str) -> list[tuple[int, str]]:
    """Every module an import statement names (relative imports resolved against
    ``package``), with its line."""
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[:len(base) - node.level + 1]
                module = ".".join(base + ([node.module] if node.module else []))
            else:
                module = node.module or ""
            found.append((node.lineno, module))
            found += [(node.lineno, f"{module}.{alias.name}") for alias in node.names]
        elif (isinstance(node, ast.Constant) and isinstance(node.value, str)
              and re.fullmatch(r"maillage(\.\w+)+", node.value)):
            # A dotted path imported later (``import_string``, ``import_module``…).
            found.append((node.lineno, node.value))
    return found


def _is_domain(module: str) -> bool:
    parts = module.split(".")
    return len(parts) >= 2 and parts[0] == "maillage" and parts[1] in DOMAIN_APPS


def core_modules():
    for path in sorted(CORE.rglob("*.py")):
        relative = path.relative_to(CORE)
        if "tests" in relative.parts:
            continue
        package = ".".join(("maillage", "core", *relative.parent.parts))
        yield path, package


def test_core_imports_no_domain_app():
    offending = []
    for path, package in core_modules():
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        for line, module in _imported(tree, package):
            if _is_domain(module):
                offending.append(f"{path.relative_to(CORE.parent.parent)}:{line} {module}")
    assert not offending, "core imports a domain app:\n" + "\n".join(sorted(set(offending)))


def test_the_walk_sees_imports():
    """The walk itself: it finds absolute, relative and late imports of a domain app."""
    source = ("import maillage.care\n"
              "from maillage.visits import selectors\n"
              "def f():\n    from ...oncall import dlu\n"
              "BADGE = 'maillage.portal.selectors.count'\n")
    found = [m for _, m in _imported(ast.parse(source), "maillage.core.management")]
    assert _is_domain("maillage.care") and "maillage.care" in found
    assert "maillage.visits" in found
    assert "maillage.oncall" in found
    assert "maillage.portal.selectors.count" in found
    assert not _is_domain("maillage.core.audit")
