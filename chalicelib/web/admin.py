"""Staff API under /admin/: every route is made with `admin_route` and declares its roles.

Routes parse, call one service, and shape the answer; `_answer` maps what went wrong to HTTP.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from typing import Annotated, Any

from chalice import Blueprint, Response
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints, model_validator

from chalicelib.domain.agencies import AgencyId
from chalicelib.domain.audit import AccessReason
from chalicelib.domain.decision import Outcome, Rag
from chalicelib.domain.onward_referral import Section
from chalicelib.domain.referral import no_control_characters, one_line
from chalicelib.domain.staff import Role
from chalicelib.domain.tasks import TASK_TEXT
from chalicelib.web.auth import admin_route, current_staff
from chalicelib.web.errors import problem
from chalicelib.web.json_body import ANY_BODY, BodyRefused, parse_json

admin = Blueprint(__name__)

ANY_STAFF = frozenset(Role)
CASEWORK = frozenset({Role.PRACTITIONER, Role.MANAGER})
MANAGERS = frozenset({Role.MANAGER})
AUDITORS = frozenset({Role.AUDITOR})
STAFF_BODY_LIMIT = 16 * 1024
NOT_FOUND = "No referral has that reference: check it against the acknowledgement"
NOTICE_NOT_FOUND = "This referral has no notice with that id: take it from the notices in the whole picture"

NOTICE_ID = re.compile(r"[a-z0-9_:-]{1,64}")
Rationale = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=5000), AfterValidator(no_control_characters)
]
# What staff type on one line (who gave consent, how, the service): refused with line breaks, as
# the referral's own single-line fields are, because they are shown and emailed as one line.
StaffLine = Annotated[str, StringConstraints(strip_whitespace=True, max_length=200), AfterValidator(one_line)]
StaffText = Annotated[
    str, StringConstraints(strip_whitespace=True, max_length=5000), AfterValidator(no_control_characters)
]


class StaffRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ScreeningRequest(StaffRequest):
    rag: Rag
    level: Annotated[int, Field(ge=1, le=4)]
    rationale: Rationale


class DecisionRequest(StaffRequest):
    outcome: Outcome
    reasons: Rationale


class ConsentRequest(StaffRequest):
    state: Annotated[str, StringConstraints(pattern="^(requested|given|implicit|refused|dispensed)$")]
    given_by: StaffLine | None = None
    given_on: dt.date | None = None
    how: StaffLine | None = None
    service: StaffLine | None = None
    reason: StaffText | None = None
    review_on: dt.date | None = None
    # With state "requested": email a consent request to this parent (position in parents_carers).
    parent: Annotated[int, Field(ge=0, le=20)] | None = None


class ParentsToldRequest(StaffRequest):
    tell: bool
    reason: StaffText | None = None
    review_on: dt.date | None = None


class ContactPlanRequest(StaffRequest):
    """One person's contact plan: only what changes is sent; the rest stays as it was."""

    person: Annotated[str, StringConstraints(strip_whitespace=True, pattern="^(parent|household|risk):[0-9]{1,2}$")]
    parental_responsibility: bool | None = None
    safe_to_contact: bool | None = None
    may_pose_risk: bool | None = None
    tell: bool | None = None
    reason: Rationale
    review_on: dt.date | None = None


class NoticeReleaseRequest(StaffRequest):
    """A family email held for its translation: its translated text, or why it goes in English."""

    translation: Annotated[
        str, StringConstraints(strip_whitespace=True, max_length=20_000), AfterValidator(no_control_characters)
    ] | None = None
    english_reason: StaffText | None = None


class HeldNoticeRelease(NoticeReleaseRequest):
    """The console's form of the release: the notice is chosen on the page, not in the path."""

    notice: Annotated[str, StringConstraints(strip_whitespace=True, pattern="^[a-z0-9_:-]{1,64}$")]


class OutcomeNoticeRequest(StaffRequest):
    """withhold: true keeps the parents' outcome notice from going (reason and review_on);
    false releases it (reason), e.g. when the parents were not told of a protection referral."""

    withhold: bool
    reason: Rationale
    review_on: dt.date | None = None


class OnwardReferralRequest(StaffRequest):
    # A service id from the directory (settings, per stage), never an address.
    service: Annotated[str, StringConstraints(strip_whitespace=True, pattern="^[a-z0-9-]{1,64}$")]
    sections: Annotated[list[Section], Field(min_length=1, max_length=len(Section))]
    reason: Rationale


class EnquiriesRequest(StaffRequest):
    agencies: Annotated[list[AgencyId], Field(min_length=1, max_length=len(AgencyId))]
    question: Annotated[
        str, StringConstraints(strip_whitespace=True, min_length=10, max_length=2000), AfterValidator(no_control_characters)
    ]

    @model_validator(mode="after")
    def _each_agency_once(self) -> EnquiriesRequest:
        from chalicelib.domain.referral import FieldProblem

        if len(set(self.agencies)) != len(self.agencies):
            raise FieldProblem({"agencies": "Name each agency once"})
        return self


class TriageAttachRequest(StaffRequest):
    reference: Annotated[str, StringConstraints(strip_whitespace=True, min_length=9, max_length=11)]
    enquiry_id: Annotated[str, StringConstraints(strip_whitespace=True, pattern="^e[1-9][0-9]{0,2}$")]


class TriageRejectRequest(StaffRequest):
    note: Rationale


class LegalHoldRequest(StaffRequest):
    hold: bool
    reason: Rationale


class SubjectAccessRequest(StaffRequest):
    first_name: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
    last_name: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
    date_of_birth: dt.date


class ApprovalRequest(StaffRequest):
    approve: bool
    reason: StaffText | None = None

    @model_validator(mode="after")
    def _returning_needs_a_reason(self) -> ApprovalRequest:
        from chalicelib.domain.referral import FieldProblem

        if not self.approve and not self.reason:
            raise FieldProblem({"reason": "Say why the decision is returned, so the practitioner knows what to change"})
        return self


def _json(body: Any, status: int = 200) -> Response:
    # Pages of personal data must not sit in a browser or proxy cache.
    return Response(
        body=body, status_code=status, headers={"Content-Type": "application/json", "Cache-Control": "no-store"}
    )


def _request_id() -> str | None:
    return (admin.current_request.context or {}).get("requestId")


def _answer(work: Callable[[], Response]) -> Response:
    """Run a route's work; map each domain refusal to the status and message a person can act on."""
    from chalicelib.domain.agency_replies import TriageAlreadyDecided, TriageNotFound, TriageRefused
    from chalicelib.domain.audit import ReasonRequired
    from chalicelib.domain.consent import ConsentProblem
    from chalicelib.domain.contact_plan import ContactPlanProblem, ContactRefused
    from chalicelib.domain.decision import NotAllowed
    from chalicelib.domain.enquiries import AgencyNotConfigured, EnquiryRefused
    from chalicelib.domain.failures import AwsError, InvalidCursor, ReferralNotFound, StaleReferral
    from chalicelib.domain.lifecycle import IllegalTransition
    from chalicelib.domain.onward_referral import OnwardReferralProblem, OnwardReferralRefused
    from chalicelib.domain.outcome_notices import OutcomeNoticeProblem
    from chalicelib.domain.referral_record import ReferralClosed
    from chalicelib.domain.translations import NotHeld, TranslationProblem
    from chalicelib.services.tell_outcome import NoticeNotFound

    try:
        return work()
    except BodyRefused as refused:
        return refused.response
    except ReferralNotFound:
        return problem(404, "not_found", NOT_FOUND)
    except ReferralClosed as closed:
        return problem(409, "referral_closed", str(closed))
    except IllegalTransition as illegal:
        return problem(409, "not_allowed_now", str(illegal))
    except NotAllowed as refused:
        return problem(403, "not_allowed", str(refused))
    except ConsentProblem as problem_found:
        return problem(422, "consent_incomplete", str(problem_found))
    except ContactPlanProblem as problem_found:
        return problem(422, "contact_plan_incomplete", str(problem_found))
    except ContactRefused as refused:
        return problem(409, "contact_plan_forbids", str(refused))
    except OutcomeNoticeProblem as refused:
        return problem(422, "outcome_notice_refused", str(refused))
    except NotHeld as refused:
        return problem(409, "not_held", str(refused))
    except TranslationProblem as incomplete:
        return problem(422, "release_incomplete", str(incomplete))
    except NoticeNotFound:
        return problem(404, "notice_not_found", NOTICE_NOT_FOUND)
    except TriageNotFound as missing:
        return problem(404, "triage_not_found", str(missing))
    except (TriageAlreadyDecided, TriageRefused) as refused:
        return problem(409, "not_allowed_now", str(refused))
    except EnquiryRefused as refused:
        return problem(409, "not_allowed_now", str(refused))
    except AgencyNotConfigured as missing:
        return problem(422, "agency_not_configured", str(missing))
    except OnwardReferralRefused as refused:
        return problem(409, "not_allowed_now", str(refused))
    except OnwardReferralProblem as problem_found:
        return problem(422, "onward_referral_incomplete", str(problem_found))
    except ReasonRequired:
        reasons = ", ".join(reason.value for reason in AccessReason)
        return problem(
            422,
            "reason_required",
            f"This referral is closed: say why you are opening it, with ?reason= one of: {reasons}",
        )
    except InvalidCursor as invalid:
        return problem(422, "invalid_cursor", f"The cursor is not valid: {invalid}")
    except StaleReferral:
        return problem(409, "changed_meanwhile", "Someone else changed this referral just now: reload it and try again")
    except AwsError:
        return problem(
            503,
            "unavailable",
            "The hub could not do this just now and nothing was changed: try again in a minute",
            headers={"Retry-After": "60"},
        )


def _reference(raw: str) -> str:
    from chalicelib.domain.failures import ReferralNotFound
    from chalicelib.domain.reference import normalise

    reference = normalise(raw)
    if reference is None:
        # The same answer as an unknown reference: a malformed one is just as unknown.
        raise ReferralNotFound(raw)
    return reference


@admin_route(admin, "/admin/whoami", methods=["GET"], roles=ANY_STAFF)
def whoami() -> Response:
    """Who the token says you are: the id and roles only, never a name or email."""
    staff = current_staff(admin.current_request)
    return _json({"id": staff.id, "roles": sorted(role.value for role in staff.roles)})


@admin_route(admin, "/admin/referrals", methods=["GET"], roles=CASEWORK)
def work_queue() -> Response:
    def work() -> Response:
        from chalicelib.services.work_queue import list_work_queue

        query = admin.current_request.query_params or {}
        status, rag = query.get("status"), query.get("rag")
        _check_choice("status", status, _statuses())
        _check_choice("rag", rag, [r.value for r in Rag])
        limit = _limit(query.get("limit"))
        undelivered = query.get("undelivered")
        _check_choice("undelivered", undelivered, ["true", "false"])
        page = list_work_queue(
            status=status, rag=rag, limit=limit, cursor=query.get("cursor"), undelivered=undelivered == "true"
        )
        return _json({"referrals": [vars(row) for row in page.rows], "next_cursor": page.next_cursor})

    return _answer(work)


def _statuses() -> list[str]:
    from chalicelib.domain.lifecycle import OPEN_STATUSES

    return sorted(status.value for status in OPEN_STATUSES)


def _check_choice(name: str, value: str | None, choices: list[str]) -> None:
    if value is not None and value not in choices:
        raise BodyRefused(problem(422, f"invalid_{name}", f"{name} must be one of: {', '.join(choices)}"))


def _limit(raw: str | None) -> int:
    if raw is None:
        return 25
    # isascii: str.isdigit() is true for "²", which int() refuses (a 500 before this check).
    if not (raw.isascii() and raw.isdigit()) or not 1 <= int(raw) <= 100:
        raise BodyRefused(problem(422, "invalid_limit", "limit must be a whole number from 1 to 100"))
    return int(raw)


# The emergency duty team too, for referrals it was alerted to (domain/out_of_hours.py check_may_open).
@admin_route(admin, "/admin/referrals/{reference}", methods=["GET"], roles=CASEWORK | {Role.EDT})
def referral(reference: str) -> Response:
    def work() -> Response:
        from chalicelib.services.view_referral import view_referral

        view = view_referral(
            _reference(reference),
            staff=current_staff(admin.current_request),
            request_id=_request_id(),
            reason=_access_reason(),
        )
        return _json(referral_picture(view))

    return _answer(work)


def _access_reason() -> AccessReason | None:
    """`?reason=` on a read of a referral's personal data: needed once it is closed."""
    raw_reason = (admin.current_request.query_params or {}).get("reason")
    _check_choice("reason", raw_reason, [r.value for r in AccessReason])
    return AccessReason(raw_reason) if raw_reason else None


@admin_route(admin, "/admin/referrals/{reference}/screening", methods=["POST"], roles=CASEWORK, content_types=ANY_BODY)
def screening(reference: str) -> Response:
    def work() -> Response:
        from chalicelib.services.screen_referral import screen_referral

        body = parse_json(admin.current_request, ScreeningRequest, STAFF_BODY_LIMIT, "screening")
        referral = screen_referral(
            _reference(reference),
            rag=body.rag,
            level=body.level,
            rationale=body.rationale,
            staff=current_staff(admin.current_request),
            request_id=_request_id(),
        )
        return _json(_state(referral))

    return _answer(work)


@admin_route(admin, "/admin/referrals/{reference}/decision", methods=["POST"], roles=CASEWORK, content_types=ANY_BODY)
def decision(reference: str) -> Response:
    def work() -> Response:
        from chalicelib.services.decide_referral import record_decision

        body = parse_json(admin.current_request, DecisionRequest, STAFF_BODY_LIMIT, "decision")
        referral = record_decision(
            _reference(reference),
            outcome=body.outcome,
            reasons=body.reasons,
            staff=current_staff(admin.current_request),
            request_id=_request_id(),
        )
        return _json(_state(referral))

    return _answer(work)


@admin_route(
    admin, "/admin/referrals/{reference}/decision/approval", methods=["POST"], roles=MANAGERS, content_types=ANY_BODY
)
def approval(reference: str) -> Response:
    def work() -> Response:
        from chalicelib.services.decide_referral import approve_decision, return_decision

        body = parse_json(admin.current_request, ApprovalRequest, STAFF_BODY_LIMIT, "approval")
        staff, request_id = current_staff(admin.current_request), _request_id()
        if body.approve:
            referral = approve_decision(_reference(reference), staff=staff, request_id=request_id)
        else:
            referral = return_decision(
                _reference(reference), reason=body.reason or "", staff=staff, request_id=request_id
            )
        return _json(_state(referral))

    return _answer(work)


@admin_route(admin, "/admin/referrals/{reference}/consent", methods=["POST"], roles=CASEWORK, content_types=ANY_BODY)
def consent(reference: str) -> Response:
    def work() -> Response:
        from chalicelib.domain.consent import ConsentState
        from chalicelib.services.record_consent import record_consent, staff_consent_record

        body = parse_json(admin.current_request, ConsentRequest, STAFF_BODY_LIMIT, "consent")
        staff = current_staff(admin.current_request)
        state = ConsentState(body.state)
        if body.parent is not None:
            return _json(_state(_ask_parent(reference, body, staff)))
        record = staff_consent_record(state, body.model_dump(), staff, _now())
        referral = record_consent(_reference(reference), record=record, staff=staff, request_id=_request_id())
        return _json(_state(referral))

    return _answer(work)


def _ask_parent(reference: str, body: ConsentRequest, staff: Any) -> Any:
    from chalicelib.domain.consent import ConsentProblem
    from chalicelib.services.request_consent import request_consent

    if body.state != "requested" or body.parent is None:
        raise ConsentProblem("parent goes with state requested: it names the parent or carer to email")
    return request_consent(_reference(reference), parent=body.parent, staff=staff, request_id=_request_id())


@admin_route(
    admin, "/admin/referrals/{reference}/parents-told", methods=["POST"], roles=CASEWORK, content_types=ANY_BODY
)
def parents_told(reference: str) -> Response:
    def work() -> Response:
        from chalicelib.services.record_consent import decide_parents_told, staff_parents_told

        body = parse_json(admin.current_request, ParentsToldRequest, STAFF_BODY_LIMIT, "parents told decision")
        staff = current_staff(admin.current_request)
        decision = staff_parents_told(
            tell=body.tell, reason=body.reason, review_on=body.review_on, staff=staff, now=_now()
        )
        referral = decide_parents_told(_reference(reference), decision=decision, staff=staff, request_id=_request_id())
        return _json(_state(referral))

    return _answer(work)


@admin_route(
    admin, "/admin/referrals/{reference}/contact-plan", methods=["POST"], roles=CASEWORK, content_types=ANY_BODY
)
def contact_plan(reference: str) -> Response:
    """Who in the family is contacted: a practitioner changes one person's plan with a reason."""

    def work() -> Response:
        from chalicelib.domain.contact_plan import ContactDecision
        from chalicelib.services.contact_plan import change_contact_plan

        body = parse_json(admin.current_request, ContactPlanRequest, STAFF_BODY_LIMIT, "contact plan")
        staff = current_staff(admin.current_request)
        change = ContactDecision(
            person=body.person, reason=body.reason, decided_by=staff.id, decided_at=_now(),
            parental_responsibility=body.parental_responsibility, safe_to_contact=body.safe_to_contact,
            may_pose_risk=body.may_pose_risk, tell=body.tell, review_on=body.review_on,
        )  # fmt: skip
        referral = change_contact_plan(_reference(reference), change=change, staff=staff, request_id=_request_id())
        return _json(_state(referral))

    return _answer(work)


@admin_route(
    admin, "/admin/referrals/{reference}/outcome-notice", methods=["POST"], roles=MANAGERS, content_types=ANY_BODY
)
def outcome_notice(reference: str) -> Response:
    def work() -> Response:
        from chalicelib.services.tell_outcome import record_outcome_notice_choice

        body = parse_json(admin.current_request, OutcomeNoticeRequest, STAFF_BODY_LIMIT, "outcome notice")
        referral = record_outcome_notice_choice(
            _reference(reference),
            withhold=body.withhold,
            reason=body.reason,
            review_on=body.review_on,
            staff=current_staff(admin.current_request),
            request_id=_request_id(),
        )
        return _json(_state(referral))

    return _answer(work)


@admin_route(admin, "/admin/referrals/{reference}/notices/{notice_id}/preview", methods=["GET"], roles=CASEWORK)
def notice_preview(reference: str, notice_id: str) -> Response:
    def work() -> Response:
        from chalicelib.services.tell_outcome import NoticeNotFound, preview_notice

        if not NOTICE_ID.fullmatch(notice_id):
            raise NoticeNotFound(notice_id)
        try:
            preview = preview_notice(
                _reference(reference),
                notice_id,
                staff=current_staff(admin.current_request),
                request_id=_request_id(),
                reason=_access_reason(),
            )
        except ValueError:
            return problem(409, "cannot_compose", "This notice cannot be written now (e.g. its request was answered)")
        return _json(vars(preview))

    return _answer(work)


@admin_route(
    admin,
    "/admin/referrals/{reference}/notices/{notice_id}/release",
    methods=["POST"],
    roles=CASEWORK,
    content_types=ANY_BODY,
)
def notice_release(reference: str, notice_id: str) -> Response:
    """Let a family email held for translation go: with its translation (both versions), or in English."""

    def work() -> Response:
        from chalicelib.services.tell_outcome import NoticeNotFound
        from chalicelib.services.translations import release_held_notice

        if not NOTICE_ID.fullmatch(notice_id):
            raise NoticeNotFound(notice_id)
        body = parse_json(admin.current_request, NoticeReleaseRequest, STAFF_BODY_LIMIT, "release")
        referral = release_held_notice(
            _reference(reference), notice_id, text=body.translation, english_reason=body.english_reason,
            staff=current_staff(admin.current_request), request_id=_request_id(),
        )  # fmt: skip
        return _json(_state(referral))

    return _answer(work)


@admin_route(
    admin, "/admin/referrals/{reference}/onward-referral", methods=["POST"], roles=CASEWORK, content_types=ANY_BODY
)
def onward_referral(reference: str) -> Response:
    def work() -> Response:
        from chalicelib.services.refer_on import make_onward_referral

        body = parse_json(admin.current_request, OnwardReferralRequest, STAFF_BODY_LIMIT, "onward referral")
        referral = make_onward_referral(
            _reference(reference),
            service_id=body.service,
            sections=tuple(body.sections),
            reason=body.reason,
            staff=current_staff(admin.current_request),
            request_id=_request_id(),
        )
        return _json(_state(referral))

    return _answer(work)


@admin_route(admin, "/admin/referrals/{reference}/enquiries", methods=["POST"], roles=CASEWORK, content_types=ANY_BODY)
def enquiries(reference: str) -> Response:
    """Ask partner agencies what they hold: one enquiry per agency, emailed through its queue."""

    def work() -> Response:
        from chalicelib.services.open_enquiries import open_enquiries

        body = parse_json(admin.current_request, EnquiriesRequest, STAFF_BODY_LIMIT, "enquiries")
        referral, opened = open_enquiries(
            _reference(reference),
            list(body.agencies),
            body.question,
            staff=current_staff(admin.current_request),
            request_id=_request_id(),
        )
        now = _now()
        return _json(
            {
                "reference": referral.reference,
                "enquiries": [_enquiry(e, now) for e in referral.enquiries if e.enquiry_id in opened],
            },
            201,
        )

    return _answer(work)


def _now() -> dt.datetime:
    from chalicelib.wiring import wiring

    return wiring().clock()


def _enquiry(enquiry: Any, now: dt.datetime) -> dict[str, Any]:
    from chalicelib.domain.agencies import AGENCY_NAMES

    return {
        "enquiry_id": enquiry.enquiry_id,
        "agency": enquiry.agency.value,
        "agency_name": AGENCY_NAMES[enquiry.agency],
        "question": enquiry.question,
        "state": enquiry.state(now).value,
        "opened_by": enquiry.opened_by,
        "opened_at": _iso(enquiry.opened_at),
        "due_at": _iso(enquiry.due_at),
        "escalate_at": _iso(enquiry.escalate_at),
        "published_at": _iso(enquiry.published_at),
        "chased_at": _iso(enquiry.chased_at),
        "escalated_at": _iso(enquiry.escalated_at),
        "answered_at": _iso(enquiry.answered_at),
        "reply_ids": list(enquiry.reply_ids),
        "request_message_id": enquiry.request_message_id,
        "withdrawn_at": _iso(enquiry.withdrawn_at),
        "withdrawn_by": enquiry.withdrawn_by,
        "withdrawn_because": enquiry.withdrawn_because,
        "withdrawal_reason": enquiry.withdrawal_reason,
    }


TRIAGE_ID = re.compile(r"[0-9a-f]{20}")


def _triage_id(raw: str) -> str:
    from chalicelib.domain.agency_replies import TriageNotFound

    if not TRIAGE_ID.fullmatch(raw):
        raise TriageNotFound(f"No email in the triage list has the id {raw[:40]}: reload the list and choose again")
    return raw


@admin_route(admin, "/admin/triage", methods=["GET"], roles=CASEWORK)
def triage_list() -> Response:
    """Replies the hub could not put on a referral by itself: newest first, metadata only."""

    def work() -> Response:
        from chalicelib.domain.agency_replies import TriageStatus
        from chalicelib.services.triage import list_triage

        query = admin.current_request.query_params or {}
        status = query.get("status") or "waiting"
        _check_choice("status", status, [s.value for s in TriageStatus])
        try:
            items, cursor = list_triage(status, _limit(query.get("limit")), query.get("cursor"))
        except ValueError as invalid:
            raise BodyRefused(problem(422, "invalid_cursor", f"The cursor is not valid: {invalid}")) from None
        return _json({"items": [_triage_summary(item) for item in items], "next_cursor": cursor})

    return _answer(work)


@admin_route(admin, "/admin/triage/{triage_id}", methods=["GET"], roles=CASEWORK)
def triage_item(triage_id: str) -> Response:
    """One triaged email with its content; the read is recorded on it first."""

    def work() -> Response:
        from chalicelib.services.triage import view_triage

        item = view_triage(_triage_id(triage_id), current_staff(admin.current_request))
        return _json(_triage_detail(item))

    return _answer(work)


@admin_route(admin, "/admin/triage/{triage_id}/attach", methods=["POST"], roles=CASEWORK, content_types=ANY_BODY)
def triage_attach(triage_id: str) -> Response:
    """Put a triaged email on the enquiry it answers, as a person decided (audited on the referral)."""

    def work() -> Response:
        from chalicelib.services.triage import attach_triage

        body = parse_json(admin.current_request, TriageAttachRequest, STAFF_BODY_LIMIT, "triage attach")
        reply = attach_triage(
            _triage_id(triage_id),
            _reference(body.reference),
            body.enquiry_id,
            current_staff(admin.current_request),
            _request_id(),
        )
        return _json({"reference": reply.reference, "enquiry_id": reply.enquiry_id, "reply_id": reply.reply_id})

    return _answer(work)


@admin_route(admin, "/admin/triage/{triage_id}/reject", methods=["POST"], roles=CASEWORK, content_types=ANY_BODY)
def triage_reject(triage_id: str) -> Response:
    def work() -> Response:
        from chalicelib.services.triage import reject_triage

        body = parse_json(admin.current_request, TriageRejectRequest, STAFF_BODY_LIMIT, "triage reject")
        item = reject_triage(_triage_id(triage_id), body.note, current_staff(admin.current_request))
        return _json(_triage_summary(item))

    return _answer(work)


def _triage_summary(item: Any) -> dict[str, Any]:
    from chalicelib.domain.agency_replies import TRIAGE_TEXT

    return {
        "triage_id": item.triage_id,
        "received_at": _iso(item.received_at),
        "reason": item.reason.value,
        "reason_text": TRIAGE_TEXT[item.reason],
        "status": item.status.value,
        "claimed_reference": item.claimed_reference,
        "claimed_enquiry_id": item.claimed_enquiry_id,
        "attachment_count": getattr(item, "attachment_count", None)
        if hasattr(item, "attachment_count")
        else len(item.attachments),
        "decided_by": item.decided_by,
        "decided_at": _iso(item.decided_at),
    }


def _triage_detail(item: Any) -> dict[str, Any]:
    return {
        **_triage_summary(item),
        "sender": item.sender,
        "subject": item.subject,
        "text": item.text,
        "full_text": item.full_text,
        "attachments": [_attachment(a) for a in item.attachments],
        "verdicts": item.verdicts,
        "decision_note": item.decision_note,
        "attached_reference": item.attached_reference,
        "attached_enquiry_id": item.attached_enquiry_id,
        "views": [{"by": view.by, "at": _iso(view.at)} for view in item.views],
    }


def _attachment(attachment: Any) -> dict[str, Any]:
    return {
        "attachment_id": attachment.attachment_id,
        "filename": attachment.filename,
        "content_type": attachment.content_type,
        "size": attachment.size,
        "kept": attachment.refused is None,
        "refused": attachment.refused,
    }


def _reply(reply: Any) -> dict[str, Any]:
    return {
        "reply_id": reply.reply_id,
        "enquiry_id": reply.enquiry_id,
        "agency": reply.agency.value,
        "received_at": _iso(reply.received_at),
        "sender": reply.sender,
        "subject": reply.subject,
        "text": reply.text,
        "full_text": reply.full_text,
        "attachments": [_attachment(a) for a in reply.attachments],
        "attached_by": reply.attached_by,
    }


def _referral_attachment(attachment: Any) -> dict[str, Any]:
    """A document the referrer added: kept (downloadable by its id) or refused, with why."""
    from chalicelib.domain.attachments import REFUSAL_TEXT

    return {
        "attachment_id": attachment.attachment_id,
        "filename": attachment.filename,
        "content_type": attachment.content_type or None,
        "size": attachment.size,
        "uploaded_at": _iso(attachment.uploaded_at),
        "kept": attachment.kept,
        "refused": attachment.refused.value if attachment.refused else None,
        "refused_text": REFUSAL_TEXT[attachment.refused] if attachment.refused else None,
    }


ATTACHMENT_ID = re.compile(r"[0-9a-f]{20}")


@admin_route(admin, "/admin/referrals/{reference}/attachments/{attachment_id}", methods=["GET"], roles=CASEWORK)
def attachment_download(reference: str, attachment_id: str) -> Response:
    """A 60-second download link to one kept document; the read is audited on the referral first."""

    def work() -> Response:
        from chalicelib.services.referral_attachments import AttachmentNotFound, download_attachment

        raw_reason = (admin.current_request.query_params or {}).get("reason")
        _check_choice("reason", raw_reason, [r.value for r in AccessReason])
        if not ATTACHMENT_ID.fullmatch(attachment_id):
            return problem(404, "attachment_not_found", ATTACHMENT_NOT_FOUND)
        try:
            download = download_attachment(
                _reference(reference),
                attachment_id,
                staff=current_staff(admin.current_request),
                request_id=_request_id(),
                reason=AccessReason(raw_reason) if raw_reason else None,
            )
        except AttachmentNotFound:
            return problem(404, "attachment_not_found", ATTACHMENT_NOT_FOUND)
        return _json(
            {
                "url": download.url,
                "expires_at": _iso(download.expires_at),
                "filename": download.filename,
                "content_type": download.content_type,
            }
        )

    return _answer(work)


ATTACHMENT_NOT_FOUND = (
    "This referral has no kept document with that id: take it from the attachments in the whole picture"
)


@admin_route(admin, "/admin/referrals/{reference}/closure", methods=["POST"], roles=CASEWORK, content_types=ANY_BODY)
def closure(reference: str) -> Response:
    def work() -> Response:
        from chalicelib.services.retention import close_referral

        referral = close_referral(
            _reference(reference), staff=current_staff(admin.current_request), request_id=_request_id()
        )
        return _json(_state(referral))

    return _answer(work)


@admin_route(admin, "/admin/referrals/{reference}/legal-hold", methods=["POST"], roles=MANAGERS, content_types=ANY_BODY)
def legal_hold(reference: str) -> Response:
    def work() -> Response:
        from chalicelib.services.retention import lift_legal_hold, place_legal_hold

        body = parse_json(admin.current_request, LegalHoldRequest, STAFF_BODY_LIMIT, "legal hold")
        staff, request_id = current_staff(admin.current_request), _request_id()
        if body.hold:
            referral = place_legal_hold(_reference(reference), reason=body.reason, staff=staff, request_id=request_id)
        else:
            referral = lift_legal_hold(_reference(reference), staff=staff, request_id=request_id)
        return _json(_state(referral))

    return _answer(work)


@admin_route(admin, "/admin/subject-access", methods=["POST"], roles=AUDITORS, content_types=ANY_BODY)
def subject_access() -> Response:
    def work() -> Response:
        from chalicelib.services.subject_access import subject_access_bundle
        from chalicelib.services.view_referral import ReferralView

        body = parse_json(admin.current_request, SubjectAccessRequest, STAFF_BODY_LIMIT, "subject access request")
        held = subject_access_bundle(
            first_name=body.first_name,
            last_name=body.last_name,
            date_of_birth=body.date_of_birth,
            staff=current_staff(admin.current_request),
            request_id=_request_id(),
        )
        referrals = [referral_picture(ReferralView(h.referral, h.history, [], [], h.replies)) for h in held]
        return _json({"generated_at": _iso(_now()), "referrals": referrals})

    return _answer(work)


def _now() -> dt.datetime:
    from chalicelib.wiring import wiring

    return wiring().clock()


@admin_route(admin, "/admin/audit", methods=["GET"], roles=AUDITORS)
def audit() -> Response:
    def work() -> Response:
        from chalicelib.services.audit_trail import audit_trail

        events = audit_trail(_reference(_required_reference()))
        return _json({"events": [_event(e) for e in events]})

    return _answer(work)


@admin_route(admin, "/admin/audit/verify", methods=["GET"], roles=AUDITORS)
def audit_verify() -> Response:
    def work() -> Response:
        from chalicelib.services.audit_trail import verify_audit

        report = verify_audit(_reference(_required_reference()))
        return _json(vars(report))

    return _answer(work)


def _required_reference() -> str:
    reference = (admin.current_request.query_params or {}).get("reference")
    if not reference:
        raise BodyRefused(
            problem(422, "reference_required", "Give the referral's reference as ?reference=, like K7Q-F3M-RW9")
        )
    return reference


# --- shaping answers ---------------------------------------------------------------------------


def _iso(moment: dt.datetime | None) -> str | None:
    return moment.isoformat(timespec="seconds") if moment else None


def _state(referral: Any) -> dict[str, Any]:
    """After a change: where the referral stands now (no personal data)."""
    from chalicelib.domain.lifecycle import allowed_actions

    return {
        "reference": referral.reference,
        "status": referral.status.value,
        "rag": referral.rag.value if referral.rag else None,
        "due_at": _iso(referral.due_at),
        "working_together_due_at": _iso(referral.working_together_due_at),
        "decision": _decision(referral.decision, with_reasons=False),
        "closed_at": _iso(referral.closed_at),
        "retention_until": _iso(referral.retention_until),
        "legal_hold": referral.legal_hold is not None,
        "consent": referral.consent.state.value,
        "sharing_allowed": referral.sharing_refusal is None,
        "sharing_refusal": referral.sharing_refusal,
        "parents_told": referral.parents_told.state.value if referral.parents_told else None,
        "allowed_actions": [a.value for a in allowed_actions(referral.status)],
    }


def _decision(decision: Any, *, with_reasons: bool) -> dict[str, Any] | None:
    if decision is None:
        return None
    shaped = {
        "outcome": decision.outcome.value,
        "decided_by": decision.decided_by,
        "decided_at": _iso(decision.decided_at),
        "needs_approval": decision.needs_approval,
        "approved_by": decision.approved_by,
        "approved_at": _iso(decision.approved_at),
    }
    if with_reasons:
        shaped.update(reasons=decision.reasons, returned_reason=decision.returned_reason)
    return shaped


def _event(event: Any) -> dict[str, Any]:
    return {
        "sequence": event.sequence,
        "action": event.action.value,
        "at": event.at.isoformat(timespec="seconds"),
        "actor": event.actor,
        "role": event.role,
        "request_id": event.request_id,
        "details": event.details,
    }


def _consent_record(record: Any) -> dict[str, Any]:
    return {
        "state": record.state.value,
        "source": record.source.value,
        "recorded_by": record.recorded_by,
        "recorded_at": _iso(record.recorded_at),
        "given_by": record.given_by,
        "given_on": record.given_on.isoformat() if record.given_on else None,
        "how": record.how,
        "service": record.service,
        "reason": record.reason,
        "review_on": record.review_on.isoformat() if record.review_on else None,
        "signed_off_by": record.signed_off_by,
    }


def _out_of_hours(referral: Any) -> dict[str, Any] | None:
    from chalicelib.web.admin_out_of_hours import out_of_hours_picture

    return out_of_hours_picture(referral)


def _parents_told(decision: Any) -> dict[str, Any] | None:
    if decision is None:
        return None
    return {
        "state": decision.state.value,
        "decided_by": decision.decided_by,
        "decided_at": _iso(decision.decided_at),
        "reason": decision.reason,
        "review_on": decision.review_on.isoformat() if decision.review_on else None,
    }


def _outcome_notice(referral: Any) -> dict[str, Any]:
    from chalicelib.domain.outcome_notices import held_because

    held, decision = held_because(referral), referral.outcome_notice_decision
    return {
        "held_because": held.value if held else None,
        "decision": None
        if decision is None
        else {
            "choice": decision.choice.value,
            "decided_by": decision.decided_by,
            "decided_at": _iso(decision.decided_at),
            "reason": decision.reason,
            "review_on": decision.review_on.isoformat() if decision.review_on else None,
        },
    }


def _onward(onward: Any) -> dict[str, Any]:
    return {
        "service": onward.service_id,
        "service_name": onward.service_name,
        "sections": [section.value for section in onward.sections],
        "reason": onward.reason,
        "referred_by": onward.referred_by,
        "referred_at": _iso(onward.referred_at),
        "notice_id": onward.notice_id,
    }


def _plan_entry(entry: Any) -> dict[str, Any]:
    from chalicelib.domain.contact_plan import WHY_TEXT

    person, decision = entry.person, entry.decision
    return {
        "person": person.key,
        "role": person.role,
        "name": person.name,
        "relationship": person.relationship,
        "has_email": bool(person.email),
        "parental_responsibility": entry.parental_responsibility,
        "safe_to_contact": entry.safe_to_contact,
        "safe_said_by": entry.safe_said_by,
        "may_pose_risk": entry.may_pose_risk,
        "told": entry.told,
        "why": entry.why.value,
        "why_text": WHY_TEXT[entry.why],
        "review_on": entry.review_on.isoformat() if entry.review_on else None,
        "decided_by": decision.decided_by if decision else None,
        "decided_at": _iso(decision.decided_at) if decision else None,
        "reason": decision.reason if decision else None,
    }


def _release(translation: Any) -> dict[str, Any] | None:
    """How a held family email was let go: its text stays on the referral; this says how and by whom."""
    if translation is None:
        return None
    return {
        "language": translation.language,
        "how": "translated" if translation.text else "in_english",
        "english_reason": translation.english_reason,
        "decided_by": translation.decided_by,
        "decided_at": _iso(translation.decided_at),
    }


def referral_picture(view: Any) -> dict[str, Any]:
    from chalicelib.domain.outcome_notices import translation_language
    from chalicelib.domain.protective_decisions import PROTECTIVE_DECISIONS

    referral = view.referral
    screening = referral.screening
    return {
        **_state(referral),
        "route": referral.route.value,
        "channel": referral.channel.value,
        "received_at": _iso(referral.received_at),
        "immediate_risk": referral.immediate_risk,
        "proposed_level": referral.proposed_level,
        "screening": None
        if screening is None
        else {
            "rag": screening.rag.value,
            "level": screening.level,
            "rationale": screening.rationale,
            "screened_by": screening.screened_by,
            "screened_at": _iso(screening.screened_at),
            "decision_due_at": _iso(screening.decision_due_at),
        },
        "decision": _decision(referral.decision, with_reasons=True),
        "notices": [
            {
                "notice_id": n.notice_id,
                "kind": n.kind.value,
                "recipient": n.recipient,
                "status": n.status.value,
                "attempts": n.attempts,
                "last_error": n.last_error,
                "sent_at": _iso(n.sent_at),
                "history": [{"status": status, "at": at} for status, at in n.history],
                # Not machine-translated: staff arrange a translation (a task says so).
                "translation_needed": translation_language(referral, n),
                "held_for_translation": referral.is_held(n),
                "released": _release(referral.translation_of(n.notice_id)),
            }
            for n in referral.notices
        ],
        "outcome_notice": _outcome_notice(referral),
        "tasks": [
            {
                "id": task.task_id,
                "kind": task.kind.value,
                "text": TASK_TEXT[task.kind],
                "created_at": _iso(task.created_at),
                "about": task.about,
                "done_at": _iso(task.done_at),
                "due_on": task.due_on.isoformat() if task.due_on else None,
            }
            for task in referral.tasks
        ],
        "submission": referral.submission.model_dump(mode="json"),
        "consent_record": _consent_record(referral.consent),
        "parents_told_decision": _parents_told(referral.parents_told),
        "contact_plan": [_plan_entry(entry) for entry in referral.contact_plan],
        "protective_decisions": [
            {"decision": decision.value, "made_by": PROTECTIVE_DECISIONS[decision].made_by.value}
            for decision in referral.protective_decisions
        ],
        "onward_referrals": [_onward(onward) for onward in referral.onward_referrals],
        "out_of_hours": _out_of_hours(referral),
        "enquiries": [_enquiry(e, _now()) for e in referral.enquiries],
        "replies": [_reply(reply) for reply in view.replies],
        "attachments": [_referral_attachment(a) for a in getattr(view, "attachments", [])],
        "history": [_event(e) for e in view.history],
        "known_before": [
            {
                "reference": known.reference,
                "route": known.route.value,
                "status": known.status.value,
                "received_at": _iso(known.received_at),
                "outcome": known.outcome,
            }
            for known in view.known_before
        ],
    }
