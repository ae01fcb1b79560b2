"""What can go wrong outside the domain, as types every layer may name.

The adapters raise these; services and the edges catch them. They live here, not in the
adapters, so a web page or an event handler never has to import the storage code to say
"the store was busy, try again" (the dependency runs edges -> services -> domain).
"""

from __future__ import annotations


class AwsError(Exception):
    """An AWS call failed. `retryable` says whether the same call may succeed later."""

    def __init__(self, service: str, code: str, retryable: bool) -> None:
        self.service = service
        self.code = code
        self.retryable = retryable
        # Only the service and the error code: AWS messages can echo request values.
        super().__init__(f"{service} call failed: {code} ({'retryable' if retryable else 'permanent'})")


class ReferenceTaken(Exception):
    """A referral with this reference already exists (a repeat, or a clash)."""


class ReferralNotFound(Exception):
    pass


class StaleReferral(Exception):
    """Someone else changed the referral since it was read; read again and retry."""


class InvalidCursor(ValueError):
    """A page cursor the store did not make, or one for another query."""


class SignInUnavailable(Exception):
    """The sign-in service or its keys could not be reached: nothing the person did wrong."""


class TokenRefused(Exception):
    """A staff token cannot be trusted. `message` says what the person should do; it is shown to them."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(code)
        self.code = code
        self.message = message


class SigningKeysUnavailable(Exception):
    """The sign-in service's public keys could not be read just now (network, file): retryable,
    and not the token's fault."""


class ExportFailed(Exception):
    """The case-management system did not take an export: `code` (like http_400, timeout) and
    whether trying again may work (a 4xx answer will not; a 5xx or a timeout may)."""

    def __init__(self, code: str, *, retryable: bool) -> None:
        super().__init__(f"export not taken: {code} ({'retryable' if retryable else 'permanent'})")
        self.code = code
        self.retryable = retryable
