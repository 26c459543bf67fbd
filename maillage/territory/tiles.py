"""The map's background tiles: where they come from (settings) and the origin the browser may
load them from (CSP). Used by every page with a map (the territory, the rounds)."""

from urllib.parse import urlsplit

from django.conf import settings
from django.shortcuts import render


def tile_settings() -> tuple[str, str]:
    """The tile URL template (``MAP_TILE_URL``, e.g. ``https://tile.example.org/{z}/{x}/{y}.png``;
    empty: no background map, the communes are drawn on a plain background) and its
    attribution (``MAP_TILE_ATTRIBUTION``)."""
    return (getattr(settings, "MAP_TILE_URL", "") or "",
            getattr(settings, "MAP_TILE_ATTRIBUTION", "") or "")


def tile_origin(url: str) -> str:
    """The origin the browser may load tiles from (CSP ``img-src``): ``{s}`` subdomains become
    a wildcard."""
    parts = urlsplit(url.replace("{s}.", "*."))
    return f"{parts.scheme}://{parts.netloc}" if parts.scheme in {"http", "https"} else ""


def render_with_tiles(request, template: str, context: dict, *, status: int = 200):
    """A page with a map: ``tile_url`` and ``tile_attribution`` in its context, and the tile
    server's origin allowed in its CSP ``img-src``."""
    tile_url, attribution = tile_settings()
    response = render(request, template, {**context, "tile_url": tile_url,
                                          "tile_attribution": attribution}, status=status)
    origin = tile_origin(tile_url)
    if origin:
        response._csp_update = {"img-src": [origin]}
    return response
