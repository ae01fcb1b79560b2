"""Tamper-evident audit: each referral's events form a hash chain.

Every event carries the hash of the one before it; changing, deleting or reordering any event
breaks every link after it. The hash is an HMAC-SHA256 under a key kept outside the table, so
someone who can write to the table cannot rebuild a consistent chain after editing it.
Events hold ids and codes, never personal data.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
from dataclasses import asdict, dataclass, field, replace
from enum import StrEnum

GENESIS = "0" * 64


class AuditAction(StrEnum):
    RECEIVED = "referral.received"
    VIEWED = "referral.viewed"
    SCREENED = "referral.screened"
    DECISION_RECORDED = "decision.recorded"
    DECISION_APPROVED = "decision.approved"
    DECISION_RETURNED = "decision.returned"
    CLOSED = "referral.closed"
    EXPORTED = "referral.exported"
    HOLD_PLACED = "legal_hold.placed"
    HOLD_LIFTED = "legal_hold.lifted"
    DELETED = "referral.deleted"
    HANDOVER_NOTED = "edt.handover_noted"  # the emergency duty team added a note; details: its number only
    HANDED_OVER = "edt.handed_over"  # ... and handed the referral over to the day team
    CONSENT_RECORDED = "consent.recorded"
    CONSENT_REQUESTED = "consent.requested"  # a consent request emailed to a parent
    CONSENT_ANSWERED = "consent.answered"  # the parent answered it by the link
    PARENTS_TOLD_DECIDED = "parents_told.decided"
    ONWARD_REFERRAL_MADE = "onward_referral.made"  # details: service id and section names only
    OUTCOME_NOTICE_DECIDED = "outcome_notice.decided"  # a manager withheld or released the parents' notice
    NOTICE_PREVIEWED = "notice.previewed"  # staff read a rendered notice (personal data) before it went
    ENQUIRIES_OPENED = "enquiries.opened"  # details: enquiry ids and agencies, never the question
    REPLY_RECEIVED = "enquiry.answered"  # an agency's reply matched by its token and stored
    REPLY_ATTACHED = "enquiry.reply_attached"  # staff attached a reply from the triage list
    ENQUIRY_ESCALATED = "enquiry.escalated"  # overdue twice: the agency's contact and a manager told
    # Ids and codes only: which enquiries, and why (consent_refused or withdrawn_by_staff); never the reason text.
    ENQUIRY_WITHDRAWN = "enquiry.withdrawn"
    CONSENT_ANSWER_CHANGED = "consent.answer_changed"  # the parent changed their answer by the same link
    ATTACHMENT_ADDED = "attachment.added"  # a document the referrer added was kept; details: its id, type, size
    ATTACHMENT_REFUSED = "attachment.refused"  # one was refused (by content or size); details: its id, the reason code
    ATTACHMENT_READ = "attachment.read"  # staff were given a download link to a document
    CONTACT_PLAN_CHANGED = "contact_plan.changed"  # details: the person's key, told or not and why (codes)
    REPLY_TEXT_MARKED = "reply.text_marked"  # staff: a reply's shortened text is wrong, show it whole (or undo)
    # A member of staff searched (in their own chain): details: how many found and which kinds of
    # detail were given (name, dob, postcode, reference), never what was typed.
    SEARCHED = "referrals.searched"
    NOTICE_RELEASED = "notice.released"  # a family email held for translation let go: translated or in English
    # Case work (issue 13 parts 4 and 5): ids and codes only; a note's words stay sealed on the referral.
    TASK_FINISHED = "task.finished"  # details: the task's id and kind, completed or dismissed
    NOTE_ADDED = "case_note.added"  # details: the note's id and type, the note it corrects
    CHRONOLOGY_READ = "chronology.read"  # staff read the referral's chronology (its notes among it)
    # Links between referrals, on both (details: the other reference and the kind; the reason stays sealed).
    REFERRAL_LINKED = "referral.linked"
    REFERRAL_UNLINKED = "referral.unlinked"  # a manager removed a link
    # Closed as a duplicate of another (details: the original's reference, the family notices cancelled by id).
    CLOSED_AS_DUPLICATE = "referral.closed_as_duplicate"
    # Advice calls, in the staff member's own chain (details: the contact's id and codes, never what was said).
    ADVICE_RECORDED = "advice.recorded"
    ADVICE_READ = "advice.read"
    ADVICE_MADE_INTO_REFERRAL = "advice.made_into_referral"  # details also: the new referral's reference
    CASE_EXPORT_REQUESTED = "case_export.requested"  # a manager asked for an export to the case system; details: its id
    ALLOCATED = "referral.allocated"  # its owner changed; details: from and to (staff ids, empty for nobody)


class AccessReason(StrEnum):
    """Why a closed referral is opened again: a code, so the audit holds no free text."""

    NEW_CONCERN = "new_concern_about_the_same_child"
    SUBJECT_ACCESS = "subject_access_request"
    COURT_OR_POLICE = "court_or_police_request"
    COMPLAINT = "complaint_or_review"
    QUALITY_AUDIT = "quality_audit"


class ReasonRequired(Exception):
    """A closed referral is opened only with a stated reason (purpose limitation)."""


@dataclass(frozen=True)
class AuditEvent:
    reference: str
    sequence: int
    action: AuditAction
    at: dt.datetime
    actor: str
    role: str
    request_id: str | None
    previous_hash: str
    details: dict[str, str] = field(default_factory=dict)
    hash: str = ""

    def canonical(self) -> bytes:
        data = asdict(self)
        data.pop("hash")
        data["at"] = self.at.astimezone(dt.UTC).isoformat(timespec="microseconds")
        data["action"] = self.action.value
        return json.dumps(data, sort_keys=True, separators=(",", ":")).encode()

    def digest(self, key: bytes) -> str:
        return hmac.new(key, self.canonical(), hashlib.sha256).hexdigest()


@dataclass(frozen=True)
class ChainHead:
    """Where a referral's chain stands: the next event's sequence and previous hash."""

    sequence: int = 0
    last_hash: str = GENESIS

    def append(
        self,
        reference: str,
        action: AuditAction,
        *,
        at: dt.datetime,
        actor: str,
        role: str,
        request_id: str | None,
        key: bytes,
        details: dict[str, str] | None = None,
    ) -> tuple[AuditEvent, ChainHead]:
        unsealed = AuditEvent(
            reference=reference,
            sequence=self.sequence + 1,
            action=action,
            at=at,
            actor=actor,
            role=role,
            request_id=request_id,
            previous_hash=self.last_hash,
            details=dict(details or {}),
        )
        event = replace(unsealed, hash=unsealed.digest(key))
        return event, ChainHead(event.sequence, event.hash)


@dataclass(frozen=True)
class ChainReport:
    intact: bool
    events: int
    first_broken_sequence: int | None = None
    problem: str | None = None


def verify_chain(events: list[AuditEvent], key: bytes, head: ChainHead | None = None) -> ChainReport:
    """Check sequence numbers run 1..n without gaps and every link matches.

    With the head stored on the referral, deleting the newest events is caught too.
    """
    previous = GENESIS
    for expected, event in enumerate(events, start=1):
        if event.sequence != expected:
            return ChainReport(False, len(events), expected, f"event {expected} is missing or out of order")
        if event.previous_hash != previous:
            return ChainReport(False, len(events), expected, f"event {expected} does not follow event {expected - 1}")
        if not hmac.compare_digest(event.hash, event.digest(key)):
            return ChainReport(False, len(events), expected, f"event {expected} was changed after it was written")
        previous = event.hash
    if head is not None and (head.sequence != len(events) or head.last_hash != previous):
        return ChainReport(False, len(events), len(events) + 1, "the newest events are missing or were changed")
    return ChainReport(True, len(events))
