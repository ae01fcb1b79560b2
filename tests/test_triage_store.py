"""The triage store and its in-memory twin hold to one contract (moto and memory)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import replace
from typing import Any

import pytest

from chalicelib.adapters.agency_replies import DynamoTriageStore, TriageStore
from chalicelib.adapters.agency_replies_memory import InMemoryTriageStore
from chalicelib.adapters.referrals import InvalidCursor
from chalicelib.domain.agency_replies import (
    PDF,
    StoredAttachment,
    TriageAlreadyDecided,
    TriageItem,
    TriageNotFound,
    TriageReason,
    TriageStatus,
)
from tests.test_inbound_replies import CANARY_SUBJECT, CANARY_TEXT, NOW, SENDER, count_calls


@pytest.fixture(params=["memory", "dynamodb"])
def triage(request: pytest.FixtureRequest) -> Iterator[TriageStore]:
    if request.param == "memory":
        yield InMemoryTriageStore()
        return
    aws: Any = request.getfixturevalue("aws")
    yield DynamoTriageStore(aws.aws_client("dynamodb"), aws.settings.table_name, aws.cipher)


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


def test_a_triage_item_comes_back_whole_and_is_stored_once(triage: TriageStore) -> None:
    item = an_item(reason=TriageReason.TOKEN_EXPIRED)
    assert triage.add_triage(item) is True
    assert triage.add_triage(replace(item, text="changed")) is False
    assert triage.has_triage("t1") and not triage.has_triage("t2")
    assert triage.open_triage("t1") == item
    with pytest.raises(TriageNotFound):
        triage.open_triage("t2")
    with pytest.raises(TriageNotFound):
        triage.open_triage("t2", viewer="staff-pat", at=NOW)


def test_the_list_is_newest_first_by_status_in_pages_with_no_kms_call(triage: TriageStore, request: Any) -> None:
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


def test_each_view_is_recorded_on_the_item_before_its_content_is_returned(triage: TriageStore) -> None:
    triage.add_triage(an_item())
    triage.open_triage("t1", viewer="staff-pat", at=NOW)
    item = triage.open_triage("t1", viewer="staff-mo", at=NOW + dt.timedelta(minutes=5))
    assert [(v.by, v.at) for v in item.views] == [("staff-pat", NOW), ("staff-mo", NOW + dt.timedelta(minutes=5))]
    assert item.sender == SENDER
    assert triage.metadata("t1").views == item.views
    assert triage.metadata("t1").sender is None  # metadata: nothing decrypted


def test_a_decision_is_made_once_with_the_note_sealed(triage: TriageStore) -> None:
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


def test_a_quarantined_item_holds_no_content_and_opens_with_no_kms_call(triage: TriageStore, request: Any) -> None:
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


def test_a_decision_attaches_or_rejects_and_a_view_needs_its_time(triage: TriageStore) -> None:
    triage.add_triage(an_item())
    with pytest.raises(ValueError, match="attaches or rejects"):
        triage.decide_triage("t1", TriageStatus.WAITING, by="staff-pat", at=NOW)
    with pytest.raises(ValueError, match="needs its time"):
        triage.open_triage("t1", viewer="staff-pat")
    assert triage.metadata("t1").status is TriageStatus.WAITING and triage.metadata("t1").views == ()


def test_an_attached_item_keeps_its_note_and_its_metadata_names_no_file(triage: TriageStore) -> None:
    triage.add_triage(an_item())
    decided = triage.decide_triage(
        "t1", TriageStatus.ATTACHED, by="staff-mo", at=NOW, note="Police chronology", attached_to=("K7Q-F3M-RW9", "e1")
    )
    assert (decided.sender, decided.decision_note, [a.filename for a in decided.attachments]) == (None, None, [""])
    assert triage.open_triage("t1").decision_note == "Police chronology"
    with pytest.raises(TriageNotFound):
        triage.metadata("t9")


def test_rejected_items_decided_before_a_cutoff_are_found_and_deleted_with_their_line(triage: TriageStore) -> None:
    for hour in range(4):
        triage.add_triage(an_item(f"t{hour}", NOW + dt.timedelta(hours=hour)))
    triage.decide_triage("t0", TriageStatus.REJECTED, by="staff-pat", at=NOW + dt.timedelta(days=1), note="spam")
    triage.decide_triage("t1", TriageStatus.REJECTED, by="staff-pat", at=NOW + dt.timedelta(days=3), note="spam")
    triage.decide_triage("t2", TriageStatus.REJECTED, by="staff-pat", at=NOW + dt.timedelta(days=1), note="spam")
    cutoff = NOW + dt.timedelta(days=2)

    assert triage.rejected_before(cutoff) == ["t0", "t2"]  # oldest received first
    assert triage.rejected_before(cutoff, limit=1) == ["t0"]

    triage.delete_triage("t0")
    triage.delete_triage("t0")  # already gone: nothing to do
    assert not triage.has_triage("t0")
    with pytest.raises(TriageNotFound):
        triage.open_triage("t0")
    assert [line.triage_id for line in triage.list_triage("rejected")[0]] == ["t2", "t1"]
    assert [line.triage_id for line in triage.list_triage("waiting")[0]] == ["t3"]
