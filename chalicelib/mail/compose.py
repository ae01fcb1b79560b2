"""Emails from jinja2 templates: `templates/email/<name>.{subject.txt,txt,html}` -> one MIME message.

The stdlib `email` package (modern policy) builds the message, and refuses CR/LF in headers,
so a value can never add a header of its own.
"""

from __future__ import annotations

from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from typing import Any

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
    message["To"] = to
    if reply_to:
        message["Reply-To"] = reply_to
    message["Subject"] = subject
    message["Date"] = formatdate(localtime=False, usegmt=True)
    message["Message-ID"] = make_msgid(domain=mail_domain)
    message.set_content(render(f"email/{template}.txt", **context))
    message.add_alternative(render(f"email/{template}.html", **context), subtype="html")
    return message
