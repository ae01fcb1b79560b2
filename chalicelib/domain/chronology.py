"""A referral's chronology (issue 13 part 5): one list, in time order, of what happened to it.

Built from the stored referral (received, notes, emails and their delivery, enquiries) and its
audit trail (staff's and the hub's changes, who made them), as a pure function: no reads here.
Reads of the referral (who looked) are left out: the audit trail has them.

Who did something is written by one function (`who_did`), given how to name a member of staff
(`name_of`: their id today; a staff directory's name when there is one).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum

from chalicelib.domain.agencies import AGENCY_NAMES, AgencyId
from chalicelib.domain.audit import AuditAction, AuditEvent
from chalicelib.domain.case_export import is_retrying, retry_reason
from chalicelib.domain.case_notes import NOTE_TYPE_LABELS, NoteType, corrections
from chalicelib.domain.decision import OUTCOME_LABELS, Outcome
from chalicelib.domain.notices import REFERRER, Notice, NoticeKind, NoticeStatus
from chalicelib.domain.people import people_of
from chalicelib.domain.referral_record import Channel, Referral
from chalicelib.domain.tasks import TASK_TEXT

NameOf = Callable[[str], str]
AGENCY_IDS = frozenset(agency.value for agency in AgencyId)


class EntryKind(StrEnum):
    RECEIVED = "received"
    SCREENING = "screening"
    DECISION = "decision"
    CONSENT = "consent"
    PARENTS_TOLD = "parents_told"
    CONTACT_PLAN = "contact_plan"
    NOTE = "note"
    EMAIL = "email"
    ENQUIRY = "enquiry"
    REPLY = "reply"
    TASK = "task"
    DOCUMENT = "document"
    RECORD = "record"  # closure, legal hold, out of hours, onward referral


@dataclass(frozen=True)
class Entry:
    at: dt.datetime
    kind: EntryKind
    what: str  # a plain sentence
    who: str  # who did it, in words (`who_did`)
    actor: str | None = None  # the staff id, when a member of staff did it
    detail: str | None = None  # a note's words, a task's note: personal data, shown to staff only
    ref: str | None = None  # the note, notice, enquiry or task it is about


# Reads, and events the list takes from the referral itself (so nothing is said twice).
LEFT_OUT = frozenset(
    {
        AuditAction.VIEWED,
        AuditAction.EXPORTED,
        AuditAction.NOTICE_PREVIEWED,
        AuditAction.ATTACHMENT_READ,
        AuditAction.SEARCHED,
        AuditAction.CHRONOLOGY_READ,
        AuditAction.RECEIVED,
        AuditAction.NOTE_ADDED,
        AuditAction.ENQUIRIES_OPENED,
        AuditAction.ENQUIRY_ESCALATED,
        AuditAction.ENQUIRY_WITHDRAWN,
    }
)

NOTICE_WORDS: dict[NoticeKind, str] = {
    NoticeKind.ACKNOWLEDGEMENT: "The acknowledgement",
    NoticeKind.CONSENT_REQUEST: "The consent request",
    NoticeKind.PARENTS_TOLD: "The letter telling the parents about the referral",
    NoticeKind.OUTCOME: "The outcome notice",
    NoticeKind.REFERRER_FEEDBACK: "The outcome, as feedback to the referrer,",
    NoticeKind.ONWARD_REFERRAL: "The onward referral",
    NoticeKind.AGENCY_REQUEST: "The request for information",
    NoticeKind.AGENCY_CHASER: "The reminder",
    NoticeKind.AGENCY_ESCALATION: "The escalation",
    NoticeKind.AGENCY_WITHDRAWAL: "The withdrawal of the request",
    NoticeKind.EDT_ALERT: "The alert",
    NoticeKind.CASE_EXPORT: "The export to the case-management system",
}
DELIVERY_WORDS = {
    "delivered": "was delivered",
    "delayed": "was delayed",
    "bounced": "could not be delivered (it bounced)",
    "complained": "was marked as spam by its recipient",
    "rejected": "was refused by the email service",
    "failed": "could not be sent",
    "sent": "was sent",
}
CONSENT_WORDS = {
    "requested": "requested",
    "given": "given",
    "implicit": "implicit in a service the parent agreed to",
    "refused": "refused",
    "dispensed": "dispensed with by a manager",
    "not_sought": "not sought",
    "not_required": "not required",
}


def who_did(actor: str | None, role: str | None, name_of: NameOf) -> str:
    """Who did something, in words: the one place a name goes (a staff directory's, later)."""
    if role == "parent":
        return "A parent or carer"
    if role == "agency" or (actor or "").startswith("agency:"):
        return "The agency"
    if actor == REFERRER:
        return "The referrer"
    if actor is None or role in (None, "system", "none"):
        return "The hub"
    return name_of(actor)


def chronology(referral: Referral, events: list[AuditEvent], *, name_of: NameOf = str) -> list[Entry]:
    """Everything that happened to the referral, oldest first (ties in the order they were made)."""
    hub = who_did(None, None, name_of)
    entries = [_received(referral, hub)]
    entries += _notes(referral, name_of)
    entries += _emails(referral, hub)
    entries += _enquiries(referral, hub, name_of)
    entries += [entry for event in events if (entry := _from_audit(referral, event, name_of)) is not None]
    return sorted(entries, key=lambda entry: entry.at)


def _received(referral: Referral, hub: str) -> Entry:
    how = {
        Channel.FORM: "by the online form",
        Channel.STAFF: "by MASH staff from a call",
    }.get(referral.channel, "from an agency system")
    risk = ": the referrer said a child is at immediate risk" if referral.immediate_risk else ""
    return Entry(referral.received_at, EntryKind.RECEIVED, f"Referral received {how}{risk}", "The referrer")


def _notes(referral: Referral, name_of: NameOf) -> list[Entry]:
    corrected = corrections(referral.case_notes)
    entries = []
    for note in referral.case_notes:
        if note.kind is NoteType.CORRECTION:
            what = f"Correction to note {note.corrects} added (note {note.note_id})"
        else:
            what = f"{NOTE_TYPE_LABELS[note.kind]} note added (note {note.note_id})"
        if note.note_id in corrected:
            what += f", later corrected by note {corrected[note.note_id]}"
        who = who_did(note.written_by, "staff", name_of)
        entries.append(Entry(note.written_at, EntryKind.NOTE, what, who, note.written_by, note.text, note.note_id))
    return entries


def _recipient(referral: Referral, notice: Notice) -> str:
    """Who an email went to, by role and name (staff read this; the name is the referral's own)."""
    if notice.recipient == REFERRER:
        return "the referrer"
    for person in people_of(referral.submission):
        if person.key == notice.recipient:
            return f"{person.name}, {person.role}" if person.name else f"a {person.role}"
    agency = notice.recipient.removeprefix("agency:")
    if agency in AGENCY_IDS:
        return AGENCY_NAMES[AgencyId(agency)]
    return notice.recipient.replace("_", " ").replace("-", " ")


def _emails(referral: Referral, hub: str) -> list[Entry]:
    entries = []
    for notice in referral.notices:
        words, to = NOTICE_WORDS[notice.kind], _recipient(referral, notice)
        if notice.sent_at:
            # An export is a document handed to a system, not an email.
            went = "was delivered" if notice.kind is NoticeKind.CASE_EXPORT else f"was emailed to {to}"
            entries.append(Entry(notice.sent_at, EntryKind.EMAIL, f"{words} {went}", hub, ref=notice.notice_id))
        if notice.kind is NoticeKind.CASE_EXPORT:
            entries += _export_retries(notice, hub)
            continue
        for status, at in notice.history:
            happened = DELIVERY_WORDS.get(status, status)
            entries.append(
                Entry(
                    dt.datetime.fromisoformat(at),
                    EntryKind.EMAIL,
                    f"{words} to {to} {happened}",
                    hub,
                    ref=notice.notice_id,
                )
            )
    return entries


def _export_retries(notice: Notice, hub: str) -> list[Entry]:
    """Each time the receiver failed in a way worth another try; why, for the latest while it is
    still being tried (only the last reason is kept)."""
    tries = [dt.datetime.fromisoformat(at) for status, at in notice.history if status == NoticeStatus.DELAYED.value]
    entries = []
    for number, at in enumerate(tries, start=1):
        why = f" ({retry_reason(notice.last_error)})" if number == len(tries) and is_retrying(notice) else ""
        what = f"Export to the case system: trying again{why}"
        entries.append(Entry(at, EntryKind.EMAIL, what, hub, ref=notice.notice_id))
    return entries


def _enquiries(referral: Referral, hub: str, name_of: NameOf) -> list[Entry]:
    entries = []
    for e in referral.enquiries:
        agency, ref = AGENCY_NAMES[e.agency], e.enquiry_id
        opener = who_did(e.opened_by, "staff", name_of)
        entries.append(
            Entry(
                e.opened_at,
                EntryKind.ENQUIRY,
                f"{agency} asked what it holds (enquiry {ref})",
                opener,
                e.opened_by,
                ref=ref,
            )
        )
        if e.chased_at:
            entries.append(
                Entry(
                    e.chased_at,
                    EntryKind.ENQUIRY,
                    f"{agency} chased: no answer by the due time (enquiry {ref})",
                    hub,
                    ref=ref,
                )
            )
        if e.escalated_at:
            what = f"{agency} has not answered by the decision deadline: its escalation contact and a manager told (enquiry {ref})"
            entries.append(Entry(e.escalated_at, EntryKind.ENQUIRY, what, hub, ref=ref))
        if e.withdrawn_at:
            who = who_did(e.withdrawn_by, "staff" if e.withdrawn_by else None, name_of)
            why = " because consent was refused" if e.withdrawn_because == "consent_refused" else ""
            what = f"Enquiry {ref} to {agency} withdrawn{why}: the agency was asked not to send information"
            entries.append(Entry(e.withdrawn_at, EntryKind.ENQUIRY, what, who, e.withdrawn_by, ref=ref))
    return entries


def _enquiry_agency(referral: Referral, enquiry_id: str | None) -> str:
    enquiry = referral.enquiry(enquiry_id) if enquiry_id else None
    return AGENCY_NAMES[enquiry.agency] if enquiry else "An agency"


def _from_audit(referral: Referral, event: AuditEvent, name_of: NameOf) -> Entry | None:
    if event.action in LEFT_OUT:
        return None
    found = _sentence(referral, event)
    if found is None:
        return None
    kind, what, detail = found
    who = who_did(event.actor, event.role, name_of)
    # A member of staff's id (their roles are the hub's own, mash-…); None for the hub, a parent, an agency.
    actor = event.actor if (event.role or "").startswith("mash-") else None
    return Entry(event.at, kind, what, who, actor, detail, event.details.get("task") or event.details.get("enquiry"))


def _sentence(referral: Referral, event: AuditEvent) -> tuple[EntryKind, str, str | None] | None:
    d, a = event.details, event.action
    if a is AuditAction.SCREENED:
        return (
            EntryKind.SCREENING,
            f"Screened: {d.get('rag', '').capitalize()} rating, level {d.get('level', '')}",
            None,
        )
    if a in (AuditAction.DECISION_RECORDED, AuditAction.DECISION_APPROVED):
        outcome = OUTCOME_LABELS.get(Outcome(d["outcome"])) if d.get("outcome") in Outcome._value2member_map_ else None
        verb = "Decision recorded" if a is AuditAction.DECISION_RECORDED else "Decision approved"
        waits = " (waiting for a manager's approval)" if d.get("status") == "awaiting_approval" else ""
        return EntryKind.DECISION, f"{verb}: {outcome or 'the outcome'}{waits}", None
    if a is AuditAction.DECISION_RETURNED:
        return EntryKind.DECISION, "Decision returned by a manager to look at again", None
    if a in (AuditAction.CONSENT_RECORDED, AuditAction.CONSENT_ANSWERED, AuditAction.CONSENT_ANSWER_CHANGED):
        state = CONSENT_WORDS.get(d.get("state", ""), d.get("state", "recorded"))
        if a is AuditAction.CONSENT_RECORDED:
            return EntryKind.CONSENT, f"Consent recorded: {state}", None
        verb = "answered the consent request" if a is AuditAction.CONSENT_ANSWERED else "changed their consent answer"
        return EntryKind.CONSENT, f"A parent or carer {verb}" + (f": {state}" if d.get("state") else ""), None
    if a is AuditAction.CONSENT_REQUESTED:
        return EntryKind.CONSENT, "Consent requested from a parent or carer by email", None
    if a is AuditAction.PARENTS_TOLD_DECIDED:
        told = "the parents are told" if d.get("state") == "tell" else "the parents are not told for now"
        return EntryKind.PARENTS_TOLD, f"Decided {told}", None
    if a is AuditAction.OUTCOME_NOTICE_DECIDED:
        return EntryKind.PARENTS_TOLD, "A manager decided on the parents' outcome notice (withheld or released)", None
    if a is AuditAction.CONTACT_PLAN_CHANGED:
        return EntryKind.CONTACT_PLAN, "Contact plan changed for one person (who is told, and why)", None
    if a is AuditAction.NOTICE_RELEASED:
        how = "with its translation" if d.get("how") == "translated" else "in English"
        return EntryKind.EMAIL, f"An email held for translation was released {how}", None
    if a in (AuditAction.REPLY_RECEIVED, AuditAction.REPLY_ATTACHED):
        agency = _enquiry_agency(referral, d.get("enquiry"))
        how = "" if a is AuditAction.REPLY_RECEIVED else ", put on the referral from the triage list"
        return EntryKind.REPLY, f"{agency} answered enquiry {d.get('enquiry', '')}{how}".rstrip(), None
    if a is AuditAction.REPLY_TEXT_MARKED:
        return EntryKind.REPLY, "An agency reply's shortened text was marked wrong (shown whole), or unmarked", None
    if a is AuditAction.TASK_FINISHED:
        task = next((t for t in referral.tasks if t.task_id == d.get("task")), None)
        verb = "dismissed (not needed)" if d.get("how") == "dismissed" else "marked as done"
        text = TASK_TEXT[task.kind] if task else None
        detail = f"{text}. Note: {task.note}" if task and task.note else text
        return EntryKind.TASK, f"Task {verb}", detail
    if a is AuditAction.ATTACHMENT_ADDED:
        return EntryKind.DOCUMENT, "The referrer added a document", None
    if a is AuditAction.ATTACHMENT_REFUSED:
        return EntryKind.DOCUMENT, "A document the referrer sent was refused by the hub's checks", None
    if a is AuditAction.ONWARD_REFERRAL_MADE:
        return EntryKind.RECORD, f"Referred on to {d.get('service', 'another service').replace('-', ' ')}", None
    if a is AuditAction.CLOSED:
        return EntryKind.RECORD, "Referral closed", None
    if a in (AuditAction.HOLD_PLACED, AuditAction.HOLD_LIFTED):
        return EntryKind.RECORD, "Legal hold " + ("placed" if a is AuditAction.HOLD_PLACED else "lifted"), None
    if a is AuditAction.HANDOVER_NOTED:
        return EntryKind.RECORD, "The emergency duty team added a handover note", None
    if a is AuditAction.HANDED_OVER:
        return EntryKind.RECORD, "The emergency duty team handed the referral over to the day team", None
    return None
