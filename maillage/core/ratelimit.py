"""A fixed-window rate limit on the shared cache, for public forms (no account, no trust)."""

from django.core.cache import cache


def allow(key: str, *, limit: int, window_seconds: int) -> bool:
    """Count one hit on ``key``; False when more than ``limit`` hits fell in the window."""
    cache_key = f"ratelimit:{key}"
    if cache.add(cache_key, 1, timeout=window_seconds):
        return True
    try:
        count = cache.incr(cache_key)
    except ValueError:  # expired between add and incr
        cache.set(cache_key, 1, timeout=window_seconds)
        return True
    return count <= limit



def used(key: str) -> int:
    """How many hits ``key`` counted in its current window (none counted by asking)."""
    return cache.get(f"ratelimit:{key}", 0)
