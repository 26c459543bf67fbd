"""The volet 1 sessions layer of the territory map (``territory.map``): sessions (not
cancelled, not remote) per commune over the map's period, a count of sessions, never of people."""

from maillage.territory.map import MapLayer

from .selectors import sessions_by_commune

LAYERS = [MapLayer(key="outreach.sessions", label="Séances du volet 1", unit="séance(s)",
                   counts=sessions_by_commune, permission="outreach.view", order=45)]
