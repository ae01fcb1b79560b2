"""Reading a referral's chronology (issue 13 part 5), at the service level against the in-memory
twins: an audited read costing one KMS Decrypt, with the staff's own notes and tasks in it."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from typing import Any

import pytest

from chalicelib import wiring as wiring_module
from chalicelib.domain.audit import AccessReason, AuditAction, ReasonRequired
from chalicelib.domain.case_notes import NoteType
from chalicelib.domain.chronology import EntryKind
from chalicelib.domain.referral_record import ReferralStatus
from chalicelib.services.case_notes import add_case_note
from chalicelib.services.chronology import read_chronology
from tests.factories import in_memory_hub, stored_referral
from tests.test_tasks_finish import MANAGER, NOW, PRACTITIONER


@pytest.fixture
def hub() -> Iterator[Any]:
    yield in_memory_hub(NOW)
    wiring_module.reset()


def test_the_chronology_is_an_audited_read_of_one_decrypt_with_the_notes_in_it(hub: Any) -> None:
    from chalicelib.domain.staff import StaffEntry

    hub.staff_directory.entries.append(StaffEntry(PRACTITIONER.id, "Priya Practitioner", PRACTITIONER.roles))
    reference = stored_referral(hub, NOW).reference
    add_case_note(reference, NoteType.PHONE_CALL, "Rang the school", corrects=None, staff=PRACTITIONER, request_id=None)
    keys = hub.referrals.cipher._keys
    generated, unwrapped = keys.generated, keys.unwrapped
    found = read_chronology(reference, staff=MANAGER, request_id="req-9")
    assert (keys.generated - generated, keys.unwrapped - unwrapped) == (0, 1)
    assert [e.kind for e in found.entries] == [EntryKind.RECEIVED, EntryKind.NOTE]
    # Staff by name from the directory, never by id.
    assert found.entries[1].who == "Priya Practitioner" and found.entries[1].detail == "Rang the school"
    events, _ = hub.referrals.audit_trail(reference)
    assert [(e.action, e.actor, e.request_id) for e in events][-1] == (AuditAction.CHRONOLOGY_READ, MANAGER.id, "req-9")


def test_a_closed_referrals_chronology_needs_a_reason(hub: Any) -> None:
    reference = stored_referral(hub, NOW).reference
    opened = hub.referrals.open(reference)
    hub.referrals.save(opened, replace(opened.referral, status=ReferralStatus.CLOSED), [])
    with pytest.raises(ReasonRequired):
        read_chronology(reference, staff=MANAGER, request_id=None)
    found = read_chronology(reference, staff=MANAGER, request_id=None, reason=AccessReason.COMPLAINT)
    assert found.entries[0].kind is EntryKind.RECEIVED
