"""Families who need another language (issue 11 item 7).

A consent request, a "parents told" email or an outcome notice to a person whose first language
is not English is **held**, with a task, rather than sent in English: a parent who reads Polish
should not learn of a child protection referral from a letter they cannot read. Staff either add
the translated text (by a translator, never a machine), and both versions go, or release it in
English with a reason (for example: the parent asked for English). Nothing is sent meanwhile.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from chalicelib.domain.notices import Notice, NoticeKind
from chalicelib.domain.people import person_of
from chalicelib.domain.referral import ReferralSubmission

ENGLISH = frozenset({"english", "en", "eng", "british english", "english (uk)"})
TRANSLATED_NOTICES = frozenset({NoticeKind.CONSENT_REQUEST, NoticeKind.PARENTS_TOLD, NoticeKind.OUTCOME})


@dataclass(frozen=True)
class NoticeTranslation:
    """How a held notice was let go: with its translation, or in English for a reason."""

    notice_id: str
    language: str
    decided_by: str
    decided_at: dt.datetime
    text: str | None = None  # the translated text: sealed, like everything sent to the family
    english_reason: str | None = None  # released in English: why


class TranslationProblem(Exception):
    """A release that lacks what it needs; the message says what."""


class NotHeld(TranslationProblem):
    """The email is not waiting for a translation (sent, released, or never held)."""


def language_needed(submission: ReferralSubmission, notice: Notice) -> str | None:
    """The first language of the person a family notice is for, when it is not English."""
    if notice.kind not in TRANSLATED_NOTICES:
        return None
    person = person_of(submission, notice.recipient)
    language = (person.first_language or "").strip() if person else ""
    return language if language and language.casefold() not in ENGLISH else None


def translate_task_id(notice_id: str) -> str:
    return f"{notice_id}:translate"


def check_release(release: NoticeTranslation) -> None:
    if bool(release.text) == bool(release.english_reason):
        raise TranslationProblem(
            "Give either the translated text (both it and the English are sent) or, to send it in English only, "
            "the reason why"
        )
