"""The synthetic Annuaire Santé extraction of the tests: the real header of
``PS_LibreAcces_Personne_activite`` (INTEROP.md §5, with the four columns newer files add),
made-up people with valid RPPS, FINESS and SIRET keys. ``python -m
maillage.territory.tests.annuaire_sample`` rewrites the committed files under ``data/``."""

import random
from pathlib import Path

from stdnum import luhn

HEADER = [
    "Type d'identifiant PP", "Identifiant PP", "Identification nationale PP",
    "Code civilité d'exercice", "Libellé civilité d'exercice", "Code civilité",
    "Libellé civilité", "Nom d'exercice", "Prénom d'exercice", "Code profession",
    "Libellé profession", "Code catégorie professionnelle", "Libellé catégorie professionnelle",
    "Code type savoir-faire", "Libellé type savoir-faire", "Code savoir-faire",
    "Libellé savoir-faire", "Code mode exercice", "Libellé mode exercice", "Numéro SIRET site",
    "Numéro SIREN site", "Numéro FINESS site", "Numéro FINESS établissement juridique",
    "Identifiant technique de la structure", "Raison sociale site", "Enseigne commerciale site",
    "Complément destinataire (coord. structure)",
    "Complément point géographique (coord. structure)", "Numéro Voie (coord. structure)",
    "Indice répétition voie (coord. structure)", "Code type de voie (coord. structure)",
    "Libellé type de voie (coord. structure)", "Libellé Voie (coord. structure)",
    "Mention distribution (coord. structure)", "Bureau cedex (coord. structure)",
    "Code postal (coord. structure)", "Code commune (coord. structure)",
    "Libellé commune (coord. structure)", "Code pays (coord. structure)",
    "Libellé pays (coord. structure)", "Téléphone (coord. structure)",
    "Téléphone 2 (coord. structure)", "Télécopie (coord. structure)",
    "Adresse e-mail (coord. structure)", "Code Département (structure)",
    "Libellé Département (structure)", "Ancien identifiant de la structure",
    "Autorité d'enregistrement", "Code secteur d'activité", "Libellé secteur d'activité",
    "Code section tableau pharmaciens", "Libellé section tableau pharmaciens", "Code rôle",
    "Libellé rôle", "Code genre activité", "Libellé genre activité",
]


def keyed(body: str) -> str:
    return body + luhn.calc_check_digit(body)


def rpps(n: int) -> str:
    return keyed(f"1{n:09d}")


SIRET_CABINET = keyed(keyed("44000000") + "0001")  # the SIREN carries its own key
SIRET_PHARMACY = keyed(keyed("44000001") + "0001")
FINESS_SSIAD = keyed("49000100")
FINESS_EHPAD = keyed("49000200")

GP, NURSE, PHYSIO, PHARMACIST, SPEECH, ELSEWHERE, AUDIO, GERIATRICIAN = (
    rpps(n) for n in (11, 12, 13, 14, 15, 16, 17, 18))

SEGRE = {"Code postal (coord. structure)": "49500",
         "Code commune (coord. structure)": "49331",
         "Libellé commune (coord. structure)": "Segré-en-Anjou Bleu",
         "Code Département (structure)": "49",
         "Libellé Département (structure)": "Maine-et-Loire"}


def person(number: str, last: str, first: str, code: str, label: str, **more) -> dict:
    return {"Type d'identifiant PP": "8", "Identifiant PP": number,
            "Identification nationale PP": "8" + number, "Nom d'exercice": last,
            "Prénom d'exercice": first, "Code profession": code, "Libellé profession": label,
            "Code pays (coord. structure)": "99000", "Libellé pays (coord. structure)": "France",
            **SEGRE, **more}


def rows() -> list[dict]:
    ssiad = {"Numéro FINESS site": FINESS_SSIAD, "Raison sociale site": "SSIAD du Haut-Anjou",
             "Numéro Voie (coord. structure)": "4", "Libellé type de voie (coord. structure)":
             "Rue", "Libellé Voie (coord. structure)": "de la Gare",
             "Téléphone (coord. structure)": "0241920000",
             "Adresse e-mail (coord. structure)": "ssiad@haut-anjou.example.fr",
             "Code secteur d'activité": "SA25", "Code mode exercice": "S"}
    return [
        person(GP, "MARTIN", "CLAIRE", "10", "Médecin",
               **{"Libellé savoir-faire": "Spécialiste en Médecine Générale",
                  "Numéro SIRET site": SIRET_CABINET,
                  "Raison sociale site": "Cabinet médical de la Mairie",
                  "Numéro Voie (coord. structure)": "1",
                  "Libellé type de voie (coord. structure)": "Place",
                  "Libellé Voie (coord. structure)": "de la Mairie",
                  "Code secteur d'activité": "SA07", "Code mode exercice": "L"}),
        person(NURSE, "BERNARD", "JULIE", "60", "Infirmier"),
        person(NURSE, "BERNARD", "JULIE", "60", "Infirmier", **ssiad),
        person(PHYSIO, "PETIT", "LUC", "70", "Masseur-Kinésithérapeute",
               **{"Code mode exercice": "L"}),
        person(PHARMACIST, "DUBOIS", "ANNE", "21", "Pharmacien",
               **{"Numéro SIRET site": SIRET_PHARMACY,
                  "Raison sociale site": "Pharmacie du Pont",
                  "Téléphone (coord. structure)": "0241920101"}),
        person(SPEECH, "ROBERT", "EMMA", "91", "Orthophoniste"),
        person(ELSEWHERE, "RICHARD", "PAUL", "10", "Médecin",
               **{"Code postal (coord. structure)": "44000",
                  "Code commune (coord. structure)": "44109",
                  "Libellé commune (coord. structure)": "Nantes",
                  "Code Département (structure)": "44",
                  "Libellé Département (structure)": "Loire-Atlantique"}),
        person("012345678", "DURAND", "MARC", "60", "Infirmier",
               **{"Type d'identifiant PP": "0", "Identification nationale PP": "0012345678"}),
        person(AUDIO, "MOREAU", "HUGO", "26", "Audioprothésiste"),
        person(GERIATRICIAN, "LEROY", "SOPHIE", "10", "Médecin",
               **{"Libellé savoir-faire": "Gériatrie", "Numéro FINESS site": FINESS_EHPAD,
                  "Raison sociale site": "EHPAD Les Tilleuls",
                  "Code secteur d'activité": "SA17", "Code mode exercice": "S"}),
    ]


def render(records: list[dict] | None = None, *, header: list[str] | None = None,
           encoding: str = "utf-8") -> bytes:
    """An extraction: header line, one line per record, each ending with « | »."""
    header = header or HEADER
    records = rows() if records is None else records
    lines = ["|".join(header) + "|"]
    lines += ["|".join(r.get(c, "") for c in header) + "|" for r in records]
    return ("\r\n".join(lines) + "\r\n").encode(encoding)


def shuffled_header() -> list[str]:
    header = list(HEADER)
    random.Random(15).shuffle(header)
    return header


DATA = Path(__file__).parent / "data"
FILES = {
    "PS_LibreAcces_Personne_activite_202611150000.txt": {},
    "PS_LibreAcces_Personne_activite_shuffled.txt": {"header": "shuffled"},
    "PS_LibreAcces_Personne_activite_latin1.txt": {"encoding": "latin-1"},
}


def write() -> None:
    for name, how in FILES.items():
        header = shuffled_header() if how.get("header") else None
        (DATA / name).write_bytes(render(header=header, encoding=how.get("encoding", "utf-8")))


if __name__ == "__main__":
    write()
