"""Telling the parents about a protection referral (mash-guidance.txt §4, issue 4 item 3).

Once the decision is `tell`, each parent or carer is owed a notice in the same change: an email to
those with an address, a task to tell the others by phone or letter. Until it is decided nothing is
owed (the notice is held); `withheld` owes nothing (its reason and review date are on the record).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import replace

from chalicelib.domain.consent import ParentsToldState
from chalicelib.domain.notices import Notice, NoticeKind, recipient_parent
from chalicelib.domain.referral_record import Referral
from chalicelib.domain.tasks import Task, TaskKind


def parents_told_notice_id(parent: int) -> str:
    return f"parents-told-{parent}"


def tell_parent_task_id(parent: int) -> str:
    return f"tell-parent-{parent}"


def tell_parents(referral: Referral, now: dt.datetime) -> Referral:
    """What telling the parents owes, once per parent: deciding `tell` again never owes it twice."""
    if referral.parents_told is None or referral.parents_told.state is not ParentsToldState.TELL:
        return referral
    for index, parent in enumerate(referral.submission.parents_carers):
        owe = _with_notice_once if parent.email else _with_task_once
        referral = owe(referral, index, now)
    return referral


def _with_notice_once(referral: Referral, parent: int, now: dt.datetime) -> Referral:
    notice_id = parents_told_notice_id(parent)
    if any(notice.notice_id == notice_id for notice in referral.notices):
        return referral
    notice = Notice.new(notice_id, NoticeKind.PARENTS_TOLD, now, recipient=recipient_parent(parent))
    return replace(referral, notices=(*referral.notices, notice))


def _with_task_once(referral: Referral, parent: int, now: dt.datetime) -> Referral:
    task_id = tell_parent_task_id(parent)
    if any(task.task_id == task_id for task in referral.tasks):
        return referral
    return referral.with_task(Task(task_id, TaskKind.TELL_PARENT_ANOTHER_WAY, now, about=recipient_parent(parent)))
