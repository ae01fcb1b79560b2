"""Every cookie the hub sets, for the cookies page: names and lifetimes taken from the constants
the code sets them with, so the page cannot drift from what browsers are sent (a test also finds
every `*_COOKIE` name in chalicelib/web/ and checks it is listed here). There are no analytics
or advertising cookies, and nothing is shared with a third party: all are strictly necessary.
"""

from __future__ import annotations

from dataclasses import dataclass

from chalicelib.settings import Settings
from chalicelib.web import console_session, form_session, parent_consent

# Only the local stage's emulated outbox sets this one; it is never sent by a deployed hub.
LOCAL_ONLY = frozenset({"mash_local_outbox"})


@dataclass(frozen=True)
class CookieShown:
    name: str  # as the browser sees it (with the __Host- prefix when cookies are Secure)
    purpose: str
    expires: str


def duration(seconds: int) -> str:
    if seconds % 3600 == 0:
        hours = seconds // 3600
        return f"{hours} hour" + ("s" if hours != 1 else "")
    minutes = seconds // 60
    return f"{minutes} minute" + ("s" if minutes != 1 else "")


def public_cookies(settings: Settings) -> list[CookieShown]:
    """The cookies a person using the form, or a parent answering a consent request, may get."""
    from chalicelib.domain.attachments import UPLOAD_WINDOW  # here: its module is off the cold start's path

    def named(name: str) -> str:
        return form_session.cookie_name(name, settings)

    return [
        CookieShown(
            named(form_session.SESSION_COOKIE),
            "Keeps your answers together while you fill in the form",
            f"{duration(settings.draft_ttl_minutes * 60)} after you last used the form",
        ),
        CookieShown(
            named(form_session.RECEIPT_COOKIE),
            "Shows your reference after you send a referral, and lets you add documents to it",
            f"{duration(form_session.RECEIPT_MAX_AGE_SECONDS)}, or {duration(int(UPLOAD_WINDOW.total_seconds()))} "
            "after sending while you add documents",
        ),
        CookieShown(
            named(parent_consent.CONSENT_COOKIE),
            "Protects your answer to a consent request from being sent by anyone else",
            duration(parent_consent.COOKIE_MAX_AGE_SECONDS),
        ),
        CookieShown(
            named(parent_consent.RECEIPT_COOKIE),
            "Shows you that your answer to a consent request was received",
            duration(parent_consent.RECEIPT_MAX_AGE_SECONDS),
        ),
    ]


def staff_cookies(settings: Settings) -> list[CookieShown]:
    """The staff console's cookies (MASH staff only)."""

    def named(name: str) -> str:
        return form_session.cookie_name(name, settings)

    sign_in = duration(console_session.SIGN_IN_MAX_AGE_SECONDS)
    return [
        CookieShown(
            named(console_session.STAFF_COOKIE),
            "Keeps a member of MASH staff signed in to the staff console",
            f"When the browser closes (signed out after {duration(settings.console_idle_minutes * 60)} unused)",
        ),
        CookieShown(named(console_session.SIGN_IN_COOKIE), "Protects signing in from forgery", sign_in),
        CookieShown(named(console_session.RETURN_COOKIE), "Returns staff to the page they asked for", sign_in),
    ]
