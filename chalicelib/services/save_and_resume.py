"""Save and come back later: a form draft put away under a resume code and a passphrase, and taken back.

`save_for_later` moves a session's answers to a saved draft (the session ends); `resume` checks
a code and passphrase and hands the answers back once. The rules are in
chalicelib/domain/resume_codes.py and the storage in chalicelib/adapters/drafts.py; this module
puts them in order (the form's pages are chalicelib/web/public_form.py). Nothing here logs a code,
a passphrase, a key or a session id.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from chalicelib.adapters.drafts import ResumeLocked
from chalicelib.domain import resume_codes
from chalicelib.logs import logger
from chalicelib.wiring import wiring

# A fresh code is made if the first is taken; with 60 bits a second try is already never needed.
CODE_TRIES = 3


@dataclass(frozen=True)
class Saved:
    code: str  # formatted, shown once and never stored
    expires: dt.datetime


@dataclass(frozen=True)
class Resumed:
    answers: dict[str, Any]


@dataclass(frozen=True)
class WrongDetails:
    """The code or the passphrase is wrong (or the code was used or never existed): never says which."""


@dataclass(frozen=True)
class Locked:
    until: dt.datetime


@dataclass(frozen=True)
class Expired:
    expired_at: dt.datetime


Outcome = Resumed | WrongDetails | Locked | Expired


def save_for_later(answers: dict[str, Any], passphrase: str) -> Saved:
    hub = wiring()
    expires = hub.clock() + dt.timedelta(days=hub.settings.saved_draft_days)
    verifier = resume_codes.hash_passphrase(passphrase)
    for _ in range(CODE_TRIES):
        code = resume_codes.new_code()
        if hub.drafts.save_for_resume(
            resume_codes.code_key(code, hub.settings.hmac_secret), answers, verifier, expires
        ):
            logger.info("form draft saved for later")
            return Saved(code=code, expires=expires)
    raise RuntimeError("no free resume code after several tries")  # 60 bits: does not happen


def resume(code: str, passphrase: str, session_id: str) -> Outcome:
    """Check a code and passphrase; on success the answers become the draft of `session_id` (a new
    session) and the saved draft is used up, so the code never works again."""
    hub = wiring()
    key = resume_codes.code_key(code, hub.settings.hmac_secret)
    now = hub.clock()
    attempt = hub.drafts.reserve_attempt(key, now, resume_codes.MAX_WRONG_PASSPHRASES)
    if attempt is None:
        resume_codes.spend_equal_time(passphrase)  # an unknown code answers as slowly as a known one
        logger.info("form draft not resumed: wrong details")
        return WrongDetails()
    if isinstance(attempt, ResumeLocked):
        resume_codes.spend_equal_time(passphrase)
        logger.info("form draft not resumed: locked")
        return Locked(until=_at(max(attempt.until, int(now.timestamp()))))
    if not resume_codes.passphrase_matches(passphrase, attempt.verifier):
        if attempt.attempts >= resume_codes.MAX_WRONG_PASSPHRASES:
            until = now + dt.timedelta(minutes=hub.settings.resume_lock_minutes)
            hub.drafts.lock(key, until)
            logger.info("form draft locked after wrong passphrases")
            return Locked(until=until)
        logger.info("form draft not resumed: wrong details")
        return WrongDetails()
    if attempt.saved_until <= now.timestamp():
        # The right passphrase: coming back to look again is not guessing, so it never locks.
        hub.drafts.reset_tries(key)
        logger.info("form draft not resumed: expired")
        return Expired(expired_at=_at(attempt.saved_until))
    answers = hub.drafts.open_saved(key)
    if answers is None:  # the table's TTL got there first
        return Expired(expired_at=_at(attempt.saved_until))
    # Into the new session first, then the code used up: a failure between the two leaves the code
    # working, never the answers lost.
    hub.drafts.save(session_id, answers)
    if not hub.drafts.consume(key):  # another request resumed it a moment ago
        hub.drafts.delete(session_id)
        return WrongDetails()
    logger.info("form draft resumed")
    return Resumed(answers=answers)


def _at(epoch: int) -> dt.datetime:
    return dt.datetime.fromtimestamp(epoch, dt.UTC)
