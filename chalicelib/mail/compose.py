"""Emails from jinja2 templates: `templates/email/<name>.{subject.txt,txt,html}` -> one MIME message.

The stdlib `email` package (modern policy) builds the message, and refuses CR/LF in headers,
so a value can never add a header of its own. It writes other control characters (NUL, ESC)
as they are, so `_header_value` refuses those itself.
"""

from __future__ import annotations

from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from typing import Any

from chalicelib.settings import Settings
from chalicelib.templating import render


def compose(
    template: str,
    *,
    sender: str,
    to: str,
    mail_domain: str,
    context: dict[str, Any],
    reply_to: str | None = None,
) -> EmailMessage:
    subject = " ".join(render(f"email/{template}.subject.txt", **context).split())
    message = EmailMessage()
    message["From"] = Address(display_name="MASH referral hub", addr_spec=sender)
    message["To"] = _header_value("To", to)
    if reply_to:
        message["Reply-To"] = _header_value("Reply-To", reply_to)
    message["Subject"] = _header_value("Subject", subject)
    message["Date"] = formatdate(localtime=False, usegmt=True)
    message["Message-ID"] = make_msgid(domain=mail_domain)
    message.set_content(render(f"email/{template}.txt", **context))
    message.add_alternative(render(f"email/{template}.html", **context), subtype="html")
    return message


def _header_value(name: str, value: str) -> str:
    """The value, or ValueError if it holds a control character (the caller marks the notice failed)."""
    if any(ord(char) < 32 or 127 <= ord(char) < 160 for char in value):
        raise ValueError(f"the {name} header value contains a control character")
    return value


def contact_numbers(settings: Settings) -> dict[str, str]:
    """The council's numbers and addresses every email to the public ends with."""
    return {
        "council_name": settings.council_name,
        "emergency_number": settings.emergency_number,
        "police_non_emergency_number": settings.police_non_emergency_number,
        "mash_phone_office_hours": settings.mash_phone_office_hours,
        "mash_office_hours": settings.mash_office_hours,
        "mash_phone_out_of_hours": settings.mash_phone_out_of_hours,
        "mash_email": settings.mash_email,
    }
