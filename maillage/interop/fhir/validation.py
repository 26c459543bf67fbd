"""A resource sent to the API is first checked against the vendored FHIR R4 JSON schema
(``interop/schemas``, the one the tests validate our own output with): each fault becomes an
issue naming the element (FHIRPath-like ``expression``) in French."""

import gzip
import json
from functools import cache
from pathlib import Path

from jsonschema import Draft6Validator

from maillage.core.validators import has_control_characters

SCHEMA = Path(__file__).resolve().parents[1] / "schemas" / "fhir.schema.json.gz"
#: At most this many schema issues are answered (the first ones, by element).
MAX_ISSUES = 20

_JSON_TYPES = {"string": "une chaîne", "number": "un nombre", "integer": "un entier",
               "boolean": "un booléen (true/false)", "array": "une liste", "object": "un objet"}


@cache
def _validator(resource_type: str) -> Draft6Validator:
    with gzip.open(SCHEMA, "rt", encoding="utf-8") as f:
        definitions = json.load(f)["definitions"]
    for definition in definitions.values():
        # The published schema leaves the type of its complex types (an element with
        # properties) unsaid: a number where an object is expected would pass, and fail in
        # the code reading it.
        if "properties" in definition and "type" not in definition:
            definition["type"] = "object"
    return Draft6Validator({"$ref": f"#/definitions/{resource_type}",
                            "definitions": definitions})


def _expression(resource_type: str, path) -> str:
    out = resource_type
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else f".{part}"
    return out


def _french(error) -> str:
    kind = error.validator
    if kind == "required":
        missing = next((n for n in error.validator_value if n not in error.instance), "") \
            if isinstance(error.instance, dict) else ""
        return f"élément obligatoire manquant : « {missing} »."
    if kind == "type":
        expected = error.validator_value
        names = [expected] if isinstance(expected, str) else list(expected)
        return "valeur de type incorrect (attendu : " \
            + " ou ".join(_JSON_TYPES.get(n, n) for n in names) + ")."
    if kind == "additionalProperties":
        known = set(error.schema.get("properties", {}))
        unknown = sorted(set(error.instance) - known) if isinstance(error.instance, dict) else []
        return "élément inconnu de FHIR R4 : " + ", ".join(f"« {n} »" for n in unknown) + "."
    if kind == "enum":
        allowed = ", ".join(map(str, error.validator_value[:12]))
        return f"valeur non autorisée (valeurs possibles : {allowed})."
    if kind == "pattern":
        return "format de valeur invalide."
    if kind == "const":
        return f"valeur attendue : « {error.validator_value} »."
    return "non conforme au schéma FHIR R4."


def schema_issues(resource: dict) -> list[tuple[str, str]]:
    """(expression, French text) for each fault of ``resource`` against the R4 schema, then
    for each text holding a control or invisible character."""
    resource_type = resource.get("resourceType", "")
    errors = sorted(_validator(resource_type).iter_errors(resource),
                    key=lambda e: [str(p) for p in e.absolute_path])
    issues = []
    for error in errors[:MAX_ISSUES]:
        expression = _expression(resource_type, error.absolute_path)
        issues.append((expression, f"Élément « {expression} » : {_french(error)}"))
    for path in _texts_with_control_characters(resource):
        expression = _expression(resource_type, path)
        issues.append((expression, f"Élément « {expression} » : {CONTROL_CHARACTERS}"))
    return issues[:MAX_ISSUES]


#: FHIR's strings hold no character below 32 but tab and line breaks (R4, « string »); the
#: schema's pattern lets them pass. The web forms' rule (``core.validators``) refuses them,
#: and the invisible ones too (a NUL, which PostgreSQL cannot store; a bidirectional
#: override, which would disguise a text on screen).
CONTROL_CHARACTERS = ("caractère de contrôle ou invisible non autorisé (caractère nul, "
                      "inversion du sens du texte…).")


def _texts_with_control_characters(value, path=()):
    """The paths of the strings of ``value`` (keys included) that hold a character refused."""
    if isinstance(value, dict):
        for key, item in value.items():
            if has_control_characters(key):
                yield (*path, key)
            else:
                yield from _texts_with_control_characters(item, (*path, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _texts_with_control_characters(item, (*path, index))
    elif isinstance(value, str) and has_control_characters(value, multiline=True):
        yield path
