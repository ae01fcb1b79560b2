"""Linked referrals and duplicates, at the service level over the in-memory twins (and the two-referral
transaction held to one contract by both stores)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import replace
from typing import Any

import pytest

from chalicelib import wiring as wiring_module
from chalicelib.adapters.envelope import FieldCipher, LocalKeyProvider
from chalicelib.adapters.referrals import DynamoReferralStore, InMemoryReferralStore, ReferralStore
from chalicelib.domain.audit import AuditAction
from chalicelib.domain.decision import Rag, Screening
from chalicelib.domain.failures import StaleReferral
from chalicelib.domain.lifecycle import ReferralStatus
from chalicelib.domain.notices import Notice, NoticeKind, NoticeStatus
from chalicelib.domain.referral_links import LinkKind, LinkProblem, LinkRefused
from chalicelib.domain.referral_record import Referral, ReferralClosed
from chalicelib.domain.staff import Role, StaffMember
from chalicelib.domain.tasks import Task, TaskKind
from chalicelib.services.link_referrals import link_referrals, mark_duplicate, unlink_referrals
from tests.factories import in_memory_hub, stored_referral
from tests.test_referral_store import new_referral

NOW = dt.datetime(2026, 11, 25, 10, 0, tzinfo=dt.UTC)
PRACTITIONER = StaffMember("p-1", frozenset({Role.PRACTITIONER}))
MANAGER = StaffMember("m-1", frozenset({Role.MANAGER}))
FIRST, SECOND = "K7Q-F3M-RW9", "M4X-T2P-QH7"


@pytest.fixture
def hub() -> Iterator[Any]:
    yield in_memory_hub(NOW)
    wiring_module.reset()


def two(hub: Any) -> tuple[Referral, Referral]:
    return stored_referral(hub, NOW, FIRST), stored_referral(hub, NOW, SECOND)


def audit_actions(hub: Any, reference: str) -> list[tuple[str, dict[str, str]]]:
    events, _ = hub.referrals.audit_trail(reference)
    return [(event.action.value, dict(event.details)) for event in events]


def test_a_link_is_held_on_both_referrals_with_who_when_and_why(hub: Any) -> None:
    two(hub)
    saved = link_referrals(
        FIRST, SECOND, kind=LinkKind.SIBLINGS, reason="Synthetic: same mother", staff=PRACTITIONER, request_id="r1"
    )
    [link] = saved.links
    assert (link.other, link.kind, link.linked_by, link.linked_at, link.reason) == (
        SECOND, LinkKind.SIBLINGS, "p-1", NOW, "Synthetic: same mother",
    )  # fmt: skip
    [mirrored] = hub.referrals.fetch(SECOND).links
    assert (mirrored.other, mirrored.kind, mirrored.linked_by) == (FIRST, LinkKind.SIBLINGS, "p-1")
    assert hub.referrals.fetch(FIRST).links == saved.links
    assert audit_actions(hub, FIRST) == [("referral.linked", {"other": SECOND, "kind": "siblings"})]
    assert audit_actions(hub, SECOND) == [("referral.linked", {"other": FIRST, "kind": "siblings"})]
    # The reason may name people: sealed, never in clear on the item.
    item = hub.referrals._get(FIRST)
    assert "Synthetic: same mother" not in repr(item) and "pd_links" in item


def test_a_referral_cannot_be_linked_to_itself_nor_to_an_unknown_reference(hub: Any) -> None:
    stored_referral(hub, NOW, FIRST)
    with pytest.raises(LinkProblem, match="itself"):
        link_referrals(FIRST, FIRST, kind=LinkKind.SAME_CHILD, reason="x", staff=PRACTITIONER, request_id=None)
    with pytest.raises(LinkProblem, match="No referral has the reference ZZZ-ZZZ-ZZZ"):
        link_referrals(FIRST, "ZZZ-ZZZ-ZZZ", kind=LinkKind.SAME_CHILD, reason="x", staff=PRACTITIONER, request_id=None)
    assert hub.referrals.fetch(FIRST).links == ()


def test_linking_twice_is_refused_and_a_manager_removes_a_link_on_both_sides(hub: Any) -> None:
    two(hub)
    link_referrals(FIRST, SECOND, kind=LinkKind.SAME_CHILD, reason="Synthetic", staff=PRACTITIONER, request_id=None)
    with pytest.raises(LinkRefused, match="already linked"):
        link_referrals(SECOND, FIRST, kind=LinkKind.SIBLINGS, reason="Synthetic", staff=PRACTITIONER, request_id=None)
    unlink_referrals(SECOND, FIRST, reason="Synthetic: different child", staff=MANAGER, request_id=None)
    for reference in (FIRST, SECOND):
        [link] = hub.referrals.fetch(reference).links
        assert not link.current
        assert (link.removed_by, link.removed_at, link.removal_reason) == ("m-1", NOW, "Synthetic: different child")
        assert audit_actions(hub, reference)[-1][0] == "referral.unlinked"
    with pytest.raises(LinkRefused, match="not linked"):
        unlink_referrals(FIRST, SECOND, reason="Again", staff=MANAGER, request_id=None)
    # Removed, they may be linked again, another way.
    link_referrals(FIRST, SECOND, kind=LinkKind.SIBLINGS, reason="Synthetic", staff=PRACTITIONER, request_id=None)
    assert [link.kind for link in hub.referrals.fetch(SECOND).links if link.current] == [LinkKind.SIBLINGS]


def test_a_closed_referral_still_takes_a_link(hub: Any) -> None:
    two(hub)
    hub.referrals.items[("REF#" + FIRST, "REFERRAL")]["status"] = "closed"  # closed some time ago
    link_referrals(SECOND, FIRST, kind=LinkKind.SAME_CHILD, reason="Synthetic", staff=PRACTITIONER, request_id=None)
    assert [link.other for link in hub.referrals.fetch(FIRST).links] == [SECOND]


def test_a_change_to_either_referral_meanwhile_is_retried_and_then_refused_with_neither_side_linked(
    hub: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    two(hub)
    store = hub.referrals
    real_open = store.open

    def open_then_someone_changes_the_other(reference: str) -> Any:
        opened = real_open(reference)
        if reference == SECOND:  # someone saves the other referral between our read and our write
            other = real_open(SECOND)
            store.save(other, other.referral, [])
        return opened

    monkeypatch.setattr(store, "open", open_then_someone_changes_the_other)
    with pytest.raises(StaleReferral):
        link_referrals(FIRST, SECOND, kind=LinkKind.SIBLINGS, reason="Synthetic", staff=PRACTITIONER, request_id=None)
    monkeypatch.undo()
    assert store.fetch(FIRST).links == store.fetch(SECOND).links == ()
    assert audit_actions(hub, FIRST) == audit_actions(hub, SECOND) == []


def family_notice_owed(hub: Any, reference: str) -> Referral:
    """A referral owing a consent request to a parent (one held for translation, with its task) and the ack."""
    referral = new_referral(reference)
    consent = Notice.new("consent-0", NoticeKind.CONSENT_REQUEST, NOW, recipient="parent:0")
    held = replace(Notice.new("outcome-0", NoticeKind.OUTCOME, NOW, recipient="parent:0"), next_attempt_at=None)
    task = Task("translate-outcome-0", TaskKind.TRANSLATE_NOTICE, NOW, about="outcome-0")
    referral = replace(
        referral.with_notice_added(consent).with_notice_added(held).with_task(task),
        status=ReferralStatus.SCREENED,
        screening=Screening(Rag.GREEN, 1, "Synthetic", "p-1", NOW, NOW + dt.timedelta(days=1)),
    )
    hub.referrals.add(referral)
    return referral


def test_a_duplicate_is_closed_linked_and_sends_the_family_nothing_twice(hub: Any) -> None:
    stored_referral(hub, NOW, FIRST)
    family_notice_owed(hub, SECOND)
    link_referrals(SECOND, FIRST, kind=LinkKind.SAME_CHILD, reason="Known before", staff=PRACTITIONER, request_id=None)
    duplicate = mark_duplicate(
        SECOND, original=FIRST, reason="Synthetic: the same school sent it twice", staff=PRACTITIONER, request_id=None
    )
    assert duplicate.status is ReferralStatus.CLOSED and duplicate.closed_at == NOW
    assert duplicate.retention_until == NOW.replace(year=2028)
    statuses = {notice.notice_id: notice.status for notice in hub.referrals.fetch(SECOND).notices}
    # The referrer is still told it arrived; the family's emails are the original's to send.
    assert statuses == {
        "ack": NoticeStatus.PENDING,
        "consent-0": NoticeStatus.CANCELLED,
        "outcome-0": NoticeStatus.CANCELLED,
    }
    assert hub.referrals.fetch(SECOND).due_notices(NOW + dt.timedelta(hours=1))[0].notice_id == "ack"
    assert not [task for task in hub.referrals.fetch(SECOND).tasks if task.open]
    # The "same child" link is replaced by the duplicate link, on both sides.
    assert [(link.kind, link.current) for link in hub.referrals.fetch(SECOND).links] == [
        (LinkKind.SAME_CHILD, False), (LinkKind.DUPLICATE_OF, True),
    ]  # fmt: skip
    assert [(link.kind, link.current) for link in hub.referrals.fetch(FIRST).links] == [
        (LinkKind.SAME_CHILD, False), (LinkKind.HAS_DUPLICATE, True),
    ]  # fmt: skip
    assert audit_actions(hub, SECOND)[-1] == (
        AuditAction.CLOSED_AS_DUPLICATE.value, {"duplicate_of": FIRST, "cancelled_notices": "consent-0,outcome-0"},
    )  # fmt: skip
    assert audit_actions(hub, FIRST)[-1] == ("referral.linked", {"other": SECOND, "kind": "has_duplicate"})
    assert hub.referrals.fetch(FIRST).status is ReferralStatus.RECEIVED  # the original goes on
    # The duplicate's link stays; a closed duplicate is not marked again.
    with pytest.raises(LinkRefused, match="duplicate"):
        unlink_referrals(FIRST, SECOND, reason="No", staff=MANAGER, request_id=None)
    with pytest.raises(ReferralClosed):
        mark_duplicate(SECOND, original=FIRST, reason="Again", staff=PRACTITIONER, request_id=None)


def test_a_just_received_referral_is_marked_a_duplicate_through_the_links_kind_too(hub: Any) -> None:
    two(hub)
    link_referrals(FIRST, SECOND, kind=LinkKind.DUPLICATE_OF, reason="Synthetic", staff=PRACTITIONER, request_id=None)
    assert hub.referrals.fetch(FIRST).status is ReferralStatus.CLOSED
    with pytest.raises(LinkProblem):
        link_referrals(FIRST, SECOND, kind=LinkKind.HAS_DUPLICATE, reason="x", staff=PRACTITIONER, request_id=None)


@pytest.fixture(params=["memory", "dynamodb"])
def store(request: pytest.FixtureRequest) -> Iterator[ReferralStore]:
    if request.param == "memory":
        yield InMemoryReferralStore(FieldCipher(LocalKeyProvider()))
        return
    aws: Any = request.getfixturevalue("aws")
    yield DynamoReferralStore(aws.aws_client("dynamodb"), aws.settings.table_name, aws.cipher)


def test_two_referrals_are_saved_together_or_not_at_all(store: ReferralStore) -> None:
    store.add(new_referral(FIRST))
    store.add(new_referral(SECOND))
    first, second = store.open(FIRST), store.open(SECOND)
    saved = store.save_together([(first, first.referral, []), (second, second.referral, [])])
    assert [referral.version for referral in saved] == [1, 1]
    # The second was read before that save: stale, so the first (fresh) is not written either.
    fresh_first = store.open(FIRST)
    with pytest.raises(StaleReferral):
        store.save_together(
            [(fresh_first, replace(fresh_first.referral, proposed_level=4), []), (second, second.referral, [])]
        )
    assert store.fetch(FIRST).proposed_level == fresh_first.referral.proposed_level
    assert store.fetch(FIRST).version == 1
