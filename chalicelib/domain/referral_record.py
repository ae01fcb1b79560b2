"""A referral as the hub holds it: the submission plus what the hub knows and owes about it."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field, replace
from enum import StrEnum
from typing import TYPE_CHECKING

from chalicelib.domain.audit import AuditAction, ChainHead
from chalicelib.domain.case_notes import CaseNote
from chalicelib.domain.consent import (
    ConsentProblem,
    ConsentRecord,
    OutcomeNoticeDecision,
    ParentsToldDecision,
    ParentsToldState,
    check_record,
    initial_consent,
    sharing_refusal,
)
from chalicelib.domain.contact_plan import (
    ContactDecision,
    PlanEntry,
    check_change,
    contact_plan,
    refuse_unless_told,
    told_people,
)
from chalicelib.domain.decision import (
    URGENCY_RANK,
    Decision,
    NotAllowed,
    Outcome,
    Rag,
    Screening,
    needs_manager_approval,
)
from chalicelib.domain.enquiries import (
    AgencyNotConfigured,
    Enquiry,
    EnquiryRefused,
    enquiry_deadlines,
    next_enquiry_id,
)
from chalicelib.domain.handover import HANDED_OVER_RANK, Handover
from chalicelib.domain.lawful_basis import SharingBasis, SharingKind, bases_for, basis_for_sharing
from chalicelib.domain.lifecycle import Action, IllegalTransition, ReferralStatus, next_status
from chalicelib.domain.notices import SEND_GRACE, Notice, NoticeKind, NoticeStatus
from chalicelib.domain.onward_referral import OnwardReferral
from chalicelib.domain.people import Person
from chalicelib.domain.protective_decisions import (
    ProtectiveDecision,
    check_may_change,
    in_force,
    may_make,
    roles_of,
)
from chalicelib.domain.referral import NOT_SURE, ReferralSubmission, Route
from chalicelib.domain.referral_links import ReferralLink
from chalicelib.domain.reply_display import ReplyNotOnReferral, ReplyTextMark
from chalicelib.domain.retention import LegalHold, retention_until
from chalicelib.domain.review_schedule import next_moment, schedule
from chalicelib.domain.staff import Role
from chalicelib.domain.tasks import Task, TaskKind
from chalicelib.domain.translations import (
    NotHeld,
    NoticeTranslation,
    check_release,
    language_needed,
    translate_task_id,
)

if TYPE_CHECKING:
    from chalicelib.domain.agencies import AgencyDirectory, AgencyId

__all__ = ["Channel", "Referral", "ReferralStatus"]


class Channel(StrEnum):
    FORM = "form"
    API = "api"
    # Entered by MASH staff from an advice call made into a referral (services/advice_contacts.py).
    STAFF = "staff"


# What a family member is sent, and the contact plan governs.
FAMILY_NOTICES = frozenset({NoticeKind.CONSENT_REQUEST, NoticeKind.PARENTS_TOLD, NoticeKind.OUTCOME})

# What a closed referral still takes: a legal hold keeps it from deletion, or lets it go. Every
# other change shares, sends or alters the record, and a closed referral is read-only.
# Links to other referrals (`referral_links`) too: a cross-reference shares, sends and alters nothing,
# and the new referral of a child is linked to the closed one.
CHANGES_WHEN_CLOSED = frozenset(
    {AuditAction.HOLD_PLACED, AuditAction.HOLD_LIFTED, AuditAction.REFERRAL_LINKED, AuditAction.REFERRAL_UNLINKED}
)


class ReferralClosed(Exception):
    """A change asked of a closed referral; the message says what to do instead."""

    def __init__(self, reference: str) -> None:
        super().__init__(
            "This referral is closed and is now read-only: nothing on it can be shared, sent or changed. "
            "A closed referral is never reopened: if there is a new concern, make a new referral, and the hub "
            "shows this one beside it as known before"
        )
        self.reference = reference


# The parts of a submission that hold personal data: each is encrypted as one field.
PERSONAL_SECTIONS = (
    "referrer",
    "children",
    "parents_carers",
    "household_members",
    "people_posing_risk",
    "concerns",
    "consent",
    "parents_informed",
)


@dataclass(frozen=True)
class Referral:
    reference: str
    route: Route
    status: ReferralStatus
    channel: Channel
    received_at: dt.datetime
    immediate_risk: bool
    proposed_level: int | None  # None: a member of the public was not sure (the MASH decides)
    # HMACs, not hashes: a plain digest of a body could be confirmed by guessing its contents.
    request_fingerprint: str
    idempotency_key_hash: str | None
    submission: ReferralSubmission
    notices: tuple[Notice, ...] = field(default_factory=tuple)
    # Working Together: a decision on next steps within one working day of receipt.
    working_together_due_at: dt.datetime | None = None
    screening: Screening | None = None
    decision: Decision | None = None
    audit_head: ChainHead = field(default_factory=ChainHead)
    # Keyed hashes of each child's normalised name and date of birth ("known before?").
    child_keys: tuple[str, ...] = ()
    # Keyed hashes of the terms it is found by in search (`search_terms`): names, dates, postcodes.
    search_keys: tuple[str, ...] = ()
    closed_at: dt.datetime | None = None
    retention_until: dt.datetime | None = None
    legal_hold: LegalHold | None = None
    # None until staff or a parent record something: until then it follows from the submission.
    recorded_consent: ConsentRecord | None = None
    parents_told_decision: ParentsToldDecision | None = None
    tasks: tuple[Task, ...] = ()
    # What was passed to other services, to whom and why (mash-guidance.txt §4).
    onward_referrals: tuple[OnwardReferral, ...] = ()
    # A manager's choice to withhold (or send despite the parents not being told) the outcome notice.
    outcome_notice_decision: OutcomeNoticeDecision | None = None
    # What the emergency duty team did out of hours (domain/out_of_hours.py); None until it writes.
    edt_handover: Handover | None = None
    # Information requests to partner agencies, and whether each has been answered.
    enquiries: tuple[Enquiry, ...] = ()
    # The MASH's changes to who in the family is contacted (the latest per person stands).
    contact_decisions: tuple[ContactDecision, ...] = ()
    # How each family email held for translation was let go (its translation, or English and why).
    translations: tuple[NoticeTranslation, ...] = ()
    # Agency replies whose shortened text staff found wrong: shown whole from then on.
    reply_marks: tuple[ReplyTextMark, ...] = ()
    # Staff's case notes, append-only (chalicelib/domain/case_notes.py); sealed on the item.
    case_notes: tuple[CaseNote, ...] = ()
    # The lawful basis of each sharing decision, codes in clear (chalicelib/domain/lawful_basis.py).
    sharing_bases: tuple[SharingBasis, ...] = ()
    # Links to other referrals, standing or removed (chalicelib/domain/referral_links.py).
    links: tuple[ReferralLink, ...] = ()
    # Who owns the work (a staff id; domain/allocation.py); None until someone takes it.
    owner: str | None = None
    # The same child referred in the 12 months before receipt (domain/census.py); None: not computed.
    re_referral: bool | None = None
    version: int = 0

    @classmethod
    def receive(
        cls,
        reference: str,
        submission: ReferralSubmission,
        *,
        channel: Channel,
        now: dt.datetime,
        request_fingerprint: str,
        idempotency_key_hash: str | None,
        working_together_due_at: dt.datetime | None = None,
        child_keys: tuple[str, ...] = (),
        search_keys: tuple[str, ...] = (),
    ) -> Referral:
        """A new referral, with the referrer's acknowledgement already owed."""
        return cls(
            reference=reference,
            route=submission.route,
            status=ReferralStatus.RECEIVED,
            channel=channel,
            received_at=now,
            immediate_risk=submission.immediate_risk,
            proposed_level=None
            if submission.concerns.proposed_level == NOT_SURE
            else submission.concerns.proposed_level,
            request_fingerprint=request_fingerprint,
            idempotency_key_hash=idempotency_key_hash,
            submission=submission,
            notices=(Notice.new("ack", NoticeKind.ACKNOWLEDGEMENT, now),),
            working_together_due_at=working_together_due_at,
            child_keys=child_keys,
            search_keys=search_keys,
        )

    def check_changeable(self, action: AuditAction) -> None:
        """Refuse any change but a legal hold's once the referral is closed (ReferralClosed)."""
        if self.status is ReferralStatus.CLOSED and action not in CHANGES_WHEN_CLOSED:
            raise ReferralClosed(self.reference)

    def with_notice(self, updated: Notice) -> Referral:
        notices = tuple(updated if n.notice_id == updated.notice_id else n for n in self.notices)
        return replace(self, notices=notices)

    def with_notice_added(self, notice: Notice) -> Referral:
        """Owe a new notice; one already owed under the same id is kept as it is (ids are idempotent)."""
        if any(n.notice_id == notice.notice_id for n in self.notices):
            return self
        return replace(self, notices=(*self.notices, notice))

    def with_task(self, task: Task) -> Referral:
        """Add a task, or replace the one with the same id (tasks are idempotent by id)."""
        others = tuple(t for t in self.tasks if t.task_id != task.task_id)
        return replace(self, tasks=(*others, task))

    def due_notices(self, now: dt.datetime) -> list[Notice]:
        return [n for n in self.notices if n.is_due(now)]

    def next_notice_due(self) -> dt.datetime | None:
        """The next moment the outbox sweep must act on this referral: a notice to send, an
        enquiry to publish, chase or escalate, or a review date's task to raise."""
        times = [
            n.next_attempt_at for n in self.notices if n.next_attempt_at is not None and n.status.value == "pending"
        ]
        if self.awaits_agency_answers:
            times += [moment for e in self.enquiries if (moment := e.next_moment()) is not None]
        # A review date to raise a task on (chalicelib/domain/review_dates.py).
        review = next_moment(
            schedule(self.status, self.consent, self.parents_told, self.outcome_notice_decision, self.people_not_told),
            {task.task_id for task in self.tasks},
        )
        if review is not None:
            times.append(review)
        return min(times) if times else None

    @property
    def awaits_agency_answers(self) -> bool:
        """Enquiries are published, chased and escalated only while the decision is still to make:
        once one is proposed, an agency is not pressed for an answer it no longer informs."""
        return self.status in (ReferralStatus.RECEIVED, ReferralStatus.SCREENED)

    # --- agency enquiries ----------------------------------------------------------------------

    def enquiry(self, enquiry_id: str) -> Enquiry | None:
        return next((e for e in self.enquiries if e.enquiry_id == enquiry_id), None)

    def with_enquiry(self, updated: Enquiry) -> Referral:
        return replace(
            self, enquiries=tuple(updated if e.enquiry_id == updated.enquiry_id else e for e in self.enquiries)
        )

    def open_enquiries(
        self,
        agencies: list[AgencyId],
        question: str,
        *,
        by: str,
        now: dt.datetime,
        directory: AgencyDirectory,
    ) -> Referral:
        """One enquiry per agency, each owing its publish to the agency's queue (the outbox)."""
        if self.status is ReferralStatus.CLOSED:
            raise EnquiryRefused("The referral is closed: reopen it as a new referral to ask agencies again")
        refusal = self.sharing_refusal
        if refusal:
            raise EnquiryRefused(refusal)
        if self.screening is None:
            raise EnquiryRefused("Screen the referral first: an enquiry's due time comes from its RAG rating")
        unknown = [agency.value for agency in agencies if agency not in directory]
        if unknown:
            raise AgencyNotConfigured(
                f"Not in this hub's agency directory: {', '.join(unknown)}. Ask an administrator to add them"
            )
        waiting = sorted({e.agency.value for e in self.enquiries if e.is_open and e.agency in agencies})
        if waiting:
            raise EnquiryRefused(
                f"Already waiting for an answer from: {', '.join(waiting)}. Chase that enquiry rather than ask twice"
            )
        due, escalate = enquiry_deadlines(now, self.due_at)
        enquiries = self.enquiries
        for agency in agencies:
            enquiry = Enquiry(
                enquiry_id=next_enquiry_id(enquiries),
                agency=agency,
                question=question,
                opened_by=by,
                opened_at=now,
                due_at=due,
                escalate_at=escalate,
            )
            # The opening request publishes at once; the sweep only after the grace (a crash).
            enquiries = (*enquiries, enquiry.claimed_for_publish(now))
        # Sharing was allowed (no refusal above), so there is a basis: recorded with each enquiry.
        basis = basis_for_sharing(self.route, self.consent)
        if basis is None:  # the two rules disagree: refuse rather than record a basis that is not true
            raise EnquiryRefused("There is no lawful basis recorded for sharing on this referral")
        opened = [e.enquiry_id for e in enquiries[len(self.enquiries) :]]
        bases = (*self.sharing_bases, *bases_for(SharingKind.ENQUIRY, opened, basis, now))
        return replace(self, enquiries=enquiries, sharing_bases=bases)

    # --- who in the family is contacted ------------------------------------------------------------

    @property
    def contact_plan(self) -> list[PlanEntry]:
        return contact_plan(self.submission, self.contact_decisions)

    @property
    def told_people(self) -> list[Person]:
        return told_people(self.submission, self.contact_decisions)

    @property
    def people_not_told(self) -> tuple[tuple[str, dt.date], ...]:
        """Each person not told by a recorded decision, with its review date (the review schedule's)."""
        return tuple((e.person.key, e.review_on) for e in self.contact_plan if e.review_on is not None)

    def refuse_unless_told(self, key: str, what: str) -> None:
        refuse_unless_told(self.submission, self.contact_decisions, key, what)

    def decide_contact(self, change: ContactDecision, roles: frozenset[Role]) -> Referral:
        """Change one person's plan; an email to them not yet sent is withdrawn if they are no longer told
        (one already sent cannot be called back)."""
        decisions = check_change(self.submission, self.contact_decisions, change, roles)
        changed = replace(self, contact_decisions=decisions)
        if change.person in {person.key for person in changed.told_people}:
            return changed
        kept = tuple(
            n
            for n in changed.notices
            if not (n.recipient == change.person and n.kind in FAMILY_NOTICES and n.status is NoticeStatus.PENDING)
        )
        return replace(changed, notices=kept)

    @property
    def protective_decisions(self) -> list[ProtectiveDecision]:
        """The managers' protective decisions holding now (chalicelib/domain/protective_decisions.py)."""
        return in_force(self.parents_told, self.consent, self.outcome_notice_decision)

    # --- agency replies shown whole (chalicelib/domain/reply_display.py) ------------------------------

    def shown_whole(self, reply_id: str) -> ReplyTextMark | None:
        return next((m for m in self.reply_marks if m.reply_id == reply_id), None)

    def mark_reply_text(self, reply_id: str, *, wrong: bool, by: str, at: dt.datetime, reason: str) -> Referral:
        """Show a reply whole (its shortened text is wrong), or take the mark back."""
        if not any(reply_id in e.reply_ids for e in self.enquiries):
            raise ReplyNotOnReferral(reply_id)
        others = tuple(m for m in self.reply_marks if m.reply_id != reply_id)
        marks = (*others, ReplyTextMark(reply_id, by, at, reason)) if wrong else others
        return replace(self, reply_marks=marks)

    # --- family emails held for translation (chalicelib/domain/translations.py) ------------------------

    def translation_of(self, notice_id: str) -> NoticeTranslation | None:
        return next((t for t in self.translations if t.notice_id == notice_id), None)

    def is_held(self, notice: Notice) -> bool:
        """Owed, not sent, waiting for its translation or a release in English."""
        return (
            notice.on_hold
            and language_needed(self.submission, notice) is not None
            and self.translation_of(notice.notice_id) is None
        )

    def hold_for_translation(self, now: dt.datetime) -> Referral:
        """Hold each family notice just owed to someone who reads another language, with a task; called
        in the change that owes the notices. A notice already released is left alone."""
        referral = self
        for notice in self.notices:
            waiting = (
                notice.status is NoticeStatus.PENDING and notice.next_attempt_at is not None and notice.attempts == 0
            )
            if not waiting or language_needed(self.submission, notice) is None or self.translation_of(notice.notice_id):
                continue
            referral = referral.with_notice(replace(notice, next_attempt_at=None))
            task = Task(translate_task_id(notice.notice_id), TaskKind.TRANSLATE_NOTICE, now, about=notice.notice_id)
            if not any(t.task_id == task.task_id for t in referral.tasks):
                referral = referral.with_task(task)
        return referral

    def release_notice(self, release: NoticeTranslation) -> Referral:
        """Let a held notice go: due (after the sweep's grace; the request sends it at once), the
        translation or the reason for English kept, the task done."""
        notice = next((n for n in self.notices if n.notice_id == release.notice_id), None)
        if notice is None or not self.is_held(notice):
            raise NotHeld("This email is not waiting for a translation: nothing to release")
        check_release(release)
        released = replace(self, translations=(*self.translations, release))
        released = released.with_notice(replace(notice, next_attempt_at=release.decided_at + SEND_GRACE))
        for task in [t for t in released.tasks if t.task_id == translate_task_id(notice.notice_id) and t.open]:
            released = released.with_task(task.done(release.decided_by, release.decided_at))
        return released

    @property
    def consent(self) -> ConsentRecord:
        return self.recorded_consent or initial_consent(self.submission, "referrer", self.received_at)

    @property
    def parents_told(self) -> ParentsToldDecision | None:
        """Protection route only: whether the MASH tells the parents (held until decided)."""
        if self.route is not Route.PROTECTION:
            return None
        return self.parents_told_decision or ParentsToldDecision(ParentsToldState.UNDECIDED)

    @property
    def sharing_refusal(self) -> str | None:
        """Why agencies may not be asked to share information yet; None when they may."""
        return sharing_refusal(self.route, self.consent)

    def record_consent(self, record: ConsentRecord, *, by_manager: bool) -> Referral:
        if self.status is ReferralStatus.CLOSED:
            raise IllegalTransition(Action.SCREEN, self.status)
        check_record(record, self.route, by_manager=by_manager)
        # Any new record replaces a dispensation: only its maker's role may do that.
        check_may_change(self.protective_decisions, ProtectiveDecision.CONSENT_DISPENSED, roles_of(by_manager))
        return replace(self, recorded_consent=record)

    def decide_parents_told(self, decision: ParentsToldDecision, *, by_manager: bool) -> Referral:
        if self.route is not Route.PROTECTION:
            raise ConsentProblem("Only a protection referral has a decision on telling the parents")
        if decision.state is ParentsToldState.WITHHELD:
            if not may_make(ProtectiveDecision.PARENTS_NOT_TOLD, roles_of(by_manager)):
                raise NotAllowed("Only a manager can decide the parents are not told")
            if not decision.reason or decision.review_on is None:
                raise ConsentProblem("Not telling the parents needs: reason, review_on")
        if decision.state is ParentsToldState.UNDECIDED:
            raise ConsentProblem("Decide tell or withheld")
        check_may_change(self.protective_decisions, ProtectiveDecision.PARENTS_NOT_TOLD, roles_of(by_manager))
        return replace(self, parents_told_decision=decision)

    @property
    def rag(self) -> Rag | None:
        return self.screening.rag if self.screening else None

    @property
    def due_at(self) -> dt.datetime | None:
        """The decision deadline: from the RAG once screened, else Working Together's one day."""
        return self.screening.decision_due_at if self.screening else self.working_together_due_at

    @property
    def urgency_rank(self) -> int:
        # Handed over by the emergency duty team and not yet screened: first of all, for the morning.
        if self.screening is None and self.edt_handover is not None and self.edt_handover.handed_over:
            return HANDED_OVER_RANK
        # An unscreened referral the referrer marked as immediate risk goes to the very top.
        if self.screening is None and self.immediate_risk:
            return 0
        return URGENCY_RANK[self.rag]

    def screen(self, screening: Screening) -> Referral:
        return replace(self, status=next_status(self.status, Action.SCREEN), screening=screening)

    def record_decision(self, outcome: Outcome, reasons: str, by: str, now: dt.datetime) -> Referral:
        approval = needs_manager_approval(outcome, self.route)
        status = next_status(self.status, Action.RECORD_DECISION, needs_approval=approval)
        decision = Decision(outcome, reasons, decided_by=by, decided_at=now, needs_approval=approval)
        return replace(self, status=status, decision=decision)

    def approve_decision(self, manager_id: str, now: dt.datetime) -> Referral:
        status = next_status(self.status, Action.APPROVE_DECISION)
        if self.decision is None:  # the state machine makes this unreachable; keep the type checker honest
            raise NotAllowed("There is no decision to approve")
        return replace(self, status=status, decision=self.decision.approve(manager_id, now))

    def close(self, now: dt.datetime, years_by_outcome: dict[str, int]) -> Referral:
        status = next_status(self.status, Action.CLOSE)
        if self.decision is None:
            raise NotAllowed("There is no decision: a referral is closed only once decided")
        until = retention_until(self.decision.outcome, now, years_by_outcome)
        return replace(self, status=status, closed_at=now, retention_until=until)

    def place_legal_hold(self, hold: LegalHold) -> Referral:
        if self.legal_hold is not None:
            raise NotAllowed("A legal hold is already in place: lift it first to change its reason")
        return replace(self, legal_hold=hold)

    def lift_legal_hold(self) -> Referral:
        if self.legal_hold is None:
            raise NotAllowed("There is no legal hold to lift")
        return replace(self, legal_hold=None)

    @property
    def deletable_after(self) -> dt.datetime | None:
        """When the retention sweep may delete it: never while open or held."""
        return None if self.legal_hold else self.retention_until

    def return_decision(self, manager_id: str, reason: str) -> Referral:
        status = next_status(self.status, Action.RETURN_DECISION)
        if self.decision is None:
            raise NotAllowed("There is no decision to return")
        return replace(self, status=status, decision=replace(self.decision, returned_reason=reason))
