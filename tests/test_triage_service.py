"""The reply and triage stores (one contract, in memory and under moto) and the triage service."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from dataclasses import replace
from typing import Any

import pytest

from chalicelib.adapters.agency_replies import (
    DynamoReplyStore,
    DynamoTriageStore,
    InMemoryReplyStore,
    InMemoryTriageStore,
    ReplyStore,
    TriageStore,
)
from chalicelib.adapters.aws import AwsError
from chalicelib.adapters.envelope import DecryptionFailed, FieldCipher, LocalKeyProvider
from chalicelib.adapters.referrals import InvalidCursor
from chalicelib.domain.agencies import AgencyId
from chalicelib.domain.agency_replies import (
    PDF,
    AgencyReply,
    StoredAttachment,
    TriageItem,
    TriageReason,
    TriageStatus,
)
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
    SENDER,
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


# -- the stores: one contract, two implementations ---------------------------------------------------


@pytest.fixture(params=["memory", "dynamodb"])
def stores(request: pytest.FixtureRequest) -> Iterator[tuple[ReplyStore, TriageStore, FieldCipher]]:
    if request.param == "memory":
        cipher = FieldCipher(LocalKeyProvider())
        yield InMemoryReplyStore(), InMemoryTriageStore(cipher), cipher
        return
    aws: Any = request.getfixturevalue("aws")
    db, table = aws.aws_client("dynamodb"), aws.settings.table_name
    yield DynamoReplyStore(db, table), DynamoTriageStore(db, table, aws.cipher), aws.cipher


def a_reply(reference: str = "K7Q-F3M-RW9", reply_id: str = "r1", at: dt.datetime = NOW, **changes: Any) -> AgencyReply:
    reply = AgencyReply(
        reply_id=reply_id,
        reference=reference,
        enquiry_id="e1",
        agency=AgencyId.POLICE,
        received_at=at,
        sender=SENDER,
        subject=CANARY_SUBJECT,
        text=CANARY_TEXT,
        full_text=CANARY_TEXT + "\n> quoted",
        attachments=(
            StoredAttachment("a1", "Chronology Smith.pdf", PDF, 12, "ab" * 32, f"replies/{reply_id}/a1"),
            StoredAttachment("a2", "virus.exe", "application/octet-stream", 9, "cd" * 32, "", "type_not_kept"),
        ),
        source_key=f"inbound/{reply_id}",
    )
    return replace(reply, **changes)


def an_item(triage_id: str = "t1", at: dt.datetime = NOW, reason: TriageReason = TriageReason.NO_TOKEN) -> TriageItem:
    virus = reason is TriageReason.VIRUS
    return TriageItem(
        triage_id=triage_id,
        received_at=at,
        reason=reason,
        status=TriageStatus.WAITING,
        source_key=f"inbound/{triage_id}",
        claimed_reference="K7Q-F3M-RW9" if reason is TriageReason.TOKEN_EXPIRED else None,
        claimed_enquiry_id="e1" if reason is TriageReason.TOKEN_EXPIRED else None,
        sender=None if virus else SENDER,
        subject=None if virus else CANARY_SUBJECT,
        text=None if virus else CANARY_TEXT,
        full_text=None if virus else CANARY_TEXT + "\n> quoted",
        attachments=()
        if virus
        else (StoredAttachment("a1", "Smith.pdf", PDF, 12, "ab" * 32, f"replies/{triage_id}/a1"),),
        verdicts={"spam": "PASS", "virus": "FAIL" if virus else "PASS", "spf": "PASS", "dkim": "PASS", "dmarc": "PASS"},
    )


def test_a_reply_comes_back_whole_with_the_referrals_key_and_is_stored_once(stores: Any) -> None:
    replies, _, cipher = stores
    sealed = cipher.seal("K7Q-F3M-RW9")
    first, later = a_reply(reply_id="r1"), a_reply(reply_id="r0", at=NOW + dt.timedelta(hours=1), text="Later")
    assert replies.add_reply(sealed, later) is True
    assert replies.add_reply(sealed, first) is True
    assert replies.add_reply(sealed, replace(first, text="changed")) is False  # a repeat changes nothing
    assert replies.replies_of("K7Q-F3M-RW9", sealed) == [first, later]
    assert replies.has_reply("K7Q-F3M-RW9", "r1") and not replies.has_reply("K7Q-F3M-RW9", "r9")
    assert replies.replies_of("ANO-THE-RRR", sealed) == []
    assert sorted(replies.reply_ids("K7Q-F3M-RW9")) == ["r0", "r1"]


def test_a_reply_opens_only_with_its_own_referrals_key(stores: Any) -> None:
    replies, _, cipher = stores
    with pytest.raises(ValueError, match="own referral"):
        replies.add_reply(cipher.seal("ANO-THE-RRR"), a_reply())
    replies.add_reply(cipher.seal("K7Q-F3M-RW9"), a_reply())
    with pytest.raises(DecryptionFailed):
        replies.replies_of("K7Q-F3M-RW9", cipher.seal("K7Q-F3M-RW9"))  # a new key for the same referral


def test_replies_are_deleted_and_cleanup_marks_kept_until_done(stores: Any) -> None:
    replies, _, cipher = stores
    sealed = cipher.seal("K7Q-F3M-RW9")
    replies.add_reply(sealed, a_reply(reply_id="r1"))
    replies.add_reply(sealed, a_reply(reply_id="r2"))
    replies.mark_for_cleanup("K7Q-F3M-RW9")
    replies.mark_for_cleanup("K7Q-F3M-RW9")
    assert replies.pending_cleanups() == ["K7Q-F3M-RW9"]
    replies.delete_replies("K7Q-F3M-RW9", ["r1", "r2"])
    replies.cleanup_done("K7Q-F3M-RW9")
    assert (replies.reply_ids("K7Q-F3M-RW9"), replies.pending_cleanups()) == ([], [])


def test_a_triage_item_comes_back_whole_and_is_stored_once(stores: Any) -> None:
    _, triage, _ = stores
    item = an_item(reason=TriageReason.TOKEN_EXPIRED)
    assert triage.add_triage(item) is True
    assert triage.add_triage(replace(item, text="changed")) is False
    assert triage.has_triage("t1") and not triage.has_triage("t2")
    assert triage.open_triage("t1") == item
    with pytest.raises(TriageNotFound):
        triage.open_triage("t2")
    with pytest.raises(TriageNotFound):
        triage.open_triage("t2", viewer="staff-pat", at=NOW)


def test_the_list_is_newest_first_by_status_in_pages_with_no_kms_call(stores: Any, request: Any) -> None:
    _, triage, _ = stores
    for hour in range(5):
        triage.add_triage(an_item(f"t{hour}", NOW + dt.timedelta(hours=hour)))
    triage.decide_triage("t2", TriageStatus.REJECTED, by="staff-pat", at=NOW, note="spam")
    kms = count_calls(request.getfixturevalue("aws"), "kms") if isinstance(triage, DynamoTriageStore) else None

    page, cursor = triage.list_triage("waiting", limit=2)
    assert [s.triage_id for s in page] == ["t4", "t3"] and cursor
    page, cursor = triage.list_triage("waiting", limit=2, cursor=cursor)
    assert [s.triage_id for s in page] == ["t1", "t0"]
    assert cursor is None  # nothing follows: no empty page offered
    [rejected], _ = triage.list_triage(TriageStatus.REJECTED)
    assert (rejected.triage_id, rejected.status, rejected.decided_by, rejected.decided_at) == (
        "t2",
        TriageStatus.REJECTED,
        "staff-pat",
        NOW,
    )
    assert (rejected.reason, rejected.attachment_count, rejected.claimed_reference) == (TriageReason.NO_TOKEN, 1, None)
    assert rejected.reason_text.startswith("The email was not a reply")
    assert triage.list_triage("attached") == ([], None)
    if kms is not None:
        assert kms() == []

    with pytest.raises(InvalidCursor):
        triage.list_triage("waiting", cursor="not-a-cursor")
    _, waiting_cursor = triage.list_triage("waiting", limit=1)
    with pytest.raises(InvalidCursor):  # a cursor from one list does not page another
        triage.list_triage("rejected", cursor=waiting_cursor)
    with pytest.raises(ValueError):
        triage.list_triage("everything")


def test_each_view_is_recorded_on_the_item_before_its_content_is_returned(stores: Any) -> None:
    _, triage, _ = stores
    triage.add_triage(an_item())
    triage.open_triage("t1", viewer="staff-pat", at=NOW)
    item = triage.open_triage("t1", viewer="staff-mo", at=NOW + dt.timedelta(minutes=5))
    assert [(v.by, v.at) for v in item.views] == [("staff-pat", NOW), ("staff-mo", NOW + dt.timedelta(minutes=5))]
    assert item.sender == SENDER
    assert triage.metadata("t1").views == item.views
    assert triage.metadata("t1").sender is None  # metadata: nothing decrypted


def test_a_decision_is_made_once_with_the_note_sealed(stores: Any) -> None:
    _, triage, _ = stores
    triage.add_triage(an_item("t1"))
    triage.add_triage(an_item("t2"))
    decided = triage.decide_triage("t1", TriageStatus.REJECTED, by="staff-pat", at=NOW, note="Spam about the Smiths")
    assert (decided.status, decided.decided_by, decided.decided_at) == (TriageStatus.REJECTED, "staff-pat", NOW)
    opened = triage.open_triage("t1")
    assert (opened.decision_note, opened.sender) == ("Spam about the Smiths", SENDER)  # rejected: content kept
    with pytest.raises(TriageAlreadyDecided):
        triage.decide_triage("t1", TriageStatus.ATTACHED, by="staff-mo", at=NOW, attached_to=("K7Q-F3M-RW9", "e1"))
    with pytest.raises(TriageNotFound):
        triage.decide_triage("t9", TriageStatus.REJECTED, by="staff-pat", at=NOW, note="x")

    triage.decide_triage("t2", TriageStatus.ATTACHED, by="staff-mo", at=NOW, attached_to=("K7Q-F3M-RW9", "e1"))
    attached = triage.open_triage("t2")
    assert (attached.status, attached.attached_reference, attached.attached_enquiry_id) == (
        TriageStatus.ATTACHED,
        "K7Q-F3M-RW9",
        "e1",
    )
    # Its content now lives on the referral: the triage copy is gone, the metadata stays.
    assert (attached.sender, attached.text, attached.full_text) == (None, None, None)
    assert [a.attachment_id for a in attached.attachments] == ["a1"]
    assert triage.list_triage("waiting") == ([], None)


def test_a_quarantined_item_holds_no_content_and_opens_with_no_kms_call(stores: Any, request: Any) -> None:
    _, triage, _ = stores
    triage.add_triage(an_item("v1", reason=TriageReason.VIRUS))
    if isinstance(triage, DynamoTriageStore):
        kms = count_calls(request.getfixturevalue("aws"), "kms")
        item = triage.open_triage("v1", viewer="staff-pat", at=NOW)
        assert kms() == []
    else:
        item = triage.open_triage("v1", viewer="staff-pat", at=NOW)
    assert (item.reason, item.sender, item.full_text, item.verdicts["virus"]) == (
        TriageReason.VIRUS,
        None,
        None,
        "FAIL",
    )


# -- the service -----------------------------------------------------------------------------------------


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
