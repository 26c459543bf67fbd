"""The INS DataMatrix printed on the documents that identify a person (docs/ins-datamatrix.md).

Format (ANS « INS — Format datamatrix », as implemented by public codebases; what was checked
and what was not is in the doc): a 26-character header ``IS`` + version ``01`` + 22 zeros,
then the fields ``S1``…``S7``, each an identifier followed by its value:

====  ==============================  ========  =========================================
S1    matricule INS (NIR or NIA)      15        fixed
S2    OID of the matricule            19-20     variable
S3    birth given-name list           1-100     variable, names separated by one space
S4    birth family name               1-100     variable
S5    sex                             1         fixed, ``M`` or ``F``
S6    birth date                      10        fixed, ``JJ-MM-AAAA``
S7    INSEE code of the birthplace    5         fixed (``2A``/``2B`` kept, ``99xxx`` abroad)
====  ==============================  ========  =========================================

A variable-length field shorter than its maximum, and not the last field, is closed by
``<GS>`` (ASCII 29); fixed-length fields and a variable field at its maximum are not.

Only a qualified identity may carry the matricule (``Beneficiary.ins_travels``): ``payload``
returns None otherwise. A qualified identity whose traits cannot be written in the format
(sex « indéterminé », a list of given names longer than 100 characters, characters with no
A-Z equivalent) raises ``InsDatamatrixError``: cutting a trait would print an identity that
no longer matches the INSi one, so the document then shows the INS without the code (and the
error is logged for the identito-vigilance referent)."""

import logging
import re
import unicodedata
from dataclasses import dataclass

from django.utils.safestring import SafeString, mark_safe

logger = logging.getLogger(__name__)

HEADER = "IS01" + "0" * 22
GS = "\x1d"

#: (identifier, minimum length, maximum length), in the order of the format.
FIELDS = (
    ("S1", 15, 15),
    ("S2", 19, 20),
    ("S3", 1, 100),
    ("S4", 1, 100),
    ("S5", 1, 1),
    ("S6", 10, 10),
    ("S7", 5, 5),
)
_LENGTHS = {ident: (low, high) for ident, low, high in FIELDS}

#: The characters of the INSi names: upper-case A-Z, space, hyphen, apostrophe.
_NAME = re.compile(r"[A-Z]+(?:[ '-][A-Z]+)*")
_LIGATURES = {"Œ": "OE", "œ": "OE", "Æ": "AE", "æ": "AE", "ß": "SS"}


class InsDatamatrixError(ValueError):
    """A qualified identity whose traits cannot be written in the DataMatrix (French)."""


def _name(value: str, label: str) -> str:
    """``value`` as INSi writes names: upper case, no accents, single spaces, straight
    apostrophe. Anything else (a digit, a comma…) is refused rather than dropped."""
    text = "".join(_LIGATURES.get(c, c) for c in value or "")
    text = unicodedata.normalize("NFKD", text.replace("’", "'"))
    text = "".join(c for c in text if not unicodedata.combining(c)).upper()
    text = " ".join(text.split())
    if not _NAME.fullmatch(text):
        raise InsDatamatrixError(
            f"{label} contient des caractères que le DataMatrix INS n'admet pas "
            "(lettres sans accent, espace, tiret, apostrophe).")
    return text


def _field(ident: str, value: str, *, last: bool) -> str:
    low, high = _LENGTHS[ident]
    if not low <= len(value) <= high:
        raise InsDatamatrixError(
            f"Le champ {ident} du DataMatrix INS doit compter de {low} à {high} caractères "
            f"({len(value)} ici).")
    closed = low != high and len(value) < high and not last
    return f"{ident}{value}{GS if closed else ''}"


def fields(beneficiary) -> dict[str, str] | None:
    """The values S1…S7 of the person's DataMatrix, or None when the identity is not
    qualified. Raises ``InsDatamatrixError`` when a qualified identity does not fit."""
    from .identity import Sex, normalize_matricule

    b = beneficiary
    if not b.ins_travels or not b.ins_matricule or not b.ins_oid:
        return None
    if b.sex not in (Sex.MALE, Sex.FEMALE):
        raise InsDatamatrixError(
            "Le DataMatrix INS ne code que les sexes M et F (l'INSi ne renvoie pas d'autre "
            "valeur) : vérifiez le sexe de l'identité qualifiée.")
    values = {
        "S1": normalize_matricule(b.ins_matricule),
        "S2": b.ins_oid.strip(),
        "S3": _name(b.first_names, "La liste des prénoms de naissance"),
        "S4": _name(b.birth_name, "Le nom de naissance"),
        "S5": b.sex,
        "S6": f"{b.birth_date:%d-%m-%Y}",
        "S7": (b.birth_place_code or "").strip().upper(),
    }
    for ident, value in values.items():
        _field(ident, value, last=False)  # lengths checked before anything is printed
    return values


def payload(beneficiary) -> str | None:
    """The text of the person's DataMatrix, or None when the identity is not qualified."""
    values = fields(beneficiary)
    if values is None:
        return None
    last = FIELDS[-1][0]
    return HEADER + "".join(_field(ident, values[ident], last=ident == last)
                            for ident, _, _ in FIELDS)


def parse(text: str) -> dict[str, str]:
    """The fields of a DataMatrix text (the reverse of ``payload``): {"S1": …, …}.

    Each field is read by the format's rules: a fixed-length field takes its length, a
    variable one runs to ``<GS>`` or to its maximum length. Raises ``ValueError`` for a text
    that is not an INS DataMatrix."""
    if not text.startswith(HEADER):
        raise ValueError("Ce code n'est pas un DataMatrix INS (en-tête IS01 absent).")
    values, at = {}, len(HEADER)
    while at < len(text):
        ident = text[at:at + 2]
        if ident not in _LENGTHS:
            raise ValueError(f"Identifiant inattendu dans le DataMatrix INS : {ident!r}.")
        low, high = _LENGTHS[ident]
        at += 2
        if low == high:
            value, at = text[at:at + high], at + high
        else:
            end = text.find(GS, at, at + high + 1)
            if end == -1:
                value, at = text[at:at + high], at + high
            else:
                value, at = text[at:end], end + 1
        values[ident] = value
    return values


def symbol(text: str):
    """The square ECC200 DataMatrix of ``text`` (a ``zxingcpp.Barcode``)."""
    import zxingcpp  # a compiled library: loaded on first use only

    return zxingcpp.create_barcode(text, zxingcpp.BarcodeFormat.DataMatrix, force_square=True)


def svg(text: str, *, size_mm: float = 20) -> SafeString:
    """``text``'s DataMatrix as inline SVG markup, ``size_mm`` wide (quiet zone included),
    for the PDFs (WeasyPrint draws it as vectors; ``core.pdf`` refuses ``data:`` URLs)."""
    markup = symbol(text).to_svg(add_quiet_zones=True)
    start = markup.index("<svg")
    match = re.match(r'<svg width="(\d+)" height="(\d+)"', markup[start:])
    if match is None:  # pragma: no cover - zint's output changed
        raise RuntimeError("Unexpected SVG from zxing-cpp")
    width, height = match.groups()
    body = markup[start + match.end():]
    body = re.sub(r"<desc>.*?</desc>\s*", "", body, flags=re.S)
    # Safe: built by zxing-cpp from a checked payload (A-Z, digits, - . and space only).
    return mark_safe(  # noqa: S308
        f'<svg class="ins-dm" width="{size_mm}mm" height="{size_mm}mm" '
        f'viewBox="0 0 {width} {height}" shape-rendering="crispEdges" role="img" '
        f'aria-label="DataMatrix INS"{body}')


@dataclass(frozen=True)
class Printed:
    """What a document prints about the INS: the human-readable INS and, if it could be
    written, the DataMatrix."""

    matricule: str
    oid: str
    kind: str  # « NIR » or « NIA »
    datamatrix: SafeString | None


def for_document(beneficiary) -> Printed | None:
    """The INS block of a document, or None when the identity is not qualified (a document
    then prints no INS at all)."""
    from .identity import InsOid

    try:
        text = payload(beneficiary)
    except InsDatamatrixError as error:
        logger.warning("INS DataMatrix not printed for beneficiary %s: %s",
                       beneficiary.public_id, error)
        text = None
        if not (beneficiary.ins_travels and beneficiary.ins_matricule):
            return None
    else:
        if text is None:
            return None
    kind = "NIA" if beneficiary.ins_oid == InsOid.NIA else "NIR"
    return Printed(matricule=beneficiary.ins_matricule, oid=beneficiary.ins_oid, kind=kind,
                   datamatrix=svg(text) if text else None)
