"""Telling the parents about a protection referral (mash-guidance.txt §4, issue 4 item 3).

Once the decision is `tell`, each person the contact plan tells is owed a notice in the same
change: an email to those with an address, a task to tell the others by phone or letter. Until it is decided nothing is
owed (the notice is held); `withheld` owes nothing (its reason and review date are on the record).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import replace

from chalicelib.domain.consent import ParentsToldState
from chalicelib.domain.notices import Notice, NoticeKind
from chalicelib.domain.people import PersonKind
from chalicelib.domain.referral_record import Referral
from chalicelib.domain.tasks import Task, TaskKind


def parents_told_notice_id(parent: int | str) -> str:
    """By person: `parents-told-0` for parent 0 (as always), `parents-told-household-1` for others."""
    return f"parents-told-{_suffix(parent)}"


def tell_parent_task_id(parent: int | str) -> str:
    return f"tell-parent-{_suffix(parent)}"


def _suffix(person: int | str) -> str:
    if isinstance(person, int):
        return str(person)
    kind, _, index = person.partition(":")
    return index if kind == PersonKind.PARENT.value else f"{kind}-{index}"


def tell_parents(referral: Referral, now: dt.datetime) -> Referral:
    """What telling the parents owes, once per person the contact plan tells (parents, carers and
    household adults with parental responsibility, not unsafe to contact, never a person who may
    pose a risk): deciding `tell` again never owes it twice."""
    if referral.parents_told is None or referral.parents_told.state is not ParentsToldState.TELL:
        return referral
    for person in referral.told_people:
        owe = _with_notice_once if person.email else _with_task_once
        referral = owe(referral, person.key, now)
    return referral.hold_for_translation(now)


def _with_notice_once(referral: Referral, person: str, now: dt.datetime) -> Referral:
    notice_id = parents_told_notice_id(person)
    if any(notice.notice_id == notice_id for notice in referral.notices):
        return referral
    notice = Notice.new(notice_id, NoticeKind.PARENTS_TOLD, now, recipient=person)
    return replace(referral, notices=(*referral.notices, notice))


def _with_task_once(referral: Referral, person: str, now: dt.datetime) -> Referral:
    task_id = tell_parent_task_id(person)
    if any(task.task_id == task_id for task in referral.tasks):
        return referral
    return referral.with_task(Task(task_id, TaskKind.TELL_PARENT_ANOTHER_WAY, now, about=person))
