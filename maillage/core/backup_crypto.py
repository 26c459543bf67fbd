"""Streamed, authenticated encryption of backup files (``maillage backup`` / ``restore``).

The backup key (``BACKUP_KEY``: 32 random bytes, URL-safe base64) never encrypts data itself:
each file has a random 32-byte salt, and HKDF-SHA256 derives from key and salt the file's
AES-256-GCM key and a 16-byte key check (so a wrong key is told apart from a damaged file).

File layout::

    header   = MAGIC (8) | VERSION (1) | salt (32) | key check (16)
    chunk    = prefix (4, big-endian: bit 31 = last chunk, bits 0-30 = ciphertext length)
               | AES-256-GCM ciphertext of at most CHUNK bytes, tag included

Chunk ``i`` is encrypted with the nonce ``i`` (11 bytes, big-endian) followed by the last-chunk
flag (1 byte), and the header as associated data: the "STREAM" construction (Hoang, Reyhanitabar,
Rogaway, Vizár 2015). Reordering, dropping, duplicating or altering a chunk, changing the header,
cutting the file after any chunk or appending to it are all detected. Memory stays flat: one
chunk at a time.
"""

from __future__ import annotations

import base64
import binascii
import hmac
import os
import struct

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

MAGIC = b"MAILLAGE"
VERSION = 1
SALT_BYTES = 32
CHECK_BYTES = 16
HEADER_BYTES = len(MAGIC) + 1 + SALT_BYTES + CHECK_BYTES
CHUNK = 1024 * 1024
TAG_BYTES = 16
LAST = 0x8000_0000

NOTHING_RESTORED = "Rien n'a été restauré."


class BackupError(Exception):
    """A backup or restore refused or failed; ``message`` says why, in French."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


def new_key() -> str:
    """A fresh ``BACKUP_KEY``."""
    return base64.urlsafe_b64encode(os.urandom(32)).decode()


def parse_key(value: str | None) -> bytes:
    """The 32 bytes of ``BACKUP_KEY``, or ``BackupError`` with what to do."""
    if not value:
        raise BackupError(
            "BACKUP_KEY n'est pas défini : la clé de sauvegarde doit être donnée dans "
            "l'environnement (une clé neuve : « maillage backup --nouvelle-cle »)."
        )
    try:
        key = base64.urlsafe_b64decode(value.strip().encode("ascii"))
    except (binascii.Error, ValueError, UnicodeEncodeError):
        key = b""
    if len(key) != 32:
        raise BackupError(
            "BACKUP_KEY est invalide : il faut 32 octets aléatoires encodés en base64 URL "
            "(44 caractères), comme ceux que donne « maillage backup --nouvelle-cle »."
        )
    return key


def _derive(key: bytes, salt: bytes) -> tuple[bytes, bytes]:
    material = HKDF(algorithm=hashes.SHA256(), length=32 + CHECK_BYTES, salt=salt,
                    info=b"maillage backup v1").derive(key)
    return material[:32], material[32:]


def _nonce(counter: int, last: bool) -> bytes:
    return counter.to_bytes(11, "big") + (b"\x01" if last else b"\x00")


class EncryptingWriter:
    """A write-only file object: what is written goes encrypted to ``raw``. ``finish()`` writes
    the last chunk (mandatory: a file without it is refused as truncated)."""

    def __init__(self, raw, key: bytes):
        salt = os.urandom(SALT_BYTES)
        file_key, check = _derive(key, salt)
        self._aead = AESGCM(file_key)
        self._raw = raw
        self._header = MAGIC + bytes([VERSION]) + salt + check
        self._raw.write(self._header)
        self._buffer = bytearray()
        self._counter = 0
        self._finished = False

    def write(self, data) -> int:
        if self._finished:
            raise ValueError("write after finish()")
        self._buffer += data
        # Keep at least one byte back: the last chunk is only known at finish().
        while len(self._buffer) > CHUNK:
            self._emit(bytes(self._buffer[:CHUNK]), last=False)
            del self._buffer[:CHUNK]
        return len(data)

    def _emit(self, plain: bytes, *, last: bool) -> None:
        sealed = self._aead.encrypt(_nonce(self._counter, last), plain, self._header)
        self._raw.write(struct.pack(">I", len(sealed) | (LAST if last else 0)) + sealed)
        self._counter += 1

    def finish(self) -> None:
        if not self._finished:
            self._emit(bytes(self._buffer), last=True)
            self._buffer.clear()
            self._finished = True

    def flush(self) -> None:
        self._raw.flush()


class DecryptingReader:
    """A read-only file object over an encrypted backup: each chunk is authenticated before any
    of its bytes is given out. ``BackupError`` on a wrong key, an altered or a truncated file.
    ``read_to_end()`` must be called once the consumer is done: only then is it known that the
    file was whole (its last chunk present, nothing after it)."""

    def __init__(self, raw, key: bytes):
        header = raw.read(HEADER_BYTES)
        if len(header) < len(MAGIC) + 1 or not header.startswith(MAGIC):
            raise BackupError(f"Ce fichier n'est pas une sauvegarde Maillage. {NOTHING_RESTORED}")
        if header[len(MAGIC)] != VERSION:
            raise BackupError(
                f"Format de sauvegarde inconnu (version {header[len(MAGIC)]}) : cette sauvegarde "
                f"vient d'une version plus récente de Maillage. {NOTHING_RESTORED}"
            )
        if len(header) < HEADER_BYTES:
            raise _truncated()
        salt = header[len(MAGIC) + 1:len(MAGIC) + 1 + SALT_BYTES]
        file_key, check = _derive(key, salt)
        if not hmac.compare_digest(check, header[-CHECK_BYTES:]):
            raise BackupError(
                "Clé de sauvegarde incorrecte : ce fichier n'a pas été chiffré avec la clé "
                f"BACKUP_KEY donnée (ou son en-tête est endommagé). {NOTHING_RESTORED}"
            )
        self._aead = AESGCM(file_key)
        self._raw = raw
        self._header = header
        self._counter = 0
        self._buffer = b""
        self._offset = 0
        self._done = False

    def _next_chunk(self) -> bool:
        if self._done:
            return False
        prefix = self._raw.read(4)
        if len(prefix) < 4:
            raise _truncated()
        (word,) = struct.unpack(">I", prefix)
        last, size = bool(word & LAST), word & ~LAST
        if size < TAG_BYTES or size > CHUNK + TAG_BYTES:
            raise _altered()
        sealed = self._raw.read(size)
        if len(sealed) < size:
            raise _truncated()
        try:
            self._buffer = self._aead.decrypt(_nonce(self._counter, last), sealed, self._header)
        except InvalidTag:
            raise _altered() from None
        self._offset = 0
        self._counter += 1
        if last:
            if self._raw.read(1):
                raise _altered()
            self._done = True
        return True

    def read(self, size: int = -1) -> bytes:
        out = bytearray()
        while size < 0 or len(out) < size:
            if self._offset >= len(self._buffer) and not self._next_chunk():
                break
            want = len(self._buffer) - self._offset if size < 0 else size - len(out)
            piece = self._buffer[self._offset:self._offset + want]
            self._offset += len(piece)
            out += piece
        return bytes(out)

    def read_to_end(self) -> None:
        """Authenticate the rest of the file (it must end with its last chunk, then nothing)."""
        while self._next_chunk():
            pass


def _truncated() -> BackupError:
    return BackupError(
        "Sauvegarde tronquée : le fichier s'arrête avant sa fin (copie interrompue ?). "
        f"{NOTHING_RESTORED}"
    )


def _altered() -> BackupError:
    return BackupError(
        "Sauvegarde altérée : son contenu chiffré ne correspond plus (fichier modifié ou "
        f"endommagé). {NOTHING_RESTORED}"
    )
