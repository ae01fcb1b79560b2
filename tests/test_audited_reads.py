"""The audited read: every read of a referral's personal data is on its audit chain before it leaves."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import replace
from typing import Any

import pytest

from chalicelib import wiring as wiring_module
from chalicelib.domain.audit import AccessReason, AuditAction, ReasonRequired
from chalicelib.domain.failures import StaleReferral
from chalicelib.domain.lifecycle import ReferralStatus
from chalicelib.domain.staff import Role, StaffMember
from chalicelib.services.audited_reads import read_with_audit, reason_details
from tests.factories import in_memory_hub, stored_referral

NOW = dt.datetime(2026, 11, 25, 10, 0, tzinfo=dt.UTC)
STAFF = StaffMember("0b6f7c1e-0000-4000-8000-000000000001", frozenset({Role.PRACTITIONER}))


@pytest.fixture
def hub() -> Iterator[Any]:
    yield in_memory_hub(NOW)
    wiring_module.reset()


def read_events(hub: Any, reference: str) -> list[Any]:
    events, _head = hub.referrals.audit_trail(reference)
    return [e for e in events if e.action is AuditAction.VIEWED]


def test_the_read_is_recorded_with_what_the_look_says_and_its_find_handed_back(hub: Any) -> None:
    reference = stored_referral(hub, NOW).reference
    read = read_with_audit(
        reference,
        AuditAction.VIEWED,
        staff=STAFF,
        request_id="req-1",
        look=lambda opened: (len(opened.referral.notices), {"purpose": "test"}),
    )
    [event] = read_events(hub, reference)
    assert (event.actor, event.role, event.request_id, event.details) == (
        STAFF.id,
        "mash-practitioner",
        "req-1",
        {"purpose": "test"},
    )
    assert (read.found, read.at, read.opened.referral.reference) == (1, NOW, reference)
    assert read.recorded.audit_head.sequence == event.sequence


def test_a_refusing_look_records_nothing(hub: Any) -> None:
    reference = stored_referral(hub, NOW).reference

    def refuse(opened: Any) -> tuple[None, dict[str, str]]:
        raise PermissionError("not this one")

    with pytest.raises(PermissionError):
        read_with_audit(reference, AuditAction.VIEWED, staff=STAFF, request_id=None, look=refuse)
    assert read_events(hub, reference) == []


def test_a_referral_changed_meanwhile_is_read_again_and_looked_at_afresh(
    hub: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    reference = stored_referral(hub, NOW).reference
    store, looks = hub.referrals, list[Any]()
    append = store.append_audit

    def stale_once(referral: Any, events: list[Any]) -> Any:
        monkeypatch.setattr(store, "append_audit", append)
        raise StaleReferral(referral.reference)

    def look(opened: Any) -> tuple[None, dict[str, str]]:
        looks.append(opened)
        return None, {}

    monkeypatch.setattr(store, "append_audit", stale_once)
    read_with_audit(reference, AuditAction.VIEWED, staff=STAFF, request_id=None, look=look)
    assert len(looks) == 2
    assert len(read_events(hub, reference)) == 1


def test_always_stale_gives_up_after_its_tries(hub: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    reference = stored_referral(hub, NOW).reference

    def always_stale(referral: Any, events: list[Any]) -> Any:
        raise StaleReferral(referral.reference)

    monkeypatch.setattr(hub.referrals, "append_audit", always_stale)
    with pytest.raises(StaleReferral):
        read_with_audit(reference, AuditAction.VIEWED, staff=STAFF, request_id=None, look=lambda o: (None, {}))


def test_a_closed_referral_is_read_only_with_a_reason_which_the_audit_keeps(hub: Any) -> None:
    referral = stored_referral(hub, NOW)
    assert reason_details(referral, None) == {}
    closed = replace(referral, status=ReferralStatus.CLOSED)
    with pytest.raises(ReasonRequired):
        reason_details(closed, None)
    reason = next(iter(AccessReason))
    assert reason_details(closed, reason) == {"reason": reason.value}
