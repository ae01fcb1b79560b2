"""Staff add a case note (issue 13 part 5): one audited, version-checked change through
`change_referral`, sealed under the referral's own data key (no new KMS data key: one Decrypt to
open the referral, none to seal the note)."""

from __future__ import annotations

from dataclasses import replace

from chalicelib.domain.audit import AuditAction
from chalicelib.domain.case_notes import CaseNote, NoteType, add_note
from chalicelib.domain.referral_record import Referral
from chalicelib.domain.staff import Role, StaffMember
from chalicelib.services.referral_changes import change_referral
from chalicelib.wiring import wiring


def add_case_note(
    reference: str,
    kind: NoteType,
    text: str,
    *,
    corrects: str | None,
    staff: StaffMember,
    request_id: str | None,
) -> tuple[Referral, CaseNote]:
    now = wiring().clock()

    def step(referral: Referral) -> Referral:
        notes = add_note(
            referral.case_notes,
            kind,
            text,
            corrects=corrects,
            by=staff.id,
            at=now,
            by_manager=Role.MANAGER in staff.roles,
        )
        return replace(referral, case_notes=notes)

    def details(referral: Referral) -> dict[str, str]:
        note = referral.case_notes[-1]
        # Ids and the type only: the words stay sealed on the referral.
        return {"note": note.note_id, "type": note.kind.value, **({"corrects": note.corrects} if note.corrects else {})}

    saved = change_referral(reference, staff, request_id, AuditAction.NOTE_ADDED, step, details)
    return saved, saved.case_notes[-1]
