"""Per-client rate limits on the public edge: a fixed window, counted per client and scope.

A fixed window (not a sliding log) keeps the store to one small counter per client per window;
at a window boundary a client may send up to twice the limit in a short burst, which is fine
for a limit that exists to stop floods, not to meter fair use.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
from dataclasses import dataclass


@dataclass(frozen=True)
class Window:
    """One counting window, in epoch seconds: [start, end)."""

    start: int
    end: int

    def retry_after(self, now: dt.datetime) -> int:
        """Whole seconds until the next window opens (at least 1, as Retry-After needs)."""
        return max(1, self.end - int(now.timestamp()))


@dataclass(frozen=True)
class RateLimit:
    scope: str
    requests: int  # allowed per window per client; 0 turns the limit off
    window_seconds: int

    @property
    def enabled(self) -> bool:
        return self.requests > 0 and self.window_seconds > 0

    def window_at(self, now: dt.datetime) -> Window:
        epoch = int(now.timestamp())
        start = epoch - epoch % self.window_seconds
        return Window(start=start, end=start + self.window_seconds)


def client_key(source_ip: str, secret: str) -> str:
    """A keyed hash of the client's IP address, which is personal data and is never stored.

    Keyed (HMAC), not a plain hash: every IPv4 address can be hashed in minutes, so a plain
    SHA-256 of one is as good as the address itself to whoever reads the table.
    """
    digest = hmac.new(secret.encode(), f"rate-limit:{source_ip}".encode(), hashlib.sha256)
    return digest.hexdigest()[:32]
