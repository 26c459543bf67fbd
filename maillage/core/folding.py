"""Text folded for matching: what a person types finds what was written, accents, case,
hyphens and apostrophes aside (« helene dupre » finds « Hélène DUPRÉ-Lefèvre »)."""

import re
import unicodedata


def fold(text: str) -> str:
    """Lower case, no accents, ligatures spelt out, every run of other characters one space."""
    text = unicodedata.normalize("NFKD", text or "")
    text = "".join(c for c in text if not unicodedata.combining(c)).lower()
    text = text.replace("œ", "oe").replace("æ", "ae").replace("ß", "ss")
    return " ".join(re.sub(r"[^a-z0-9]+", " ", text).split())


def words_key(*texts: str) -> str:
    """The words of ``texts`` folded, each preceded by a space: ``key.contains(" " + fold(w))``
    is « a word starts with w », ``key.contains(fold(w))`` is « w appears »."""
    words = " ".join(fold(t) for t in texts if t).split()
    return "".join(f" {word}" for word in words)
