"""Reference commune data for the two demo territories in Maine-et-Loire (49).

Source of INSEE codes, names and postal codes: the npm package
``@etalab/decoupage-administratif`` version 6.0.0 (``data/communes.json``, entries of
type ``commune-actuelle``). The postal code is the first entry of ``codesPostaux``;
names are spelled exactly as in that data (e.g. "Jarzé Villages",
"Morannes sur Sarthe-Daumeray").

Travel times: that package has no coordinates, so commune centroids (latitude,
longitude) were taken from Etalab's "communes-departement-region" CSV (the La Poste
postal-code base enriched with commune centroids). ``travel_minutes`` is the
great-circle (haversine) distance from the base commune's centroid x 1.3 road factor,
driven at an average 60 km/h, rounded to the nearest minute, with a minimum of
5 minutes (the base commune itself). Huillé-Lézigné appears in that CSV only as its
two former communes; the centroid of Lézigné (whose INSEE code 49174 the merged
commune kept) was used. These are plausible estimates for demo data, not routed times.

Each list starts with its base commune (Segré-en-Anjou Bleu, Baugé-en-Anjou).
"""

ANJOU_BLEU = [  # (insee, postal_code, name, travel_minutes)
    ("49331", "49500", "Segré-en-Anjou Bleu", 5),
    ("49248", "49420", "Ombrée d'Anjou", 33),
    ("49056", "49420", "Carbay", 36),
    ("49010", "49420", "Armaillé", 27),
    ("49038", "49520", "Bourg-l'Évêque", 15),
    ("49036", "49520", "Bouillé-Ménard", 12),
    ("49061", "49440", "Challain-la-Potherie", 23),
    ("49178", "49440", "Loiré", 15),
    ("49054", "49440", "Candé", 27),
    ("49008", "49440", "Angrie", 21),
    ("49089", "49500", "Chazé-sur-Argos", 13),
    ("49176", "49220", "Le Lion-d'Angers", 15),
    ("49155", "49220", "Grez-Neuville", 22),
    ("49367", "49220", "Erdre-en-Anjou", 16),
    ("49183", "49370", "Val d'Erdre-Auxence", 27),
    ("49026", "49370", "Bécon-les-Granits", 30),
    ("49266", "49170", "Saint-Augustin-des-Bois", 36),
    ("49067", "49220", "Chenillé-Champteussé", 21),
    ("49161", "49220", "La Jaille-Yvon", 17),
    ("49064", "49220", "Chambellay", 17),
    ("49217", "49220", "Montreuil-sur-Maine", 16),
    ("49344", "49220", "Thorigné-d'Anjou", 22),
    ("49330", "49330", "Sceaux-d'Anjou", 27),
    ("49080", "49330", "Les Hauts-d'Anjou", 29),
    ("49205", "49330", "Miré", 37),
    ("49170", "49330", "Juvardeil", 35),
]

BAUGEOIS_VALLEE = [  # (insee, postal_code, name, travel_minutes)
    ("49018", "49150", "Baugé-en-Anjou", 5),
    ("49021", "49250", "Beaufort-en-Anjou", 19),
    ("49194", "49140", "Mazé-Milon", 21),
    ("49138", "49250", "Les Bois d'Anjou", 11),
    ("49228", "49390", "Noyant-Villages", 22),
    ("49201", "49250", "La Ménitré", 25),
    ("49237", "49490", "La Pellerine", 27),
    ("49017", "49430", "Baracé", 28),
    ("49090", "49125", "Cheffes", 42),
    ("49107", "49140", "Cornillé-les-Caves", 21),
    ("49110", "49140", "Corzé", 25),
    ("49127", "49430", "Durtal", 24),
    ("49132", "49330", "Étriché", 37),
    ("49174", "49430", "Huillé-Lézigné", 22),
    ("49163", "49140", "Jarzé Villages", 13),
    ("49076", "49140", "La Chapelle-Saint-Laud", 21),
    ("49257", "49430", "Les Rairies", 18),
    ("49188", "49140", "Marcé", 19),
    ("49209", "49430", "Montigné-lès-Rairies", 15),
    ("49216", "49140", "Montreuil-sur-Loir", 28),
    ("49220", "49640", "Morannes sur Sarthe-Daumeray", 39),
    ("49333", "49140", "Seiches-sur-le-Loir", 26),
    ("49334", "49140", "Sermaise", 11),
    ("49347", "49125", "Tiercé", 34),
]
