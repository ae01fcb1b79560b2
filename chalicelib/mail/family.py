"""Where a notice to someone in the family goes, checked against the contact plan as it is sent."""

from __future__ import annotations

import html
import re
from email.message import EmailMessage

from chalicelib.domain.notices import Notice
from chalicelib.domain.people import person_of
from chalicelib.domain.referral_record import Referral
from chalicelib.domain.translations import NoticeTranslation


def family_address(referral: Referral, notice: Notice) -> str:
    """The email address of the person a family notice is for. ValueError (the notice fails and a
    person is told) if they have none, or if the contact plan no longer tells them: the plan is
    checked again at the moment of sending, not only when the notice was owed."""
    person = person_of(referral.submission, notice.recipient)
    if person is None or not person.email:
        raise ValueError("the person has no email address")
    if person.key not in {told.key for told in referral.told_people}:
        raise ValueError("the contact plan no longer tells this person")
    return person.email


def named_referrer(referral: Referral) -> str | None:
    """How a family message may name who referred: only if the referrer agreed to be named. Else
    None, and the message says "someone": not even what kind of person, which on a street can
    narrow it to the neighbour who wrote in."""
    referrer = referral.submission.referrer
    if not referrer.may_be_named_to_family:
        return None
    where = ", ".join(part for part in (referrer.role, referrer.organisation) if part)
    return f"{referrer.name} ({where})" if where else referrer.name


def with_translation(message: EmailMessage, translation: NoticeTranslation) -> EmailMessage:
    """The same email with the translation first and the English after it, in both the text and
    the HTML part; the headers (To, Subject, Message-ID) are kept as they are."""
    text_part = message.get_body(preferencelist=("plain",))
    html_part = message.get_body(preferencelist=("html",))
    english_text = text_part.get_content() if text_part is not None else ""
    english_html = html_part.get_content() if html_part is not None else ""
    translated = translation.text or ""
    combined = EmailMessage()
    for name, value in message.items():
        if name.lower() not in ("content-type", "content-transfer-encoding", "mime-version"):
            combined[name] = value
    combined.set_content(f"{translated}\n\n---- {translation.language} above, English below ----\n\n{english_text}")
    paragraphs = "".join(f"<p>{html.escape(block).replace(chr(10), '<br>')}</p>" for block in translated.split("\n\n"))
    # The English email's own body, inside this one's: the translation first, then a rule.
    found = re.search(r"<body[^>]*>(.*)</body>", english_html, flags=re.S | re.I)
    english_body = found.group(1) if found else english_html
    combined.add_alternative(
        f'<!DOCTYPE html>\n<html><head><meta charset="utf-8"></head><body><div>{paragraphs}</div><hr>'
        f'<div lang="en">{english_body}</div></body></html>',
        subtype="html",
    )
    return combined
