"""The chronology (issue 13 part 5) as a pure function: one list in time order from the stored
referral and its audit trail; who did each thing written by one function."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace

from chalicelib.domain.agencies import AgencyId
from chalicelib.domain.audit import AuditAction, AuditEvent
from chalicelib.domain.case_notes import CaseNote, NoteType
from chalicelib.domain.chronology import EntryKind, chronology, who_did
from chalicelib.domain.enquiries import Enquiry
from chalicelib.domain.notices import NoticeStatus
from chalicelib.domain.referral import ReferralSubmission
from chalicelib.domain.referral_record import Channel, Referral
from chalicelib.domain.tasks import Task, TaskEnd, TaskKind
from tests.factories import example

T0 = dt.datetime(2026, 11, 25, 9, 0, tzinfo=dt.UTC)
PAT = "0b6f7c1e-0000-4000-8000-000000000001"
MO = "0b6f7c1e-0000-4000-8000-000000000002"


def at(minutes: int) -> dt.datetime:
    return T0 + dt.timedelta(minutes=minutes)


def event(
    sequence: int, action: AuditAction, minutes: int, actor: str = PAT, role: str = "mash-practitioner", **details: str
) -> AuditEvent:
    return AuditEvent("K7Q-F3M-RW9", sequence, action, at(minutes), actor, role, None, "0" * 64, details, "h")


def a_day() -> tuple[Referral, list[AuditEvent]]:
    referral = Referral.receive(
        "K7Q-F3M-RW9", ReferralSubmission.model_validate(example()), channel=Channel.FORM, now=T0,
        request_fingerprint="f" * 64, idempotency_key_hash=None,
    )  # fmt: skip
    ack = referral.notices[0].sent("m1", at(1)).delivery_event(NoticeStatus.DELIVERED, at(2))
    enquiry = Enquiry("e1", AgencyId.POLICE, "Anything known?", PAT, at(20), at(200), at(400), chased_at=at(200))
    notes = (
        CaseNote("n1", NoteType.PHONE_CALL, "Rang the school", PAT, at(30)),
        CaseNote("n2", NoteType.CORRECTION, "Rang the nursery", PAT, at(31), corrects="n1"),
    )
    task = Task(
        "reply_to_read:r1",
        TaskKind.REPLY_TO_READ,
        at(40),
        done_by=MO,
        done_at=at(50),
        ended=TaskEnd.COMPLETED,
        note="Read it",
    )
    referral = replace(referral, notices=(ack,), enquiries=(enquiry,), case_notes=notes, tasks=(task,))
    events = [
        event(1, AuditAction.RECEIVED, 0, actor="referrer", role="public"),
        event(2, AuditAction.VIEWED, 5),
        event(3, AuditAction.SCREENED, 10, rag="amber", level="3", status="screened"),
        event(4, AuditAction.ENQUIRIES_OPENED, 20, enquiries="e1:police"),
        event(5, AuditAction.REPLY_RECEIVED, 45, actor="agency:police", role="agency", enquiry="e1"),
        event(
            6, AuditAction.TASK_FINISHED, 50, actor=MO, role="mash-manager", task="reply_to_read:r1", how="completed"
        ),
        event(7, AuditAction.DECISION_RECORDED, 60, outcome="early_help", status="decided"),
        event(8, AuditAction.CHRONOLOGY_READ, 61),
    ]
    return referral, events


def test_everything_that_happened_in_time_order_in_plain_sentences_reads_left_out() -> None:
    referral, events = a_day()
    entries = chronology(referral, events)
    assert [(e.at, e.kind, e.what) for e in entries] == [
        (T0, EntryKind.RECEIVED, "Referral received by the online form"),
        (at(1), EntryKind.EMAIL, "The acknowledgement was emailed to the referrer"),
        (at(2), EntryKind.EMAIL, "The acknowledgement to the referrer was delivered"),
        (at(10), EntryKind.SCREENING, "Screened: Amber rating, level 3"),
        (at(20), EntryKind.ENQUIRY, "Police asked what it holds (enquiry e1)"),
        (at(30), EntryKind.NOTE, "Phone call note added (note n1), later corrected by note n2"),
        (at(31), EntryKind.NOTE, "Correction to note n1 added (note n2)"),
        (at(45), EntryKind.REPLY, "Police answered enquiry e1"),
        (at(50), EntryKind.TASK, "Task marked as done"),
        (at(60), EntryKind.DECISION, "Decision recorded: Step to early help"),
        (at(200), EntryKind.ENQUIRY, "Police chased: no answer by the due time (enquiry e1)"),
    ]
    by_what = {e.what: e for e in entries}
    assert by_what["Task marked as done"].detail == "An agency has answered an enquiry: read the reply. Note: Read it"
    assert by_what["Correction to note n1 added (note n2)"].detail == "Rang the nursery"
    assert (by_what["Police answered enquiry e1"].who, by_what["Police answered enquiry e1"].actor) == (
        "The agency",
        None,
    )
    assert (by_what["Task marked as done"].who, by_what["Task marked as done"].actor) == (MO, MO)


def test_who_is_written_by_one_function_that_a_staff_directory_can_name() -> None:
    referral, events = a_day()
    names = {PAT: "Pat Practitioner", MO: "Mo Manager"}
    entries = chronology(referral, events, name_of=lambda staff_id: names.get(staff_id, "Someone"))
    assert {e.who for e in entries} == {"The referrer", "The hub", "Pat Practitioner", "Mo Manager", "The agency"}
    assert who_did(None, "system", str) == "The hub" and who_did("x", "parent", str) == "A parent or carer"


def test_a_parents_email_names_them_by_name_and_role() -> None:
    referral, _ = a_day()
    from chalicelib.domain.notices import Notice, NoticeKind

    outcome = Notice.new("outcome:0", NoticeKind.OUTCOME, at(70), recipient="parent:0").sent("m2", at(71))
    bounced = outcome.delivery_event(NoticeStatus.BOUNCED, at(72))
    [*_, sent, bounce] = chronology(replace(referral, notices=(bounced,), enquiries=()), [])
    assert sent.what == "The outcome notice was emailed to Alex Testparent, parent or carer"
    assert bounce.what == "The outcome notice to Alex Testparent, parent or carer could not be delivered (it bounced)"
