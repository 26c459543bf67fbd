"""Birthplaces (INS trait « lieu de naissance »): communes since 1943 and countries abroad.

Read from the vendored ``data/birthplaces.csv.gz`` (INSEE COG, see ``data/README.md``) into an
in-process index on first use: national reference data, the same for every CRT, never
written by the application. About 42 000 entries; a search scans them once (a few ms).
"""

import csv
import gzip
import re
from dataclasses import dataclass
from datetime import date
from functools import cache
from pathlib import Path

from maillage.core.folding import fold

DATA = Path(__file__).with_name("data") / "birthplaces.csv.gz"
SEARCH_LIMIT = 15
MIN_QUERY = 2
# The order a search lists places of equal relevance in.
KIND_ORDER = {"C": 0, "A": 1, "P": 2, "D": 3, "S": 4, "H": 5}
ABBREVIATIONS = {"st": "saint", "ste": "sainte", "sts": "saints", "stes": "saintes"}
DEPARTMENTS = {
    "01": "Ain", "02": "Aisne", "03": "Allier", "04": "Alpes-de-Haute-Provence",
    "05": "Hautes-Alpes", "06": "Alpes-Maritimes", "07": "Ardèche", "08": "Ardennes",
    "09": "Ariège", "10": "Aube", "11": "Aude", "12": "Aveyron", "13": "Bouches-du-Rhône",
    "14": "Calvados", "15": "Cantal", "16": "Charente", "17": "Charente-Maritime",
    "18": "Cher", "19": "Corrèze", "20": "Corse (avant 1976)", "2A": "Corse-du-Sud",
    "2B": "Haute-Corse", "21": "Côte-d'Or", "22": "Côtes-d'Armor", "23": "Creuse",
    "24": "Dordogne", "25": "Doubs", "26": "Drôme", "27": "Eure", "28": "Eure-et-Loir",
    "29": "Finistère", "30": "Gard", "31": "Haute-Garonne", "32": "Gers", "33": "Gironde",
    "34": "Hérault", "35": "Ille-et-Vilaine", "36": "Indre", "37": "Indre-et-Loire",
    "38": "Isère", "39": "Jura", "40": "Landes", "41": "Loir-et-Cher", "42": "Loire",
    "43": "Haute-Loire", "44": "Loire-Atlantique", "45": "Loiret", "46": "Lot",
    "47": "Lot-et-Garonne", "48": "Lozère", "49": "Maine-et-Loire", "50": "Manche",
    "51": "Marne", "52": "Haute-Marne", "53": "Mayenne", "54": "Meurthe-et-Moselle",
    "55": "Meuse", "56": "Morbihan", "57": "Moselle", "58": "Nièvre", "59": "Nord",
    "60": "Oise", "61": "Orne", "62": "Pas-de-Calais", "63": "Puy-de-Dôme",
    "64": "Pyrénées-Atlantiques", "65": "Hautes-Pyrénées", "66": "Pyrénées-Orientales",
    "67": "Bas-Rhin", "68": "Haut-Rhin", "69": "Rhône", "70": "Haute-Saône",
    "71": "Saône-et-Loire", "72": "Sarthe", "73": "Savoie", "74": "Haute-Savoie",
    "75": "Paris", "76": "Seine-Maritime", "77": "Seine-et-Marne", "78": "Yvelines",
    "79": "Deux-Sèvres", "80": "Somme", "81": "Tarn", "82": "Tarn-et-Garonne", "83": "Var",
    "84": "Vaucluse", "85": "Vendée", "86": "Vienne", "87": "Haute-Vienne", "88": "Vosges",
    "89": "Yonne", "90": "Territoire de Belfort", "91": "Essonne", "92": "Hauts-de-Seine",
    "93": "Seine-Saint-Denis", "94": "Val-de-Marne", "95": "Val-d'Oise",
    "971": "Guadeloupe", "972": "Martinique", "973": "Guyane", "974": "La Réunion",
    "975": "Saint-Pierre-et-Miquelon", "976": "Mayotte", "977": "Saint-Barthélemy",
    "978": "Saint-Martin", "986": "Wallis-et-Futuna", "987": "Polynésie française",
    "988": "Nouvelle-Calédonie", "989": "Île de Clipperton",
}


@dataclass(frozen=True, slots=True)
class BirthPlace:
    code: str
    name: str
    kind: str  # C, A, D, S, H, P (see data/build_birthplaces.py)
    department: str
    periods: tuple[tuple[str, str], ...]  # as a commune under this name
    exists: tuple[tuple[str, str], ...]  # as a commune, associée or déléguée
    parent: str
    population: int

    @property
    def is_country(self) -> bool:
        return self.kind == "P"

    @property
    def department_label(self) -> str:
        if self.is_country:
            return "étranger"
        name = DEPARTMENTS.get(self.department)
        return f"{name} ({self.department})" if name else self.department

    @property
    def status(self) -> str:
        """What the place is, in French, with the dates the history gives."""
        if self.kind == "C":
            return "commune"
        if self.kind == "A":
            return f"arrondissement municipal de {self.parent}"
        if self.kind == "P":
            return f"pays ou territoire ({self.parent})" if self.parent else "pays"
        until = _last_end_year(self.periods)
        if self.kind == "D":
            text = f"commune déléguée de {self.parent}"
            return f"{text} (commune jusqu'en {until})" if until else text
        if self.kind == "S":
            text = f"commune associée à {self.parent}"
            return f"{text} (depuis {until})" if until else text
        text = f"ancienne commune, jusqu'en {until}" if until else "ancienne commune"
        return f"{text} — aujourd'hui {self.parent}" if self.parent else text

    @property
    def label(self) -> str:
        where = "" if self.is_country else f", {self.department_label}"
        return f"{self.name}{where} — {self.status}"

    def as_json(self) -> dict:
        return {"code": self.code, "name": self.name, "department": self.department_label,
                "status": self.status, "label": self.label}


def _last_end_year(spans) -> str:
    ends = [end for _, end in spans if end and end != "?"]
    if any(end == "?" for _, end in spans):
        return "après 2019"
    return max(ends)[:4] if ends else ""


def _spans(text: str) -> tuple[tuple[str, str], ...]:
    return tuple(tuple(span.split("/", 1)) for span in text.split()) if text else ()


def normalize(text: str) -> str:
    """Lower case, no accents, hyphens and apostrophes as spaces, « st » as « saint »."""
    words = fold(text).split()
    return " ".join(ABBREVIATIONS.get(word, word) for word in words)


@cache
def _index() -> tuple[tuple[tuple[str, BirthPlace], ...], dict[str, tuple[BirthPlace, ...]]]:
    entries, by_code = [], {}
    with gzip.open(DATA, "rt", encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            place = BirthPlace(
                code=row["code"], name=row["name"], kind=row["kind"],
                department=row["department"], periods=_spans(row["periods"]),
                exists=_spans(row["exists"]), parent=row["parent"],
                population=int(row["population"] or 0),
            )
            entries.append((normalize(place.name), place))
            by_code.setdefault(place.code, []).append(place)
    order = {code: tuple(sorted(places, key=lambda p: KIND_ORDER[p.kind]))
             for code, places in by_code.items()}
    return tuple(entries), order


def search(query: str, limit: int = SEARCH_LIMIT) -> list[BirthPlace]:
    """Places whose name starts with (then contains a word starting with) what was typed,
    or whose code starts with it; current communes and countries before former ones."""
    entries, by_code = _index()
    raw = (query or "").strip().upper()
    if re.fullmatch(r"(\d|2A|2B)[0-9AB]{1,4}", raw):
        codes = sorted(code for code in by_code if code.startswith(raw))[:limit]
        return [place for code in codes for place in by_code[code]][:limit]
    wanted = normalize(query)
    if len(wanted) < MIN_QUERY:
        return []
    word = " " + wanted
    found = []
    for key, place in entries:
        if key.startswith(wanted):
            rank = 0 if len(key) == len(wanted) else 1
        elif word in " " + key:
            rank = 2
        else:
            continue
        found.append((rank, KIND_ORDER[place.kind], -place.population, key, place.code, place))
    found.sort(key=lambda item: item[:5])
    return [item[-1] for item in found[:limit]]


def places_for(code: str) -> tuple[BirthPlace, ...]:
    return _index()[1].get((code or "").upper(), ())


def by_exact_name(name: str) -> list[BirthPlace]:
    """Places whose name is exactly the one typed (accents, case and hyphens aside)."""
    wanted = normalize(name)
    if not wanted:
        return []
    return sorted(
        (place for key, place in _index()[0] if key == wanted),
        key=lambda p: (KIND_ORDER[p.kind], -p.population, p.code),
    )


def place_on(code: str, on: date | None = None) -> BirthPlace | None:
    """The place a code designates, under the name it had as a commune on that day when the
    reference knows it (else its current name)."""
    places = places_for(code)
    if not places:
        return None
    if on is not None:
        iso = on.isoformat()
        for place in places:
            if any((not start or start <= iso) and (not end or end == "?" or iso < end)
                   for start, end in place.periods):
                return place
    return places[0]


def describe(code: str, on: date | None = None) -> str:
    """« Cholet, Maine-et-Loire (49) » for a code (see ``place_on``), or "" if unknown."""
    place = place_on(code, on)
    if place is None:
        return ""
    where = "" if place.is_country else f", {place.department_label}"
    return f"{place.name}{where}"


def existed_on(code: str, day: date) -> bool | None:
    """Whether the code designated a commune on that day: None when the reference cannot
    tell (unknown code, country, or a place whose dates are not known)."""
    places = places_for(code)
    if not places or any(p.is_country for p in places):
        return None
    iso = day.isoformat()
    for place in places:
        if not place.exists:
            return None
        for start, end in place.exists:
            if (not start or start <= iso) and (not end or end == "?" or iso < end):
                return True
    return False


def validity_text(code: str) -> str:
    """When a code designated a commune, for an error message: « de 1956 à 2019 »."""
    parts = []
    for place in places_for(code):
        for start, end in place.exists:
            since = f"de {start[:4]}" if start else "avant 1943"
            until = f" à {end[:4]}" if end and end != "?" else ""
            parts.append(f"{place.name} ({since}{until})" if start or until else place.name)
    return ", ".join(parts)
