"""Case notes (issue 13 part 5): what staff record that the hub did not see happen, such as a phone
call, an agency's answer by phone, a talk with a parent, a manager's oversight.

Notes are append-only: none is ever edited or deleted. A mistake is put right by a correction, a
new note pointing at the old one; the old one is then shown as corrected, by which note. The words
are sealed on the referral under its own data key (adapters/case_notes_codec.py).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from enum import StrEnum

NOTE_MAX_LENGTH = 10_000
# Notes ride on the referral's one item (DynamoDB's limit is 400 KB; text compresses about 3:1):
# past this many characters in all, a referral takes no more notes (see the README's limits).
NOTES_MAX_TOTAL = 300_000


class NoteType(StrEnum):
    PHONE_CALL = "phone_call"
    AGENCY_CHECK_BY_PHONE = "agency_check_by_phone"
    DISCUSSION_WITH_FAMILY = "discussion_with_parent_or_carer"
    MANAGEMENT_OVERSIGHT = "management_oversight"  # managers only
    CORRECTION = "correction"  # points at the note it corrects


NOTE_TYPE_LABELS: dict[NoteType, str] = {
    NoteType.PHONE_CALL: "Phone call",
    NoteType.AGENCY_CHECK_BY_PHONE: "Agency check by phone",
    NoteType.DISCUSSION_WITH_FAMILY: "Discussion with a parent or carer",
    NoteType.MANAGEMENT_OVERSIGHT: "Management oversight",
    NoteType.CORRECTION: "Correction",
}
MANAGER_NOTES = frozenset({NoteType.MANAGEMENT_OVERSIGHT})


class NoteProblem(Exception):
    """A note the hub will not keep as sent; the message says what to change."""


class NoteForManager(Exception):
    def __init__(self) -> None:
        super().__init__("Only a manager records management oversight: choose another type of note")


@dataclass(frozen=True)
class CaseNote:
    note_id: str  # n1, n2, … in the order written
    kind: NoteType
    text: str
    written_by: str
    written_at: dt.datetime
    corrects: str | None = None  # a correction: the note it puts right


def add_note(
    notes: tuple[CaseNote, ...],
    kind: NoteType,
    text: str,
    *,
    corrects: str | None,
    by: str,
    at: dt.datetime,
    by_manager: bool,
) -> tuple[CaseNote, ...]:
    """The notes with one more at the end: NoteProblem or NoteForManager if it cannot be kept."""
    words = text.strip()
    if not words:
        raise NoteProblem("Enter the note")
    if len(words) > NOTE_MAX_LENGTH:
        raise NoteProblem(f"A note must be {NOTE_MAX_LENGTH:,} characters or fewer")
    if kind in MANAGER_NOTES and not by_manager:
        raise NoteForManager()
    if kind is NoteType.CORRECTION:
        if not corrects:
            raise NoteProblem("Say which note this corrects")
        if not any(note.note_id == corrects for note in notes):
            raise NoteProblem("There is no note with that id to correct: take it from the notes on the referral")
    elif corrects:
        raise NoteProblem("Only a correction points at another note: choose Correction, or leave out corrects")
    if sum(len(note.text) for note in notes) + len(words) > NOTES_MAX_TOTAL:
        raise NoteProblem("This referral holds as many notes as it can: ask an administrator")
    note = CaseNote(f"n{len(notes) + 1}", kind, words, by, at, corrects=corrects or None)
    return (*notes, note)


def corrections(notes: tuple[CaseNote, ...]) -> dict[str, str]:
    """Each corrected note's id -> the id of the latest note correcting it."""
    return {note.corrects: note.note_id for note in notes if note.corrects}
