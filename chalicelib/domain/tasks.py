"""Things a practitioner must do that the hub cannot: call a parent whose email bounced, read a
parent's answer to a consent request. Tasks sit on the referral and show in its whole picture.

Staff finish a task by completing or dismissing it, with an optional note (`finish_task`): it leaves
the to-do list but stays on the referral, with who finished it, when, how and why (issue 13 part 4).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, replace
from enum import StrEnum


class TaskKind(StrEnum):
    TELL_OUTCOME_ANOTHER_WAY = "tell_outcome_another_way"  # a parent with no email: the decision
    TRANSLATE_OUTCOME = "translate_outcome"  # (older referrals) the outcome went in English: arrange a translation
    TRANSLATE_NOTICE = "translate_notice"  # a family email held until it is translated or released in English
    OUTCOME_NOTICE_HELD = "outcome_notice_held"  # the parents' outcome notice is withheld or held
    CONTACT_PARENT_ANOTHER_WAY = "contact_parent_another_way"  # email bounced or complained
    CONSENT_ANSWERED = "consent_answered"  # a parent answered a consent request
    NOTICE_FAILED = "notice_failed"  # an email could not be sent after every retry
    EXPORT_FAILED = "export_failed"  # the case-management system refused the export, or never took it
    CONTACT_REFERRER_ANOTHER_WAY = "contact_referrer_another_way"  # the referrer's email bounced or complained
    TELL_PARENT_ANOTHER_WAY = "tell_parent_another_way"  # protection referral: a parent with no email
    ENQUIRY_ESCALATED = "enquiry_escalated"  # manager: an agency has not answered by the decision deadline
    REPLY_TO_READ = "reply_to_read"  # an agency has answered an enquiry
    ENQUIRY_NOT_SENT = "enquiry_not_sent"  # an enquiry could not be handed to its agency's queue, after tries
    # A review date has come (domain/review_dates.py): look at the decision again; nothing is sent by itself.
    REVIEW_CONSENT_DISPENSED = "review_consent_dispensed"
    REVIEW_PARENTS_NOT_TOLD = "review_parents_not_told"
    REVIEW_OUTCOME_NOTICE_WITHHELD = "review_outcome_notice_withheld"
    REVIEW_PERSON_NOT_TOLD = "review_person_not_told"  # the contact plan's "not told" for one person


TASK_TEXT: dict[TaskKind, str] = {
    TaskKind.TELL_OUTCOME_ANOTHER_WAY: "Tell the parent or carer the outcome by phone or letter: they have no email address",
    TaskKind.TRANSLATE_OUTCOME: (
        "Arrange a translation of the outcome notice into the parent's first language (shown on the notice), "
        "by a translator or interpreter, not by machine"
    ),
    TaskKind.TRANSLATE_NOTICE: (
        "An email to the family is held because the person's first language is not English: add its translation "
        "(by a translator or interpreter, not by machine) and both versions are sent, or release it in English "
        "with a reason"
    ),
    TaskKind.OUTCOME_NOTICE_HELD: (
        "The outcome notice to the parents is held: review it on the date recorded, or a manager can release it"
    ),
    TaskKind.CONTACT_PARENT_ANOTHER_WAY: "Contact the parent or carer by phone or letter: their email could not be delivered",
    TaskKind.CONSENT_ANSWERED: "A parent has answered the consent request: read their answer and any comment",
    TaskKind.NOTICE_FAILED: "An email could not be sent: check the address and send the notice another way",
    TaskKind.EXPORT_FAILED: (
        "The export to the case-management system failed: ask its administrators why, then ask for the export "
        "again or enter the referral there by hand"
    ),
    TaskKind.CONTACT_REFERRER_ANOTHER_WAY: "Contact the referrer by phone or letter: their email could not be delivered",
    TaskKind.ENQUIRY_ESCALATED: (
        "Manager: an agency has not answered its enquiry by the decision deadline; it was chased and its "
        "escalation contact told. Decide whether to wait, phone the agency, or decide without its answer"
    ),
    TaskKind.REPLY_TO_READ: "An agency has answered an enquiry: read the reply",
    TaskKind.ENQUIRY_NOT_SENT: (
        "An enquiry could not be handed to the agency after several tries. The hub keeps trying; if it is "
        "urgent, phone the agency, and tell the hub's administrators"
    ),
    TaskKind.TELL_PARENT_ANOTHER_WAY: (
        "Tell the parent or carer about the protection referral by phone or letter: they have no email address"
    ),
    TaskKind.REVIEW_CONSENT_DISPENSED: (
        "Review date: a manager dispensed with consent. Check whether it is now safe to ask the parents, "
        "and record consent again if it is"
    ),
    TaskKind.REVIEW_PARENTS_NOT_TOLD: (
        "Review date: the parents have not been told about this protection referral. Check whether telling "
        "them would still put the child at more risk; a manager records any change"
    ),
    TaskKind.REVIEW_PERSON_NOT_TOLD: (
        "Review the decision not to tell this person (see the contact plan): is it still right? Nothing "
        "is sent until someone changes the plan"
    ),
    TaskKind.REVIEW_OUTCOME_NOTICE_WITHHELD: (
        "Review date: the parents' outcome notice is withheld. Check whether it can now be sent; a manager "
        "releases it. Nothing is sent until then"
    ),
}


class TaskEnd(StrEnum):
    """How staff finished a task: done, or not needed (dismissed)."""

    COMPLETED = "completed"
    DISMISSED = "dismissed"


# A task's note is a line or two ("rang mum, she has the letter"): the case note is for more.
TASK_NOTE_MAX_LENGTH = 2000

# Tasks addressed to a manager: only a manager finishes them.
MANAGER_TASKS = frozenset({TaskKind.ENQUIRY_ESCALATED})


class TaskNotFound(Exception):
    """No task with that id on the referral."""

    def __init__(self, task_id: str) -> None:
        super().__init__("This referral has no task with that id: take it from the tasks in the whole picture")
        self.task_id = task_id


class TaskAlreadyDone(Exception):
    """The task was completed or dismissed already (perhaps by someone else just now)."""

    def __init__(self, task_id: str) -> None:
        super().__init__("This task is already done or dismissed: reload the referral to see who finished it")
        self.task_id = task_id


class TaskForManager(Exception):
    """A manager's task finished by someone who is not a manager."""

    def __init__(self, task_id: str) -> None:
        super().__init__("This task is for a manager: ask a manager to complete or dismiss it")
        self.task_id = task_id


@dataclass(frozen=True)
class Task:
    task_id: str
    kind: TaskKind
    created_at: dt.datetime
    # The notice or consent request it is about, by id: never a name or address.
    about: str | None = None
    done_by: str | None = None
    done_at: dt.datetime | None = None
    # When it should be done by: a review task is due on its review date.
    due_on: dt.date | None = None
    # Set when staff finished it by hand; None when the hub did (a release, an answer read).
    ended: TaskEnd | None = None
    # Staff's note on finishing it (sealed on the referral: it may name people).
    note: str | None = None

    @property
    def open(self) -> bool:
        return self.done_at is None

    def overdue(self, today: dt.date) -> bool:
        return self.open and self.due_on is not None and self.due_on < today

    def done(self, by: str, at: dt.datetime) -> Task:
        return replace(self, done_by=by, done_at=at)


def finish_task(
    tasks: tuple[Task, ...],
    task_id: str,
    how: TaskEnd,
    *,
    by: str,
    at: dt.datetime,
    note: str | None,
    by_manager: bool,
) -> tuple[Task, ...]:
    """Complete or dismiss one open task: TaskNotFound, TaskAlreadyDone or TaskForManager if not."""
    task = next((t for t in tasks if t.task_id == task_id), None)
    if task is None:
        raise TaskNotFound(task_id)
    if not task.open:
        raise TaskAlreadyDone(task_id)
    if task.kind in MANAGER_TASKS and not by_manager:
        raise TaskForManager(task_id)
    finished = replace(task, done_by=by, done_at=at, ended=how, note=note or None)
    return tuple(finished if t.task_id == task_id else t for t in tasks)


def open_tasks(tasks: tuple[Task, ...]) -> list[Task]:
    """The to-do list: open tasks, those due soonest first, then the oldest."""
    return sorted((t for t in tasks if t.open), key=lambda t: (t.due_on is None, t.due_on or dt.date.min, t.created_at))
