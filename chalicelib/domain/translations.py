"""Families who need another language (issue 11 item 7).

A consent request, a "parents told" email or an outcome notice to a person whose first language
is not English is **held**, with a task, rather than sent in English: a parent who reads Polish
should not learn of a child protection referral from a letter they cannot read. Staff either add
the translated text (by a translator, never a machine), and both versions go, or release it in
English with a reason (for example: the parent asked for English). Nothing is sent meanwhile.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from chalicelib.domain.notices import SEND_GRACE, Notice, NoticeKind, NoticeStatus
from chalicelib.domain.people import person_of
from chalicelib.domain.tasks import Task, TaskKind

if TYPE_CHECKING:
    from chalicelib.domain.referral_record import Referral

ENGLISH = frozenset({"english", "en", "eng", "british english", "english (uk)"})
TRANSLATED_NOTICES = frozenset({NoticeKind.CONSENT_REQUEST, NoticeKind.PARENTS_TOLD, NoticeKind.OUTCOME})
MAX_TRANSLATION_CHARS = 20_000


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


def language_needed(referral: Referral, notice: Notice) -> str | None:
    """The first language of the person a family notice is for, when it is not English."""
    if notice.kind not in TRANSLATED_NOTICES:
        return None
    person = person_of(referral.submission, notice.recipient)
    language = (person.first_language or "").strip() if person else ""
    return language if language and language.casefold() not in ENGLISH else None


def translate_task_id(notice_id: str) -> str:
    return f"{notice_id}:translate"


def is_held(referral: Referral, notice: Notice) -> bool:
    """Owed, not sent, waiting for its translation or a release in English."""
    return (
        notice.on_hold
        and language_needed(referral, notice) is not None
        and translation_of(referral, notice.notice_id) is None
    )


def translation_of(referral: Referral, notice_id: str) -> NoticeTranslation | None:
    return next((t for t in referral.translations if t.notice_id == notice_id), None)


def hold_for_translation(referral: Referral, now: dt.datetime) -> Referral:
    """Hold each family notice just owed to someone who reads another language, with a task;
    call it in the change that owes the notices. A notice already released is left alone."""
    for notice in referral.notices:
        waiting = notice.status is NoticeStatus.PENDING and notice.next_attempt_at is not None and notice.attempts == 0
        language = language_needed(referral, notice)
        if not waiting or language is None or translation_of(referral, notice.notice_id) is not None:
            continue
        referral = referral.with_notice(replace(notice, next_attempt_at=None))
        task = Task(translate_task_id(notice.notice_id), TaskKind.TRANSLATE_NOTICE, now, about=notice.notice_id)
        if not any(t.task_id == task.task_id for t in referral.tasks):
            referral = referral.with_task(task)
    return referral


def release(referral: Referral, release: NoticeTranslation) -> Referral:
    """Let a held notice go: due at once, the translation (or the reason for English) kept with
    the referral, the task done."""
    notice = next((n for n in referral.notices if n.notice_id == release.notice_id), None)
    if notice is None or not is_held(referral, notice):
        raise NotHeld("This email is not waiting for a translation: nothing to release")
    if bool(release.text) == bool(release.english_reason):
        raise TranslationProblem(
            "Give either the translated text (both it and the English are sent) or, to send it in English only, "
            "the reason why"
        )
    released = replace(referral, translations=(*referral.translations, release))
    # Due now for the request that releases it; the sweep's grace covers a crash in between.
    released = released.with_notice(replace(notice, next_attempt_at=release.decided_at + SEND_GRACE))
    for task in [t for t in released.tasks if t.task_id == translate_task_id(notice.notice_id) and t.open]:
        released = released.with_task(task.done(release.decided_by, release.decided_at))
    return released
