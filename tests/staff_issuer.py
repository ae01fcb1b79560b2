"""The tests' staff token issuer: one RSA key per test process, written into each test's own folder.

Making a 2048-bit key takes ~40 ms and parsing one ~30 ms; a thousand tests each made their own.
Each test still has its own folder (its own JWKS and staff file, so nothing leaks between tests);
only the key is the same. A test that needs a second, untrusted key (a forger) makes a `LocalIssuer`
of its own, which creates a new key as the local run does.
"""

from __future__ import annotations

import os
import tempfile
from functools import lru_cache
from pathlib import Path

from local.issuer import KEY_FILE, LocalIssuer


def issuer_in(directory: Path) -> LocalIssuer:
    """A `LocalIssuer` in `directory`, signing with this process's test key."""
    key_file = directory / KEY_FILE
    if not key_file.exists():
        fd = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as handle:
            handle.write(_test_key_pem())
    return LocalIssuer(directory)


@lru_cache(maxsize=1)
def _test_key_pem() -> bytes:
    """The key the local issuer makes, made once: the first issuer's, read back."""
    with tempfile.TemporaryDirectory(prefix="mash-test-issuer-") as first:
        return (LocalIssuer(Path(first)).key_dir / KEY_FILE).read_bytes()
