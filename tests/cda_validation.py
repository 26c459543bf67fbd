"""Validate a CDA document against the CDA schema and an ANS CI-SIS schematron (tests only).

The ANS material is vendored as test fixtures in ``tests/fixtures/ans_cda`` (see ORIGIN.md there).
Schema: ``lxml.etree.XMLSchema`` on ``infrastructure/cda/CDA_extended.xsd``. Schematron: the
ISO reference pipeline run with Saxon (saxonche) — ``iso_dsdl_include.xsl`` →
``iso_abstract_expand.xsl`` → ``iso_svrl_for_xslt2.xsl`` gives an XSLT that, applied to the
document, writes an SVRL report; the failed asserts and successful reports
(``svrl:failed-assert``, ``svrl:successful-report``: the ANS schematrons use ``report`` for
errors too) are the errors.

The generated XSLT is cached on disk, keyed by a hash of the fixture files, so the pipeline runs
once per machine until the fixtures change; each process compiles it once (``lru_cache``)."""

import hashlib
import os
import re
import tempfile
from dataclasses import dataclass
from functools import cache, lru_cache
from pathlib import Path

from lxml import etree

FIXTURES = Path(__file__).parent / "fixtures" / "ans_cda"
SCHEMATRONS = FIXTURES / "schematrons"
ENGINE = SCHEMATRONS / "moteur"
DLU_SCH = "CI-SIS_DLU-EHPAD-DLU_2022.01.sch"
FLUDT_SCH = "CI-SIS_DLU-EHPAD-FLUDT_2022.01.sch"
#: The CI-SIS cross-model profiles: sections (ANS rules) and entries (French rules on IHE
#: entries, value sets). Run with the volet's schematron by ``validate``.
PROFILES = ("profils/CI-SIS_Modeles_ANS.sch", "profils/CI-SIS_ModelesDeContenusCDA.sch")
SVRL = "http://purl.oclc.org/dsdl/svrl"


@dataclass
class Report:
    schema_errors: list[str]
    #: The texts of the failed asserts and successful reports (each prefixed by its test).
    schematron_errors: list[str]

    @property
    def ok(self) -> bool:
        return not self.schema_errors and not self.schematron_errors

    def __str__(self) -> str:
        return "\n".join(["schema:", *self.schema_errors, "schematron:", *self.schematron_errors])


def available() -> bool:
    return (FIXTURES / "infrastructure" / "cda" / "CDA_extended.xsd").exists()


@lru_cache(maxsize=1)
def _schema() -> etree.XMLSchema:
    return etree.XMLSchema(etree.parse(str(FIXTURES / "infrastructure" / "cda"
                                           / "CDA_extended.xsd")))


@lru_cache(maxsize=1)
def _processor():
    from saxonche import PySaxonProcessor

    return PySaxonProcessor(license=False)


def _sources_hash() -> str:
    digest = hashlib.sha256(str(FIXTURES.resolve()).encode())
    for path in sorted(SCHEMATRONS.rglob("*")):
        if path.is_file() and path.suffix in (".sch", ".xsl"):
            digest.update(path.relative_to(SCHEMATRONS).as_posix().encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def _run(xslt: Path, *, source_file: Path) -> str:
    """Apply the stylesheet file ``xslt`` to the file ``source_file``."""
    executable = _processor().new_xslt30_processor().compile_stylesheet(stylesheet_file=str(xslt))
    return executable.transform_to_string(source_file=str(source_file))


def _compiled_path(sch: str) -> Path:
    """The schematron ``sch`` turned into an XSLT, cached on disk."""
    cache = Path(tempfile.gettempdir()) / f"maillage-cda-{_sources_hash()}"
    name = sch.removesuffix(".sch").replace("/", "-")
    target = cache / f"{name}.xsl"
    if target.exists():
        return target
    cache.mkdir(exist_ok=True)
    included = _run(ENGINE / "iso_dsdl_include.xsl", source_file=SCHEMATRONS / sch)
    # Intermediate files per process: two test workers may compile at the same time.
    step1 = cache / f"{name}.{os.getpid()}.included.sch"
    step1.write_text(included, encoding="utf-8")
    expanded = _run(ENGINE / "iso_abstract_expand.xsl", source_file=step1)
    step2 = cache / f"{name}.{os.getpid()}.expanded.sch"
    step2.write_text(expanded, encoding="utf-8")
    xslt = _run(ENGINE / "iso_svrl_for_xslt2.xsl", source_file=step2)
    step1.unlink()
    step2.unlink()
    # The value sets are named relative to the schematron's folder ('../jeuxDeValeurs/x.xml',
    # '../../jeuxDeValeurs/x.xml' for a profile; read with document()): make them absolute,
    # the XSLT lives in the cache.
    xslt = re.sub(r"'(?:\.\./)+jeuxDeValeurs/",
                  f"'{(FIXTURES / 'jeuxDeValeurs').resolve().as_uri()}/", xslt)
    tmp = target.with_suffix(f".{os.getpid()}.tmp")
    tmp.write_text(xslt, encoding="utf-8")
    tmp.replace(target)
    return target


@cache
def _executable(sch: str):
    xp = _processor().new_xslt30_processor()
    return xp.compile_stylesheet(stylesheet_file=str(_compiled_path(sch)))


def schematron_errors(document: bytes, sch: str) -> list[str]:
    """The errors the schematron ``sch`` (a file name in ``schematrons/``) finds in ``document``."""
    node = _processor().parse_xml(xml_text=document.decode("utf-8"))
    svrl = _executable(sch).transform_to_string(xdm_node=node)
    tree = etree.fromstring(svrl.encode("utf-8"))
    errors = []
    for failed in tree.iter(f"{{{SVRL}}}failed-assert", f"{{{SVRL}}}successful-report"):
        text = " ".join("".join(failed.itertext()).split())
        errors.append(f"{failed.get('location')}: {text}")
    return errors


def schema_errors(document: bytes) -> list[str]:
    schema = _schema()
    doc = etree.fromstring(document)
    if schema.validate(doc):
        return []
    return [f"line {e.line}: {e.message}" for e in schema.error_log]


def validate(document: bytes, sch: str, *, profiles: bool = True) -> Report:
    """The CDA schema, the volet's schematron ``sch`` and (``profiles``) the CI-SIS profiles."""
    errors = schematron_errors(document, sch)
    for profile in PROFILES if profiles else ():
        errors += schematron_errors(document, profile)
    return Report(schema_errors=schema_errors(document), schematron_errors=errors)
