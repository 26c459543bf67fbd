"""Uploaded files judged on their content: magic bytes, then structure, and no polyglot.

A file accepted as a PDF or an image must be only that: a PDF that is also an HTML page or a ZIP
archive (a "polyglot") could be opened as the other type by some software. So:

- PDF: starts with ``%PDF-``, ends with ``%%EOF`` (only blank bytes after it), and pypdf can read
  its pages (a password-protected PDF is refused: nobody could read it in the file anyway);
- PNG: the signature, then chunks with valid CRCs from ``IHDR`` to ``IEND``, nothing after;
- JPEG: segments from SOI to EOI, nothing after; the image decodes (Pillow), size bounded;
- any type: no HTML/script markers and no ZIP structure anywhere in the bytes.

Served files also go out as attachments with ``X-Content-Type-Options: nosniff``
(``core.downloads``)."""

import io
import re
import struct
import warnings
import zipfile
import zlib
from dataclasses import dataclass


@dataclass(frozen=True)
class UploadKind:
    content_type: str
    extension: str


PDF = UploadKind("application/pdf", ".pdf")
PNG = UploadKind("image/png", ".png")
JPEG = UploadKind("image/jpeg", ".jpg")

MAGIC = {b"%PDF-": PDF, b"\x89PNG\r\n\x1a\n": PNG, b"\xff\xd8\xff": JPEG}
MAX_PIXELS = 50_000_000  # a 50-megapixel photo; beyond, a decompression bomb is likelier

REFUSED_TYPE = "Type de fichier refusé : seuls les PDF, PNG et JPEG sont acceptés."
POLYGLOT = ("Fichier refusé : il contient aussi une page web ou une archive (fichier piégé ou "
            "mal converti). Enregistrez-le de nouveau en PDF, PNG ou JPEG et réessayez.")
DAMAGED = "Fichier illisible ou endommagé ({kind}) : enregistrez-le de nouveau et réessayez."

_MARKUP = re.compile(
    rb"<\s*(html|script|body|head|iframe|frame|object|embed|svg|meta|link|form|img|style|"
    rb"base|applet|\?php|!doctype\s+html)[\s>/]|javascript:",
    re.IGNORECASE,
)
# A ZIP local file header: signature, then "version needed to extract" (1.0, 2.0, 4.5, 6.3…).
_ZIP_LOCAL = re.compile(rb"PK\x03\x04[\x0a\x14\x2d\x3f]\x00")
# The end of a ZIP's central directory: ZIP readers look for it in the last 64 KiB.
_ZIP_END = b"PK\x05\x06"
_ZIP_END_WINDOW = 65_535 + 22


class UploadRefusedError(ValueError):
    """The file is not an acceptable PDF/PNG/JPEG; ``message`` says why, in French."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


def sniff(head: bytes) -> UploadKind | None:
    for magic, kind in MAGIC.items():
        if head.startswith(magic):
            return kind
    return None


def inspect_upload(data: bytes) -> UploadKind:
    """The kind of ``data``, or ``UploadRefusedError``."""
    if not data:
        raise UploadRefusedError("Le fichier est vide.")
    kind = sniff(data[:16])
    if kind is None:
        raise UploadRefusedError(REFUSED_TYPE)
    if _is_polyglot(data):
        raise UploadRefusedError(POLYGLOT)
    {PDF: _check_pdf, PNG: _check_png, JPEG: _check_jpeg}[kind](data)
    return kind


def _is_polyglot(data: bytes) -> bool:
    if _MARKUP.search(data) or _ZIP_LOCAL.search(data):
        return True
    if _ZIP_END in data[-_ZIP_END_WINDOW:]:
        return True
    return zipfile.is_zipfile(io.BytesIO(data))


def _check_pdf(data: bytes) -> None:
    tail = data[-1024:]
    end = tail.rfind(b"%%EOF")
    if end < 0 or tail[end + 5:].strip(b" \t\r\n\x00\x0c"):
        raise UploadRefusedError(DAMAGED.format(kind="PDF incomplet ou suivi d'autres données"))
    from pypdf import PdfReader

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            reader = PdfReader(io.BytesIO(data), strict=False)
            if reader.is_encrypted and not reader.decrypt(""):
                raise UploadRefusedError(
                    "Ce PDF est protégé par un mot de passe : enregistrez-en une copie sans mot "
                    "de passe et réessayez.")
            if len(reader.pages) < 1:
                raise UploadRefusedError(DAMAGED.format(kind="PDF sans page"))
    except UploadRefusedError:
        raise
    except Exception as exc:  # noqa: BLE001 - pypdf raises many kinds on a broken file
        raise UploadRefusedError(DAMAGED.format(kind="PDF")) from exc


def _check_png(data: bytes) -> None:
    pos, first = 8, True
    while True:
        if pos + 12 > len(data):
            raise UploadRefusedError(DAMAGED.format(kind="PNG incomplet"))
        length, chunk = struct.unpack(">I4s", data[pos:pos + 8])
        end = pos + 12 + length
        if end > len(data) or (first and chunk != b"IHDR"):
            raise UploadRefusedError(DAMAGED.format(kind="PNG"))
        crc = struct.unpack(">I", data[end - 4:end])[0]
        if zlib.crc32(data[pos + 4:end - 4]) != crc:
            raise UploadRefusedError(DAMAGED.format(kind="PNG"))
        first, pos = False, end
        if chunk == b"IEND":
            break
    if data[pos:]:
        raise UploadRefusedError(DAMAGED.format(kind="PNG suivi d'autres données"))
    _check_image(data, "PNG")


def _jpeg_end(data: bytes) -> int:
    """The offset just after the image's EOI marker (segments walked, thumbnails skipped)."""
    pos, size = 2, len(data)
    while pos < size:
        if data[pos] != 0xFF:
            raise UploadRefusedError(DAMAGED.format(kind="JPEG"))
        while pos < size and data[pos] == 0xFF:  # fill bytes
            pos += 1
        if pos >= size:
            break
        marker = data[pos]
        pos += 1
        if marker == 0xD9:  # EOI
            return pos
        if 0xD0 <= marker <= 0xD7 or marker == 0x01:  # no length
            continue
        if pos + 2 > size:
            break
        length = struct.unpack(">H", data[pos:pos + 2])[0]
        if length < 2:
            break
        pos += length
        if marker == 0xDA:  # start of scan: entropy-coded data up to the next real marker
            while pos + 1 < size:
                if data[pos] == 0xFF and data[pos + 1] != 0x00 and not (
                        0xD0 <= data[pos + 1] <= 0xD7):
                    break
                pos += 1
    raise UploadRefusedError(DAMAGED.format(kind="JPEG incomplet"))


def _check_jpeg(data: bytes) -> None:
    end = _jpeg_end(data)
    if data[end:].strip(b"\x00"):
        raise UploadRefusedError(
            "Ce JPEG contient d'autres données après l'image (photo animée, fichier piégé…) : "
            "exportez-le en JPEG simple et réessayez.")
    _check_image(data, "JPEG")


def _check_image(data: bytes, fmt: str) -> None:
    from PIL import Image

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as image:
                if image.format != fmt:
                    raise UploadRefusedError(DAMAGED.format(kind=fmt))
                width, height = image.size
                if width * height > MAX_PIXELS:
                    raise UploadRefusedError(
                        "Image trop grande (plus de 50 millions de pixels) : réduisez-la.")
                image.load()
    except UploadRefusedError:
        raise
    except Exception as exc:  # noqa: BLE001 - Pillow raises many kinds on a broken file
        raise UploadRefusedError(DAMAGED.format(kind=fmt)) from exc
