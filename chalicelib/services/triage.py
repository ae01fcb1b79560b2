"""The triage list: replies the hub could not safely put on a referral, for a person to attach or reject.

The HTTP layer maps `TriageNotFound` to 404, `TriageAlreadyDecided` to 409 and `TriageRefused` to 409
(or 422 for a missing note); `InvalidCursor` and a bad status to 400. Every message says what to do.
"""

from __future__ import annotations

from chalicelib import metrics
from chalicelib.domain.agency_replies import (
    AgencyReply,
    TriageAlreadyDecided,
    TriageItem,
    TriageNotFound,
    TriageReason,
    TriageRefused,
    TriageStatus,
    TriageSummary,
)
from chalicelib.domain.audit import AuditAction
from chalicelib.domain.failures import ReferralNotFound
from chalicelib.domain.lifecycle import ReferralStatus
from chalicelib.domain.staff import StaffMember
from chalicelib.logs import logger
from chalicelib.services.receive_reply import record_answer
from chalicelib.services.referral_changes import primary_role
from chalicelib.wiring import wiring

__all__ = [
    "TriageAlreadyDecided",
    "TriageNotFound",
    "TriageRefused",
    "attach_triage",
    "list_triage",
    "reject_triage",
    "view_triage",
]

MAX_NOTE_CHARS = 2000


def list_triage(
    status: str = "waiting", limit: int = 50, cursor: str | None = None
) -> tuple[list[TriageSummary], str | None]:
    """One status, newest first, metadata only (no KMS call). ValueError for an unknown status or a
    foreign cursor (InvalidCursor is a ValueError)."""
    try:
        wanted = TriageStatus(status)
    except ValueError:
        known = ", ".join(s.value for s in TriageStatus)
        raise ValueError(f"status must be one of: {known}") from None
    limit = max(1, min(int(limit), 100))
    return wiring().triage.list_triage(wanted, limit, cursor)


def view_triage(triage_id: str, staff: StaffMember) -> TriageItem:
    """The item with its content, the view recorded on it (who, when) in the same write that reads it."""
    hub = wiring()
    try:
        item = hub.triage.open_triage(triage_id, viewer=staff.id, at=hub.clock())
    except TriageNotFound:
        raise TriageNotFound(_not_found(triage_id)) from None
    logger.info("triage item viewed", extra={"triage_id": triage_id, "staff": staff.id})
    return item


def attach_triage(
    triage_id: str, reference: str, enquiry_id: str, staff: StaffMember, request_id: str | None
) -> AgencyReply:
    """Put a waiting item on an open referral's enquiry as its reply, audited as the staff member.

    Safe to repeat after a failure: the reply is stored once and the answer recorded once; the item
    is marked attached last, so a failure before that leaves it waiting for another try.
    """
    hub = wiring()
    try:
        item = hub.triage.open_triage(triage_id)
    except TriageNotFound:
        raise TriageNotFound(_not_found(triage_id)) from None
    if item.status is not TriageStatus.WAITING:
        raise TriageAlreadyDecided(_decided(item))
    if item.reason is TriageReason.VIRUS:
        raise TriageRefused(
            "This email was quarantined because the mail service found a virus, so it cannot be attached. "
            "Reject it, and ask the agency to send its answer again"
        )
    try:
        opened = hub.referrals.open(reference)
    except ReferralNotFound:
        raise TriageRefused(f"No referral has the reference {reference}: check the reference and try again") from None
    enquiry = opened.referral.enquiry(enquiry_id)
    if enquiry is None:
        raise TriageRefused(
            f"Referral {reference} has no enquiry {enquiry_id}: choose one of the enquiries on the referral"
        )
    if opened.referral.status is ReferralStatus.CLOSED:
        raise TriageRefused(
            f"Referral {reference} is closed, so no reply can be added to it. If the reply raises a new "
            "concern, make a new referral"
        )
    if enquiry.withdrawn_at is not None:
        raise TriageRefused(
            f"Enquiry {enquiry_id} on referral {reference} was withdrawn (the agency was asked not to answer), "
            "so no reply can be added to it. Reject this email"
        )
    reply = AgencyReply(
        reply_id=item.triage_id,
        reference=reference,
        enquiry_id=enquiry_id,
        agency=enquiry.agency,
        received_at=item.received_at,
        sender=item.sender or "",
        subject=item.subject or "",
        text=item.text or "",
        full_text=item.full_text or "",
        attachments=item.attachments,
        source_key=item.source_key,
        attached_by=staff.id,
    )
    hub.replies.add_reply(opened.sealed, reply)
    record_answer(
        reference,
        enquiry_id,
        reply.reply_id,
        actor=staff.id,
        role=primary_role(staff),
        action=AuditAction.REPLY_ATTACHED,
        request_id=request_id,
        opened=opened,
    )
    try:
        hub.triage.decide_triage(
            triage_id, TriageStatus.ATTACHED, by=staff.id, at=hub.clock(), attached_to=(reference, enquiry_id)
        )
    except TriageAlreadyDecided:
        raise TriageAlreadyDecided(_decided(hub.triage.metadata(triage_id))) from None
    metrics.reply_triaged(TriageStatus.ATTACHED.value)
    logger.info(
        "triage item attached",
        extra={"triage_id": triage_id, "reference": reference, "enquiry": enquiry_id, "staff": staff.id},
    )
    return reply


def reject_triage(triage_id: str, note: str, staff: StaffMember) -> TriageItem:
    """Reject a waiting item with a note saying why (sealed: it may name the family)."""
    note = (note or "").strip()
    if not note:
        raise TriageRefused("Say why the email is rejected: a note is needed")
    if len(note) > MAX_NOTE_CHARS:
        raise TriageRefused(f"The note is too long: keep it to {MAX_NOTE_CHARS} characters")
    hub = wiring()
    try:
        item = hub.triage.decide_triage(triage_id, TriageStatus.REJECTED, by=staff.id, at=hub.clock(), note=note)
    except TriageNotFound:
        raise TriageNotFound(_not_found(triage_id)) from None
    except TriageAlreadyDecided:
        raise TriageAlreadyDecided(_decided(hub.triage.metadata(triage_id))) from None
    metrics.reply_triaged(TriageStatus.REJECTED.value)
    logger.info("triage item rejected", extra={"triage_id": triage_id, "staff": staff.id})
    return item


def _not_found(triage_id: str) -> str:
    return f"No email in the triage list has the id {triage_id}: reload the list and choose it again"


def _decided(item: TriageItem) -> str:
    if item.status is TriageStatus.ATTACHED:
        where = f" to {item.attached_reference} {item.attached_enquiry_id}" if item.attached_reference else ""
        return f"This email was already attached{where}: nothing was changed. Reload the list"
    return "This email was already rejected: nothing was changed. Reload the list"
