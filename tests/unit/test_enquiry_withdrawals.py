"""Withdrawing agency enquiries and review dates, in plain Python (no AWS): the domain's rules."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace

import pytest

from chalicelib.domain.agencies import LOCAL_DIRECTORY, AgencyDirectory, AgencyId
from chalicelib.domain.consent import (
    ConsentRecord,
    ConsentSource,
    ConsentState,
    OutcomeNoticeChoice,
    OutcomeNoticeDecision,
    ParentsToldDecision,
    ParentsToldState,
)
from chalicelib.domain.consent_answer_changes import change_answer, may_change_answer
from chalicelib.domain.consent_links import LinkSuperseded
from chalicelib.domain.consent_requests import ParentAnswer, ask_parent, record_answer
from chalicelib.domain.decision import Rag, Screening
from chalicelib.domain.enquiries import EnquiryRefused, EnquiryState, agency_recipient, request_notice_id
from chalicelib.domain.enquiry_followups import owe_followups
from chalicelib.domain.enquiry_withdrawals import (
    EnquiryNotFound,
    WithdrawalCause,
    withdraw_enquiry,
    withdraw_if_refused,
    withdrawn_now,
)
from chalicelib.domain.lifecycle import ReferralStatus
from chalicelib.domain.notices import Notice, NoticeKind, NoticeStatus
from chalicelib.domain.referral import ReferralSubmission
from chalicelib.domain.referral_record import Channel, Referral
from chalicelib.domain.review_dates import (
    ReviewDate,
    ReviewKind,
    next_review_moment,
    owe_review_tasks,
    review_dates,
    review_due_on,
)
from chalicelib.domain.tasks import TaskKind
from tests.factories import protection_referral, support_referral

NOW = dt.datetime(2026, 11, 26, 10, 0, tzinfo=dt.UTC)  # a Thursday in MASH hours
LATER = NOW + dt.timedelta(hours=2)
DIRECTORY = AgencyDirectory(LOCAL_DIRECTORY)


def received(data: dict[str, object]) -> Referral:
    return Referral.receive(
        "ABC-DEF-GH2",
        ReferralSubmission.model_validate(data),
        channel=Channel.API,
        now=NOW,
        request_fingerprint="f",
        idempotency_key_hash=None,
    )


def asked(*agencies: AgencyId, emailed: tuple[AgencyId, ...] | None = None, sent: bool = True) -> Referral:
    """A screened support referral with consent given and an enquiry per agency; the request email
    owed (and sent, unless `sent` is false) for those in `emailed` (all by default)."""
    screening = Screening(Rag.AMBER, 3, "worried", "staff-1", NOW, NOW + dt.timedelta(days=1))
    referral = received(support_referral()).screen(screening)
    referral = referral.open_enquiries(list(agencies), "What do you hold?", by="staff-1", now=NOW, directory=DIRECTORY)
    for enquiry in referral.enquiries:
        referral = referral.with_enquiry(enquiry.published(NOW))
        if enquiry.agency in (agencies if emailed is None else emailed):
            notice = Notice.new(
                request_notice_id(enquiry.enquiry_id), NoticeKind.AGENCY_REQUEST, NOW, agency_recipient(enquiry.agency)
            )
            referral = referral.with_notice_added(notice.sent("ses-1", NOW) if sent else notice)
    return referral


def refused(by: str = "staff-1") -> ConsentRecord:
    return ConsentRecord(ConsentState.REFUSED, ConsentSource.STAFF, by, LATER, reason="Mother does not agree")


# --- consent refused: every open enquiry withdrawn ----------------------------------------------


def test_a_refusal_withdraws_every_open_enquiry_and_owes_each_agency_asked_one_withdrawal() -> None:
    referral = asked(AgencyId.POLICE, AgencyId.HEALTH)
    changed = withdraw_if_refused(referral.record_consent(refused(), by_manager=False), by="staff-1", now=LATER)
    assert [(e.enquiry_id, e.state(LATER), e.withdrawn_because) for e in changed.enquiries] == [
        ("e1", EnquiryState.WITHDRAWN, WithdrawalCause.CONSENT_REFUSED.value),
        ("e2", EnquiryState.WITHDRAWN, WithdrawalCause.CONSENT_REFUSED.value),
    ]
    assert not any(e.is_open for e in changed.enquiries)
    withdrawals = [n for n in changed.notices if n.kind is NoticeKind.AGENCY_WITHDRAWAL]
    assert [(n.notice_id, n.recipient, n.status) for n in withdrawals] == [
        ("withdrawal:e1", "agency:police", NoticeStatus.PENDING),
        ("withdrawal:e2", "agency:health", NoticeStatus.PENDING),
    ]
    assert withdrawn_now(changed, LATER) == ["e1", "e2"]
    # Applied again (a retried change): nothing more is owed.
    assert withdraw_if_refused(changed, by="staff-1", now=LATER + dt.timedelta(minutes=1)).notices == changed.notices


@pytest.mark.parametrize("state", [ConsentState.GIVEN, ConsentState.IMPLICIT, ConsentState.DISPENSED])
def test_a_record_that_is_not_a_refusal_withdraws_nothing(state: ConsentState) -> None:
    referral = asked(AgencyId.POLICE)
    record = ConsentRecord(
        state, ConsentSource.STAFF, "manager-1", LATER, given_by="A", given_on=NOW.date(), how="phone",
        service="Early help", reason="Undue delay", review_on=dt.date(2027, 1, 15), signed_off_by="manager-1",
    )  # fmt: skip
    changed = withdraw_if_refused(referral.record_consent(record, by_manager=True), by="manager-1", now=LATER)
    assert changed.enquiries == referral.enquiries
    assert not [n for n in changed.notices if n.kind is NoticeKind.AGENCY_WITHDRAWAL]


def test_an_answered_enquiry_stays_answered_and_its_agency_is_not_told() -> None:
    referral = asked(AgencyId.POLICE, AgencyId.HEALTH)
    referral = referral.with_enquiry(referral.enquiries[0].answered("reply-1", NOW + dt.timedelta(minutes=30)))
    changed = withdraw_if_refused(referral.record_consent(refused(), by_manager=False), by="staff-1", now=LATER)
    assert [e.state(LATER) for e in changed.enquiries] == [EnquiryState.ANSWERED, EnquiryState.WITHDRAWN]
    assert [n.notice_id for n in changed.notices if n.kind is NoticeKind.AGENCY_WITHDRAWAL] == ["withdrawal:e2"]


def test_a_request_not_yet_sent_is_cancelled_and_an_enquiry_never_emailed_needs_no_withdrawal() -> None:
    # Police: the request is owed but not sent yet (SES failed); health: the queue never got to it.
    referral = asked(AgencyId.POLICE, AgencyId.HEALTH, emailed=(AgencyId.POLICE,), sent=False)
    changed = withdraw_if_refused(referral.record_consent(refused(), by_manager=False), by="staff-1", now=LATER)
    statuses = {n.notice_id: n.status for n in changed.notices}
    assert statuses["request:e1"] is NoticeStatus.CANCELLED
    assert "request:e2" not in statuses and "withdrawal:e2" not in statuses
    # The agency is still told: SES may have taken the request just before (the outbox cannot know).
    assert statuses["withdrawal:e1"] is NoticeStatus.PENDING
    assert not changed.enquiries[1].publish_due(LATER + dt.timedelta(days=1))
    assert Notice.new("x", NoticeKind.AGENCY_REQUEST, NOW).sent("ses", NOW).cancelled().status is NoticeStatus.SENT


def test_a_withdrawn_enquiry_is_never_chased_escalated_or_published() -> None:
    referral = asked(AgencyId.POLICE)
    changed = withdraw_if_refused(referral.record_consent(refused(), by_manager=False), by="staff-1", now=LATER)
    for days in (1, 2, 7):
        swept, to_publish = owe_followups(changed, NOW + dt.timedelta(days=days))
        assert to_publish == []
        assert [
            n.kind for n in swept.notices if n.kind in (NoticeKind.AGENCY_CHASER, NoticeKind.AGENCY_ESCALATION)
        ] == []
        assert not any(t.kind is TaskKind.ENQUIRY_ESCALATED for t in swept.tasks)
    # Nothing left for the sweep to do once the emails owed (the withdrawal, the acknowledgement) are out.
    for notice in changed.notices:
        changed = changed.with_notice(notice.sent("ses", LATER) if notice.status is NoticeStatus.PENDING else notice)
    assert changed.next_notice_due() is None


def test_after_a_refusal_a_manager_can_dispense_and_agencies_can_be_asked_again() -> None:
    referral = asked(AgencyId.POLICE)
    changed = withdraw_if_refused(referral.record_consent(refused(), by_manager=False), by="staff-1", now=LATER)
    with pytest.raises(EnquiryRefused, match="the parent has refused consent"):
        changed.open_enquiries([AgencyId.POLICE], "Again?", by="staff-1", now=LATER, directory=DIRECTORY)
    dispensed = ConsentRecord(
        ConsentState.DISPENSED, ConsentSource.STAFF, "manager-1", LATER, reason="Undue delay",
        review_on=dt.date(2027, 1, 15), signed_off_by="manager-1",
    )  # fmt: skip
    again = changed.record_consent(dispensed, by_manager=True).open_enquiries(
        [AgencyId.POLICE], "Again?", by="staff-1", now=LATER, directory=DIRECTORY
    )
    assert [(e.enquiry_id, e.state(LATER)) for e in again.enquiries] == [
        ("e1", EnquiryState.WITHDRAWN),
        ("e2", EnquiryState.QUEUED),
    ]


# --- one enquiry withdrawn by staff --------------------------------------------------------------


def test_staff_withdraw_one_enquiry_with_a_reason_and_only_its_agency_is_told() -> None:
    referral = asked(AgencyId.POLICE, AgencyId.HEALTH)
    changed = withdraw_enquiry(referral, "e2", reason="  Wrong agency  ", by="staff-1", now=LATER)
    e1, e2 = changed.enquiries
    assert e1.is_open and not e2.is_open
    assert (e2.withdrawn_by, e2.withdrawn_because, e2.withdrawal_reason) == (
        "staff-1",
        "withdrawn_by_staff",
        "Wrong agency",
    )
    assert [n.recipient for n in changed.notices if n.kind is NoticeKind.AGENCY_WITHDRAWAL] == ["agency:health"]


def test_withdrawing_says_what_is_wrong() -> None:
    referral = asked(AgencyId.POLICE)
    with pytest.raises(EnquiryNotFound, match="no enquiry e9"):
        withdraw_enquiry(referral, "e9", reason="Wrong", by="staff-1", now=LATER)
    with pytest.raises(EnquiryRefused, match="Say why"):
        withdraw_enquiry(referral, "e1", reason="  ", by="staff-1", now=LATER)
    withdrawn = withdraw_enquiry(referral, "e1", reason="Wrong", by="staff-1", now=LATER)
    with pytest.raises(EnquiryRefused, match="already withdrawn"):
        withdraw_enquiry(withdrawn, "e1", reason="Wrong", by="staff-1", now=LATER)
    answered = referral.with_enquiry(referral.enquiries[0].answered("reply-1", LATER))
    with pytest.raises(EnquiryRefused, match="already answered"):
        withdraw_enquiry(answered, "e1", reason="Wrong", by="staff-1", now=LATER)


# --- the parent changes their answer by the same link --------------------------------------------


def test_a_parent_may_change_their_own_answer_by_its_link_and_no_withdraws() -> None:
    referral = received(support_referral(**{"consent.status": "not_sought", "consent.reason_not_sought": "Not yet"}))
    referral = ask_parent(referral, parent=0, staff_id="staff-1", by_manager=False, now=NOW)
    notice_id = f"consent-{int(NOW.timestamp())}"
    agreed = record_answer(
        referral, requested_at=NOW, parent=0, notice_id=notice_id, answer=ParentAnswer(True), now=NOW
    )
    assert may_change_answer(agreed, notice_id=notice_id, parent=0)
    assert not may_change_answer(agreed, notice_id="consent-1", parent=0)  # another link
    assert not may_change_answer(agreed, notice_id=notice_id, parent=1)
    screening = Screening(Rag.AMBER, 3, "worried", "staff-1", NOW, NOW + dt.timedelta(days=1))
    sharing = agreed.screen(screening).open_enquiries(
        [AgencyId.POLICE], "What do you hold?", by="staff-1", now=NOW, directory=DIRECTORY
    )
    sharing = sharing.with_notice_added(
        Notice.new("request:e1", NoticeKind.AGENCY_REQUEST, NOW, "agency:police").sent("ses", NOW)
    )
    changed = change_answer(
        sharing, notice_id=notice_id, parent=0, answer=ParentAnswer(False, "Changed my mind"), now=LATER
    )
    assert (changed.consent.state, changed.consent.recorded_by, changed.consent.reason) == (
        ConsentState.REFUSED,
        "parent:0",
        "Changed my mind",
    )
    assert changed.enquiries[0].state(LATER) is EnquiryState.WITHDRAWN
    assert changed.enquiries[0].withdrawn_by == "parent:0"
    assert "withdrawal:e1" in {n.notice_id for n in changed.notices}
    assert [t.kind for t in changed.tasks].count(TaskKind.CONSENT_ANSWERED) == 2
    # Staff record consent another way: the link no longer speaks for the referral.
    implicit = ConsentRecord(ConsentState.IMPLICIT, ConsentSource.STAFF, "staff-1", LATER, service="Early help")
    superseded = changed.record_consent(implicit, by_manager=False)
    with pytest.raises(LinkSuperseded):
        change_answer(superseded, notice_id=notice_id, parent=0, answer=ParentAnswer(True), now=LATER)


# --- review dates --------------------------------------------------------------------------------

REVIEW = dt.date(2026, 12, 10)


def dispensed(review_on: dt.date = REVIEW) -> Referral:
    record = ConsentRecord(
        ConsentState.DISPENSED, ConsentSource.STAFF, "manager-1", NOW, reason="Asking would alert the carer",
        review_on=review_on, signed_off_by="manager-1",
    )  # fmt: skip
    return received(support_referral()).record_consent(record, by_manager=True)


def test_review_dates_lists_each_decision_in_force_with_its_date_and_subject() -> None:
    withheld = OutcomeNoticeDecision(OutcomeNoticeChoice.WITHHOLD, "manager-1", NOW, "Risk", dt.date(2026, 12, 1))
    support = replace(dispensed(), outcome_notice_decision=withheld)
    assert review_dates(support) == [
        ReviewDate(ReviewKind.OUTCOME_NOTICE_WITHHELD, dt.date(2026, 12, 1), "outcome_notice"),
        ReviewDate(ReviewKind.CONSENT_DISPENSED, REVIEW, "consent"),
    ]
    not_told = ParentsToldDecision(ParentsToldState.WITHHELD, "manager-1", NOW, "Risk", dt.date(2027, 1, 5))
    protection = received(protection_referral()).decide_parents_told(not_told, by_manager=True)
    assert review_dates(protection) == [ReviewDate(ReviewKind.PARENTS_NOT_TOLD, dt.date(2027, 1, 5), "parents_told")]
    # Not in force, or closed: no review date.
    assert review_dates(received(support_referral())) == []
    released = replace(support, outcome_notice_decision=replace(withheld, choice=OutcomeNoticeChoice.SEND))
    assert [r.kind for r in review_dates(released)] == [ReviewKind.CONSENT_DISPENSED]
    assert review_dates(replace(support, status=ReferralStatus.CLOSED)) == []


def test_a_review_task_is_raised_once_from_midnight_london_time_on_its_date() -> None:
    referral = dispensed()
    midnight = dt.datetime(2026, 12, 10, 0, 0, tzinfo=dt.UTC)  # GMT in December: London's midnight too
    assert next_review_moment(referral) == midnight
    [ack] = referral.notices
    # The sweep is woken for it: with the acknowledgement sent, the review date is the next moment.
    assert referral.with_notice(ack.sent("ses", NOW)).next_notice_due() == midnight
    assert owe_review_tasks(referral, midnight - dt.timedelta(seconds=1)) is referral
    raised = owe_review_tasks(referral, midnight)
    [task] = [t for t in raised.tasks if t.kind is TaskKind.REVIEW_CONSENT_DISPENSED]
    assert (task.task_id, task.about, task.due_on, task.created_at) == (
        "review:consent_dispensed:consent:2026-12-10",
        "consent",
        REVIEW,
        midnight,
    )
    assert owe_review_tasks(raised, midnight + dt.timedelta(days=3)) is raised  # once
    assert next_review_moment(raised) is None
    assert review_due_on(raised) == REVIEW
    # A new review date is a new task on its own day.
    moved = dispensed(dt.date(2027, 1, 20))
    moved = replace(moved, tasks=raised.tasks)
    assert next_review_moment(moved) == dt.datetime(2027, 1, 20, 0, 0, tzinfo=dt.UTC)
    assert review_due_on(moved) is None  # the old date's task no longer applies


def test_in_summer_the_review_day_starts_at_23_00_utc_the_day_before() -> None:
    assert ReviewDate(ReviewKind.CONSENT_DISPENSED, dt.date(2027, 6, 3), "consent").starts_at == dt.datetime(
        2027, 6, 2, 23, 0, tzinfo=dt.UTC
    )


def test_a_parents_first_answer_no_withdraws_enquiries_opened_on_the_referrers_consent() -> None:
    # The referrer said consent was given; agencies were asked; then staff asked the parent, who says no.
    referral = asked(AgencyId.POLICE)
    referral = ask_parent(referral, parent=0, staff_id="staff-1", by_manager=False, now=LATER)
    notice_id = f"consent-{int(LATER.timestamp())}"
    declined = record_answer(
        referral, requested_at=LATER, parent=0, notice_id=notice_id, answer=ParentAnswer(False), now=LATER
    )
    assert declined.consent.state is ConsentState.REFUSED
    assert (declined.enquiries[0].state(LATER), declined.enquiries[0].withdrawn_by) == (
        EnquiryState.WITHDRAWN,
        "parent:0",
    )
    assert "withdrawal:e1" in {n.notice_id for n in declined.notices}
