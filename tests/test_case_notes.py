"""Case notes (issue 13 part 5), at the service level against the in-memory twins: typed, sealed
under the referral's own key, append-only (a correction points at the note it corrects), audited."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from typing import Any

import pytest

from chalicelib import wiring as wiring_module
from chalicelib.domain.audit import AuditAction
from chalicelib.domain.case_notes import NOTE_MAX_LENGTH, NoteForManager, NoteProblem, NoteType, corrections
from chalicelib.domain.referral_record import ReferralClosed, ReferralStatus
from chalicelib.services.case_notes import add_case_note
from tests.factories import in_memory_hub, stored_referral
from tests.test_tasks_finish import MANAGER, NOW, PRACTITIONER

CALL = "Rang Alex Testparent on 01632 960001: Sam is staying with her aunt this week."


@pytest.fixture
def hub() -> Iterator[Any]:
    yield in_memory_hub(NOW)
    wiring_module.reset()


def test_a_note_is_kept_sealed_with_who_and_when_and_its_write_audited(hub: Any) -> None:
    reference = stored_referral(hub, NOW).reference
    saved, note = add_case_note(
        reference, NoteType.PHONE_CALL, f"  {CALL}  ", corrects=None, staff=PRACTITIONER, request_id="req-1"
    )
    assert (note.note_id, note.kind, note.text, note.written_by, note.written_at) == (
        "n1",
        NoteType.PHONE_CALL,
        CALL,
        PRACTITIONER.id,
        NOW,
    )
    assert hub.referrals.fetch(reference).case_notes == (note,) == saved.case_notes
    raw = str(hub.referrals._get(reference))
    assert "Testparent" not in raw and "01632" not in raw and "aunt" not in raw
    events, _ = hub.referrals.audit_trail(reference)
    [event] = [e for e in events if e.action is AuditAction.NOTE_ADDED]
    assert (event.details, event.request_id) == ({"note": "n1", "type": "phone_call"}, "req-1")


def test_a_note_costs_one_decrypt_and_no_new_data_key(hub: Any) -> None:
    reference = stored_referral(hub, NOW).reference
    keys = hub.referrals.cipher._keys
    for _ in range(3):
        generated, unwrapped = keys.generated, keys.unwrapped
        add_case_note(reference, NoteType.PHONE_CALL, CALL, corrects=None, staff=PRACTITIONER, request_id=None)
        assert (keys.generated - generated, keys.unwrapped - unwrapped) == (0, 1)


def test_a_correction_is_a_new_note_and_the_old_one_stays_as_it_was(hub: Any) -> None:
    reference = stored_referral(hub, NOW).reference
    _, first = add_case_note(reference, NoteType.PHONE_CALL, CALL, corrects=None, staff=PRACTITIONER, request_id=None)
    saved, fix = add_case_note(
        reference, NoteType.CORRECTION, "Her uncle, not her aunt.", corrects="n1", staff=PRACTITIONER, request_id=None
    )
    assert saved.case_notes == (first, fix) and fix.corrects == "n1"
    assert corrections(saved.case_notes) == {"n1": "n2"}
    events, _ = hub.referrals.audit_trail(reference)
    assert [e.details for e in events if e.action is AuditAction.NOTE_ADDED][-1] == {
        "note": "n2",
        "type": "correction",
        "corrects": "n1",
    }


@pytest.mark.parametrize(
    ("kind", "text", "corrects", "message"),
    [
        (NoteType.PHONE_CALL, "   ", None, "Enter the note"),
        (NoteType.PHONE_CALL, "x" * (NOTE_MAX_LENGTH + 1), None, "A note must be 10,000 characters or fewer"),
        (NoteType.CORRECTION, "Fix", None, "Say which note this corrects"),
        (NoteType.CORRECTION, "Fix", "n9", "There is no note with that id to correct"),
        (NoteType.PHONE_CALL, "Call", "n1", "Only a correction points at another note"),
    ],
)
def test_a_note_that_cannot_be_kept_is_refused_with_one_message(
    hub: Any, kind: NoteType, text: str, corrects: str | None, message: str
) -> None:
    reference = stored_referral(hub, NOW).reference
    add_case_note(reference, NoteType.PHONE_CALL, CALL, corrects=None, staff=PRACTITIONER, request_id=None)
    with pytest.raises(NoteProblem, match=message):
        add_case_note(reference, kind, text, corrects=corrects, staff=PRACTITIONER, request_id=None)
    assert len(hub.referrals.fetch(reference).case_notes) == 1


def test_management_oversight_is_a_managers_note(hub: Any) -> None:
    reference = stored_referral(hub, NOW).reference
    with pytest.raises(NoteForManager):
        add_case_note(
            reference, NoteType.MANAGEMENT_OVERSIGHT, "OK", corrects=None, staff=PRACTITIONER, request_id=None
        )
    _, note = add_case_note(
        reference, NoteType.MANAGEMENT_OVERSIGHT, "Agree with the plan", corrects=None, staff=MANAGER, request_id=None
    )
    assert note.kind is NoteType.MANAGEMENT_OVERSIGHT


def test_a_closed_referral_takes_no_note(hub: Any) -> None:
    reference = stored_referral(hub, NOW).reference
    opened = hub.referrals.open(reference)
    hub.referrals.save(opened, replace(opened.referral, status=ReferralStatus.CLOSED), [])
    with pytest.raises(ReferralClosed):
        add_case_note(reference, NoteType.PHONE_CALL, CALL, corrects=None, staff=PRACTITIONER, request_id=None)
