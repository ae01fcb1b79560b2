"""The triage service, under moto (the stores' own contract: test_reply_store.py, test_triage_store.py)."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from dataclasses import replace
from typing import Any

import pytest

from chalicelib.adapters.aws import AwsError
from chalicelib.domain.agencies import AgencyId
from chalicelib.domain.agency_replies import PDF, TriageReason, TriageStatus
from chalicelib.domain.audit import AuditAction
from chalicelib.domain.lifecycle import ReferralStatus
from chalicelib.domain.referral_record import Referral
from chalicelib.domain.staff import Role, StaffMember
from chalicelib.domain.tasks import TaskKind
from chalicelib.services.triage import (
    TriageAlreadyDecided,
    TriageNotFound,
    TriageRefused,
    attach_triage,
    list_triage,
    reject_triage,
    view_triage,
)
from tests.conftest import table_items
from tests.test_inbound_replies import (
    CANARY_SUBJECT,
    CANARY_TEXT,
    NOW,
    PDF_BYTES,
    address_for,
    audit_events,
    count_calls,
    deliver,
    fail_once,
    mime,
    referral_with_enquiries,
)

PAT = StaffMember("staff-pat", frozenset({Role.PRACTITIONER}), name="Pat Practitioner")
MO = StaffMember("staff-mo", frozenset({Role.MANAGER}), name="Mo Manager")


@pytest.fixture
def hub(aws: Any) -> Iterator[Any]:
    aws.clock = lambda: NOW
    yield aws


@pytest.fixture
def referral(hub: Any) -> Referral:
    return referral_with_enquiries(hub)


@pytest.fixture
def waiting(hub: Any, referral: Referral) -> str:
    """A reply from a personal address (wrong domain) with a PDF: waiting in triage."""
    return deliver(
        hub,
        mime(
            address_for(hub, referral.reference),
            sender="sam.taylor@gmail.example",
            attachments=(("Chronology.pdf", PDF, PDF_BYTES),),
        ),
        "inbound/personal",
    )


def test_the_list_gives_metadata_only(hub: Any, waiting: str, referral: Referral) -> None:
    kms = count_calls(hub, "kms")
    [line], cursor = list_triage()
    assert kms() == [] and cursor is None
    assert (line.triage_id, line.reason, line.status, line.claimed_reference, line.claimed_enquiry_id) == (
        waiting,
        TriageReason.WRONG_SENDER_DOMAIN,
        TriageStatus.WAITING,
        referral.reference,
        "e1",
    )
    assert line.attachment_count == 1 and line.received_at == NOW
    with pytest.raises(ValueError, match="status must be one of: waiting, attached, rejected"):
        list_triage("pending")


def test_viewing_an_item_records_who_and_when(hub: Any, waiting: str) -> None:
    item = view_triage(waiting, PAT)
    assert (item.sender, item.subject) == ("sam.taylor@gmail.example", CANARY_SUBJECT)
    assert item.text.startswith(CANARY_TEXT)
    assert [a.filename for a in item.attachments] == ["Chronology.pdf"]
    assert [(v.by, v.at) for v in item.views] == [("staff-pat", NOW)]
    with pytest.raises(TriageNotFound, match="reload the list"):
        view_triage("nope", PAT)


def test_attaching_puts_the_reply_on_the_enquiry_audited_as_the_staff_member(
    hub: Any, waiting: str, referral: Referral
) -> None:
    hub.clock = lambda: NOW + dt.timedelta(hours=2)
    reply = attach_triage(waiting, referral.reference, "e1", PAT, "req-1")
    assert (reply.reply_id, reply.attached_by, reply.received_at) == (waiting, "staff-pat", NOW)

    opened = hub.referrals.open(referral.reference)
    [stored] = hub.replies.replies_of(referral.reference, opened.sealed)
    assert stored == reply
    assert (stored.sender, stored.agency, stored.enquiry_id) == ("sam.taylor@gmail.example", AgencyId.POLICE, "e1")
    assert stored.text.startswith(CANARY_TEXT)
    [attachment] = stored.attachments
    assert attachment.object_key == f"replies/{waiting}/a1"  # kept where it was: nothing moved
    assert hub.mail_objects.get_attachment(attachment.object_key) == PDF_BYTES

    enquiry = opened.referral.enquiry("e1")
    assert (enquiry.reply_ids, enquiry.answered_at) == ((waiting,), NOW + dt.timedelta(hours=2))
    [task] = [t for t in opened.referral.tasks if t.kind is TaskKind.REPLY_TO_READ]
    assert (task.task_id, task.about) == (f"reply_to_read:{waiting}", "e1")
    [event] = audit_events(hub, referral.reference, AuditAction.REPLY_ATTACHED)
    assert (event.actor, event.role, event.request_id, event.details) == (
        "staff-pat",
        "mash-practitioner",
        "req-1",
        {"enquiry": "e1", "reply": waiting},
    )
    assert audit_events(hub, referral.reference, AuditAction.REPLY_RECEIVED) == []

    item = hub.triage.open_triage(waiting)
    assert (item.status, item.decided_by, item.attached_reference, item.attached_enquiry_id, item.sender) == (
        TriageStatus.ATTACHED,
        "staff-pat",
        referral.reference,
        "e1",
        None,
    )
    assert list_triage() == ([], None)
    with pytest.raises(TriageAlreadyDecided, match=f"already attached to {referral.reference} e1"):
        attach_triage(waiting, referral.reference, "e1", MO, None)
    with pytest.raises(TriageAlreadyDecided):
        reject_triage(waiting, "Not needed", MO)


def test_attaching_to_another_enquiry_of_the_same_referral_is_the_staff_members_call(
    hub: Any, waiting: str, referral: Referral
) -> None:
    attach_triage(waiting, referral.reference, "e2", MO, None)
    stored = hub.referrals.fetch(referral.reference)
    assert (stored.enquiry("e1").reply_ids, stored.enquiry("e2").reply_ids) == ((), (waiting,))
    [event] = audit_events(hub, referral.reference, AuditAction.REPLY_ATTACHED)
    assert (event.actor, event.role) == ("staff-mo", "mash-manager")


def test_an_attach_that_fails_part_way_can_be_tried_again_and_completes_once(
    hub: Any, waiting: str, referral: Referral
) -> None:
    fail_once(hub, "dynamodb", "TransactWriteItems")  # the referral's save
    with pytest.raises(AwsError):
        attach_triage(waiting, referral.reference, "e1", PAT, None)
    assert hub.triage.metadata(waiting).status is TriageStatus.WAITING
    attach_triage(waiting, referral.reference, "e1", PAT, None)
    opened = hub.referrals.open(referral.reference)
    assert len(hub.replies.replies_of(referral.reference, opened.sealed)) == 1
    assert len(audit_events(hub, referral.reference, AuditAction.REPLY_ATTACHED)) == 1
    assert hub.triage.metadata(waiting).status is TriageStatus.ATTACHED


@pytest.mark.parametrize(
    ("reference", "enquiry_id", "message"),
    [
        ("K7Q-F3M-RW9", "e1", "No referral has the reference K7Q-F3M-RW9"),
        (None, "e7", "has no enquiry e7: choose one of the enquiries"),
    ],
)
def test_attaching_to_an_enquiry_that_does_not_exist_is_refused(
    hub: Any, waiting: str, referral: Referral, reference: str | None, enquiry_id: str, message: str
) -> None:
    with pytest.raises(TriageRefused, match=message):
        attach_triage(waiting, reference or referral.reference, enquiry_id, PAT, None)
    assert hub.triage.metadata(waiting).status is TriageStatus.WAITING


def test_attaching_to_a_closed_referral_is_refused(hub: Any, waiting: str, referral: Referral) -> None:
    opened = hub.referrals.open(referral.reference)
    hub.referrals.save(opened, replace(opened.referral, status=ReferralStatus.CLOSED, closed_at=NOW), [])
    with pytest.raises(TriageRefused, match="is closed"):
        attach_triage(waiting, referral.reference, "e1", PAT, None)
    opened = hub.referrals.open(referral.reference)
    assert hub.replies.replies_of(referral.reference, opened.sealed) == []


def test_a_quarantined_email_can_only_be_rejected(hub: Any, referral: Referral) -> None:
    message_id = deliver(hub, mime(address_for(hub, referral.reference), verdicts={"virus": "FAIL"}))
    with pytest.raises(TriageRefused, match="virus"):
        attach_triage(message_id, referral.reference, "e1", PAT, None)
    item = reject_triage(message_id, "Virus: asked the police to send it again", PAT)
    assert item.status is TriageStatus.REJECTED
    assert hub.triage.open_triage(message_id).decision_note == "Virus: asked the police to send it again"


def test_rejecting_needs_a_note_which_is_sealed(hub: Any, waiting: str) -> None:
    for note in ("", "   "):
        with pytest.raises(TriageRefused, match="a note is needed"):
            reject_triage(waiting, note, PAT)
    with pytest.raises(TriageRefused, match="too long"):
        reject_triage(waiting, "x" * 2001, PAT)
    item = reject_triage(waiting, "Personal address: CANARYnotezq asked to resend", PAT)
    assert (item.status, item.decided_by, item.decided_at) == (TriageStatus.REJECTED, "staff-pat", NOW)
    assert hub.triage.open_triage(waiting).decision_note == "Personal address: CANARYnotezq asked to resend"
    assert "canarynotezq" not in json.dumps(table_items(hub), default=repr).lower()
    with pytest.raises(TriageAlreadyDecided, match="already rejected"):
        reject_triage(waiting, "again", MO)
    with pytest.raises(TriageNotFound):
        reject_triage("nope", "why", PAT)
    [line], _ = list_triage("rejected")
    assert line.triage_id == waiting


def test_the_service_runs_on_the_in_memory_hub_too() -> None:
    """The twins are in the service-level hub: list, view and reject with no moto."""
    from chalicelib import wiring as wiring_module
    from tests.factories import in_memory_hub
    from tests.test_triage_store import an_item

    hub = in_memory_hub(NOW)
    try:
        hub.triage.add_triage(an_item("t1"))
        [line], _ = list_triage()
        assert line.triage_id == "t1"
        assert [(v.by, v.at) for v in view_triage("t1", PAT).views] == [("staff-pat", NOW)]
        assert reject_triage("t1", "Spam", PAT).status is TriageStatus.REJECTED
        assert list_triage() == ([], None)
    finally:
        wiring_module.reset()
