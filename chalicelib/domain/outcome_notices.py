"""Telling the family and the referrer what the MASH decided (mash-guidance.txt §4).

When a decision stands (recorded without needing approval, or approved), in the same change:
- each parent or carer with an email is owed an OUTCOME notice, unless a manager has recorded
  its withholding with a reason and a review date, or (protection route) the parents are not
  told about the referral — telling them the outcome would tell them about it — unless a
  manager decides the outcome notice goes all the same;
- a parent with no email becomes a task (tell them by phone or letter);
- a person whose first language is not English: the notice is held, with a task, until staff add
  its translation (by a person, never a machine; both versions go) or release it in English with
  a reason (chalicelib/domain/translations.py);
- the referrer is owed REFERRER_FEEDBACK.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from enum import StrEnum

from chalicelib.domain.consent import OutcomeNoticeChoice, OutcomeNoticeDecision, ParentsToldState
from chalicelib.domain.lifecycle import Action, IllegalTransition, ReferralStatus
from chalicelib.domain.notices import Notice, NoticeKind, NoticeStatus
from chalicelib.domain.onward_referral import PASSING_ON_OUTCOMES
from chalicelib.domain.people import PersonKind
from chalicelib.domain.protective_decisions import ProtectiveDecision, check_may_change, roles_of
from chalicelib.domain.referral_record import Referral
from chalicelib.domain.tasks import Task, TaskKind
from chalicelib.domain.translations import language_needed

FEEDBACK_NOTICE_ID = "feedback"
HELD_TASK_ID = "outcome-notice-held"


def outcome_notice_id(person: int | str) -> str:
    """By person: `outcome-0` for parent 0 (as always), `outcome-household-1` for others."""
    if isinstance(person, int):
        return f"outcome-{person}"
    kind, _, index = person.partition(":")
    return f"outcome-{index}" if kind == PersonKind.PARENT.value else f"outcome-{kind}-{index}"


class HeldBecause(StrEnum):
    """Why the parents' outcome notice is held: a code, so the audit and picture hold no free text."""

    WITHHELD_BY_MANAGER = "withheld_by_manager"
    PARENTS_NOT_TOLD = "parents_not_told"
    PARENTS_TOLD_UNDECIDED = "parents_told_undecided"
    # The family is passed to another service: the parents' notice must say exactly what went,
    # to whom and why, so it waits for the onward referral and goes with it.
    AWAITING_ONWARD_REFERRAL = "awaiting_onward_referral"


class OutcomeNoticeProblem(Exception):
    """A withholding or release the rules refuse; the message says what is missing or why not."""


def held_because(referral: Referral) -> HeldBecause | None:
    decision = referral.outcome_notice_decision
    if decision is not None:
        return HeldBecause.WITHHELD_BY_MANAGER if decision.choice is OutcomeNoticeChoice.WITHHOLD else None
    told = referral.parents_told
    if told is not None and told.state is not ParentsToldState.TELL:
        # Undecided is held too: the parents' notice of the referral itself is held until decided.
        return (
            HeldBecause.PARENTS_NOT_TOLD
            if told.state is ParentsToldState.WITHHELD
            else HeldBecause.PARENTS_TOLD_UNDECIDED
        )
    passes_on = referral.decision is not None and referral.decision.outcome in PASSING_ON_OUTCOMES
    if passes_on and not referral.onward_referrals:
        return HeldBecause.AWAITING_ONWARD_REFERRAL
    return None


def translation_language(referral: Referral, notice: Notice) -> str | None:
    """The language a family notice needs translating into, if its person's first language is not English."""
    return language_needed(referral.submission, notice)


def owe_outcome_notices(referral: Referral, now: dt.datetime) -> Referral:
    """The notices a standing decision owes; call it in the change that makes the decision stand."""
    if referral.status is not ReferralStatus.DECIDED:
        return referral  # proposed, awaiting a manager: nobody is told yet
    referral = _with_notice_once(referral, Notice.new(FEEDBACK_NOTICE_ID, NoticeKind.REFERRER_FEEDBACK, now))
    if held_because(referral) is not None:
        return referral.with_task(Task(HELD_TASK_ID, TaskKind.OUTCOME_NOTICE_HELD, now, about="outcome"))
    return _owe_parents(referral, now)


def owe_held_outcome_notices(referral: Referral, now: dt.datetime, by: str) -> Referral:
    """Once nothing holds them any more (e.g. the onward referral is made), owe the parents'
    outcome notices and close the 'held' task. Safe to call again: notices are owed once."""
    if referral.status is not ReferralStatus.DECIDED or held_because(referral) is not None:
        return referral
    referral = _owe_parents(referral, now)
    for task in [t for t in referral.tasks if t.task_id == HELD_TASK_ID and t.open]:
        referral = referral.with_task(task.done(by, now))
    return referral


def _owe_parents(referral: Referral, now: dt.datetime) -> Referral:
    """The outcome to each person the contact plan tells: an email, or a task to tell them another way."""
    for person in referral.told_people:
        notice_id = outcome_notice_id(person.key)
        if not person.email:
            task = Task(f"{notice_id}:no-email", TaskKind.TELL_OUTCOME_ANOTHER_WAY, now, about=person.key)
            referral = referral.with_task(task)
            continue
        notice = Notice.new(notice_id, NoticeKind.OUTCOME, now, recipient=person.key)
        referral = _with_notice_once(referral, notice)
    # Someone who reads another language: held for its translation, not sent in English.
    return referral.hold_for_translation(now)


def _with_notice_once(referral: Referral, notice: Notice) -> Referral:
    if any(n.notice_id == notice.notice_id for n in referral.notices):
        return referral
    return replace(referral, notices=(*referral.notices, notice))


def decide_outcome_notice(referral: Referral, decision: OutcomeNoticeDecision, *, by_manager: bool) -> Referral:
    """A manager withholds the parents' outcome notice, or releases it.

    Withholding before the decision stands means it is never created; after, a notice not yet
    sent is withdrawn (an email already sent cannot be called back, so that is refused)."""
    check_may_change(referral.protective_decisions, ProtectiveDecision.OUTCOME_NOTICE_WITHHELD, roles_of(by_manager))
    if not by_manager:
        raise OutcomeNoticeProblem("Only a manager can withhold or release the outcome notice to the parents")
    if referral.status is ReferralStatus.CLOSED:
        raise IllegalTransition(Action.CLOSE, referral.status)
    if not decision.reason:
        raise OutcomeNoticeProblem("Say why, in reason: it is kept with the referral")
    if decision.choice is OutcomeNoticeChoice.WITHHOLD:
        return _withhold(referral, decision)
    released = replace(referral, outcome_notice_decision=decision)
    if released.status is ReferralStatus.DECIDED:
        released = _owe_parents(released, decision.decided_at)
        released = _close_held_task(released, decision)
    return released


def _withhold(referral: Referral, decision: OutcomeNoticeDecision) -> Referral:
    if decision.review_on is None:
        raise OutcomeNoticeProblem("Withholding the outcome notice needs: review_on (when to look at it again)")
    outcomes = [n for n in referral.notices if n.kind is NoticeKind.OUTCOME]
    if any(n.status is not NoticeStatus.PENDING for n in outcomes):
        raise OutcomeNoticeProblem(
            "The outcome notice has already been sent to a parent and cannot be called back: "
            "contact them by phone if something has changed"
        )
    kept = tuple(n for n in referral.notices if n.kind is not NoticeKind.OUTCOME)
    withheld = replace(referral, outcome_notice_decision=decision, notices=kept)
    if withheld.status is ReferralStatus.DECIDED:
        task = Task(HELD_TASK_ID, TaskKind.OUTCOME_NOTICE_HELD, decision.decided_at, about="outcome")
        withheld = withheld.with_task(task)
    return withheld


def _close_held_task(referral: Referral, decision: OutcomeNoticeDecision) -> Referral:
    held = [t for t in referral.tasks if t.task_id == HELD_TASK_ID and t.open]
    for task in held:
        referral = referral.with_task(task.done(decision.decided_by, decision.decided_at))
    return referral
