"""Sign-in throttling shared by the HTML login and the API token endpoint.

Failed attempts are counted in the cache per client address and username, and per address
alone (at five times the rate, against password spraying). The rate is LOGIN_THROTTLE_RATE,
e.g. "10/min". Counts live in the `shared` cache (by default a database table, see
settings.cache_from_url), one for every server process and machine, so the limit holds however
many gunicorn workers answer; a per-process cache (CACHE_URL=locmem://) would let each count alone.

Cache keys carry a SHA-256 of the address and username, never the text a client sent (which may
hold control characters or be any length).
"""

import hashlib
import time

from django.conf import settings
from django.core.cache import caches

PERIODS = {
    "s": 1,
    "sec": 1,
    "second": 1,
    "m": 60,
    "min": 60,
    "minute": 60,
    "h": 3600,
    "hour": 3600,
    "d": 86400,
    "day": 86400,
}
ADDRESS_FACTOR = 5

_now = time.time  # the clock, replaceable in tests


def parse_rate(rate: str) -> tuple[int, int]:
    """ "10/min" → (10, 60)."""
    count, _, period = rate.partition("/")
    return int(count), PERIODS[period.strip().lower()]


def client_address(request) -> str:
    """REMOTE_ADDR, or the address the NUM_PROXIES-th trusted proxy saw (X-Forwarded-For)."""
    proxies = int(getattr(settings, "NUM_PROXIES", 0) or 0)
    forwarded = [part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if part.strip()]
    if proxies and forwarded:
        return forwarded[-min(proxies, len(forwarded))]
    return request.META.get("REMOTE_ADDR", "") or "unknown"


def _digest(*parts: str) -> str:
    return hashlib.sha256("\0".join(parts).encode("utf-8", "surrogatepass")).hexdigest()


class LoginThrottle:
    def __init__(self, request, username: str):
        self.count, self.period = parse_rate(settings.LOGIN_THROTTLE_RATE)
        address = client_address(request)
        window = int(_now() // self.period)
        self.pair_key = f"login-failures:{window}:{_digest(address, username.strip().lower()[:150])}"
        self.address_key = f"login-failures:{window}:{_digest(address)}"

    @property
    def cache(self):
        return caches["shared"]

    def retry_after(self) -> int | None:
        """Seconds until another attempt is allowed, or None when it is allowed now."""
        if (
            self.cache.get(self.pair_key, 0) >= self.count
            or self.cache.get(self.address_key, 0) >= self.count * ADDRESS_FACTOR
        ):
            return max(1, int(self.period - _now() % self.period))
        return None

    def failed(self) -> None:
        for key in (self.pair_key, self.address_key):
            self.cache.add(key, 0, self.period)
            try:
                self.cache.incr(key)
            except ValueError:  # expired between add and incr
                self.cache.set(key, 1, self.period)

    def succeeded(self) -> None:
        self.cache.delete(self.pair_key)
