"""One contract, two stores: the in-memory twin must behave as DynamoDB (under moto) does."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import replace
from typing import Any

import pytest

from chalicelib.adapters.envelope import FieldCipher, LocalKeyProvider
from chalicelib.adapters.referrals import (
    DynamoReferralStore,
    InMemoryReferralStore,
    ReferenceTaken,
    ReferralNotFound,
    ReferralStore,
    StaleReferral,
)
from chalicelib.adapters.referrals.keys import CHILD_PREFIX
from chalicelib.domain.notices import SEND_GRACE
from chalicelib.domain.referral import ReferralSubmission
from chalicelib.domain.referral_record import Channel, Referral
from tests.factories import example

NOW = dt.datetime(2026, 11, 25, 10, 0, tzinfo=dt.UTC)


def new_referral(reference: str = "K7Q-F3M-RW9", name: str = "referral-support.json") -> Referral:
    return Referral.receive(
        reference,
        ReferralSubmission.model_validate(example(name)),
        channel=Channel.API,
        now=NOW,
        request_fingerprint="f" * 64,
        idempotency_key_hash=None,
    )


@pytest.fixture(params=["memory", "dynamodb"])
def store(request: pytest.FixtureRequest) -> Iterator[ReferralStore]:
    if request.param == "memory":
        yield InMemoryReferralStore(FieldCipher(LocalKeyProvider()))
        return
    aws: Any = request.getfixturevalue("aws")
    yield DynamoReferralStore(aws.aws_client("dynamodb"), aws.settings.table_name, aws.cipher)


@pytest.mark.parametrize("name", ["referral-support.json", "referral-protection.json"])
def test_a_stored_referral_comes_back_whole(store: ReferralStore, name: str) -> None:
    referral = new_referral(name=name)
    store.add(referral)
    assert store.fetch(referral.reference) == referral


def test_a_reference_is_never_stored_twice(store: ReferralStore) -> None:
    store.add(new_referral())
    with pytest.raises(ReferenceTaken):
        store.add(new_referral())


def test_an_unknown_reference_is_not_found(store: ReferralStore) -> None:
    with pytest.raises(ReferralNotFound):
        store.fetch("ZZZ-ZZZ-ZZZ")


def test_summary_needs_no_decryption(store: ReferralStore) -> None:
    referral = new_referral()
    store.add(referral)
    summary = store.fetch_summary(referral.reference)
    assert (summary.reference, summary.route, summary.request_fingerprint) == (
        referral.reference,
        referral.route,
        "f" * 64,
    )


def test_owed_notice_is_found_by_the_outbox_only_once_due(store: ReferralStore) -> None:
    referral = new_referral()
    store.add(referral)
    assert store.references_with_notices_due(NOW) == []
    assert store.references_with_notices_due(NOW + SEND_GRACE) == [referral.reference]


def test_sent_notice_leaves_the_outbox(store: ReferralStore) -> None:
    referral = new_referral()
    store.add(referral)
    ack = referral.notices[0]
    saved = store.save_notices(referral.with_notice(ack.sent("msg-1", NOW)))
    assert store.references_with_notices_due(NOW + dt.timedelta(days=1)) == []
    stored = store.fetch(referral.reference)
    assert stored.notices[0].status.value == "sent" and stored.notices[0].provider_message_id == "msg-1"
    assert stored.version == saved.version == 1


def test_a_stale_writer_is_refused(store: ReferralStore) -> None:
    referral = new_referral()
    store.add(referral)
    store.save_notices(referral)
    with pytest.raises(StaleReferral):
        store.save_notices(replace(referral, version=0))


def screened(referral: Referral, rag: str = "amber", due_hours: int = 8) -> Referral:
    from chalicelib.domain.decision import Rag, Screening

    return referral.screen(
        Screening(Rag(rag), 3, "Bruising seen; needs checks", "staff-1", NOW, NOW + dt.timedelta(hours=due_hours))
    )


def audit_events(referral: Referral, *actions: str) -> list[Any]:
    from chalicelib.domain.audit import AuditAction

    head, events = referral.audit_head, []
    for action in actions:
        event, head = head.append(
            referral.reference,
            AuditAction(action),
            at=NOW,
            actor="staff-1",
            role="mash-practitioner",
            request_id="r-1",
            key=b"test-audit-key",
        )
        events.append(event)
    return events


def test_a_change_and_its_audit_events_are_saved_together(store: ReferralStore) -> None:
    store.add(new_referral())
    opened = store.open("K7Q-F3M-RW9")
    saved = store.save(opened, screened(opened.referral), audit_events(opened.referral, "referral.screened"))
    again = store.fetch("K7Q-F3M-RW9")
    assert again == saved
    assert again.screening is not None and again.screening.rationale == "Bruising seen; needs checks"
    events, head = store.audit_trail("K7Q-F3M-RW9")
    assert [e.action.value for e in events] == ["referral.screened"] and head == again.audit_head


def test_a_change_made_on_a_stale_read_is_refused_and_writes_nothing(store: ReferralStore) -> None:
    store.add(new_referral())
    first, second = store.open("K7Q-F3M-RW9"), store.open("K7Q-F3M-RW9")
    store.save(first, screened(first.referral), audit_events(first.referral, "referral.screened"))
    with pytest.raises(StaleReferral):
        store.save(second, screened(second.referral, "red"), audit_events(second.referral, "referral.screened"))
    assert store.fetch("K7Q-F3M-RW9").screening.rag.value == "amber"
    assert len(store.audit_trail("K7Q-F3M-RW9")[0]) == 1


def test_a_read_audit_does_not_disturb_the_version_but_guards_the_chain(store: ReferralStore) -> None:
    store.add(new_referral())
    referral = store.fetch("K7Q-F3M-RW9")
    viewed = store.append_audit(referral, audit_events(referral, "referral.viewed"))
    assert store.fetch("K7Q-F3M-RW9").version == 0
    with pytest.raises(StaleReferral):
        store.append_audit(referral, audit_events(referral, "referral.viewed"))  # same sequence again
    events, head = store.audit_trail("K7Q-F3M-RW9")
    assert head == viewed.audit_head and len(events) == 1


def test_queue_lists_open_referrals_most_urgent_first_without_personal_data(store: ReferralStore) -> None:
    for reference, rag, hours in [("AAA-AAA-AAA", "green", 72), ("BBB-BBB-BBB", "red", 4), ("CCC-CCC-CCC", "amber", 8)]:
        store.add(new_referral(reference))
        opened = store.open(reference)
        store.save(opened, screened(opened.referral, rag, hours), [])
    store.add(new_referral("DDD-DDD-DDD"))  # not yet screened
    page = store.list_queue(limit=10)
    assert [row.reference for row in page.rows] == ["BBB-BBB-BBB", "DDD-DDD-DDD", "CCC-CCC-CCC", "AAA-AAA-AAA"]
    assert "Sam" not in repr(page)
    assert [r.reference for r in store.list_queue(rag="amber", limit=10).rows] == ["CCC-CCC-CCC"]


def test_queue_pages_follow_the_cursor(store: ReferralStore) -> None:
    for n in range(5):
        store.add(new_referral(f"AAA-AAA-AA{n + 2}"))
    first = store.list_queue(limit=2)
    second = store.list_queue(limit=2, cursor=first.next_cursor)
    third = store.list_queue(limit=2, cursor=second.next_cursor)
    seen = [r.reference for page in (first, second, third) for r in page.rows]
    assert seen == sorted(seen) and len(set(seen)) == 5


def test_referrals_of_a_child_are_found_by_keyed_hash_only(store: ReferralStore) -> None:
    first = replace(new_referral("AAA-AAA-AAA"), child_keys=("k-sam",))
    second = replace(new_referral("BBB-BBB-BBB"), child_keys=("k-sam", "k-ruby"))
    store.add(first)
    store.add(second)
    store.add(replace(new_referral("CCC-CCC-CCC"), child_keys=("k-ruby",)))
    assert [s.reference for s in store.referrals_of_child("k-sam")] == ["AAA-AAA-AAA", "BBB-BBB-BBB"]
    assert store.referrals_of_child("k-nobody") == []


def leave_child_index_entry(store: ReferralStore, reference: str, child_key: str) -> None:
    """An index entry as a reference clash leaves it behind, written straight into the table."""
    item = {"pk": CHILD_PREFIX + child_key, "sk": f"REF#{reference}", "reference": reference}
    if isinstance(store, InMemoryReferralStore):
        store.items[(item["pk"], item["sk"])] = item
    else:
        assert isinstance(store, DynamoReferralStore)
        store.items.db.put_item(TableName=store.items.table, Item={k: {"S": v} for k, v in item.items()})


def test_an_index_entry_left_by_a_reference_clash_is_never_shown(store: ReferralStore) -> None:
    store.add(replace(new_referral("AAA-AAA-AAA"), child_keys=("k-sam",)))
    leave_child_index_entry(store, "AAA-AAA-AAA", "k-other-child")  # the clash's leftover
    leave_child_index_entry(store, "ZZZ-ZZZ-ZZZ", "k-other-child")  # and one whose referral never landed
    assert store.referrals_of_child("k-other-child") == []


def test_notice_history_and_tasks_come_back_whole(store: ReferralStore) -> None:
    from chalicelib.domain.notices import NoticeStatus, recipient_parent
    from chalicelib.domain.tasks import Task, TaskKind

    referral = new_referral()
    store.add(referral)
    ack = referral.notices[0].sent("ses-1", NOW).delivery_event(NoticeStatus.BOUNCED, NOW)
    changed = replace(
        referral.with_notice(ack), notices=(ack, replace(ack, notice_id="p0", recipient=recipient_parent(0)))
    )
    changed = changed.with_task(Task("t1", TaskKind.CONTACT_PARENT_ANOTHER_WAY, NOW, about="p0"))
    saved = store.save(store.open(referral.reference), changed, [])
    assert store.fetch(referral.reference) == saved


def test_the_owner_index_lists_each_persons_open_referrals_by_urgency_and_drops_closed_ones(
    store: ReferralStore,
) -> None:
    from chalicelib.domain.lifecycle import ReferralStatus
    from chalicelib.domain.tasks import Task, TaskKind

    for reference, rag, hours, owner in [
        ("AAA-AAA-AAA", "green", 72, "staff-pat"),
        ("BBB-BBB-BBB", "red", 4, "staff-pat"),
        ("CCC-CCC-CCC", "amber", 8, "staff-sam"),
        ("DDD-DDD-DDD", "amber", 8, None),
    ]:
        store.add(new_referral(reference), search_card=b"sealed-card-" + reference.encode())
        opened = store.open(reference)
        changed = replace(screened(opened.referral, rag, hours), owner=owner)
        store.save(opened, changed.with_task(Task("t1", TaskKind.REPLY_TO_READ, NOW)), [])
    rows, more = store.list_owned("staff-pat")
    assert ([row.reference for row in rows], more) == (["BBB-BBB-BBB", "AAA-AAA-AAA"], False)
    first = rows[0]
    assert (first.owner, first.card, [t.task_id for t in first.open_tasks]) == (
        "staff-pat",
        b"sealed-card-BBB-BBB-BBB",  # the card kept through a change
        ["t1"],
    )
    assert store.list_owned("staff-pat", limit=1)[1] is True
    assert store.fetch("BBB-BBB-BBB").owner == "staff-pat"
    queued = {row.reference: row.owner for row in store.list_queue(limit=10).rows}
    assert queued == {
        "AAA-AAA-AAA": "staff-pat",
        "BBB-BBB-BBB": "staff-pat",
        "CCC-CCC-CCC": "staff-sam",
        "DDD-DDD-DDD": None,
    }

    opened = store.open("AAA-AAA-AAA")
    store.save(opened, replace(opened.referral, status=ReferralStatus.CLOSED), [])
    assert [row.reference for row in store.list_owned("staff-pat")[0]] == ["BBB-BBB-BBB"]
    assert store.fetch("AAA-AAA-AAA").owner == "staff-pat"
