"""Security headers on every response: a strict CSP, HSTS, nosniff, no referrer, no caching of pages.

The GOV.UK template has one inline script (it marks <body> as js-enabled before first paint).
It is allowed by its SHA-256 hash, not by 'unsafe-inline'; a test checks the hash still
matches the template, so a govuk-frontend-jinja upgrade that changes the script fails loudly.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Callable

from chalice.app import Request, Response

GOVUK_INLINE_SCRIPT = (
    "document.body.className += ' js-enabled' + ('noModule' in HTMLScriptElement.prototype"
    " ? ' govuk-frontend-supported' : '');"
)


def script_hash(script: str) -> str:
    digest = hashlib.sha256(script.encode("utf-8")).digest()
    return f"'sha256-{base64.b64encode(digest).decode()}'"


CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        f"script-src 'self' {script_hash(GOVUK_INLINE_SCRIPT)}",
        "style-src 'self'",
        "img-src 'self'",
        "font-src 'self'",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "frame-ancestors 'none'",
        "form-action 'self'",
    ]
)

HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "Strict-Transport-Security": "max-age=31536000; includeSubDomains",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=(), payment=()",
}


def security_headers(event: Request, get_response: Callable[[Request], Response]) -> Response:
    response = get_response(event)
    for name, value in HEADERS.items():
        _set_default(response, name, value)
    if _content_type(response).startswith("text/html"):
        # Pages hold personal data: never keep them in a browser or proxy cache.
        response.headers["Cache-Control"] = "no-store"
        response.headers["Pragma"] = "no-cache"
    else:
        # JSON answers too (an admin 404 or 422 names a reference): no-store unless a route chose
        # its own caching, as the static assets do.
        _set_default(response, "Cache-Control", "no-store")
    return response


def _content_type(response: Response) -> str:
    for name, value in response.headers.items():
        if name.lower() == "content-type" and isinstance(value, str):
            return value.lower()
    return ""


def _set_default(response: Response, name: str, value: str) -> None:
    if not any(existing.lower() == name.lower() for existing in response.headers):
        response.headers[name] = value
